// Internal to crypto/: HMAC through EVP_MAC, shared by Prf (RFC 7296 3.3.2 transform type 2)
// and Integrity (type 3), which differ only in truncation.
#pragma once

#include <cstddef>
#include <initializer_list>

#include "common/bytes.h"
#include "crypto/ossl.h"

namespace ikegate::crypto {

class Hmac {
 public:
  // `digest` is an OpenSSL digest name ("SHA256"). Aborts if HMAC or the digest is missing
  // from the default provider: that is a broken installation, not a peer's doing.
  explicit Hmac(const char* digest);
  Hmac(const Hmac& other);
  Hmac& operator=(const Hmac& other);
  Hmac(Hmac&&) noexcept = default;
  Hmac& operator=(Hmac&&) noexcept = default;
  ~Hmac() = default;

  std::size_t size() const { return size_; }

  // Writes min(out.size(), size()) octets of HMAC(key, parts[0] | parts[1] | ...) to out.
  // The context is reused between calls (the digest is fetched once, at construction), so one
  // object must not be used by two threads at once; copies are independent.
  void compute(ByteView key, std::initializer_list<ByteView> parts, MutableByteView out) const;

 private:
  mutable ossl::MacCtxPtr ctx_;
  std::size_t size_ = 0;
};

}  // namespace ikegate::crypto
