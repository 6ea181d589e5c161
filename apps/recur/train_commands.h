// The two `recur train` tasks (train_sine.cpp, train_chars.cpp) and what they share.
#pragma once

#include <string>

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

}  // namespace recur::cli
