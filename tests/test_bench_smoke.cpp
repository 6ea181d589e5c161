// Smoke test of recur_bench (bench/): the quick grid on the CPU backends runs, exits 0, prints a
// table whose numbers are finite and positive, and writes the same rows as JSON with the FLOP
// count of DESIGN.md. Also: a backend that cannot run fails its rows with a message instead of
// crashing, and a usage error exits 2.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "recur/backend.h"
#include "recur/rnn.h"

namespace {

#ifdef RECUR_BENCH_BIN
constexpr const char* kBench = RECUR_BENCH_BIN;
#else
constexpr const char* kBench = nullptr;
#endif

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "recur_bench_smoke_" + std::to_string(getpid()) + "_" + name;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs recur_bench with `args`; stdout and stderr are captured through files.
Result run_bench(const std::string& args) {
  const std::string out = temp_path("stdout.txt"), err = temp_path("stderr.txt");
  const std::string cmd =
      std::string("'") + kBench + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

// The JSON writer puts one row object per line; this reads the flat key/value pairs of one.
std::map<std::string, std::string> parse_row(const std::string& line) {
  std::map<std::string, std::string> kv;
  size_t pos = 0;
  while ((pos = line.find('"', pos)) != std::string::npos) {
    const size_t key_end = line.find('"', pos + 1);
    if (key_end == std::string::npos || line.compare(key_end + 1, 2, ": ") != 0) break;
    const std::string key = line.substr(pos + 1, key_end - pos - 1);
    size_t v = key_end + 3, v_end;
    if (line[v] == '"') {
      v_end = line.find('"', v + 1);
      while (v_end != std::string::npos && line[v_end - 1] == '\\')
        v_end = line.find('"', v_end + 1);
      kv[key] = line.substr(v + 1, v_end - v - 1);
      ++v_end;
    } else {
      v_end = line.find_first_of(",}", v);
      kv[key] = line.substr(v, v_end - v);
    }
    pos = v_end;
  }
  return kv;
}

std::vector<std::map<std::string, std::string>> json_rows(const std::string& json) {
  std::vector<std::map<std::string, std::string>> rows;
  std::istringstream in(json);
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find("{\"cell\"");
    if (start != std::string::npos) rows.push_back(parse_row(line.substr(start)));
  }
  return rows;
}

bool is_cell_name(const std::string& s) {
  return s == "LSTM" || s == "GRU" || s == "RNN_TANH" || s == "RNN_RELU";
}

// The table's data lines: those that start with a cell name.
std::vector<std::vector<std::string>> table_rows(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    if (!w.empty() && is_cell_name(w[0])) rows.push_back(w);
  }
  return rows;
}

double number(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && !s.empty() ? v : NAN;
}

bool finite_positive(const std::string& s) {
  const double v = number(s);
  return std::isfinite(v) && v > 0;
}

// DESIGN.md's count, recomputed here from the row's own shape.
double expected_gflop(const std::map<std::string, std::string>& row) {
  const double G = static_cast<double>(recur::cell_gates(recur::parse_cell(row.at("cell"))));
  const double H = number(row.at("H")), I = number(row.at("I")), B = number(row.at("B")),
               T = number(row.at("T")), L = number(row.at("layers"));
  const double D = row.at("direction") == "bi" ? 2 : 1;
  double f = 0;
  for (int l = 0; l < static_cast<int>(L); ++l) f += 2 * B * G * H * ((l ? D * H : I) + H) * T * D;
  return (row.at("mode") == "training" ? 3 : 1) * f * 1e-9;
}

TEST(BenchSmoke, QuickGridOnCpuBackends) {
  if (!kBench) GTEST_SKIP() << "recur_bench is not built (configure with -DRECUR_BENCH=ON)";
  const std::string json = temp_path("quick.json"), svg = temp_path("quick.svg");
  const Result r = run_bench("--grid quick --backends cpu-ref,cpu --no-progress --json '" + json +
                             "' --svg '" + svg + "'");
  ASSERT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;

  const auto table = table_rows(r.out);
  const auto rows = json_rows(read_text(json));
  std::remove(json.c_str());
  ASSERT_FALSE(rows.empty()) << r.out;
  EXPECT_EQ(table.size(), rows.size()) << "the table and the JSON must hold the same rows";

  // Columns: cell H I B T L dir mode backend ms/call us/step GFLOP/s vs ratio GEMM%.
  for (const auto& w : table) {
    ASSERT_EQ(w.size(), 15u) << "not a complete result row: " << ::testing::PrintToString(w);
    for (int col : {9, 10, 11, 14})
      EXPECT_TRUE(finite_positive(w[col])) << w[col] << " in " << w[8];
    if (w[8] == "cpu") {
      EXPECT_EQ(w[12], "cpu-ref");
      EXPECT_TRUE(finite_positive(w[13])) << "cpu rows carry the ratio to cpu-ref: " << w[13];
    }
  }

  std::map<std::string, int> seen;  // "backend cell mode"
  for (const auto& row : rows) {
    for (const char* key :
         {"cell", "H", "I", "B", "T", "layers", "direction", "mode", "backend", "status",
          "median_s", "us_per_step", "gflop", "gflops", "ratio", "gemm_percent"})
      ASSERT_TRUE(row.count(key)) << "JSON row lacks \"" << key << "\"";
    EXPECT_EQ(row.at("status"), "ok") << row.at("backend") << ": " << row.at("message");
    for (const char* key : {"median_s", "us_per_step", "gflops", "gemm_percent"})
      EXPECT_TRUE(finite_positive(row.at(key))) << key << " = " << row.at(key);
    const double gflop = number(row.at("gflop"));
    const double want = expected_gflop(row);
    EXPECT_NEAR(gflop, want, 1e-6 * want) << "FLOP count of " << row.at("cell");
    EXPECT_NEAR(number(row.at("gflops")), gflop / number(row.at("median_s")),
                1e-6 * number(row.at("gflops")));
    EXPECT_NEAR(number(row.at("us_per_step")),
                number(row.at("median_s")) * 1e6 / number(row.at("T")),
                1e-6 * number(row.at("us_per_step")));
    ++seen[row.at("backend") + " " + row.at("cell") + " " + row.at("mode")];
  }
  for (const char* backend : {"cpu-ref", "cpu"})
    for (const char* cell : {"LSTM", "GRU", "RNN_TANH"})
      for (const char* mode : {"inference", "training"})
        EXPECT_GT(seen[std::string(backend) + " " + cell + " " + mode], 0)
            << "no row for " << backend << " " << cell << " " << mode;

  // The plot: one line per backend, cell and mode, each with a legend entry.
  const std::string plot = read_text(svg);
  std::remove(svg.c_str());
  EXPECT_EQ(plot.rfind("<svg", 0), 0u) << plot.substr(0, 200);
  EXPECT_NE(plot.find("</svg>"), std::string::npos);
  size_t lines = 0;
  for (size_t p = plot.find("<polyline"); p != std::string::npos; p = plot.find("<polyline", p + 1))
    ++lines;
  EXPECT_EQ(lines, seen.size());
  for (const auto& [series, count] : seen)
    EXPECT_NE(plot.find(">" + series + "</text>"), std::string::npos) << "legend lacks " << series;
}

TEST(BenchSmoke, BackendThatCannotRunFailsItsRowsWithAMessage) {
  if (!kBench) GTEST_SKIP() << "recur_bench is not built (configure with -DRECUR_BENCH=ON)";
  if (recur::gpu_available()) GTEST_SKIP() << "a GPU is present, so cuda rows would run";
  const Result r =
      run_bench("--grid quick --cells LSTM --mode inference --backends cuda --no-progress");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto table = table_rows(r.out);
  ASSERT_FALSE(table.empty()) << r.out << r.err;
  std::istringstream in(r.out);
  int failed_lines = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(" cuda ") != std::string::npos &&
        line.find("backend cuda: ") != std::string::npos)
      ++failed_lines;
  EXPECT_EQ(failed_lines, static_cast<int>(table.size())) << r.out;
}

// --shape runs exactly the given shapes; with onednn in the run every cpu row is compared with
// it, and the rows onednn does not run (RNN cells) are skipped with the reason.
TEST(BenchSmoke, ShapesBesideOnednn) {
  if (!kBench) GTEST_SKIP() << "recur_bench is not built (configure with -DRECUR_BENCH=ON)";
#if !RECUR_WITH_ONEDNN
  GTEST_SKIP() << "skipped: recur was built without oneDNN (libdnnl-dev not found)";
#else
  const std::string json = temp_path("shape.json");
  const Result r = run_bench(
      "--shape 'LSTM,8,3,2,3;GRU,6,1,1,2,2,bi,training;RNN_TANH,4,2,1,2' --backends cpu,onednn "
      "--repeats 1 --min-time 0 --no-gemm-floor --no-progress --json '" +
      json + "'");
  ASSERT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
  const std::string text = read_text(json);
  std::remove(json.c_str());
  EXPECT_NE(text.find("\"cpu_isa\": \""), std::string::npos) << text.substr(0, 400);
  EXPECT_NE(r.out.find("cpu backend ISA: "), std::string::npos) << r.out;
  const auto rows = json_rows(text);
  ASSERT_EQ(rows.size(), 6u) << text;
  for (const auto& row : rows) {
    const bool rnn = row.at("cell") == "RNN_TANH";
    if (row.at("cell") == "GRU") {
      EXPECT_EQ(row.at("layers"), "2");
      EXPECT_EQ(row.at("direction"), "bi");
      EXPECT_EQ(row.at("mode"), "training");
      EXPECT_EQ(row.at("I"), "1");
    }
    if (row.at("backend") == "cpu") {
      EXPECT_EQ(row.at("status"), "ok") << row.at("message");
      EXPECT_EQ(row.at("compare"), "onednn");
      EXPECT_EQ(finite_positive(row.at("ratio")), !rnn) << row.at("cell") << " " << row.at("ratio");
    } else {
      EXPECT_EQ(row.at("backend"), "onednn");
      EXPECT_EQ(row.at("status"), rnn ? "skipped" : "ok") << row.at("message");
      if (rnn) EXPECT_NE(row.at("message").find("RNN_TANH"), std::string::npos);
    }
  }
#endif
}

// Variable-length rows: each is timed against the same batch padded on the same backend
// (compare "padded"), counts the real tokens only, and onednn (no sequence lengths) skips them
// with the reason.
TEST(BenchSmoke, RaggedRowsAgainstPadded) {
  if (!kBench) GTEST_SKIP() << "recur_bench is not built (configure with -DRECUR_BENCH=ON)";
  const std::string json = temp_path("ragged.json");
  const std::string backends = RECUR_WITH_ONEDNN ? "cpu,onednn" : "cpu";
  const Result r = run_bench(
      "--shape 'LSTM,8,3,4,6,1,uni,training,uniform;GRU,6,2,3,5,1,bi,inference,one-long' "
      "--backends " +
      backends + " --repeats 1 --min-time 0 --no-gemm-floor --no-progress --json '" + json + "'");
  ASSERT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
  EXPECT_NE(r.out.find("[ragged uniform: "), std::string::npos) << r.out;
  const std::string text = read_text(json);
  std::remove(json.c_str());
  const auto rows = json_rows(text);
  ASSERT_EQ(rows.size(), RECUR_WITH_ONEDNN ? 4u : 2u) << text;
  for (const auto& row : rows) {
    const bool lstm = row.at("cell") == "LSTM";
    EXPECT_EQ(row.at("ragged"), lstm ? "uniform" : "one-long");
    const double tokens = number(row.at("tokens"));
    const double padded = number(row.at("B")) * number(row.at("T"));
    EXPECT_TRUE(tokens >= number(row.at("B")) && tokens < padded) << row.at("tokens");
    EXPECT_NEAR(number(row.at("gflop")), expected_gflop(row) * tokens / padded, 1e-12);
    if (row.at("backend") == "cpu") {
      EXPECT_EQ(row.at("status"), "ok") << row.at("message");
      EXPECT_EQ(row.at("compare"), "padded");
      EXPECT_TRUE(finite_positive(row.at("ratio"))) << row.at("ratio");
    } else {
      EXPECT_EQ(row.at("status"), "skipped");
      EXPECT_NE(row.at("message").find("sequence lengths"), std::string::npos) << row.at("message");
    }
  }
}

TEST(BenchSmoke, UsageErrorsExitTwo) {
  if (!kBench) GTEST_SKIP() << "recur_bench is not built (configure with -DRECUR_BENCH=ON)";
  EXPECT_EQ(run_bench("--grid nosuchgrid").exit_code, 2);
  EXPECT_EQ(run_bench("--backends cpu,gpu").exit_code, 2);
  EXPECT_EQ(run_bench("--mode sideways").exit_code, 2);
  EXPECT_EQ(run_bench("--shape LSTM,8,3").exit_code, 2);
  EXPECT_EQ(run_bench("--shape LSTM,8,3,2,0").exit_code, 2);
  EXPECT_EQ(run_bench("--shape LSTM,8,3,2,3,1,sideways").exit_code, 2);
  EXPECT_EQ(run_bench("--shape LSTM,8,3,2,3,1,uni,inference,sometimes").exit_code, 2);
  EXPECT_EQ(run_bench("--shape LSTM,8,3,2,3 --grid quick").exit_code, 2);
  EXPECT_EQ(run_bench("--help").exit_code, 0);
}

}  // namespace
