// `recur sample`: text from a character-model checkpoint written by `recur train chars`.
#include <cstdio>
#include <string>

#include "args.h"
#include "commands.h"
#include "recur/recur.h"

namespace recur::cli {

int cmd_sample(int argc, char** argv) {
  Args args(argc, argv, {"checkpoint", "prime", "temperature", "length", "seed", "backend"},
            {"greedy"});
  if (args.help()) {
    std::printf(
        "usage: recur sample --checkpoint FILE [--prime TEXT] [--temperature T] [--length N]\n"
        "                    [--seed S] [--greedy] [--backend NAME]\n\n"
        "Prints TEXT followed by N characters (default 500) sampled one by one from the\n"
        "model's softmax at temperature T (default 0.8; lower is more conservative), or with\n"
        "--greedy each the most likely character (deterministic; T and S are unused). The\n"
        "prime must use characters of the model's vocabulary; empty starts after a newline.\n"
        "The text is written as it is sampled. The checkpoint must be a regular file whose\n"
        "digest and values check out.\n\n"
        "exit status: 0 success, 1 an error in the files or the run, 2 a usage error (bad "
        "flags)\n");
    return 0;
  }
  args.no_positional();
  const std::string path = args.required("checkpoint");
  const double temperature = args.number("temperature", 0.8);
  const int64_t length = args.integer_at_least("length", 500, 0);
  const uint64_t seed = args.seed();
  RECUR_USAGE_CHECK(temperature > 0, "flag --temperature: must be positive, got {}", temperature);
  train::CharModel m = train::load_char_model(path, args.str("backend", "auto"));
  // Written as it is sampled (a long sample that is interrupted keeps what it had).
  train::sample_text(*m.model, m.vocab, args.str("prime", ""), temperature, length, seed,
                     args.flag("greedy"), [](const std::string& piece) {
                       std::fwrite(piece.data(), 1, piece.size(), stdout);
                       std::fflush(stdout);
                     });
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace recur::cli
