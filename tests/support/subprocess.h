// Running the `recur` binary from tests: spawn a process, capture its stdout, stderr and exit
// status; and a temporary directory that cleans up after itself. Header-only (POSIX).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace recur::test {

// A fresh, empty directory under the system's temporary directory, removed with its contents
// when this object goes out of scope.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = base / ("recur-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
      if (std::filesystem::create_directory(path_)) return;
    }
    throw std::runtime_error("TempDir: cannot create a directory under " + base.string());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_text_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

struct ProcessResult {
  int exit_code = -1;      // the exit status, or 128 + signal number when killed by a signal
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr
  long max_rss_kb = 0;     // the child's peak resident set (getrusage's ru_maxrss, via wait4)
  bool timed_out = false;  // killed with SIGKILL after the timeout
};

// A process started by start_process; its stdout and stderr go to files in a private
// temporary directory, so that neither can block.
struct Child {
  pid_t pid = -1;
  std::unique_ptr<TempDir> io;
};

// Starts argv[0] (a path, not searched in PATH) with the given arguments; stdin is /dev/null.
inline Child start_process(const std::vector<std::string>& argv) {
  Child c;
  c.io = std::make_unique<TempDir>();
  const std::string out_path = c.io->file("stdout"), err_path = c.io->file("stderr");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&c.pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  return c;
}

// Waits for `c`; after `timeout_s` seconds it is killed (SIGKILL) and reported as timed out,
// so that a test of "never blocks" fails instead of hanging.
inline ProcessResult wait_process(Child& c, double timeout_s = 300) {
  int status = 0;
  struct rusage usage {};
  ProcessResult r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    const pid_t done = ::wait4(c.pid, &status, WNOHANG, &usage);
    if (done == c.pid) break;
    if (done < 0 && errno != EINTR)
      throw std::runtime_error("wait4 failed: " + std::string(std::strerror(errno)));
    if (!r.timed_out && std::chrono::steady_clock::now() > deadline) {
      ::kill(c.pid, SIGKILL);
      r.timed_out = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.max_rss_kb = usage.ru_maxrss;
  r.out = read_text_file(c.io->file("stdout"));
  r.err = read_text_file(c.io->file("stderr"));
  return r;
}

inline ProcessResult run_process(const std::vector<std::string>& argv, double timeout_s = 300) {
  Child c = start_process(argv);
  return wait_process(c, timeout_s);
}

}  // namespace recur::test
