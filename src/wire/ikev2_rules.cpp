#include "wire/ikev2_rules.h"

#include <fmt/format.h>

#include <array>

namespace ikegate::wire {

namespace {

using PT = PayloadType;

// RFC 7296 1.2 and 2.6: SA, KE and a nonce, plus notifies (NAT detection, COOKIE, ...), vendor
// IDs and, from the responder, CERTREQ.
constexpr PayloadRule kInitRequest[] = {
    {PT::SA, 1, 1},       {PT::KE, 1, 1},          {PT::NONCE, 1, 1},
    {PT::NOTIFY, 0, kMany}, {PT::VENDOR_ID, 0, kMany},
};
constexpr PayloadRule kInitResponse[] = {
    {PT::SA, 1, 1},         {PT::KE, 1, 1},           {PT::NONCE, 1, 1},
    {PT::NOTIFY, 0, kMany}, {PT::VENDOR_ID, 0, kMany}, {PT::CERTREQ, 0, kMany},
};
// RFC 7296 1.2, 2.16 (EAP: later IKE_AUTH rounds carry only EAP or AUTH, so nothing is required),
// 3.15 (CP). RFC 7296 1.2 allows up to four CERT payloads in practice; we allow kMany.
constexpr PayloadRule kAuthRequest[] = {
    {PT::IDi, 0, 1},      {PT::CERT, 0, kMany},      {PT::CERTREQ, 0, kMany},
    {PT::IDr, 0, 1},      {PT::AUTH, 0, 1},          {PT::SA, 0, 1},
    {PT::TSi, 0, 1},      {PT::TSr, 0, 1},           {PT::CP, 0, 1},
    {PT::EAP, 0, 1},      {PT::NOTIFY, 0, kMany},    {PT::VENDOR_ID, 0, kMany},
};
constexpr PayloadRule kAuthResponse[] = {
    {PT::IDr, 0, 1}, {PT::CERT, 0, kMany}, {PT::AUTH, 0, 1},       {PT::SA, 0, 1},
    {PT::TSi, 0, 1}, {PT::TSr, 0, 1},      {PT::CP, 0, 1},         {PT::EAP, 0, 1},
    {PT::NOTIFY, 0, kMany},                {PT::VENDOR_ID, 0, kMany},
};
// RFC 7296 1.3: SA and a nonce always; KE optional (PFS, IKE SA rekey); TS for CHILD SAs only.
constexpr PayloadRule kChildRequest[] = {
    {PT::SA, 1, 1},  {PT::NONCE, 1, 1}, {PT::KE, 0, 1},           {PT::TSi, 0, 1},
    {PT::TSr, 0, 1}, {PT::NOTIFY, 0, kMany}, {PT::VENDOR_ID, 0, kMany},
};
constexpr PayloadRule kChildResponse[] = {
    {PT::SA, 1, 1},  {PT::NONCE, 1, 1}, {PT::KE, 0, 1},           {PT::TSi, 0, 1},
    {PT::TSr, 0, 1}, {PT::NOTIFY, 0, kMany}, {PT::VENDOR_ID, 0, kMany},
};
// RFC 7296 1.4, 1.5: Notify, Delete and CP in any number (an empty one is a liveness check).
constexpr PayloadRule kInformational[] = {
    {PT::NOTIFY, 0, kMany}, {PT::DELETE, 0, kMany}, {PT::CP, 0, 1}, {PT::VENDOR_ID, 0, kMany},
};

constexpr ExchangeRules kRules[] = {
    {ExchangeType::IKE_SA_INIT, false, false, kInitRequest},
    {ExchangeType::IKE_SA_INIT, true, false, kInitResponse},
    {ExchangeType::IKE_AUTH, false, true, kAuthRequest},
    {ExchangeType::IKE_AUTH, true, true, kAuthResponse},
    {ExchangeType::CREATE_CHILD_SA, false, true, kChildRequest},
    {ExchangeType::CREATE_CHILD_SA, true, true, kChildResponse},
    {ExchangeType::INFORMATIONAL, false, true, kInformational},
    {ExchangeType::INFORMATIONAL, true, true, kInformational},
};

DecodeError violation(std::string what) {
  return DecodeError{std::move(what), 0, NotifyType::INVALID_SYNTAX, {}};
}

}  // namespace

const ExchangeRules* rules_for(ExchangeType exchange, bool response) {
  for (const auto& r : kRules) {
    if (r.exchange == exchange && r.response == response) return &r;
  }
  return nullptr;
}

std::optional<DecodeError> check_rules(const Message& m) {
  const ExchangeRules* rules = rules_for(m.header.exchange, m.header.is_response());
  if (!rules) {
    return DecodeError{fmt::format("exchange type {} not supported", to_underlying(m.header.exchange)),
                       18, std::nullopt, {}};
  }
  std::string_view exchange = name(m.header.exchange);
  if (rules->encrypted != m.encrypted) {
    return violation(fmt::format("{} {} must{} be encrypted", exchange,
                                 rules->response ? "response" : "request",
                                 rules->encrypted ? "" : " not"));
  }
  std::array<std::uint8_t, 256> count{};
  for (const Payload& p : m.payloads) {
    auto t = to_underlying(p.type);
    if (!is_known(p.type)) continue;  // kept as UnknownPayload, ignored (RFC 7296 2.5)
    const PayloadRule* rule = nullptr;
    for (const auto& r : rules->payloads) {
      if (r.type == p.type) rule = &r;
    }
    if (!rule) {
      return violation(fmt::format("{} payload not allowed in {} {}", name(p.type), exchange,
                                   rules->response ? "response" : "request"));
    }
    if (count[t] < 0xff) ++count[t];
    if (rule->max != kMany && count[t] > rule->max) {
      return violation(fmt::format("more than {} {} payload(s) in {}", rule->max, name(p.type),
                                   exchange));
    }
  }
  bool error_response = rules->response && (find_error_notify(m.payloads) ||
                                            find_notify(m.payloads, NotifyType::COOKIE));
  if (!error_response) {
    for (const auto& r : rules->payloads) {
      if (count[to_underlying(r.type)] < r.min) {
        return violation(fmt::format("{} payload missing in {} {}", name(r.type), exchange,
                                     rules->response ? "response" : "request"));
      }
    }
  }
  // RFC 7296 3.9: nonces are 16 to 256 octets.
  for (const Payload& p : m.payloads) {
    if (const auto* n = p.get<NoncePayload>(); n && (n->data.size() < 16 || n->data.size() > 256)) {
      return violation(fmt::format("nonce of {} octets", n->data.size()));
    }
  }
  return std::nullopt;
}

}  // namespace ikegate::wire
