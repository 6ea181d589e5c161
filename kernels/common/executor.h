// The executor concept the time-loop driver (kernels/common/driver.h) is templated on. This
// header documents the contract; the driver only compiles against it (static polymorphism, no
// virtual calls), so an executor is any class with the members below. Two exist: the CPU one
// (kernels/cpu/, packed GEMMs and OpenBLAS + a small thread pool) and the CUDA one
// (kernels/cuda/, cuBLAS + fused kernels running cell_step.h's bodies). The tests add a naive
// one (tests/test_driver_executor.h).
//
// ---------------------------------------------------------------------------------------------
// Conventions
// ---------------------------------------------------------------------------------------------
// * One executor type per element type: `typename E::value_type` is float or double (T below).
// * Every pointer is in the executor's memory space (host for CPU, device for CUDA), row-major.
//   Sizes and strides are int64_t, counted in elements, never bytes. A "row stride" / "ld" is
//   the distance between consecutive batch rows b and b+1 of a [B, .] matrix; the columns of a
//   row are contiguous. Strides not given as arguments are the dense width (e.g. [B, H] with
//   row stride H).
// * Letters: B batch, H hidden size, G gates (1 RNN, 4 LSTM, 3 GRU), D directions.
//   Gate k's unit j of batch row b in a [B, G*H] matrix with row stride ld is at
//   `p[b*ld + k*H + j]` (gate order LSTM i,f,g,o; GRU r,z,n, as PyTorch).
// * Nullable pointers are marked "nullable" and mean "all zeros". Every other pointer is
//   non-null whenever the corresponding count is > 0.
// * Aliasing: outputs never alias inputs unless stated ("may alias" always means exactly the
//   same pointer and the same stride, processed elementwise).
// * Sizes may be 0 (then the operation does nothing); B, H >= 1 in practice.
//
// ---------------------------------------------------------------------------------------------
// Lanes and synchronization
// ---------------------------------------------------------------------------------------------
// Every operation takes `int lane`, the independent stream of work it belongs to: lane d runs
// direction d of a layer (0 forward, 1 reverse). Work is issued on lanes only through
// `parallel_lanes`:
//
//   template <class Body> void parallel_lanes(int n, Body&& body);   // n == 1 or 2
//
//   Calls body(lane) for lane = 0 .. n-1. Operations issued by body(lane) take `lane` as
//   their lane argument and run in order with each other, and may run concurrently with the
//   other lanes' operations.
//   - fork: everything issued before the call (on any lane) completes before any operation
//     issued inside it starts;
//   - join: everything issued inside it completes before any operation issued after it
//     starts.
//   Outside `parallel_lanes` the driver issues operations with lane == 0 ("the main lane");
//   they run in order, after every earlier operation, and may use the whole machine.
//   The bodies must be independent: on the CPU they run concurrently on different threads;
//   on CUDA they run one after the other on the host thread and only enqueue work (stream per
//   lane, events for fork and join). So a body writes only its own lane's host variables. An
//   exception thrown by a body propagates out of parallel_lanes (after the other lanes have
//   stopped); the CPU executor rethrows the first one.
//   The driver never synchronizes in any other way and never waits for the host: when a
//   driver call returns, CUDA work may still be in flight; the caller synchronizes (e.g. with
//   its device-to-host copy) before reading results.
//
// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------
//   using Buffer = ...;          // move-only RAII owner of n elements of T in executor memory,
//                                // with `T* data()` (nullptr when n == 0); contents undefined
//   Buffer alloc(int64_t n);     // called by the driver once per call (its scratch), and by
//                                // the backends for the saved state and device copies.
//   Destroying a Buffer while work that uses it is queued must be safe (the CUDA executor
//   frees in stream order after the main lane, or synchronizes).
//
// Workspace contract: the driver sizes, per call, one scratch buffer from the spec and (T, B)
// (`forward_scratch_elems` / `backward_scratch_elems` in driver_layout.h), allocates it with one
// `alloc` before the first operation, carves it into lane-private and shared regions, and releases
// it when the call returns. The training forward also writes a "saved" region that the caller
// allocates (`saved_elems` in driver_layout.h), keeps alive, and passes unchanged to the backward.
// A variable-length batch adds one `upload_index` per call, also before the first operation.
// Nothing is allocated inside the time loop, by the driver or (required) by the executor's
// operations.
//
// ---------------------------------------------------------------------------------------------
// Operations (all `void`, all members of the executor E, T = E::value_type)
// ---------------------------------------------------------------------------------------------
//
// GEMM (kernels/common/gemm.h): C = alpha * op(A) op(B) + beta * C, row-major.
//   void gemm(int lane, const GemmDesc& g, const T* a, const T* b, T* c);
//   beta == 0 means C is not read (it may hold NaN). C never aliases A or B. The descriptors
//   the driver issues (m, n, k, transposes, lds) are listed at the end of this file.
//   The B operand of every GEMM the driver issues without trans_a is a
//   parameter (W_ih, W_hh or W_hr), unchanged for the duration of the driver call, so an executor
//   may keep a transformed copy of it (the CPU one packs W_hh once per call) keyed by its
//   pointer and shape.
//
// Fill: dst[i] = value for i in [0, n).
//   void fill(int lane, int64_t n, T value, T* dst);
//
// Strided 2-D copy: dst[r*ldd + c] = src[r*lds + c], r < rows, c < cols. No aliasing.
//   void copy_2d(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
//                int64_t ldd);
//
// Swap of the two leading dimensions ([T, B, F] <-> [B, T, F]), both dense:
//   void transpose_01(int lane, int64_t n0, int64_t n1, int64_t f, const T* src, T* dst);
//   src is [n0, n1, f], dst is [n1, n0, f]: dst[(j*n0 + i)*f + c] = src[(i*n1 + j)*f + c].
//   No aliasing.
//
// Dropout (forward mask and its backward are the same operation): for e in [0, n)
//   dst[e] = recur::dropout_keep(seed, layer, e, p) ? src[e] * T(1.0 / (1.0 - p)) : T(0)
//   and, when p >= 1, dst[e] = 0 for every e.
//   void dropout(int lane, uint64_t seed, int64_t layer, double p, int64_t n, const T* src,
//                T* dst);
//   e is the flat index of the seq-major layer output [T, B, D*H] (recur/random.h); dst may
//   alias src.
//
// Row indices (variable-length batches, kernels/common/driver_ragged.h):
//   using Index = ...;           // move-only owner of int64_t indices in executor memory, with
//                                // `const int64_t* data() const` (nullptr when empty)
//   Index upload_index(const std::vector<int64_t>& host);
//   A copy of `host` in executor memory, enqueued on the main lane (the CUDA executor's host to
//   device copy is staged at the call, so `host` may go right after). Called by the driver
//   once per call before the first operation that reads it, never inside the time loop; with
//   an empty `host` it allocates nothing.
//
// Row gather, by an index: for r < rows, c < cols
//   dst[r*ldd + c] = index[r] >= 0 ? src[index[r]*lds + c] : 0
//   void gather_rows(int lane, int64_t rows, int64_t cols, const int64_t* index, const T* src,
//                    int64_t lds, T* dst, int64_t ldd);
//   index [rows] from upload_index. No aliasing. It packs a ragged batch's sequences into the
//   driver's layout, unpacks them (zeros at the padded positions), puts states into the length
//   order and back, and picks each sequence's last step.
//
// Dropout of a packed layer output [rows, cols] dense, each row at its place in the padded
// seq-major [T, B, D*H] (so a ragged batch's masks are those of the same batch padded):
//   void dropout_rows(int lane, uint64_t seed, int64_t layer, double p, int64_t rows,
//                     int64_t cols, const int64_t* index, const T* src, T* dst);
//   dst[r*cols + c] as `dropout` computes dst[e] for e = index[r]*cols + c from src[r*cols + c];
//   dst may alias src.
//
// Column reduction (bias gradients), deterministic: no atomics, a fixed summation order that
// does not depend on timing, so repeated runs give identical bits.
//   void column_sum(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
//                   bool accumulate);
//   dst[j] = (accumulate ? dst[j] : 0) + sum_{r < rows} src[r*lds + j], j < cols. dst [cols]
//   dense, no aliasing with src.
//
// Fused pointwise steps (kernels/common/cell_step.h), one per cell, direction and time step:
//   template <class Step> void run_step(int lane, const Step& step);
//   Runs step::unit(step, b, j, io) for every unit b < step.B, j < step.H, in any order and
//   in parallel: units are independent (the permitted aliasing is per unit). Step is each of
//   the types in RECUR_FOR_EACH_STEP for the executor's value type; cell_step.h documents every
//   pointer of each once.
//
// ---------------------------------------------------------------------------------------------
// The GEMMs the driver issues (per layer l and direction d; In = layer input width, GH = G*H,
// P = width of h (the LSTM's proj_size with a projection, else H), DP = D*P; X [T*B, In] the
// layer input, Y [T*B, DP] the layer output, seq-major)
// ---------------------------------------------------------------------------------------------
//  forward, input projection (once per layer and direction, on lane d):
//    xproj[T*B, GH] = X · W_ih^T      m=T*B n=GH k=In  A=X lda=In  B=W_ih (trans_b) ldb=In
//                                     ldc=GH beta=0
//  forward, recurrent product (per step, lane d): h_prev = the row block of Y at the previous
//  step, column offset d*P (or h0 [B, P]). GRU keeps it apart:
//    hproj[B, GH] = h_prev · W_hh^T   m=B n=GH k=P  lda=DP (P for h0)  B=W_hh (trans_b)
//                                     ldb=P  ldc=GH beta=0
//  RNN and LSTM accumulate it onto the step's rows of xproj instead (C = xproj + t*B*GH,
//  ldc=GH, beta=1) and their step gets hproj == nullptr.
//  forward, LSTM projection (per step, lane d), m [B, H] dense the step's o*tanh(c):
//    h_t[B, P] = m · W_hr^T           m=B n=P k=H  lda=H  B=W_hr (trans_b) ldb=H  ldc=DP
//                                     (C = Y's row block at column offset d*P) beta=0
//  backward, per step (lane d): dh_prev [B, P] dense:
//    dh_prev = dgates_h · W_hh        m=B n=P k=GH  lda=D*GH  B=W_hh ldb=P ldc=P
//                                     beta=0 (beta=1 for GRU, adding to the direct path;
//                                     beta=1 with a projection, adding to the previous step's
//                                     dL/dh from the layer output, except into dL/dh0)
//  backward, LSTM projection, per step before the pointwise step (lane d):
//    dm[B, H] = dh_t · W_hr           m=B n=H k=P  lda=P  B=W_hr ldb=H ldc=H  beta=0 (then
//                                     dL/dh_n · W_hr with beta=1 at the last step)
//  backward, after the loop (lane d), with dG_x, dG_h [T*B, D*GH] (direction d at column
//  offset d*GH; dG_h is dG_x except for GRU):
//    dW_ih[GH, In] = dG_x^T · X       trans_a m=GH n=In k=T*B lda=D*GH ldb=In ldc=In beta=0
//    dW_hh[GH, P]  = dG_h^T · H_prev  split in two: the T-1 steps whose h_prev is a row block
//                                     of Y (trans_a m=GH n=P k=(T-1)*B lda=D*GH ldb=DP
//                                     beta=0), then the step whose h_prev is h0 (k=B, ldb=P,
//                                     beta=1, or beta=0 when T == 1).
//    dW_hr[P, H]   = dH^T · M         (projection) trans_a m=P n=H k=T*B lda=P ldb=H ldc=H
//                                     beta=0, dH [T*B, P] every step's dL/dh, M [T*B, H] the
//                                     saved m_t; then dL/dh_n^T · m at the last step (k=B,
//                                     beta=1)
//  backward, after the join (main lane), the layer input gradient [T*B, In], summed over d:
//    dX = dG_x[:, d] · W_ih_d          m=T*B n=In k=GH lda=D*GH ldb=In ldc=In
//                                     beta=0 for d=0, beta=1 for d=1
//  A ragged batch (driver_ragged.h) issues the same GEMMs with T*B replaced by its N tokens and
//  per step m = bs[t] rows (a reverse direction's step where sequences start: two GEMMs, the
//  continuing rows from Y and the starting rows from h0); its dW_hh is one GEMM over all N rows
//  against their gathered h_prev (trans_a m=GH n=H k=N lda=D*GH ldb=H beta=0), then, with h0,
//  one over the B rows that started from it, gathered dense (k=B lda=GH ldb=H beta=1).
// ---------------------------------------------------------------------------------------------
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/gemm.h"

namespace recur {

// Lane indices. Lanes beyond the number of directions are never used.
constexpr int kMainLane = 0;
constexpr int kMaxLanes = 2;

}  // namespace recur
