#include "recur/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "core/src/atomic_file.h"
#include "recur/error.h"

namespace recur {

namespace {

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

}  // namespace

namespace detail {

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

}  // namespace detail

InputFile::InputFile(const std::string& path, const std::string& what)
    : what_(what.empty() ? path : what) {
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting forever. It
  // has no effect on reads of regular files, the only kind read below.
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  RECUR_CHECK(fd_ >= 0, "cannot open '{}': {}", what_, errno_text(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    RECUR_FAIL("cannot open '{}': fstat failed: {}", what_, errno_text(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    RECUR_FAIL("'{}' is {}, not a regular file; recur reads only regular files", what_,
               detail::file_kind(st.st_mode));
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(void* out, uint64_t size, uint64_t offset) const {
  auto* p = static_cast<uint8_t*>(out);
  while (size > 0) {
    const ssize_t n =
        ::pread(fd_, p, std::min<uint64_t>(size, uint64_t{1} << 30), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    RECUR_CHECK(n >= 0, "cannot read '{}': {}", what_, errno_text(errno));
    RECUR_CHECK(n > 0, "cannot read '{}': the file ended at byte {} (it was {} bytes when opened)",
                what_, offset, size_);
    p += n;
    size -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

std::string read_regular_file(const std::string& path, const std::string& what) {
  const InputFile in(path, what);
  check_memory(in.size(), fmt::format("reading '{}'", in.what()));
  std::string bytes(in.size(), '\0');
  in.read_at(bytes.data(), bytes.size(), 0);
  return bytes;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

DirectoryLock::DirectoryLock(const std::string& dir) {
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  RECUR_CHECK(fd_ >= 0, "cannot open directory '{}' to lock it: {}", dir, errno_text(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    RECUR_CHECK(err != EWOULDBLOCK,
                "'{}' is in use by another recur process (it holds the directory's lock); wait "
                "for it to finish or choose another --out",
                dir);
    RECUR_FAIL("cannot lock directory '{}': {}", dir, errno_text(err));
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

uint64_t available_memory() {
  FILE* f = std::fopen("/proc/meminfo", "re");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long kb = 0;
  bool found = false;
  while (!found && std::fgets(line, sizeof(line), f) != nullptr)
    found = std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
  std::fclose(f);
  return found ? static_cast<uint64_t>(kb) * 1024 : 0;
}

void check_memory(uint64_t bytes, const std::string& what) {
  const uint64_t available = available_memory();
  RECUR_CHECK(available == 0 || bytes <= available,
              "{}: needs {} bytes ({:.2f} GiB), more than the {} bytes ({:.2f} GiB) of memory "
              "available",
              what, bytes, static_cast<double>(bytes) / (1 << 30), available,
              static_cast<double>(available) / (1 << 30));
}

}  // namespace recur
