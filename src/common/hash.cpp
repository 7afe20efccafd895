#include "common/hash.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace ikegate {

namespace {

Bytes digest(const EVP_MD* md, std::initializer_list<ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) std::abort();
  for (ByteView p : parts)
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) std::abort();
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) std::abort();
  return out;
}

}  // namespace

Bytes sha1(std::initializer_list<ByteView> parts) { return digest(EVP_sha1(), parts); }

Bytes sha256(std::initializer_list<ByteView> parts) { return digest(EVP_sha256(), parts); }

}  // namespace ikegate
