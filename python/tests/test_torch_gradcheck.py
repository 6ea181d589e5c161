"""torch.autograd.gradcheck (central finite differences in float64) of recur.torch's autograd
Function, with gradients flowing to the input, h0, c0 and every parameter: for every cell x
layers {1,2,3} x uni/bi x batch_first x bias in gradcheck's fast mode (finite differences along
random directions, checked against the backward's projections), for every cell x layers {1,2,3}
in full (every element's finite difference; uni/bi, batch_first and bias varying), of a
variable-length batch, and of a dropout training forward (its masks a pure function of the
seed, so the function is deterministic)."""

import itertools

import numpy as np
import pytest
import torch

import recur.torch as rt
from recur.torch.function import RnnFunction

T, B, I, H = 3, 2, 2, 3
CELLS = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
CASES = list(itertools.product(CELLS, [1, 2, 3], [False, True], [False, True], [False, True]))
FULL = [(cell, layers, bi) for cell in CELLS for layers, bi in ((1, True), (2, False), (3, True))]


def module(cell, layers, bidirectional, batch_first, bias, dropout=0.0):
    kwargs = dict(num_layers=layers, bias=bias, batch_first=batch_first,
                  bidirectional=bidirectional, dropout=dropout, dtype=torch.float64)
    if cell.startswith("RNN"):
        return rt.RNN(I, H, nonlinearity="tanh" if cell == "RNN_TANH" else "relu", **kwargs)
    return getattr(rt, cell)(I, H, **kwargs)


def check(m, cell, seed, dropout, fast_mode, lengths=None):
    D = 2 if m.bidirectional else 1
    g = torch.Generator().manual_seed(3)
    x = torch.randn((B, T, I) if m.batch_first else (T, B, I), generator=g, dtype=torch.float64,
                    requires_grad=True)
    h0 = torch.randn(m.num_layers * D, B, H, generator=g, dtype=torch.float64,
                     requires_grad=True)
    c0 = torch.randn(m.num_layers * D, B, H, generator=g, dtype=torch.float64,
                     requires_grad=True) if cell == "LSTM" else None
    core = m._core(torch.float64, dropout)
    params = [p.detach().clone().requires_grad_() for p in m._flat_weights]

    def f(x, h0, c0, *params):
        return RnnFunction.apply(core, seed, lengths, x, h0, c0, *params)

    assert torch.autograd.gradcheck(f, (x, h0, c0, *params), eps=1e-6, atol=1e-7, rtol=1e-5,
                                    fast_mode=fast_mode)


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_gradcheck_fast(case):
    torch.manual_seed(5)
    check(module(*case), case[0], seed=0, dropout=0.0, fast_mode=True)


@pytest.mark.parametrize("case", FULL, ids=["-".join(map(str, c)) for c in FULL])
def test_gradcheck_full(case):
    cell, layers, bidirectional = case
    torch.manual_seed(5)
    # batch_first and bias vary across the cases (every combination is in the fast sweep).
    check(module(cell, layers, bidirectional, layers % 2 == 1, not bidirectional), cell, seed=0,
          dropout=0.0, fast_mode=False)


@pytest.mark.parametrize("cell", CELLS)
def test_gradcheck_variable_lengths(cell):
    """A variable-length batch (B = 2, lengths 1 and 3), bidirectional, 2 layers, in full."""
    torch.manual_seed(7)
    check(module(cell, 2, True, True, True), cell, seed=0, dropout=0.0, fast_mode=False,
          lengths=np.array([1, 3], dtype=np.int64))


@pytest.mark.parametrize("cell", CELLS)
def test_gradcheck_with_dropout(cell):
    torch.manual_seed(6)
    m = module(cell, 2, True, False, True, dropout=0.5)
    check(m, cell, seed=12345, dropout=0.5, fast_mode=False)


def test_dropout_applies_in_training_only():
    torch.manual_seed(0)
    m = rt.LSTM(I, H, num_layers=2, dropout=0.5)
    x = torch.randn(T, B, I)
    m.eval()
    eval_out = m(x)[0]
    assert torch.equal(eval_out, m(x)[0])  # eval: deterministic, no dropout
    m.train()
    torch.manual_seed(1)
    a = m(x)[0]
    torch.manual_seed(1)
    b = m(x)[0]
    assert torch.equal(a, b)  # the masks follow torch's seed
    assert not torch.allclose(a, eval_out)  # and they drop something
    # With dropout 0 a training forward equals the eval one.
    m.dropout = 0.0
    assert torch.allclose(m(x)[0], eval_out, rtol=0, atol=0)
