// Large host blocks kept across driver calls. A training step allocates the same big buffers
// every time (the driver's scratch, the saved region: tens of MB at H = 512, B = 64, T = 100);
// fresh ones come from mmap and cost a page fault and a page clear per 4 KB on first touch,
// about 5% of such a step. Blocks of at least kMinBytes are therefore returned here when freed
// and handed out again to a later request of a similar size. At most kMaxBlocks blocks and
// kMaxBytes bytes are kept; the rest are freed at once.
#pragma once

#include <cstddef>
#include <memory>

namespace recur::cpu {

// A 64-byte aligned block of at least `bytes` bytes (contents undefined); its deleter returns it
// to the cache or frees it. Thread-safe.
std::shared_ptr<void> take_block(size_t bytes);

// The same, owned by a unique pointer (the executor's scratch buffers).
struct BlockDeleter {
  size_t bytes = 0;
  void operator()(void* p) const;
};
using UniqueBlock = std::unique_ptr<void, BlockDeleter>;
UniqueBlock take_unique_block(size_t bytes);

}  // namespace recur::cpu
