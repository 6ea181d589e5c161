#!/usr/bin/env python3
"""PyTorch on the CPU, timed on the rows of a recur_bench JSON file, for the CPU comparison.

For every row of one recur backend (default `cpu`) in the JSON that `recur_bench --json` wrote,
times torch.nn.LSTM / GRU / RNN on the same shape the same way recur_bench does: the same call
(inference: a forward under no_grad; training: a forward and the backward of output, h_n and
c_n into the input, h0, c0 and every parameter, through torch.autograd.grad so nothing
accumulates), random inputs with h0/c0 given, float32, warm-up calls, then the median of at
least --repeats calls and --min-time seconds. Prints recur's time, PyTorch's and the ratio
(PyTorch time / recur time: > 1 means recur is faster), and writes the rows as JSON and the
ratios as an SVG bar chart.

Run both back to back on a quiet machine (scripts/bench-vs-pytorch.sh does):
    build/recur_bench --grid cpu --backends cpu --no-gemm-floor --json runs/bench_cpu.json
    python3 scripts/bench_pytorch.py runs/bench_cpu.json --json runs/bench_pytorch.json \
        --svg runs/bench_pytorch.svg
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import torch

CELLS = {
    "LSTM": lambda I, H, L, bi: torch.nn.LSTM(I, H, L, bidirectional=bi),
    "GRU": lambda I, H, L, bi: torch.nn.GRU(I, H, L, bidirectional=bi),
    "RNN_TANH": lambda I, H, L, bi: torch.nn.RNN(I, H, L, nonlinearity="tanh", bidirectional=bi),
    "RNN_RELU": lambda I, H, L, bi: torch.nn.RNN(I, H, L, nonlinearity="relu", bidirectional=bi),
}


def make_call(row):
    """The timed call of a recur_bench row, in PyTorch."""
    cell, H, I, B, T, L = (row[k] for k in ("cell", "H", "I", "B", "T", "layers"))
    bi = row["direction"] == "bi"
    D = 2 if bi else 1
    rnn = CELLS[cell](I, H, L, bi)
    lstm = cell == "LSTM"
    x = torch.randn(T, B, I)
    h0 = torch.randn(L * D, B, H)
    c0 = torch.randn(L * D, B, H) if lstm else None
    if row["mode"] == "inference":
        def call():
            with torch.no_grad():
                rnn(x, (h0, c0) if lstm else h0)
        return call
    x.requires_grad_()
    h0.requires_grad_()
    wrt = [x, h0] + list(rnn.parameters())
    if lstm:
        c0.requires_grad_()
        wrt.append(c0)
    g_out = torch.randn(T, B, D * H)
    g_h = torch.randn(L * D, B, H)
    g_c = torch.randn(L * D, B, H)

    def call():
        out, state = rnn(x, (h0, c0) if lstm else h0)
        if lstm:
            outputs, grads = [out, state[0], state[1]], [g_out, g_h, g_c]
        else:
            outputs, grads = [out, state], [g_out, g_h]
        torch.autograd.grad(outputs, wrt, grads)
    return call


def median_time(call, warmup, repeats, min_time):
    for _ in range(warmup):
        call()
    times = []
    start = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def label(row):
    return (f"{row['cell']} H{row['H']} I{row['I']} B{row['B']} T{row['T']} L{row['layers']} "
            f"{row['direction']} {row['mode']}")


def write_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".tmp.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def svg_bars(results, title):
    """Horizontal bars of the ratio per row on a log axis, 1 marked."""
    import math
    bar_h, left, width = 18, 330, 420
    top = 40
    height = top + bar_h * len(results) + 50
    lo = min(0.5, min(r["ratio"] for r in results) / 1.5)
    hi = max(2.0, max(r["ratio"] for r in results) * 1.5)
    span = math.log10(hi) - math.log10(lo)

    def x(v):
        return left + width * (math.log10(v) - math.log10(lo)) / span

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" '
           f'height="{height}" font-family="sans-serif" font-size="11">',
           f'<text x="10" y="20" font-size="13">{title}</text>']
    for i, r in enumerate(results):
        y = top + i * bar_h
        colour = "#2ca02c" if r["ratio"] >= 1 else "#d62728"
        out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{label(r)}</text>')
        out.append(f'<rect x="{x(lo):.1f}" y="{y + 2}" width="{x(r["ratio"]) - x(lo):.1f}" '
                   f'height="{bar_h - 5}" fill="{colour}"/>')
        out.append(f'<text x="{x(r["ratio"]) + 4:.1f}" y="{y + 12}">{r["ratio"]:.2f}x</text>')
    base = top + bar_h * len(results)
    out.append(f'<line x1="{x(1):.1f}" y1="{top - 4}" x2="{x(1):.1f}" y2="{base + 4}" '
               f'stroke="black" stroke-dasharray="3,3"/>')
    tick = 10 ** math.floor(math.log10(lo))
    while tick <= hi:
        for m in (1, 2, 5):
            v = tick * m
            if lo <= v <= hi:
                out.append(f'<text x="{x(v):.1f}" y="{base + 18}" text-anchor="middle">{v:g}</text>')
        tick *= 10
    out.append(f'<text x="{left + width / 2}" y="{base + 36}" text-anchor="middle">'
               f'PyTorch time / recur time (log scale; &gt; 1: recur is faster)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("recur_json", help="the file recur_bench --json wrote")
    ap.add_argument("--backend", default="cpu", help="the recur rows to compare (default cpu)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch intra-op threads (default: all cores, as recur uses)")
    ap.add_argument("--warmup", type=int, default=None, help="default: the recur run's")
    ap.add_argument("--repeats", type=int, default=None, help="default: the recur run's")
    ap.add_argument("--min-time", type=float, default=None, help="default: the recur run's")
    ap.add_argument("--json", help="write the comparison rows here")
    ap.add_argument("--svg", help="write a bar chart of the ratios here")
    args = ap.parse_args()

    try:
        with open(args.recur_json) as f:
            bench = json.load(f)
        run, rows = bench["run"], bench["rows"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"bench_pytorch: cannot read recur_bench JSON '{args.recur_json}': {e}")
    if run.get("dtype", "f32").lower() != "f32":
        sys.exit("bench_pytorch: only float32 runs are compared")
    rows = [r for r in rows if r.get("backend") == args.backend and r.get("status") == "ok"]
    if not rows:
        sys.exit(f"bench_pytorch: no timed '{args.backend}' rows in '{args.recur_json}'")
    warmup = args.warmup if args.warmup is not None else run.get("warmup", 1)
    repeats = args.repeats if args.repeats is not None else run.get("repeats", 5)
    min_time = args.min_time if args.min_time is not None else run.get("min_time_s", 0.2)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, float32; recur rows: "
          f"{args.backend} from {args.recur_json}; median of >= {repeats} calls and >= "
          f"{min_time} s after {warmup} warm-up call(s)")
    print(f"{'row':<52} {'recur ms':>10} {'torch ms':>10} {'torch/recur':>12}")
    results = []
    for row in rows:
        seconds, calls = median_time(make_call(row), warmup, repeats, min_time)
        r = dict(row)
        r.update(torch_median_s=seconds, torch_calls=calls, torch_threads=torch.get_num_threads(),
                 ratio=seconds / row["median_s"])
        results.append(r)
        print(f"{label(row):<52} {row['median_s'] * 1e3:>10.4g} {seconds * 1e3:>10.4g} "
              f"{r['ratio']:>11.2f}x", flush=True)
    geo = statistics.geometric_mean([r["ratio"] for r in results])
    print(f"geometric mean of torch/recur over {len(results)} rows: {geo:.2f}x")

    if args.json:
        write_atomic(args.json, json.dumps({"torch": torch.__version__,
                                            "threads": torch.get_num_threads(),
                                            "recur_json": args.recur_json,
                                            "geometric_mean_ratio": geo,
                                            "rows": results}, indent=1) + "\n")
    if args.svg:
        write_atomic(args.svg, svg_bars(results, f"recur {args.backend} vs PyTorch "
                                                 f"{torch.__version__} on the CPU "
                                                 f"({torch.get_num_threads()} threads)"))


if __name__ == "__main__":
    main()
