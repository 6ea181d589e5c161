"""recur.torch.RNN/LSTM/GRU against torch.nn for every cell x layers {1,2,3} x uni/bi x
batch_first x bias, hx given and absent: forward outputs and every gradient (float32,
relative error <= 1e-5), the same initial weights from the same seed, and state_dicts that
load both ways."""

import itertools

import pytest
import torch

import recur.torch as rt
from conftest import assert_close

T, B, I, H = 5, 3, 4, 7  # odd sizes
CELLS = [("RNN_TANH", dict(nonlinearity="tanh")), ("RNN_RELU", dict(nonlinearity="relu")),
         ("LSTM", {}), ("GRU", {})]
CASES = list(itertools.product(range(len(CELLS)), [1, 2, 3], [False, True], [False, True],
                               [False, True]))


def classes(cell):
    name = "RNN" if cell.startswith("RNN") else cell
    return getattr(torch.nn, name), getattr(rt, name)


def make_pair(cell_index, layers, bidirectional, batch_first, bias):
    cell, extra = CELLS[cell_index]
    TorchRnn, RecurRnn = classes(cell)
    kwargs = dict(input_size=I, hidden_size=H, num_layers=layers, bias=bias,
                  batch_first=batch_first, bidirectional=bidirectional, **extra)
    torch.manual_seed(1234)
    ref = TorchRnn(**kwargs)
    torch.manual_seed(1234)
    ours = RecurRnn(**kwargs)
    return cell, ref, ours


def case_id(case):
    c, layers, bi, bf, bias = case
    return f"{CELLS[c][0]}-L{layers}-{'bi' if bi else 'uni'}-{'bf' if bf else 'tb'}-" \
           f"{'bias' if bias else 'nobias'}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
@pytest.mark.parametrize("with_hx", [False, True], ids=["no_hx", "hx"])
def test_forward_backward_match_torch(case, with_hx):
    cell, ref, ours = make_pair(*case)
    # Same seed, same draw order: the very same initial parameters.
    for (name, p), (name_ours, q) in zip(ref.named_parameters(), ours.named_parameters()):
        assert name == name_ours and p.shape == q.shape
        assert torch.equal(p, q), name

    D = 2 if ref.bidirectional else 1
    g = torch.Generator().manual_seed(7)
    shape = (B, T, I) if ref.batch_first else (T, B, I)
    x = torch.randn(shape, generator=g)
    states = [torch.randn(ref.num_layers * D, B, H, generator=g) for _ in range(2)]
    hx = None
    if with_hx:
        hx = (states[0], states[1]) if cell == "LSTM" else states[0]

    def run(module):
        xs = x.clone().requires_grad_()
        h = None
        if hx is not None:
            h = tuple(s.clone().requires_grad_() for s in hx) if cell == "LSTM" else \
                hx.clone().requires_grad_()
        output, state = module(xs, h)
        finals = list(state) if cell == "LSTM" else [state]
        # A loss that weighs every output and final state differently.
        gen = torch.Generator().manual_seed(11)
        loss = (output * torch.randn(output.shape, generator=gen)).sum()
        for s in finals:
            loss = loss + (s * torch.randn(s.shape, generator=gen)).sum()
        loss.backward()
        grads = [xs.grad] + ([] if h is None else [t.grad for t in
                                                   (h if cell == "LSTM" else (h,))])
        return [output.detach()] + [s.detach() for s in finals], grads, \
            {n: p.grad for n, p in module.named_parameters()}

    outs_ref, grads_ref, pgrads_ref = run(ref)
    outs, grads, pgrads = run(ours)
    for k, (a, b) in enumerate(zip(outs, outs_ref)):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert_close(a, b, 1e-5, f"output {k}")
    for k, (a, b) in enumerate(zip(grads, grads_ref)):
        assert_close(a, b, 1e-5, f"input/state gradient {k}")
    assert pgrads.keys() == pgrads_ref.keys()
    for name in pgrads:
        assert_close(pgrads[name], pgrads_ref[name], 1e-5, f"grad {name}")


@pytest.mark.parametrize("cell_index", range(len(CELLS)), ids=[c[0] for c in CELLS])
def test_state_dict_round_trips(cell_index):
    cell, ref, ours = make_pair(cell_index, 2, True, False, True)
    # torch.nn -> recur: perturbed weights, loaded, give torch.nn's outputs.
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p))
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(T, B, I)
    assert_close(ours(x)[0].detach(), ref(x)[0].detach(), 1e-5, "torch.nn -> recur")
    # recur -> torch.nn: a fresh torch.nn module takes recur's state_dict.
    torch.manual_seed(99)
    ours2 = classes(cell)[1](I, H, 2, bidirectional=True, **CELLS[cell_index][1])
    ref.load_state_dict(ours2.state_dict())
    assert list(ref.state_dict().keys()) == list(ours2.state_dict().keys())
    assert_close(ref(x)[0].detach(), ours2(x)[0].detach(), 1e-5, "recur -> torch.nn")


@pytest.mark.parametrize("cell_index", range(len(CELLS)), ids=[c[0] for c in CELLS])
def test_unbatched_input_matches_torch(cell_index):
    cell, ref, ours = make_pair(cell_index, 2, True, True, True)
    x = torch.randn(T, I)
    h = torch.randn(4, H)
    hx = (h, torch.randn(4, H)) if cell == "LSTM" else h
    out_ref, st_ref = ref(x, hx)
    out, st = ours(x, hx)
    assert out.shape == out_ref.shape == (T, 2 * H)
    assert_close(out.detach(), out_ref.detach(), 1e-5, "unbatched output")
    for a, b in zip(st if cell == "LSTM" else [st], st_ref if cell == "LSTM" else [st_ref]):
        assert a.shape == b.shape == (4, H)
        assert_close(a.detach(), b.detach(), 1e-5, "unbatched state")


def test_positional_arguments_follow_torch():
    # torch 1.13's order (nonlinearity by keyword only) ...
    torch.manual_seed(0)
    ref = torch.nn.RNN(I, H, 2, False, True, 0.0, True, nonlinearity="relu")
    torch.manual_seed(0)
    ours = rt.RNN(I, H, 2, False, True, 0.0, True, nonlinearity="relu")
    assert (ours.mode, ours.bias, ours.batch_first, ours.bidirectional) == \
        ("RNN_RELU", False, True, True)
    # ... and torch 2.x's, nonlinearity fourth.
    two = rt.RNN(I, H, 2, "relu", False, True, 0.0, True)
    assert (two.mode, two.bias, two.batch_first, two.bidirectional) == \
        ("RNN_RELU", False, True, True)
    assert list(ours.state_dict()) == list(ref.state_dict())
    x = torch.randn(B, T, I)
    assert_close(ours(x)[0].detach(), ref(x)[0].detach(), 1e-5, "positional RNN")
