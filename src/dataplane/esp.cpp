#include "dataplane/esp.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "crypto/ossl.h"

namespace ikegate::dataplane {

std::string_view to_string(Direction d) { return d == Direction::Inbound ? "inbound" : "outbound"; }

std::string_view to_string(Event::Kind k) {
  switch (k) {
    case Event::Kind::Acquire: return "acquire";
    case Event::Kind::SoftExpire: return "soft-expire";
    case Event::Kind::HardExpire: return "hard-expire";
  }
  return "?";
}

std::string_view to_string(EspStatus s) {
  switch (s) {
    case EspStatus::Truncated: return "truncated";
    case EspStatus::BufferTooSmall: return "buffer too small";
    case EspStatus::WrongSpi: return "wrong SPI";
    case EspStatus::ReplayCheckFailed: return "replay check failed";
    case EspStatus::AuthFailed: return "ICV check failed";
    case EspStatus::BadPadding: return "bad padding";
    case EspStatus::SequenceExhausted: return "sequence number exhausted";
    case EspStatus::Expired: return "SA expired";
    case EspStatus::CryptoError: return "crypto error";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// ReplayWindow

ReplayWindow::ReplayWindow(std::uint32_t size, bool esn) : size_(size), esn_(esn) {
  if (size_ > 0) {
    // One word more than the window needs, so advancing never clears bits still inside it
    // (RFC 6479 section 2).
    std::size_t words = std::bit_ceil(std::size_t{(size_ + 63) / 64 + 1});
    bitmap_.assign(words, 0);
  }
}

bool ReplayWindow::seen(std::uint64_t seq) const {
  const std::size_t bits = bitmap_.size() * 64;
  const std::size_t index = static_cast<std::size_t>(seq & (bits - 1));
  return (bitmap_[index / 64] >> (index % 64)) & 1u;
}

std::optional<std::uint64_t> ReplayWindow::check(std::uint32_t seq_low) const {
  std::uint64_t seq = seq_low;
  if (esn_) {
    // RFC 4303 Appendix A2.2: pick the high half that puts the value closest to the window.
    const std::uint32_t w = std::max<std::uint32_t>(size_, 1);
    const auto tl = static_cast<std::uint32_t>(top_);
    const auto th = static_cast<std::uint32_t>(top_ >> 32);
    std::uint32_t sh = th;
    const std::uint32_t bottom = tl - w + 1;  // modulo 2^32 on purpose
    if (tl >= w - 1) {
      if (seq_low < bottom) sh = th + 1;  // the sender wrapped the low half
    } else if (seq_low >= bottom && th > 0) {
      sh = th - 1;  // left part of a window that straddles a wrap (none before epoch 0)
    }
    seq = (std::uint64_t{sh} << 32) | seq_low;
  }
  if (seq == 0) return std::nullopt;  // the counter starts at 1 (RFC 4303 3.3.3)
  if (size_ == 0 || seq > top_) return seq;
  if (top_ - seq >= size_) return std::nullopt;  // left of the window
  if (seen(seq)) return std::nullopt;
  return seq;
}

void ReplayWindow::update(std::uint64_t seq) {
  if (size_ == 0) {
    top_ = std::max(top_, seq);
    return;
  }
  const std::size_t words = bitmap_.size();
  if (seq > top_) {
    const std::uint64_t diff = (seq >> 6) - (top_ >> 6);
    if (diff >= words) {
      std::fill(bitmap_.begin(), bitmap_.end(), 0);
    } else {
      for (std::uint64_t i = 1; i <= diff; ++i) bitmap_[((top_ >> 6) + i) & (words - 1)] = 0;
    }
    top_ = seq;
  }
  const std::size_t index = static_cast<std::size_t>(seq & (words * 64 - 1));
  bitmap_[index / 64] |= std::uint64_t{1} << (index % 64);
}

// ---------------------------------------------------------------------------------------------
// OpenSSL handles

namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
struct MacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, CipherFree>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using MacPtr = std::unique_ptr<EVP_MAC, MacFree>;

struct CipherInfo {
  const char* name;
  std::size_t key_len;  // without salt
  std::size_t block;    // padding alignment
  std::size_t iv_len;
  std::size_t tag_len;  // AEAD only
  bool aead;
};

Result<CipherInfo> cipher_info(EncrId encr, std::uint16_t key_bits) {
  switch (encr) {
    case EncrId::AES_CBC:
      switch (key_bits) {
        case 128: return CipherInfo{"AES-128-CBC", 16, 16, 16, 0, false};
        case 192: return CipherInfo{"AES-192-CBC", 24, 16, 16, 0, false};
        case 256: return CipherInfo{"AES-256-CBC", 32, 16, 16, 0, false};
        default: break;
      }
      break;
    case EncrId::DES:  // RFC 2405: still in IKEv1 configurations (esp-des)
      if (key_bits == 0 || key_bits == 64) return CipherInfo{"DES-CBC", 8, 8, 8, 0, false};
      break;
    case EncrId::TRIPLE_DES:
      return CipherInfo{"DES-EDE3-CBC", 24, 8, 8, 0, false};
    case EncrId::AES_GCM_8:
    case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16: {
      // RFC 4106 3.1/6: 8-octet explicit IV, 8/12/16-octet ICV; padding aligns to 4 octets.
      const std::size_t tag = encr == EncrId::AES_GCM_8 ? 8 : encr == EncrId::AES_GCM_12 ? 12 : 16;
      switch (key_bits) {
        case 128: return CipherInfo{"AES-128-GCM", 16, 4, 8, tag, true};
        case 192: return CipherInfo{"AES-192-GCM", 24, 4, 8, tag, true};
        case 256: return CipherInfo{"AES-256-GCM", 32, 4, 8, tag, true};
        default: break;
      }
      break;
    }
    default:
      break;
  }
  return fail(fmt::format("ESP: unsupported encryption transform {} with {} key bits",
                          static_cast<int>(encr), key_bits));
}

struct IntegInfo {
  const char* digest;
  std::size_t key_len;
  std::size_t icv_len;
};

Result<IntegInfo> integ_info(IntegId integ) {
  // RFC 2403 (MD5-96), RFC 2404 (SHA1-96), RFC 4868 (SHA-2, truncated to half the output).
  switch (integ) {
    case IntegId::HMAC_MD5_96: return IntegInfo{"MD5", 16, 12};
    case IntegId::HMAC_SHA1_96: return IntegInfo{"SHA1", 20, 12};
    case IntegId::HMAC_SHA2_256_128: return IntegInfo{"SHA2-256", 32, 16};
    case IntegId::HMAC_SHA2_384_192: return IntegInfo{"SHA2-384", 48, 24};
    case IntegId::HMAC_SHA2_512_256: return IntegInfo{"SHA2-512", 64, 32};
    default: break;
  }
  return fail(fmt::format("ESP: unsupported integrity transform {}", static_cast<int>(integ)));
}

}  // namespace

struct EspSa::Handles {
  CipherCtxPtr cipher;  // the SA's cipher, keyed once; only the IV changes per packet
  CipherCtxPtr ivgen;   // CBC: AES-ECB under a random per-SA key, turns the counter into an IV
  MacCtxPtr mac;        // CBC: HMAC keyed once; re-initialised per packet with the same key
};

EspSa::~EspSa() = default;

Result<std::unique_ptr<EspSa>> EspSa::create(const SaParams& p) {
  auto ci = cipher_info(p.encr, p.key_bits);
  if (!ci) return std::unexpected(ci.error());
  if (p.spi < 256) return fail(fmt::format("ESP: SPI {} is reserved (RFC 4303 2.1)", p.spi));

  std::unique_ptr<EspSa> sa(new EspSa());  // private constructor; owned at once
  sa->spi_ = p.spi;
  sa->direction_ = p.direction;
  sa->reqid_ = p.reqid;
  sa->aead_ = ci->aead;
  sa->esn_ = p.esn;
  sa->block_ = ci->block;
  sa->iv_len_ = ci->iv_len;
  sa->soft_bytes_ = p.soft_bytes;
  sa->hard_bytes_ = p.hard_bytes;
  sa->soft_packets_ = p.soft_packets;
  sa->hard_packets_ = p.hard_packets;
  sa->h_ = std::make_unique<Handles>();

  const std::size_t want_key = ci->key_len + (ci->aead ? 4 : 0);
  if (p.encr_key.size() != want_key)
    return fail(fmt::format("ESP: {} needs a {}-octet encryption key, got {} octets", ci->name,
                            want_key, p.encr_key.size()));

  // OpenSSL 3 keeps single DES in its legacy provider, which crypto/ loads on demand.
  CipherPtr cipher(p.encr == EncrId::DES ? crypto::ossl::fetch_cipher(ci->name, true).release()
                                         : EVP_CIPHER_fetch(nullptr, ci->name, nullptr));
  if (!cipher) return fail(fmt::format("ESP: OpenSSL has no {}", ci->name));
  sa->h_->cipher.reset(EVP_CIPHER_CTX_new());
  if (!sa->h_->cipher) return fail("ESP: out of memory");
  const int enc = p.direction == Direction::Outbound ? 1 : 0;

  if (ci->aead) {
    if (p.integ != IntegId::NONE) return fail("ESP: AES-GCM takes no separate integrity transform");
    std::memcpy(sa->salt_, p.encr_key.data() + ci->key_len, 4);  // RFC 4106 8.1
    sa->icv_len_ = ci->tag_len;
    if (EVP_CipherInit_ex(sa->h_->cipher.get(), cipher.get(), nullptr, nullptr, nullptr, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(sa->h_->cipher.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_CipherInit_ex(sa->h_->cipher.get(), nullptr, nullptr, p.encr_key.data(), nullptr, enc) != 1)
      return fail("ESP: cannot key the AEAD cipher");
  } else {
    auto ii = integ_info(p.integ);
    if (!ii) return std::unexpected(ii.error());
    if (p.integ_key.size() != ii->key_len)
      return fail(fmt::format("ESP: HMAC-{} needs a {}-octet integrity key, got {} octets",
                              ii->digest, ii->key_len, p.integ_key.size()));
    sa->icv_len_ = ii->icv_len;
    if (EVP_CipherInit_ex(sa->h_->cipher.get(), cipher.get(), nullptr, p.encr_key.data(), nullptr, enc) != 1 ||
        EVP_CIPHER_CTX_set_padding(sa->h_->cipher.get(), 0) != 1)
      return fail("ESP: cannot key the cipher");

    MacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) return fail("ESP: OpenSSL has no HMAC");
    sa->h_->mac.reset(EVP_MAC_CTX_new(mac.get()));
    if (!sa->h_->mac) return fail("ESP: out of memory");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(ii->digest), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(sa->h_->mac.get(), p.integ_key.data(), p.integ_key.size(), params) != 1)
      return fail("ESP: cannot key the HMAC");

    if (p.direction == Direction::Outbound) {
      // RFC 4303 3.3.2 / RFC 3602 2.3: the CBC IV must be unpredictable. Encrypting the
      // sequence number under a random key gives that without a DRBG call per packet.
      std::uint8_t ivkey[16];
      if (RAND_bytes(ivkey, sizeof ivkey) != 1) return fail("ESP: DRBG failure");
      sa->h_->ivgen.reset(EVP_CIPHER_CTX_new());
      const bool ok = sa->h_->ivgen &&
                      EVP_EncryptInit_ex(sa->h_->ivgen.get(), EVP_aes_128_ecb(), nullptr, ivkey,
                                         nullptr) == 1 &&
                      EVP_CIPHER_CTX_set_padding(sa->h_->ivgen.get(), 0) == 1;
      OPENSSL_cleanse(ivkey, sizeof ivkey);
      if (!ok) return fail("ESP: cannot prepare the IV generator");
    }
  }
  if (p.direction == Direction::Inbound)
    sa->replay_ = std::make_unique<ReplayWindow>(p.replay_window, p.esn);
  return sa;
}

std::size_t EspSa::encapsulated_len(std::size_t inner_len) const {
  const std::size_t padded = (inner_len + 2 + block_ - 1) / block_ * block_;
  return kEspHeaderLen + iv_len_ + padded + icv_len_;
}

std::expected<void, EspStatus> EspSa::compute_icv(ByteView authenticated, std::uint32_t seq_high,
                                                  std::uint8_t* icv) {
  // RFC 4303 2.2.1: with ESN the high 32 bits take part in the ICV, appended after the
  // payload, but are not transmitted.
  std::uint8_t full[EVP_MAX_MD_SIZE];
  std::size_t full_len = 0;
  std::uint8_t hi[4];
  store_be32(hi, seq_high);
  EVP_MAC_CTX* m = h_->mac.get();
  if (EVP_MAC_init(m, nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(m, authenticated.data(), authenticated.size()) != 1 ||
      (esn_ && EVP_MAC_update(m, hi, 4) != 1) || EVP_MAC_final(m, full, &full_len, sizeof full) != 1 ||
      full_len < icv_len_)
    return std::unexpected(EspStatus::CryptoError);
  std::memcpy(icv, full, icv_len_);
  return {};
}

std::size_t EspSa::gcm_nonce_and_aad(const std::uint8_t* iv, std::uint64_t seq, std::uint8_t* nonce,
                                     std::uint8_t* aad) const {
  // RFC 4106 4: nonce = salt | explicit IV. RFC 4106 5: AAD = SPI | Seq, or with ESN
  // SPI | Seq-high | Seq-low.
  std::memcpy(nonce, salt_, 4);
  std::memcpy(nonce + 4, iv, 8);
  store_be32(aad, spi_);
  if (!esn_) {
    store_be32(aad + 4, static_cast<std::uint32_t>(seq));
    return 8;
  }
  store_be32(aad + 4, static_cast<std::uint32_t>(seq >> 32));
  store_be32(aad + 8, static_cast<std::uint32_t>(seq));
  return 12;
}

void EspSa::account(std::size_t inner_len) {
  auto bump = [](std::atomic<std::uint64_t>& a, std::uint64_t n = 1) {
    // Single writer (the packet thread), so no read-modify-write instruction is needed.
    const std::uint64_t v = a.load(std::memory_order_relaxed) + n;
    a.store(v, std::memory_order_relaxed);
    return v;
  };
  const std::uint64_t packets = bump(c_.packets);
  const std::uint64_t bytes = bump(c_.bytes, inner_len);
  bump(c_.encaps_or_decaps);
  bump(c_.encrypt_or_decrypt);
  bump(c_.digest_or_verify);
  if ((hard_bytes_ && bytes >= hard_bytes_) || (hard_packets_ && packets >= hard_packets_))
    hard_expired_.store(true, std::memory_order_relaxed);
  if ((soft_bytes_ && bytes >= soft_bytes_) || (soft_packets_ && packets >= soft_packets_))
    soft_crossed_ = true;
  // Without ESN the 32-bit counter must not cycle (RFC 4303 3.3.3): ask for a rekey well before.
  if (!esn_ && direction_ == Direction::Outbound && next_seq_ >= 0xFF000000u) soft_crossed_ = true;
}

std::expected<std::size_t, EspStatus> EspSa::encapsulate(ByteView inner, std::uint8_t next_header,
                                                         MutableByteView out) {
  if (direction_ != Direction::Outbound) return std::unexpected(EspStatus::CryptoError);
  if (hard_expired()) return std::unexpected(EspStatus::Expired);
  if (!esn_ && next_seq_ > 0xFFFFFFFFull) {
    hard_expired_.store(true, std::memory_order_relaxed);
    return std::unexpected(EspStatus::SequenceExhausted);
  }
  const std::size_t payload = inner.size() + 2;
  const std::size_t padded = (payload + block_ - 1) / block_ * block_;
  const std::size_t total = kEspHeaderLen + iv_len_ + padded + icv_len_;
  if (out.size() < total) return std::unexpected(EspStatus::BufferTooSmall);

  const std::uint64_t seq = next_seq_;
  std::uint8_t* p = out.data();
  store_be32(p, spi_);
  store_be32(p + 4, static_cast<std::uint32_t>(seq));
  std::uint8_t* iv = p + kEspHeaderLen;
  std::uint8_t* body = iv + iv_len_;
  // memmove: the caller may have placed the inner packet at its final position already.
  std::memmove(body, inner.data(), inner.size());
  const std::size_t pad = padded - payload;
  for (std::size_t i = 0; i < pad; ++i) body[inner.size() + i] = static_cast<std::uint8_t>(i + 1);
  body[padded - 2] = static_cast<std::uint8_t>(pad);  // RFC 4303 2.5
  body[padded - 1] = next_header;                     // RFC 4303 2.6

  EVP_CIPHER_CTX* c = h_->cipher.get();
  int n = 0;
  if (aead_) {
    // RFC 4106 3.1: the explicit IV is the 64-bit counter, unique per key; nonce = salt | IV.
    store_be64(iv, seq);
    std::uint8_t nonce[12], aad[12];
    const std::size_t aad_len = gcm_nonce_and_aad(iv, seq, nonce, aad);
    if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1 ||
        EVP_EncryptUpdate(c, nullptr, &n, aad, static_cast<int>(aad_len)) != 1 ||
        EVP_EncryptUpdate(c, body, &n, body, static_cast<int>(padded)) != 1 ||
        EVP_EncryptFinal_ex(c, body + n, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(icv_len_), body + padded) != 1)
      return std::unexpected(EspStatus::CryptoError);
  } else {
    std::uint8_t block[16] = {};
    std::uint8_t ivout[16];
    store_be64(block, seq);
    if (EVP_EncryptUpdate(h_->ivgen.get(), ivout, &n, block, 16) != 1)
      return std::unexpected(EspStatus::CryptoError);
    std::memcpy(iv, ivout, iv_len_);
    if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_EncryptUpdate(c, body, &n, body, static_cast<int>(padded)) != 1)
      return std::unexpected(EspStatus::CryptoError);
    // Encrypt-then-MAC over SPI | Seq | IV | ciphertext (RFC 4303 3.3.4).
    auto icv = compute_icv(ByteView(p, kEspHeaderLen + iv_len_ + padded),
                           static_cast<std::uint32_t>(seq >> 32), body + padded);
    if (!icv) return std::unexpected(icv.error());
  }
  ++next_seq_;
  account(inner.size());
  return total;
}

std::expected<EspSa::Decapsulated, EspStatus> EspSa::decapsulate(ByteView esp, MutableByteView out) {
  auto bump = [](std::atomic<std::uint64_t>& a) {
    a.store(a.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  };
  if (direction_ != Direction::Inbound) return std::unexpected(EspStatus::CryptoError);
  if (hard_expired()) return std::unexpected(EspStatus::Expired);
  const std::size_t overhead = kEspHeaderLen + iv_len_ + icv_len_;
  if (esp.size() < overhead + block_ || (esp.size() - overhead) % block_ != 0) {
    bump(c_.recv_errors);
    return std::unexpected(EspStatus::Truncated);
  }
  if (load_be32(esp.data()) != spi_) return std::unexpected(EspStatus::WrongSpi);
  const std::size_t ct_len = esp.size() - overhead;
  if (out.size() < ct_len) return std::unexpected(EspStatus::BufferTooSmall);

  // Cheap replay pre-check before any cryptography (RFC 4303 3.4.3).
  const auto seq = replay_->check(load_be32(esp.data() + 4));
  if (!seq) {
    bump(c_.replay_failures);
    return std::unexpected(EspStatus::ReplayCheckFailed);
  }
  const std::uint8_t* iv = esp.data() + kEspHeaderLen;
  const std::uint8_t* ct = iv + iv_len_;
  const std::uint8_t* icv = ct + ct_len;
  EVP_CIPHER_CTX* c = h_->cipher.get();
  int n = 0;
  if (aead_) {
    std::uint8_t nonce[12], aad[12];
    const std::size_t aad_len = gcm_nonce_and_aad(iv, *seq, nonce, aad);
    if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1 ||
        EVP_DecryptUpdate(c, nullptr, &n, aad, static_cast<int>(aad_len)) != 1 ||
        EVP_DecryptUpdate(c, out.data(), &n, ct, static_cast<int>(ct_len)) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(icv_len_),
                            const_cast<std::uint8_t*>(icv)) != 1)
      return std::unexpected(EspStatus::CryptoError);
    // The tag comparison inside OpenSSL's GCM is constant time.
    if (EVP_DecryptFinal_ex(c, out.data() + n, &n) != 1) {
      bump(c_.auth_failures);
      return std::unexpected(EspStatus::AuthFailed);
    }
  } else {
    std::uint8_t want[64];
    auto r = compute_icv(ByteView(esp.data(), esp.size() - icv_len_),
                         static_cast<std::uint32_t>(*seq >> 32), want);
    if (!r) return std::unexpected(r.error());
    if (CRYPTO_memcmp(want, icv, icv_len_) != 0) {
      bump(c_.auth_failures);
      return std::unexpected(EspStatus::AuthFailed);
    }
    if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_DecryptUpdate(c, out.data(), &n, ct, static_cast<int>(ct_len)) != 1)
      return std::unexpected(EspStatus::CryptoError);
  }
  // RFC 4303 2.4-2.6: Pad Length and Next Header trail the plaintext; padding is 1, 2, 3, ...
  const std::uint8_t pad = out[ct_len - 2];
  const std::uint8_t nh = out[ct_len - 1];
  bool pad_ok = std::size_t{pad} + 2 <= ct_len;
  if (pad_ok) {
    const std::size_t start = ct_len - 2 - pad;
    for (std::size_t i = 0; i < pad; ++i) pad_ok &= out[start + i] == static_cast<std::uint8_t>(i + 1);
  }
  if (!pad_ok || (nh != kNextHeaderIpv4 && nh != kNextHeaderIpv6)) {
    // Authenticated but malformed (or a dummy packet, next header 59, RFC 4303 2.6): drop. The
    // sequence number still counts as seen, since the packet was genuine.
    replay_->update(*seq);
    bump(c_.recv_errors);
    return std::unexpected(EspStatus::BadPadding);
  }
  replay_->update(*seq);
  const std::size_t inner_len = ct_len - 2 - pad;
  account(inner_len);
  return Decapsulated{inner_len, nh, *seq};
}

SaCounters EspSa::counters() const {
  auto g = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return SaCounters{g(c_.packets),         g(c_.bytes),           g(c_.encaps_or_decaps),
                    g(c_.encrypt_or_decrypt), g(c_.digest_or_verify), g(c_.send_errors),
                    g(c_.recv_errors),     g(c_.replay_failures), g(c_.auth_failures),
                    g(c_.policy_failures)};
}

LifetimeEvent EspSa::take_lifetime_event() {
  if (hard_expired() && !hard_reported_) {
    hard_reported_ = soft_reported_ = true;
    return LifetimeEvent::Hard;
  }
  if (soft_crossed_ && !soft_reported_) {
    soft_reported_ = true;
    return LifetimeEvent::Soft;
  }
  return LifetimeEvent::None;
}

void EspSa::count_send_error() { c_.send_errors.fetch_add(1, std::memory_order_relaxed); }
void EspSa::count_recv_error() { c_.recv_errors.fetch_add(1, std::memory_order_relaxed); }
void EspSa::count_policy_failure() { c_.policy_failures.fetch_add(1, std::memory_order_relaxed); }

}  // namespace ikegate::dataplane
