"""recur.torch.RNN / LSTM / GRU: torch.nn.Module front ends of recur's RNN."""

import math
import numbers
import warnings

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .. import _core
from .function import RnnFunction, as_array, as_tensor

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_DTYPES = {torch.float32: "float32", torch.float64: "float64"}


class RNNBase(nn.Module):
    """torch.nn.RNNBase's constructor, parameters and forward, computed by recur."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None, backend="auto"):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or \
                not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        for name, value, least in (("input_size", input_size, 0),
                                   ("hidden_size", hidden_size, 1),
                                   ("num_layers", num_layers, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
        # torch.nn's checks and messages for proj_size.
        if not isinstance(proj_size, int) or isinstance(proj_size, bool):
            raise ValueError(f"proj_size should be an integer, got {proj_size!r}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size != 0 and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        if device is not None and torch.device(device).type != "cpu":
            raise ValueError(f"device {device}: this recur.torch runs on CPU tensors only")
        if dtype is not None and dtype not in _DTYPES:
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self.backend = backend
        self._cores = {}

        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size  # the width of h
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name,
                            nn.Parameter(torch.empty(shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self):
        """torch.nn's initialisation: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)], drawn
        in the same order, so the same torch.manual_seed gives torch.nn's values."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        per_layer = len(self._flat_weights_names) // (self.num_layers *
                                                      (2 if self.bidirectional else 1))
        w = self._flat_weights
        return [w[i:i + per_layer] for i in range(0, len(w), per_layer)]

    def flatten_parameters(self):
        """Nothing to do (torch.nn's cuDNN weight layout call; kept so callers still run)."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.backend != "auto":
            s += f", backend={self.backend!r}"
        return s

    def _core(self, dtype, dropout):
        key = (dtype, dropout, self.batch_first, self.backend)
        core = self._cores.get(key)
        if core is None:
            core = _core.Rnn(self.mode, self.input_size, self.hidden_size, self.num_layers,
                             self.bias, self.batch_first, dropout, self.bidirectional,
                             self.backend, _DTYPES[dtype], self.proj_size)
            self._cores[key] = core
        return core

    def __getstate__(self):  # the compiled cores are rebuilt on demand (copy, pickle)
        state = self.__dict__.copy()
        state["_cores"] = {}
        return state

    def _check(self, what, t, dtype, dim):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{what}: expected a torch.Tensor, got {type(t).__name__}")
        if t.device.type != "cpu":
            raise ValueError(f"{what}: is on {t.device}; this recur.torch runs on CPU tensors "
                             "only")
        if t.dtype != dtype:
            raise TypeError(f"{what}: expected dtype {dtype} (the parameters'), got {t.dtype}")
        if t.dim() != dim:
            raise ValueError(f"{what}: expected a {dim}-D tensor, got {t.dim()}-D with shape "
                             f"{tuple(t.shape)}")

    def _states(self, hx, batched):
        """hx as torch.nn takes it -> (h0, c0), each None or a tensor: h0 [L*D, B, P] (P =
        proj_size, or H without a projection), c0 [L*D, B, H]."""
        if self.mode == "LSTM":
            if hx is None:
                return None, None
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            h0, c0 = hx
        else:
            if isinstance(hx, (tuple, list)):
                raise TypeError(f"{type(self).__name__}: hx must be a tensor, not a tuple")
            h0, c0 = hx, None
        dim = 3 if batched else 2
        for what, t in (("h_0", h0), ("c_0", c0)):
            if t is not None:
                self._check(what, t, self.weight_ih_l0.dtype, dim)
        if not batched:
            h0 = None if h0 is None else h0.unsqueeze(1)
            c0 = None if c0 is None else c0.unsqueeze(1)
        return h0, c0

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        return self._forward(input, hx, None)

    def _forward_packed(self, packed, hx):
        """As torch.nn: a PackedSequence in (hx in the batch's own order), a PackedSequence out
        with the same sorted_indices, h_n/c_n in the batch's own order. recur runs it as a
        padded batch with lengths: unpack -> lengths -> recur -> pack."""
        padded, lengths = pad_packed_sequence(packed, batch_first=self.batch_first)
        output, states = self._forward(padded, hx, lengths.to(torch.int64).numpy())
        out = pack_padded_sequence(output, lengths, batch_first=self.batch_first,
                                   enforce_sorted=False)
        return PackedSequence(out.data, packed.batch_sizes, packed.sorted_indices,
                              packed.unsorted_indices), states

    def _forward(self, input, hx, lengths):
        dtype = self.weight_ih_l0.dtype
        if dtype not in _DTYPES:
            raise TypeError(f"parameters: dtype must be torch.float32 or torch.float64, got "
                            f"{dtype}")
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"input: expected a torch.Tensor, got {type(input).__name__}")
        batched = input.dim() == 3
        if input.dim() not in (2, 3):
            raise ValueError(f"input: expected a 2-D (unbatched) or 3-D tensor, got "
                             f"{input.dim()}-D with shape {tuple(input.shape)}")
        self._check("input", input, dtype, input.dim())
        h0, c0 = self._states(hx, batched)
        # recur reads contiguous tensors in place; others are copied first, as torch.nn does.
        input = input.contiguous()
        h0 = None if h0 is None else h0.contiguous()
        c0 = None if c0 is None else c0.contiguous()
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)

        dropout = self.dropout if self.training and self.num_layers > 1 else 0.0
        core = self._core(dtype, dropout)
        seed = int(torch.randint(0, 2**62, (1,)).item()) if dropout > 0 else 0
        params = self._flat_weights
        tensors = [input, h0, c0] + params
        if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors):
            results = RnnFunction.apply(core, seed, lengths, input, h0, c0, *params)
        else:
            output, h_n, c_n, _ = core.forward([as_array(p) for p in params], as_array(input),
                                               as_array(h0), as_array(c0), dropout > 0, seed,
                                               lengths)
            results = tuple(as_tensor(a) for a in (output, h_n, c_n) if a is not None)

        output, states = results[0], results[1:]
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            states = tuple(s.squeeze(1) for s in states)
        return (output, states) if self.mode == "LSTM" else (output, states[0])


class RNN(RNNBase):
    """torch.nn.RNN on recur: RNN(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, nonlinearity='tanh', device=None,
    dtype=None, backend='auto'). Positional arguments follow torch 1.13 (nonlinearity only by
    keyword) or, when the fourth is a string, torch 2.x (nonlinearity fourth)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3 and isinstance(args[3], str):
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(modes[self.nonlinearity], *args, **kwargs)


class LSTM(RNNBase):
    """torch.nn.LSTM on recur; forward(input, (h_0, c_0)) -> output, (h_n, c_n)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """torch.nn.GRU on recur; forward(input, h_0) -> output, h_n."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)
