"""The torch-free API: one recurrent network on numpy arrays, files, trained checkpoints."""

import math
from collections import OrderedDict, namedtuple

import numpy as np

from . import _core

#: What Network.forward returns; c_n is None except for LSTM.
Outputs = namedtuple("Outputs", ["output", "h_n", "c_n"])
#: What Network.backward returns: gradients of the loss with respect to the forward's
#: input, h0, c0 (LSTM; else None) and parameters (an OrderedDict by parameter name).
Grads = namedtuple("Grads", ["input", "h0", "c0", "params"])

_MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")


class Network:
    """A recurrent network (torch.nn's RNN/LSTM/GRU, by ``mode``) whose parameters are numpy
    arrays under torch.nn's names and shapes, run on a recur backend.

    ``params`` maps names to C-contiguous arrays of ``dtype``; replace or update them freely.
    A new Network's parameters are uniform in [-1/sqrt(H), 1/sqrt(H)] (torch.nn's
    initialisation), drawn from ``numpy.random.default_rng(seed)``. ``proj_size`` P > 0 (LSTM
    only, P < H) adds torch.nn's projection: h0, h_n [L*D, B, P], c0, c_n [L*D, B, H].
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, backend="auto",
                 dtype="float32", seed=None, proj_size=0):
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}, got {mode!r}")
        self.spec = dict(mode=mode, input_size=input_size, hidden_size=hidden_size,
                         num_layers=num_layers, bias=bias, batch_first=batch_first,
                         dropout=float(dropout), bidirectional=bidirectional,
                         proj_size=proj_size)
        self._core = _core.Rnn(**self.spec, backend=backend, dtype=dtype)
        rng = np.random.default_rng(seed)
        bound = 1.0 / math.sqrt(hidden_size)
        self.params = OrderedDict(
            (name, rng.uniform(-bound, bound, shape).astype(dtype))
            for name, shape in zip(self._core.param_names(), self._core.param_shapes()))
        self._last = None

    @classmethod
    def load(cls, path, backend="auto", dtype="float32"):
        """A network from a ``recur run`` weights file, or the RNN part of a recur checkpoint
        (``recur train`` writes those; the head and optimizer state are left out)."""
        spec, names, arrays = _core.read_network(str(path), dtype)
        net = cls.__new__(cls)
        net.spec = spec
        net._core = _core.Rnn(**spec, backend=backend, dtype=dtype)
        net.params = OrderedDict(zip(names, arrays))
        net._last = None
        return net

    def save(self, path):
        """Writes a ``recur run`` weights file (spec in the metadata, parameters by name)."""
        _core.write_network(str(path), self.spec, self._param_list())

    @property
    def dropout(self):
        """The dropout between layers of a training forward; settable (0 turns it off)."""
        return self.spec["dropout"]

    @dropout.setter
    def dropout(self, p):
        spec = dict(self.spec, dropout=float(p))
        self._core = _core.Rnn(**spec, backend=self.backend, dtype=self.dtype)
        self.spec = spec

    @property
    def backend(self):
        return self._core.backend

    @property
    def dtype(self):
        return self._core.dtype

    def forward(self, input, h0=None, c0=None, training=False, dropout_seed=0, lengths=None):
        """input [T, B, I] ([B, T, I] with batch_first); h0, c0 [L*D, B, H] or None (zeros).
        Returns Outputs(output, h_n, c_n). ``training`` applies dropout between layers (masks a
        pure function of ``dropout_seed``) and keeps what ``backward`` needs. ``lengths`` [B]
        (integers in [1, T], any order) makes it a variable-length batch, PyTorch's packed
        sequences: outputs past each length are zero, h_n/c_n are each sequence's own last
        states."""
        params = self._param_list()
        output, h_n, c_n, saved = self._core.forward(params, input, h0, c0, training,
                                                     dropout_seed, lengths)
        self._last = (params, input, h0, c0, saved, lengths) if training else None
        return Outputs(output, h_n, c_n)

    def backward(self, grad_output=None, grad_h_n=None, grad_c_n=None):
        """Gradients of sum(output*grad_output) + sum(h_n*grad_h_n) + sum(c_n*grad_c_n) (absent
        terms are zero) after a training forward; returns Grads."""
        if self._last is None:
            raise ValueError("backward needs a forward with training=True first")
        params, input, h0, c0, saved, lengths = self._last
        dx, dh0, dc0, dparams = self._core.backward(params, input, h0, c0, saved, grad_output,
                                                    grad_h_n, grad_c_n, lengths)
        return Grads(dx, dh0, dc0, OrderedDict(zip(self.params.keys(), dparams)))

    def _param_list(self):
        return [self.params[name] for name in self._core.param_names()]


def load_checkpoint(path, backend="auto", dtype="float32"):
    """A trained model from a recur checkpoint (``recur train sine`` / ``chars``): the RNN, its
    head and, for the character model, its embedding. ``predict(x [T, B, I], readout="last")``
    gives the head's output on the last step [B, out] (or on every step [T*B, out] with
    readout="all"); ``predict_tokens(ids [T, B])`` the logits [T*B, vocab]; ``spec`` and
    ``metadata`` describe it."""
    return _core.Model(str(path), backend, dtype)


def sine_predictions(path, backend=""):
    """(predictions, targets): a ``recur train sine`` checkpoint's predictions of its test
    targets and the targets themselves, float64 arrays in the series' own units."""
    return _core.sine_test_predictions(str(path), backend)


def read_tensors(path):
    """(metadata dict, {name: array}) of a safetensors file (F16/BF16 read as float32, I32/I64
    as int32/int64)."""
    return _core.read_tensors(str(path))


def write_tensors(path, tensors, metadata=None):
    """Writes {name: C-contiguous float32/float64 array} and a {str: str} metadata map as a
    safetensors file, atomically."""
    _core.write_tensors(str(path), dict(tensors), dict(metadata or {}))
