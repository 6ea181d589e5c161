// How recur touches the file system and host memory when a path comes from a user: inputs are
// opened knowing what they are (regular files only, never blocking, their size known before a
// byte is read, read with bounds), outputs never land on an input, a device or a link, and
// nothing is allocated that the machine does not have.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace recur {

// A regular file opened for reading. Opening never blocks (O_NONBLOCK: a FIFO without a writer
// is refused, not waited on); a directory, device, FIFO or socket is an error naming the path
// and what it is. `what` names the file in errors (the path when empty).
class InputFile {
 public:
  explicit InputFile(const std::string& path, const std::string& what = "");
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }  // as fstat saw it when opened
  const std::string& what() const { return what_; }
  // Exactly `size` bytes at `offset`, or an error (the file shrank, or a read failed).
  void read_at(void* out, uint64_t size, uint64_t offset) const;

 private:
  std::string what_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// The whole of a regular file (InputFile's rules), after checking that `size()` bytes fit in
// the memory available.
std::string read_regular_file(const std::string& path, const std::string& what = "");

// True when both paths name the same existing file (same device and inode, so links and
// different spellings of one path count); false when either does not exist.
bool same_file(const std::string& a, const std::string& b);

// An advisory lock (flock) on a directory, held for the lifetime of the object: a second
// holder, in this or another process, is refused with an error naming the directory.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// Memory the kernel says new allocations can get without swapping (MemAvailable of
// /proc/meminfo), in bytes; 0 when it cannot be read.
uint64_t available_memory();
// Throws, naming `what` and the sizes, when `bytes` exceeds available_memory() (unknown
// available memory passes).
void check_memory(uint64_t bytes, const std::string& what);

// Removes the temporary files of writes in progress (write_safetensors, write_file_atomic)
// that have a name on disk. Async-signal-safe: for a SIGINT/SIGTERM handler, which should then
// re-raise the signal. (Where the file system supports O_TMPFILE, a write in progress has a
// name only between its last byte and its rename.)
void remove_temp_files() noexcept;

}  // namespace recur
