#include "daemon/ipsec_debug.h"

namespace ikegate::daemon {

namespace {

cli::IpsecSaDebug describe(const dataplane::SaParams& p) {
  cli::IpsecSaDebug d;
  d.direction = p.direction;
  d.spi = p.spi;
  d.reqid = p.reqid;
  d.local = p.local;
  d.remote = p.remote;
  d.udp_encap = p.encap_remote_port.has_value();
  d.encr = p.encr;
  d.key_bits = p.key_bits;
  d.integ = p.integ;
  return d;
}

}  // namespace

Result<void> IpsecDebugDataPlane::add_sa(const dataplane::SaParams& p) {
  auto r = inner_->add_sa(p);
  if (!r) return r;
  auto sa = describe(p);
  if (auto s = selectors_.find(p.reqid); s != selectors_.end()) sa.selector = s->second;
  render_([&](const cli::DebugRenderer& r, const cli::DebugLevels& l) { return r.render_ipsec_added(sa, l); });
  if (p.direction == dataplane::Direction::Inbound) {
    inbound_[p.reqid] = sa;
    return r;
  }
  // The outbound half completes the pair (both engines install the inbound half first).
  auto in = inbound_.find(p.reqid);
  const cli::IpsecSaDebug* partner = in != inbound_.end() ? &in->second : nullptr;
  render_([&](const cli::DebugRenderer& r, const cli::DebugLevels& l) { return r.render_ipsec_complete(sa, partner, l); });
  if (in != inbound_.end()) inbound_.erase(in);
  return r;
}

Result<void> IpsecDebugDataPlane::delete_sa(std::uint32_t spi, dataplane::Direction d) {
  if (d == dataplane::Direction::Inbound)
    std::erase_if(inbound_, [&](const auto& kv) { return kv.second.spi == spi; });
  return inner_->delete_sa(spi, d);
}

Result<void> IpsecDebugDataPlane::add_policy(const dataplane::PolicyParams& p) {
  auto r = inner_->add_policy(p);
  if (r) selectors_[p.reqid] = p.selector;
  return r;
}

Result<void> IpsecDebugDataPlane::delete_policy(std::uint32_t reqid) {
  selectors_.erase(reqid);
  return inner_->delete_policy(reqid);
}

}  // namespace ikegate::daemon
