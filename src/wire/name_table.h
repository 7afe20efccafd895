// The one way wire/ keeps a registry's names: a constexpr array of {value, text}, searched
// linearly (the tables are short and the look-ups are for printing).
#pragma once

#include <cstddef>
#include <string_view>

namespace ikegate::wire::detail {

template <class E>
struct Named {
  E value;
  std::string_view text;
};

template <class E, std::size_t N>
constexpr std::string_view find_name(const Named<E> (&table)[N], E v) {
  for (const auto& entry : table) {
    if (entry.value == v) return entry.text;
  }
  return {};
}

}  // namespace ikegate::wire::detail
