// The subcommands of the `recur` tool. Each takes the arguments after its name and returns the
// process exit code; errors are thrown as recur::Error and printed by main as one line.
#pragma once

namespace recur::cli {

int cmd_run(int argc, char** argv);       // cmd_run.cpp
int cmd_info(int argc, char** argv);      // cmd_info.cpp
int cmd_check(int argc, char** argv);     // cmd_check.cpp
int cmd_train(int argc, char** argv);     // cmd_train.cpp
int cmd_sample(int argc, char** argv);    // cmd_sample.cpp
int cmd_gradflow(int argc, char** argv);  // cmd_gradflow.cpp

}  // namespace recur::cli
