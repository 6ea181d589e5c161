// `recur train chars`: a character-level language model on any UTF-8 text, trained for a time
// budget (--minutes) or a number of steps, reporting validation loss in nats per character as
// it goes, checkpointing at every report.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "args.h"
#include "progress.h"
#include "recur/recur.h"
#include "svg.h"
#include "train_commands.h"

namespace recur::cli {

namespace {

const char* kUsage = R"(usage: recur train chars --text FILE [options]

Trains embedding -> RNN -> Linear on the characters (Unicode code points) of a UTF-8 text, by
truncated backpropagation through time: --batch parallel streams through the first 90% of the
text, in chunks of --seq steps, the hidden state carried from chunk to chunk. The last 10% is
the validation part; its loss is reported in nats per character.

options:
  --text FILE         the training text (UTF-8), required
  --minutes M         training time budget in minutes (default 5; the final validation is extra)
  --steps N           train N steps instead of a time budget
  --cell lstm|gru|rnn|rnn-relu  recurrent cell (default lstm)
  --hidden H          hidden size (default 256)
  --layers L          RNN layers (default 2)
  --embed E           embedding size (default 64)
  --dropout P         dropout on every RNN layer's output (default 0.2)
  --batch B           parallel streams (default 32)
  --seq T             truncation length, steps per chunk (default 64)
  --lr X              Adam learning rate (default 0.003)
  --clip X            clip the global gradient norm at X, 0 = off (default 5)
  --eval-every S      validate every S seconds of training (default 30)
  --eval-chars N      characters per periodic validation, 0 = all (default 20000); the final
                      validation always uses the whole validation part
  --seed S            seed of the weights and dropout (default 0)
  --backend NAME      auto, cpu, cpu-ref, cuda, cudnn (default auto)
  --out DIR           output directory (default runs/chars)
  --resume FILE       continue the run saved in a checkpoint, on the same text

Writes DIR/model.safetensors (at every validation) and DIR/loss.svg, and ends with one line on
stdout: val_loss=<nats per character> key=value ...
)";

// The run the flags describe (defaults where absent); every bad value is a usage error naming
// its flag.
train::CharConfig config_from_flags(const Args& args) {
  train::CharConfig c;
  c.cell = parse_cell_flag(args.str("cell", "lstm"));
  c.hidden = args.integer_at_least("hidden", c.hidden, 1);
  c.layers = args.integer_at_least("layers", c.layers, 1);
  c.embed = args.integer_at_least("embed", c.embed, 1);
  c.dropout = dropout_flag(args, c.dropout);
  c.batch = args.integer_at_least("batch", c.batch, 1);
  c.seq = args.integer_at_least("seq", c.seq, 1);
  c.lr = learning_rate_flag(args, c.lr);
  c.clip = clip_flag(args, c.clip);
  c.seed = args.seed();
  c.backend = args.str("backend", "auto");
  return c;
}

}  // namespace

int train_chars(int argc, char** argv) {
  Args args(argc, argv,
            {"text", "minutes", "steps", "cell", "hidden", "layers", "embed", "dropout", "batch",
             "seq", "lr", "clip", "eval-every", "eval-chars", "seed", "backend", "out", "resume"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    std::fputs(kTrainRules, stdout);
    return 0;
  }
  args.no_positional();
  const std::string text_path = args.required("text");
  RECUR_USAGE_CHECK(!(args.has("minutes") && args.has("steps")),
                    "give --minutes or --steps, not both");
  const double minutes = args.number("minutes", 5.0);
  // 0: no --steps, the --minutes budget.
  const int64_t max_steps = args.integer_at_least("steps", 0, 1);
  RECUR_USAGE_CHECK(minutes > 0, "flag --minutes: must be positive, got {}", minutes);
  const double eval_every = args.number("eval-every", 30.0);
  const int64_t eval_chars = args.integer_at_least("eval-chars", 20000, 0);
  RECUR_USAGE_CHECK(eval_every > 0, "flag --eval-every: must be positive, got {}", eval_every);
  const std::string out = args.str("out", "runs/chars");
  const train::CharConfig flags = config_from_flags(args);
  const std::string checkpoint = out + "/model.safetensors";
  for (const std::string& output : {checkpoint, out + "/loss.svg"})
    RECUR_USAGE_CHECK(!same_file(text_path, output),
                      "flag --text: '{}' is the same file as the output '{}'; it would be replaced",
                      text_path, output);
  const std::string text = read_regular_file(text_path);

  std::unique_ptr<train::CharTask> task;
  if (args.has("resume")) {
    task = std::make_unique<train::CharTask>(
        train::CharTask::resume(args.str("resume"), text, text_path, args.str("backend")));
    const train::CharConfig& r = task->config();
    keep_resumed_shared(args, flags, r);
    keep_resumed(args, "embed", flags.embed == r.embed, r.embed);
    keep_resumed(args, "seq", flags.seq == r.seq, r.seq);
  } else {
    task = std::make_unique<train::CharTask>(text, flags, text_path);
  }
  make_output_dir(out);
  const DirectoryLock lock(out);  // one run per --out at a time
  const auto& c = task->config();
  const std::string backend = task->model().backend().name();

  Progress progress;
  progress.line(fmt::format(
      "train chars: {} H={} L={} embed={} ({} parameters), vocabulary {}, {} train / {} "
      "validation characters, batch {} x seq {}, backend {}, {}",
      cell_flag_name(c.cell), c.hidden, c.layers, c.embed, task->model().num_parameters(),
      task->vocab().size(), task->train_chars(), task->val_chars(), c.batch, c.seq, backend,
      max_steps > 0 ? fmt::format("{} steps", max_steps) : fmt::format("{} minutes", minutes)));

  const double budget_s = minutes * 60.0;
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&]() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // A resumed run's reports continue the time axis of the earlier sessions.
  const double earlier_s = task->history().empty() ? 0.0 : task->history().back().seconds;
  double loss_sum = 0, next_eval = eval_every;
  int64_t loss_count = 0, steps = 0;
  const auto report = [&](bool final) {
    const double t = seconds();
    const double val = task->validate(final ? 0 : eval_chars);
    const double train_loss = loss_count ? loss_sum / static_cast<double>(loss_count) : NAN;
    task->add_report({task->steps(), earlier_s + t, train_loss, val});
    loss_sum = 0, loss_count = 0;
    task->save(checkpoint);
    progress.line(fmt::format(
        "step {} epoch {:.2f} train_loss={:.4f} val_loss={:.4f}{} time={:.0f}s", task->steps(),
        task->epochs_done(), train_loss, val, final ? " (full validation)" : "", t));
    return val;
  };
  const auto done = [&]() { return max_steps > 0 ? steps >= max_steps : seconds() >= budget_s; };
  while (!done()) {
    loss_sum += task->train_step();
    ++loss_count, ++steps;
    const double t = seconds();
    const double fraction = max_steps > 0 ? static_cast<double>(steps) / max_steps : t / budget_s;
    const double eta = max_steps > 0 ? t / steps * (max_steps - steps) : budget_s - t;
    progress.bar(fmt::format("step {}", task->steps()), fraction,
                 fmt::format("loss {:.3f}  {:.0f} char/s", loss_sum / loss_count,
                             static_cast<double>(steps * c.batch * c.seq) / t),
                 eta);
    if (t >= next_eval && !done()) {
      report(false);
      next_eval = seconds() + eval_every;
    }
  }
  const double train_time = seconds();
  const double val = report(true);
  progress.finish();

  PlotSeries train_curve{"train (mean since last report)", {}, {}, "#1f77b4"};
  PlotSeries val_curve{"validation", {}, {}, "#ff7f0e"};
  for (const train::CharTask::Report& r : task->history()) {
    train_curve.x.push_back(r.seconds);
    train_curve.y.push_back(r.train_loss);
    val_curve.x.push_back(r.seconds);
    val_curve.y.push_back(r.val_loss);
  }
  PlotOptions o;
  o.title = fmt::format("{} H={} L={}: loss (nats per character)", cell_flag_name(c.cell), c.hidden,
                        c.layers);
  o.x_label = "seconds";
  o.y_label = "nats per character";
  write_line_plot(out + "/loss.svg", {train_curve, val_curve}, o);
  std::printf(
      "val_loss=%.4f steps=%lld epochs=%.2f train_time_s=%.1f chars_per_s=%.0f cell=%s "
      "hidden=%lld layers=%lld backend=%s out=%s\n",
      val, static_cast<long long>(task->steps()), task->epochs_done(), train_time,
      static_cast<double>(steps * c.batch * c.seq) / train_time, cell_flag_name(c.cell).c_str(),
      static_cast<long long>(c.hidden), static_cast<long long>(c.layers), backend.c_str(),
      out.c_str());
  return 0;
}

}  // namespace recur::cli
