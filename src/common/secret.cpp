#include "common/secret.h"

#include <openssl/crypto.h>

namespace ikegate {

void secure_wipe(void* p, std::size_t n) noexcept {
  if (p != nullptr && n != 0) OPENSSL_cleanse(p, n);
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool operator==(const SecretBytes& a, const SecretBytes& b) { return constant_time_equal(a.view(), b.view()); }

}  // namespace ikegate
