// libFuzzer target for the configuration parser: any text, in either dialect, loads without a
// crash, prints, and the printed running-config parses back to the same (redacted) model.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/parser.h"
#include "config/printer.h"

using namespace ikegate::config;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (Dialect d : {Dialect::Asa, Dialect::Ios}) {
    ParseOptions o;
    o.dialect = d;
    ParseResult r = load_config(text, o);
    if (!r.ok()) continue;  // the round trip is promised for configurations that load
    std::string shown = print_running_config(r.model);
    ParseResult back = parse_config(shown, o);
    if (!(back.model == r.model.redacted())) std::abort();
  }
  return 0;
}
