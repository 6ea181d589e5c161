#include "bench_case.h"

#include <fmt/format.h>

namespace recur::bench {

const char* mode_name(Mode mode) {
  return mode == Mode::Training ? "training" : "inference";
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
  return fmt::format("{} H={} I={} B={} T={} L={} {} {}", cell_name(cell), H, I, B, T, L,
                     bidirectional ? "bi" : "uni", mode_name(mode));
}

bool same_case(const BenchCase& a, const BenchCase& b) {
  return a.cell == b.cell && a.H == b.H && a.I == b.I && a.B == b.B && a.T == b.T && a.L == b.L &&
         a.bidirectional == b.bidirectional && a.mode == b.mode;
}

double forward_flops(const BenchCase& c) {
  const RnnSpec s = c.spec();
  const double G = static_cast<double>(s.gates());
  double total = 0;
  for (int64_t layer = 0; layer < c.L; ++layer) {
    const double in = static_cast<double>(s.layer_input_size(layer));
    total += 2.0 * c.B * G * c.H * (in + c.H) * c.T * s.directions();
  }
  return total;
}

double call_flops(const BenchCase& c) {
  return (c.mode == Mode::Training ? 3.0 : 1.0) * forward_flops(c);
}

}  // namespace recur::bench
