// The ISAKMP / IKEv1 message codec: values (isakmp_message.h) to datagrams and back (RFC 2408 3,
// RFC 2409, RFC 3947).
//
// The body of an IKEv1 message after the header is encrypted whole when the E flag is set
// (RFC 2408 3.1, RFC 2409 appendix B); the IV chain belongs to the SA, so this codec does not
// encrypt by itself:
//   decode()            header and, in clear messages, the payloads; for an encrypted one, where
//                       the ciphertext lies;
//   decode_plaintext()  the payload chain of a decrypted body (zero padding after it allowed);
//   encode()            a clear message, or an encrypted one through a callback that encrypts the
//                       zero-padded body in place.
//
// Every length is checked against what contains it. An error says what, at which octet offset,
// and which notification (RFC 2408 3.14.1) a responder may answer with; whether to answer is the
// engine's decision (never for an unauthenticated encrypted message, RFC 2408 5.1).
#pragma once

#include <cstddef>
#include <expected>
#include <functional>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/result.h"
#include "wire/isakmp_message.h"

namespace ikegate::wire::isakmp {

inline constexpr std::size_t kMaxPayloads = 64;       // per message
inline constexpr std::size_t kMaxProposals = 64;      // per SA payload
inline constexpr std::size_t kMaxAttributes = 64;     // per transform / ATTR payload

struct DecodeError {
  std::string what;
  std::size_t offset = 0;
  std::optional<NotifyType> notify;
};

// Encrypts `body` (a multiple of the block size) in place; false on failure.
using EncryptFn = std::function<bool(MutableByteView body)>;

// A clear message (m.encrypted false), or, with m.encrypted, the payload chain zero-padded to
// `block_size` and passed to `encrypt`; the header gets the E flag and the padded length.
Result<Bytes> encode(const Message& m, std::size_t block_size = 0, const EncryptFn& encrypt = {});

// The payload chain alone (Next Payload of the last one NONE): what the RFC 2409 hashes cover
// when they say "the payloads after HASH".
Result<Bytes> encode_payloads(const std::vector<Payload>& payloads);

// The body of one payload without its generic header: SAi_b and IDii_b of RFC 2409 5.
Result<Bytes> encode_body(const Payload& p);

// A bare list of data attributes (RFC 2408 3.3), as the RESPONDER-LIFETIME notification carries
// them (RFC 2407 4.6.3.1).
Result<Bytes> encode_attributes(const std::vector<Attribute>& attributes);
std::expected<std::vector<Attribute>, DecodeError> decode_attributes(ByteView data);

// The header alone; nullopt if fewer than 28 octets.
std::optional<Header> peek_header(ByteView datagram);

// Parses the header and (if the E flag is clear) the payloads. An encrypted message comes back
// with encrypted = true, no payloads, and its ciphertext at datagram[kHeaderSize, length).
std::expected<Message, DecodeError> decode(ByteView datagram);

// The payloads of a decrypted body whose first type is header.next_payload. Octets after the
// last payload are padding (RFC 2409 appendix B) and are ignored.
std::expected<Message, DecodeError> decode_plaintext(const Header& header, ByteView plaintext);

}  // namespace ikegate::wire::isakmp
