#include "common/hash.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace ikegate {

Bytes sha1(std::initializer_list<ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  Bytes out(20);
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr) != 1) std::abort();
  for (ByteView p : parts)
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) std::abort();
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != 20) std::abort();
  return out;
}

}  // namespace ikegate
