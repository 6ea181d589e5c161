// The vector instruction set recur's `cpu` backend runs on this machine (detected once per
// process from CPUID and the OS's enabled register state; RECUR_CPU_ISA=scalar|avx2|avx512
// forces a path the machine has). Defined with the cpu backend (kernels/cpu/isa.cpp).
#pragma once

#include <string>

namespace recur {

// "scalar", "avx2" or "avx512"; throws recur::Error when RECUR_CPU_ISA is unknown or asks for
// a path the machine lacks.
std::string cpu_isa();
// The path in use, what the machine has, and the override when set, in one line.
std::string cpu_isa_description();
// The CPUID brand string ("AMD EPYC 9B45 ..."), or "unknown".
std::string cpu_model();

}  // namespace recur
