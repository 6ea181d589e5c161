"""recur.torch.LSTM(proj_size=P) against torch.nn.LSTM(proj_size=P): layers {1, 2} x uni/bi x
batch_first x bias, hx given and absent: forward outputs (output [T, B, D*P], h_n [L*D, B, P],
c_n [L*D, B, H]) and every gradient, weight_hr included (float32, relative error <= 1e-5), the
same initial weights from the same seed, and state_dicts that load both ways."""

import itertools

import pytest
import torch

import recur.torch as rt
from conftest import assert_close

T, B, I, H, P = 5, 3, 4, 7, 3  # odd sizes, P < H
CASES = list(itertools.product([1, 2], [False, True], [False, True], [False, True]))


def make_pair(layers, bidirectional, batch_first, bias):
    kwargs = dict(input_size=I, hidden_size=H, num_layers=layers, bias=bias,
                  batch_first=batch_first, bidirectional=bidirectional, proj_size=P)
    torch.manual_seed(4321)
    ref = torch.nn.LSTM(**kwargs)
    torch.manual_seed(4321)
    ours = rt.LSTM(**kwargs)
    return ref, ours


def case_id(case):
    layers, bi, bf, bias = case
    return f"L{layers}-{'bi' if bi else 'uni'}-{'bf' if bf else 'tb'}-" \
           f"{'bias' if bias else 'nobias'}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
@pytest.mark.parametrize("with_hx", [False, True], ids=["no_hx", "hx"])
def test_projected_lstm_matches_torch(case, with_hx):
    ref, ours = make_pair(*case)
    assert [n for n, _ in ref.named_parameters()] == [n for n, _ in ours.named_parameters()]
    for (name, p), (_, q) in zip(ref.named_parameters(), ours.named_parameters()):
        assert p.shape == q.shape and torch.equal(p, q), name
    assert any(n.startswith("weight_hr") for n, _ in ours.named_parameters())

    D = 2 if ref.bidirectional else 1
    g = torch.Generator().manual_seed(5)
    x = torch.randn((B, T, I) if ref.batch_first else (T, B, I), generator=g)
    hx = None
    if with_hx:
        hx = (torch.randn(ref.num_layers * D, B, P, generator=g),
              torch.randn(ref.num_layers * D, B, H, generator=g))

    def run(module):
        xs = x.clone().requires_grad_()
        h = None if hx is None else tuple(s.clone().requires_grad_() for s in hx)
        output, (h_n, c_n) = module(xs, h)
        gen = torch.Generator().manual_seed(13)
        loss = (output * torch.randn(output.shape, generator=gen)).sum()
        for s in (h_n, c_n):
            loss = loss + (s * torch.randn(s.shape, generator=gen)).sum()
        loss.backward()
        grads = [xs.grad] + ([] if h is None else [t.grad for t in h])
        return [output.detach(), h_n.detach(), c_n.detach()], grads, \
            {n: p.grad for n, p in module.named_parameters()}

    outs_ref, grads_ref, pgrads_ref = run(ref)
    outs, grads, pgrads = run(ours)
    assert outs[0].shape[-1] == D * P and outs[1].shape[-1] == P and outs[2].shape[-1] == H
    for k, (a, b) in enumerate(zip(outs, outs_ref)):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert_close(a, b, 1e-5, f"output {k}")
    assert len(grads) == len(grads_ref)
    for k, (a, b) in enumerate(zip(grads, grads_ref)):
        assert_close(a, b, 1e-5, f"input/state gradient {k}")
    assert pgrads.keys() == pgrads_ref.keys()
    for name in pgrads:
        assert_close(pgrads[name], pgrads_ref[name], 1e-5, f"grad {name}")


def test_projected_state_dict_round_trips():
    ref, ours = make_pair(2, True, False, True)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p))
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(T, B, I)
    assert_close(ours(x)[0].detach(), ref(x)[0].detach(), 1e-5, "torch.nn -> recur")
    torch.manual_seed(98)
    ours2 = rt.LSTM(I, H, 2, bidirectional=True, proj_size=P)
    ref.load_state_dict(ours2.state_dict())
    assert_close(ref(x)[0].detach(), ours2(x)[0].detach(), 1e-5, "recur -> torch.nn")
    assert "proj_size=3" in repr(ours2)


def test_projected_state_shapes_are_checked():
    lstm = rt.LSTM(I, H, proj_size=P)
    x = torch.randn(T, B, I)
    with pytest.raises(ValueError, match=r"h0"):
        lstm(x, (torch.zeros(1, B, H), torch.zeros(1, B, H)))  # h0 must be P wide
    with pytest.raises(ValueError, match=r"c0"):
        lstm(x, (torch.zeros(1, B, P), torch.zeros(1, B, P)))  # c0 stays H wide
