"""recur.torch.LSTM against torch.nn.LSTM inside a PyTorch training step on the CPU, side by side
in one run, and the module's overhead over recur's own call.

    /usr/bin/python3 bench/python/bench_torch_lstm.py [--repeats N] [--json FILE]

A training step: zero_grad, forward, MSE loss on the output, backward, Adam step. "recur call"
is recur's forward + backward called directly on numpy arrays (recur._core.Rnn, no autograd);
"overhead" is (module forward + backward) / (recur call) - 1, both timed here. Medians over
--repeats after warm-up. Threads: recur's pool has RECUR_NUM_THREADS or the machine's cores;
torch gets --torch-threads (default 1: on a 2-vCPU VM PyTorch is faster at 1 thread than at 2,
docs/PERFORMANCE.md), which also runs the loss and Adam of both columns.
"""

import argparse
import json
import statistics
import time

import torch

import recur
import recur.torch as rt

# (name, layers, input size, hidden, batch, steps)
CASES = [("seed model", 2, 1, 128, 32, 50), ("char model", 2, 64, 256, 64, 100),
         ("H=I=512", 1, 512, 512, 64, 100)]


def median_times(fns, repeats):
    """The median time of each function, run in turn (a, b, a, b, ...) so that a change in the
    machine's load falls on all of them alike."""
    for fn in fns:  # warm-up
        fn()
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def training_step(model, x, target, opt):
    def step():
        opt.zero_grad()
        out, _ = model(x)
        loss = torch.nn.functional.mse_loss(out, target)
        loss.backward()
        opt.step()
    return step


def module_pass(model, x, grad):
    def run():
        out, _ = model(x)
        out.backward(grad)
    return run


def recur_call(model, x, grad):
    core = model._core(torch.float32, 0.0)
    params = [p.detach().numpy() for p in model._flat_weights]
    xa, ga = x.numpy(), grad.numpy()

    def run():
        _, _, _, saved = core.forward(params, xa, None, None, True, 0)
        core.backward(params, xa, None, None, saved, ga, None, None)
    return run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--json", help="also write the rows here")
    args = p.parse_args()
    torch.set_num_threads(args.torch_threads)
    rows = []
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; recur "
          f"{recur.__version__}, backend {rt.LSTM(1, 1)._core(torch.float32, 0.0).backend}")
    print(f"{'case':12} {'L':>2} {'I':>4} {'H':>4} {'B':>3} {'T':>4} {'torch.nn ms':>12} "
          f"{'recur ms':>9} {'speedup':>8} {'recur call ms':>14} {'module ms':>10} "
          f"{'overhead':>9}")
    for name, L, I, H, B, T in CASES:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(T, B, I, generator=g)
        target = torch.randn(T, B, H, generator=g)
        torch.manual_seed(0)
        ref = torch.nn.LSTM(I, H, L)
        ours = rt.LSTM(I, H, L)
        ours.load_state_dict(ref.state_dict())
        t_ref, t_ours = median_times(
            [training_step(ref, x, target, torch.optim.Adam(ref.parameters())),
             training_step(ours, x, target, torch.optim.Adam(ours.parameters()))], args.repeats)
        grad = torch.randn(T, B, H, generator=g)
        t_module, t_call = median_times([module_pass(ours, x, grad), recur_call(ours, x, grad)],
                                        args.repeats)
        row = dict(case=name, layers=L, input=I, hidden=H, batch=B, steps=T,
                   torch_nn_ms=t_ref * 1e3, recur_ms=t_ours * 1e3, speedup=t_ref / t_ours,
                   recur_call_ms=t_call * 1e3, module_ms=t_module * 1e3,
                   overhead=t_module / t_call - 1)
        rows.append(row)
        print(f"{name:12} {L:>2} {I:>4} {H:>4} {B:>3} {T:>4} {row['torch_nn_ms']:>12.1f} "
              f"{row['recur_ms']:>9.1f} {row['speedup']:>7.2f}x {row['recur_call_ms']:>14.1f} "
              f"{row['module_ms']:>10.1f} {100 * row['overhead']:>8.1f}%")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
