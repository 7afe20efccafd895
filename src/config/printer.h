// The canonical running-config, printed as the model's platform prints `show running-config`.
// Every key and password prints as `*****` (an ASA hides keys that way; ikegate never prints
// key material on either platform), so the output is safe to paste anywhere, and parsing it
// gives back model.redacted().
#pragma once

#include <string>

#include "config/model.h"

namespace ikegate::config {

std::string print_running_config(const Model& m);

// One access-list entry after its list's name: "permit ip host 192.168.1.1 host 192.168.2.99"
// (ASA netmasks or IOS wildcards, as the model's platform writes them).
std::string acl_entry_text(const Model& m, const AclEntry& e);

}  // namespace ikegate::config
