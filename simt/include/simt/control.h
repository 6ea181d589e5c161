// What a test may ask the emulator directly (host code only): the seed of its adversarial
// scheduling, and how much device memory is allocated.
#pragma once

#include <cstddef>
#include <cstdint>

namespace simt {

// The seed in use: SIMT_SEED, or a random one chosen at start-up (printed on every fault).
uint64_t seed();
// Restarts the scheduling randomness from `seed` (block order, thread order at barriers,
// interleaving of streams), as if the process had started with SIMT_SEED=seed.
void reseed(uint64_t seed);
// Bytes of device memory allocated and not yet freed (freed asynchronously counts as freed).
size_t allocated_bytes(int device);

}  // namespace simt
