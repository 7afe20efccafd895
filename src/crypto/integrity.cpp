#include "crypto/integrity.h"

#include <cstdlib>

#include "common/secret.h"

namespace ikegate::crypto {

namespace {

struct IntegInfo {
  const char* digest;
  std::size_t key_size;
  std::size_t icv_size;
};

// RFC 2403, RFC 2404 (96-bit truncation) and RFC 4868 2.6 (truncation to half the output).
const IntegInfo* integ_info(IntegId id) {
  static constexpr IntegInfo kMd5{"MD5", 16, 12};
  static constexpr IntegInfo kSha1{"SHA1", 20, 12};
  static constexpr IntegInfo kSha256{"SHA256", 32, 16};
  static constexpr IntegInfo kSha384{"SHA384", 48, 24};
  static constexpr IntegInfo kSha512{"SHA512", 64, 32};
  switch (id) {
    case IntegId::HMAC_MD5_96: return &kMd5;
    case IntegId::HMAC_SHA1_96: return &kSha1;
    case IntegId::HMAC_SHA2_256_128: return &kSha256;
    case IntegId::HMAC_SHA2_384_192: return &kSha384;
    case IntegId::HMAC_SHA2_512_256: return &kSha512;
    case IntegId::NONE: break;
  }
  return nullptr;
}

const IntegInfo& checked_info(IntegId id) {
  const IntegInfo* info = integ_info(id);
  if (info == nullptr) std::abort();
  return *info;
}

}  // namespace

bool integ_supported(IntegId id) { return integ_info(id) != nullptr; }
std::size_t integ_key_size(IntegId id) {
  const IntegInfo* info = integ_info(id);
  return info ? info->key_size : 0;
}
std::size_t integ_icv_size(IntegId id) {
  const IntegInfo* info = integ_info(id);
  return info ? info->icv_size : 0;
}

Integrity::Integrity(IntegId id)
    : id_(id),
      hmac_(checked_info(id).digest),
      key_size_(checked_info(id).key_size),
      icv_size_(checked_info(id).icv_size) {}

void Integrity::compute_into(ByteView key, ByteView data, MutableByteView out) const {
  hmac_.compute(key, {data}, out.first(std::min(out.size(), icv_size_)));
}

Bytes Integrity::compute(ByteView key, ByteView data) const {
  Bytes icv(icv_size_);
  compute_into(key, data, icv);
  return icv;
}

bool Integrity::verify(ByteView key, ByteView data, ByteView icv) const {
  std::uint8_t expected[64];
  compute_into(key, data, MutableByteView(expected, icv_size_));
  const bool ok = constant_time_equal(ByteView(expected, icv_size_), icv);
  secure_wipe(expected, sizeof expected);
  return ok;
}

}  // namespace ikegate::crypto
