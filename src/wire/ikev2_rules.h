// Which payloads each exchange may carry, as data (after strongSwan's encoding/message.c idea,
// with the contents taken from RFC 7296 1.2-1.5, 2.6, 2.16, 3.15 and RFC 7383). The codec checks
// a decoded (and decrypted) message against the table once, so handlers never re-check presence
// and multiplicity.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "wire/ikev2_codec.h"
#include "wire/ikev2_message.h"

namespace ikegate::wire {

inline constexpr std::uint8_t kMany = 0xff;

struct PayloadRule {
  PayloadType type;
  std::uint8_t min;  // occurrences required (waived in error responses, see check_rules)
  std::uint8_t max;  // kMany: unbounded (still bounded by kMaxPayloads)
};

struct ExchangeRules {
  ExchangeType exchange;
  bool response;
  bool encrypted;  // payloads must travel inside SK (RFC 7296 3.14)
  std::span<const PayloadRule> payloads;
};

// The rule set for an exchange and direction; nullptr for an exchange type this table lacks.
const ExchangeRules* rules_for(ExchangeType exchange, bool response);

// Checks m (its plaintext payloads: after decrypt() when encrypted) against the table:
//  - the exchange is known, and encrypted iff the table says so;
//  - every payload type is allowed (unknown non-critical payloads always are: RFC 7296 2.5);
//  - no type exceeds its maximum; every type reaches its minimum, except in a response carrying
//    an error notify or COOKIE, which RFC 7296 2.6/2.21 lets stand alone
//    (e.g. IKE_SA_INIT answered by N(NO_PROPOSAL_CHOSEN), N(INVALID_KE_PAYLOAD) or N(COOKIE)).
// Violations give INVALID_SYNTAX (RFC 7296 3.10.1), offset 0.
std::optional<DecodeError> check_rules(const Message& m);

}  // namespace ikegate::wire
