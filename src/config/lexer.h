// Splits configuration text into command lines: one line, its indentation and its words.
// Comments (`!`), ASA's `:` banner lines, IOS's "Building configuration..." header and the
// `end` trailer are not commands and are dropped here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ikegate::config {

struct Line {
  int number = 0;   // 1-based line in the file
  int indent = 0;   // leading spaces (a tab counts as one)
  std::vector<std::string> words;
  // A `!` at column 0 came before this line: in a running-config that ends every open block.
  bool after_separator = false;
};

std::vector<Line> split_lines(std::string_view text);

// Words joined by single spaces: the canonical text of a command.
std::string join_words(const std::vector<std::string>& words, std::size_t from = 0);

}  // namespace ikegate::config
