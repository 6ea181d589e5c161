// Opens a region compiled for AVX2 + FMA whatever the build's -m flags; avx2_end.h closes it.
// The library is built for baseline x86-64, so only these regions use AVX2, and their code runs
// only after a run-time check (isa.h). Rules for a region:
// - include standard headers and any header whose inline functions other code also uses
//   *before* this one, so that no such function is compiled for AVX2 (the linker could pick
//   that copy for code that runs on any CPU);
// - put everything in it in an anonymous namespace, except the entry points.
// Deliberately without an include guard: one region per file, opened once.
#include <cstdint>

#include "kernels/cpu/avx2_path.h"

#if !RECUR_AVX2_PATH
#error "avx2_begin.h included where RECUR_AVX2_PATH is 0"
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#pragma GCC diagnostic push  // popped by avx2_end.h, as avx512_begin.h's

#include <immintrin.h>

namespace recur::cpu {
namespace {

// Mask of the first n <= 8 lanes of a 256-bit vector of 32-bit elements.
[[maybe_unused]] inline __m256i first_lanes(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace
}  // namespace recur::cpu
