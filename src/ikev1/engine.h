// The IKEv1 engine (RFC 2409 with RFC 2408 framing, RFC 3947 NAT-T, RFC 3706 DPD), sans-IO like
// ikev2::Engine: datagrams, data-plane events, operator commands and the time come in as
// arguments; datagrams, data-plane operations and trace events go out through the injected Host
// and DataPlane. It never reads a clock or touches a socket.
//
// What it speaks: Main Mode with pre-shared keys (initiator and responder, `crypto isakmp
// policy` priorities), Quick Mode with and without PFS (the commit bit is tolerated, a shorter
// local lifetime is announced with RESPONDER-LIFETIME), Informational exchanges (DELETE,
// R-U-THERE/R-U-THERE-ACK, INITIAL-CONTACT), retransmission, NAT-T (vendor IDs, NAT-D, float to
// 4500, UDP-encapsulated ESP), phase-1 and phase-2 rekeying, Aggressive Mode with pre-shared
// keys (responder always; initiator per crypto map entry or by option). Not yet: certificates,
// XAUTH/mode config.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/ip.h"
#include "common/random.h"
#include "common/result.h"
#include "common/time.h"
#include "dataplane/dataplane.h"
#include "ikev1/trace.h"
#include "policy/policy.h"

namespace ikegate::ikev1 {

class Host {
 public:
  virtual ~Host() = default;
  // `local` is the address/port the datagram leaves from (500, or 4500 after the NAT-T float;
  // the host adds the non-ESP marker on 4500, RFC 3948 2.2).
  virtual void send(const Endpoint& local, const Endpoint& remote, ByteView datagram) = 0;
  virtual void trace(const TraceEvent& event) = 0;
  virtual bool tracing(int level) const = 0;
  // A NAT keepalive (RFC 3948 2.3: one 0xFF octet) from `local` (port 4500).
  virtual void send_keepalive(const Endpoint& local, const Endpoint& remote) = 0;
};

struct EngineOptions {
  Duration retransmit_base = std::chrono::seconds(2);  // doubled per retry
  int retransmit_limit = 5;
  Duration half_open_timeout = std::chrono::seconds(60);
  double rekey_fraction = 0.9;
  Duration nat_keepalive = std::chrono::seconds(20);
  int dpd_retries = 3;  // R-U-THERE sent this many times more before the peer is declared dead
  // Initiate phase 1 in Aggressive Mode (RFC 2409 5.4) instead of Main Mode for every entry;
  // per entry, the ASA's `crypto map ... set ikev1 phase1-mode aggressive` does the same.
  bool aggressive = false;
  std::size_t max_sas = 10000;  // ISAKMP SAs, half-open included
  // Main/Aggressive Modes we answer that have not completed: a flood of Main Mode 1 from
  // forged addresses fills this, not the table the established SAs and our own negotiations
  // need. Each lasts at most half_open_timeout.
  std::size_t half_open_limit = 1000;
};

struct IpsecSaInfo {
  // The peer and the crypto endpoints the SA runs between (after a NAT-T float, port 4500), and
  // IOS's C-id of the ISAKMP SA that now protects the peer (the one that negotiated it, or its
  // successor after a phase-1 rekey; 0 when none is up). With a dynamic crypto map these are the
  // only link between an IPsec SA and its peer.
  Endpoint local, remote;
  std::uint32_t conn_id = 0;
  std::string peer_name;  // ASA tunnel-group / IOS keyring peer that authenticated the peer
  std::string map;
  std::uint32_t seq = 0;
  std::string acl_text;
  policy::Selector selector;  // outbound view
  std::uint32_t spi_in = 0, spi_out = 0;
  EncrId encr = EncrId::AES_CBC;
  std::uint16_t key_bits = 0;
  IntegId integ = IntegId::NONE;
  std::optional<DhGroup> pfs;
  std::chrono::seconds lifetime{0}, remaining{0};
  bool nat_t = false;
  bool initiator = false;
  std::uint32_t reqid = 0;
  dataplane::SaCounters in, out;
};

struct IsakmpSaInfo {
  std::uint32_t conn_id = 0;
  Endpoint local, remote;
  std::string state;  // IOS state name: MM_NO_STATE ... QM_IDLE; ASA: MM_ACTIVE when complete
  bool initiator = false;
  bool established = false;
  std::uint64_t cookie_i = 0, cookie_r = 0;
  EncrId encr = EncrId::TRIPLE_DES;
  std::uint16_t key_bits = 0;
  PrfId hash = PrfId::HMAC_SHA1;
  DhGroup dh = DhGroup::NONE;
  std::chrono::seconds lifetime{0}, remaining{0};
  bool nat_local = false, nat_remote = false;
  bool dpd = false;
  std::string tunnel_group;
};

struct Snapshot {
  std::vector<IsakmpSaInfo> isakmp;
  std::vector<IpsecSaInfo> ipsec;
};

// Counters since start. The ones after the first block are those of the ASA's `show crypto
// isakmp stats` (the cikeGlobal objects of CISCO-IPSEC-FLOW-MONITOR-MIB).
struct Stats {
  std::uint64_t phase1_completed = 0, phase2_completed = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t no_proposal = 0;  // sent or received NO-PROPOSAL-CHOSEN
  std::uint64_t decode_errors = 0;
  std::uint64_t decrypt_failures = 0;
  std::uint64_t retransmits = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t dpd_timeouts = 0;
  std::uint64_t negotiation_timeouts = 0;
  std::uint64_t unknown_cookies = 0;

  std::uint64_t in_packets = 0, in_octets = 0, out_packets = 0, out_octets = 0;
  // Datagrams dropped unprocessed: malformed, unknown cookies, failed decryption or HASH, a
  // repeat that is not a copy of what was answered, no room for another negotiation.
  std::uint64_t in_drops = 0;
  std::uint64_t in_notifies = 0, out_notifies = 0;
  std::uint64_t in_p2 = 0;          // Quick Modes the peer started
  std::uint64_t in_p2_invalid = 0;  // Quick Mode messages whose HASH did not verify
  std::uint64_t in_p2_rejects = 0;  // Quick Modes refused (no crypto map entry or proposal)
  std::uint64_t in_p2_deletes = 0, out_p2_deletes = 0;  // DELETE of IPsec SAs
  std::uint64_t out_p2 = 0;         // Quick Modes started here
  std::uint64_t out_p2_rejects = 0; // ... that the peer refused with a notification
  std::uint64_t initiator_tunnels = 0, initiator_fails = 0, responder_fails = 0;
  std::uint64_t capacity_fails = 0;  // negotiations refused: max_sas or half_open_limit reached
  std::uint64_t hash_failures = 0;   // HASH(1)/(2)/(3) of Quick Mode and Informational
  std::uint64_t half_open = 0;       // current: responder negotiations not yet complete
};

class Engine {
 public:
  Engine(std::shared_ptr<const policy::Policy> policy, dataplane::DataPlane& dp, Random& random,
         Host& host, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The SPD of every static IKEv1 crypto map entry (one policy per ACL permit line).
  Result<void> install_policies();
  // A new configuration (reload): running SAs stay; new negotiations use the new policy.
  void set_policy(std::shared_ptr<const policy::Policy> policy);

  void on_datagram(const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now);
  void on_dataplane_event(const dataplane::Event& event, TimePoint now);
  void on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // Operator commands; `peer` empty = all.
  Result<void> initiate(const std::string& map, std::uint32_t seq, std::size_t acl_index, TimePoint now);
  std::size_t clear_isakmp_sas(std::optional<IpAddress> peer, TimePoint now);
  std::size_t clear_ipsec_sas(std::optional<IpAddress> peer, TimePoint now);
  // Delete everything (sending DELETEs) and remove the policies from the data plane.
  void shutdown(TimePoint now);

  Snapshot snapshot(TimePoint now) const;
  const Stats& stats() const { return stats_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Stats stats_;
};

}  // namespace ikegate::ikev1
