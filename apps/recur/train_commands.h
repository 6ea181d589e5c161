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

}  // namespace recur::cli
