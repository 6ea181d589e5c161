// `recur train sine`: the classic forecasting experiment, with progress, SVG plots of the test
// predictions and the loss curves, a checkpoint after every epoch, and one summary line.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "args.h"
#include "progress.h"
#include "recur/recur.h"
#include "svg.h"
#include "train_commands.h"

namespace recur::cli {

namespace {

const char* kUsage = R"(usage: recur train sine [options]

Trains an RNN to predict the next value of sin(0.5 t) + 0.1 N(0,1) (2000 points, t in [0, 100])
from the previous --window values, and reports the test MSE in the series' own units.

Data: the series is split chronologically at 80%; a MinMax scaler to [0, 1] (--scale) is fitted
on the training part only; training windows are those whose target is in the training part, test
windows predict every value of the test part (their inputs may reach back into the training
part, as history). Model: RNN -> Linear(H, 32) -> ReLU -> Linear(32, 1) on the last step.

options:
  --cell lstm|gru|rnn|rnn-relu  recurrent cell (default lstm)
  --hidden H          hidden size (default 128)
  --layers L          RNN layers (default 2)
  --dropout P         dropout between RNN layers (default 0.2)
  --epochs N          epochs to train in total (default 50)
  --lr X              Adam learning rate (default 0.001)
  --batch B           mini-batch size (default 32)
  --clip X            clip the global gradient norm at X, 0 = off (default 1.0)
  --window W          input window length (default 50)
  --points N          series length (default 2000)
  --scale LO:HI       MinMax range of the scaled series (default 0:1, scikit-learn's default)
  --seed S            seed of the noise, the weights, the batch order and dropout (default 0)
  --backend NAME      auto, cpu, cpu-ref, cuda, cudnn (default auto)
  --out DIR           output directory (default runs/sine)
  --resume FILE       continue the run saved in a checkpoint (DIR/model.safetensors)

Writes DIR/model.safetensors (after every epoch), DIR/predictions.svg, DIR/predictions.csv
(t,actual,predicted for every test target), DIR/loss.svg, and ends with one line on stdout:
test_mse=<MSE in original units> key=value ...
)";

using train::SineTask;

void write_plots(SineTask& task, const std::string& out) {
  const std::vector<double> pred = task.predict_test();
  const auto& series = task.series();
  const int64_t split = task.split().split;
  const auto& c = task.config();
  PlotSeries actual{"actual", {}, {}, "#1f77b4"}, predicted{"predicted", {}, {}, "#d62728"};
  std::string csv = "t,actual,predicted\n";
  for (size_t i = 0; i < pred.size(); ++i) {
    const int64_t k = split + static_cast<int64_t>(i);
    const double t = c.t_max * static_cast<double>(k) / static_cast<double>(c.points - 1);
    actual.x.push_back(t);
    actual.y.push_back(series[static_cast<size_t>(k)]);
    predicted.x.push_back(t);
    predicted.y.push_back(pred[i]);
    csv += fmt::format("{},{},{}\n", t, actual.y.back(), pred[i]);
  }
  // The same numbers as the plot, for a spreadsheet or numpy (full precision: fmt's shortest).
  write_file_atomic(out + "/predictions.csv", csv.data(), csv.size());
  PlotOptions o;
  o.title = fmt::format("{} H={} L={}: test predictions vs actual (test MSE {:.5f})",
                        cell_flag_name(c.cell), c.hidden, c.layers, task.test_mse());
  o.x_label = "t";
  o.y_label = "value";
  write_line_plot(out + "/predictions.svg", {actual, predicted}, o);

  PlotSeries train{"train", {}, {}, "#1f77b4"}, test{"test", {}, {}, "#ff7f0e"};
  for (size_t e = 0; e < task.history().size(); ++e) {
    train.x.push_back(static_cast<double>(e + 1));
    train.y.push_back(task.history()[e].train_loss);
    test.x.push_back(static_cast<double>(e + 1));
    test.y.push_back(task.history()[e].test_loss);
  }
  PlotOptions lo;
  lo.title = "loss per epoch (MSE on the scaled series)";
  lo.x_label = "epoch";
  lo.y_label = "MSE (log scale)";
  lo.log_y = true;
  write_line_plot(out + "/loss.svg", {train, test}, lo);
}

// "LO:HI", e.g. "0:1" or "-1:1".
void parse_scale(const std::string& s, train::SineConfig* c) {
  const size_t colon = s.find(':');
  char* end = nullptr;
  bool ok = colon != std::string::npos;
  if (ok) {
    const std::string lo = s.substr(0, colon), hi = s.substr(colon + 1);
    c->scale_lo = std::strtod(lo.c_str(), &end);
    ok = !lo.empty() && *end == '\0';
    c->scale_hi = std::strtod(hi.c_str(), &end);
    ok = ok && !hi.empty() && *end == '\0';
  }
  RECUR_USAGE_CHECK(ok, "flag --scale: '{}' is not LO:HI (e.g. 0:1)", s);
  RECUR_USAGE_CHECK(
      std::isfinite(c->scale_lo) && std::isfinite(c->scale_hi) && c->scale_lo < c->scale_hi,
      "flag --scale: the range {}:{} is empty or not finite", c->scale_lo, c->scale_hi);
}

// The run the flags describe (defaults where absent); every bad value is a usage error naming
// its flag.
train::SineConfig config_from_flags(const Args& args) {
  train::SineConfig c;
  c.cell = parse_cell_flag(args.str("cell", "lstm"));
  c.hidden = args.integer_at_least("hidden", c.hidden, 1);
  c.layers = args.integer_at_least("layers", c.layers, 1);
  c.dropout = dropout_flag(args, c.dropout);
  c.lr = learning_rate_flag(args, c.lr);
  c.batch = args.integer_at_least("batch", c.batch, 1);
  c.clip = clip_flag(args, c.clip);
  c.window = args.integer_at_least("window", c.window, 1);
  c.points = args.integer_at_least("points", c.points, 3);
  if (args.has("scale")) parse_scale(args.str("scale"), &c);
  c.seed = args.seed();
  c.backend = args.str("backend", "auto");
  c.epochs = args.integer_at_least("epochs", c.epochs, 0);
  try {
    train::split_windows(c.points, c.window, c.train_fraction);
  } catch (const Error& e) {
    throw UsageError(
        fmt::format("flags --points {} and --window {}: {}", c.points, c.window, e.what()));
  }
  return c;
}

}  // namespace

int train_sine(int argc, char** argv) {
  Args args(argc, argv,
            {"cell", "hidden", "layers", "dropout", "epochs", "lr", "batch", "clip", "window",
             "points", "scale", "seed", "backend", "out", "resume"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    std::fputs(kTrainRules, stdout);
    return 0;
  }
  args.no_positional();
  const std::string out = args.str("out", "runs/sine");

  const train::SineConfig c = config_from_flags(args);
  std::unique_ptr<SineTask> task;
  if (args.has("resume")) {
    task = std::make_unique<SineTask>(SineTask::resume(args.str("resume"), args.str("backend")));
    const train::SineConfig& r = task->config();
    keep_resumed_shared(args, c, r);
    keep_resumed(args, "window", c.window == r.window, r.window);
    keep_resumed(args, "points", c.points == r.points, r.points);
    keep_resumed(args, "scale", c.scale_lo == r.scale_lo && c.scale_hi == r.scale_hi,
                 fmt::format("{}:{}", r.scale_lo, r.scale_hi));
  } else {
    task = std::make_unique<SineTask>(c);
  }
  const int64_t epochs = args.integer_at_least("epochs", task->config().epochs, 0);
  RECUR_USAGE_CHECK(epochs >= task->epoch(),
                    "flag --epochs: {} is fewer than the {} epochs the resumed run has done",
                    epochs, task->epoch());
  // A resumed run may be extended; its checkpoints then record the new total, so that a later
  // plain --resume continues to it.
  task->set_epochs(epochs);
  make_output_dir(out);
  const DirectoryLock lock(out);  // one run per --out at a time
  const std::string checkpoint = out + "/model.safetensors";
  const std::string backend = task->model().backend().name();

  Progress progress;
  progress.line(fmt::format(
      "train sine: {} H={} L={} dropout={} ({} parameters), backend {}, {} train / {} test "
      "windows, batch {}, epochs {}..{}",
      cell_flag_name(task->config().cell), task->config().hidden, task->config().layers,
      task->config().dropout, task->model().num_parameters(), backend, task->split().train_count(),
      task->split().test_count(), task->config().batch, task->epoch() + 1, epochs));

  const int64_t first_epoch = task->epoch();
  const int64_t batch = task->config().batch;
  const int64_t batches_per_epoch = (task->split().train_count() + batch - 1) / batch;
  const int64_t total_batches = std::max<int64_t>(1, (epochs - first_epoch) * batches_per_epoch);
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&]() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int64_t done = 0;
  while (task->epoch() < epochs) {
    const int64_t e = task->epoch() + 1;
    const auto on_batch = [&](int64_t, int64_t, double loss) {
      ++done;
      const double t = seconds(), rate = static_cast<double>(done) / t;
      progress.bar(fmt::format("epoch {}/{}", e, epochs),
                   static_cast<double>(done) / static_cast<double>(total_batches),
                   fmt::format("loss {:.5f}  {:.1f} batch/s", loss, rate),
                   static_cast<double>(total_batches - done) / rate);
    };
    const train::EpochRecord r = task->train_epoch(on_batch);
    task->save(checkpoint);
    progress.line(
        fmt::format("epoch {}/{} train_loss={:.6f} test_loss={:.6f} grad_norm={:.3f} "
                    "time={:.1f}s",
                    e, epochs, r.train_loss, r.test_loss, task->last_grad_norm_mean(), seconds()));
  }
  const double train_time = seconds();
  progress.finish();
  if (task->epoch() == first_epoch) task->save(checkpoint);  // nothing trained: still a model
  write_plots(*task, out);
  std::printf(
      "test_mse=%.6f test_mse_vs_clean=%.6f train_time_s=%.1f epochs=%lld cell=%s hidden=%lld "
      "layers=%lld backend=%s out=%s\n",
      task->test_mse(), task->test_mse_vs_clean(), train_time,
      static_cast<long long>(task->epoch()), cell_flag_name(task->config().cell).c_str(),
      static_cast<long long>(task->config().hidden), static_cast<long long>(task->config().layers),
      backend.c_str(), out.c_str());
  return 0;
}

}  // namespace recur::cli
