#!/usr/bin/env bash
# Installs what recur needs to build and test, from Debian's packages, when it is missing.
# The CUDA toolkit is expected in /usr/local/cuda (without it, recur builds CPU-only).
set -euo pipefail

# clang-14 + libclang-rt-14-dev: the libFuzzer target of tests/fuzz (the fuzz_checkpoint test).
# libdnnl-dev: the onednn comparison backend; libsimde-dev: the AVX-512 kernels tested on
# SIMDe where the CPU lacks AVX-512 (tests/avx512_emu). The Python package's extension
# (python3-dev, pybind11-dev) and its tests (numpy, torch with gloo, pytest: all for Debian's
# /usr/bin/python3, which the tests run on).
packages=(cmake ninja-build g++ make pkg-config libfmt-dev libopenblas-dev googletest libgtest-dev
          libbenchmark-dev libdnnl-dev libsimde-dev python3 clang-14 libclang-rt-14-dev python3-dev
          pybind11-dev python3-numpy python3-torch python3-pytest)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
if [[ -x /usr/local/cuda/bin/nvcc ]]; then
  echo "install-deps: $(/usr/local/cuda/bin/nvcc --version | tail -n 2 | head -n 1)"
else
  echo "install-deps: no CUDA toolkit in /usr/local/cuda; the CUDA backends will not be built"
fi
