#include "report.h"

#include <cmath>

#include <fmt/format.h>

#include "core/src/json.h"
#include "recur/version.h"

namespace recur::bench {

namespace {

// A number in about four significant digits without exponent notation, so the table stays
// aligned and readable over many orders of magnitude.
std::string short_number(double v) {
  if (!std::isfinite(v)) return "-";
  const double a = std::fabs(v);
  if (a >= 1000) return fmt::format("{:.0f}", v);
  if (a >= 100) return fmt::format("{:.1f}", v);
  if (a >= 10) return fmt::format("{:.2f}", v);
  if (a >= 0.1) return fmt::format("{:.3f}", v);
  return fmt::format("{:.3g}", v);
}

std::string json_number(double v) {
  return std::isfinite(v) ? fmt::format("{:.9g}", v) : "null";
}

const char* status_name(RowStatus s) {
  switch (s) {
    case RowStatus::Ok:
      return "ok";
    case RowStatus::Skipped:
      return "skipped";
    case RowStatus::Failed:
      break;
  }
  return "failed";
}

std::string shape_columns(const BenchCase& c) {
  return fmt::format("{:<8} {:>5} {:>5} {:>4} {:>4} {:>2} {:<3} {:<9}", cell_name(c.cell), c.H, c.I,
                     c.B, c.T, c.L, c.bidirectional ? "bi" : "uni", mode_name(c.mode));
}

}  // namespace

std::string table_header() {
  const std::string head = fmt::format(
      "{:<8} {:>5} {:>5} {:>4} {:>4} {:>2} {:<3} {:<9} {:<13} {:>9} {:>9} {:>8} {:<7} {:>6} {:>6}",
      "cell", "H", "I", "B", "T", "L", "dir", "mode", "backend", "ms/call", "us/step", "GFLOP/s",
      "vs", "ratio", "GEMM%");
  return head + "\n" + std::string(head.size(), '-');
}

std::string table_row(const Row& r) {
  std::string line = shape_columns(r.c) + fmt::format(" {:<13}", r.backend);
  if (!r.ok()) return line + " " + r.message;
  line += fmt::format(" {:>9} {:>9} {:>8} {:<7} {:>6} {:>6}", short_number(r.timing.median_s * 1e3),
                      short_number(r.us_per_step()), short_number(r.gflops()),
                      r.compare.empty() ? "-" : r.compare, short_number(r.ratio),
                      short_number(r.gemm_percent()));
  if (!r.message.empty()) line += "  (" + r.message + ")";
  if (r.c.ragged != Ragged::None)
    line += fmt::format("  [ragged {}: {} of {} tokens; ratio = padded / ragged]",
                        ragged_name(r.c.ragged), r.c.tokens(), r.c.B * r.c.T);
  return line;
}

// A JSON string literal; bytes that are not UTF-8 (none are expected) become '?'.
std::string json_string(const std::string& s) {
  if (json::is_valid_utf8(s)) return json::quote(s);
  std::string clean;
  for (size_t i = 0; i < s.size();) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
    const size_t len = json::utf8_sequence_length(p, s.size() - i);
    clean.append(len ? s.substr(i, len) : std::string("?"));
    i += len ? len : 1;
  }
  return json::quote(clean);
}

std::string to_json(const RunInfo& info, const std::vector<Row>& rows) {
  std::string out = "{\n";
  out +=
      fmt::format("  \"program\": \"recur_bench\",\n  \"version\": {},\n", json_string(version()));
  out += fmt::format(
      "  \"run\": {{\"grid\": {}, \"dtype\": {}, \"gpu\": {}, \"hardware_threads\": {}, "
      "\"blas_512_gflops\": {}, \"warmup\": {}, \"repeats\": {}, \"min_time_s\": {}, "
      "\"ref_limit_gflop\": {}, \"cpu_model\": {}, \"cpu_isa\": {}, \"cpu_isa_detail\": {}, "
      "\"recur_sgemm_512_gflops\": {}, \"onednn_sgemm_512_gflops\": {}}},\n",
      json_string(info.grid), json_string(info.dtype), json_string(info.gpu), info.hardware_threads,
      json_number(info.blas_square_gflops > 0 ? info.blas_square_gflops : NAN), info.warmup,
      info.repeats, json_number(info.min_time_s), json_number(info.ref_limit_gflop),
      json_string(info.cpu_model), json_string(info.cpu_isa), json_string(info.cpu_isa_detail),
      json_number(info.recur_sgemm_gflops > 0 ? info.recur_sgemm_gflops : NAN),
      json_number(info.onednn_sgemm_gflops > 0 ? info.onednn_sgemm_gflops : NAN));
  out += "  \"rows\": [";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const bool ok = r.ok();
    const double nan = NAN;
    out += i ? ",\n    " : "\n    ";
    out += fmt::format(
        "{{\"cell\": {}, \"H\": {}, \"I\": {}, \"B\": {}, \"T\": {}, \"layers\": {}, "
        "\"direction\": {}, \"mode\": {}, \"ragged\": {}, \"tokens\": {}, \"dtype\": {}, "
        "\"backend\": {}, \"status\": {}, \"message\": {}, ",
        json_string(cell_name(r.c.cell)), r.c.H, r.c.I, r.c.B, r.c.T, r.c.L,
        json_string(r.c.bidirectional ? "bi" : "uni"), json_string(mode_name(r.c.mode)),
        json_string(ragged_name(r.c.ragged)), r.c.tokens(), json_string(dtype_name(r.dtype)),
        json_string(r.backend), json_string(status_name(r.status)),
        r.message.empty() ? "null" : json_string(r.message));
    out += fmt::format(
        "\"median_s\": {}, \"min_s\": {}, \"max_s\": {}, \"calls\": {}, \"us_per_step\": {}, "
        "\"gflop\": {}, \"gflops\": {}, \"compare\": {}, \"ratio\": {}, \"gemm_floor_s\": {}, "
        "\"gemm_percent\": {}}}",
        json_number(ok ? r.timing.median_s : nan), json_number(ok ? r.timing.min_s : nan),
        json_number(ok ? r.timing.max_s : nan), ok ? r.timing.calls : 0,
        json_number(ok ? r.us_per_step() : nan), json_number(r.flops * 1e-9),
        json_number(ok ? r.gflops() : nan), r.compare.empty() ? "null" : json_string(r.compare),
        json_number(r.ratio), json_number(r.gemm_floor_s),
        json_number(ok ? r.gemm_percent() : nan));
  }
  out += rows.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace recur::bench
