// The run directory and the pid file.
//
// A pid file alone cannot tell a live instance from a dead one whose pid was reused, so the
// running daemon also holds an exclusive flock(2) on it for its whole life: the kernel drops the
// lock when the process dies (even by kill -9), and a new instance that gets the lock knows the
// old one is gone and takes the file over. A second instance finds the lock held and refuses to
// start, which gives the exclusivity O_EXCL would, without the stale-file problem.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/result.h"
#include "daemon/unique_fd.h"

namespace ikegate::daemon {

inline constexpr const char* kDefaultRunDirectory = "/run/ikegate";

// mkdir -p; directories this creates get `mode`, existing ones are left as they are.
Result<void> ensure_directory(const std::string& path, mode_t mode = 0700);

class PidFile {
 public:
  // Creates the parent directory if needed, then the file with this process's pid.
  static Result<PidFile> create(const std::string& path);
  PidFile(PidFile&&) noexcept = default;
  PidFile& operator=(PidFile&&) noexcept;
  ~PidFile();  // removes the file (while still holding the lock)
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  PidFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  void remove();

  std::string path_;
  UniqueFd fd_;
};

}  // namespace ikegate::daemon
