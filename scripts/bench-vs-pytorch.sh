#!/usr/bin/env bash
# recur's cpu backend and PyTorch on the CPU, back to back on the same shapes:
# recur_bench writes its rows as JSON, then scripts/bench_pytorch.py times PyTorch on each.
#
#   scripts/bench-vs-pytorch.sh [GRID] [OUTDIR]     (GRID: quick | cpu, default cpu;
#                                                    OUTDIR default runs/bench-vs-pytorch)
#
# Needs build/recur_bench (cmake --preset release && cmake --build --preset release) and a
# python3 with torch (Debian: python3-torch). Run it on a quiet machine; for steadier numbers
# prefix it with `chrt -f 10` (root), as docs/PERFORMANCE.md does.
set -euo pipefail
cd "$(dirname "$0")/.."
grid=${1:-cpu}
out=${2:-runs/bench-vs-pytorch}
[[ -x build/recur_bench ]] || { echo "bench-vs-pytorch: build/recur_bench is missing; build first" >&2; exit 1; }
# $PYTHON, else the first of python3 and Debian's /usr/bin/python3 that has torch.
python=
for candidate in ${PYTHON:-python3 /usr/bin/python3}; do
  if "$candidate" -c "import torch" 2>/dev/null; then python=$candidate; break; fi
done
[[ -n $python ]] || { echo "bench-vs-pytorch: no python3 with torch (set PYTHON)" >&2; exit 1; }
mkdir -p "$out"
build/recur_bench --grid "$grid" --backends cpu --no-gemm-floor --json "$out/recur.json" \
  | tee "$out/recur.txt"
"$python" scripts/bench_pytorch.py "$out/recur.json" --json "$out/pytorch.json" \
  --svg "$out/ratios.svg" | tee "$out/pytorch.txt"
