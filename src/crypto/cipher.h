// Encryption transforms (RFC 7296 3.3.2 transform type 1): key, IV and block sizes, and the
// two cipher shapes IKE and ESP use: CBC block ciphers (DES, 3DES, AES-CBC: RFC 2405, 2451,
// 3602) and AES-GCM as an AEAD (RFC 4106, RFC 5282).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/result.h"
#include "crypto/ossl.h"

namespace ikegate::crypto {

// Key material octets the key schedule must produce for the transform. For AES-GCM this
// includes the 4-octet salt that ends the key material (RFC 4106 8.1, RFC 5282 7.1), so
// AES-GCM-128 needs 20. key_bits is the Key Length attribute (AES: 128/192/256); DES and
// 3DES have fixed sizes and accept 0 (or their nominal 64/192). 0 if unsupported.
std::size_t encr_key_size(EncrId encr, std::uint16_t key_bits);
// Octets of the IV carried in each SK payload / ESP packet: the block size for CBC, 8 for GCM.
std::size_t encr_iv_size(EncrId encr);
// The cipher's block size, which ciphertext length must be a multiple of: 8 for DES/3DES,
// 16 for AES-CBC, 1 for GCM (a counter mode; ESP adds its own 4-octet alignment, RFC 4303 2.4).
std::size_t encr_block_size(EncrId encr);
// ICV octets for AEAD transforms (8, 12 or 16); 0 otherwise.
std::size_t encr_icv_size(EncrId encr);
// Whether this build can run the transform with that key length. DES needs OpenSSL's legacy
// provider; if it cannot be loaded, DES is reported unsupported.
bool encr_supported(EncrId encr, std::uint16_t key_bits);

// A CBC cipher keyed once. Encryption and decryption contexts are created at construction,
// so per-message work is IV setup and the cipher itself. One thread at a time.
class CbcCipher {
 public:
  // `key` is exactly encr_key_size(encr, key_bits) octets.
  static Result<CbcCipher> create(EncrId encr, ByteView key);

  std::size_t block_size() const { return block_size_; }
  // in.size() must be a multiple of block_size() and out.size() >= in.size(); in and out may
  // be the same memory. No padding is added or removed. False on misuse or cipher failure.
  bool encrypt(ByteView iv, ByteView in, MutableByteView out);
  bool decrypt(ByteView iv, ByteView in, MutableByteView out);

 private:
  CbcCipher() = default;
  bool run(EVP_CIPHER_CTX* ctx, ByteView iv, ByteView in, MutableByteView out);
  ossl::CipherCtxPtr enc_;
  ossl::CipherCtxPtr dec_;
  std::size_t block_size_ = 0;
};

// AES-GCM with a 12-octet nonce and an ICV of 8, 12 or 16 octets. The key is the AES key
// only (16, 24 or 32 octets); the IKE/ESP salt is part of the nonce the caller builds.
class GcmCipher {
 public:
  static Result<GcmCipher> create(ByteView aes_key, std::size_t icv_size);

  std::size_t icv_size() const { return icv_size_; }
  // out.size() >= plaintext.size() (may alias plaintext); icv.size() == icv_size().
  bool seal(ByteView nonce, ByteView aad, ByteView plaintext, MutableByteView out,
            MutableByteView icv);
  // Authenticates before returning true; on false, `out` holds no usable data.
  bool open(ByteView nonce, ByteView aad, ByteView ciphertext, ByteView icv, MutableByteView out);

 private:
  GcmCipher() = default;
  bool call_ok(ByteView nonce, ByteView aad, ByteView in, MutableByteView out, std::size_t icv_len) const;
  ossl::CipherCtxPtr enc_;
  ossl::CipherCtxPtr dec_;
  std::size_t icv_size_ = 16;
};

}  // namespace ikegate::crypto
