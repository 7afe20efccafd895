#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/parser.h"

namespace ikegate::config::test {

inline std::string read_config(const std::string& name) {
  std::ifstream in(std::string(IKEGATE_SOURCE_DIR) + "/tests/data/configs/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> formatted(const std::string& file, const std::vector<Diagnostic>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(format_diagnostic(file, d));
  return out;
}

}  // namespace ikegate::config::test
