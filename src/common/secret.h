// Buffers for key material: wiped (OPENSSL_cleanse, which the optimiser cannot elide)
// whenever their storage is released, and never printable.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/bytes.h"

namespace ikegate {

void secure_wipe(void* p, std::size_t n) noexcept;

template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

// Key material. Converts to a view for use, never implicitly to Bytes.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n) : data_(n) {}
  explicit SecretBytes(ByteView v) : data_(v.begin(), v.end()) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  SecretBytes& operator=(SecretBytes&&) noexcept = default;
  ~SecretBytes() { wipe(); }

  std::uint8_t* data() { return data_.data(); }
  const std::uint8_t* data() const { return data_.data(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  void resize(std::size_t n) { data_.resize(n); }
  void append(ByteView v) { data_.insert(data_.end(), v.begin(), v.end()); }
  void wipe() {
    secure_wipe(data_.data(), data_.size());
  }
  ByteView view() const { return {data_.data(), data_.size()}; }
  MutableByteView mutable_view() { return {data_.data(), data_.size()}; }
  // A sub-range of the secret, e.g. SK_ai out of the prf+ stream.
  SecretBytes slice(std::size_t offset, std::size_t len) const {
    return SecretBytes(view().subspan(offset, len));
  }
  friend bool operator==(const SecretBytes& a, const SecretBytes& b);

 private:
  std::vector<std::uint8_t, WipingAllocator<std::uint8_t>> data_;
};

// Constant-time comparison for MACs, ICVs and AUTH values.
bool constant_time_equal(ByteView a, ByteView b) noexcept;

}  // namespace ikegate
