// An in-memory data plane for engine and simulation tests. It records what the engine
// installs, lets a test raise Acquire/expire events, and can carry packets between two fakes
// wired together with the real ESP core, so a test proves both sides derived the same keys.
// Single-threaded: every call from the test's thread.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "common/random.h"
#include "dataplane/dataplane.h"
#include "dataplane/esp.h"
#include "dataplane/spd.h"

namespace ikegate::dataplane {

class FakeDataPlane final : public DataPlane {
 public:
  explicit FakeDataPlane(std::uint64_t seed = 1);
  ~FakeDataPlane() override;
  FakeDataPlane(const FakeDataPlane&) = delete;
  FakeDataPlane& operator=(const FakeDataPlane&) = delete;

  std::string_view name() const override { return "fake"; }
  Result<std::uint32_t> allocate_spi() override;
  Result<void> add_sa(const SaParams&) override;
  Result<void> delete_sa(std::uint32_t spi, Direction) override;
  Result<void> update_sa_remote(std::uint32_t spi, const Endpoint& remote) override;
  Result<void> add_policy(const PolicyParams&) override;
  Result<void> delete_policy(std::uint32_t reqid) override;
  std::optional<SaCounters> counters(std::uint32_t spi, Direction) const override;
  int event_fd() const override { return event_fd_; }
  std::vector<Event> drain_events() override;
  void inject_udp_esp(ByteView esp, const Endpoint& from, const Endpoint& to) override;
  void set_encap_socket(int fd) override { encap_socket_ = fd; }
  Result<void> shutdown() override;

  // ---- Inspection ----
  const SaParams* sa(std::uint32_t spi, Direction d) const;
  std::size_t sa_count() const { return sas_.size(); }
  const Spd& spd() const { return spd_; }
  int encap_socket() const { return encap_socket_; }
  bool is_shut_down() const { return shut_down_; }
  std::size_t queued(std::uint32_t reqid) const;

  // ---- Events raised by the test ----
  void raise_acquire(std::uint32_t reqid, const TrafficSelector& packet);
  void raise_expire(Event::Kind kind, std::uint32_t spi, Direction d);

  // ---- Traffic between two fakes ----
  // Wires this fake to `peer` in both directions. Both must outlive the connection.
  void connect(FakeDataPlane& peer);
  // Every ESP packet on the way to the peer passes through the filter; returning false drops
  // it (loss), and it may modify the bytes (tampering).
  void set_link_filter(std::function<bool(Bytes&)> filter) { filter_ = std::move(filter); }

  enum class SendOutcome { Sent, Bypassed, Queued, Dropped };
  // An inner packet from the protected side: SPD lookup, outbound SA by reqid, ESP, peer. No
  // SA: queue (bounded) and raise Acquire once. No matching policy: bypassed (not protected).
  SendOutcome send(ByteView inner_packet);
  // Inner packets that arrived from the peer, passed ICV, anti-replay and the policy check.
  std::vector<Bytes> take_delivered();
  // The last ESP packet this fake sent (SPI first), for wire-level assertions.
  const Bytes& last_esp() const { return last_esp_; }

 private:
  struct Sa {
    SaParams params;
    std::unique_ptr<EspSa> esp;
  };
  void push_event(Event e);
  void receive_esp(ByteView esp);
  SendOutcome encrypt_and_send(Sa& sa, ByteView inner);
  void flush_queue(std::uint32_t reqid);
  void check_lifetime(Sa& sa);

  TestRandom random_;
  int event_fd_ = -1;
  int encap_socket_ = -1;
  bool shut_down_ = false;
  std::map<std::pair<std::uint32_t, Direction>, Sa> sas_;
  std::map<std::uint32_t, std::uint32_t> outbound_by_reqid_;  // reqid -> SPI
  std::map<std::uint32_t, std::deque<Bytes>> queues_;         // reqid -> packets awaiting an SA
  std::vector<std::uint32_t> allocated_;
  Spd spd_;
  std::vector<Event> events_;
  std::vector<Bytes> delivered_;
  FakeDataPlane* peer_ = nullptr;
  std::function<bool(Bytes&)> filter_;
  Bytes last_esp_;
};

}  // namespace ikegate::dataplane
