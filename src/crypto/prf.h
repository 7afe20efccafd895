// IKEv2 pseudorandom functions (RFC 7296 3.3.2 transform type 2) and prf+ (RFC 7296 2.13).
#pragma once

#include <cstddef>
#include <initializer_list>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/secret.h"
#include "crypto/hmac.h"

namespace ikegate::crypto {

// Whether this build implements the PRF (all of PrfId's HMAC variants).
bool prf_supported(PrfId id);

// HMAC-MD5 (RFC 2104), HMAC-SHA1 (RFC 2104), HMAC-SHA2-256/384/512 (RFC 4868).
// One object reuses one EVP_MAC context: use it from one thread at a time (copies are
// independent). Constructing it with an unsupported id aborts; check prf_supported() first
// when the id comes from a peer.
class Prf {
 public:
  explicit Prf(PrfId id);

  PrfId id() const { return id_; }
  // Output octets of one application.
  std::size_t size() const { return hmac_.size(); }
  // RFC 7296 2.13: HMAC accepts any key length; its preferred length is the output size.
  std::size_t preferred_key_size() const { return hmac_.size(); }

  SecretBytes operator()(ByteView key, ByteView data) const;
  // prf(key, parts[0] | parts[1] | ...) without building the concatenation.
  SecretBytes operator()(ByteView key, std::initializer_list<ByteView> parts) const;

  // prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), output the first
  // `length` octets of T1 | T2 | ... The counter is one octet, so at most 255 * size() octets
  // exist; asking for more is a programming error and aborts (key lengths come from our own
  // algorithm tables, never from a peer). Use plus_max() to check first.
  SecretBytes plus(ByteView key, ByteView seed, std::size_t length) const;
  std::size_t plus_max() const { return 255 * size(); }

 private:
  PrfId id_;
  Hmac hmac_;
};

}  // namespace ikegate::crypto
