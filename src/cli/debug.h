// The debug renderer: the IKEv2 engine's TraceEvent values as the lines `debug crypto ikev2`
// prints, in the ASA personality (asa-ikev2-l2l-psk-debug: `IKEv2-PROTO-5: (16): SM Trace-> ...`,
// `IKEv2-PLAT-4: SENT PKT [...]`) or the IOS one (ios-ikev2-l2l-debug: `IKEv2:(SA ID = 1):SM
// Trace-> ...`). No timestamps: the logger that writes the lines adds them. The renderer only
// formats; which events exist and at which level is the engine's business.
#pragma once

#include <string>
#include <vector>

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
  bool any() const { return protocol > 0 || platform > 0 || isakmp > 0; }
  friend bool operator==(const DebugLevels&, const DebugLevels&) = default;
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

 private:
  std::vector<std::string> render_asa(const ikev2::TraceEvent& event, const DebugLevels& levels) const;
  std::vector<std::string> render_ios(const ikev2::TraceEvent& event, const DebugLevels& levels) const;

  policy::Personality personality_;
};

}  // namespace ikegate::cli
