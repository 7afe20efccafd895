// libFuzzer target for the IKEv2 decoder (issue 3, section 4): decode, check the payload rules,
// render both dumps and re-encode whatever decodes; open SK payloads with a real SK protection
// (AES-CBC-128 / HMAC-SHA1-96 under fixed keys: forged ICVs must fail cleanly); and, since no
// fuzzer forges an ICV, parse the input as a decrypted inner chain too (first octet: the first
// payload type) and feed it to a fragment reassembler.
#include <cstddef>
#include <cstdint>

#include "common/secret.h"
#include "crypto/sk.h"
#include "wire/ikev2_codec.h"
#include "wire/ikev2_dump.h"
#include "wire/ikev2_rules.h"

using namespace ikegate;
using namespace ikegate::wire;

namespace {
// Attributes other than Key Length are reported, not kept, so such payloads cannot round-trip.
bool lossless(const std::vector<Payload>& payloads) {
  for (const auto& p : payloads) {
    if (const auto* sa = p.get<SaPayload>()) {
      for (const auto& prop : sa->proposals) {
        for (const auto& t : prop.transforms) {
          if (t.unknown_attributes) return false;
        }
      }
    }
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  static const SecretBytes encr_key(Bytes(16, 0x0e));
  static const SecretBytes integ_key(Bytes(20, 0x0a));
  auto sk = crypto::make_sk_protection(EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, encr_key,
                                       integ_key);

  (void)peek_header(in);
  if (auto m = decode(in)) {
    (void)check_rules(*m);
    (void)dump_asa(*m, Direction::Received);
    (void)dump_ios(*m, Direction::Received, 1u);
    if (!m->encrypted && lossless(m->payloads)) {
      if (auto again = encode(*m, nullptr)) {
        // What decoded and re-encoded decodes to the same payloads.
        auto back = decode(*again);
        if (!back || back->payloads != m->payloads) __builtin_trap();
      }
    } else if (sk) {
      if (!m->sk.fragment) {
        if (auto inner = decrypt(*m, in, *sk)) (void)dump_asa(*inner, Direction::Received);
      } else {
        FragmentReassembler re;
        (void)re.add(*m, Bytes(in.begin(), in.end()));
      }
    }
  }
  if (size > 0) {
    auto first = static_cast<PayloadType>(data[0]);
    if (auto chain = decode_payloads(first, in.subspan(1))) {
      Message m;
      m.header.exchange = ExchangeType::IKE_AUTH;
      m.encrypted = true;
      m.payloads = std::move(*chain);
      (void)check_rules(m);
      (void)dump_asa_payloads(m.payloads, Direction::Received);
      if (auto again = encode_payloads(m.payloads); again && lossless(m.payloads)) {
        auto back = decode_payloads(first, *again);
        if (!back || *back != m.payloads) __builtin_trap();
      }
    }
  }
  return 0;
}
