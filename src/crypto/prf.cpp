#include "crypto/prf.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace ikegate::crypto {

namespace {

const char* prf_digest(PrfId id) {
  switch (id) {
    case PrfId::HMAC_MD5: return "MD5";
    case PrfId::HMAC_SHA1: return "SHA1";
    case PrfId::HMAC_SHA2_256: return "SHA256";
    case PrfId::HMAC_SHA2_384: return "SHA384";
    case PrfId::HMAC_SHA2_512: return "SHA512";
  }
  return nullptr;
}

const char* checked_digest(PrfId id) {
  const char* d = prf_digest(id);
  if (d == nullptr) std::abort();
  return d;
}

}  // namespace

bool prf_supported(PrfId id) { return prf_digest(id) != nullptr; }

Prf::Prf(PrfId id) : id_(id), hmac_(checked_digest(id)) {}

SecretBytes Prf::operator()(ByteView key, ByteView data) const { return (*this)(key, {data}); }

SecretBytes Prf::operator()(ByteView key, std::initializer_list<ByteView> parts) const {
  SecretBytes out(size());
  hmac_.compute(key, parts, out.mutable_view());
  return out;
}

SecretBytes Prf::plus(ByteView key, ByteView seed, std::size_t length) const {
  if (length > plus_max()) std::abort();
  const std::size_t n = size();
  SecretBytes out(length);
  SecretBytes t(n);  // Tn-1, then Tn
  std::size_t done = 0;
  for (unsigned counter = 1; done < length; ++counter) {
    const std::uint8_t octet = static_cast<std::uint8_t>(counter);
    // T1 has no previous block: RFC 7296 2.13 defines it as prf(K, S | 0x01).
    ByteView previous = counter == 1 ? ByteView{} : t.view();
    SecretBytes next(n);
    hmac_.compute(key, {previous, seed, ByteView(&octet, 1)}, next.mutable_view());
    t = std::move(next);
    const std::size_t take = std::min(n, length - done);
    std::copy_n(t.data(), take, out.data() + done);
    done += take;
  }
  return out;
}

}  // namespace ikegate::crypto
