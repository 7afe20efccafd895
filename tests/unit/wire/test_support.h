// Helpers shared by the wire tests: a toy SkProtection and the seed's messages as values.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/sk_protection.h"
#include "wire/ikev2_message.h"

namespace ikegate::wire::test {

// Not a cipher: an IV, XOR with a keystream, padding to the block size plus the Pad Length octet
// (as RFC 7296 3.14 lays out), and an FNV-1a checksum (zero-filled to the ICV size) over
// everything before it. Enough to prove the codec hands the right octets and associated data to
// the protection. The sizes mimic real suites: (16, 16, 12) is AES-CBC with HMAC-SHA1-96,
// (8, 8, 12) 3DES with HMAC-MD5-96.
class XorSk : public SkProtection {
 public:
  explicit XorSk(std::size_t iv = 8, std::size_t block = 8, std::size_t icv = 4,
                 std::uint8_t key = 0x5a)
      : iv_len_(iv), block_(block), icv_len_(icv), key_(key) {}
  static XorSk aes_cbc_sha1() { return XorSk(16, 16, 12); }
  static XorSk des3_md5() { return XorSk(8, 8, 12); }

  std::size_t sealed_size(std::size_t n) const override {
    return iv_len_ + (n + 1 + block_ - 1) / block_ * block_ + icv_len_;
  }
  bool seal(MutableByteView m, std::size_t aad, ByteView pt) override {
    std::size_t body = sealed_size(pt.size()) - iv_len_ - icv_len_;
    if (m.size() != aad + iv_len_ + body + icv_len_) return false;
    std::uint8_t* iv = m.data() + aad;
    for (std::size_t i = 0; i < iv_len_; ++i) iv[i] = static_cast<std::uint8_t>(0xa0 + i + seals_);
    ++seals_;
    std::uint8_t* c = iv + iv_len_;
    std::size_t pad = body - pt.size() - 1;
    for (std::size_t i = 0; i < body; ++i) {
      std::uint8_t v = i < pt.size() ? pt[i] : (i + 1 < body ? 0 : static_cast<std::uint8_t>(pad));
      c[i] = v ^ stream(iv, i);
    }
    std::uint32_t sum = icv(m.first(m.size() - icv_len_));
    std::fill(c + body, c + body + icv_len_, std::uint8_t{0});
    store_be32(c + body, sum);
    return true;
  }
  std::optional<Bytes> open(ByteView m, std::size_t aad) override {
    if (m.size() < aad + iv_len_ + block_ + icv_len_) return std::nullopt;
    const std::uint8_t* tag = m.data() + m.size() - icv_len_;
    if (load_be32(tag) != icv(m.first(m.size() - icv_len_))) return std::nullopt;
    for (std::size_t i = 4; i < icv_len_; ++i) {
      if (tag[i] != 0) return std::nullopt;
    }
    std::size_t body = m.size() - aad - iv_len_ - icv_len_;
    if (body % block_ != 0) return std::nullopt;
    const std::uint8_t* iv = m.data() + aad;
    Bytes pt(body);
    for (std::size_t i = 0; i < body; ++i) pt[i] = iv[iv_len_ + i] ^ stream(iv, i);
    std::size_t pad = pt.back();
    if (pad + 1 > body) return std::nullopt;
    pt.resize(body - pad - 1);
    return pt;
  }

 private:
  std::uint8_t stream(const std::uint8_t* iv, std::size_t i) const {
    return static_cast<std::uint8_t>(key_ ^ iv[i % iv_len_] ^ (i * 31));
  }
  static std::uint32_t icv(ByteView v) {
    std::uint32_t h = 2166136261u;
    for (std::uint8_t b : v) h = (h ^ b) * 16777619u;
    return h;
  }
  std::size_t iv_len_, block_, icv_len_;
  std::uint8_t key_;
  unsigned seals_ = 0;
};

inline Bytes hex(std::string_view s) { return *from_hex(s); }

}  // namespace ikegate::wire::test
