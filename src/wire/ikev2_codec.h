// The IKEv2 message codec: values (ikev2_message.h) to datagrams and back (RFC 7296 3, RFC 7383).
//
// Decoding runs in two steps because the keys that open an SK payload are found by the SPIs in
// the clear header:
//   peek_header()  28 octets, no allocation: SPIs and exchange for the SA lookup;
//   decode()       header and clear payloads; for an SK/SKF payload, where it is (Message::sk);
//   decrypt()      opens SK through an SkProtection and parses the inner payloads.
// Fragments (SKF) are opened one by one with open_sk() and joined by a FragmentReassembler.
//
// Every length is checked against what contains it. An error says what, at which octet offset
// (of the datagram; for inner payloads, of the plaintext chain), and which notify, if any, a
// responder could answer a request with (RFC 7296 2.21.1 and 3.10.1); whether to answer at all is
// the engine's decision (RFC 7296 2.21: never for a response, and only after the ICV checked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "common/sk_protection.h"
#include "wire/ikev2_message.h"

namespace ikegate::wire {

// Bounds the decoder enforces (a message with more payloads is refused: RFC 7296 gives no limit,
// but no legitimate message comes near it).
inline constexpr std::size_t kMaxPayloads = 64;

struct DecodeError {
  std::string what;
  std::size_t offset = 0;
  std::optional<NotifyType> notify;
  Bytes notify_data;  // e.g. the payload type octet for UNSUPPORTED_CRITICAL_PAYLOAD (3.10.1)
};

// Builds the datagram: computes every length, the Next Payload chain, the proposal and transform
// numbering markers. When m.encrypted, the payloads are sealed into an SK payload whose Next
// Payload is the first inner payload's type (RFC 7296 3.14) and `protection` is required; the
// header length is final before sealing, so the associated data (IKE header + SK generic header)
// is what the peer will authenticate. m.header.next_payload and m.header.length are ignored.
Result<Bytes> encode(const Message& m, SkProtection* protection);

// The octets of a payload chain as it travels inside SK (no padding): what seal() protects.
Result<Bytes> encode_payloads(const std::vector<Payload>& payloads);

// The octets a payload takes on the wire, generic header included (0 if it cannot be encoded).
std::size_t encoded_length(const Payload& p);

// The header alone; nullopt if fewer than 28 octets. No other check.
std::optional<Header> peek_header(ByteView datagram);

// Parses the header and the clear payloads. If the last payload is SK or SKF, sets
// encrypted = true and fills sk; the payloads before it (which RFC 7296 3.14 does not protect)
// stay in payloads.
std::expected<Message, DecodeError> decode(ByteView datagram);

// Opens the SK payload of a message decode() returned (same datagram) and parses the inner
// chain, whose first type is SK's Next Payload. The result has the outer header, encrypted =
// true, sk kept, and the inner payloads. Refuses SKF (use open_sk + FragmentReassembler) and clear
// payloads before SK (RFC 7296 3.14: nothing unauthenticated may ride along).
std::expected<Message, DecodeError> decrypt(const Message& outer, ByteView datagram,
                                            SkProtection& protection);

// The plaintext of an SK or SKF payload (ICV checked, padding removed).
std::expected<Bytes, DecodeError> open_sk(const Message& outer, ByteView datagram,
                                          SkProtection& protection);

// Parses a payload chain starting with `first`. base_offset is added to error offsets.
std::expected<std::vector<Payload>, DecodeError> decode_payloads(PayloadType first, ByteView chain,
                                                                 std::size_t base_offset = 0);

// RFC 7383 2.5: the message split into SKF fragments, each sealed separately, each datagram at
// most max_datagram octets (the IKE message size: the caller subtracts IP and UDP headers and
// the non-ESP marker, RFC 7383 2.5.1). Fragment 1's Next Payload is the first inner type, the
// others' NONE. m must be encrypted.
std::expected<std::vector<Bytes>, DecodeError> encode_fragments(const Message& m, SkProtection& p,
                                                                std::size_t max_datagram);

// Joins the opened fragments of one message (RFC 7383 2.6). Memory is bounded by Limits; the
// first fragment accepted fixes the message (SPIs, Message ID, exchange, flags). Rules:
//  - a duplicate fragment number is refused and changes nothing (retransmissions are normal);
//  - a Total Fragments larger than the one held restarts reassembly (the sender re-fragmented
//    for a smaller PMTU, RFC 7383 2.6.1); a smaller one is refused;
//  - fragment number 0 or above the total, a total above max_fragments, a fragment of another
//    message, or bytes beyond max_bytes are refused;
//  - the Next Payload must be non-NONE in fragment 1 and NONE in the others.
class FragmentReassembler {
 public:
  struct Limits {
    std::size_t max_fragments = 32;
    std::size_t max_bytes = 64 * 1024;
  };
  FragmentReassembler() = default;
  explicit FragmentReassembler(Limits limits) : limits_(limits) {}

  // `outer` is the decoded SKF datagram, `plaintext` what open_sk() returned for it. Returns the
  // whole message (inner payloads parsed; header and SkInfo of the fragment that completed it,
  // with fragment 1's Next Payload) once every fragment is in, nullopt while some are missing,
  // or an error for a refused fragment, which changes nothing held.
  std::expected<std::optional<Message>, DecodeError> add(const Message& outer, Bytes plaintext);

  void reset();
  std::size_t received() const { return count_; }
  std::size_t buffered_bytes() const { return bytes_; }

 private:
  Limits limits_;
  std::optional<Header> header_;  // of the message being reassembled
  std::uint16_t total_ = 0;
  PayloadType first_inner_ = PayloadType::NONE;
  std::vector<std::optional<Bytes>> parts_;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace ikegate::wire
