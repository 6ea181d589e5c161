// Opens a region compiled for AVX-512 (F/BW/DQ/VL) + AVX2 + FMA whatever the build's -m flags;
// avx2_end.h closes it (the same pragmas). The rules of avx2_begin.h apply: standard headers
// and shared inline functions before this header, everything inside in an anonymous namespace
// but the entry points, and the code runs only when isa.h's active_isa() is Isa::Avx512.
// Deliberately without an include guard: one region per file, opened once.
#include <cstdint>

#include "kernels/cpu/avx2_path.h"

#if !RECUR_AVX2_PATH
#error "avx512_begin.h included where RECUR_AVX2_PATH is 0"
#endif

#if defined(__clang__)
#pragma clang attribute push( \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#endif

#include <immintrin.h>
