// Seeded, platform-independent random numbers. Generator is xoshiro256** seeded by splitmix64;
// the uniform and normal draws are written here (the standard distributions differ between
// standard libraries), so a seed gives the same numbers everywhere.
#pragma once

#include <cstdint>

#include "recur/hostdevice.h"

namespace recur {

// splitmix64's finaliser: a strong 64-bit mix, also used as a counter-based hash.
RECUR_HOST_DEVICE inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Seed of item `index` of a named stream of the one seed `seed` (e.g. the dropout masks of
// optimizer step `index`): distinct streams and indices give unrelated seeds.
inline uint64_t stream_seed(uint64_t seed, uint64_t stream, int64_t index) {
  return mix64(mix64(seed ^ stream) + static_cast<uint64_t>(index));
}

class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  double uniform();                      // [0, 1)
  double uniform(double lo, double hi);  // [lo, hi)
  double normal();                       // standard normal (Box-Muller)
  uint64_t below(uint64_t n);            // uniform integer in [0, n), n > 0

 private:
  uint64_t s_[4];
};

// Dropout's keep decision for element `index` of layer `layer`'s output, as a pure function so
// that every backend (and the backward pass) draws the same mask without storing it. The
// element index is that of the seq-major output [T, B, D*H]: (t*B + b)*D*H + j.
RECUR_HOST_DEVICE inline bool dropout_keep(uint64_t seed, int64_t layer, int64_t index, double p) {
  const uint64_t h =
      mix64(mix64(seed ^ (0xD1B54A32D192ED03ull * static_cast<uint64_t>(layer + 1))) ^
            static_cast<uint64_t>(index));
  const double u = static_cast<double>(h >> 11) * 0x1.0p-53;  // [0, 1)
  return u >= p;
}

}  // namespace recur
