// The two `recur train` tasks (train_sine.cpp, train_chars.cpp) and what they share.
#pragma once

#include <string>

#include "args.h"
#include "recur/rnn.h"

namespace recur::cli {

int train_sine(int argc, char** argv);   // recur train sine ...
int train_chars(int argc, char** argv);  // recur train chars ...

// "lstm", "gru", "rnn" (tanh) or "rnn-relu" -> Cell; anything else is an error naming --cell.
Cell parse_cell_flag(const std::string& name);
// The inverse, for summaries: "lstm", "gru", "rnn", "rnn-relu".
std::string cell_flag_name(Cell cell);

// The end of both tasks' --help: the rules of DIR, divergence, --resume and the exit status.
inline constexpr const char* kTrainRules = R"(
One run at a time per DIR (a second run there fails at once); files in DIR are replaced only
when they are regular files (a symbolic link, device or FIFO there is an error). A loss or
gradient norm that stops being finite ends the run with exit 1, keeping the last checkpoint.
With --resume, the other flags must agree with the checkpoint (or be left out). Checkpoints
are checked when loaded: their digest, finite values and counters in range.

exit status: 0 success, 1 an error in the files or the run, 2 a usage error (bad flags)
)";

// Creates `dir` (and its parents) if needed; errors name it.
void make_output_dir(const std::string& dir);

// The flags both tasks share, range-checked as usage errors (exit 2) naming the flag:
// --dropout in [0, 1), --lr positive, --clip non-negative (0 = off).
double dropout_flag(const Args& args, double fallback);
double learning_rate_flag(const Args& args, double fallback);
double clip_flag(const Args& args, double fallback);

// A flag given with --resume must say what the checkpoint says (`equal`); otherwise a usage
// error shows the checkpoint's value.
template <class T>
void keep_resumed(const Args& args, const char* flag, bool equal, const T& resumed) {
  RECUR_USAGE_CHECK(!args.has(flag) || equal,
                    "flag --{}: {} differs from the resumed run's {} (a resumed run keeps its "
                    "settings; leave the flag out)",
                    flag, args.str(flag), resumed);
}

// keep_resumed for the flags both tasks have (their configs name these fields alike).
template <class Config>
void keep_resumed_shared(const Args& args, const Config& flags, const Config& resumed) {
  const Config& r = resumed;
  keep_resumed(args, "cell", flags.cell == r.cell, cell_flag_name(r.cell));
  keep_resumed(args, "hidden", flags.hidden == r.hidden, r.hidden);
  keep_resumed(args, "layers", flags.layers == r.layers, r.layers);
  keep_resumed(args, "dropout", flags.dropout == r.dropout, r.dropout);
  keep_resumed(args, "batch", flags.batch == r.batch, r.batch);
  keep_resumed(args, "lr", flags.lr == r.lr, r.lr);
  keep_resumed(args, "clip", flags.clip == r.clip, r.clip);
  keep_resumed(args, "seed", flags.seed == r.seed, r.seed);
}

}  // namespace recur::cli
