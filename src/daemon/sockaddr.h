// Conversions between the project's Endpoint and the socket API's sockaddr.
#pragma once

#include <sys/socket.h>

#include <optional>

#include "common/ip.h"

namespace ikegate::daemon {

// Fills `out` and returns the length to pass to bind/connect/sendmsg.
socklen_t to_sockaddr(const Endpoint& endpoint, sockaddr_storage& out);
// nullopt for families other than AF_INET and AF_INET6.
std::optional<Endpoint> from_sockaddr(const sockaddr* sa, socklen_t len);

}  // namespace ikegate::daemon
