// The engine's snapshot (ikev2::IkeSaInfo, ChildSaInfo) mapped to the show view model
// (sa_view.h). What the engine knows is copied; what only the configuration knows (the crypto
// map entry's interface and profile) comes from the policy; what follows from the negotiated
// transform (IV size, ESP overhead, plaintext MTU) is derived here, in one place, so that the
// formatters stay free of arithmetic.
#pragma once

#include <vector>

#include "cli/sa_view.h"
#include "ikev1/engine.h"
#include "ikev2/engine.h"
#include "policy/policy.h"

namespace ikegate::cli {

// `show crypto ikev2 sa` / `show crypto isakmp sa`: one view per IKE SA, its CHILD SAs newest
// first. Tunnel-id and Session-id are both the engine's SA number.
std::vector<IkeSaView> ike_sa_views(const std::vector<ikev2::IkeSaInfo>& sas,
                                    policy::Personality personality);

// `show crypto ipsec sa`: one view per CHILD SA, in snapshot order, with one inbound and one
// outbound ESP SA each. Counters from the data plane: encaps/encrypt/digest and send errors
// from the outbound SA; decaps/decrypt/verify and replay failures from the inbound one; recv
// errors are the inbound SA's receive errors plus its ICV failures. Remaining kB per direction:
// the kilobyte lifetime minus the octets that SA carried. The personality (ASA or IOS details
// such as flow ids and the plaintext MTU) is the policy's.
std::vector<ChildSaView> child_sa_views(const std::vector<ikev2::IkeSaInfo>& sas,
                                        const policy::Policy& policy);

// IOS `show crypto session detail`: one session per peer address, its IKE SAs and one IPSEC
// FLOW per CHILD SA.
std::vector<SessionView> session_views(const std::vector<ikev2::IkeSaInfo>& sas,
                                       const policy::Policy& policy);

// The IKEv1 engine's snapshot in the same views, so the show commands list IKEv1 tunnels next to
// IKEv2 ones. ISAKMP SAs: C-id as Tunnel-id, established ones MM_ACTIVE (ASA) or QM_IDLE (IOS),
// IOS Engine-id:Conn-id "SW:<C-id - 1000>" (the seed's C-id 1003 is SW:3), Cap. column N when
// NAT-T is in use (D only with `crypto isakmp keepalive`, which the policy does not carry yet).
std::vector<IkeSaView> ike_sa_views(const ikev1::Snapshot& snapshot,
                                    policy::Personality personality);

// IKEv1 phase 2 SAs as `show crypto ipsec sa` blocks, counted as for IKEv2. The snapshot does not
// say which ISAKMP SA negotiated an IPsec SA: its crypto endpoints are those of the ISAKMP SA with
// one of the map entry's peers, else (dynamic maps) those of the only established ISAKMP SA.
std::vector<ChildSaView> child_sa_views(const ikev1::Snapshot& snapshot,
                                        const policy::Policy& policy);

// Adds the IKEv1 SAs to `sessions` (one session per peer address, merged with IKEv2 ones).
void add_session_views(std::vector<SessionView>& sessions, const ikev1::Snapshot& snapshot,
                       const policy::Policy& policy);

// A selector side as an ident: a single address is a host (/32, /128), a range that is exactly a
// prefix prints that prefix, any other range the smallest prefix that covers it. A single port
// prints, a port range prints 0 (any).
IdentView ident_of(const IpAddress& start, const IpAddress& end, std::uint8_t protocol,
                   std::uint16_t port_start, std::uint16_t port_end);

}  // namespace ikegate::cli
