// libFuzzer target for the ISAKMP / IKEv1 decoder: decode the datagram and re-encode whatever
// decodes in clear (the payloads must come back equal); parse the input as a decrypted body too
// (first octet: the first payload type, the rest: a padded plaintext), since no fuzzer forges a
// CBC ciphertext that decrypts to a valid chain.
#include <cstddef>
#include <cstdint>

#include "wire/isakmp_codec.h"
#include "wire/isakmp_vendor_ids.h"

using namespace ikegate;
using namespace ikegate::wire::isakmp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  (void)peek_header(in);
  if (auto m = decode(in); m && !m->encrypted) {
    for (const auto& p : m->payloads) {
      if (const auto* v = p.get<VendorPayload>()) (void)vid::name(vid::classify(v->data));
      if (const auto* id = p.get<IdPayload>()) (void)id->to_string();
    }
    auto again = encode(*m);
    if (!again) __builtin_trap();
    auto back = decode(*again);
    if (!back || back->payloads != m->payloads) __builtin_trap();
  }
  if (size > 0) {
    Header h;
    h.cookie_i = 1;
    h.next_payload = static_cast<PayloadType>(data[0]);
    if (auto inner = decode_plaintext(h, in.subspan(1))) {
      auto chain = encode_payloads(inner->payloads);
      if (!chain) __builtin_trap();
      auto back = decode_plaintext(h, *chain);
      if (!back || back->payloads != inner->payloads) __builtin_trap();
    }
  }
  return 0;
}
