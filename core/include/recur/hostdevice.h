// RECUR_HOST_DEVICE marks functions shared by host code and CUDA kernels, without making any
// public header depend on CUDA: outside nvcc it expands to nothing.
#pragma once

#if defined(__CUDACC__)
#define RECUR_HOST_DEVICE __host__ __device__
#else
#define RECUR_HOST_DEVICE
#endif
