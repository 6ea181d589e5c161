#include "grids.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <string>

#include "recur/backend.h"
#include "recur/error.h"

namespace recur::bench {

namespace {

const std::vector<Mode> kBothModes = {Mode::Inference, Mode::Training};

bool has_cell(const std::vector<Cell>& cells, Cell c) {
  return std::find(cells.begin(), cells.end(), c) != cells.end();
}

// Appends one shape in each of `modes`.
void add(std::vector<BenchCase>& out, BenchCase shape, const std::vector<Mode>& modes) {
  for (Mode m : modes) {
    shape.mode = m;
    out.push_back(shape);
  }
}

// `names` and, where recur was built with it, the onednn comparison (before cpu).
std::vector<std::string> with_onednn(std::vector<std::string> names) {
  const std::vector<std::string> built = backend_names();
  if (std::find(built.begin(), built.end(), "onednn") != built.end()) names.push_back("onednn");
  return names;
}

BenchCase shape(Cell cell, int64_t H, int64_t I, int64_t B, int64_t T, int64_t L = 1,
                bool bidirectional = false) {
  BenchCase c;
  c.cell = cell;
  c.H = H;
  c.I = I;
  c.B = B;
  c.T = T;
  c.L = L;
  c.bidirectional = bidirectional;
  return c;
}

// The seed project's model: a 2-layer LSTM forecaster over a scalar series.
BenchCase seed_model() {
  return shape(Cell::LSTM, 128, 1, 32, 50, 2);
}

// DeepBench's LSTM points: H 512..4096, B 16..128, T 25, I = H.
void add_deepbench(std::vector<BenchCase>& out, const std::vector<Cell>& cells) {
  if (!has_cell(cells, Cell::LSTM)) return;
  for (int64_t H : {512, 1024, 2048, 4096})
    for (int64_t B : {16, 32, 64, 128}) add(out, shape(Cell::LSTM, H, H, B, 25), kBothModes);
}

void add_sweep(std::vector<BenchCase>& out, const std::vector<Cell>& cells,
               const std::vector<int64_t>& Hs, const std::vector<int64_t>& Bs,
               const std::vector<int64_t>& Ts) {
  for (Cell cell : cells)
    for (int64_t H : Hs)
      for (int64_t B : Bs)
        for (int64_t T : Ts) add(out, shape(cell, H, H, B, T), kBothModes);
}

// Variable-length batches of one shape per cell (H = I), both modes: lengths uniform in
// [1, T], and one long sequence among short ones (each row timed against the batch padded).
void add_ragged(std::vector<BenchCase>& out, const std::vector<Cell>& cells, int64_t H, int64_t B,
                int64_t T) {
  for (Cell cell : cells) {
    if (cell != Cell::LSTM && cell != Cell::GRU) continue;
    for (Ragged r : {Ragged::Uniform, Ragged::OneLong}) {
      BenchCase c = shape(cell, H, H, B, T);
      c.ragged = r;
      add(out, c, kBothModes);
    }
  }
}

Grid quick_grid(const std::vector<Cell>& cells) {
  Grid g;
  for (Cell cell : cells) {
    add(g.cases, shape(cell, 16, 16, 4, 8), kBothModes);
    add(g.cases, shape(cell, 32, 32, 4, 8), kBothModes);
    // Odd sizes, two layers, both directions: the paths a uniform shape would not reach.
    add(g.cases, shape(cell, 24, 11, 3, 5, 2, true), kBothModes);
  }
  g.backends = with_onednn({"cpu-ref", "cpu"});
  g.timing = {1, 3, 0.01, 10000};
  return g;
}

Grid cpu_grid(const std::vector<Cell>& cells) {
  Grid g;
  // Issue 3's targets.
  if (has_cell(cells, Cell::LSTM)) {
    add(g.cases, shape(Cell::LSTM, 512, 512, 64, 100), kBothModes);
  }
  if (has_cell(cells, Cell::GRU))
    add(g.cases, shape(Cell::GRU, 512, 512, 64, 100), {Mode::Inference});
  if (has_cell(cells, Cell::LSTM)) {
    add(g.cases, seed_model(), {Mode::Training});
    add(g.cases, shape(Cell::LSTM, 256, 256, 1, 100), {Mode::Inference});
  }
  // A moderate sweep, and one deep bidirectional point per cell.
  add_sweep(g.cases, cells, {128, 512}, {1, 16, 64}, {50});
  for (Cell cell : cells) add(g.cases, shape(cell, 256, 256, 16, 50, 2, true), kBothModes);
  // DeepBench's LSTM points at the sizes a 2-core CPU runs in seconds (H <= 1024, B <= 64).
  if (has_cell(cells, Cell::LSTM)) {
    for (int64_t H : {512, 1024})
      for (int64_t B : {16, 32, 64}) add(g.cases, shape(Cell::LSTM, H, H, B, 25), kBothModes);
  }
  add_ragged(g.cases, cells, 256, 64, 100);
  g.backends = with_onednn({"cpu-ref", "cpu"});
  g.timing = {1, 5, 0.2, 10000};
  return g;
}

std::vector<std::string> all_usable_backends() {
  std::vector<std::string> names = with_onednn({"cpu-ref", "cpu"});
  if (gpu_available()) {
    for (const std::string& n : backend_names())
      if (n == "cudnn" || n == "cuda") names.push_back(n);
  }
  return names;
}

Grid gpu_grid(const std::vector<Cell>& cells) {
  Grid g;
  add_sweep(g.cases, cells, {256, 512, 1024, 2048}, {1, 16, 64, 256}, {100});
  // The rest of the persistent kernel's model grid (docs/PERFORMANCE.md): H {128..1536} x
  // B {1, 4, 16, 64}.
  add_sweep(g.cases, cells, {128, 1536}, {1, 4, 16, 64}, {100});
  add_sweep(g.cases, cells, {256, 512, 1024}, {4}, {100});
  add_deepbench(g.cases, cells);
  if (has_cell(cells, Cell::LSTM)) add(g.cases, seed_model(), kBothModes);
  add_ragged(g.cases, cells, 512, 64, 100);
  // cuDNN with each algorithm (rows of an algorithm cuDNN refuses for a shape are skipped with
  // its reason), and the cuda backend's own choice beside each of its two time loops.
  g.backends = {"cudnn", "cudnn-static", "cudnn-small-h", "cudnn-dynamic",
                "cuda",  "cuda-step",    "cuda-persist"};
  g.timing = {3, 10, 0.1, 10000};
  return g;
}

Grid full_grid(const std::vector<Cell>& cells) {
  Grid g;
  add_sweep(g.cases, cells, {64, 128, 256, 512, 1024, 2048}, {1, 4, 16, 64, 256}, {1, 25, 100});
  add_deepbench(g.cases, cells);
  if (has_cell(cells, Cell::LSTM)) add(g.cases, seed_model(), kBothModes);
  g.backends = all_usable_backends();
  g.timing = {1, 3, 0.1, 10000};
  return g;
}

// Keeps each shape once, in first-seen order, and runs it in `modes`.
std::vector<BenchCase> with_modes(const std::vector<BenchCase>& cases,
                                  const std::vector<Mode>& modes) {
  std::vector<BenchCase> shapes;
  for (BenchCase c : cases) {
    c.mode = Mode::Inference;
    const bool seen = std::any_of(shapes.begin(), shapes.end(),
                                  [&](const BenchCase& s) { return same_case(s, c); });
    if (!seen) shapes.push_back(c);
  }
  std::vector<BenchCase> out;
  for (const BenchCase& s : shapes) add(out, s, modes);
  return out;
}

std::vector<BenchCase> unique(const std::vector<BenchCase>& cases) {
  std::vector<BenchCase> out;
  for (const BenchCase& c : cases) {
    const bool seen =
        std::any_of(out.begin(), out.end(), [&](const BenchCase& s) { return same_case(s, c); });
    if (!seen) out.push_back(c);
  }
  return out;
}

Grid shapes_grid(const std::vector<BenchCase>& shapes) {
  Grid g;
  g.cases = shapes;
  g.backends = with_onednn({"cpu-ref", "cpu"});
  g.timing = {1, 5, 0.2, 10000};
  return g;
}

BenchCase parse_shape(const std::string& text) {
  std::vector<std::string> f;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      f.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  RECUR_CHECK(f.size() >= 5 && f.size() <= 9,
              "--shape '{}': expected "
              "CELL,H,I,B,T[,LAYERS[,uni|bi[,inference|training[,uniform|one-long]]]]",
              text);
  std::string cell = f[0];
  std::transform(cell.begin(), cell.end(), cell.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  BenchCase c;
  c.cell = parse_cell(cell);
  const char* names[] = {"H", "I", "B", "T", "LAYERS"};
  int64_t* fields[] = {&c.H, &c.I, &c.B, &c.T, &c.L};
  for (size_t i = 1; i < f.size() && i <= 5; ++i) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(f[i], &used);
    } catch (const std::exception&) {
      used = 0;
    }
    RECUR_CHECK(used == f[i].size() && v >= 1 && v <= 1000000,
                "--shape '{}': {} must be an integer in [1, 1000000], got '{}'", text, names[i - 1],
                f[i]);
    *fields[i - 1] = v;
  }
  if (f.size() > 6) {
    RECUR_CHECK(f[6] == "uni" || f[6] == "bi",
                "--shape '{}': direction must be uni or bi, got '{}'", text, f[6]);
    c.bidirectional = f[6] == "bi";
  }
  if (f.size() > 7) {
    RECUR_CHECK(f[7] == "inference" || f[7] == "training",
                "--shape '{}': mode must be inference or training, got '{}'", text, f[7]);
    c.mode = f[7] == "training" ? Mode::Training : Mode::Inference;
  }
  if (f.size() > 8) {
    RECUR_CHECK(f[8] == "uniform" || f[8] == "one-long",
                "--shape '{}': ragged must be uniform or one-long, got '{}'", text, f[8]);
    c.ragged = f[8] == "uniform" ? Ragged::Uniform : Ragged::OneLong;
  }
  return c;
}

}  // namespace

const std::vector<std::string>& grid_names() {
  static const std::vector<std::string> names = {"quick", "cpu", "gpu", "full"};
  return names;
}

Grid make_shape_grid(const std::vector<std::string>& shapes,
                     const std::optional<std::vector<Mode>>& modes) {
  RECUR_CHECK(!shapes.empty(), "--shape: no shape given");
  std::vector<BenchCase> cases;
  std::vector<Cell> cells;
  for (const std::string& s : shapes) {
    cases.push_back(parse_shape(s));
    if (!has_cell(cells, cases.back().cell)) cells.push_back(cases.back().cell);
  }
  Grid g = shapes_grid(cases);
  g.name = "shape";
  g.cells = cells;
  g.cases = modes ? with_modes(g.cases, *modes) : unique(g.cases);
  return g;
}

Grid make_grid(const std::string& name, const std::vector<Cell>& cells,
               const std::optional<std::vector<Mode>>& modes) {
  std::vector<Cell> selected = cells;
  if (selected.empty()) {
    selected = (name == "quick" || name == "cpu")
                   ? std::vector<Cell>{Cell::LSTM, Cell::GRU, Cell::RNN_TANH}
                   : std::vector<Cell>{Cell::LSTM, Cell::GRU};
  }
  Grid g;
  if (name == "quick") {
    g = quick_grid(selected);
  } else if (name == "cpu") {
    g = cpu_grid(selected);
  } else if (name == "gpu") {
    g = gpu_grid(selected);
  } else if (name == "full") {
    g = full_grid(selected);
  } else {
    RECUR_FAIL("unknown grid '{}' (grids: quick, cpu, gpu, full)", name);
  }
  g.name = name;
  g.cells = selected;
  g.cases = modes ? with_modes(g.cases, *modes) : unique(g.cases);
  return g;
}

}  // namespace recur::bench
