#include "cli/main.h"

#include <fmt/core.h>

#include <string_view>

namespace ikegate::cli {

namespace {
void usage() {
  fmt::print(stderr,
             "usage: ikegate config check [--strict] [--dialect asa|ios] FILE...\n"
             "       ikegate config show [--dialect asa|ios] FILE\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage();
    return 0;
  }
  fmt::print(stderr, "ikegate: unknown command '{}'\n", cmd);
  usage();
  return 2;
}

}  // namespace ikegate::cli
