#include "commands.h"
#include "recur/error.h"
namespace recur::cli {
int cmd_run(int, char**) { RECUR_FAIL("todo"); }
}  // namespace recur::cli
