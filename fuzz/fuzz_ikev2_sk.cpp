// libFuzzer target for the SK payload path with valid keys (RFC 7296 3.14, RFC 5282): no fuzzer
// forges an ICV, so this one seals what it is given under real keys and opens it again.
//  - sealed mode: the input is an inner payload chain (first octet: the first payload type),
//    sealed by the SK protection of one of three suites; decode + decrypt must accept it exactly
//    when the chain decodes, with the same payloads;
//  - raw mode: the input is the plaintext as it lies inside the cipher, padding and Pad Length
//    included (any Pad Length), encrypted with AES-CBC and authenticated with HMAC-SHA1-96
//    directly through OpenSSL; opening it must never read outside the plaintext.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/random.h"
#include "common/secret.h"
#include "crypto/sk.h"
#include "wire/ikev2_codec.h"
#include "wire/ikev2_dump.h"
#include "wire/ikev2_rules.h"

using namespace ikegate;
using namespace ikegate::wire;

namespace {

class FixedRandom final : public Random {
 public:
  void fill(MutableByteView out) override {
    for (auto& b : out) b = 0x5a;
  }
};

Header header(std::uint32_t length) {
  Header h;
  h.spi_i = 0x0102030405060708ull;
  h.spi_r = 0x1112131415161718ull;
  h.exchange = ExchangeType::IKE_AUTH;
  h.flags = kFlagInitiator;
  h.message_id = 1;
  h.length = length;
  return h;
}

void put_header(Bytes& d, const Header& h, PayloadType next) {
  auto be = [&](std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) d.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  be(h.spi_i, 8);
  be(h.spi_r, 8);
  d.push_back(static_cast<std::uint8_t>(next));
  d.push_back(0x20);
  d.push_back(static_cast<std::uint8_t>(h.exchange));
  d.push_back(h.flags);
  be(h.message_id, 4);
  be(h.length, 4);
}

// The IKE header and the SK payload header of a datagram of `total` octets.
Bytes sk_datagram_start(std::size_t total, PayloadType first) {
  Bytes d;
  put_header(d, header(static_cast<std::uint32_t>(total)), PayloadType::SK);
  d.push_back(static_cast<std::uint8_t>(first));
  d.push_back(0);
  d.push_back(static_cast<std::uint8_t>((total - kHeaderSize) >> 8));
  d.push_back(static_cast<std::uint8_t>(total - kHeaderSize));
  return d;
}

void sealed_mode(std::uint8_t suite, PayloadType first, ByteView chain) {
  static const SecretBytes k16(Bytes(16, 0x0e)), k32(Bytes(32, 0x0d)), k36(Bytes(36, 0x0c));
  static const SecretBytes i20(Bytes(20, 0x0a)), i32(Bytes(32, 0x0b)), none;
  FixedRandom rng;
  std::unique_ptr<SkProtection> sk;
  switch (suite % 3) {
    case 0: sk = crypto::make_sk_protection(EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, k16, i20, rng); break;
    case 1: sk = crypto::make_sk_protection(EncrId::AES_CBC, 256, IntegId::HMAC_SHA2_256_128, k32, i32, rng); break;
    default: sk = crypto::make_sk_protection(EncrId::AES_GCM_16, 256, IntegId::NONE, k36, none, rng); break;
  }
  if (!sk) std::abort();
  constexpr std::size_t aad = kHeaderSize + 4;
  const std::size_t total = aad + sk->sealed_size(chain.size());
  if (total > 0xffff) return;
  Bytes d = sk_datagram_start(total, first);
  d.resize(total);
  if (!sk->seal(d, aad, chain)) std::abort();

  auto outer = decode(d);
  if (!outer || !outer->encrypted || outer->sk.fragment) std::abort();
  auto inner = decrypt(*outer, d, *sk);
  auto direct = decode_payloads(first, chain, 0);
  if (inner.has_value() != direct.has_value()) std::abort();
  if (inner) {
    if (inner->payloads != *direct) std::abort();
    (void)check_rules(*inner);
    (void)dump_asa(*inner, Direction::Received);
    (void)dump_ios(*inner, Direction::Received, 1u);
  }
}

void raw_mode(ByteView plain_in) {
  static const std::uint8_t key[16] = {0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,
                                       0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e};
  static const std::uint8_t ikey[20] = {0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
                                        0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a};
  static const SecretBytes encr_key(Bytes(key, key + 16)), integ_key(Bytes(ikey, ikey + 20));
  if (plain_in.size() < 2) return;
  const PayloadType first = static_cast<PayloadType>(plain_in[0]);
  Bytes plain(plain_in.begin() + 1, plain_in.end());
  plain.resize((plain.size() + 15) / 16 * 16, 0);  // the fuzzer's last octet is the Pad Length
  if (plain.size() > 4096) return;
  constexpr std::size_t aad = kHeaderSize + 4;
  const std::size_t total = aad + 16 + plain.size() + 12;
  Bytes d = sk_datagram_start(total, first);
  d.resize(aad + 16, 0x42);  // IV
  d.resize(total);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr, key, d.data() + aad) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
      EVP_EncryptUpdate(ctx, d.data() + aad + 16, &n, plain.data(), static_cast<int>(plain.size())) != 1)
    std::abort();
  EVP_CIPHER_CTX_free(ctx);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), ikey, sizeof ikey, d.data(), total - 12, mac, &mac_len)) std::abort();
  std::memcpy(d.data() + total - 12, mac, 12);

  auto sk = crypto::make_sk_protection(EncrId::AES_CBC, 128, IntegId::HMAC_SHA1_96, encr_key, integ_key);
  if (!sk) std::abort();
  auto outer = decode(d);
  if (!outer) std::abort();
  auto opened = open_sk(*outer, d, *sk);
  const std::size_t pad = plain.back();
  // A Pad Length beyond the ciphertext is refused; any other opens to what preceded the padding.
  if (pad + 1 > plain.size()) {
    if (opened) std::abort();
    return;
  }
  if (!opened || opened->size() != plain.size() - pad - 1 ||
      !std::equal(opened->begin(), opened->end(), plain.begin()))
    std::abort();
  if (auto inner = decrypt(*outer, d, *sk)) (void)dump_asa(*inner, Direction::Received);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  ByteView in(data, size);
  if (data[0] & 0x80) {
    raw_mode(in.subspan(1));
  } else {
    sealed_mode(data[0], static_cast<PayloadType>(data[1]), in.subspan(2));
  }
  return 0;
}
