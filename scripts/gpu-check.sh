#!/usr/bin/env bash
# gpu-check.sh — everything recur can check on a machine with an NVIDIA GPU, in one command:
# the device (nvidia-smi), every test executable (the GPU tests included, which skip on machines
# without a GPU), `recur check` of the cuda and cudnn backends against cpu-ref, and the GPU
# benchmark; then a short summary. Exit status 0 only when everything passed.
#
#   scripts/gpu-check.sh [--build DIR] [--phase all|tests|check|bench] [--quick] [--out DIR]
#   scripts/gpu-check.sh --pack      (on a build machine: make a build to carry to the GPU one)
#
# Which build it uses, first match wins:
#   --build DIR                an existing build folder;
#   build-gpu/                 a carried build folder (extracted first from
#                              build-pack/build-gpu.tar.xz when only the archive is there);
#   otherwise it configures and builds build-gpu-src/ here (needs fmt, OpenBLAS and GoogleTest
#   headers/libraries, which GPU machines often lack: then it says so and stops).
#
# The GPU machine (CUDA toolkit, CMake, ninja, no internet, probably no libfmt-dev,
# libopenblas-dev or GoogleTest) is best given a build made on the build machine:
#
#   1. here:  scripts/gpu-check.sh --pack
#      builds build-gpu/ (Release, sm_90 + PTX, libstdc++/libgcc linked statically, stripped),
#      copies the shared libraries the binaries need that a GPU machine may lack (libopenblas,
#      libgfortran, libquadmath; not cuBLAS/cuDNN, which come with its CUDA install) into
#      build-gpu/lib/, and packs what the checks run into build-pack/build-gpu.tar.xz (about
#      30 MiB: under the device tool's 64 MiB carry limit, where build-gpu/ itself is not;
#      build* folders are git-ignored, so the archive must be carried).
#   2. with the device tool, from the repository root:
#        run(command="scripts/gpu-check.sh", carry=["build-pack"])
#      A run is limited to 10 minutes: if the whole check does not fit, run it in phases, e.g.
#        run(command="scripts/gpu-check.sh --phase tests", carry=["build-pack"])
#        run(command="scripts/gpu-check.sh --phase check,bench", carry=["build-pack"])
#      The log (gpu-check.log) and the benchmark's JSON and SVG are written to $OUT when the
#      device tool sets it (else to --out DIR, default build-gpu-out/), so they come back.
#
# Absolute paths: test executables have the build machine's source and build paths compiled
# in (fixtures, the `recur` binary they spawn). When the carried build's recorded source
# folder does not exist here, the script links it to this checkout (as root on the device
# machine that works); the tests are run as executables, not through ctest, whose files also
# hold the build machine's paths (and its cmake's).
#
# Environment: RECUR_BENCH_BACKENDS (default cuda,cudnn; add cpu for the CPU column — slow on
# the GPU grid), RECUR_BENCH_GRID (default gpu), RECUR_BENCH_PERSISTENT (default 1: the
# persistent kernel's rows against every cuDNN algorithm), RECUR_TEST_TIMEOUT (seconds per test
# executable, default 600), RECUR_BENCH_TIMEOUT (default 300), JOBS (build parallelism).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

build_dir=""
phases="all"
quick=0
pack=0
out_dir="${OUT:-$repo/build-gpu-out}"
archive="$repo/build-pack/build-gpu.tar.xz"
while (($#)); do
  case "$1" in
    --build) build_dir="$2"; shift 2 ;;
    --build=*) build_dir="${1#*=}"; shift ;;
    --phase) phases="$2"; shift 2 ;;
    --phase=*) phases="${1#*=}"; shift ;;
    --out) out_dir="$2"; shift 2 ;;
    --out=*) out_dir="${1#*=}"; shift ;;
    --quick) quick=1; shift ;;
    --pack) pack=1; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

# ---------------------------------------------------------------------------------------------
# --pack: build here and bundle for the GPU machine
# ---------------------------------------------------------------------------------------------
if ((pack)); then
  set -e
  b="$repo/build-gpu"
  echo "gpu-check --pack: configuring $b"
  cmake -S "$repo" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRECUR_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DRECUR_BENCH=ON \
    "-DCMAKE_EXE_LINKER_FLAGS=-static-libstdc++ -static-libgcc -s" >/dev/null
  echo "gpu-check --pack: building with $jobs jobs"
  cmake --build "$b" -j "$jobs"
  bins=("$b/recur")
  [[ -x "$b/recur_bench" ]] && bins+=("$b/recur_bench")
  while IFS= read -r t; do bins+=("$t"); done < <(find "$b/tests" -maxdepth 1 -type f -name 'test_*' -perm -u+x | sort)
  rm -rf "${b:?}/lib" && mkdir -p "$b/lib"
  # Bundle every shared library outside glibc, the compiler's runtime (libstdc++ and libgcc_s
  # are linked statically into recur's binaries; cuBLAS and cuDNN load the machine's own), the
  # CUDA toolkit and the GPU driver.
  for bin in "${bins[@]}"; do ldd "$bin"; done | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u |
    while read -r name path; do
      case "$name" in
        libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libstdc++.so*|libgcc_s.so*) ;;
        libcuda.so*|libcublas*|libcudnn*|libnvrtc*) ;;
        *) cp -L "$path" "$b/lib/$name"; echo "gpu-check --pack: bundled $name" ;;
      esac
    done
  rel=()
  for bin in "${bins[@]}"; do rel+=("build-gpu/${bin#"$b/"}"); done
  rel+=("build-gpu/lib" "build-gpu/CMakeCache.txt")
  echo "gpu-check --pack: packing ${#bins[@]} executables into $archive"
  mkdir -p "$(dirname "$archive")"
  tar -C "$repo" -cf - "${rel[@]}" | xz -T0 -6 >"$archive"
  size=$(stat -c %s "$archive")
  echo "gpu-check --pack: $archive is $((size / 1048576)) MiB; carry build-pack"
  if ((size > 48 * 1048576)); then
    echo "gpu-check --pack: warning: with the working tree this may exceed the device tool's 64 MiB" >&2
  fi
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------
mkdir -p "$out_dir"
log="$out_dir/gpu-check.log"
: >"$log"
say() { echo "$@" | tee -a "$log"; }
section() { say ""; say "== $* =="; }
want() { [[ ",$phases," == *",all,"* || ",$phases," == *",$1,"* ]]; }

summary=()
failures=0
note() { summary+=("$1"); }
fail() { summary+=("$1"); failures=$((failures + 1)); }

section "device"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi 2>&1 | tee -a "$log"
  gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)
  note "device: ${gpu:-unknown (nvidia-smi gave no GPU)}"
else
  say "gpu-check: nvidia-smi not found: this machine may have no NVIDIA driver (GPU tests will skip)"
  note "device: none found (no nvidia-smi)"
fi

section "build"
if [[ -z "$build_dir" ]]; then
  if [[ ! -x build-gpu/recur && -f "$archive" ]]; then
    say "extracting $archive"
    tar -xJf "$archive" -C "$repo" || { say "gpu-check: cannot extract $archive"; exit 1; }
  fi
  if [[ -x build-gpu/recur ]]; then
    build_dir="$repo/build-gpu"
    say "using the carried build $build_dir"
  else
    build_dir="$repo/build-gpu-src"
    say "no carried build: configuring and building $build_dir here"
    if ! cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DRECUR_BENCH=ON >>"$log" 2>&1; then
      say "gpu-check: cannot configure recur here (see $log: fmt, OpenBLAS and GoogleTest are needed);"
      say "           make a build on a build machine with 'scripts/gpu-check.sh --pack' and carry build-pack"
      exit 1
    fi
    if ! cmake --build "$build_dir" -j "$jobs" >>"$log" 2>&1; then
      say "gpu-check: the build failed (the last lines of $log):"
      tail -n 30 "$log"
      exit 1
    fi
  fi
fi
build_dir=$(cd "$build_dir" && pwd)
[[ -x "$build_dir/recur" ]] || { say "gpu-check: $build_dir/recur does not exist"; exit 1; }

# Shared libraries: the bundled ones first, then the CUDA toolkit's.
for d in "$build_dir/lib" /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d "$d" ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
missing=$(ldd "$build_dir/recur" 2>&1 | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
if [[ -n "$missing" ]]; then
  say "gpu-check: the binaries cannot start: missing shared libraries: $missing"
  exit 1
fi

# The source and build folders compiled into the test executables (see the header).
cache="$build_dir/CMakeCache.txt"
if [[ -f "$cache" ]]; then
  baked_src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$cache")
  baked_bin=$(sed -n 's/^CMAKE_CACHEFILE_DIR:INTERNAL=//p' "$cache")
  if [[ -n "$baked_src" && ! -e "$baked_src" ]]; then
    if mkdir -p "$(dirname "$baked_src")" 2>/dev/null && ln -s "$repo" "$baked_src" 2>/dev/null; then
      say "linked $baked_src -> $repo (the source folder the tests were built with)"
    else
      say "gpu-check: warning: cannot create $baked_src; tests that read fixtures or run the CLI may fail"
    fi
  fi
  if [[ -n "$baked_bin" && ! -e "$baked_bin/recur" ]]; then
    say "gpu-check: warning: $baked_bin/recur (compiled into the CLI tests) does not exist here"
  fi
fi

"$build_dir/recur" info 2>&1 | tee -a "$log"

# ---------------------------------------------------------------------------------------------
if want tests; then
  section "tests"
  tests_passed=0 tests_failed=0 tests_skipped=0 crashed=()
  skipped_names=()
  test_timeout="${RECUR_TEST_TIMEOUT:-600}"
  while IFS= read -r t; do
    name=$(basename "$t")
    tlog=$(mktemp)
    start=$(date +%s%N)
    timeout "$test_timeout" "$t" --gtest_color=no >"$tlog" 2>&1
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$tlog" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$tlog" | tail -n 1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$tlog" | tail -n 1)
    p=${p:-0} f=${f:-0} s=${s:-0}
    tests_passed=$((tests_passed + p)); tests_failed=$((tests_failed + f)); tests_skipped=$((tests_skipped + s))
    while IFS= read -r line; do skipped_names+=("$line"); done < <(sed -n 's/^\[  SKIPPED \] \([A-Za-z_0-9./]*\)$/\1/p' "$tlog" | sort -u)
    status="ok"
    if ((rc != 0)) && ((f == 0)); then
      status="CRASHED (exit $rc$( ((rc == 124)) && echo ", timed out after ${test_timeout}s"))"
      crashed+=("$name")
    elif ((f > 0)); then
      status="FAILED"
    fi
    printf '%-36s %4d passed %3d failed %3d skipped %5d.%d s  %s\n' "$name" "$p" "$f" "$s" \
      $((ms / 1000)) $((ms % 1000 / 100)) "$status" | tee -a "$log"
    if [[ "$status" != "ok" ]]; then
      say "---- $name output (failures) ----"
      grep -E '^\[  FAILED  \]|Failure|error|Expected|Which is|rel error|got |Skipped' "$tlog" | head -n 60 | tee -a "$log"
      tail -n 15 "$tlog" | tee -a "$log"
    fi
    rm -f "$tlog"
  done < <(find "$build_dir/tests" -maxdepth 1 -type f -name 'test_*' -perm -u+x | sort)
  say "(the ctest-only install_consumer test, which configures a downstream project, is not run here)"
  line="tests: $tests_passed passed, $tests_failed failed, $tests_skipped skipped"
  ((${#crashed[@]})) && line+=", crashed: ${crashed[*]}"
  if ((tests_failed > 0 || ${#crashed[@]} > 0)); then fail "$line"; else note "$line"; fi
  if ((${#skipped_names[@]})); then
    say "skipped tests (on a GPU machine only the no-GPU checks should skip):"
    printf '  %s\n' "${skipped_names[@]}" | tee -a "$log"
  fi
fi

# ---------------------------------------------------------------------------------------------
if want check; then
  section "recur check"
  check_args=()
  ((quick)) && check_args+=(--quick)
  for run in cuda:f32 cuda:f64 cudnn:f32; do
    backend=${run%:*} dtype=${run#*:}
    say "-- recur check --backend $backend --dtype $dtype ${check_args[*]:-}"
    clog=$(mktemp)
    "$build_dir/recur" check --backend "$backend" --dtype "$dtype" ${check_args[@]+"${check_args[@]}"} >"$clog" 2>&1
    rc=$?
    cat "$clog" >>"$log"
    result=$(grep -E '^[0-9]+ configurations:' "$clog" | tail -n 1)
    [[ -z "$result" ]] && result=$(tail -n 1 "$clog")
    grep -E 'FAIL|error' "$clog" | head -n 20
    echo "$result"
    if ((rc == 0)); then
      note "check $backend $dtype: $result"
    else
      fail "check $backend $dtype: FAILED ($result)"
    fi
    rm -f "$clog"
  done
fi

# ---------------------------------------------------------------------------------------------
if want bench; then
  section "benchmark"
  bench="$build_dir/recur_bench"
  if [[ ! -x "$bench" ]]; then
    say "recur_bench is not in $build_dir (built only with RECUR_BENCH=ON and a bench/ folder): skipped"
    note "bench: not built, skipped"
  else
    grid="${RECUR_BENCH_GRID:-gpu}"
    ((quick)) && grid=quick
    backends="${RECUR_BENCH_BACKENDS:-cuda,cudnn}"
    say "-- recur_bench --grid $grid --backends $backends"
    timeout "${RECUR_BENCH_TIMEOUT:-300}" "$bench" --grid "$grid" --backends "$backends" --no-progress \
      --json "$out_dir/bench-$grid.json" --svg "$out_dir/bench-$grid.svg" 2>&1 | tee -a "$log"
    rc=${PIPESTATUS[0]}
    case $rc in
      0) note "bench ($grid, $backends): ok, rows in $out_dir/bench-$grid.json" ;;
      3) fail "bench ($grid, $backends): some rows failed (see the table)" ;;
      124) fail "bench ($grid, $backends): timed out after ${RECUR_BENCH_TIMEOUT:-300}s (partial JSON kept)" ;;
      *) fail "bench ($grid, $backends): exit $rc" ;;
    esac
    # The persistent kernel (issue 16) beside the step path and every cuDNN algorithm, at the
    # performance model's points (docs/PERFORMANCE.md): LSTM and GRU, H {128..1536} x
    # B {1, 4, 16, 64}, T 100, inference (rows cuDNN or the kernel declines are skipped with
    # the reason). RECUR_BENCH_PERSISTENT=0 leaves it out.
    if [[ "${RECUR_BENCH_PERSISTENT:-1}" != 0 ]]; then
      shapes=""
      for cell in LSTM GRU; do
        for H in 128 256 512 1024 1536; do
          for B in 1 4 16 64; do shapes+="${shapes:+;}$cell,$H,$H,$B,100"; done
        done
      done
      ((quick)) && shapes="LSTM,256,256,4,100;GRU,256,256,4,100"
      pbackends="cudnn,cudnn-static,cudnn-small-h,cudnn-dynamic,cuda,cuda-step,cuda-persist,cuda-bf16"
      say "-- recur_bench --shape <the model's points> --backends $pbackends"
      timeout "${RECUR_BENCH_TIMEOUT:-300}" "$bench" --shape "$shapes" --backends "$pbackends" \
        --no-progress --json "$out_dir/bench-persistent.json" 2>&1 | tee -a "$log"
      rc=${PIPESTATUS[0]}
      case $rc in
        0) note "bench (persistent): ok, rows in $out_dir/bench-persistent.json" ;;
        3) fail "bench (persistent): some rows failed (see the table)" ;;
        124) fail "bench (persistent): timed out after ${RECUR_BENCH_TIMEOUT:-300}s (partial JSON kept)" ;;
        *) fail "bench (persistent): exit $rc" ;;
      esac
    fi
  fi
fi

section "summary"
for line in "${summary[@]}"; do say "  $line"; done
if ((failures == 0)); then
  say "gpu-check: PASS"
  exit 0
fi
say "gpu-check: FAIL ($failures step(s) failed; log: $log)"
exit 1
