#include "simt/control.h"

#include "runtime.h"

namespace simt {

uint64_t seed() {
  detail::Lock lock(detail::runtime().mutex);
  return detail::runtime().seed;
}

void reseed(uint64_t s) {
  detail::Lock lock(detail::runtime().mutex);
  detail::Runtime& rt = detail::runtime();
  rt.seed = s;
  rt.rng.seed(s);
  rt.launches = 0;
}

size_t allocated_bytes(int device) {
  detail::Lock lock(detail::runtime().mutex);
  return detail::runtime().devices.at(static_cast<size_t>(device)).used;
}

}  // namespace simt
