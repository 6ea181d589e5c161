// Internal: the write protocol of write_safetensors and write_file_atomic.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace recur::detail {

// "a directory", "a character device", "a FIFO", ...: what a st_mode that is not a regular
// file is, for error messages (defined in files.cpp).
const char* file_kind(mode_t mode);

// A file written beside `path` and moved onto it by commit(). While it is being written it has
// no name (O_TMPFILE) where the file system allows; commit() links it as
// `path`.tmp.<pid>.<n>, fsyncs it and renames it over `path`. Elsewhere it is written under
// that name from the start, registered for remove_temp_files() (the CLI's signal handler).
// Destroyed without commit (an exception), it leaves nothing behind.
//
// Refused up front: a `path` that exists and is not a regular file (a device, FIFO, directory
// or symbolic link is never replaced by the rename). Temporary files of `path` left by
// processes that no longer exist (killed with SIGKILL, say) are removed when a new write starts.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  // Data on disk before the rename, so that a crash leaves the old file or the new one.
  void commit();

 private:
  void open_named();
  void give_name();

  std::string path_, tmp_;  // tmp_ is empty while the file has no name
  int fd_ = -1;
  int slot_ = -1;  // in the registry of named temporary files
  bool committed_ = false;
};

}  // namespace recur::detail
