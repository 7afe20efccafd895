// Diffie-Hellman key exchange for the KE payload (RFC 7296 1.2, 3.4): MODP groups (RFC 2409 6,
// RFC 3526), ECP groups (RFC 5903) and Curve25519 (RFC 8031).
#pragma once

#include <cstddef>
#include <memory>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/result.h"
#include "common/secret.h"
#include "crypto/ossl.h"

namespace ikegate::crypto {

// Octets of the KE payload's Key Exchange Data for the group (also the length of g^ir):
// the prime's length for MODP, 2 * field size for ECP, 32 for Curve25519; 0 if unsupported.
std::size_t dh_public_size(DhGroup group);
// Octets of the shared secret g^ir: the prime's length (MODP), the field size (ECP: only x,
// RFC 5903 7) or 32 (Curve25519); 0 if unsupported.
std::size_t dh_shared_size(DhGroup group);
bool dh_supported(DhGroup group);
// The big-endian prime of a MODP group (RFC 2409 6.1/6.2, RFC 3526 2-5); empty otherwise.
// The generator is 2 for all of them.
ByteView modp_prime(DhGroup group);

// One ephemeral key pair. Create one per exchange and drop it (the private key is freed and
// wiped by OpenSSL) once g^ir is computed. const methods are safe from several threads.
class KeyExchange {
 public:
  // A fresh key pair from OpenSSL's DRBG.
  static Result<std::unique_ptr<KeyExchange>> create(DhGroup group);
  // A key pair from a fixed private value, for known-answer tests: the big-endian exponent
  // (MODP), the big-endian scalar of the field size (ECP), or the 32-octet RFC 7748 scalar.
  static Result<std::unique_ptr<KeyExchange>> from_private(DhGroup group, ByteView priv);

  DhGroup group() const { return group_; }
  // The KE payload's Key Exchange Data: MODP big-endian zero-padded to the prime's length
  // (RFC 7296 3.4); ECP x | y, each padded to the field size, without the 0x04 point-format
  // octet (RFC 5903 7); Curve25519 the 32-octet u-coordinate (RFC 8031 2).
  ByteView public_value() const { return public_value_; }

  // g^ir. Validates the peer's value first (RFC 7296 5.12 / RFC 6989): exact length; MODP
  // 1 < y < p-1; ECP a point on the curve; Curve25519 a non-zero result (RFC 8031 2.3). The
  // MODP and ECP secrets are zero-padded big-endian of the length above (RFC 7296 2.14).
  Result<SecretBytes> shared_secret(ByteView peer_public) const;

 private:
  struct Token {
    explicit Token() = default;
  };

 public:
  // Only the factories can name Token; public so that std::make_unique can call it.
  KeyExchange(Token, DhGroup group, ossl::PkeyPtr key, Bytes public_value);

 private:
  DhGroup group_;
  ossl::PkeyPtr key_;
  Bytes public_value_;
};

}  // namespace ikegate::crypto
