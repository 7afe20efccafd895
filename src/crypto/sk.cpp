#include "crypto/sk.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "crypto/cipher.h"
#include "crypto/integrity.h"

namespace ikegate::crypto {

namespace {

// Holds the Random the object draws IVs from: the injected one, or its own SystemRandom.
class IvSource {
 public:
  explicit IvSource(Random* injected) : rng_(injected ? injected : &system_) {}
  IvSource(const IvSource&) = delete;
  IvSource& operator=(const IvSource&) = delete;
  void fill(MutableByteView out) { rng_->fill(out); }

 private:
  SystemRandom system_;
  Random* rng_;
};

// RFC 7296 3.14 with a CBC cipher and a separate HMAC:
//   IV (block size, random) | E(plaintext | padding | pad length) | ICV
// The ICV covers the IKE header through the end of the ciphertext (encrypt-then-MAC).
class CbcHmacSk final : public SkProtection {
 public:
  CbcHmacSk(CbcCipher cipher, IntegId integ, const SecretBytes& integ_key, Random* rng)
      : cipher_(std::move(cipher)),
        integ_(integ),
        integ_key_(integ_key),
        block_(cipher_.block_size()),
        icv_(integ_.icv_size()),
        iv_(rng) {}

  std::size_t sealed_size(std::size_t plaintext_len) const override {
    return block_ + ciphertext_size(plaintext_len) + icv_;
  }

  bool seal(MutableByteView message, std::size_t aad_len, ByteView plaintext) override {
    const std::size_t ct_len = ciphertext_size(plaintext.size());
    if (aad_len > message.size() || message.size() - aad_len < block_ + ct_len + icv_) return false;
    MutableByteView iv = message.subspan(aad_len, block_);
    MutableByteView ct = message.subspan(aad_len + block_, ct_len);
    MutableByteView icv = message.subspan(aad_len + block_ + ct_len, icv_);
    iv_.fill(iv);
    // Padding content is arbitrary (RFC 7296 3.14); zeros, then the pad length octet.
    if (!plaintext.empty()) std::memmove(ct.data(), plaintext.data(), plaintext.size());
    const std::size_t pad = ct_len - plaintext.size() - 1;
    std::fill_n(ct.begin() + static_cast<std::ptrdiff_t>(plaintext.size()), pad, std::uint8_t{0});
    ct.back() = static_cast<std::uint8_t>(pad);
    if (!cipher_.encrypt(iv, ct, ct)) return false;
    integ_.compute_into(integ_key_.view(), message.first(aad_len + block_ + ct_len), icv);
    return true;
  }

  std::optional<Bytes> open(ByteView message, std::size_t aad_len) override {
    if (aad_len > message.size()) return std::nullopt;
    const std::size_t body = message.size() - aad_len;
    // At least an IV, one cipher block (the pad length octet lives there) and the ICV.
    if (body < block_ + block_ + icv_) return std::nullopt;
    const std::size_t ct_len = body - block_ - icv_;
    if (ct_len % block_ != 0) return std::nullopt;
    // Verify before decrypting: nothing about the plaintext (padding included) is revealed
    // for a message that is not authentic.
    const std::size_t covered = message.size() - icv_;
    if (!integ_.verify(integ_key_.view(), message.first(covered), message.subspan(covered, icv_)))
      return std::nullopt;
    Bytes plain(ct_len);
    if (!cipher_.decrypt(message.subspan(aad_len, block_), message.subspan(aad_len + block_, ct_len),
                         plain))
      return std::nullopt;
    const std::size_t pad = plain.back();
    if (pad + 1 > ct_len) return std::nullopt;
    plain.resize(ct_len - pad - 1);
    return plain;
  }

 private:
  // plaintext | padding | pad length, rounded up to the block size.
  std::size_t ciphertext_size(std::size_t plaintext_len) const {
    return (plaintext_len + 1 + block_ - 1) / block_ * block_;
  }

  CbcCipher cipher_;
  Integrity integ_;
  SecretBytes integ_key_;
  std::size_t block_;
  std::size_t icv_;
  IvSource iv_;
};

// RFC 5282: IV (8, explicit) | E(plaintext | padding | pad length) | ICV, with
// nonce = salt (last 4 octets of the key material) | IV and AAD = IKE header and the SK
// payload header (RFC 5282 5.1). No padding is needed for a counter mode; the pad length
// octet is still there (RFC 5282 3).
class GcmSk final : public SkProtection {
 public:
  static constexpr std::size_t kIv = 8;
  static constexpr std::size_t kSalt = 4;

  GcmSk(GcmCipher cipher, ByteView salt, Random* rng) : cipher_(std::move(cipher)), icv_(cipher_.icv_size()), iv_(rng) {
    std::copy_n(salt.begin(), kSalt, nonce_.begin());
  }
  ~GcmSk() override { secure_wipe(nonce_.data(), nonce_.size()); }

  std::size_t sealed_size(std::size_t plaintext_len) const override {
    return kIv + plaintext_len + 1 + icv_;
  }

  bool seal(MutableByteView message, std::size_t aad_len, ByteView plaintext) override {
    const std::size_t ct_len = plaintext.size() + 1;
    if (aad_len > message.size() || message.size() - aad_len < kIv + ct_len + icv_) return false;
    MutableByteView iv = message.subspan(aad_len, kIv);
    MutableByteView ct = message.subspan(aad_len + kIv, ct_len);
    MutableByteView icv = message.subspan(aad_len + kIv + ct_len, icv_);
    // A random 64-bit IV: an IKE SA sends far fewer messages than the ~2^32 at which a
    // repeat becomes plausible, and rekeying resets the key.
    iv_.fill(iv);
    std::copy(iv.begin(), iv.end(), nonce_.begin() + kSalt);
    if (!plaintext.empty()) std::memmove(ct.data(), plaintext.data(), plaintext.size());
    ct.back() = 0;  // pad length
    return cipher_.seal(nonce_, message.first(aad_len), ct, ct, icv);
  }

  std::optional<Bytes> open(ByteView message, std::size_t aad_len) override {
    if (aad_len > message.size()) return std::nullopt;
    const std::size_t body = message.size() - aad_len;
    if (body < kIv + 1 + icv_) return std::nullopt;
    const std::size_t ct_len = body - kIv - icv_;
    ByteView iv = message.subspan(aad_len, kIv);
    std::copy(iv.begin(), iv.end(), nonce_.begin() + kSalt);
    Bytes plain(ct_len);
    if (!cipher_.open(nonce_, message.first(aad_len), message.subspan(aad_len + kIv, ct_len),
                      message.subspan(aad_len + kIv + ct_len, icv_), plain))
      return std::nullopt;
    const std::size_t pad = plain.back();
    if (pad + 1 > ct_len) return std::nullopt;
    plain.resize(ct_len - pad - 1);
    return plain;
  }

 private:
  GcmCipher cipher_;
  std::size_t icv_;
  std::array<std::uint8_t, kSalt + kIv> nonce_{};
  IvSource iv_;
};

std::unique_ptr<SkProtection> make(EncrId encr, std::uint16_t key_bits, IntegId integ,
                                   const SecretBytes& encr_key, const SecretBytes& integ_key,
                                   Random* rng) {
  const std::size_t key_len = encr_key_size(encr, key_bits);
  if (key_len == 0 || encr_key.size() != key_len) return nullptr;
  if (is_aead(encr)) {
    // RFC 5282 8: an AEAD transform is never combined with an integrity transform.
    if (integ != IntegId::NONE || !integ_key.empty()) return nullptr;
    const std::size_t aes_len = key_len - GcmSk::kSalt;
    Result<GcmCipher> cipher = GcmCipher::create(encr_key.view().first(aes_len), encr_icv_size(encr));
    if (!cipher) return nullptr;
    return std::make_unique<GcmSk>(std::move(*cipher), encr_key.view().subspan(aes_len), rng);
  }
  if (!integ_supported(integ) || integ_key.size() != integ_key_size(integ)) return nullptr;
  Result<CbcCipher> cipher = CbcCipher::create(encr, encr_key.view());
  if (!cipher) return nullptr;
  return std::make_unique<CbcHmacSk>(std::move(*cipher), integ, integ_key, rng);
}

}  // namespace

std::unique_ptr<SkProtection> make_sk_protection(EncrId encr, std::uint16_t key_bits, IntegId integ,
                                                 const SecretBytes& encr_key,
                                                 const SecretBytes& integ_key) {
  return make(encr, key_bits, integ, encr_key, integ_key, nullptr);
}

std::unique_ptr<SkProtection> make_sk_protection(EncrId encr, std::uint16_t key_bits, IntegId integ,
                                                 const SecretBytes& encr_key,
                                                 const SecretBytes& integ_key, Random& rng) {
  return make(encr, key_bits, integ, encr_key, integ_key, &rng);
}

}  // namespace ikegate::crypto
