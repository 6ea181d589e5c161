// The two forms of recur_bench's results: a fixed-width table for people (printed row by row
// as results arrive) and a JSON document with the same rows for machines.
#pragma once

#include <string>
#include <vector>

#include "row.h"

namespace recur::bench {

// Table columns: cell H I B T L dir mode backend ms/call us/step GFLOP/s vs ratio GEMM%.
// A failed or skipped row carries its message where the numbers would be.
std::string table_header();
std::string table_row(const Row& row);

// What the JSON document says about the run as a whole.
struct RunInfo {
  std::string grid;
  std::string dtype;
  std::string gpu;  // the device, or why there is none
  int hardware_threads = 0;
  double blas_square_gflops = 0;   // sgemm/dgemm rate at 512^3; 0 when not measured
  std::string cpu_model;           // CPUID brand string
  std::string cpu_isa;             // the cpu backend's vector path: scalar, avx2, avx512
  std::string cpu_isa_detail;      // recur::cpu_isa_description()
  double recur_sgemm_gflops = 0;   // recur's own GEMM at 512^3 (f32); 0 when not measured
  double onednn_sgemm_gflops = 0;  // dnnl_sgemm at 512^3; 0 when not measured
  int warmup = 0, repeats = 0;
  double min_time_s = 0;
  double ref_limit_gflop = 0;
};

// {"program": "recur_bench", "version", "run": {...}, "rows": [{...}, ...]}; non-finite
// numbers are written as null. "run" also has cpu_model, cpu_isa, cpu_isa_detail,
// recur_sgemm_512_gflops and onednn_sgemm_512_gflops. Keys of a row: cell H I B T layers direction
// mode dtype backend status message median_s min_s max_s calls us_per_step gflop gflops compare
// ratio gemm_floor_s gemm_percent.
std::string to_json(const RunInfo& info, const std::vector<Row>& rows);

// Quotes and escapes `s` as a JSON string.
std::string json_string(const std::string& s);

}  // namespace recur::bench
