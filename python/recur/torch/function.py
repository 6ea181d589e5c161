"""The autograd bridge: a torch.autograd.Function whose forward and backward are recur's.

CPU tensors reach recur as numpy views of their memory (Tensor.numpy() copies nothing), and
recur's results come back as tensors over recur's own buffers (torch.from_numpy copies nothing).
"""

import torch
from torch.autograd.function import once_differentiable


def as_array(t):
    """A numpy view of a CPU tensor (None stays None)."""
    return None if t is None else t.detach().numpy()


def as_tensor(a):
    return None if a is None else torch.from_numpy(a)


class RnnFunction(torch.autograd.Function):
    """forward(core, dropout_seed, lengths, input, h0, c0, *params) -> (output, h_n[, c_n]).

    ``core`` is a recur._core.Rnn; h0/c0 may be None (zeros); ``lengths`` is None or an int64
    numpy array [B] (a variable-length batch). The forward is a training forward (it keeps what
    the backward needs and applies the core's dropout, if any)."""

    @staticmethod
    def forward(ctx, core, dropout_seed, lengths, input, h0, c0, *params):
        ctx.set_materialize_grads(False)  # recur reads an absent output gradient as zeros
        output, h_n, c_n, saved = core.forward([as_array(p) for p in params], as_array(input),
                                               as_array(h0), as_array(c0), True, dropout_seed,
                                               lengths)
        ctx.core = core
        ctx.lengths = lengths
        ctx.recur_saved = saved
        ctx.save_for_backward(input, h0, c0, *params)
        if c_n is None:
            return as_tensor(output), as_tensor(h_n)
        return as_tensor(output), as_tensor(h_n), as_tensor(c_n)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output, grad_h_n, grad_c_n=None):
        input, h0, c0, *params = ctx.saved_tensors
        grads = [None if g is None else g.contiguous().numpy()
                 for g in (grad_output, grad_h_n, grad_c_n)]
        dinput, dh0, dc0, dparams = ctx.core.backward(
            [as_array(p) for p in params], as_array(input), as_array(h0), as_array(c0),
            ctx.recur_saved, *grads, ctx.lengths)
        need = ctx.needs_input_grad
        return (None, None, None, as_tensor(dinput) if need[3] else None,
                as_tensor(dh0) if need[4] else None, as_tensor(dc0) if need[5] else None,
                *(as_tensor(d) if n else None for d, n in zip(dparams, need[6:])))
