// Whether this compiler and architecture have recur's AVX2 + FMA kernels (x86-64 with GCC or
// Clang). Where they do, a kernel file compiles its vector code between avx2_begin.h and
// avx2_end.h; elsewhere it provides stubs that are never called (isa.h never selects AVX2 there).
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RECUR_AVX2_PATH 1
#else
#define RECUR_AVX2_PATH 0
#endif
