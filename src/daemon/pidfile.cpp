#include "daemon/pidfile.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ikegate::daemon {

Result<void> ensure_directory(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail(fmt::format("{} exists and is not a directory", path));
    return {};
  }
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto r = ensure_directory(path.substr(0, slash), mode); !r) return r;
  }
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return fail(fmt::format("cannot create directory {}: {}", path, std::strerror(errno)));
  return {};
}

Result<PidFile> PidFile::create(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto r = ensure_directory(path.substr(0, slash)); !r) return std::unexpected(r.error());
  }
  // Bounded: each retry means another process removed or replaced the file meanwhile.
  for (int attempt = 0; attempt < 8; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) return fail(fmt::format("cannot open pid file {}: {}", path, std::strerror(errno)));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK)
        return fail(fmt::format("cannot lock pid file {}: {}", path, std::strerror(errno)));
      char buf[32] = {};
      auto n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
      std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return fail(fmt::format("ikegate is already running (pid {}, pid file {})", pid, path));
    }
    // The lock is ours, but the file may have been unlinked by its previous owner between our
    // open and our flock: then the lock protects nothing, start over.
    struct stat by_fd, by_path;
    if (::fstat(fd.get(), &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0 ||
        by_fd.st_dev != by_path.st_dev || by_fd.st_ino != by_path.st_ino)
      continue;
    // A leftover from a dead instance is simply overwritten.
    const std::string text = fmt::format("{}\n", ::getpid());
    if (::ftruncate(fd.get(), 0) != 0 ||
        ::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
      return fail(fmt::format("cannot write pid file {}: {}", path, std::strerror(errno)));
    return PidFile(path, std::move(fd));
  }
  return fail(fmt::format("pid file {} keeps changing under us", path));
}

PidFile& PidFile::operator=(PidFile&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::move(other.path_);
    fd_ = std::move(other.fd_);
  }
  return *this;
}

PidFile::~PidFile() { remove(); }

void PidFile::remove() {
  // Unlink before unlocking, so that no newcomer can lock a file that is about to vanish.
  if (fd_) ::unlink(path_.c_str());
  fd_.reset();
}

}  // namespace ikegate::daemon
