// Errors across module boundaries: std::expected with a message that is safe to log
// (it never carries key material).
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace ikegate {

struct Error {
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
  return std::unexpected<Error>(Error{std::move(message)});
}

}  // namespace ikegate
