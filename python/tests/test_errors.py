"""Bad inputs raise the documented exceptions (recur/__init__.py, recur/torch/__init__.py):
TypeError for a wrong type or dtype, ValueError for a wrong shape, device, non-contiguous data
or bad argument, recur.Error (a RuntimeError) for a bad file; each message names the culprit.
Nothing crashes the interpreter."""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import recur
import recur.torch as rt

T, B, I, H = 4, 2, 3, 5


@pytest.fixture
def lstm():
    return rt.LSTM(I, H, num_layers=2)


def test_module_dtype_errors(lstm):
    with pytest.raises(TypeError, match=r"input: expected dtype torch.float32.*float64"):
        lstm(torch.randn(T, B, I, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"input: expected dtype .*int64"):
        lstm(torch.zeros(T, B, I, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"c_0: expected dtype"):
        lstm(torch.randn(T, B, I), (torch.zeros(2, B, H), torch.zeros(2, B, H).double()))
    with pytest.raises(TypeError, match=r"input: expected a torch.Tensor, got ndarray"):
        lstm(np.zeros((T, B, I), np.float32))
    with pytest.raises(TypeError, match=r"dtype must be torch.float32 or torch.float64"):
        rt.GRU(I, H, dtype=torch.float16)


def test_module_shape_errors(lstm):
    with pytest.raises(ValueError, match=r"input: expected dimension 2 to be 3|input.*3"):
        lstm(torch.randn(T, B, I + 1))
    with pytest.raises(ValueError, match=r"input: expected a 2-D \(unbatched\) or 3-D"):
        lstm(torch.randn(1, T, B, I))
    with pytest.raises(ValueError, match=r"h0: expected shape \[2, 2, 5\], got \[2, 3, 5\]"):
        lstm(torch.randn(T, B, I), (torch.zeros(2, 3, H), torch.zeros(2, B, H)))
    with pytest.raises(ValueError, match=r"h_0: expected a 2-D tensor"):
        lstm(torch.randn(T, I), (torch.zeros(2, B, H), torch.zeros(2, B, H)))
    with pytest.raises(TypeError, match=r"hx must be a tuple"):
        lstm(torch.randn(T, B, I), torch.zeros(2, B, H))
    with pytest.raises(TypeError, match=r"hx must be a tensor, not a tuple"):
        rt.GRU(I, H)(torch.randn(T, B, I), (torch.zeros(1, B, H),))
    with pytest.raises(ValueError, match=r"input: sequence length and batch must be positive"):
        lstm(torch.randn(0, B, I))


def test_module_layout_and_device_errors(lstm):
    # Not an error: a non-contiguous input is copied first, as torch.nn does.
    x = torch.randn(B, T, I).transpose(0, 1)
    assert not x.is_contiguous()
    assert torch.equal(lstm(x)[0], lstm(x.contiguous())[0])
    with pytest.raises(ValueError, match=r"input: is on meta"):
        lstm(torch.empty(T, B, I, device="meta"))
    # A PackedSequence runs (test_torch_packed.py); lengths out of range fail with the reason.
    packed = pack_padded_sequence(torch.randn(T, B, I), [T, T - 1])
    assert isinstance(lstm(packed)[0], type(packed))


def test_module_constructor_errors():
    with pytest.raises(ValueError, match=r"proj_size has to be smaller than hidden_size"):
        rt.LSTM(I, H, proj_size=H)
    with pytest.raises(ValueError, match=r"proj_size should be a positive integer or zero"):
        rt.LSTM(I, H, proj_size=-1)
    with pytest.raises(ValueError, match=r"proj_size argument is only supported for LSTM"):
        rt.GRU(I, H, proj_size=2)
    with pytest.raises(ValueError, match=r"Unknown nonlinearity 'sigmoid'"):
        rt.RNN(I, H, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"dropout should be a number in range"):
        rt.LSTM(I, H, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match=r"hidden_size must be an integer >= 1"):
        rt.LSTM(I, 0)
    with pytest.raises(ValueError, match=r"device cuda"):
        rt.LSTM(I, H, device="cuda")
    with pytest.raises(ValueError, match=r"unknown backend|no-such-backend"):
        rt.LSTM(I, H, backend="no-such-backend")(torch.randn(T, B, I))


def test_numpy_api_errors(tmp_path):
    net = recur.Network("GRU", I, H, seed=0)
    x = np.zeros((T, B, I), np.float32)
    with pytest.raises(TypeError, match=r"input: expected a numpy array, got list"):
        net.forward(x.tolist())
    with pytest.raises(TypeError, match=r"input: dtype must be float32 or float64, got int32"):
        net.forward(x.astype(np.int32))
    with pytest.raises(TypeError, match=r"input: expected dtype float32, got float64"):
        net.forward(x.astype(np.float64))
    with pytest.raises(ValueError, match=r"input: must be C-contiguous"):
        net.forward(np.zeros((B, T, I), np.float32).transpose(1, 0, 2))
    with pytest.raises(ValueError, match=r"c0: given, but a GRU network has no cell state"):
        net.forward(x, c0=np.zeros((1, B, H), np.float32))
    with pytest.raises(ValueError, match=r"backward needs a forward with training=True"):
        net.backward()
    net.params["weight_hh_l0"] = np.zeros((H, H), np.float32)
    with pytest.raises(ValueError, match=r"weight_hh_l0: expected shape \[15, 5\], got \[5, 5\]"):
        net.forward(x)
    with pytest.raises(ValueError, match=r"mode must be one of"):
        recur.Network("LSTMX", I, H)
    with pytest.raises(ValueError, match=r"hidden_size"):
        recur.Network("LSTM", I, 0)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{nope")
    with pytest.raises(recur.Error, match=str(bad)):
        recur.Network.load(bad)
    with pytest.raises(recur.Error, match=r"missing\.safetensors"):
        recur.load_checkpoint(tmp_path / "missing.safetensors")
    assert issubclass(recur.Error, RuntimeError)
