// A data plane that installs nothing (`ikegate run --dataplane none`, `ikegate loadgen`): SPIs
// are allocated, random and unique among those handed out and not deleted (RFC 4303 2.1: never
// 0..255), every SA and policy is accepted, no packet is ever carried. IKE alone is exercised.
#pragma once

#include <unordered_set>

#include "common/random.h"
#include "dataplane/dataplane.h"

namespace ikegate::daemon {

class NullDataPlane final : public dataplane::DataPlane {
 public:
  explicit NullDataPlane(Random& r) : random_(r) {}
  std::string_view name() const override { return "none"; }
  Result<std::uint32_t> allocate_spi() override {
    for (;;) {
      std::uint32_t spi = random_.u32();
      if (spi >= 256 && spis_.insert(spi).second) return spi;
    }
  }
  Result<void> add_sa(const dataplane::SaParams&) override { return {}; }
  Result<void> delete_sa(std::uint32_t spi, dataplane::Direction d) override {
    if (d == dataplane::Direction::Inbound) spis_.erase(spi);
    return {};
  }
  Result<void> update_sa_remote(std::uint32_t, const Endpoint&) override { return {}; }
  Result<void> add_policy(const dataplane::PolicyParams&) override { return {}; }
  Result<void> delete_policy(std::uint32_t) override { return {}; }
  std::optional<dataplane::SaCounters> counters(std::uint32_t, dataplane::Direction) const override {
    return std::nullopt;
  }
  int event_fd() const override { return -1; }
  std::vector<dataplane::Event> drain_events() override { return {}; }
  void inject_udp_esp(ByteView, const Endpoint&, const Endpoint&) override {}
  void set_encap_socket(int) override {}
  Result<void> shutdown() override { return {}; }

 private:
  Random& random_;
  std::unordered_set<std::uint32_t> spis_;
};

}  // namespace ikegate::daemon
