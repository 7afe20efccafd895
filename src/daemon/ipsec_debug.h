// `debug crypto ipsec N`: a data plane wrapper that reports every IPsec SA either engine
// installs (IKEv1 phase 2 and IKEv2 CHILD SAs alike) to the debug renderer, the way an ASA
// reports its SAs and rules while it programs them. It forwards every call unchanged; what it
// prints is cli::DebugRenderer's business, when it prints is the debug level's.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/debug.h"
#include "dataplane/dataplane.h"

namespace ikegate::daemon {

class IpsecDebugDataPlane final : public dataplane::DataPlane {
 public:
  // What an event looks like under the current debug levels; `Render` is handed one per event
  // and prints its lines wherever debug output goes.
  using Lines = std::function<std::vector<std::string>(const cli::DebugRenderer&, const cli::DebugLevels&)>;
  using Render = std::function<void(const Lines&)>;
  IpsecDebugDataPlane(std::unique_ptr<dataplane::DataPlane> inner, Render render)
      : inner_(std::move(inner)), render_(std::move(render)) {}

  std::string_view name() const override { return inner_->name(); }
  Result<std::uint32_t> allocate_spi() override { return inner_->allocate_spi(); }
  Result<void> add_sa(const dataplane::SaParams& p) override;
  Result<void> delete_sa(std::uint32_t spi, dataplane::Direction d) override;
  Result<void> update_sa_remote(std::uint32_t spi, const Endpoint& remote) override {
    return inner_->update_sa_remote(spi, remote);
  }
  Result<void> add_policy(const dataplane::PolicyParams& p) override;
  Result<void> delete_policy(std::uint32_t reqid) override;
  std::optional<dataplane::SaCounters> counters(std::uint32_t spi, dataplane::Direction d) const override {
    return inner_->counters(spi, d);
  }
  int event_fd() const override { return inner_->event_fd(); }
  std::vector<dataplane::Event> drain_events() override { return inner_->drain_events(); }
  void inject_udp_esp(ByteView esp, const Endpoint& from, const Endpoint& to) override { inner_->inject_udp_esp(esp, from, to); }
  void set_encap_socket(int fd) override { inner_->set_encap_socket(fd); }
  void exempt_ike_socket(int fd) override { inner_->exempt_ike_socket(fd); }
  Result<void> shutdown() override { return inner_->shutdown(); }

 private:
  std::unique_ptr<dataplane::DataPlane> inner_;
  Render render_;
  std::map<std::uint32_t, TrafficSelector> selectors_;  // by reqid, from add_policy
  std::map<std::uint32_t, cli::IpsecSaDebug> inbound_;  // by reqid: the inbound half awaiting its partner
};

}  // namespace ikegate::daemon
