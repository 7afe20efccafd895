// Helpers shared by the show formatter tests: expected outputs in tests/data/show/*.txt
// (a header saying which seed and section each came from, then a line "---", then the text),
// a line-by-line comparison that names the first differing line, and view builders.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/sa_view.h"

namespace ikegate::cli::test {

inline std::string expected_output(const std::string& name) {
  std::ifstream in(std::string(IKEGATE_SOURCE_DIR) + "/tests/data/show/" + name);
  EXPECT_TRUE(in) << "missing tests/data/show/" << name;
  std::string line, out;
  bool body = false;
  while (std::getline(in, line)) {
    if (body) {
      out += line + "\n";
    } else if (line == "---") {
      body = true;
    }
  }
  return out;
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Compares line by line so a failure names the line, then the whole text.
inline void expect_same_text(const std::string& actual, const std::string& expected) {
  auto a = split_lines(actual);
  auto e = split_lines(expected);
  for (std::size_t i = 0; i < std::min(a.size(), e.size()); ++i) {
    EXPECT_EQ(a[i], e[i]) << "line " << i + 1;
  }
  EXPECT_EQ(a.size(), e.size());
  EXPECT_EQ(actual, expected);
}

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }
inline Endpoint ep(const char* text, std::uint16_t port) { return {ip(text), port}; }
inline SelectorRange host_selector(const char* address) {
  return {ip(address), ip(address), 0, 65535};
}
inline IdentView ident(const char* address, int prefix) { return {ip(address), prefix, 0, 0}; }

// Every column of every line of `text` that starts with `prefix` begins where `header`'s does.
inline std::vector<std::size_t> column_ends(const std::string& line) {
  std::vector<std::size_t> ends;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ' ' && (i + 1 == line.size() || line[i + 1] == ' ')) ends.push_back(i);
  }
  return ends;
}
inline std::vector<std::size_t> column_starts(const std::string& line) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ' ' && (i == 0 || line[i - 1] == ' ')) starts.push_back(i);
  }
  return starts;
}

}  // namespace ikegate::cli::test
