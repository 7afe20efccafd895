#include "crypto/cipher.h"

#include <openssl/provider.h>

#include <climits>

namespace ikegate::crypto {

namespace ossl {

CipherPtr fetch_cipher(const char* name, bool legacy) {
  if (legacy) {
    // OpenSSL 3 moved single DES to the legacy provider. Loading any provider explicitly stops
    // the default one from being loaded implicitly, so load both, once per process (a
    // function-local static: initialised thread-safely, never modified afterwards). The
    // providers stay loaded until OpenSSL's own exit-time cleanup.
    struct Providers {
      OSSL_PROVIDER* deflt;
      OSSL_PROVIDER* legacy;
    };
    static const Providers providers{OSSL_PROVIDER_load(nullptr, "default"),
                                     OSSL_PROVIDER_load(nullptr, "legacy")};
    if (providers.deflt == nullptr || providers.legacy == nullptr) return nullptr;
  }
  return CipherPtr(EVP_CIPHER_fetch(nullptr, name, nullptr));
}

}  // namespace ossl

namespace {

bool aes_bits_ok(std::uint16_t bits) { return bits == 128 || bits == 192 || bits == 256; }

// OpenSSL name of the raw cipher for a transform and key length; nullptr if not one we run.
const char* cipher_name(EncrId encr, std::uint16_t key_bits) {
  switch (encr) {
    case EncrId::DES:
      return key_bits == 0 || key_bits == 64 ? "DES-CBC" : nullptr;
    case EncrId::TRIPLE_DES:
      return key_bits == 0 || key_bits == 192 ? "DES-EDE3-CBC" : nullptr;
    case EncrId::AES_CBC:
      if (key_bits == 128) return "AES-128-CBC";
      if (key_bits == 192) return "AES-192-CBC";
      if (key_bits == 256) return "AES-256-CBC";
      return nullptr;
    case EncrId::AES_GCM_8:
    case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16:
      if (key_bits == 128) return "AES-128-GCM";
      if (key_bits == 192) return "AES-192-GCM";
      if (key_bits == 256) return "AES-256-GCM";
      return nullptr;
    default:
      return nullptr;
  }
}

const char* cbc_name_for_key(EncrId encr, std::size_t key_len) {
  return cipher_name(encr, encr == EncrId::AES_CBC ? static_cast<std::uint16_t>(key_len * 8) : 0);
}

const char* gcm_name_for_key(std::size_t key_len) {
  return cipher_name(EncrId::AES_GCM_16, static_cast<std::uint16_t>(key_len * 8));
}

ossl::CipherCtxPtr keyed_context(const EVP_CIPHER* cipher, ByteView key, int enc) {
  ossl::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, enc, nullptr) != 1)
    return nullptr;
  return ctx;
}

bool fits_int(std::size_t n) { return n <= static_cast<std::size_t>(INT_MAX); }

}  // namespace

std::size_t encr_key_size(EncrId encr, std::uint16_t key_bits) {
  switch (encr) {
    case EncrId::DES: return key_bits == 0 || key_bits == 64 ? 8 : 0;
    case EncrId::TRIPLE_DES: return key_bits == 0 || key_bits == 192 ? 24 : 0;
    case EncrId::AES_CBC: return aes_bits_ok(key_bits) ? key_bits / 8u : 0;
    case EncrId::AES_GCM_8:
    case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16:
      return aes_bits_ok(key_bits) ? key_bits / 8u + 4u : 0;  // + salt, RFC 5282 7.1
    default: return 0;
  }
}

std::size_t encr_iv_size(EncrId encr) {
  switch (encr) {
    case EncrId::DES:
    case EncrId::TRIPLE_DES: return 8;
    case EncrId::AES_CBC: return 16;
    case EncrId::AES_GCM_8:
    case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16: return 8;  // RFC 5282 3.1: explicit 8-octet IV
    default: return 0;
  }
}

std::size_t encr_block_size(EncrId encr) {
  switch (encr) {
    case EncrId::DES:
    case EncrId::TRIPLE_DES: return 8;
    case EncrId::AES_CBC: return 16;
    case EncrId::AES_GCM_8:
    case EncrId::AES_GCM_12:
    case EncrId::AES_GCM_16: return 1;
    default: return 0;
  }
}

std::size_t encr_icv_size(EncrId encr) {
  switch (encr) {
    case EncrId::AES_GCM_8: return 8;
    case EncrId::AES_GCM_12: return 12;
    case EncrId::AES_GCM_16: return 16;
    default: return 0;
  }
}

bool encr_supported(EncrId encr, std::uint16_t key_bits) {
  const char* name = cipher_name(encr, key_bits);
  if (name == nullptr) return false;
  return ossl::fetch_cipher(name, encr == EncrId::DES) != nullptr;
}

Result<CbcCipher> CbcCipher::create(EncrId encr, ByteView key) {
  const char* name = cbc_name_for_key(encr, key.size());
  if (name == nullptr || is_aead(encr)) return fail("not a CBC transform or wrong key length");
  ossl::CipherPtr cipher = ossl::fetch_cipher(name, encr == EncrId::DES);
  if (!cipher) return fail(std::string("cipher unavailable in this OpenSSL: ") + name);
  if (static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher.get())) != key.size())
    return fail("wrong key length");
  CbcCipher c;
  c.block_size_ = static_cast<std::size_t>(EVP_CIPHER_get_block_size(cipher.get()));
  c.enc_ = keyed_context(cipher.get(), key, 1);
  c.dec_ = keyed_context(cipher.get(), key, 0);
  if (!c.enc_ || !c.dec_) return fail("cipher initialisation failed");
  // IKE and ESP pad themselves (RFC 7296 3.14, RFC 4303 2.4); OpenSSL's PKCS#7 padding is off.
  EVP_CIPHER_CTX_set_padding(c.enc_.get(), 0);
  EVP_CIPHER_CTX_set_padding(c.dec_.get(), 0);
  return c;
}

bool CbcCipher::run(EVP_CIPHER_CTX* ctx, ByteView iv, ByteView in, MutableByteView out) {
  if (iv.size() != block_size_ || in.size() % block_size_ != 0 || out.size() < in.size() ||
      !fits_int(in.size()))
    return false;
  // Re-initialising with only an IV keeps the key schedule computed at construction.
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv.data(), -1, nullptr) != 1) return false;
  int len = 0;
  if (EVP_CipherUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) != 1)
    return false;
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx, out.data() + len, &tail) != 1) return false;
  return static_cast<std::size_t>(len + tail) == in.size();
}

bool CbcCipher::encrypt(ByteView iv, ByteView in, MutableByteView out) {
  return run(enc_.get(), iv, in, out);
}
bool CbcCipher::decrypt(ByteView iv, ByteView in, MutableByteView out) {
  return run(dec_.get(), iv, in, out);
}

Result<GcmCipher> GcmCipher::create(ByteView aes_key, std::size_t icv_size) {
  if (icv_size != 8 && icv_size != 12 && icv_size != 16) return fail("AES-GCM ICV must be 8, 12 or 16 octets");
  const char* name = gcm_name_for_key(aes_key.size());
  if (name == nullptr) return fail("AES-GCM key must be 16, 24 or 32 octets");
  ossl::CipherPtr cipher = ossl::fetch_cipher(name, false);
  if (!cipher) return fail(std::string("cipher unavailable in this OpenSSL: ") + name);
  GcmCipher c;
  c.icv_size_ = icv_size;
  c.enc_ = keyed_context(cipher.get(), aes_key, 1);
  c.dec_ = keyed_context(cipher.get(), aes_key, 0);
  if (!c.enc_ || !c.dec_) return fail("cipher initialisation failed");
  return c;
}

bool GcmCipher::call_ok(ByteView nonce, ByteView aad, ByteView in, MutableByteView out,
                        std::size_t icv_len) const {
  return nonce.size() == 12 && icv_len == icv_size_ && out.size() >= in.size() && fits_int(in.size()) &&
         fits_int(aad.size());
}

bool GcmCipher::seal(ByteView nonce, ByteView aad, ByteView plaintext, MutableByteView out,
                     MutableByteView icv) {
  if (!call_ok(nonce, aad, plaintext, out, icv.size())) return false;
  EVP_CIPHER_CTX* ctx = enc_.get();
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) != 1) return false;
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx, out.data(), &len, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1)
    return false;
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx, out.data() + (plaintext.empty() ? 0 : len), &tail) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(icv_size_), icv.data()) == 1;
}

bool GcmCipher::open(ByteView nonce, ByteView aad, ByteView ciphertext, ByteView icv,
                     MutableByteView out) {
  if (!call_ok(nonce, aad, ciphertext, out, icv.size())) return false;
  EVP_CIPHER_CTX* ctx = dec_.get();
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) != 1) return false;
  // The tag is a const input; OpenSSL's ctrl signature takes void*.
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(icv_size_),
                          const_cast<std::uint8_t*>(icv.data())) != 1)
    return false;
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return false;
  if (!ciphertext.empty() && EVP_DecryptUpdate(ctx, out.data(), &len, ciphertext.data(),
                                               static_cast<int>(ciphertext.size())) != 1)
    return false;
  int tail = 0;
  // GCM's final step compares the tag (in constant time inside OpenSSL).
  return EVP_DecryptFinal_ex(ctx, out.data() + (ciphertext.empty() ? 0 : len), &tail) == 1;
}

}  // namespace ikegate::crypto
