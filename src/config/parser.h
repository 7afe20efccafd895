// Parsing ASA and IOS configuration text into the Model.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/model.h"

namespace ikegate::config {

struct ParseOptions {
  std::optional<Dialect> dialect;  // nullopt: detect_dialect()
  bool strict = false;             // a command ikegate does not understand is an error
};

struct ParseResult {
  Model model;
  std::vector<Diagnostic> diagnostics;  // in line order
  bool ok() const { return !has_errors(diagnostics); }
};

// Parses and validates (validate.h) one device's configuration.
ParseResult load_config(std::string_view text, const ParseOptions& options = {});

// Parses only: syntax, values and per-command checks, no cross-references.
ParseResult parse_config(std::string_view text, const ParseOptions& options = {});

// Which platform wrote this text. Counts commands only one platform has ("nameif",
// "tunnel-group", "ip access-list", "crypto ikev2 keyring", ...); ASA when undecided.
Dialect detect_dialect(std::string_view text);

// Whether a kept top-level command opens a block whose sub-commands are recognised without
// indentation ("line vty 0 4", "webvpn", "policy-map ..."): the printer ends such a block with
// "!" so that nothing printed after it is read back as its child.
bool kept_command_opens_block(Dialect d, std::string_view text);

std::string_view dialect_name(Dialect d);  // "ASA", "IOS"
std::optional<Dialect> dialect_from_name(std::string_view name);  // "asa", "ios" (any case)

}  // namespace ikegate::config
