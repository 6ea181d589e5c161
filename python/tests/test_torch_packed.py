"""recur.torch.LSTM/GRU/RNN on torch.nn.utils.rnn.PackedSequence (variable-length batches)
against torch.nn on the same PackedSequence: the packed output, h_n/c_n and every gradient
(input, hx, parameters), float32 (relative error <= 1e-5), over unsorted lengths with a
length-1 sequence, bidirectional, 2 layers, batch_first, and all lengths = T, and an LSTM with
a projection (proj_size). Also the numpy
API's lengths= against the same torch.nn run."""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

import recur
import recur.torch as rt
from conftest import assert_close

I, H = 3, 5
CELLS = [("LSTM", {}), ("GRU", {}), ("RNN", dict(nonlinearity="tanh")),
         ("RNN", dict(nonlinearity="relu")), ("LSTM", dict(proj_size=2))]
# (layers, bidirectional, batch_first, T, lengths)
SHAPES = [(1, False, False, 6, [3, 6, 1, 4]),
          (2, True, False, 5, [2, 5, 5, 1]),
          (2, True, True, 4, [4, 4, 4]),
          (1, True, True, 7, [5, 3, 3, 1])]


def pair(cell, extra, layers, bi, bf):
    kwargs = dict(input_size=I, hidden_size=H, num_layers=layers, bidirectional=bi,
                  batch_first=bf, **extra)
    torch.manual_seed(5)
    ref = getattr(torch.nn, cell)(**kwargs)
    torch.manual_seed(5)
    ours = getattr(rt, cell)(**kwargs)
    return ref, ours


@pytest.mark.parametrize("cell_index", range(len(CELLS)), ids=[
    c + "".join(f"-{k}{v}" for k, v in e.items()) for c, e in CELLS])
@pytest.mark.parametrize("shape", SHAPES, ids=["uni", "bi-L2", "bf-all-T", "bf-bi-below-T"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["no_hx", "hx"])
def test_packed_matches_torch(cell_index, shape, with_hx):
    cell, extra = CELLS[cell_index]
    layers, bi, bf, T, lengths = shape
    ref, ours = pair(cell, extra, layers, bi, bf)
    B, D = len(lengths), 2 if bi else 1
    g = torch.Generator().manual_seed(11)
    x = torch.randn((B, T, I) if bf else (T, B, I), generator=g)
    hx = None
    if with_hx:
        h0 = torch.randn(layers * D, B, extra.get("proj_size", 0) or H, generator=g)
        hx = (h0, torch.randn(layers * D, B, H, generator=g)) if cell == "LSTM" else h0

    results = []
    for module in (ref, ours):
        xi = x.clone().requires_grad_(True)
        hxi = None if hx is None else (tuple(h.clone().requires_grad_(True) for h in hx)
                                       if cell == "LSTM" else hx.clone().requires_grad_(True))
        packed = pack_padded_sequence(xi, torch.tensor(lengths), batch_first=bf,
                                      enforce_sorted=False)
        out, states = module(packed, hxi)
        assert isinstance(out, PackedSequence)
        states = states if cell == "LSTM" else (states,)
        gen = torch.Generator().manual_seed(13)
        loss = (out.data * torch.randn(out.data.shape, generator=gen)).sum()
        for s in states:
            loss = loss + (s * torch.randn(s.shape, generator=gen)).sum()
        loss.backward()
        hx_grads = [] if hxi is None else [h.grad for h in (hxi if cell == "LSTM" else (hxi,))]
        results.append((out, states, xi.grad, hx_grads,
                        [p.grad for p in module.parameters()]))

    (r_out, r_states, r_dx, r_dhx, r_dp), (o_out, o_states, o_dx, o_dhx, o_dp) = results
    assert torch.equal(o_out.batch_sizes, r_out.batch_sizes)
    assert torch.equal(o_out.sorted_indices, r_out.sorted_indices)
    assert_close(o_out.data.detach(), r_out.data.detach(), 1e-5, "packed output")
    for o, r in zip(o_states, r_states):
        assert_close(o.detach(), r.detach(), 1e-5, "final state")
    assert_close(o_dx, r_dx, 1e-5, "grad input")
    for o, r in zip(o_dhx, r_dhx):
        assert_close(o, r, 1e-5, "grad hx")
    for o, r in zip(o_dp, r_dp):
        assert_close(o, r, 1e-5, "grad parameter")


def test_numpy_lengths_match_torch():
    lengths = [2, 5, 1]
    T, B = 5, len(lengths)
    torch.manual_seed(3)
    ref = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True).double()
    net = recur.Network("LSTM", I, H, num_layers=2, bidirectional=True, dtype="float64",
                        backend="cpu")
    for name, p in ref.named_parameters():
        net.params[name][...] = p.detach().numpy()
    x = torch.randn(T, B, I, dtype=torch.float64, requires_grad=True)
    out, (h_n, c_n) = ref(pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False))
    padded, _ = pad_packed_sequence(out, total_length=T)
    got = net.forward(x.detach().numpy(), training=True, lengths=np.array(lengths))
    assert_close(got.output, padded.detach().numpy(), 1e-12, "output")
    assert_close(got.h_n, h_n.detach().numpy(), 1e-12, "h_n")
    assert_close(got.c_n, c_n.detach().numpy(), 1e-12, "c_n")
    gout = np.random.default_rng(1).standard_normal(padded.shape)
    (padded * torch.from_numpy(gout)).sum().backward()
    grads = net.backward(grad_output=gout)
    assert_close(grads.input, x.grad.numpy(), 1e-12, "grad input")
    with pytest.raises(ValueError, match=r"lengths: element \[1\] is 6"):
        net.forward(x.detach().numpy(), lengths=np.array([2, 6, 1]))
    with pytest.raises(TypeError, match=r"lengths: expected a 1-D array of integers"):
        net.forward(x.detach().numpy(), lengths=np.array([2.0, 5.0, 1.0]))
