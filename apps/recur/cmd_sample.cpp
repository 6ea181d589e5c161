#include "commands.h"
#include "recur/error.h"
namespace recur::cli {
int cmd_sample(int, char**) { RECUR_FAIL("not implemented yet"); }
}  // namespace recur::cli
