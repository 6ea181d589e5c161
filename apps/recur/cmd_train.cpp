// `recur train <task>`: dispatches to the sine forecaster or the character language model.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "args.h"
#include "commands.h"
#include "recur/error.h"
#include "train_commands.h"

namespace recur::cli {

Cell parse_cell_flag(const std::string& name) {
  if (name == "lstm") return Cell::LSTM;
  if (name == "gru") return Cell::GRU;
  if (name == "rnn" || name == "rnn-tanh") return Cell::RNN_TANH;
  if (name == "rnn-relu") return Cell::RNN_RELU;
  throw UsageError(fmt::format("flag --cell: '{}' is not one of lstm, gru, rnn, rnn-relu", name));
}

std::string cell_flag_name(Cell cell) {
  switch (cell) {
    case Cell::LSTM:
      return "lstm";
    case Cell::GRU:
      return "gru";
    case Cell::RNN_TANH:
      return "rnn";
    case Cell::RNN_RELU:
      return "rnn-relu";
    default:  // a cell the training commands do not offer (docs/DESIGN.md, "Adding a cell")
      break;
  }
  return "?";
}

void make_output_dir(const std::string& dir) {
  RECUR_USAGE_CHECK(!dir.empty(), "flag --out: empty directory name");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  RECUR_CHECK(!ec && std::filesystem::is_directory(dir), "cannot create output directory '{}': {}",
              dir, ec ? ec.message() : "exists and is not a directory");
}

double dropout_flag(const Args& args, double fallback) {
  const double p = args.number("dropout", fallback);
  RECUR_USAGE_CHECK(p >= 0 && p < 1, "flag --dropout: must be in [0, 1), got {}", p);
  return p;
}

double learning_rate_flag(const Args& args, double fallback) {
  const double lr = args.number("lr", fallback);
  RECUR_USAGE_CHECK(lr > 0, "flag --lr: must be positive, got {}", lr);
  return lr;
}

double clip_flag(const Args& args, double fallback) {
  const double clip = args.number("clip", fallback);
  RECUR_USAGE_CHECK(clip >= 0, "flag --clip: must be non-negative (0 = off), got {}", clip);
  return clip;
}

int cmd_train(int argc, char** argv) {
  const char* usage =
      "usage: recur train <task> [options]   (recur train <task> --help for its options)\n\n"
      "tasks:\n"
      "  sine    forecast a noisy sine wave from windows of its past (RNN + MLP head, MSE)\n"
      "  chars   character-level language model on a UTF-8 text file (truncated BPTT)\n";
  if (argc < 1) throw UsageError("missing task: sine or chars (see recur train --help)");
  if (!std::strcmp(argv[0], "--help") || !std::strcmp(argv[0], "-h")) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!std::strcmp(argv[0], "sine")) return train_sine(argc - 1, argv + 1);
  if (!std::strcmp(argv[0], "chars")) return train_chars(argc - 1, argv + 1);
  throw UsageError(fmt::format("unknown task '{}' (expected sine or chars)", argv[0]));
}

}  // namespace recur::cli
