// The IKEv2 engine (RFC 7296), sans-IO: datagrams, data-plane events, operator commands and
// the time come in as arguments; datagrams, data-plane operations and trace events go out
// through the injected Host and DataPlane. It never reads a clock or touches a socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/ip.h"
#include "common/random.h"
#include "common/result.h"
#include "common/time.h"
#include "dataplane/dataplane.h"
#include "ikev2/trace.h"
#include "policy/policy.h"

namespace ikegate::ikev2 {

class Host {
 public:
  virtual ~Host() = default;
  // `local` is the address/port the datagram must leave from (500 or 4500).
  virtual void send(const Endpoint& local, const Endpoint& remote, ByteView datagram) = 0;
  virtual void trace(const TraceEvent& event) = 0;
  // Lets the engine skip building events nobody will see.
  virtual bool tracing(Facility, int level) const = 0;
  // Diffie-Hellman and key derivation: `work` touches only its own captured data and may run on
  // another thread; `done` runs later on the engine's thread. Returns false when the host cannot
  // take more work (the engine then drops the negotiation). The default runs both inline.
  // A NAT keepalive (RFC 3948 2.3: one 0xFF octet, no non-ESP marker) from `local` (port 4500).
  virtual void send_keepalive(const Endpoint& local, const Endpoint& remote) = 0;
  virtual bool offload(std::function<void()> work, std::function<void()> done) {
    work();
    done();
    return true;
  }
};

struct EngineOptions {
  Duration retransmit_base = std::chrono::seconds(2);  // doubled per retry (RFC 7296 2.1)
  int retransmit_limit = 5;
  std::size_t cookie_threshold = 500;  // half-open SAs before COOKIE is demanded (RFC 7296 2.6)
  std::size_t half_open_limit = 20000;
  Duration half_open_timeout = std::chrono::seconds(30);
  double rekey_fraction = 0.9;  // rekey at this fraction of a lifetime
  Duration nat_keepalive = std::chrono::seconds(20);  // Cisco's default NAT-T keepalive
  // false: every initiated CHILD SA gets an IKE SA of its own instead of riding on an existing
  // IKE SA to the same peer (the load generator opens one IKE SA per crypto map entry).
  bool share_ike_sa = true;
};

// A snapshot for `show` (cli/ maps it to its view model).
struct ChildSaInfo {
  std::string map;
  std::uint32_t seq = 0;
  std::string acl_text;
  policy::Selector selector;  // outbound view: src = local protected side
  std::uint32_t spi_in = 0, spi_out = 0;
  EncrId encr = EncrId::AES_CBC;
  std::uint16_t key_bits = 0;
  IntegId integ = IntegId::NONE;
  std::optional<DhGroup> pfs;
  std::chrono::seconds lifetime{0}, remaining{0};
  std::uint64_t lifetime_kb = 0;
  bool nat_t = false;
  std::uint16_t encap_local_port = 0, encap_remote_port = 0;
  dataplane::SaCounters in, out;
  std::uint32_t reqid = 0;
};

struct IkeSaInfo {
  std::uint32_t id = 0;
  Endpoint local, remote;
  std::string status;  // READY, IN-NEG, DELETE
  bool initiator = false;
  std::uint64_t spi_local = 0, spi_remote = 0;
  EncrId encr = EncrId::AES_CBC;
  std::uint16_t key_bits = 0;
  IntegId integ = IntegId::NONE;
  PrfId prf = PrfId::HMAC_SHA1;
  DhGroup dh = DhGroup::NONE;
  std::string auth_sign = "PSK", auth_verify = "PSK";
  std::chrono::seconds lifetime{0}, active{0};
  std::string local_id, remote_id;
  std::uint32_t local_req_mid = 0, remote_req_mid = 0;  // next message IDs
  std::uint32_t window = 1;
  std::chrono::seconds dpd_interval{0}, dpd_retry{0};
  bool nat_local = false, nat_remote = false;  // this side / the peer behind a NAT
  bool fragmentation = false;
  std::string tunnel_group;
  std::vector<ChildSaInfo> children;
};

struct Stats {
  std::uint64_t sa_init_received = 0, sa_init_sent = 0;
  std::uint64_t established = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t no_proposal = 0;
  std::uint64_t ts_unacceptable = 0;
  std::uint64_t cookies_sent = 0;
  std::uint64_t invalid_spi = 0;
  std::uint64_t decode_errors = 0;
  std::uint64_t icv_failures = 0;
  std::uint64_t retransmits = 0;
  std::uint64_t duplicate_requests = 0;
  // Datagrams with the Message ID of the request answered last that are not bitwise copies of
  // it (RFC 7296 2.1): dropped unanswered.
  std::uint64_t invalid_retransmits = 0;
  std::uint64_t invalid_message_id = 0;
  std::uint64_t dpd_timeouts = 0;
  std::uint64_t half_open = 0;
  std::uint64_t busy_drops = 0;  // negotiations dropped because the crypto workers were full
  std::uint64_t fragments_sent = 0, fragments_received = 0;  // RFC 7383
  std::uint64_t fragment_errors = 0;  // fragments the reassembler refused
  std::uint64_t role_mismatch = 0;  // messages whose Initiator flag claims our role (reflected)
};

struct IkeSa;
struct ChildSa;

class Engine {
 public:
  Engine(std::shared_ptr<const policy::Policy> policy, dataplane::DataPlane& dp, Random& random,
         Host& host, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Install the SPD of every static crypto map entry (one policy per ACL permit line).
  Result<void> install_policies();
  // Replace the policy (config reload): SAs whose map entry and peer are unchanged stay up.
  void set_policy(std::shared_ptr<const policy::Policy> policy, TimePoint now);

  void on_datagram(const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now);
  void on_dataplane_event(const dataplane::Event& event, TimePoint now);
  void on_timer(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // Operator commands. `peer` empty = all.
  Result<void> initiate(const std::string& map, std::uint32_t seq, std::size_t acl_index, TimePoint now);
  std::size_t clear_ike_sas(std::optional<IpAddress> peer, TimePoint now);
  std::size_t clear_child_sas(std::optional<IpAddress> peer, TimePoint now);
  // Delete everything (sending Delete notifications), remove policies from the data plane.
  void shutdown(TimePoint now);

  std::vector<IkeSaInfo> snapshot(TimePoint now) const;
  const Stats& stats() const { return stats_; }
  std::size_t ike_sa_count() const;
  // Compares the engine's lookup indices (IKE SAs by peer, CHILD SAs by SPI and reqid) with
  // a walk over every SA; an error names the first difference. For tests: it is O(SAs).
  Result<void> check_indices() const;

 private:
  friend struct IkeSa;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Stats stats_;
};

}  // namespace ikegate::ikev2
