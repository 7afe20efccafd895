#include "crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

namespace ikegate::crypto {

namespace {

// The HMAC algorithm object is immutable once fetched; fetching it once per process avoids a
// provider lookup for every Prf/Integrity object (the key schedule builds several).
EVP_MAC* hmac_algorithm() {
  static const ossl::MacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) std::abort();
  return mac.get();
}

}  // namespace

Hmac::Hmac(const char* digest) : ctx_(EVP_MAC_CTX_new(hmac_algorithm())) {
  if (!ctx_) std::abort();
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx_.get(), params) != 1) std::abort();
  // OpenSSL 3.0 reports the MAC size only after a key is set; ask the digest instead.
  using MdPtr = std::unique_ptr<EVP_MD, ossl::Deleter<EVP_MD, EVP_MD_free>>;
  const MdPtr md(EVP_MD_fetch(nullptr, digest, nullptr));
  const int size = md ? EVP_MD_get_size(md.get()) : 0;
  if (size <= 0) std::abort();
  size_ = static_cast<std::size_t>(size);
}

Hmac::Hmac(const Hmac& other) : ctx_(EVP_MAC_CTX_dup(other.ctx_.get())), size_(other.size_) {
  if (!ctx_) std::abort();
}

Hmac& Hmac::operator=(const Hmac& other) {
  if (this != &other) {
    Hmac copy(other);
    *this = std::move(copy);
  }
  return *this;
}

void Hmac::compute(ByteView key, std::initializer_list<ByteView> parts,
                   MutableByteView out) const {
  // EVP_MAC_init treats a null key as "keep the previous key"; an empty key must still be a
  // new (empty) key, so point at a dummy octet.
  static constexpr std::uint8_t kEmpty = 0;
  const std::uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  if (EVP_MAC_init(ctx_.get(), key_ptr, key.size(), nullptr) != 1) std::abort();
  for (ByteView part : parts) {
    if (!part.empty() && EVP_MAC_update(ctx_.get(), part.data(), part.size()) != 1) std::abort();
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> full;
  std::size_t len = 0;
  if (EVP_MAC_final(ctx_.get(), full.data(), &len, full.size()) != 1) std::abort();
  std::copy_n(full.begin(), std::min(len, out.size()), out.begin());
  OPENSSL_cleanse(full.data(), full.size());
}

}  // namespace ikegate::crypto
