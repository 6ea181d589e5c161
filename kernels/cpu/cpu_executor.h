// The CPU executor of the time-loop driver (the concept is kernels/common/executor.h). GEMMs:
// float products on recur's packed GEMM (packed_gemm.h, AVX2 or AVX-512 as isa.h chooses),
// weights packed once per call; single rows against W_hh as a GEMV (gemv.h); double, and the
// scalar path, OpenBLAS (row-major cblas, called single-threaded).
// Pointwise steps: cell_step.h's per-unit bodies over the B x H units, AVX2 where the CPU has it.
// All parallelism is recur's thread pool: the two lanes of a layer run on two halves of the
// executor's threads, and an operation of a lane splits its work over that lane's threads
// when it is large enough to pay for the hand-off.
//
// All pointers are host memory. Operations run synchronously on the calling lane's threads,
// so "issued" means "done" when the call returns.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/common/executor.h"
#include "kernels/common/gemm.h"
#include "kernels/cpu/block_cache.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/thread_pool.h"

namespace recur::cpu {

template <class T>
class CpuExecutor {
 public:
  using value_type = T;

  // 64-byte aligned host memory, contents undefined; large blocks come from and return to
  // the block cache (block_cache.h), so repeated calls do not fault their pages in again.
  class Buffer {
   public:
    Buffer() = default;
    explicit Buffer(int64_t n);
    T* data() const { return static_cast<T*>(block_.get()); }

   private:
    UniqueBlock block_;
  };
  Buffer alloc(int64_t n) { return Buffer(n); }

  // Row indices live in host memory like everything else.
  class Index {
   public:
    Index() = default;
    explicit Index(std::vector<int64_t> v) : v_(std::move(v)) {}
    const int64_t* data() const { return v_.empty() ? nullptr : v_.data(); }

   private:
    std::vector<int64_t> v_;
  };
  Index upload_index(const std::vector<int64_t>& host) { return Index(host); }

  // Work (in multiply-adds, roughly) below which handing a part to another thread costs more
  // than it saves: a hand-off is about a microsecond, a core does ~30 multiply-adds per ns.
  static constexpr double kMinCostPerPart = 48e3;

  // `team`: the pool threads this executor may use (its first is the calling thread).
  // `min_cost_per_part`: the splitting threshold (tests pass 0 to split everything).
  CpuExecutor(ThreadPool& pool, Team team, double min_cost_per_part = kMinCostPerPart);

  // Whether float pointwise passes use the AVX2 bodies (on by default where the active ISA,
  // isa.h, is AVX2 or better; turning it on elsewhere is ignored). Tests switch it off to cover the
  // scalar bodies.
  void set_vector_pointwise(bool on);
  bool vector_pointwise() const { return vector_; }

  template <class Body>
  void parallel_lanes(int n, Body&& body) {
    RECUR_CHECK(n == 1 || n == 2, "cpu executor: {} lanes", n);
    if (n == 1) {
      body(0);
      return;
    }
    if (all_.size < 2) {  // one thread: the lanes run one after the other
      lane_[0] = lane_[1] = all_;
      body(0);
      body(1);
      lane_[0] = all_;
      return;
    }
    const int half = all_.size / 2;
    lane_[0] = Team{all_.first, half};
    lane_[1] = Team{all_.first + half, all_.size - half};
    struct Restore {
      CpuExecutor* e;
      ~Restore() { e->lane_[0] = e->lane_[1] = e->all_; }
    } restore{this};
    pool_->run_pair(lane_[1].first, [&](int lane) { body(lane); });
  }

  void gemm(int lane, const GemmDesc& g, const T* a, const T* b, T* c);
  void fill(int lane, int64_t n, T value, T* dst);
  void copy_2d(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
               int64_t ldd);
  void transpose_01(int lane, int64_t n0, int64_t n1, int64_t f, const T* src, T* dst);
  void dropout(int lane, uint64_t seed, int64_t layer, double p, int64_t n, const T* src, T* dst);
  void gather_rows(int lane, int64_t rows, int64_t cols, const int64_t* index, const T* src,
                   int64_t lds, T* dst, int64_t ldd);
  void dropout_rows(int lane, uint64_t seed, int64_t layer, double p, int64_t rows, int64_t cols,
                    const int64_t* index, const T* src, T* dst);
  void column_sum(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
                  bool accumulate);

  // The fused pointwise steps (cell_step.h), instantiated for every step type in
  // cpu_pointwise.cpp: AVX2 bodies for float where the CPU has AVX2 and FMA, else scalar.
  template <class Step>
  void run_step(int lane, const Step& step);

  // Runs fn(part, parts) on the threads of `lane`, split into as many parts as the work
  // (`cost`, in rough multiply-adds) pays for. The split depends on the cost alone, never on
  // timing, so results are reproducible.
  // `balance` false: at most one part per thread, each thread's own (a GEMM on packed weights:
  // every thread keeps its share of them in its own core's cache from step to step).
  template <class F>
  void split(int lane, double cost, F&& fn, bool balance = true) {
    const Team team = lane_[lane];
    int parts = parts_for(team, cost / min_cost_);
    if (!balance && parts > team.size) parts = team.size;
    if (parts <= 1) {
      fn(0, 1);
      return;
    }
    const Team used{team.first, parts < team.size ? parts : team.size};
    pool_->run(used, parts, [&](int i) { fn(i, parts); });
  }

 private:
  // Packed copies (packed_gemm.h) of each lane's weight operands: a GEMM whose B is one of
  // the lane's last two (executor.h: a GEMM's B without trans_a is a parameter, constant for
  // the call) reuses it, so W_ih and W_hh are packed once per call (with an LSTM projection
  // W_hh and W_hr, which alternate every step, stay packed across the steps). A B with trans_a (the
  // weight gradient's activations) is packed into the lane's scratch slot each time.
  struct PackedWeights {
    const T* src = nullptr;  // null: nothing valid packed
    int64_t ldb = 0, k = 0, n = 0;
    bool trans_b = false;
    Buffer data;
    int64_t capacity = 0;
    uint64_t used = 0;  // for least-recently-used replacement
  };
  static constexpr int kPackedSlots = 3;                        // two weights, then scratch
  static constexpr int64_t kPackedMaxElems = int64_t{1} << 26;  // 256 MB of float
  // Runs g on recur's packed GEMM when it applies; false when it does not.
  bool gemm_packed(int lane, const GemmDesc& g, const T* a, const T* b, T* c);
  PackedWeights& packed_slot(int lane, const GemmDesc& g, const T* b, bool* fresh);

  // One part per `units` (cost / threshold), at most one per thread; large work (beyond
  // kBalanceUnits) gets kBalanceParts parts per thread, claimed as threads come free, so a
  // core slowed by other load does not hold the others up. The time loop's per-step work
  // stays at one part per thread, each keeping its slice of the weights in its own cache.
  static constexpr double kBalanceUnits = 400;
  static constexpr int kBalanceParts = 4;
  static int parts_for(Team team, double units);
  ThreadPool* pool_;
  double min_cost_;
  bool vector_ = false;
  Team all_;
  Team lane_[kMaxLanes];
  PackedWeights packed_[kMaxLanes][kPackedSlots];
  uint64_t packed_clock_[kMaxLanes] = {};
  Isa isa_ = Isa::Scalar;
};

extern template class CpuExecutor<float>;
extern template class CpuExecutor<double>;

}  // namespace recur::cpu
