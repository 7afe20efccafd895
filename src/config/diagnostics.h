// Problems found in a configuration. Each prints as one line:
//   FILE:LINE: error: what is wrong; what was expected
// Messages never contain key material: the parser never echoes a key, and words it echoes
// from an unknown command pass through redact_words() first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ikegate::config {

enum class Severity { Warning, Error };

struct Diagnostic {
  Severity severity = Severity::Error;
  int line = 0;
  std::string message;
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

std::string format_diagnostic(std::string_view file, const Diagnostic& d);

bool has_errors(const std::vector<Diagnostic>& ds);

// The name in `candidates` closest to `name` (edit distance at most 2, or a different case),
// or empty. For "did you mean" hints.
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

// Up to `max_words` words of a command for a message, with the word after any keyword that
// introduces a secret (password, key, pre-shared-key, secret, ...) replaced by `*****`.
std::string redact_words(const std::vector<std::string>& words, std::size_t max_words);

// A kept command's text with every such secret word masked: how kept commands print.
std::string redact_text(std::string_view text);

}  // namespace ikegate::config
