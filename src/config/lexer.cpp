#include "config/lexer.h"

namespace ikegate::config {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

bool is_header_or_trailer(const std::vector<std::string>& w) {
  if (w.empty()) return true;
  const std::string& first = w[0];
  if (first[0] == '!' || first[0] == ':') return true;  // comments, ": Saved", ": end"
  if (first.starts_with("Cryptochecksum:")) return true;
  if (w.size() == 1 && first == "end") return true;
  if (first == "Building" && w.size() >= 2 && w[1].starts_with("configuration")) return true;
  if (first == "Current" && w.size() >= 2 && w[1] == "configuration") return true;
  return false;
}

}  // namespace

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> out;
  int number = 0;
  std::size_t pos = 0;
  bool separator = false;
  while (pos <= text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view raw = text.substr(pos, eol - pos);
    ++number;
    pos = eol + 1;
    Line line;
    line.number = number;
    std::size_t i = 0;
    while (i < raw.size() && is_space(raw[i]) && raw[i] != '\r') ++i;
    line.indent = static_cast<int>(i);
    while (i < raw.size()) {
      while (i < raw.size() && is_space(raw[i])) ++i;
      std::size_t start = i;
      while (i < raw.size() && !is_space(raw[i])) ++i;
      if (i > start) line.words.emplace_back(raw.substr(start, i - start));
    }
    if (!is_header_or_trailer(line.words)) {
      line.after_separator = separator;
      separator = false;
      out.push_back(std::move(line));
    } else if (line.indent == 0 && !line.words.empty() && line.words[0][0] == '!') {
      separator = true;
    }
    if (eol == text.size()) break;
  }
  return out;
}

std::string join_words(const std::vector<std::string>& words, std::size_t from) {
  std::string s;
  for (std::size_t i = from; i < words.size(); ++i) {
    if (i > from) s += ' ';
    s += words[i];
  }
  return s;
}

}  // namespace ikegate::config
