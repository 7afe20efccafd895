// The boundary between the codecs and the ciphers: what protecting an IKEv2 SK/SKF payload
// (RFC 7296 3.14, RFC 5282 for AEAD, RFC 7383 2.5 for fragments) needs from a cipher suite.
// wire/ builds and parses messages through this interface; crypto/ implements it.
#pragma once

#include <cstddef>
#include <optional>

#include "common/bytes.h"

namespace ikegate {

class SkProtection {
 public:
  virtual ~SkProtection() = default;

  // Octets IV + ciphertext (including Padding and Pad Length) + ICV for a plaintext of
  // `plaintext_len` octets.
  virtual std::size_t sealed_size(std::size_t plaintext_len) const = 0;

  // `message` is the whole message. Its first `aad_len` octets (IKE header and the SK/SKF
  // payload header, with final lengths) are authenticated; the next sealed_size(plaintext.size())
  // octets receive IV | ciphertext | ICV. Returns false only if the cipher fails.
  virtual bool seal(MutableByteView message, std::size_t aad_len, ByteView plaintext) = 0;

  // Verifies the ICV over message[0 .. size-ICV) in constant time, decrypts the octets after
  // `aad_len`, checks and removes the padding. nullopt on any failure, with no detail that would
  // help an attacker (callers count and log "ICV check failed").
  virtual std::optional<Bytes> open(ByteView message, std::size_t aad_len) = 0;
};

}  // namespace ikegate
