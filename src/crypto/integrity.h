// IKEv2/ESP integrity algorithms (RFC 7296 3.3.2 transform type 3): HMAC truncated to the ICV
// length, HMAC-MD5-96 / HMAC-SHA1-96 (RFC 2403/2404) and HMAC-SHA2-*-* (RFC 4868 2.6).
#pragma once

#include <cstddef>

#include "common/bytes.h"
#include "common/iana.h"
#include "crypto/hmac.h"

namespace ikegate::crypto {

// True for the five HMAC algorithms; false for NONE (AEAD suites carry no integrity transform).
bool integ_supported(IntegId id);
// Key octets (the hash output size, RFC 4868 2.1.1); 0 for NONE or unknown.
std::size_t integ_key_size(IntegId id);
// Truncated ICV octets; 0 for NONE or unknown.
std::size_t integ_icv_size(IntegId id);

// One object reuses one EVP_MAC context: one thread at a time. Aborts for an unsupported id;
// check integ_supported() first.
class Integrity {
 public:
  explicit Integrity(IntegId id);

  IntegId id() const { return id_; }
  std::size_t key_size() const { return key_size_; }
  std::size_t icv_size() const { return icv_size_; }

  // The truncated ICV of `data`.
  Bytes compute(ByteView key, ByteView data) const;
  // Writes icv_size() octets (out must be at least that long) without allocating.
  void compute_into(ByteView key, ByteView data, MutableByteView out) const;
  // Constant-time comparison of the expected ICV with `icv`; false also when the length differs.
  bool verify(ByteView key, ByteView data, ByteView icv) const;

 private:
  IntegId id_;
  Hmac hmac_;
  std::size_t key_size_;
  std::size_t icv_size_;
};

}  // namespace ikegate::crypto
