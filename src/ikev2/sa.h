// IKE SA and CHILD SA state, private to the engine.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/ip.h"
#include "common/secret.h"
#include "common/sk_protection.h"
#include "common/time.h"
#include "crypto/dh.h"
#include "crypto/keys.h"
#include "dataplane/dataplane.h"
#include "policy/policy.h"
#include "wire/ikev2_codec.h"
#include "wire/ikev2_types.h"

namespace ikegate::ikev2 {

// The IKE SA states, named as Cisco's state machine names them in `SM Trace` lines.
enum class IkeState : std::uint8_t {
  I_WAIT_INIT,  // initiator: IKE_SA_INIT request sent
  I_WAIT_AUTH,  // initiator: IKE_AUTH request sent
  R_WAIT_AUTH,  // responder: IKE_SA_INIT answered, waiting for IKE_AUTH
  READY,        // established
  DELETING,     // Delete sent, waiting for the answer
};

std::string_view to_string(IkeState s);

struct ChildSa {
  std::uint32_t reqid = 0;
  std::string map;
  std::uint32_t seq = 0;
  std::string acl_text;
  policy::Selector selector;  // outbound view: src = our protected side
  std::uint32_t spi_in = 0;   // the SPI we receive on (we chose it)
  std::uint32_t spi_out = 0;  // the SPI the peer chose
  policy::EncrSpec encr;
  IntegId integ = IntegId::NONE;
  std::optional<DhGroup> pfs;
  TimePoint created{};
  std::chrono::seconds lifetime{28800};
  std::uint64_t lifetime_kb = 0;
  TimePoint rekey_at{}, expire_at{};
  bool rekeying = false;
  bool installed_out = false;
  bool deleting = false;        // our Delete for it is queued or in flight
  bool dynamic_policy = false;  // a policy installed for this child only (dynamic crypto map)

  // Make-before-break (RFC 7296 2.8): as the responder of a rekey we receive on the new SA at
  // once but keep sending on the old one until the initiator deletes it, because until our
  // response arrives the initiator cannot decrypt the new SA's packets.
  std::optional<dataplane::SaParams> pending_out;
  std::uint32_t replaces_spi_in = 0;  // the child whose removal activates pending_out
  TimePoint activate_out_at = TimePoint::max();  // the fallback if no Delete comes

  // Simultaneous rekeying (RFC 7296 2.8.1): the peer rekeyed this child while our own rekey of
  // it was in flight; the CHILD SA we created answering it, and the lower of its two nonces.
  bool rekeyed_by_peer = false;
  std::uint32_t peer_rekey_spi_in = 0;
  Bytes peer_rekey_min_nonce;
};

// A CHILD SA under negotiation: created by IKE_AUTH or CREATE_CHILD_SA.
struct ChildRequest {
  std::string map;
  std::uint32_t seq = 0;
  std::size_t acl_index = 0;
  std::uint32_t reqid = 0;
  policy::Selector selector;  // outbound view
  std::uint32_t spi_in = 0;
  std::uint32_t rekey_spi_in = 0;  // non-zero: this replaces the child with this inbound SPI
  bool initiated_by_us = false;    // we sent the request that creates it (selects the key halves)
  std::unique_ptr<crypto::KeyExchange> ke;  // PFS
  Bytes nonce;
};

enum class TaskKind : std::uint8_t { CreateChild, RekeyChild, DeleteChild, DeleteIke, Dpd, RekeyIke };

// The new IKE SA we offer when rekeying (RFC 7296 2.18).
struct IkeRekey {
  std::uint64_t spi = 0;  // our SPI of the new IKE SA
  Bytes nonce;
  std::unique_ptr<crypto::KeyExchange> ke;
};

struct Task {
  TaskKind kind = TaskKind::Dpd;
  std::shared_ptr<ChildRequest> child;
  std::uint32_t spi_in = 0;  // DeleteChild: our inbound SPI of the child to delete
  std::shared_ptr<IkeRekey> rekey;
};

// The request we have in flight (window size 1, RFC 7296 2.3).
struct OutstandingRequest {
  std::uint32_t message_id = 0;
  wire::ExchangeType exchange = wire::ExchangeType::INFORMATIONAL;
  std::vector<Bytes> datagrams;  // one, or its SKF fragments (RFC 7383)
  int retries = 0;
  TimePoint retransmit_at{};
  Task task;
};

struct IkeSa {
  std::uint32_t id = 0;
  bool initiator = false;
  IkeState state = IkeState::I_WAIT_INIT;
  std::uint64_t spi_i = 0, spi_r = 0;
  Endpoint local, remote;
  bool nat_local = false, nat_remote = false;
  bool use_natt_port = false;  // IKE moved to 4500 (RFC 7296 2.23)
  bool peer_fragmentation = false;
  bool rekeying = false;  // a rekey of this IKE SA is under way or done (RFC 7296 2.18)
  bool replaced = false;  // a new IKE SA took over its CHILD SAs
  std::uint64_t successor = 0;  // then: that IKE SA's local SPI
  // Simultaneous IKE SA rekeying (RFC 7296 2.8.2): the IKE SA we created answering the peer's
  // rekey while ours was in flight, and the lower of that exchange's nonces.
  std::uint64_t peer_rekey_spi = 0;
  Bytes peer_rekey_min_nonce;
  std::string peer_name;  // tunnel-group / keyring peer
  std::string map;        // crypto map entry that started or accepted this SA
  std::uint32_t seq = 0;

  // IKE_SA_INIT
  CipherSuite suite;
  std::chrono::seconds lifetime{86400};
  std::vector<DhGroup> groups_to_try;  // initiator: KE group order
  std::unique_ptr<crypto::KeyExchange> ke;
  Bytes ni, nr;
  Bytes cookie;
  Bytes init_request, init_response;  // raw, for the AUTH signed octets (RFC 7296 2.15)

  // Keys
  std::optional<crypto::IkeSaKeys> keys;
  std::unique_ptr<SkProtection> protect_out, protect_in;

  // Message IDs (RFC 7296 2.2)
  std::uint32_t next_request_mid = 0;
  std::optional<OutstandingRequest> outstanding;
  std::deque<Task> queue;
  std::uint32_t expected_peer_mid = 0;
  std::optional<std::uint32_t> last_response_mid;
  std::vector<Bytes> last_response;  // one datagram, or its fragments
  // SHA-256 of the peer's last authenticated request (of its first fragment, if it came in
  // fragments). RFC 7296 2.1 makes a retransmission bitwise identical to the original, so only
  // a datagram with this digest is answered from the cache: a forged one with the right SPIs
  // and Message ID must not make us send anything to the real peer.
  Bytes request_digest;

  // RFC 7383 reassembly of the peer's fragmented request and of the response to ours; made
  // when the first fragment arrives, so an SA that never sees one pays nothing.
  struct Reassembly {
    std::uint32_t message_id = 0;
    wire::FragmentReassembler fragments;
    Bytes first_fragment_digest;  // of fragment 1, once authenticated
  };
  std::unique_ptr<Reassembly> request_fragments, response_fragments;

  std::vector<std::unique_ptr<ChildSa>> children;
  std::shared_ptr<ChildRequest> auth_child;  // the CHILD SA carried by IKE_AUTH

  Bytes id_local, id_remote;  // ID payload bodies: type | 3 reserved | data
  std::string id_local_text, id_remote_text;

  TimePoint created{}, established{};
  TimePoint last_heard{};
  TimePoint rekey_at{}, expire_at{};
  TimePoint half_open_deadline{};
  Endpoint half_open_peer;  // the address IKE_SA_INIT came from: the half-open map's key
  TimePoint keepalive_at{};  // behind a NAT: next NAT keepalive (RFC 3948 2.3)
  TimePoint deadline{};  // earliest of all timers; TimePoint::max() = none

  std::uint64_t local_spi() const { return initiator ? spi_i : spi_r; }
  std::uint64_t remote_spi() const { return initiator ? spi_r : spi_i; }
  ChildSa* child_by_spi_in(std::uint32_t spi);
  ChildSa* child_by_spi_out(std::uint32_t spi);
};

}  // namespace ikegate::ikev2
