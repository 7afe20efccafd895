// Reqids tie the two SAs of a CHILD SA to its policy in the data plane. Each IKE engine draws
// them from a range of its own, so the engines never touch each other's policies, and a
// dynamic crypto map's reqid returns to the pool once its CHILD SA and policy are gone, so a
// head-end that has served a million peers still uses small reqids (the XFRM backend keeps
// them in 16 bits, dataplane/xfrm.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ikegate {

class ReqidPool {
 public:
  ReqidPool(std::uint32_t first, std::uint32_t last) : next_(first), last_(last) {}

  // nullopt when every reqid of the range is in use.
  std::optional<std::uint32_t> take() {
    std::uint32_t r;
    if (!free_.empty()) {
      r = free_.back();
      free_.pop_back();
    } else if (next_ <= last_) {
      r = next_++;
    } else {
      return std::nullopt;
    }
    ++in_use_;
    return r;
  }

  void give_back(std::uint32_t reqid) {
    free_.push_back(reqid);
    --in_use_;
  }

  std::size_t in_use() const { return in_use_; }

 private:
  std::uint32_t next_, last_;
  std::size_t in_use_ = 0;
  std::vector<std::uint32_t> free_;
};

// The ranges of the two engines: together they stay within the XFRM backend's 16 bits.
inline constexpr std::uint32_t kIkev2FirstReqid = 1, kIkev2LastReqid = 0x3fff;
inline constexpr std::uint32_t kIkev1FirstReqid = 0x4000, kIkev1LastReqid = 0xffff;

}  // namespace ikegate
