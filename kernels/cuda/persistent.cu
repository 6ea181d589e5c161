// The persistent kernels (persistent.h): one cooperative grid runs a direction's whole time loop.
// Block k owns the hidden units j in [j0, j0 + n), j0 = k*S, across all G gates, so that the
// gate math of its units needs nothing from other blocks; its slice of W_hh is loaded into shared
// memory once and stays there for all T steps. Per step:
//
//   forward   the block's rows of h_{t-1} · W_hh^T (h_{t-1} read from global memory / L2),
//             added onto the step's input projection in place (RNN, LSTM) or written to hproj
//             (GRU), as the step path's GEMM does; __syncthreads; the cell's
//             per-unit body (step::unit, kernels/common/cell_step.h — the step path's own code)
//             for its units, writing h_t (and c_t, the saved activations); one grid barrier.
//   backward  the per-unit backward body for its units (dG_t of its gate columns, dc, GRU's
//             direct dh path); one grid barrier; then dh_{t-1} of its units = dG_t (all G*H
//             columns, from global memory) against its S columns of W_hh, added to the direct
//             path for GRU as the step path's beta = 1 GEMM does; __syncthreads.
//
// Every dot product is summed in a fixed order (block_dots), so repeated runs give the same bits.
// The per-step pointers come from fused::forward_context / backward_context, the driver's own
// rules, so the saved layout is the step path's and either backward follows either forward.
#include <cooperative_groups.h>
#include <cuda_bf16.h>

#include "kernels/common/cell_step.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/persistent.h"

namespace recur::cuda {
namespace {

namespace cg = cooperative_groups;

__device__ inline int64_t round_up_32(int64_t n) {
  return (n + 31) / 32 * 32;
}

// The on-chip element type of W_hh: float, or bfloat16 (PersistentShape::bf16), which also
// rounds the vector a dot product reads (h_{t-1}, dG_t) to bfloat16; sums stay float.
template <class W>
struct OnChip;
template <>
struct OnChip<float> {
  __device__ static float store(float v) { return v; }
  __device__ static float load(float v) { return v; }
  __device__ static float vec(float v) { return v; }
};
template <>
struct OnChip<__nv_bfloat16> {
  __device__ static __nv_bfloat16 store(float v) { return __float2bfloat16(v); }
  __device__ static float load(__nv_bfloat16 v) { return __bfloat162float(v); }
  __device__ static float vec(float v) { return __bfloat162float(__float2bfloat16(v)); }
};

// Bytes of the weights region, rounded up so that the float sums after it are aligned.
__device__ inline int64_t weights_bytes(int64_t elems, int64_t elem_bytes) {
  return (elems * elem_bytes + 15) / 16 * 16;
}

// The block's dot products: out(item, sum_i row(item)[i] * vec(item)[i], i < len) for every
// item < items. Each dot product is split over P threads (P parts of lane-strided partial
// sums, P = 1 when there are at least as many items as threads), the parts added in a fixed
// order by one thread per item: the same bits on every run. `partial` is kPersistentThreads
// floats of shared memory. Called by every thread of the block (it may __syncthreads).
template <class W, class Row, class Vec, class Out>
__device__ inline void block_dots(int64_t items, int64_t len, float* partial, const Row& row,
                                  const Vec& vec, const Out& out) {
  int64_t P = kPersistentThreads / items;  // threads per dot product, 1 to 32
  P = P < 1 ? 1 : P > 32 ? 32 : P;
  for (int64_t q = threadIdx.x; q < items * P; q += blockDim.x) {
    const int64_t item = q / P, part = q - item * P;
    const W* w = row(item);
    const float* x = vec(item);
    float acc = 0.0f;
    for (int64_t i = part; i < len; i += P) acc += OnChip<W>::load(w[i]) * OnChip<W>::vec(x[i]);
    if (P == 1) {
      out(item, acc);
    } else {
      partial[q] = acc;
    }
  }
  if (P == 1) return;
  __syncthreads();
  for (int64_t item = threadIdx.x; item < items; item += blockDim.x) {
    float acc = 0.0f;
    for (int64_t part = 0; part < P; ++part) acc += partial[item * P + part];
    out(item, acc);
  }
}

// Runs `body(b, j)` for the block's units: b < B, j in [j0, j0 + n).
template <class Body>
__device__ inline void for_block_units(int64_t B, int64_t j0, int64_t n, Body&& body) {
  for (int64_t u = threadIdx.x; u < B * n; u += blockDim.x) {
    const int64_t b = u / n;
    body(b, j0 + (u - b * n));
  }
}

template <Cell C>
__device__ inline void forward_units(const step::ForwardContext<float>& c, int64_t j0, int64_t n) {
  const step::ScalarIo<float> io;
  if constexpr (C == Cell::LSTM) {
    const auto st = step::make_lstm_forward(c);
    for_block_units(c.B, j0, n, [&](int64_t b, int64_t j) { step::unit(st, b, j, io); });
  } else if constexpr (C == Cell::GRU) {
    const auto st = step::make_gru_forward(c);
    for_block_units(c.B, j0, n, [&](int64_t b, int64_t j) { step::unit(st, b, j, io); });
  } else {
    static_assert(C == Cell::RNN_TANH || C == Cell::RNN_RELU, "a cell the kernels do not know");
    const auto st = step::make_rnn_forward(c, C == Cell::RNN_RELU);
    for_block_units(c.B, j0, n, [&](int64_t b, int64_t j) { step::unit(st, b, j, io); });
  }
}

template <Cell C>
__device__ inline void backward_units(const step::BackwardContext<float>& c, int64_t j0,
                                      int64_t n) {
  const step::ScalarIo<float> io;
  if constexpr (C == Cell::LSTM) {
    const auto st = step::make_lstm_backward(c);
    for_block_units(c.B, j0, n, [&](int64_t b, int64_t j) { step::unit(st, b, j, io); });
  } else if constexpr (C == Cell::GRU) {
    const auto st = step::make_gru_backward(c);
    for_block_units(c.B, j0, n, [&](int64_t b, int64_t j) { step::unit(st, b, j, io); });
  } else {
    static_assert(C == Cell::RNN_TANH || C == Cell::RNN_RELU, "a cell the kernels do not know");
    const auto st = step::make_rnn_backward(c, C == Cell::RNN_RELU);
    for_block_units(c.B, j0, n, [&](int64_t b, int64_t j) { step::unit(st, b, j, io); });
  }
}

// Dynamic shared memory: w [G*S, roundup(H, 32)], row k*S + jl = W_hh row k*H + j0 + jl, then
// kPersistentThreads floats for block_dots.
template <Cell C, class W>
__global__ void __launch_bounds__(kPersistentThreads)
    persistent_forward_kernel(const fused::FusedForward<float> f, const int64_t S) {
  RECUR_DYNAMIC_SHARED(unsigned char, smem);
  W* const w = reinterpret_cast<W*>(smem);
  const int64_t B = f.B, H = f.H, G = f.G, GH = G * H, ldw = round_up_32(H);
  const int64_t j0 = static_cast<int64_t>(blockIdx.x) * S;
  const int64_t n = S < H - j0 ? S : H - j0;
  for (int64_t e = threadIdx.x; e < G * n * H; e += blockDim.x) {
    const int64_t r = e / H, i = e - r * H;  // r = k*n + jl
    const int64_t k = r / n, jl = r - k * n;
    w[(k * S + jl) * ldw + i] = OnChip<W>::store(f.w_hh[(k * H + j0 + jl) * H + i]);
  }
  __syncthreads();

  float* partial = reinterpret_cast<float*>(smem + weights_bytes(G * S * ldw, sizeof(W)));
  const cg::grid_group grid = cg::this_grid();
  for (int64_t s = 0; s < f.T; ++s) {
    const step::ForwardContext<float> c = fused::forward_context(f, s);
    // Where the product goes: onto this step's rows of xproj, or into hproj (GRU). Item
    // (b, k, jl) is unit j0 + jl's gate k of batch row b.
    float* sum = f.apart ? f.hproj : f.xproj + fused::step_time(f.T, f.dir, s) * B * GH;
    const int64_t Gn = G * n;
    block_dots<W>(
        B * Gn, H, partial,
        [&](int64_t item) {
          const int64_t r = item % Gn, k = r / n;
          return w + (k * S + r - k * n) * ldw;
        },
        [&](int64_t item) { return c.h_prev + item / Gn * c.ldhp; },
        [&](int64_t item, float acc) {
          const int64_t b = item / Gn, r = item - b * Gn, k = r / n;
          float* o = sum + b * GH + k * H + j0 + (r - k * n);
          *o = f.apart ? acc : *o + acc;
        });
    __syncthreads();
    forward_units<C>(c, j0, n);
    if (s + 1 < f.T) grid.sync();  // h_t complete before any block reads it
  }
}

// Dynamic shared memory: w [S, roundup(G*H, 32)], row jl = W_hh column j0 + jl, then
// kPersistentThreads floats for block_dots.
template <Cell C, class W>
__global__ void __launch_bounds__(kPersistentThreads)
    persistent_backward_kernel(const fused::FusedBackward<float> f, const int64_t S) {
  RECUR_DYNAMIC_SHARED(unsigned char, smem);
  W* const w = reinterpret_cast<W*>(smem);
  const int64_t B = f.B, H = f.H, GH = f.G * H, ldw = round_up_32(GH);
  const int64_t j0 = static_cast<int64_t>(blockIdx.x) * S;
  const int64_t n = S < H - j0 ? S : H - j0;
  for (int64_t e = threadIdx.x; e < n * GH; e += blockDim.x) {
    const int64_t col = e / n, jl = e - col * n;
    w[jl * ldw + col] = OnChip<W>::store(f.w_hh[col * H + j0 + jl]);
  }
  __syncthreads();

  float* partial = reinterpret_cast<float*>(smem + weights_bytes(S * ldw, sizeof(W)));
  const cg::grid_group grid = cg::this_grid();
  for (int64_t s = f.T - 1; s >= 0; --s) {
    const step::BackwardContext<float> c = fused::backward_context(f, s);
    backward_units<C>(c, j0, n);
    grid.sync();  // dG_t complete before any block reads it
    // Item (b, jl): dh_{t-1} of unit j0 + jl, batch row b.
    block_dots<W>(
        B * n, GH, partial, [&](int64_t item) { return w + item % n * ldw; },
        [&](int64_t item) { return c.dgates_h + item / n * c.ldg; },
        [&](int64_t item, float acc) {
          float* o = c.dh_out + item / n * H + j0 + item % n;
          *o = f.apart ? *o + acc : acc;
        });
    __syncthreads();  // this block's dh_{t-1} before its next step reads it
  }
}

template <class Desc>
using KernelOf = void (*)(Desc, int64_t);

template <class W>
KernelOf<fused::FusedForward<float>> forward_kernel_of(Cell cell) {
  switch (cell) {
    case Cell::RNN_TANH:
      return persistent_forward_kernel<Cell::RNN_TANH, W>;
    case Cell::RNN_RELU:
      return persistent_forward_kernel<Cell::RNN_RELU, W>;
    case Cell::LSTM:
      return persistent_forward_kernel<Cell::LSTM, W>;
    case Cell::GRU:
      return persistent_forward_kernel<Cell::GRU, W>;
  }
  return nullptr;
}

template <class W>
KernelOf<fused::FusedBackward<float>> backward_kernel_of(Cell cell) {
  switch (cell) {
    case Cell::RNN_TANH:
      return persistent_backward_kernel<Cell::RNN_TANH, W>;
    case Cell::RNN_RELU:
      return persistent_backward_kernel<Cell::RNN_RELU, W>;
    case Cell::LSTM:
      return persistent_backward_kernel<Cell::LSTM, W>;
    case Cell::GRU:
      return persistent_backward_kernel<Cell::GRU, W>;
  }
  return nullptr;
}

KernelOf<fused::FusedForward<float>> forward_kernel(Cell cell, bool bf16) {
  return bf16 ? forward_kernel_of<__nv_bfloat16>(cell) : forward_kernel_of<float>(cell);
}

KernelOf<fused::FusedBackward<float>> backward_kernel(Cell cell, bool bf16) {
  return bf16 ? backward_kernel_of<__nv_bfloat16>(cell) : backward_kernel_of<float>(cell);
}

template <class Desc>
cudaError_t launch_cooperative(KernelOf<Desc> kernel, cudaStream_t stream, const Desc& desc,
                               const PersistentShape& shape) {
  if (!kernel) return cudaErrorInvalidDeviceFunction;
  cudaError_t st = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shape.smem_bytes));
  if (st != cudaSuccess) return st;
  Desc d = desc;
  int64_t slice = shape.slice;
  void* args[] = {&d, &slice};
  st = RECUR_LAUNCH_COOPERATIVE(kernel, dim3(static_cast<unsigned>(shape.blocks)),
                                dim3(kPersistentThreads), args,
                                static_cast<size_t>(shape.smem_bytes), stream);
  if (st != cudaSuccess) {
    (void)cudaGetLastError();  // the refusal is returned, not left behind for the next check
    return st;
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_persistent_forward(cudaStream_t stream, const fused::FusedForward<float>& f,
                                      const PersistentShape& shape) {
  return launch_cooperative(forward_kernel(f.cell, shape.bf16), stream, f, shape);
}

cudaError_t launch_persistent_backward(cudaStream_t stream, const fused::FusedBackward<float>& f,
                                       const PersistentShape& shape) {
  return launch_cooperative(backward_kernel(f.cell, shape.bf16), stream, f, shape);
}

cudaError_t persistent_blocks_per_sm(Cell cell, PersistentPass pass, bool bf16, int64_t smem_bytes,
                                     int* blocks) {
  const auto query = [&](auto kernel) {
    cudaError_t st = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(smem_bytes));
    if (st != cudaSuccess) return st;
    return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, kernel, kPersistentThreads,
                                                         static_cast<size_t>(smem_bytes));
  };
  return pass == PersistentPass::Forward ? query(forward_kernel(cell, bf16))
                                         : query(backward_kernel(cell, bf16));
}

}  // namespace recur::cuda
