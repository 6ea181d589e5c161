#include "bench_case.h"

#include <algorithm>

#include <fmt/format.h>

#include "recur/random.h"

namespace recur::bench {

const char* mode_name(Mode mode) {
  return mode == Mode::Training ? "training" : "inference";
}

const char* ragged_name(Ragged ragged) {
  switch (ragged) {
    case Ragged::Uniform:
      return "uniform";
    case Ragged::OneLong:
      return "one-long";
    case Ragged::None:
      break;
  }
  return "none";
}

std::vector<int64_t> BenchCase::lengths() const {
  std::vector<int64_t> out;
  if (ragged == Ragged::None) return out;
  Rng rng(static_cast<uint64_t>(B) * 1000003u + static_cast<uint64_t>(T));
  for (int64_t b = 0; b < B; ++b) {
    if (ragged == Ragged::Uniform) {
      out.push_back(std::min<int64_t>(T, 1 + static_cast<int64_t>(rng.uniform() * T)));
    } else {
      out.push_back(b == 0 ? T : std::max<int64_t>(1, T / 10));
    }
  }
  return out;
}

int64_t BenchCase::tokens() const {
  if (ragged == Ragged::None) return B * T;
  int64_t n = 0;
  for (int64_t len : lengths()) n += len;
  return n;
}

RnnSpec BenchCase::spec() const {
  RnnSpec s;
  s.cell = cell;
  s.input_size = I;
  s.hidden_size = H;
  s.num_layers = L;
  s.bidirectional = bidirectional;
  s.bias = true;
  s.batch_first = false;
  s.dropout = 0.0;
  return s;
}

std::string BenchCase::label() const {
  return fmt::format("{} H={} I={} B={} T={} L={} {} {}{}", cell_name(cell), H, I, B, T, L,
                     bidirectional ? "bi" : "uni", mode_name(mode),
                     ragged == Ragged::None ? "" : std::string(" ragged=") + ragged_name(ragged));
}

bool same_case(const BenchCase& a, const BenchCase& b) {
  return a.cell == b.cell && a.H == b.H && a.I == b.I && a.B == b.B && a.T == b.T && a.L == b.L &&
         a.bidirectional == b.bidirectional && a.mode == b.mode && a.ragged == b.ragged;
}

double forward_flops(const BenchCase& c) {
  const RnnSpec s = c.spec();
  const double G = static_cast<double>(s.gates());
  double total = 0;
  for (int64_t layer = 0; layer < c.L; ++layer) {
    const double in = static_cast<double>(s.layer_input_size(layer));
    total += 2.0 * c.B * G * c.H * (in + c.H) * c.T * s.directions();
  }
  return total * static_cast<double>(c.tokens()) / static_cast<double>(c.B * c.T);
}

double call_flops(const BenchCase& c) {
  return (c.mode == Mode::Training ? 3.0 : 1.0) * forward_flops(c);
}

}  // namespace recur::bench
