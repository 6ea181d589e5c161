// The CPU's vector instruction sets, found once per process from CPUID and the state the OS
// enables (XGETBV), and the one recur's `cpu` kernels use. The environment variable
// RECUR_CPU_ISA (scalar | avx2 | avx512) forces a path the machine has, e.g. AVX2 or scalar on
// an AVX-512 machine; asking for one it lacks, or an unknown name, is an error at the first
// call that needs the ISA.
#pragma once

#include <cstdint>
#include <string>

namespace recur::cpu {

// Ordered: a path needs at least its level.
enum class Isa : uint8_t { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char* isa_name(Isa isa);  // "scalar", "avx2", "avx512"

struct CpuFeatures {
  bool avx2_fma = false;     // AVX2 + FMA with YMM state enabled by the OS
  bool avx512 = false;       // AVX-512 F, BW, DQ and VL with ZMM and opmask state enabled
  bool avx512_vnni = false;  // recorded for a later lower-precision path
  bool avx512_bf16 = false;  // likewise
  std::string model;         // the CPUID brand string
};

// Detected once (thread-safe).
const CpuFeatures& cpu_features();
// The best path the machine has.
Isa best_isa();
// Whether the machine can run `isa`, and if not why (for test skips and errors).
bool isa_supported(Isa isa, std::string* why = nullptr);
// The path in use: RECUR_CPU_ISA when set (checked), else best_isa(); tests may replace it
// with set_active_isa. Cheap (an atomic load after the first call).
Isa active_isa();
// Forces `isa` for this process (throws recur::Error when the machine lacks it). Tests use it
// to cover every path; calls already running keep the path they started with.
void set_active_isa(Isa isa);
// "avx512 (AVX-512 F/BW/DQ/VL, VNNI, BF16; AVX2+FMA), forced by RECUR_CPU_ISA=avx2" and the like.
std::string isa_description();

}  // namespace recur::cpu
