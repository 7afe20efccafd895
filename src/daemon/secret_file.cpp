#include "daemon/secret_file.h"

#include <fmt/format.h>
#include <sys/stat.h>

namespace ikegate::daemon {

bool holds_secrets(const config::Model& model) { return !(model == model.redacted()); }

std::optional<std::string> secret_file_problem(const std::string& path,
                                               const config::Model& model) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;  // unreadable: the caller says so
  const bool readable = (st.st_mode & S_IROTH) != 0;
  const bool writable = (st.st_mode & S_IWOTH) != 0;
  if (!readable && !writable) return std::nullopt;
  if (!holds_secrets(model)) return std::nullopt;
  return fmt::format(
      "holds pre-shared keys or passwords and is {} by every user (mode {:04o}); restrict it "
      "with `chmod 600 {}` (or 640 to let a group read it)",
      readable && writable ? "readable and writable" : readable ? "readable" : "writable",
      st.st_mode & 07777, path);
}

}  // namespace ikegate::daemon
