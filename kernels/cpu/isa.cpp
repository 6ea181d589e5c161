#include "kernels/cpu/isa.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "recur/cpu_isa.h"
#include "recur/error.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define RECUR_X86_CPUID 1
#else
#define RECUR_X86_CPUID 0
#endif

namespace recur::cpu {
namespace {

#if RECUR_X86_CPUID
bool bit(unsigned v, int b) {
  return ((v >> b) & 1u) != 0;
}

uint64_t xgetbv0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
  const unsigned max_leaf = a;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool fma = bit(c, 12), osxsave = bit(c, 27), avx = bit(c, 28);
  // XCR0: bits 1-2 SSE/AVX state (YMM), 5-7 opmask and the upper ZMM registers.
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6, os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    const bool avx2 = bit(b, 5);
    f.avx2_fma = avx && avx2 && fma && os_ymm;
    const bool f512 = bit(b, 16), dq = bit(b, 17), bw = bit(b, 30), vl = bit(b, 31);
    f.avx512 = f.avx2_fma && os_zmm && f512 && dq && bw && vl;
    f.avx512_vnni = f.avx512 && bit(c, 11);
    const unsigned max_sub = a;
    if (max_sub >= 1) {
      __cpuid_count(7, 1, a, b, c, d);
      f.avx512_bf16 = f.avx512 && bit(a, 5);
    }
  }
  unsigned brand[12] = {};
  if (__get_cpuid(0x80000000u, &a, &b, &c, &d) && a >= 0x80000004u) {
    for (unsigned i = 0; i < 3; ++i)
      __get_cpuid(0x80000002u + i, &brand[4 * i], &brand[4 * i + 1], &brand[4 * i + 2],
                  &brand[4 * i + 3]);
    char text[49] = {};
    std::memcpy(text, brand, 48);
    f.model = text;
    while (!f.model.empty() && f.model.back() == ' ') f.model.pop_back();
  }
#if defined(RECUR_AVX512_EMULATED)
  // The avx512emu test build (tests/avx512_emu): the AVX-512 kernels run on SIMDe.
  f.avx512 = f.avx2_fma;
  f.model += " (AVX-512 emulated by SIMDe: test build)";
#endif
  return f;
}
#else
CpuFeatures detect() {
  return {};
}
#endif

Isa parse_isa(std::string_view s) {
  if (s == "scalar") return Isa::Scalar;
  if (s == "avx2") return Isa::Avx2;
  if (s == "avx512") return Isa::Avx512;
  RECUR_FAIL("RECUR_CPU_ISA='{}': expected scalar, avx2 or avx512", s);
}

// -1: not chosen yet.
std::atomic<int> g_active{-1};

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
  }
  return "?";
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

Isa best_isa() {
  const CpuFeatures& f = cpu_features();
  return f.avx512 ? Isa::Avx512 : f.avx2_fma ? Isa::Avx2 : Isa::Scalar;
}

bool isa_supported(Isa isa, std::string* why) {
  if (isa <= best_isa()) return true;
  if (why) {
    *why = isa == Isa::Avx512
               ? "this CPU (or its OS) lacks AVX-512 F/BW/DQ/VL with ZMM state enabled"
               : "this CPU (or its OS) lacks AVX2 + FMA with YMM state enabled";
  }
  return false;
}

void set_active_isa(Isa isa) {
  std::string why;
  RECUR_CHECK(isa_supported(isa, &why), "cpu ISA {}: {}", isa_name(isa), why);
  g_active.store(static_cast<int>(isa), std::memory_order_relaxed);
}

Isa active_isa() {
  const int v = g_active.load(std::memory_order_relaxed);
  if (v >= 0) return static_cast<Isa>(v);
  const char* env = std::getenv("RECUR_CPU_ISA");
  if (env == nullptr || *env == '\0') {
    g_active.store(static_cast<int>(best_isa()), std::memory_order_relaxed);
    return best_isa();
  }
  const Isa want = parse_isa(env);
  std::string why;
  RECUR_CHECK(isa_supported(want, &why), "RECUR_CPU_ISA={}: {}", env, why);
  g_active.store(static_cast<int>(want), std::memory_order_relaxed);
  return want;
}

std::string isa_description() {
  const CpuFeatures& f = cpu_features();
  std::string has;
  if (f.avx512) {
    has = "AVX-512 F/BW/DQ/VL";
    if (f.avx512_vnni) has += ", VNNI";
    if (f.avx512_bf16) has += ", BF16";
    has += "; ";
  }
  has += f.avx2_fma ? "AVX2+FMA" : "no AVX2+FMA";
  std::string active;
  try {
    active = isa_name(active_isa());
  } catch (const Error& e) {
    active = fmt::format("none ({})", e.what());
  }
  const char* env = std::getenv("RECUR_CPU_ISA");
  const std::string how = env && *env ? fmt::format(", RECUR_CPU_ISA={}", env) : "";
  return fmt::format("{} (machine: {}{})", active, has, how);
}

}  // namespace recur::cpu

namespace recur {

std::string cpu_isa() {
  return cpu::isa_name(cpu::active_isa());
}

std::string cpu_isa_description() {
  return cpu::isa_description();
}

std::string cpu_model() {
  const std::string& m = cpu::cpu_features().model;
  return m.empty() ? "unknown" : m;
}

}  // namespace recur
