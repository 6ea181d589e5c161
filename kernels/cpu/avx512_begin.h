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

#if defined(RECUR_AVX512_EMULATED)
// The avx512emu test build (tests/avx512_emu): the intrinsics are SIMDe's, already included,
// and run on any CPU; the region only has to balance avx2_end.h.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("sse2"))), apply_to = function)
#else
#pragma GCC push_options
#endif
#pragma GCC diagnostic push
#else
#if defined(__clang__)
#pragma clang attribute push( \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#endif
// GCC 12's AVX-512 intrinsics start many results from _mm512_undefined_*(), which its
// -Wuninitialized reports wherever they are inlined; popped by avx2_end.h.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>
#endif
