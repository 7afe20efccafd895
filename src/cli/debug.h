// The debug renderer: the IKEv2 engine's TraceEvent values as the lines `debug crypto ikev2`
// prints, in the ASA personality (asa-ikev2-l2l-psk-debug: `IKEv2-PROTO-5: (16): SM Trace-> ...`,
// `IKEv2-PLAT-4: SENT PKT [...]`) or the IOS one (ios-ikev2-l2l-debug: `IKEv2:(SA ID = 1):SM
// Trace-> ...`). No timestamps: the logger that writes the lines adds them. The renderer only
// formats; which events exist and at which level is the engine's business.
#pragma once

#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "ikev1/trace.h"
#include "ikev2/trace.h"
#include "policy/policy.h"

namespace ikegate::cli {

// `debug crypto ikev2 protocol N` / `platform N`: 0 is off. A line of level L shows when
// 1 <= L <= the facility's level, so 127 and 255 show every line (Cisco's levels are 1..5).
// `debug crypto isakmp N` (IKEv1) likewise: the IKEv1 engine's levels are 1 (errors, PHASE 1/2
// COMPLETED), 3..5 (phase starts, packets, state changes) and 7 (payload detail).
struct DebugLevels {
  int protocol = 0;
  int platform = 0;
  int isakmp = 0;
  int ipsec = 0;  // `debug crypto ipsec N`: the SAs and rules handed to the data plane
  bool any() const { return protocol > 0 || platform > 0 || isakmp > 0 || ipsec > 0; }
  friend bool operator==(const DebugLevels&, const DebugLevels&) = default;
};

// One ESP SA as `debug crypto ipsec` describes it (no key material).
struct IpsecSaDebug {
  dataplane::Direction direction = dataplane::Direction::Inbound;
  std::uint32_t spi = 0;
  std::uint32_t reqid = 0;           // the SA pair's session: "Session ID", IOS sa_conn_id
  IpAddress local, remote;           // the tunnel endpoints
  bool udp_encap = false;            // ESP in UDP (RFC 3948)
  EncrId encr = EncrId::AES_CBC;
  std::uint16_t key_bits = 0;
  IntegId integ = IntegId::NONE;
  std::optional<TrafficSelector> selector;  // outbound view, when a policy names the reqid
};

class DebugRenderer {
 public:
  explicit DebugRenderer(policy::Personality personality) : personality_(personality) {}

  // Whether a line of `facility` at `level` is shown (the engine's Host::tracing answer).
  bool wants(ikev2::Facility facility, int level, const DebugLevels& levels) const;

  // The lines of one event, each without a line end; empty when nothing is shown at `levels`.
  // A Packet event shows its protocol part (Tx/Rx, HDR, the payload dump) at protocol level 3/4
  // and its platform part (SENT PKT / RECV PKT) at platform level 4, each on its own.
  std::vector<std::string> render(const ikev2::TraceEvent& event, const DebugLevels& levels) const;

  // IKEv1: whether a line at `level` is shown under `debug crypto isakmp`, and the line of one
  // event (none when not shown). ASA (pix-ios-ikev1-dynamic-map-nat): "[IKEv1]: IP = A, IKE_DECODE
  // SENDING Message ...", "[IKEv1]: Group = G, IP = A, PHASE 1 COMPLETED", detail lines (level 7)
  // as "[IKEv1 DEBUG]: ..."; the ASA prints no IOS state names, so state changes show on IOS only.
  // IOS (ios-strongswan-ikev1-ikev2): "ISAKMP:(1003):Old State = IKE_I_MM4 New State =
  // IKE_I_MM5", "ISAKMP:(1003): sending packet to A my_port 500 peer_port 500", "ISAKMP (1003):
  // received packet from A dport 500 sport 500 Global", notes as "ISAKMP:(1003):TEXT".
  bool wants_isakmp(int level, const DebugLevels& levels) const;
  std::vector<std::string> render(const ikev1::TraceEvent& event, const DebugLevels& levels) const;

  // `debug crypto ipsec N`: what an IPsec SA (IKEv1 phase 2 or IKEv2 CHILD SA) looks like when
  // it reaches the data plane. ASA (pix-ios-ikev1-dynamic-map-nat, `debug crypto ipsec 7`): "IPSEC:
  // New embryonic SA created @ ..." for each half as it is added, and once the outbound half is
  // in, the OBSA/IBSA updates, VPN contexts and the encrypt/permit/tunnel-flow/decrypt rules.
  // IOS (both IKEv1 seeds): "IPSEC(create_sa): sa created, (sa) sa_dest= A, sa_proto= 50, ...".
  // Every line is level 1, so a plain `debug crypto ipsec` shows them.
  bool wants_ipsec(const DebugLevels& levels) const { return levels.ipsec > 0; }
  std::vector<std::string> render_ipsec_added(const IpsecSaDebug& sa, const DebugLevels& levels) const;
  // The outbound half is in: `inbound` is its partner (same reqid) when that came first.
  std::vector<std::string> render_ipsec_complete(const IpsecSaDebug& outbound, const IpsecSaDebug* inbound,
                                                 const DebugLevels& levels) const;

 private:
  std::vector<std::string> render_asa(const ikev2::TraceEvent& event, const DebugLevels& levels) const;
  std::vector<std::string> render_ios(const ikev2::TraceEvent& event, const DebugLevels& levels) const;

  policy::Personality personality_;
};

}  // namespace ikegate::cli
