#include "kernels/cpu/block_cache.h"

#include <cstdlib>
#include <mutex>
#include <vector>

#include "recur/error.h"

namespace recur::cpu {
namespace {

constexpr size_t kMinBytes = size_t{1} << 20;  // smaller blocks: plain malloc is cheap
constexpr size_t kMaxBlocks = 4;
constexpr size_t kMaxBytes = size_t{512} << 20;

struct Block {
  void* p;
  size_t bytes;  // capacity
};

class Cache {
 public:
  // A cached block of capacity in [bytes, 2 * bytes] (the smallest such), or null.
  void* take(size_t bytes, size_t* capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t best = blocks_.size();
    for (size_t i = 0; i < blocks_.size(); ++i) {
      const size_t cap = blocks_[i].bytes;
      if (cap >= bytes && cap / 2 <= bytes &&
          (best == blocks_.size() || cap < blocks_[best].bytes)) {
        best = i;
      }
    }
    if (best == blocks_.size()) return nullptr;
    const Block b = blocks_[best];
    blocks_.erase(blocks_.begin() + best);
    total_ -= b.bytes;
    *capacity = b.bytes;
    return b.p;
  }

  // Keeps the block if there is room (evicting the oldest if needed), else frees it.
  void give(void* p, size_t bytes) {
    if (bytes < kMinBytes || bytes > kMaxBytes) {
      std::free(p);
      return;
    }
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (!blocks_.empty() && (blocks_.size() >= kMaxBlocks || total_ + bytes > kMaxBytes)) {
        evicted.push_back(blocks_.front().p);
        total_ -= blocks_.front().bytes;
        blocks_.erase(blocks_.begin());
      }
      blocks_.push_back({p, bytes});
      total_ += bytes;
    }
    for (void* e : evicted) std::free(e);
  }

 private:
  std::mutex mutex_;
  std::vector<Block> blocks_;  // oldest first
  size_t total_ = 0;
};

Cache& cache() {
  static Cache* c = new Cache;  // leaked on purpose: blocks may be returned during exit
  return *c;
}

void* allocate(size_t bytes, size_t* capacity) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded >= kMinBytes) {
    if (void* p = cache().take(rounded, capacity)) return p;
  }
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  RECUR_CHECK(p != nullptr, "cpu backend: out of memory allocating {} bytes", rounded);
  *capacity = rounded;
  return p;
}

}  // namespace

void BlockDeleter::operator()(void* p) const {
  if (p) cache().give(p, bytes);
}

UniqueBlock take_unique_block(size_t bytes) {
  size_t capacity = 0;
  void* p = allocate(bytes, &capacity);
  return UniqueBlock(p, BlockDeleter{capacity});
}

std::shared_ptr<void> take_block(size_t bytes) {
  size_t capacity = 0;
  void* p = allocate(bytes, &capacity);
  return std::shared_ptr<void>(p, BlockDeleter{capacity});
}

}  // namespace recur::cpu
