// Forced first (-include) into the AVX-512 kernel files of the avx512emu test build
// (tests/avx512_emu/CMakeLists.txt): their intrinsics become SIMDe's portable implementations,
// so the AVX-512 kernels, exactly as written, run and are tested on a CPU without AVX-512.
// avx512_begin.h sees RECUR_AVX512_EMULATED and neither enables the ISA nor includes
// <immintrin.h>; isa.cpp reports AVX-512 as present (emulated). Test-only: never in librecur.a.
#pragma once

#define RECUR_AVX512_EMULATED 1
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

#include <cmath>
#include <cstdint>
#include <cstring>

// Names SIMDe 0.7.4 (Debian 12) does not alias or implement; a newer SIMDe's win.
typedef simde__mmask16 __mmask16;
#ifndef _MM_FROUND_NO_EXC
#define _MM_FROUND_NO_EXC SIMDE_MM_FROUND_NO_EXC
#endif

#ifndef _mm512_cvtps_epi32
// Round to nearest (the default MXCSR mode), as vcvtps2dq.
inline simde__m512i recur_emu_cvtps_epi32(simde__m512 a) {
  float f[16];
  int32_t r[16];
  std::memcpy(f, &a, sizeof f);
  for (int i = 0; i < 16; ++i) r[i] = static_cast<int32_t>(std::nearbyint(f[i]));
  simde__m512i out;
  std::memcpy(&out, r, sizeof out);
  return out;
}
#define _mm512_cvtps_epi32(a) recur_emu_cvtps_epi32(a)
#endif

#ifndef _mm512_maskz_loadu_ps
// Reads only the lanes in the mask (a masked load never touches the others), zeros the rest.
inline simde__m512 recur_emu_maskz_loadu_ps(simde__mmask16 m, const void* p) {
  float r[16] = {};
  const float* src = static_cast<const float*>(p);
  for (int i = 0; i < 16; ++i) {
    if ((m >> i) & 1) r[i] = src[i];
  }
  simde__m512 out;
  std::memcpy(&out, r, sizeof out);
  return out;
}
#define _mm512_maskz_loadu_ps(m, p) recur_emu_maskz_loadu_ps(m, p)
#endif

#ifndef _mm512_mask_storeu_ps
// Writes only the lanes in the mask.
inline void recur_emu_mask_storeu_ps(void* p, simde__mmask16 m, simde__m512 v) {
  float r[16];
  std::memcpy(r, &v, sizeof r);
  float* dst = static_cast<float*>(p);
  for (int i = 0; i < 16; ++i) {
    if ((m >> i) & 1) dst[i] = r[i];
  }
}
#define _mm512_mask_storeu_ps(p, m, v) recur_emu_mask_storeu_ps(p, m, v)
#endif
