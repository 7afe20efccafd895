#include "config/diagnostics.h"

#include <algorithm>
#include <cctype>

namespace ikegate::config {

std::string format_diagnostic(std::string_view file, const Diagnostic& d) {
  std::string s(file);
  s += ':';
  s += std::to_string(d.line);
  s += d.severity == Severity::Error ? ": error: " : ": warning: ";
  s += d.message;
  return s;
}

bool has_errors(const std::vector<Diagnostic>& ds) {
  return std::any_of(ds.begin(), ds.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}
}  // namespace

std::string closest_name(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& c : candidates) {
    if (c == name) continue;
    std::size_t d = lower(c) == lower(name) ? 0 : edit_distance(name, c);
    // A distance must be small relative to the name, or every short name matches.
    if (d > 0 && d * 3 > std::max(name.size(), c.size())) continue;
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string redact_words(const std::vector<std::string>& words, std::size_t max_words) {
  static constexpr std::string_view kSecretKeywords[] = {
      "password", "passwd", "secret", "key", "pre-shared-key", "key-string", "community",
      "authentication-key", "md5"};
  std::string s;
  bool mask_next = false;
  for (std::size_t i = 0; i < words.size() && i < max_words; ++i) {
    if (i > 0) s += ' ';
    const std::string& w = words[i];
    bool is_type_digit = w.size() == 1 && std::isdigit(static_cast<unsigned char>(w[0]));
    if (mask_next && !is_type_digit && w != "local" && w != "remote" && w != "md5" && w != "encrypted") {
      s += "*****";
      mask_next = false;
      continue;
    }
    s += w;
    if (std::find(std::begin(kSecretKeywords), std::end(kSecretKeywords), lower(w)) !=
        std::end(kSecretKeywords))
      mask_next = true;
  }
  if (words.size() > max_words) s += " ...";
  return s;
}

std::string redact_text(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return redact_words(words, words.size());
}

}  // namespace ikegate::config
