// Closes the AVX2 + FMA (or AVX-512) region opened by avx2_begin.h (avx512_begin.h).
#pragma GCC diagnostic pop
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
