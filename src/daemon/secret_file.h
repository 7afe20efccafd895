// Configuration files that hold secrets (pre-shared keys, passwords) must not be open to every
// user of the machine. `ikegate run` and `config reload` refuse such a file; `config check` and
// `config show` warn about it.
#pragma once

#include <optional>
#include <string>

#include "config/model.h"

namespace ikegate::daemon {

// True if the model holds a secret that `show running-config` would mask: a clear or
// device-encrypted key or password, also inside commands kept verbatim.
bool holds_secrets(const config::Model& model);

// nullopt when the file at `path` holds no secret or its mode keeps other users out. Otherwise
// one line without the file name in front, saying what is wrong and what to do, e.g.
// "holds pre-shared keys or passwords and is readable by every user (mode 0644); restrict it
// with `chmod 600 FILE` (or 640 to let a group read it)".
std::optional<std::string> secret_file_problem(const std::string& path,
                                               const config::Model& model);

}  // namespace ikegate::daemon
