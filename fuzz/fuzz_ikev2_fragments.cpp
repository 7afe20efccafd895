// libFuzzer target for IKEv2 fragment reassembly (RFC 7383 2.6): a real message split into SKF
// fragments under real keys, delivered in the order, number and mix the input asks for —
// duplicates, fragments of a re-fragmentation at another size, forged fragments (any number,
// total, Next Payload, SPIs, Message ID and length, as if their ICV had checked), tampered
// datagrams (their ICV must fail), resets. Checked throughout: memory stays within the limits,
// and a message joined only from one genuine fragmentation is the message that was sent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/random.h"
#include "common/secret.h"
#include "crypto/sk.h"
#include "wire/ikev2_codec.h"

using namespace ikegate;
using namespace ikegate::wire;

namespace {

class Reader {
 public:
  Reader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  std::uint8_t u8() { return i_ < n_ ? d_[i_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }

 private:
  const std::uint8_t* d_;
  std::size_t n_, i_ = 0;
};

// Deterministic IVs (the fragments are made once per size and reused by every input).
class CountingRandom final : public Random {
 public:
  void fill(MutableByteView out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(n_++ * 131 + 7);
  }

 private:
  std::uint64_t n_ = 0;
};

Message original(std::size_t vendor_len) {
  Message m;
  m.header.spi_i = 0x1122334455667788ull;
  m.header.spi_r = 0x99aabbccddeeff00ull;
  m.header.exchange = ExchangeType::IKE_AUTH;
  m.header.flags = kFlagInitiator;
  m.header.message_id = 1;
  m.encrypted = true;
  m.payloads.push_back(make_id(PayloadType::IDi, IdPayload::from_fqdn("asa1.example.net")));
  VendorIdPayload vid;
  for (std::size_t i = 0; i < vendor_len; ++i) vid.data.push_back(static_cast<std::uint8_t>(i));
  m.payloads.push_back(make(std::move(vid)));
  m.payloads.push_back(make_notify(NotifyType::INITIAL_CONTACT));
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r(data, size);
  static const SecretBytes encr_key(Bytes(16, 0x0e));
  static const SecretBytes integ_key(Bytes(20, 0x0a));
  static CountingRandom rng;
  static auto sk = crypto::make_sk_protection(EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96,
                                              encr_key, integ_key, rng);
  if (!sk) std::abort();
  // Sixteen message sizes, four fragment sizes each: fragmented once, reused by every input.
  static std::map<std::pair<int, int>, std::vector<Bytes>> cache;
  static std::map<int, Message> messages;

  const int size_choice = r.u8() % 16;
  auto [mit, fresh] = messages.try_emplace(size_choice);
  if (fresh) mit->second = original(100 + static_cast<std::size_t>(size_choice) * 150);
  const Message& sent = mit->second;
  FragmentReassembler::Limits limits;
  limits.max_fragments = 1 + r.u8() % 40;
  limits.max_bytes = 256 + r.u16();
  FragmentReassembler re(limits);

  // Fragmentations of the message at several sizes; each is a "set" of genuine fragments.
  auto fragment_set = [&](std::uint8_t choice) -> const std::vector<Bytes>* {
    const int idx = choice % 4;
    auto [it, added] = cache.try_emplace({size_choice, idx});
    if (added) {
      auto f = encode_fragments(sent, *sk, 120 + static_cast<std::size_t>(idx) * 97);
      if (!f) std::abort();  // the message is valid and the size leaves room
      it->second = std::move(*f);
    }
    return &it->second;
  };

  // What the reassembler holds, as far as the target knows: which sets contributed.
  std::set<int> contributed;
  std::uint16_t held_total = 0;
  auto accepted = [&](int set, std::uint16_t total) {
    if (total > held_total || contributed.empty()) {
      contributed.clear();
      held_total = total;
    }
    contributed.insert(set);
  };
  auto check = [&](const std::expected<std::optional<Message>, DecodeError>& res) {
    if (re.buffered_bytes() > limits.max_bytes) std::abort();
    if (re.received() > limits.max_fragments) std::abort();
    if (re.received() == 0) {
      contributed.clear();
      held_total = 0;
    }
    if (res && *res) {
      if (contributed.size() == 1 && *contributed.begin() >= 0 &&
          (*res)->payloads != sent.payloads)
        std::abort();
      contributed.clear();
      held_total = 0;
    }
  };

  for (int step = 0; step < 200 && !r.empty(); ++step) {
    const std::uint8_t op = r.u8();
    switch (op % 5) {
      case 0:
      case 1: {  // a genuine fragment (op 1: from another fragmentation)
        const int set_id = op % 5 == 0 ? 0 : 1 + r.u8() % 3;
        const auto* set = fragment_set(static_cast<std::uint8_t>(set_id));
        const Bytes& d = (*set)[r.u8() % set->size()];
        auto m = decode(d);
        if (!m || !m->sk.fragment) std::abort();
        auto plain = open_sk(*m, d, *sk);
        if (!plain) std::abort();  // genuine: the ICV checks
        auto res = re.add(*m, std::move(*plain));
        if (res) accepted(set_id, m->sk.total_fragments);
        check(res);
        break;
      }
      case 2: {  // a forged fragment, as if it had passed the ICV check
        Message m;
        m.header = sent.header;
        const std::uint8_t mut = r.u8();
        if (mut & 1) m.header.message_id = r.u8();
        if (mut & 2) m.header.spi_r ^= r.u8();
        if (mut & 4) m.header.flags = r.u8();
        if (mut & 8) m.header.exchange = static_cast<ExchangeType>(r.u8());
        m.encrypted = !(mut & 16);
        m.sk.fragment = !(mut & 32);
        m.sk.fragment_number = r.u16() % 48;
        m.sk.total_fragments = r.u16() % 48;
        m.sk.first_inner = static_cast<PayloadType>(mut & 64 ? r.u8() : 0);
        Bytes plain(r.u16() % 4096, r.u8());
        auto res = re.add(m, std::move(plain));
        if (res) accepted(-1, m.sk.total_fragments);
        check(res);
        break;
      }
      case 3: {  // a tampered genuine datagram: the ICV must fail and the state not change
        const auto* set = fragment_set(0);
        Bytes d = (*set)[r.u8() % set->size()];
        const std::size_t at = kHeaderSize + kSkfHeaderSize + r.u16() % (d.size() - kHeaderSize - kSkfHeaderSize);
        d[at] ^= static_cast<std::uint8_t>(1 + r.u8() % 255);
        auto m = decode(d);
        if (!m) std::abort();
        const std::size_t before = re.received();
        if (open_sk(*m, d, *sk)) std::abort();
        if (re.received() != before) std::abort();
        break;
      }
      case 4:
        re.reset();
        contributed.clear();
        held_total = 0;
        if (re.received() != 0 || re.buffered_bytes() != 0) std::abort();
        break;
    }
  }
  return 0;
}
