// `recur`: run, check, train and sample recurrent networks. Each subcommand lives in its own
// cmd_*.cpp; this file only dispatches and turns exceptions into one line on stderr.
// Exit status: 0 success, 1 an error in the files or the run, 2 a usage error (bad flags).
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "args.h"
#include "commands.h"
#include "recur/recur.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Command kCommands[] = {
    {"run", recur::cli::cmd_run, "run a network on an input file (forward, optionally backward)"},
    {"info", recur::cli::cmd_info, "version, backends compiled in, GPU presence"},
    {"check", recur::cli::cmd_check, "diff a backend against cpu-ref over a randomized sweep"},
    {"train", recur::cli::cmd_train, "train a model: sine forecaster or character language model"},
    {"sample", recur::cli::cmd_sample, "generate text from a character-model checkpoint"},
    {"gradflow", recur::cli::cmd_gradflow, "the vanishing-gradient study: RNN vs LSTM vs GRU"},
};

void usage(FILE* out) {
  std::fprintf(out, "recur %s — recurrent networks (RNN, LSTM, GRU) on CPU and CUDA\n\n",
               recur::version());
  std::fprintf(out, "usage: recur <command> [options]   (recur <command> --help for details)\n\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\nexit status: 0 success, 1 an error in the files or the run (one line on\n"
               "stderr names it), 2 a usage error (unknown command, bad or missing flags)\n");
}

std::string command_names() {
  std::string names;
  for (const Command& c : kCommands) names += (names.empty() ? "" : ", ") + std::string(c.name);
  return names;
}

// Every failure is exactly one line on stderr, whatever the message holds.
void print_error(const char* command, const char* message) {
  std::string line = message;
  for (char& ch : line)
    if (ch == '\n' || ch == '\r') ch = ' ';
  std::fprintf(stderr, "recur %s: error: %s\n", command, line.c_str());
}

// SIGINT, SIGTERM, SIGHUP: remove the temporary file of a write in progress, then die of the
// signal as before (the exit status still says which). SIGXFSZ (a file-size limit) is ignored,
// so that the write that hits the limit fails with EFBIG and is reported and cleaned up.
extern "C" void on_termination_signal(int sig) {
  recur::remove_temp_files();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_termination_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  ::signal(SIGXFSZ, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  install_signal_handlers();
  if (argc < 2) {
    std::fprintf(stderr, "recur: missing command: one of %s (see recur --help)\n",
                 command_names().c_str());
    return 2;
  }
  if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("recur %s\n", recur::version());
    return 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      return c.run(argc - 2, argv + 2);
    } catch (const recur::cli::UsageError& e) {
      print_error(c.name, e.what());
      return 2;
    } catch (const std::exception& e) {
      print_error(c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "recur: unknown command '%s' (see recur --help)\n", argv[1]);
  return 2;
}
