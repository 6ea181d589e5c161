#include "core/src/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "recur/error.h"
#include "recur/files.h"

namespace recur {

namespace {

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

// The named temporary files of writes in progress, for remove_temp_files(), which a signal
// handler may call at any moment: fixed storage, and a slot's path is complete before its state
// says so (0 free, 1 being filled, 2 holds a path).
constexpr int kSlots = 32;
struct Slot {
  std::atomic<int> state{0};
  char path[4096];
};
Slot g_slots[kSlots];

int register_temp(const std::string& path) {
  if (path.size() >= sizeof(Slot::path)) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (!g_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].state.store(2);
    return i;
  }
  return -1;  // more writes in flight than slots: this one is not cleaned up by a signal
}

void unregister_temp(int slot) {
  if (slot >= 0) g_slots[slot].state.store(0);
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash + 1);
}

std::string temp_name(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp.{}.{}", path, static_cast<long>(::getpid()), counter++);
}

// Removes `path`.tmp.<pid>.<n> files whose process no longer exists. A pid that exists (perhaps
// reused by another program) keeps its files: only certainly stale ones go.
void remove_stale_temps(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR* dir = ::opendir(dir_of(path).c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // <pid>.<n>
    const size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || dot + 1 == rest.size() ||
        rest.find_first_not_of("0123456789.") != std::string::npos ||
        rest.find('.', dot + 1) != std::string::npos || dot > 9)
      continue;
    const long pid = std::stol(rest.substr(0, dot));
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      ::unlinkat(::dirfd(dir), e->d_name, 0);
  }
  ::closedir(dir);
}

}  // namespace

void remove_temp_files() noexcept {
  for (Slot& s : g_slots)
    if (s.state.load() == 2) ::unlink(s.path);
}

namespace detail {

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  struct stat target {};
  if (::lstat(path_.c_str(), &target) == 0 && !S_ISREG(target.st_mode))
    RECUR_FAIL(
        "cannot write '{}': it is {}; recur replaces only regular files (write to a new path)",
        path_, file_kind(target.st_mode));
  remove_stale_temps(path_);
  fd_ = ::open(dir_of(path_).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd_ < 0) open_named();  // a file system without O_TMPFILE (or an error it will report)
  // Replacing a file keeps its permission bits (the new file would otherwise get 0666 less
  // the umask, e.g. making a private checkpoint world-readable).
  struct stat old_file {};
  if (::stat(path_.c_str(), &old_file) == 0 && S_ISREG(old_file.st_mode) &&
      ::fchmod(fd_, old_file.st_mode & 07777) != 0) {
    const int err = errno;
    ::close(fd_);  // the destructor does not run for a throwing constructor
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    unregister_temp(slot_);
    RECUR_FAIL(
        "cannot write '{}': cannot give the new file the permissions of the file it "
        "replaces: {}",
        path_, errno_text(err));
  }
}

void AtomicFile::open_named() {
  // O_EXCL: never write into a file someone else created; retry past stale names.
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp_ = temp_name(path_);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0 || errno != EEXIST) break;
  }
  RECUR_CHECK(fd_ >= 0, "cannot write '{}': cannot create the temporary file '{}': {}", path_, tmp_,
              errno_text(errno));
  slot_ = register_temp(tmp_);
}

void AtomicFile::give_name() {
  const std::string fd_path = fmt::format("/proc/self/fd/{}", fd_);
  int err = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string name = temp_name(path_);
    slot_ = register_temp(name);
    // Through /proc (no privilege needed), else AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH).
    if (::linkat(AT_FDCWD, fd_path.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0 ||
        ::linkat(fd_, "", AT_FDCWD, name.c_str(), AT_EMPTY_PATH) == 0) {
      tmp_ = name;
      return;
    }
    err = errno;
    unregister_temp(slot_);
    slot_ = -1;
    if (err != EEXIST) break;
  }
  RECUR_FAIL("cannot write '{}': cannot give the new file a name in its directory: {}", path_,
             errno_text(err));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
  unregister_temp(slot_);
}

void AtomicFile::write(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, std::min<size_t>(size, size_t{1} << 30));
    if (n < 0 && errno == EINTR) continue;
    RECUR_CHECK(n > 0, "cannot write '{}': {}", path_, errno_text(n < 0 ? errno : EIO));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  RECUR_CHECK(::fsync(fd_) == 0, "cannot write '{}': fsync failed: {}", path_, errno_text(errno));
  if (tmp_.empty()) give_name();
  const int fd = fd_;
  fd_ = -1;
  RECUR_CHECK(::close(fd) == 0, "cannot write '{}': close failed: {}", path_, errno_text(errno));
  RECUR_CHECK(::rename(tmp_.c_str(), path_.c_str()) == 0,
              "cannot write '{}': rename from '{}' failed: {}", path_, tmp_, errno_text(errno));
  committed_ = true;
  unregister_temp(slot_);
  slot_ = -1;
  // Make the rename itself durable. The file is complete at `path` by now, so a failure
  // here is not reported.
  const int dfd = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace detail
}  // namespace recur
