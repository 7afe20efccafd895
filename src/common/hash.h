// One-shot digests for protocol values that are hashes by definition (NAT detection,
// RFC 7296 2.23 uses SHA-1; cookies) and for recognising a datagram seen before (the engines
// remember the request they answered by its SHA-256). Keys never pass through here.
#pragma once

#include "common/bytes.h"

namespace ikegate {

Bytes sha1(std::initializer_list<ByteView> parts);
Bytes sha256(std::initializer_list<ByteView> parts);

}  // namespace ikegate
