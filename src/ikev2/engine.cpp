// The IKEv2 engine. One IKE SA runs one exchange at a time as initiator (window 1) and answers
// the peer's requests in order; work that needs an exchange is a Task queued on the IKE SA.
#include "ikev2/engine.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "common/hash.h"
#include "common/reqid_pool.h"
#include "crypto/keys.h"
#include "crypto/prf.h"
#include "crypto/sk.h"
#include "ikev2/proposals.h"
#include "ikev2/sa.h"
#include "wire/ikev2_codec.h"
#include "wire/ikev2_message.h"
#include "wire/vendor_ids.h"

namespace ikegate::ikev2 {

using wire::ExchangeType;
using wire::Message;
using wire::NotifyType;
using wire::Payload;
using wire::PayloadType;
using wire::ProtocolId;

std::string_view to_string(IkeState s) {
  switch (s) {
    case IkeState::I_WAIT_INIT: return "I_WAIT_INIT";
    case IkeState::I_WAIT_AUTH: return "I_WAIT_AUTH";
    case IkeState::R_WAIT_AUTH: return "R_WAIT_AUTH";
    case IkeState::READY: return "READY";
    case IkeState::DELETING: return "DELETING";
  }
  return "UNKNOWN";
}

ChildSa* IkeSa::child_by_spi_in(std::uint32_t spi) {
  for (auto& c : children)
    if (c->spi_in == spi) return c.get();
  return nullptr;
}

ChildSa* IkeSa::child_by_spi_out(std::uint32_t spi) {
  for (auto& c : children)
    if (c->spi_out == spi) return c.get();
  return nullptr;
}

namespace {

constexpr std::size_t kNonceSize = 32;
constexpr std::uint16_t kIkePort = 500;
constexpr std::uint16_t kNattPort = 4500;
constexpr TimePoint kNever = TimePoint::max();
// How long the responder of a CHILD SA rekey keeps sending on the old SA when the initiator's
// Delete of it never comes (RFC 7296 2.8 leaves the delay to the implementation).
constexpr Duration kActivateOutFallback = std::chrono::seconds(10);
constexpr Duration kRekeyRetry = std::chrono::seconds(10);

// RFC 7296 2.8.1/2.8.2: nonces compare as octet strings.
bool nonce_less(ByteView a, ByteView b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

Bytes min_nonce(ByteView a, ByteView b) {
  ByteView m = nonce_less(a, b) ? a : b;
  return Bytes(m.begin(), m.end());
}

template <class T>
const T* find_body(const std::vector<Payload>& payloads, PayloadType type) {
  for (const auto& p : payloads)
    if (p.type == type)
      if (const T* b = std::get_if<T>(&p.body)) return b;
  return nullptr;
}

template <class T>
Payload make(PayloadType type, T body) {
  Payload p;
  p.type = type;
  p.body = std::move(body);
  return p;
}

Payload notify(NotifyType type, Bytes data = {}, ProtocolId proto = ProtocolId::NONE, Bytes spi = {}) {
  wire::NotifyPayload n;
  n.protocol = proto;
  n.spi = std::move(spi);
  n.type = type;
  n.data = std::move(data);
  return make(PayloadType::NOTIFY, std::move(n));
}

Bytes be16(std::uint16_t v) {
  Bytes b(2);
  store_be16(b.data(), v);
  return b;
}

Bytes be32(std::uint32_t v) {
  Bytes b(4);
  store_be32(b.data(), v);
  return b;
}

Bytes be64(std::uint64_t v) {
  Bytes b(8);
  store_be64(b.data(), v);
  return b;
}

// RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | Port).
Bytes nat_hash(std::uint64_t spi_i, std::uint64_t spi_r, const Endpoint& ep) {
  Bytes spis = be64(spi_i);
  put_be64(spis, spi_r);
  Bytes port = be16(ep.port);
  return sha1({spis, ep.address.bytes(), port});
}

// ID payload body as it enters the AUTH computation: ID Type | 3 reserved | data (RFC 7296 2.15).
Bytes id_body(const wire::IdPayload& id) {
  Bytes b{static_cast<std::uint8_t>(id.type), 0, 0, 0};
  put_bytes(b, id.data);
  return b;
}

wire::IdPayload address_id(const IpAddress& a) {
  wire::IdPayload id;
  id.type = a.is_v4() ? wire::IdType::ID_IPV4_ADDR : wire::IdType::ID_IPV6_ADDR;
  id.data.assign(a.bytes().begin(), a.bytes().end());
  return id;
}

std::string id_text(const wire::IdPayload& id) {
  switch (id.type) {
    case wire::IdType::ID_IPV4_ADDR:
    case wire::IdType::ID_IPV6_ADDR:
      if (auto a = IpAddress::from_bytes(id.data)) return a->to_string();
      return "<malformed>";
    case wire::IdType::ID_FQDN:
    case wire::IdType::ID_RFC822_ADDR: {
      std::string s;
      for (auto c : id.data) s.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
      return s;
    }
    default:
      return to_hex(id.data);
  }
}


std::string notify_name(NotifyType t) { return std::string(wire::name(t)); }

}  // namespace

struct TimerEntry {
  TimePoint when;
  std::uint64_t spi;
  bool operator>(const TimerEntry& o) const { return when > o.when; }
};

struct Engine::Impl {
  Engine& engine;
  std::shared_ptr<const policy::Policy> policy;
  dataplane::DataPlane& dp;
  Random& random;
  Host& host;
  EngineOptions options;
  Stats& stats;

  std::unordered_map<std::uint64_t, std::unique_ptr<IkeSa>> sas;  // by our SPI
  std::map<std::pair<Endpoint, std::uint64_t>, std::uint64_t> half_open;  // (peer, SPIi) -> our SPI
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers;
  std::uint32_t next_sa_id = 1;

  // Every ACL line of a static crypto map entry has a reqid; the data plane tags its policy
  // with it and raises Acquire with it.
  struct ReqidInfo {
    std::string map;
    std::uint32_t seq = 0;
    std::size_t acl_index = 0;
  };
  std::map<std::uint32_t, ReqidInfo> reqids;
  std::map<std::tuple<std::string, std::uint32_t, std::size_t>, std::uint32_t> reqid_of;
  ReqidPool reqid_pool{kIkev2FirstReqid, kIkev2LastReqid};
  std::set<std::uint32_t> acquiring;  // reqids with a negotiation under way

  // ---- lookup indices ---------------------------------------------------------------------
  // Every lookup per message, per Acquire, per data-plane event and per timer goes through
  // these or `sas`, never a walk over all SAs (only `show`, a configuration change and a
  // `clear` of everything walk them). The IKE SAs of a peer address, by what they can do:
  struct PeerSas {
    std::set<std::uint64_t> usable;      // READY, not being replaced: new CHILD SAs ride on it
    std::set<std::uint64_t> replacing;   // READY, its rekey under way or done
    std::set<std::uint64_t> initiating;  // ours, IKE_SA_INIT or IKE_AUTH in flight
    std::set<std::uint64_t> other;       // half-open responder SAs, SAs being deleted
    bool empty() const { return usable.empty() && replacing.empty() && initiating.empty() && other.empty(); }
  };
  std::map<IpAddress, PeerSas> peers;
  // CHILD SAs: inbound SPI -> the IKE SA that holds it (our SPI); outbound SPI and reqid ->
  // inbound SPI (the peer picks outbound SPIs, so two peers may pick the same one).
  std::unordered_map<std::uint32_t, std::uint64_t> child_owner;
  std::unordered_multimap<std::uint32_t, std::uint32_t> child_by_spi_out;
  std::unordered_multimap<std::uint32_t, std::uint32_t> child_by_reqid;
  Bytes cookie_secret;
  DhGroup wanted_group = DhGroup::NONE;  // set by accept_child when it answers INVALID_KE_PAYLOAD

  Impl(Engine& e, std::shared_ptr<const policy::Policy> p, dataplane::DataPlane& d, Random& r, Host& h,
       EngineOptions o)
      : engine(e), policy(std::move(p)), dp(d), random(r), host(h), options(o), stats(e.stats_) {
    cookie_secret.resize(32);
    random.fill(cookie_secret);
  }

  // ---- tracing ----------------------------------------------------------------------------
  void sm(const IkeSa& sa, std::string_view state, std::string_view event) {
    if (!host.tracing(Facility::Protocol, 5)) return;
    TraceEvent ev;
    ev.kind = TraceEvent::Kind::SmTrace;
    ev.level = 5;
    ev.sa_id = sa.id;
    ev.spi_i = sa.spi_i;
    ev.spi_r = sa.spi_r;
    ev.initiator = sa.initiator;
    ev.message_id = sa.outstanding ? sa.outstanding->message_id : sa.next_request_mid;
    ev.state = state;
    ev.event = event;
    host.trace(ev);
  }

  void note(const IkeSa* sa, Facility f, int level, std::string text) {
    if (!host.tracing(f, level)) return;
    TraceEvent ev;
    ev.kind = TraceEvent::Kind::Note;
    ev.facility = f;
    ev.level = level;
    ev.sa_id = sa ? sa->id : 0;
    ev.text = std::move(text);
    host.trace(ev);
  }

  // `encoded_size`: a sent encrypted message's size on the wire, which the dump prints as its
  // header and ENCR payload lengths (the Message itself only knows them once decoded).
  void packet(const IkeSa* sa, const Message& m, bool sent, const Endpoint& local, const Endpoint& remote,
              std::size_t encoded_size = 0) {
    if (!host.tracing(Facility::Protocol, 4) && !host.tracing(Facility::Platform, 4)) return;
    TraceEvent ev;
    ev.kind = TraceEvent::Kind::Packet;
    ev.level = 4;
    ev.sa_id = sa ? sa->id : 0;
    Message shown;
    if (sent && m.encrypted && encoded_size > wire::kHeaderSize) {
      shown.header = m.header;
      shown.header.length = static_cast<std::uint32_t>(encoded_size);
      shown.encrypted = true;
      shown.sk.length = static_cast<std::uint16_t>(encoded_size - wire::kHeaderSize);
      shown.sk.first_inner = m.payloads.empty() ? PayloadType::NONE : m.payloads.front().type;
      ev.message = &shown;
    } else {
      ev.message = &m;
    }
    ev.sent = sent;
    ev.local = local;
    ev.remote = remote;
    host.trace(ev);
  }

  // ---- timers -----------------------------------------------------------------------------
  void reschedule(IkeSa& sa) {
    TimePoint d = kNever;
    if (sa.outstanding) d = std::min(d, sa.outstanding->retransmit_at);
    if (sa.state == IkeState::R_WAIT_AUTH) d = std::min(d, sa.half_open_deadline);
    if (sa.state == IkeState::READY) {
      if (policy->dpd.interval.count() > 0 && !sa.outstanding)
        d = std::min(d, sa.last_heard + policy->dpd.interval);
      d = std::min(d, sa.expire_at);
      if (!sa.rekeying) d = std::min(d, sa.rekey_at);
      if (sa.nat_local) d = std::min(d, sa.keepalive_at);
      for (const auto& c : sa.children) {
        d = std::min(d, c->rekeying ? c->expire_at : std::min(c->rekey_at, c->expire_at));
        if (c->pending_out) d = std::min(d, c->activate_out_at);
      }
    }
    if (d != sa.deadline) {
      sa.deadline = d;
      if (d != kNever) timers.push({d, sa.local_spi()});
    }
  }

  // ---- SA table ---------------------------------------------------------------------------
  std::uint64_t fresh_spi() {
    for (;;) {
      std::uint64_t spi = random.u64();
      if (spi != 0 && !sas.contains(spi)) return spi;
    }
  }

  IkeSa* find_sa(std::uint64_t local_spi) {
    auto it = sas.find(local_spi);
    return it == sas.end() ? nullptr : it->second.get();
  }

  // The set of `peers` an IKE SA belongs in, from its state, role and rekeying.
  template <class P>  // PeerSas or const PeerSas
  static auto& peer_set(P& p, const IkeSa& sa) {
    if (sa.state == IkeState::READY) return sa.rekeying ? p.replacing : p.usable;
    if (sa.initiator && (sa.state == IkeState::I_WAIT_INIT || sa.state == IkeState::I_WAIT_AUTH)) return p.initiating;
    return p.other;
  }

  void index_ike(const IkeSa& sa) { peer_set(peers[sa.remote.address], sa).insert(sa.local_spi()); }

  void unindex_ike(const IkeSa& sa) {
    auto it = peers.find(sa.remote.address);
    if (it == peers.end()) return;
    peer_set(it->second, sa).erase(sa.local_spi());
    if (it->second.empty()) peers.erase(it);
  }

  IkeSa* insert_sa(std::unique_ptr<IkeSa> sa) {
    IkeSa* raw = sa.get();
    sas.emplace(raw->local_spi(), std::move(sa));
    index_ike(*raw);
    return raw;
  }

  // The only ways the fields `peers` is keyed on change once an SA is in the table.
  void set_state(IkeSa& sa, IkeState state) {
    unindex_ike(sa);
    sa.state = state;
    index_ike(sa);
  }

  void set_rekeying(IkeSa& sa, bool rekeying) {
    unindex_ike(sa);
    sa.rekeying = rekeying;
    index_ike(sa);
  }

  void set_remote(IkeSa& sa, const Endpoint& remote) {
    unindex_ike(sa);
    sa.remote = remote;
    index_ike(sa);
  }

  const PeerSas* peer_sas(const IpAddress& peer) const {
    auto it = peers.find(peer);
    return it == peers.end() ? nullptr : &it->second;
  }

  // Our SPIs of every IKE SA with `peer` (or of all of them): for `clear`.
  std::vector<std::uint64_t> sas_of(const std::optional<IpAddress>& peer) const {
    std::vector<std::uint64_t> out;
    if (!peer) {
      for (const auto& [spi, sa] : sas) out.push_back(spi);
      return out;
    }
    if (const PeerSas* p = peer_sas(*peer))
      for (const auto* set : {&p->usable, &p->replacing, &p->initiating, &p->other}) out.insert(out.end(), set->begin(), set->end());
    return out;
  }

  void add_child(IkeSa& sa, std::unique_ptr<ChildSa> c) {
    child_owner[c->spi_in] = sa.local_spi();
    child_by_spi_out.emplace(c->spi_out, c->spi_in);
    child_by_reqid.emplace(c->reqid, c->spi_in);
    sa.children.push_back(std::move(c));
  }

  static void erase_pair(std::unordered_multimap<std::uint32_t, std::uint32_t>& m, std::uint32_t key, std::uint32_t value) {
    auto [b, e] = m.equal_range(key);
    for (auto it = b; it != e; ++it)
      if (it->second == value) {
        m.erase(it);
        return;
      }
  }

  void unindex_child(const ChildSa& c) {
    child_owner.erase(c.spi_in);
    erase_pair(child_by_spi_out, c.spi_out, c.spi_in);
    erase_pair(child_by_reqid, c.reqid, c.spi_in);
  }

  // The CHILD SA we receive on `spi_in`, and the IKE SA that holds it.
  std::pair<IkeSa*, ChildSa*> find_child(std::uint32_t spi_in) {
    auto it = child_owner.find(spi_in);
    if (it == child_owner.end()) return {nullptr, nullptr};
    IkeSa* sa = find_sa(it->second);
    ChildSa* c = sa ? sa->child_by_spi_in(spi_in) : nullptr;
    return c ? std::pair{sa, c} : std::pair<IkeSa*, ChildSa*>{nullptr, nullptr};
  }

  std::pair<IkeSa*, ChildSa*> find_child_by_spi_out(std::uint32_t spi_out) {
    auto it = child_by_spi_out.find(spi_out);
    return it == child_by_spi_out.end() ? std::pair<IkeSa*, ChildSa*>{nullptr, nullptr} : find_child(it->second);
  }

  // A CHILD SA of this reqid already sends: an Acquire for it is stale (it raced the install).
  bool reqid_has_outbound_sa(std::uint32_t reqid) {
    auto [b, e] = child_by_reqid.equal_range(reqid);
    for (auto it = b; it != e; ++it)
      if (auto [sa, c] = find_child(it->second); c && c->installed_out) return true;
    return false;
  }

  // The IKE SA a new CHILD SA for `peer` should ride on: an established one that is not being
  // replaced, else one we are negotiating ourselves. A half-open responder SA never qualifies
  // (anyone can create one with a spoofed IKE_SA_INIT).
  IkeSa* find_sa_for_child(const IpAddress& peer) {
    if (!options.share_ike_sa) return nullptr;
    const PeerSas* p = peer_sas(peer);
    if (!p) return nullptr;
    if (!p->usable.empty()) return find_sa(*p->usable.begin());
    if (!p->initiating.empty()) return find_sa(*p->initiating.rbegin());
    return nullptr;
  }

  // Starts sending on a CHILD SA whose outbound half waited (make-before-break).
  void activate_out(IkeSa& sa, ChildSa& c) {
    if (!c.pending_out) return;
    auto params = std::move(*c.pending_out);
    c.pending_out.reset();
    c.activate_out_at = kNever;
    if (auto r = dp.add_sa(params); !r) {
      note(&sa, Facility::Platform, 1, "Failed to install outbound SA: " + r.error().message);
      return;
    }
    c.installed_out = true;
    note(&sa, Facility::Platform, 4, fmt::format("Outbound SA 0x{:08x} now carries the traffic", c.spi_out));
  }

  // Stops sending on `c`; a CHILD SA that replaces it takes over first, so no packet finds the
  // reqid without an outbound SA.
  void retire_out(IkeSa& sa, ChildSa& c) {
    for (auto& other : sa.children)
      if (other.get() != &c && other->replaces_spi_in == c.spi_in && other->pending_out) activate_out(sa, *other);
    c.pending_out.reset();
    if (c.installed_out) (void)dp.delete_sa(c.spi_out, dataplane::Direction::Outbound);
    c.installed_out = false;
  }

  void remove_child(IkeSa& sa, ChildSa& c) {
    retire_out(sa, c);
    (void)dp.delete_sa(c.spi_in, dataplane::Direction::Inbound);
    if (c.dynamic_policy) {
      (void)dp.delete_policy(c.reqid);
      reqid_pool.give_back(c.reqid);
    }
    note(&sa, Facility::Platform, 3,
         fmt::format("Deleted IPsec SA: ESP spi in/out: 0x{:08x}/0x{:08x}", c.spi_in, c.spi_out));
    unindex_child(c);
    std::erase_if(sa.children, [&](const auto& p) { return p.get() == &c; });
  }

  void destroy(IkeSa& sa, std::string_view reason) {
    while (!sa.children.empty()) remove_child(sa, *sa.children.back());
    if (sa.auth_child) acquiring.erase(sa.auth_child->reqid);
    for (const auto& t : sa.queue)
      if (t.child) acquiring.erase(t.child->reqid);
    if (sa.outstanding && sa.outstanding->task.child) acquiring.erase(sa.outstanding->task.child->reqid);
    if (sa.state == IkeState::R_WAIT_AUTH || sa.state == IkeState::I_WAIT_INIT || sa.state == IkeState::I_WAIT_AUTH)
      if (stats.half_open > 0) --stats.half_open;
    half_open.erase({sa.half_open_peer, sa.spi_i});
    note(&sa, Facility::Platform, 3,
         fmt::format("IKEv2 SA with peer {} removed: {}", sa.remote.address.to_string(), reason));
    unindex_ike(sa);
    sas.erase(sa.local_spi());
  }

  Endpoint local_for(const IkeSa& sa) const {
    Endpoint l = sa.local;
    l.port = sa.use_natt_port ? kNattPort : kIkePort;
    return l;
  }

  // ---- sending ----------------------------------------------------------------------------
  Result<Bytes> encode(IkeSa& sa, const Message& m) {
    if (m.encrypted) return wire::encode(m, sa.protect_out.get());
    return wire::encode(m, nullptr);
  }

  Message new_message(const IkeSa& sa, ExchangeType x, bool response, std::uint32_t mid) {
    Message m;
    m.header.spi_i = sa.spi_i;
    m.header.spi_r = sa.spi_r;
    m.header.exchange = x;
    m.header.message_id = mid;
    m.header.flags = static_cast<std::uint8_t>((sa.initiator ? wire::kFlagInitiator : 0) |
                                               (response ? wire::kFlagResponse : 0));
    m.encrypted = x != ExchangeType::IKE_SA_INIT;
    return m;
  }

  void transmit(IkeSa& sa, ByteView datagram) {
    host.send(local_for(sa), sa.remote, datagram);
  }

  void transmit(IkeSa& sa, const std::vector<Bytes>& datagrams) {
    for (const auto& d : datagrams) transmit(sa, d);
  }

  // The datagrams that carry `m`: one, or with RFC 7383 fragmentation negotiated and the
  // message larger than the MTU allows, its SKF fragments (never IKE_SA_INIT, 2.5).
  Result<std::vector<Bytes>> datagrams_for(IkeSa& sa, const Message& m, std::size_t& whole_size) {
    auto whole = encode(sa, m);
    if (!whole) return std::unexpected(whole.error());
    whole_size = whole->size();
    if (!m.encrypted || !sa.peer_fragmentation || !sa.protect_out) return std::vector<Bytes>{std::move(*whole)};
    // RFC 7383 2.5.1: the MTU covers the IP and UDP headers and the non-ESP marker.
    std::size_t overhead = (sa.remote.address.is_v4() ? 20 : 40) + 8 + (sa.use_natt_port ? 4 : 0);
    std::size_t mtu = policy->ikev2_fragment_mtu;
    if (mtu <= overhead || whole->size() + overhead <= mtu) return std::vector<Bytes>{std::move(*whole)};
    auto frags = wire::encode_fragments(m, *sa.protect_out, mtu - overhead);
    if (!frags) return fail("cannot fragment the message: " + frags.error().what);
    stats.fragments_sent += frags->size();
    note(&sa, Facility::Protocol, 3,
         fmt::format("Fragmenting a {}-octet message into {} fragments for MTU {}", whole->size(), frags->size(), mtu));
    return std::move(*frags);
  }

  bool send_request(IkeSa& sa, Message m, Task task, TimePoint now) {
    m.header.message_id = sa.next_request_mid;
    std::size_t size = 0;
    auto datagrams = datagrams_for(sa, m, size);
    if (!datagrams) {
      note(&sa, Facility::Protocol, 1, "Failed to build message: " + datagrams.error().message);
      return false;
    }
    packet(&sa, m, true, local_for(sa), sa.remote, size);
    OutstandingRequest r;
    r.message_id = sa.next_request_mid;
    r.exchange = m.header.exchange;
    r.datagrams = std::move(*datagrams);
    r.retransmit_at = now + retransmit_interval(task, 0);
    r.task = std::move(task);
    transmit(sa, r.datagrams);
    sa.outstanding = std::move(r);
    reschedule(sa);
    return true;
  }

  Duration retransmit_interval(const Task& t, int retries) const {
    if (t.kind == TaskKind::Dpd && policy->dpd.retry.count() > 0) return policy->dpd.retry;
    return options.retransmit_base * (1 << std::min(retries, 6));
  }

  void send_response(IkeSa& sa, Message m) {
    std::size_t size = 0;
    auto datagrams = datagrams_for(sa, m, size);
    if (!datagrams) {
      note(&sa, Facility::Protocol, 1, "Failed to build response: " + datagrams.error().message);
      return;
    }
    packet(&sa, m, true, local_for(sa), sa.remote, size);
    transmit(sa, *datagrams);
    sa.last_response_mid = m.header.message_id;
    sa.last_response = std::move(*datagrams);
  }

  // An unauthenticated error answer to an IKE_SA_INIT request (no SA is created).
  void send_init_error(const Endpoint& local, const Endpoint& remote, const Message& req, Payload n) {
    Message m;
    m.header.spi_i = req.header.spi_i;
    m.header.spi_r = 0;
    m.header.exchange = ExchangeType::IKE_SA_INIT;
    m.header.message_id = 0;
    m.header.flags = wire::kFlagResponse;
    m.payloads.push_back(std::move(n));
    auto bytes = wire::encode(m, nullptr);
    if (!bytes) return;
    packet(nullptr, m, true, local, remote);
    host.send(local, remote, *bytes);
  }

  // ---- IKE_SA_INIT ------------------------------------------------------------------------
  std::vector<Payload> vendor_ids() const {
    std::vector<Payload> v;
    for (auto& vid : wire::vid::ike_sa_init_set()) v.push_back(make(PayloadType::VENDOR_ID, wire::VendorIdPayload{std::move(vid)}));
    return v;
  }

  Message build_init_request(IkeSa& sa) {
    Message m = new_message(sa, ExchangeType::IKE_SA_INIT, false, 0);
    if (!sa.cookie.empty()) m.payloads.push_back(notify(NotifyType::COOKIE, sa.cookie));
    m.payloads.push_back(make(PayloadType::SA, build_ike_sa(policy->ike_proposals)));
    wire::KePayload ke;
    ke.group = sa.ke->group();
    ke.data.assign(sa.ke->public_value().begin(), sa.ke->public_value().end());
    m.payloads.push_back(make(PayloadType::KE, std::move(ke)));
    m.payloads.push_back(make(PayloadType::NONCE, wire::NoncePayload{sa.ni}));
    for (auto& v : vendor_ids()) m.payloads.push_back(std::move(v));
    m.payloads.push_back(notify(NotifyType::NAT_DETECTION_SOURCE_IP, nat_hash(sa.spi_i, 0, local_for(sa))));
    m.payloads.push_back(notify(NotifyType::NAT_DETECTION_DESTINATION_IP, nat_hash(sa.spi_i, 0, sa.remote)));
    if (policy->ikev2_fragment_mtu > 0) m.payloads.push_back(notify(NotifyType::IKEV2_FRAGMENTATION_SUPPORTED));
    return m;
  }

  bool start_init(IkeSa& sa, TimePoint now) {
    sm(sa, "IDLE", "EV_INIT_SA");
    sm(sa, "I_BLD_INIT", "EV_GET_IKE_POLICY");
    note(&sa, Facility::Protocol, 3, "Getting configured policies");
    sm(sa, "I_BLD_INIT", "EV_SET_POLICY");
    note(&sa, Facility::Protocol, 3, "Setting configured policies");
    sm(sa, "I_BLD_INIT", "EV_GEN_DH_KEY");
    note(&sa, Facility::Protocol, 3, "Computing DH public key");
    auto ke = crypto::KeyExchange::create(sa.groups_to_try.front());
    if (!ke) {
      note(&sa, Facility::Protocol, 1, "DH key generation failed: " + ke.error().message);
      return false;
    }
    sa.ke = std::move(*ke);
    sm(sa, "I_BLD_INIT", "EV_OK_RECD_DH_PUBKEY_RESP");
    sm(sa, "I_BLD_INIT", "EV_BLD_MSG");
    note(&sa, Facility::Protocol, 2, "Sending initial message");
    sa.next_request_mid = 0;
    Message m = build_init_request(sa);
    auto bytes = wire::encode(m, nullptr);
    if (!bytes) return false;
    sa.init_request = *bytes;
    ++stats.sa_init_sent;
    bool ok = send_request(sa, std::move(m), Task{}, now);
    sm(sa, "I_WAIT_INIT", "EV_NO_EVENT");
    return ok;
  }

  IkeSa* create_initiator(const policy::CryptoMapEntry& entry, const IpAddress& peer, TimePoint now) {
    if (policy->ike_proposals.empty()) return nullptr;
    auto sa = std::make_unique<IkeSa>();
    sa->id = next_sa_id++;
    sa->initiator = true;
    sa->state = IkeState::I_WAIT_INIT;
    sa->spi_i = fresh_spi();
    sa->local = Endpoint{entry.local_address, kIkePort};
    sa->remote = Endpoint{peer, kIkePort};
    sa->map = entry.map;
    sa->seq = entry.seq;
    sa->created = now;
    sa->last_heard = now;
    sa->deadline = kNever;
    for (const auto& p : policy->ike_proposals)
      for (DhGroup g : p.groups)
        if (std::find(sa->groups_to_try.begin(), sa->groups_to_try.end(), g) == sa->groups_to_try.end())
          sa->groups_to_try.push_back(g);
    sa->ni.resize(kNonceSize);
    random.fill(sa->ni);
    if (const auto* pa = policy->find_peer(peer)) sa->peer_name = pa->name;
    note(sa.get(), Facility::Platform, 3, fmt::format("attempting to find tunnel group for IP: {}", peer.to_string()));
    if (!sa->peer_name.empty())
      note(sa.get(), Facility::Platform, 3, fmt::format("mapped to tunnel group {} using peer IP", sa->peer_name));
    note(sa.get(), Facility::Platform, 5, "New ikev2 sa request admitted");
    IkeSa* raw = insert_sa(std::move(sa));
    ++stats.half_open;
    if (!start_init(*raw, now)) {
      destroy(*raw, "could not start IKE_SA_INIT");
      return nullptr;
    }
    return raw;
  }

  std::optional<std::pair<bool, bool>> detect_nat(const IkeSa& sa, const Message& m, const Endpoint& local,
                                                  const Endpoint& remote) {
    // RFC 7296 2.23: the peer's SOURCE hash covers its address as it sent it; if it does not
    // match the address we see, the peer is behind a NAT. Likewise DESTINATION for us.
    bool saw = false, remote_ok = false, local_ok = false;
    for (const auto& p : m.payloads) {
      const auto* n = std::get_if<wire::NotifyPayload>(&p.body);
      if (!n) continue;
      if (n->type == NotifyType::NAT_DETECTION_SOURCE_IP) {
        saw = true;
        if (n->data == nat_hash(sa.spi_i, m.header.spi_r, remote)) remote_ok = true;
      } else if (n->type == NotifyType::NAT_DETECTION_DESTINATION_IP) {
        saw = true;
        if (n->data == nat_hash(sa.spi_i, m.header.spi_r, local)) local_ok = true;
      }
    }
    if (!saw) return std::nullopt;
    return std::pair{!local_ok, !remote_ok};
  }

  // The expensive half of IKE_SA_INIT, run through Host::offload: it owns copies of its inputs
  // and writes only its outputs, so it may run on a worker thread.
  struct DhJob {
    // inputs
    DhGroup group = DhGroup::NONE;
    std::unique_ptr<crypto::KeyExchange> ke;  // the initiator's own key pair; made here if null
    Bytes peer_ke;
    CipherSuite suite;
    Bytes ni, nr;
    std::uint64_t spi_i = 0, spi_r = 0;
    // outputs
    std::optional<crypto::IkeSaKeys> keys;
    std::string error;

    void run() {
      if (!ke) {
        auto k = crypto::KeyExchange::create(group);
        if (!k) {
          error = "DH key generation failed: " + k.error().message;
          return;
        }
        ke = std::move(*k);
      }
      auto g_ir = ke->shared_secret(peer_ke);
      if (!g_ir) {
        error = "DH secret computation failed: " + g_ir.error().message;
        return;
      }
      auto k = crypto::derive_ike_sa_keys(suite, ni, nr, *g_ir, spi_i, spi_r);
      if (!k) {
        error = "Key derivation failed: " + k.error().message;
        return;
      }
      keys = std::move(*k);
    }
  };

  std::shared_ptr<DhJob> dh_job(IkeSa& sa, ByteView peer_ke) {
    auto job = std::make_shared<DhJob>();
    job->group = sa.suite.dh;
    job->ke = std::move(sa.ke);
    job->peer_ke.assign(peer_ke.begin(), peer_ke.end());
    job->suite = sa.suite;
    job->ni = sa.ni;
    job->nr = sa.nr;
    job->spi_i = sa.spi_i;
    job->spi_r = sa.spi_r;
    return job;
  }

  bool apply_keys(IkeSa& sa, DhJob& job) {
    sa.ke = std::move(job.ke);
    if (!job.error.empty() || !job.keys) {
      note(&sa, Facility::Protocol, 1, job.error);
      return false;
    }
    sa.keys = std::move(job.keys);
    const auto& k = *sa.keys;
    // The initiator sends with SK_ei/SK_ai and receives with SK_er/SK_ar (RFC 7296 2.14).
    auto i2r = crypto::make_sk_protection(sa.suite.encr, sa.suite.key_bits, sa.suite.integ, k.sk_ei, k.sk_ai);
    auto r2i = crypto::make_sk_protection(sa.suite.encr, sa.suite.key_bits, sa.suite.integ, k.sk_er, k.sk_ar);
    if (!i2r || !r2i) return false;
    sa.protect_out = sa.initiator ? std::move(i2r) : std::move(r2i);
    sa.protect_in = sa.initiator ? std::move(r2i) : std::move(i2r);
    return true;
  }

  // Hands a DH job to the host; `then` runs on the engine thread if the SA still exists.
  void compute(IkeSa& sa, std::shared_ptr<DhJob> job, std::function<void(IkeSa&, DhJob&)> then) {
    std::uint64_t spi = sa.local_spi();
    bool taken = host.offload([job] { job->run(); },
                              [this, spi, job, then = std::move(then)] {
                                if (IkeSa* s = find_sa(spi)) then(*s, *job);
                              });
    if (!taken) {
      ++stats.busy_drops;
      note(&sa, Facility::Platform, 2, "Crypto workers busy: negotiation dropped");
      destroy(sa, "crypto workers busy");
    }
  }

  Bytes make_cookie(const Message& m, const Endpoint& remote, ByteView ni) {
    // RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>).
    Bytes spi = be64(m.header.spi_i);
    Bytes c{0};
    put_bytes(c, sha1({ni, remote.address.bytes(), spi, cookie_secret}));
    return c;
  }

  void handle_init_request(const Endpoint& local, const Endpoint& remote, const Message& m, ByteView raw,
                           TimePoint now) {
    ++stats.sa_init_received;
    if (auto it = half_open.find({remote, m.header.spi_i}); it != half_open.end()) {
      // A retransmitted IKE_SA_INIT: answer with the same response (RFC 7296 2.1).
      IkeSa* sa = find_sa(it->second);
      if (!sa || sa->init_response.empty()) return;
      if (!std::ranges::equal(raw, sa->init_request)) {
        // Same SPIi from the same address, other octets: not a retransmission (2.1 wants
        // them bitwise identical), perhaps forged to make us send to the peer.
        ++stats.invalid_retransmits;
        note(sa, Facility::Protocol, 2, "IKE_SA_INIT request differs from the one answered: dropped");
        return;
      }
      ++stats.duplicate_requests;
      host.send(local, remote, sa->init_response);
      return;
    }
    const auto* sa_p = find_body<wire::SaPayload>(m.payloads, PayloadType::SA);
    const auto* ke_p = find_body<wire::KePayload>(m.payloads, PayloadType::KE);
    const auto* n_p = find_body<wire::NoncePayload>(m.payloads, PayloadType::NONCE);
    if (!sa_p || !ke_p || !n_p || n_p->data.size() < 16 || n_p->data.size() > 256) {
      ++stats.decode_errors;
      note(nullptr, Facility::Protocol, 1, "IKE_SA_INIT request without SA, KE or a valid nonce: INVALID_SYNTAX");
      send_init_error(local, remote, m, notify(NotifyType::INVALID_SYNTAX));
      return;
    }
    if (stats.half_open >= options.cookie_threshold) {
      Bytes expected = make_cookie(m, remote, n_p->data);
      const auto* c = wire::find_notify(m.payloads, NotifyType::COOKIE);
      if (!c || !constant_time_equal(c->data, expected)) {
        ++stats.cookies_sent;
        send_init_error(local, remote, m, notify(NotifyType::COOKIE, expected));
        return;
      }
    }
    if (stats.half_open >= options.half_open_limit) {
      note(nullptr, Facility::Platform, 2, "Half-open SA limit reached; request dropped");
      return;
    }
    auto choice = select_ike(policy->ike_proposals, *sa_p);
    if (!choice) {
      ++stats.no_proposal;
      note(nullptr, Facility::Protocol, 1,
           fmt::format("Failed to find a matching policy for peer {}: NO_PROPOSAL_CHOSEN", remote.address.to_string()));
      send_init_error(local, remote, m, notify(NotifyType::NO_PROPOSAL_CHOSEN));
      return;
    }
    if (ke_p->group != choice->suite.dh) {
      // RFC 7296 1.3: tell the initiator which group we want.
      note(nullptr, Facility::Protocol, 2,
           fmt::format("KE group {} does not match the selected group {}: INVALID_KE_PAYLOAD",
                       static_cast<int>(ke_p->group), static_cast<int>(choice->suite.dh)));
      send_init_error(local, remote, m, notify(NotifyType::INVALID_KE_PAYLOAD, be16(static_cast<std::uint16_t>(choice->suite.dh))));
      return;
    }

    auto sa = std::make_unique<IkeSa>();
    sa->id = next_sa_id++;
    sa->initiator = false;
    sa->spi_i = m.header.spi_i;
    sa->spi_r = fresh_spi();
    sa->local = Endpoint{local.address, kIkePort};
    sa->remote = remote;
    sa->use_natt_port = local.port == kNattPort;
    sa->suite = choice->suite;
    sa->lifetime = choice->lifetime;
    sa->ni = n_p->data;
    sa->nr.resize(kNonceSize);
    random.fill(sa->nr);
    sa->created = now;
    sa->last_heard = now;
    sa->deadline = kNever;
    sa->peer_fragmentation = policy->ikev2_fragment_mtu > 0 &&
                             wire::find_notify(m.payloads, NotifyType::IKEV2_FRAGMENTATION_SUPPORTED) != nullptr;
    sa->init_request.assign(raw.begin(), raw.end());
    IkeSa& s = *sa;
    note(&s, Facility::Platform, 5, "New ikev2 sa request admitted");
    sm(s, "IDLE", "EV_RECV_INIT");
    sm(s, "R_INIT", "EV_VERIFY_MSG");
    note(&s, Facility::Protocol, 3, "Verify SA init message");
    sm(s, "R_INIT", "EV_INSERT_SA");
    sm(s, "R_INIT", "EV_GET_IKE_POLICY");
    sm(s, "R_INIT", "EV_PROC_MSG");
    note(&s, Facility::Protocol, 2, "Processing initial message");
    sm(s, "R_INIT", "EV_DETECT_NAT");
    note(&s, Facility::Protocol, 3, "Process NAT discovery notify");
    if (auto nat = detect_nat(s, m, local, remote)) {
      s.nat_local = nat->first;
      s.nat_remote = nat->second;
    }
    note(&s, Facility::Protocol, 5, !s.nat_local && !s.nat_remote ? "No NAT found"
                                                                  : (s.nat_remote ? "NAT detected: peer is behind a NAT" : "NAT detected: this gateway is behind a NAT"));
    sm(s, "R_BLD_INIT", "EV_SET_POLICY");
    sm(s, "R_BLD_INIT", "EV_GEN_DH_KEY");
    note(&s, Facility::Protocol, 3, "Computing DH public key");
    // Inserted now, so a retransmission during the computation is recognised (and ignored
    // until the response exists) and the half-open timer bounds it.
    s.state = IkeState::R_WAIT_AUTH;
    s.half_open_deadline = now + options.half_open_timeout;
    s.expected_peer_mid = 1;
    half_open[{remote, s.spi_i}] = s.spi_r;
    s.half_open_peer = remote;
    ++stats.half_open;
    auto job = dh_job(s, ke_p->data);
    IkeSa& inserted = *insert_sa(std::move(sa));
    reschedule(inserted);
    compute(inserted, job, [this, local, remote, choice = *choice](IkeSa& s, DhJob& j) {
      finish_init_request(s, j, choice, local, remote);
    });
  }

  void finish_init_request(IkeSa& s, DhJob& job, const IkeChoice& choice, const Endpoint& local, const Endpoint& remote) {
    sm(s, "R_BLD_INIT", "EV_GEN_DH_SECRET");
    note(&s, Facility::Protocol, 3, "Computing DH secret key");
    sm(s, "R_BLD_INIT", "EV_GEN_SKEYID");
    note(&s, Facility::Protocol, 3, "Generate skeyid");
    if (!apply_keys(s, job)) {
      ++stats.decode_errors;
      Message req;
      req.header.spi_i = s.spi_i;
      send_init_error(local, remote, req, notify(NotifyType::INVALID_SYNTAX));
      destroy(s, "invalid KE payload");
      return;
    }
    sm(s, "R_BLD_INIT", "EV_BLD_MSG");
    Message r = new_message(s, ExchangeType::IKE_SA_INIT, true, 0);
    r.payloads.push_back(make(PayloadType::SA, build_ike_sa_reply(choice)));
    wire::KePayload kr;
    kr.group = s.suite.dh;
    kr.data.assign(s.ke->public_value().begin(), s.ke->public_value().end());
    r.payloads.push_back(make(PayloadType::KE, std::move(kr)));
    r.payloads.push_back(make(PayloadType::NONCE, wire::NoncePayload{s.nr}));
    for (auto& v : vendor_ids()) r.payloads.push_back(std::move(v));
    r.payloads.push_back(notify(NotifyType::NAT_DETECTION_SOURCE_IP, nat_hash(s.spi_i, s.spi_r, local)));
    r.payloads.push_back(notify(NotifyType::NAT_DETECTION_DESTINATION_IP, nat_hash(s.spi_i, s.spi_r, remote)));
    if (s.peer_fragmentation) r.payloads.push_back(notify(NotifyType::IKEV2_FRAGMENTATION_SUPPORTED));
    auto bytes = wire::encode(r, nullptr);
    if (!bytes) {
      destroy(s, "could not build the IKE_SA_INIT response");
      return;
    }
    s.init_response = *bytes;
    packet(&s, r, true, local, remote);
    host.send(local, remote, s.init_response);
    sm(s, "INIT_DONE", "EV_DONE");
    if (s.peer_fragmentation) note(&s, Facility::Protocol, 3, "Fragmentation is enabled");
    sm(s, "INIT_DONE", "EV_START_TMR");
    sm(s, "R_WAIT_AUTH", "EV_NO_EVENT");
  }

  void handle_init_response(IkeSa& sa, const Message& m, ByteView raw, TimePoint now) {
    if (sa.state != IkeState::I_WAIT_INIT || !sa.outstanding || sa.outstanding->message_id != 0) return;
    sm(sa, "I_WAIT_INIT", "EV_RECV_INIT");
    sm(sa, "I_PROC_INIT", "EV_CHK4_NOTIFY");
    if (const auto* c = wire::find_notify(m.payloads, NotifyType::COOKIE)) {
      if (c->data.empty() || c->data.size() > 64 || !sa.cookie.empty()) return;
      note(&sa, Facility::Protocol, 3, "Received COOKIE; retrying IKE_SA_INIT with it");
      sa.cookie = c->data;
      sa.outstanding.reset();
      resend_init(sa, now);
      return;
    }
    if (const auto* n = wire::find_notify(m.payloads, NotifyType::INVALID_KE_PAYLOAD)) {
      if (n->data.size() != 2) return;
      auto group = static_cast<DhGroup>(load_be16(n->data.data()));
      auto it = std::find(sa.groups_to_try.begin(), sa.groups_to_try.end(), group);
      if (it == sa.groups_to_try.end() || group == sa.ke->group()) {
        note(&sa, Facility::Protocol, 1, "Peer asked for a DH group we did not propose");
        destroy(sa, "INVALID_KE_PAYLOAD for an unproposed group");
        return;
      }
      note(&sa, Facility::Protocol, 3, fmt::format("Peer requested DH group {}; retrying IKE_SA_INIT", static_cast<int>(group)));
      sa.groups_to_try.erase(it);
      sa.groups_to_try.insert(sa.groups_to_try.begin(), group);
      sa.outstanding.reset();
      auto ke = crypto::KeyExchange::create(group);
      if (!ke) {
        destroy(sa, "DH key generation failed");
        return;
      }
      resend_init(sa, now, std::move(*ke));
      return;
    }
    if (const auto* err = wire::find_error_notify(m.payloads)) {
      if (err->type == NotifyType::NO_PROPOSAL_CHOSEN) ++stats.no_proposal;
      note(&sa, Facility::Protocol, 1,
           fmt::format("Received {} from peer {} in IKE_SA_INIT", notify_name(err->type), sa.remote.address.to_string()));
      destroy(sa, notify_name(err->type));
      return;
    }
    sm(sa, "I_PROC_INIT", "EV_VERIFY_MSG");
    const auto* sa_p = find_body<wire::SaPayload>(m.payloads, PayloadType::SA);
    const auto* ke_p = find_body<wire::KePayload>(m.payloads, PayloadType::KE);
    const auto* n_p = find_body<wire::NoncePayload>(m.payloads, PayloadType::NONCE);
    if (!sa_p || !ke_p || !n_p || sa_p->proposals.size() != 1 || m.header.spi_r == 0 ||
        n_p->data.size() < 16 || n_p->data.size() > 256) {
      note(&sa, Facility::Protocol, 1, "Malformed IKE_SA_INIT response: INVALID_SYNTAX");
      destroy(sa, "malformed IKE_SA_INIT response");
      return;
    }
    // The answer must be one of our proposals, reduced to one transform per type.
    auto choice = select_ike(policy->ike_proposals, *sa_p);
    if (!choice || ke_p->group != choice->suite.dh || ke_p->group != sa.ke->group()) {
      note(&sa, Facility::Protocol, 1, "Responder chose a proposal we did not offer");
      destroy(sa, "invalid proposal in IKE_SA_INIT response");
      return;
    }
    sm(sa, "I_PROC_INIT", "EV_PROC_MSG");
    note(&sa, Facility::Protocol, 2, "Processing initial message");
    sa.suite = choice->suite;
    sa.lifetime = choice->lifetime;
    sa.spi_r = m.header.spi_r;
    sa.nr = n_p->data;
    sa.init_response.assign(raw.begin(), raw.end());
    sa.peer_fragmentation = policy->ikev2_fragment_mtu > 0 &&
                            wire::find_notify(m.payloads, NotifyType::IKEV2_FRAGMENTATION_SUPPORTED) != nullptr;
    sm(sa, "I_PROC_INIT", "EV_DETECT_NAT");
    note(&sa, Facility::Protocol, 3, "Process NAT discovery notify");
    if (auto nat = detect_nat(sa, m, local_for(sa), sa.remote)) {
      sa.nat_local = nat->first;
      sa.nat_remote = nat->second;
    }
    note(&sa, Facility::Protocol, 5, !sa.nat_local && !sa.nat_remote ? "No NAT found" : "NAT detected");
    sm(sa, "I_PROC_INIT", "EV_CHK_NAT_T");
    if (sa.nat_local || sa.nat_remote) {
      // RFC 7296 2.23: float to 4500 for everything after IKE_SA_INIT.
      sa.use_natt_port = true;
      if (sa.remote.port == kIkePort) sa.remote.port = kNattPort;
    }
    sm(sa, "INIT_DONE", "EV_GEN_DH_SECRET");
    note(&sa, Facility::Protocol, 3, "Computing DH secret key");
    // The request is answered: no more retransmissions while the secret is computed.
    sa.outstanding.reset();
    sa.next_request_mid = 1;
    reschedule(sa);
    compute(sa, dh_job(sa, ke_p->data), [this, now](IkeSa& s, DhJob& job) {
      sm(s, "INIT_DONE", "EV_GEN_SKEYID");
      note(&s, Facility::Protocol, 3, "Generate skeyid");
      if (!apply_keys(s, job)) {
        destroy(s, "key derivation failed");
        return;
      }
      sm(s, "INIT_DONE", "EV_DONE");
      if (s.peer_fragmentation) note(&s, Facility::Protocol, 3, "Fragmentation is enabled");
      sm(s, "INIT_DONE", "EV_CHK4_ROLE");
      send_auth_request(s, now);
    });
  }

  void resend_init(IkeSa& sa, TimePoint now, std::unique_ptr<crypto::KeyExchange> ke = nullptr) {
    if (ke) sa.ke = std::move(ke);
    sa.next_request_mid = 0;
    Message m = build_init_request(sa);
    auto bytes = wire::encode(m, nullptr);
    if (!bytes) {
      destroy(sa, "could not rebuild IKE_SA_INIT");
      return;
    }
    sa.init_request = *bytes;
    send_request(sa, std::move(m), Task{}, now);
  }

  // ---- IKE_AUTH ---------------------------------------------------------------------------
  const policy::PeerAuth* peer_auth(const IkeSa& sa) const { return policy->find_peer(sa.remote.address); }

  // AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) (RFC 7296 2.15).
  Bytes compute_auth(const IkeSa& sa, bool for_initiator, ByteView psk, ByteView id) {
    const auto& k = *sa.keys;
    ByteView msg = for_initiator ? ByteView(sa.init_request) : ByteView(sa.init_response);
    ByteView nonce = for_initiator ? ByteView(sa.nr) : ByteView(sa.ni);
    const SecretBytes& skp = for_initiator ? k.sk_pi : k.sk_pr;
    Bytes octets = crypto::signed_octets(msg, nonce, sa.suite.prf, skp, id);
    return crypto::psk_auth(sa.suite.prf, psk, octets);
  }

  std::shared_ptr<ChildRequest> make_child_request(const policy::CryptoMapEntry& entry, std::size_t acl_index,
                                                   std::uint32_t reqid) {
    auto cr = std::make_shared<ChildRequest>();
    cr->map = entry.map;
    cr->seq = entry.seq;
    cr->acl_index = acl_index;
    cr->reqid = reqid;
    cr->selector = entry.acl.at(acl_index).selector;
    cr->initiated_by_us = true;
    return cr;
  }

  // TSi/TSr from the initiator's view: TSi = our side (RFC 7296 2.9).
  void add_ts(Message& m, const policy::Selector& s, bool we_are_initiator) {
    wire::TsPayload ours, theirs;
    ours.selectors.push_back(to_wire_ts(s.src_start, s.src_end, s.protocol, s.src_port_start, s.src_port_end));
    theirs.selectors.push_back(to_wire_ts(s.dst_start, s.dst_end, s.protocol, s.dst_port_start, s.dst_port_end));
    m.payloads.push_back(make(PayloadType::TSi, we_are_initiator ? ours : theirs));
    m.payloads.push_back(make(PayloadType::TSr, we_are_initiator ? theirs : ours));
  }

  void send_auth_request(IkeSa& sa, TimePoint now) {
    const policy::PeerAuth* pa = peer_auth(sa);
    sm(sa, "I_BLD_AUTH", "EV_GET_CONFIG_MODE");
    sm(sa, "I_BLD_AUTH", "EV_CHK_EAP");
    sm(sa, "I_BLD_AUTH", "EV_GEN_AUTH");
    note(&sa, Facility::Protocol, 3, "Generate my authentication data");
    if (!pa || pa->local_psk.empty() || pa->local_psk_masked) {
      note(&sa, Facility::Protocol, 1,
           fmt::format("No pre-shared key configured for peer {}", sa.remote.address.to_string()));
      ++stats.auth_failures;
      destroy(sa, "no pre-shared key");
      return;
    }
    note(&sa, Facility::Protocol, 3,
         fmt::format("Use preshared key for id {}, key len {}", sa.local.address.to_string(), pa->local_psk.size()));
    wire::IdPayload idi = address_id(sa.local.address);
    sa.id_local = id_body(idi);
    sa.id_local_text = id_text(idi);
    Message m = new_message(sa, ExchangeType::IKE_AUTH, false, 1);
    m.payloads.push_back(make(PayloadType::IDi, idi));
    wire::AuthPayload auth;
    auth.method = wire::AuthMethod::SHARED_KEY_MIC;
    auth.data = compute_auth(sa, true, pa->local_psk.view(), sa.id_local);
    m.payloads.push_back(make(PayloadType::AUTH, std::move(auth)));
    if (sa.auth_child) {
      const auto* entry = policy->find_entry(sa.auth_child->map, sa.auth_child->seq);
      auto spi = dp.allocate_spi();
      if (entry && spi) {
        sa.auth_child->spi_in = *spi;
        // RFC 7296 1.2: the CHILD SA in IKE_AUTH never carries a KE, so no PFS group here.
        m.payloads.push_back(make(PayloadType::SA, build_esp_sa(entry->proposals, *spi, std::nullopt)));
        add_ts(m, sa.auth_child->selector, true);
      } else {
        note(&sa, Facility::Platform, 1, "Could not allocate an SPI for the first CHILD SA");
        acquiring.erase(sa.auth_child->reqid);
        sa.auth_child.reset();
      }
    }
    if (!find_ready_sa_to_other(sa)) m.payloads.push_back(notify(NotifyType::INITIAL_CONTACT));
    m.payloads.push_back(notify(NotifyType::ESP_TFC_PADDING_NOT_SUPPORTED));
    m.payloads.push_back(notify(NotifyType::NON_FIRST_FRAGMENTS_ALSO));
    sm(sa, "I_BLD_AUTH", "EV_SEND_AUTH");
    note(&sa, Facility::Protocol, 2, "Sending auth message");
    set_state(sa, IkeState::I_WAIT_AUTH);
    send_request(sa, std::move(m), Task{}, now);
    sm(sa, "I_WAIT_AUTH", "EV_NO_EVENT");
  }

  // Our SPIs of the established IKE SAs with `me`'s peer other than `me`.
  std::vector<std::uint64_t> ready_sas_to_other(const IkeSa& me) const {
    std::vector<std::uint64_t> out;
    if (const PeerSas* p = peer_sas(me.remote.address))
      for (const auto* set : {&p->usable, &p->replacing})
        for (auto spi : *set)
          if (spi != me.local_spi()) out.push_back(spi);
    return out;
  }

  bool find_ready_sa_to_other(const IkeSa& me) const {
    const PeerSas* p = peer_sas(me.remote.address);
    if (!p) return false;
    std::size_t ready = p->usable.size() + p->replacing.size();
    bool me_ready = p->usable.contains(me.local_spi()) || p->replacing.contains(me.local_spi());
    return ready > (me_ready ? 1u : 0u);
  }

  // Match the peer's proposed selectors against our crypto map entries for this peer and
  // narrow them (RFC 7296 2.9). Returns the entry, ACL index and the narrowed outbound selector.
  struct TsMatch {
    const policy::CryptoMapEntry* entry = nullptr;
    std::size_t acl_index = 0;
    policy::Selector selector;
  };

  std::optional<TsMatch> match_ts(const IkeSa& sa, const wire::TsPayload& tsi, const wire::TsPayload& tsr) {
    // We are the responder: TSi is the peer's side, TSr ours.
    for (const auto& entry : policy->map_entries) {
      if (!entry.dynamic &&
          std::find(entry.peers.begin(), entry.peers.end(), sa.remote.address) == entry.peers.end())
        continue;
      if (!entry.local_address.is_unspecified() && entry.local_address != sa.local.address) continue;
      for (std::size_t i = 0; i < entry.acl.size(); ++i) {
        if (!entry.acl[i].permit) continue;
        for (const auto& a : tsr.selectors) {
          for (const auto& b : tsi.selectors) {
            policy::Selector proposed = selector_from_ts(a, b);
            if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol) continue;
            if (auto narrowed = policy::selector_intersect(entry.acl[i].selector, proposed))
              return TsMatch{&entry, i, *narrowed};
          }
        }
      }
    }
    return std::nullopt;
  }

  // The reqid of a static crypto map entry's ACL line; 0 when the pool is exhausted.
  std::uint32_t reqid_for(const policy::CryptoMapEntry& e, std::size_t acl_index) {
    auto key = std::tuple{e.map, e.seq, acl_index};
    if (auto it = reqid_of.find(key); it != reqid_of.end()) return it->second;
    auto r = reqid_pool.take();
    if (!r) return 0;
    reqid_of[key] = *r;
    reqids[*r] = ReqidInfo{e.map, e.seq, acl_index};
    return *r;
  }

  // Install both directions of a negotiated CHILD SA (RFC 7296 2.17 for the keys).
  // `defer_out`: install the inbound SA only; the outbound one waits in pending_out.
  ChildSa* install_child(IkeSa& sa, const ChildRequest& cr, const EspChoice& choice, std::uint32_t spi_in,
                         const SecretBytes* g_ir_pfs, ByteView ni, ByteView nr, TimePoint now,
                         bool defer_out = false) {
    const auto* entry = policy->find_entry(cr.map, cr.seq);
    if (!entry) return nullptr;
    auto keys = crypto::derive_child_sa_keys(sa.suite.prf, sa.keys->sk_d, choice.encr.id, choice.encr.key_bits,
                                             choice.integ, g_ir_pfs, ni, nr);
    auto child = std::make_unique<ChildSa>();
    child->reqid = cr.reqid;
    child->map = entry->map;
    child->seq = entry->seq;
    child->acl_text = entry->acl.at(cr.acl_index).text;
    child->selector = cr.selector;
    child->spi_in = spi_in;
    child->spi_out = choice.peer_spi;
    child->encr = choice.encr;
    child->integ = choice.integ;
    child->pfs = choice.pfs;
    child->created = now;
    child->lifetime = entry->lifetime;
    child->lifetime_kb = entry->lifetime_kilobytes;
    auto jitter = std::chrono::seconds(random.u32() % std::max<std::int64_t>(1, entry->lifetime.count() / 20));
    child->rekey_at = now + std::chrono::duration_cast<Duration>(entry->lifetime * options.rekey_fraction) -
                      (sa.initiator ? Duration::zero() : std::chrono::duration_cast<Duration>(jitter));
    child->expire_at = now + entry->lifetime;

    dataplane::SaParams in, out;
    for (auto* p : {&in, &out}) {
      p->reqid = cr.reqid;
      p->local = sa.local.address;
      p->remote = sa.remote.address;
      if (sa.nat_local || sa.nat_remote) {
        p->encap_local_port = kNattPort;
        p->encap_remote_port = sa.remote.port;
      }
      p->encr = choice.encr.id;
      p->key_bits = choice.encr.key_bits;
      p->integ = choice.integ;
      if (entry->lifetime_kilobytes) {
        p->hard_bytes = entry->lifetime_kilobytes * 1024;
        p->soft_bytes = p->hard_bytes / 10 * 9;
      }
      p->soft_seconds = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(entry->lifetime).count());
      p->hard_seconds = dataplane::hard_seconds_for(p->soft_seconds);
    }
    in.direction = dataplane::Direction::Inbound;
    in.spi = spi_in;
    out.direction = dataplane::Direction::Outbound;
    out.spi = choice.peer_spi;
    // The "i" keys protect what the initiator of the exchange that created the CHILD SA sends
    // (RFC 7296 2.17), whichever side initiated the IKE SA.
    bool we_initiated = cr.initiated_by_us;
    in.encr_key = we_initiated ? keys.encr_r : keys.encr_i;
    in.integ_key = we_initiated ? keys.integ_r : keys.integ_i;
    out.encr_key = we_initiated ? keys.encr_i : keys.encr_r;
    out.integ_key = we_initiated ? keys.integ_i : keys.integ_r;
    if (cr.rekey_spi_in != 0) {
      // A rekey: the new CHILD SA inherits the old one's policy and takes over from it.
      if (ChildSa* old = sa.child_by_spi_in(cr.rekey_spi_in)) {
        child->dynamic_policy = std::exchange(old->dynamic_policy, false);
        child->replaces_spi_in = old->spi_in;
      }
    } else if (entry->dynamic) {
      dataplane::PolicyParams pp;
      pp.reqid = cr.reqid;
      pp.selector = cr.selector;
      pp.priority = entry->seq * 1000 + static_cast<std::uint32_t>(cr.acl_index);
      pp.local = sa.local.address;
      pp.remote = sa.remote.address;
      pp.crypto_map = entry->map;
      pp.seq = entry->seq;
      if (auto r = dp.add_policy(pp); !r)
        note(&sa, Facility::Platform, 1, "Failed to install policy: " + r.error().message);
      else
        child->dynamic_policy = true;
    }
    auto undo_policy = [&] {
      if (child->dynamic_policy) (void)dp.delete_policy(cr.reqid);
    };
    if (auto r = dp.add_sa(in); !r) {
      note(&sa, Facility::Platform, 1, "Failed to install inbound SA: " + r.error().message);
      undo_policy();
      return nullptr;
    }
    if (defer_out) {
      child->pending_out = std::move(out);
      child->activate_out_at = now + kActivateOutFallback;
    } else if (auto r = dp.add_sa(out); !r) {
      note(&sa, Facility::Platform, 1, "Failed to install outbound SA: " + r.error().message);
      (void)dp.delete_sa(spi_in, dataplane::Direction::Inbound);
      undo_policy();
      return nullptr;
    } else {
      child->installed_out = true;
    }
    note(&sa, Facility::Platform, 3,
         fmt::format("PROXY MATCH on crypto map {} seq {}", entry->map, entry->seq));
    note(&sa, Facility::Platform, 3,
         fmt::format("Installed IPsec SA: ESP spi in/out: 0x{:08x}/0x{:08x}", spi_in, choice.peer_spi));
    acquiring.erase(cr.reqid);
    ChildSa* raw = child.get();
    add_child(sa, std::move(child));
    return raw;
  }

  void handle_auth_request(IkeSa& sa, const Message& m, TimePoint now) {
    sm(sa, "R_WAIT_AUTH", "EV_RECV_AUTH");
    note(&sa, Facility::Protocol, 2, "Processing auth message");
    const auto* idi = find_body<wire::IdPayload>(m.payloads, PayloadType::IDi);
    const auto* auth = find_body<wire::AuthPayload>(m.payloads, PayloadType::AUTH);
    Message r = new_message(sa, ExchangeType::IKE_AUTH, true, m.header.message_id);
    auto fail_auth = [&](std::string why) {
      ++stats.auth_failures;
      note(&sa, Facility::Protocol, 1,
           fmt::format("Authentication of peer {} failed: {}; sending AUTHENTICATION_FAILED", sa.remote.address.to_string(), why));
      r.payloads.push_back(notify(NotifyType::AUTHENTICATION_FAILED));
      send_response(sa, std::move(r));
      destroy(sa, "AUTHENTICATION_FAILED");
    };
    if (!idi || !auth) {
      fail_auth("IKE_AUTH without IDi or AUTH");
      return;
    }
    sm(sa, "R_WAIT_AUTH", "EV_PROC_ID");
    sa.id_remote = id_body(*idi);
    sa.id_remote_text = id_text(*idi);
    sm(sa, "R_WAIT_AUTH", "EV_GET_POLICY_BY_PEERID");
    const policy::PeerAuth* pa = peer_auth(sa);
    if (!pa) {
      note(&sa, Facility::Platform, 3,
           fmt::format("attempting to find tunnel group for IP: {}", sa.remote.address.to_string()));
      fail_auth("no tunnel-group or keyring entry for this peer");
      return;
    }
    sa.peer_name = pa->name;
    note(&sa, Facility::Platform, 3, fmt::format("mapped to tunnel group {} using peer IP", pa->name));
    sm(sa, "R_WAIT_AUTH", "EV_VERIFY_POLICY_BY_PEERID");
    sm(sa, "R_VERIFY_AUTH", "EV_CHK_AUTH_TYPE");
    if (auth->method != wire::AuthMethod::SHARED_KEY_MIC) {
      fail_auth("peer uses an authentication method other than pre-shared key");
      return;
    }
    sm(sa, "R_VERIFY_AUTH", "EV_GET_PRESHR_KEY");
    note(&sa, Facility::Protocol, 3, fmt::format("Get peer's preshared key for {}", sa.remote.address.to_string()));
    if (pa->remote_psk.empty() || pa->remote_psk_masked) {
      fail_auth("the configured key is masked (*****) or empty");
      return;
    }
    sm(sa, "R_VERIFY_AUTH", "EV_VERIFY_AUTH");
    note(&sa, Facility::Protocol, 3, "Verify authentication data");
    Bytes expected = compute_auth(sa, true, pa->remote_psk.view(), sa.id_remote);
    if (!constant_time_equal(expected, auth->data)) {
      fail_auth("AUTH payload does not match the pre-shared key");
      return;
    }
    if (pa->local_psk.empty() || pa->local_psk_masked) {
      fail_auth("no local pre-shared key");
      return;
    }
    sm(sa, "R_VERIFY_AUTH", "EV_CHK4_IC");
    if (wire::find_notify(m.payloads, NotifyType::INITIAL_CONTACT)) drop_other_sas(sa, now);
    sm(sa, "R_VERIFY_AUTH", "EV_PROC_SA_TS");

    wire::IdPayload idr = address_id(sa.local.address);
    sa.id_local = id_body(idr);
    sa.id_local_text = id_text(idr);
    sm(sa, "R_BLD_AUTH", "EV_GEN_AUTH");
    note(&sa, Facility::Protocol, 3,
         fmt::format("Use preshared key for id {}, key len {}", sa.local.address.to_string(), pa->local_psk.size()));
    r.payloads.push_back(make(PayloadType::IDr, idr));
    wire::AuthPayload my_auth;
    my_auth.method = wire::AuthMethod::SHARED_KEY_MIC;
    my_auth.data = compute_auth(sa, false, pa->local_psk.view(), sa.id_local);
    r.payloads.push_back(make(PayloadType::AUTH, std::move(my_auth)));

    set_state(sa, IkeState::READY);
    sa.established = now;
    set_ike_timers(sa, now);
    half_open.erase({sa.half_open_peer, sa.spi_i});
    if (stats.half_open > 0) --stats.half_open;
    ++stats.established;
    sa.init_request.clear();
    sa.init_request.shrink_to_fit();

    // The first CHILD SA (RFC 7296 1.2). Its failure does not fail the IKE SA (RFC 7296 2.21.1).
    const auto* sa_p = find_body<wire::SaPayload>(m.payloads, PayloadType::SA);
    const auto* tsi = find_body<wire::TsPayload>(m.payloads, PayloadType::TSi);
    const auto* tsr = find_body<wire::TsPayload>(m.payloads, PayloadType::TSr);
    if (sa_p && tsi && tsr) {
      if (auto err = accept_child(sa, r, *sa_p, *tsi, *tsr, sa.ni, sa.nr, nullptr, now))
        r.payloads.push_back(notify(*err));
    }
    r.payloads.push_back(notify(NotifyType::ESP_TFC_PADDING_NOT_SUPPORTED));
    r.payloads.push_back(notify(NotifyType::NON_FIRST_FRAGMENTS_ALSO));
    sm(sa, "R_BLD_AUTH", "EV_SEND_AUTH");
    note(&sa, Facility::Protocol, 2, "Sending auth message");
    send_response(sa, std::move(r));
    sm(sa, "AUTH_DONE", "EV_OK");
    sm(sa, "AUTH_DONE", "EV_INSERT_IKE");
    sm(sa, "READY", "EV_NO_EVENT");
    note(&sa, Facility::Platform, 3,
         fmt::format("CONNECTION STATUS: UP... peer: {}, phase1_id: {}", sa.remote.to_string(), sa.id_remote_text));
    reschedule(sa);
  }

  // Responder side of a CHILD SA (IKE_AUTH or CREATE_CHILD_SA). Adds SA and TS payloads to
  // `r` on success; returns the error notify otherwise.
  std::optional<NotifyType> accept_child(IkeSa& sa, Message& r, const wire::SaPayload& sa_p, const wire::TsPayload& tsi,
                                         const wire::TsPayload& tsr,
                                         ByteView ni, ByteView nr, const wire::KePayload* peer_ke, TimePoint now,
                                         ChildSa* rekeyed = nullptr, ChildSa** created = nullptr) {
    wanted_group = DhGroup::NONE;
    std::optional<TsMatch> match;
    if (rekeyed) {
      match = TsMatch{policy->find_entry(rekeyed->map, rekeyed->seq), 0, rekeyed->selector};
      if (match->entry) {
        for (std::size_t i = 0; i < match->entry->acl.size(); ++i)
          if (match->entry->acl[i].text == rekeyed->acl_text) match->acl_index = i;
      }
    } else {
      match = match_ts(sa, tsi, tsr);
    }
    if (!match || !match->entry) {
      ++stats.ts_unacceptable;
      note(&sa, Facility::Protocol, 1, "Traffic selectors do not match any crypto map entry for this peer: TS_UNACCEPTABLE");
      return NotifyType::TS_UNACCEPTABLE;
    }
    const auto& entry = *match->entry;
    sa.map = entry.map;
    sa.seq = entry.seq;
    // PFS (`set pfs`) applies to CREATE_CHILD_SA; the IKE_AUTH CHILD SA never has a KE (RFC 7296 1.2).
    bool in_ike_auth = r.header.exchange == ExchangeType::IKE_AUTH;
    auto choice = select_esp(entry.proposals, in_ike_auth ? std::nullopt : entry.pfs, sa_p);
    if (!choice) {
      ++stats.no_proposal;
      note(&sa, Facility::Protocol, 1,
           fmt::format("No IPsec proposal of crypto map {} seq {} matches the peer's: NO_PROPOSAL_CHOSEN", entry.map, entry.seq));
      return NotifyType::NO_PROPOSAL_CHOSEN;
    }
    std::optional<SecretBytes> g_ir;
    std::unique_ptr<crypto::KeyExchange> ke;
    if (choice->pfs) {
      if (!peer_ke || peer_ke->group != *choice->pfs) {
        wanted_group = *choice->pfs;
        return NotifyType::INVALID_KE_PAYLOAD;
      }
      auto k = crypto::KeyExchange::create(*choice->pfs);
      if (!k) return NotifyType::NO_PROPOSAL_CHOSEN;
      auto s = (*k)->shared_secret(peer_ke->data);
      if (!s) return NotifyType::INVALID_SYNTAX;
      g_ir = std::move(*s);
      ke = std::move(*k);
    }
    auto spi = dp.allocate_spi();
    if (!spi) return NotifyType::NO_ADDITIONAL_SAS;
    auto cr = std::make_shared<ChildRequest>();
    cr->map = entry.map;
    cr->seq = entry.seq;
    cr->acl_index = match->acl_index;
    // A dynamic map's CHILD SA gets a reqid (and a policy) of its own, returned with it.
    bool fresh_reqid = !rekeyed && entry.dynamic;
    cr->reqid = rekeyed ? rekeyed->reqid : entry.dynamic ? reqid_pool.take().value_or(0) : reqid_for(entry, match->acl_index);
    if (cr->reqid == 0) {
      (void)dp.delete_sa(*spi, dataplane::Direction::Inbound);
      note(&sa, Facility::Platform, 1, "No reqid left for another CHILD SA: NO_ADDITIONAL_SAS");
      return NotifyType::NO_ADDITIONAL_SAS;
    }
    cr->selector = match->selector;
    cr->rekey_spi_in = rekeyed ? rekeyed->spi_in : 0;
    // Keys: the peer initiated this exchange, so its nonce is Ni. A rekey's outbound SA waits
    // until the initiator, which has our answer by then, deletes the old CHILD SA.
    ChildSa* child = install_child(sa, *cr, *choice, *spi, g_ir ? &*g_ir : nullptr, ni, nr, now, rekeyed != nullptr);
    if (!child) {
      (void)dp.delete_sa(*spi, dataplane::Direction::Inbound);
      if (fresh_reqid) reqid_pool.give_back(cr->reqid);
      return NotifyType::NO_ADDITIONAL_SAS;
    }
    if (created) *created = child;
    r.payloads.push_back(make(PayloadType::SA, build_esp_sa_reply(*choice, *spi)));
    if (r.header.exchange == ExchangeType::CREATE_CHILD_SA) {
      r.payloads.push_back(make(PayloadType::NONCE, wire::NoncePayload{Bytes(nr.begin(), nr.end())}));
      if (ke) {
        wire::KePayload k;
        k.group = ke->group();
        k.data.assign(ke->public_value().begin(), ke->public_value().end());
        r.payloads.push_back(make(PayloadType::KE, std::move(k)));
      }
    }
    add_ts(r, match->selector, false);
    return std::nullopt;
  }

  void drop_other_sas(IkeSa& me, TimePoint) {
    // RFC 7296 2.4: INITIAL_CONTACT - the peer has no other SAs with us; remove stale ones.
    for (auto spi : ready_sas_to_other(me))
      if (IkeSa* sa = find_sa(spi)) destroy(*sa, "INITIAL_CONTACT from the peer");
  }

  void handle_auth_response(IkeSa& sa, const Message& m, TimePoint now) {
    sm(sa, "I_WAIT_AUTH", "EV_RECV_AUTH");
    sm(sa, "I_PROC_AUTH", "EV_CHK4_NOTIFY");
    sa.outstanding.reset();
    if (const auto* n = wire::find_notify(m.payloads, NotifyType::AUTHENTICATION_FAILED)) {
      (void)n;
      ++stats.auth_failures;
      note(&sa, Facility::Protocol, 1,
           fmt::format("Peer {} answered AUTHENTICATION_FAILED: check the pre-shared keys", sa.remote.address.to_string()));
      destroy(sa, "AUTHENTICATION_FAILED from the peer");
      return;
    }
    const auto* idr = find_body<wire::IdPayload>(m.payloads, PayloadType::IDr);
    const auto* auth = find_body<wire::AuthPayload>(m.payloads, PayloadType::AUTH);
    if (!idr || !auth) {
      const auto* err = wire::find_error_notify(m.payloads);
      note(&sa, Facility::Protocol, 1,
           fmt::format("IKE_AUTH response without IDr/AUTH{}", err ? " (" + notify_name(err->type) + ")" : ""));
      destroy(sa, "IKE_AUTH failed");
      return;
    }
    sm(sa, "I_PROC_AUTH", "EV_PROC_MSG");
    sa.id_remote = id_body(*idr);
    sa.id_remote_text = id_text(*idr);
    sm(sa, "I_PROC_AUTH", "EV_GET_POLICY_BY_PEERID");
    const policy::PeerAuth* pa = peer_auth(sa);
    sm(sa, "I_PROC_AUTH", "EV_GET_PRESHR_KEY");
    sm(sa, "I_PROC_AUTH", "EV_VERIFY_AUTH");
    note(&sa, Facility::Protocol, 3, "Verify authentication data");
    if (!pa || pa->remote_psk.empty() || pa->remote_psk_masked || auth->method != wire::AuthMethod::SHARED_KEY_MIC ||
        !constant_time_equal(compute_auth(sa, false, pa->remote_psk.view(), sa.id_remote), auth->data)) {
      ++stats.auth_failures;
      note(&sa, Facility::Protocol, 1,
           fmt::format("Authentication of peer {} failed: AUTH payload does not match the pre-shared key",
                       sa.remote.address.to_string()));
      // RFC 7296 2.21.2: tell the responder in a new INFORMATIONAL exchange, then drop.
      Message info = new_message(sa, ExchangeType::INFORMATIONAL, false, sa.next_request_mid);
      info.payloads.push_back(notify(NotifyType::AUTHENTICATION_FAILED));
      if (auto bytes = encode(sa, info)) transmit(sa, *bytes);
      destroy(sa, "AUTHENTICATION_FAILED");
      return;
    }
    sa.next_request_mid = 2;
    set_state(sa, IkeState::READY);
    sa.established = now;
    set_ike_timers(sa, now);
    sa.init_request.clear();
    sa.init_request.shrink_to_fit();
    if (stats.half_open > 0) --stats.half_open;
    ++stats.established;
    sm(sa, "I_PROC_AUTH", "EV_PROC_SA_TS");
    if (sa.auth_child) {
      auto cr = std::move(sa.auth_child);
      finish_child(sa, *cr, m, sa.ni, sa.nr, now, /*in_ike_auth=*/true);
    }
    sm(sa, "AUTH_DONE", "EV_OK");
    sm(sa, "READY", "EV_NO_EVENT");
    note(&sa, Facility::Platform, 3,
         fmt::format("CONNECTION STATUS: UP... peer: {}, phase1_id: {}", sa.remote.to_string(), sa.id_remote_text));
    run_queue(sa, now);
    reschedule(sa);
  }

  // Initiator side: the response to a CHILD SA request.
  // `in_ike_auth`: the CHILD SA of IKE_AUTH, offered and answered without a key exchange even
  // when the map sets PFS (RFC 7296 1.2); PFS applies from the first CREATE_CHILD_SA on.
  void finish_child(IkeSa& sa, ChildRequest& cr, const Message& m, ByteView ni, ByteView nr, TimePoint now,
                    bool in_ike_auth = false) {
    const auto* sa_p = find_body<wire::SaPayload>(m.payloads, PayloadType::SA);
    const auto* tsi = find_body<wire::TsPayload>(m.payloads, PayloadType::TSi);
    const auto* tsr = find_body<wire::TsPayload>(m.payloads, PayloadType::TSr);
    const auto* entry = policy->find_entry(cr.map, cr.seq);
    ChildSa* old = cr.rekey_spi_in != 0 ? sa.child_by_spi_in(cr.rekey_spi_in) : nullptr;
    ChildSa* theirs = old && old->peer_rekey_spi_in != 0 ? sa.child_by_spi_in(old->peer_rekey_spi_in) : nullptr;
    auto fail = [&](std::string why) {
      if (why.find("TS_UNACCEPTABLE") != std::string::npos) ++stats.ts_unacceptable;
      if (why.find("NO_PROPOSAL_CHOSEN") != std::string::npos) ++stats.no_proposal;
      note(&sa, Facility::Protocol, 1, fmt::format("CHILD SA for crypto map {} seq {} failed: {}", cr.map, cr.seq, why));
      (void)dp.delete_sa(cr.spi_in, dataplane::Direction::Inbound);
      acquiring.erase(cr.reqid);
      if (theirs && theirs->pending_out) theirs->activate_out_at = now + kActivateOutFallback;
      if (old && !old->rekeyed_by_peer && !old->deleting && now + kRekeyRetry < old->expire_at) {
        old->rekeying = false;  // try again later (RFC 7296 2.25: TEMPORARY_FAILURE and the like)
        old->rekey_at = now + kRekeyRetry;
      }
    };
    if (const auto* err = wire::find_error_notify(m.payloads)) {
      fail(notify_name(err->type));
      return;
    }
    if (!sa_p || !tsi || !tsr || !entry || sa_p->proposals.size() != 1 || tsi->selectors.empty() || tsr->selectors.empty()) {
      fail("malformed response (INVALID_SYNTAX)");
      return;
    }
    auto choice = select_esp(entry->proposals, in_ike_auth ? std::nullopt : entry->pfs, *sa_p);
    if (!choice) {
      fail("responder chose a proposal we did not offer");
      return;
    }
    // The responder may narrow; what it returns must lie within what we proposed.
    policy::Selector narrowed = selector_from_ts(tsi->selectors.front(), tsr->selectors.front());
    if (!policy::selector_contains(cr.selector, narrowed)) {
      fail("responder returned selectors outside our proposal (TS_UNACCEPTABLE)");
      return;
    }
    cr.selector = narrowed;
    std::optional<SecretBytes> g_ir;
    if (choice->pfs) {
      const auto* ke = find_body<wire::KePayload>(m.payloads, PayloadType::KE);
      if (!ke || !cr.ke || ke->group != cr.ke->group()) {
        fail("PFS key exchange missing");
        return;
      }
      auto s = cr.ke->shared_secret(ke->data);
      if (!s) {
        fail("invalid PFS public value");
        return;
      }
      g_ir = std::move(*s);
    }
    // In a collision the outbound half waits until we know which new CHILD SA survives.
    ChildSa* child = install_child(sa, cr, *choice, cr.spi_in, g_ir ? &*g_ir : nullptr, ni, nr, now, theirs != nullptr);
    if (!child) {
      fail("the data plane refused the SA");
      return;
    }
    note(&sa, Facility::Protocol, 3, fmt::format("CHILD SA established for crypto map {} seq {}", cr.map, cr.seq));
    if (!old) return;
    old->rekeying = true;
    if (!theirs) {
      delete_child(sa, *old, now);
      return;
    }
    // RFC 7296 2.8.1: the new CHILD SA made with the lowest of the four nonces is redundant and
    // is closed by the side that created it; the winner's initiator deletes the old one.
    bool ours_redundant = nonce_less(min_nonce(ni, nr), old->peer_rekey_min_nonce);
    ChildSa& keep = ours_redundant ? *theirs : *child;
    ChildSa& drop = ours_redundant ? *child : *theirs;
    keep.dynamic_policy = keep.dynamic_policy || std::exchange(drop.dynamic_policy, false);
    drop.replaces_spi_in = 0;
    drop.activate_out_at = kNever;
    if (ours_redundant) {
      note(&sa, Facility::Protocol, 3,
           fmt::format("Simultaneous rekey: our new CHILD SA 0x{:08x} is redundant; deleting it", child->spi_in));
      theirs->activate_out_at = now + kActivateOutFallback;
      delete_child(sa, *child, now);
    } else {
      note(&sa, Facility::Protocol, 3,
           fmt::format("Simultaneous rekey: the peer's new CHILD SA 0x{:08x} is redundant; the peer deletes it",
                       theirs->spi_in));
      child->replaces_spi_in = 0;
      activate_out(sa, *child);
      delete_child(sa, *old, now);
    }
  }

  void delete_child(IkeSa& sa, ChildSa& c, TimePoint now) {
    if (c.deleting) return;
    c.deleting = true;
    enqueue(sa, Task{TaskKind::DeleteChild, nullptr, c.spi_in}, now);
  }

  // ---- tasks ------------------------------------------------------------------------------
  void enqueue(IkeSa& sa, Task t, TimePoint now) {
    sa.queue.push_back(std::move(t));
    run_queue(sa, now);
  }

  void run_queue(IkeSa& sa, TimePoint now) {
    while (sa.state == IkeState::READY && !sa.outstanding && !sa.queue.empty()) {
      Task t = std::move(sa.queue.front());
      sa.queue.pop_front();
      if (start_task(sa, std::move(t), now)) break;
    }
  }

  // Returns true if a request went out.
  bool start_task(IkeSa& sa, Task t, TimePoint now) {
    switch (t.kind) {
      case TaskKind::CreateChild:
      case TaskKind::RekeyChild: {
        auto& cr = *t.child;
        const auto* entry = policy->find_entry(cr.map, cr.seq);
        if (!entry) {
          acquiring.erase(cr.reqid);
          return false;
        }
        if (t.kind == TaskKind::RekeyChild) {
          // The peer rekeyed it first, or it is going away: nothing to do (RFC 7296 2.8.1).
          const ChildSa* old = sa.child_by_spi_in(cr.rekey_spi_in);
          if (!old || old->rekeyed_by_peer || old->deleting) return false;
        }
        sm(sa, "READY", "EV_INIT_CREATE_CHILD");
        sm(sa, "CHILD_I_INIT", "EV_INIT_CREATE_CHILD");
        auto spi = dp.allocate_spi();
        if (!spi) {
          acquiring.erase(cr.reqid);
          return false;
        }
        cr.spi_in = *spi;
        cr.nonce.resize(kNonceSize);
        random.fill(cr.nonce);
        Message m = new_message(sa, ExchangeType::CREATE_CHILD_SA, false, 0);
        if (t.kind == TaskKind::RekeyChild)
          m.payloads.push_back(notify(NotifyType::REKEY_SA, {}, ProtocolId::ESP, be32(cr.rekey_spi_in)));
        sm(sa, "CHILD_I_IPSEC", "EV_SET_IPSEC_DH_GRP");
        m.payloads.push_back(make(PayloadType::SA, build_esp_sa(entry->proposals, cr.spi_in, entry->pfs)));
        m.payloads.push_back(make(PayloadType::NONCE, wire::NoncePayload{cr.nonce}));
        sm(sa, "CHILD_I_IPSEC", "EV_CHK4_PFS");
        note(&sa, Facility::Protocol, 3, "Checking for PFS configuration");
        if (entry->pfs) {
          auto ke = crypto::KeyExchange::create(*entry->pfs);
          if (!ke) {
            acquiring.erase(cr.reqid);
            return false;
          }
          cr.ke = std::move(*ke);
          wire::KePayload k;
          k.group = cr.ke->group();
          k.data.assign(cr.ke->public_value().begin(), cr.ke->public_value().end());
          m.payloads.push_back(make(PayloadType::KE, std::move(k)));
        }
        add_ts(m, cr.selector, true);
        sm(sa, "CHILD_I_IPSEC", "EV_BLD_MSG");
        note(&sa, Facility::Protocol, 2, "Sending child SA exchange");
        bool ok = send_request(sa, std::move(m), std::move(t), now);
        sm(sa, "CHILD_I_WAIT", "EV_NO_EVENT");
        return ok;
      }
      case TaskKind::DeleteChild: {
        ChildSa* c = sa.child_by_spi_in(t.spi_in);
        if (!c) return false;
        Message m = new_message(sa, ExchangeType::INFORMATIONAL, false, 0);
        wire::DeletePayload d;
        d.protocol = ProtocolId::ESP;
        d.spis.push_back(be32(c->spi_in));
        m.payloads.push_back(make(PayloadType::DELETE, std::move(d)));
        // Stop sending on it now; inbound stays until the peer confirms (RFC 7296 1.4.1).
        c->deleting = true;
        retire_out(sa, *c);
        return send_request(sa, std::move(m), std::move(t), now);
      }
      case TaskKind::DeleteIke: {
        Message m = new_message(sa, ExchangeType::INFORMATIONAL, false, 0);
        wire::DeletePayload d;
        d.protocol = ProtocolId::IKE;
        m.payloads.push_back(make(PayloadType::DELETE, std::move(d)));
        set_state(sa, IkeState::DELETING);
        bool ok = send_request(sa, std::move(m), std::move(t), now);
        return ok;
      }
      case TaskKind::RekeyIke: {
        if (sa.replaced) return false;  // the peer rekeyed it first
        auto& rk = *t.rekey;
        rk.spi = fresh_spi();
        rk.nonce.resize(kNonceSize);
        random.fill(rk.nonce);
        auto ke = crypto::KeyExchange::create(sa.suite.dh);
        if (!ke) return false;
        rk.ke = std::move(*ke);
        Message m = new_message(sa, ExchangeType::CREATE_CHILD_SA, false, 0);
        Bytes spi = be64(rk.spi);
        m.payloads.push_back(make(PayloadType::SA, build_ike_sa(policy->ike_proposals, spi)));
        m.payloads.push_back(make(PayloadType::NONCE, wire::NoncePayload{rk.nonce}));
        wire::KePayload k;
        k.group = rk.ke->group();
        k.data.assign(rk.ke->public_value().begin(), rk.ke->public_value().end());
        m.payloads.push_back(make(PayloadType::KE, std::move(k)));
        note(&sa, Facility::Protocol, 2, "Rekeying the IKE SA");
        return send_request(sa, std::move(m), std::move(t), now);
      }
      case TaskKind::Dpd: {
        Message m = new_message(sa, ExchangeType::INFORMATIONAL, false, 0);
        note(&sa, Facility::Protocol, 3, fmt::format("Sending DPD request to {}", sa.remote.address.to_string()));
        return send_request(sa, std::move(m), std::move(t), now);
      }
    }
    return false;
  }

  void handle_child_response(IkeSa& sa, Task& t, const Message& m, TimePoint now) {
    sm(sa, "CHILD_I_WAIT", "EV_RECV_CREATE_CHILD");
    sm(sa, "CHILD_I_PROC", "EV_PROC_MSG");
    note(&sa, Facility::Protocol, 2, "Processing child SA exchange");
    auto& cr = *t.child;
    const auto* n = find_body<wire::NoncePayload>(m.payloads, PayloadType::NONCE);
    if (!n && !wire::find_error_notify(m.payloads)) {
      note(&sa, Facility::Protocol, 1, "CREATE_CHILD_SA response without a nonce");
      acquiring.erase(cr.reqid);
      (void)dp.delete_sa(cr.spi_in, dataplane::Direction::Inbound);
      return;
    }
    Bytes nr = n ? n->data : Bytes{};
    Bytes ni = cr.nonce;
    finish_child(sa, cr, m, ni, nr, now);
    sm(sa, "CHILD_I_DONE", "EV_OK");
  }

  // ---- IKE SA rekeying (RFC 7296 1.3.2, 2.18) ------------------------------------------------
  // The new IKE SA takes over the CHILD SAs; its initiator is whoever started the rekey.
  // `take_children`: false in a collision, until the nonces say which new IKE SA survives.
  IkeSa* make_rekeyed_sa(IkeSa& old, bool we_initiated, std::uint64_t spi_i, std::uint64_t spi_r,
                         const IkeChoice& choice, ByteView ni, ByteView nr, const SecretBytes& g_ir, TimePoint now,
                         bool take_children = true) {
    auto keys = crypto::derive_rekeyed_ike_sa_keys(choice.suite, old.suite.prf, old.keys->sk_d, ni, nr, g_ir, spi_i, spi_r);
    if (!keys) {
      note(&old, Facility::Protocol, 1, "IKE SA rekey: key derivation failed: " + keys.error().message);
      return nullptr;
    }
    auto sa = std::make_unique<IkeSa>();
    sa->id = next_sa_id++;
    sa->initiator = we_initiated;
    sa->state = IkeState::READY;
    sa->spi_i = spi_i;
    sa->spi_r = spi_r;
    sa->local = old.local;
    sa->remote = old.remote;
    sa->nat_local = old.nat_local;
    sa->nat_remote = old.nat_remote;
    sa->use_natt_port = old.use_natt_port;
    sa->peer_fragmentation = old.peer_fragmentation;
    sa->peer_name = old.peer_name;
    sa->map = old.map;
    sa->seq = old.seq;
    sa->suite = choice.suite;
    sa->lifetime = choice.lifetime;
    sa->ni.assign(ni.begin(), ni.end());
    sa->nr.assign(nr.begin(), nr.end());
    sa->keys = std::move(*keys);
    const auto& k = *sa->keys;
    auto i2r = crypto::make_sk_protection(sa->suite.encr, sa->suite.key_bits, sa->suite.integ, k.sk_ei, k.sk_ai);
    auto r2i = crypto::make_sk_protection(sa->suite.encr, sa->suite.key_bits, sa->suite.integ, k.sk_er, k.sk_ar);
    if (!i2r || !r2i) return nullptr;
    sa->protect_out = we_initiated ? std::move(i2r) : std::move(r2i);
    sa->protect_in = we_initiated ? std::move(r2i) : std::move(i2r);
    sa->id_local = old.id_local;
    sa->id_remote = old.id_remote;
    sa->id_local_text = old.id_local_text;
    sa->id_remote_text = old.id_remote_text;
    sa->created = sa->established = sa->last_heard = now;
    set_ike_timers(*sa, now);
    sa->deadline = kNever;
    set_rekeying(old, true);
    note(sa.get(), Facility::Protocol, 2,
         fmt::format("IKE SA rekeyed: new SPIs {:016X}/{:016X} replace {:016X}/{:016X}", spi_i, spi_r, old.spi_i, old.spi_r));
    IkeSa* raw = insert_sa(std::move(sa));
    if (take_children) move_children(old, *raw, now);
    reschedule(*raw);
    return raw;
  }

  // The CHILD SAs, and the work queued for them, move to the IKE SA that replaces `old`.
  void move_children(IkeSa& old, IkeSa& fresh, TimePoint now) {
    for (auto& c : old.children) {
      child_owner[c->spi_in] = fresh.local_spi();
      fresh.children.push_back(std::move(c));
    }
    old.children.clear();
    old.replaced = true;
    old.successor = fresh.local_spi();
    std::deque<Task> keep;
    for (auto& t : old.queue) {
      bool child_work = t.kind == TaskKind::CreateChild || t.kind == TaskKind::RekeyChild || t.kind == TaskKind::DeleteChild;
      (child_work ? fresh.queue : keep).push_back(std::move(t));
    }
    old.queue = std::move(keep);
    run_queue(fresh, now);
    reschedule(fresh);
  }

  void accept_ike_rekey(IkeSa& sa, Message& r, const wire::SaPayload& sa_p, ByteView ni,
                        const wire::KePayload* ke_p, TimePoint now) {
    if (sa.replaced || sa.state == IkeState::DELETING) {
      // RFC 7296 2.25.2: a rekey of an IKE SA that is already replaced or being closed.
      note(&sa, Facility::Protocol, 3, "Peer rekeys an IKE SA we are replacing or deleting: TEMPORARY_FAILURE");
      r.payloads.push_back(notify(NotifyType::TEMPORARY_FAILURE));
      send_response(sa, std::move(r));
      return;
    }
    auto choice = select_ike(policy->ike_proposals, sa_p);
    if (!choice || choice->peer_spi.size() != 8) {
      ++stats.no_proposal;
      note(&sa, Facility::Protocol, 1, "IKE SA rekey: no acceptable proposal: NO_PROPOSAL_CHOSEN");
      r.payloads.push_back(notify(NotifyType::NO_PROPOSAL_CHOSEN));
      send_response(sa, std::move(r));
      return;
    }
    if (!ke_p || ke_p->group != choice->suite.dh) {
      r.payloads.push_back(notify(NotifyType::INVALID_KE_PAYLOAD, be16(static_cast<std::uint16_t>(choice->suite.dh))));
      send_response(sa, std::move(r));
      return;
    }
    auto ke = crypto::KeyExchange::create(choice->suite.dh);
    if (!ke) return;
    auto g_ir = (*ke)->shared_secret(ke_p->data);
    if (!g_ir) {
      r.payloads.push_back(notify(NotifyType::INVALID_SYNTAX));
      send_response(sa, std::move(r));
      return;
    }
    Bytes nr(kNonceSize);
    random.fill(nr);
    std::uint64_t spi_r = fresh_spi();
    std::uint64_t spi_i = load_be64(choice->peer_spi.data());
    Bytes our_spi = be64(spi_r);
    r.payloads.push_back(make(PayloadType::SA, build_ike_sa_reply(*choice, our_spi)));
    r.payloads.push_back(make(PayloadType::NONCE, wire::NoncePayload{nr}));
    wire::KePayload k;
    k.group = (*ke)->group();
    k.data.assign((*ke)->public_value().begin(), (*ke)->public_value().end());
    r.payloads.push_back(make(PayloadType::KE, std::move(k)));
    // Answer on the old SA first; the peer deletes the old SA afterwards.
    send_response(sa, std::move(r));
    bool collision = sa.outstanding && sa.outstanding->task.kind == TaskKind::RekeyIke;
    IkeSa* fresh = make_rekeyed_sa(sa, false, spi_i, spi_r, *choice, ni, nr, *g_ir, now, !collision);
    if (collision && fresh) {
      // RFC 7296 2.8.2: both ends rekey this IKE SA; the nonces decide once ours completes.
      sa.peer_rekey_spi = fresh->local_spi();
      sa.peer_rekey_min_nonce = min_nonce(ni, nr);
      note(&sa, Facility::Protocol, 3, "Simultaneous rekey of the IKE SA by both peers");
    }
  }

  void finish_ike_rekey(IkeSa& sa, IkeRekey& rk, const Message& m, TimePoint now) {
    const auto* sa_p = find_body<wire::SaPayload>(m.payloads, PayloadType::SA);
    const auto* n_p = find_body<wire::NoncePayload>(m.payloads, PayloadType::NONCE);
    const auto* ke_p = find_body<wire::KePayload>(m.payloads, PayloadType::KE);
    auto choice = sa_p ? select_ike(policy->ike_proposals, *sa_p) : std::nullopt;
    IkeSa* theirs = sa.peer_rekey_spi != 0 ? find_sa(sa.peer_rekey_spi) : nullptr;
    const auto* err = wire::find_error_notify(m.payloads);
    Result<SecretBytes> g_ir = fail("invalid IKE SA rekey response");
    if (!err && choice && n_p && ke_p && choice->peer_spi.size() == 8 && ke_p->group == rk.ke->group())
      g_ir = rk.ke->shared_secret(ke_p->data);
    if (!g_ir) {
      if (theirs) {
        // The peer's rekey of this SA succeeded, ours did not: its new IKE SA takes over.
        note(&sa, Facility::Protocol, 3, "IKE SA rekey answered with an error; the peer's rekey takes over");
        move_children(sa, *theirs, now);
        return;
      }
      bool retry = now + kRekeyRetry < sa.expire_at;
      note(&sa, Facility::Protocol, 1,
           fmt::format("IKE SA rekey failed{}; {}", err ? ": " + notify_name(err->type) : std::string(),
                       retry ? "retrying" : "the SA is deleted at the end of its lifetime"));
      set_rekeying(sa, false);
      sa.rekey_at = retry ? now + kRekeyRetry : kNever;
      return;
    }
    std::uint64_t spi_r = load_be64(choice->peer_spi.data());
    if (!theirs) {
      if (make_rekeyed_sa(sa, true, rk.spi, spi_r, *choice, rk.nonce, n_p->data, *g_ir, now))
        enqueue(sa, Task{TaskKind::DeleteIke, nullptr, 0, nullptr}, now);
      return;
    }
    // RFC 7296 2.8.2: the new IKE SA made with the lowest of the four nonces is redundant and
    // is deleted by the side that created it; the winner's initiator deletes the old one.
    bool ours_redundant = nonce_less(min_nonce(rk.nonce, n_p->data), sa.peer_rekey_min_nonce);
    IkeSa* ours = make_rekeyed_sa(sa, true, rk.spi, spi_r, *choice, rk.nonce, n_p->data, *g_ir, now, !ours_redundant);
    if (!ours) return;
    if (ours_redundant) {
      note(ours, Facility::Protocol, 3, "Simultaneous IKE SA rekey: our new IKE SA is redundant; deleting it");
      move_children(sa, *theirs, now);
      enqueue(*ours, Task{TaskKind::DeleteIke, nullptr, 0, nullptr}, now);
    } else {
      note(ours, Facility::Protocol, 3, "Simultaneous IKE SA rekey: the peer's new IKE SA is redundant; the peer deletes it");
      enqueue(sa, Task{TaskKind::DeleteIke, nullptr, 0, nullptr}, now);
    }
  }

  void set_ike_timers(IkeSa& sa, TimePoint now) {
    sa.expire_at = now + sa.lifetime;
    sa.keepalive_at = now + options.nat_keepalive;
    // The original initiator rekeys first; the responder a little later, so they rarely collide.
    auto margin = std::chrono::duration_cast<Duration>(sa.lifetime * (1.0 - options.rekey_fraction));
    sa.rekey_at = sa.expire_at - (sa.initiator ? margin : margin / 2);
  }

  void handle_create_child_request(IkeSa& sa, const Message& m, TimePoint now) {
    sm(sa, "READY", "EV_RECV_CREATE_CHILD");
    sm(sa, "CHILD_R_INIT", "EV_VERIFY_MSG");
    note(&sa, Facility::Protocol, 3, "Validating create child message");
    Message r = new_message(sa, ExchangeType::CREATE_CHILD_SA, true, m.header.message_id);
    const auto* sa_p = find_body<wire::SaPayload>(m.payloads, PayloadType::SA);
    const auto* n_p = find_body<wire::NoncePayload>(m.payloads, PayloadType::NONCE);
    const auto* tsi = find_body<wire::TsPayload>(m.payloads, PayloadType::TSi);
    const auto* tsr = find_body<wire::TsPayload>(m.payloads, PayloadType::TSr);
    const auto* ke = find_body<wire::KePayload>(m.payloads, PayloadType::KE);
    if (!sa_p || !n_p || n_p->data.size() < 16 || n_p->data.size() > 256) {
      r.payloads.push_back(notify(NotifyType::INVALID_SYNTAX));
      send_response(sa, std::move(r));
      return;
    }
    bool ike_rekey = !sa_p->proposals.empty() && sa_p->proposals.front().protocol == ProtocolId::IKE;
    if (ike_rekey) {
      accept_ike_rekey(sa, r, *sa_p, n_p->data, ke, now);
      return;
    }
    if (!tsi || !tsr) {
      r.payloads.push_back(notify(NotifyType::INVALID_SYNTAX));
      send_response(sa, std::move(r));
      return;
    }
    ChildSa* rekeyed = nullptr;
    if (const auto* rk = wire::find_notify(m.payloads, NotifyType::REKEY_SA)) {
      if (rk->spi.size() == 4) rekeyed = sa.child_by_spi_out(load_be32(rk->spi.data()));
      if (!rekeyed) {
        r.payloads.push_back(notify(NotifyType::CHILD_SA_NOT_FOUND));
        send_response(sa, std::move(r));
        return;
      }
      if (rekeyed->deleting) {
        // RFC 7296 2.25.1: a rekey of a CHILD SA we are closing.
        note(&sa, Facility::Protocol, 3,
             fmt::format("Peer rekeys CHILD SA 0x{:08x}, which we are deleting: TEMPORARY_FAILURE", rekeyed->spi_in));
        r.payloads.push_back(notify(NotifyType::TEMPORARY_FAILURE));
        send_response(sa, std::move(r));
        return;
      }
    }
    sm(sa, "CHILD_R_IPSEC", "EV_PROC_MSG");
    Bytes nr(kNonceSize);
    random.fill(nr);
    ChildSa* created = nullptr;
    if (auto err = accept_child(sa, r, *sa_p, *tsi, *tsr, n_p->data, nr, ke, now, rekeyed, &created)) {
      r.payloads.clear();
      if (*err == NotifyType::INVALID_KE_PAYLOAD) {
        // RFC 7296 1.3: name the group we want, the one the chosen proposal requires.
        r.payloads.push_back(notify(*err, be16(static_cast<std::uint16_t>(wanted_group))));
      } else {
        r.payloads.push_back(notify(*err));
      }
    } else if (rekeyed) {
      rekeyed->rekeying = true;  // the initiator of the rekey deletes the old one
      rekeyed->rekeyed_by_peer = true;
      const auto& o = sa.outstanding;
      if (o && o->task.kind == TaskKind::RekeyChild && o->task.child && o->task.child->rekey_spi_in == rekeyed->spi_in) {
        // RFC 7296 2.8.1: both ends rekey the same CHILD SA. Which new one survives is decided
        // by the nonces once our own exchange completes.
        rekeyed->peer_rekey_spi_in = created->spi_in;
        rekeyed->peer_rekey_min_nonce = min_nonce(n_p->data, nr);
        created->activate_out_at = kNever;
        note(&sa, Facility::Protocol, 3,
             fmt::format("Simultaneous rekey of CHILD SA 0x{:08x} by both peers", rekeyed->spi_in));
      }
    }
    sm(sa, "CHILD_R_BLD_MSG", "EV_BLD_MSG");
    send_response(sa, std::move(r));
    sm(sa, "CHILD_R_DONE", "EV_OK");
    reschedule(sa);
  }

  void handle_informational_request(IkeSa& sa, const Message& m) {
    Message r = new_message(sa, ExchangeType::INFORMATIONAL, true, m.header.message_id);
    bool delete_ike = false;
    wire::DeletePayload ours;
    ours.protocol = ProtocolId::ESP;
    for (const auto& p : m.payloads) {
      if (const auto* d = std::get_if<wire::DeletePayload>(&p.body)) {
        if (d->protocol == ProtocolId::IKE) {
          delete_ike = true;
        } else if (d->protocol == ProtocolId::ESP) {
          for (const auto& spi : d->spis) {
            if (spi.size() != 4) continue;
            if (ChildSa* c = sa.child_by_spi_out(load_be32(spi.data()))) {
              ours.spis.push_back(be32(c->spi_in));
              note(&sa, Facility::Protocol, 3, fmt::format("Peer deleted CHILD SA 0x{:08x}", c->spi_out));
              remove_child(sa, *c);
            }
          }
        }
      } else if (const auto* n = std::get_if<wire::NotifyPayload>(&p.body)) {
        if (n->type == NotifyType::AUTHENTICATION_FAILED) {
          // RFC 7296 2.21.2: the initiator could not verify our AUTH.
          ++stats.auth_failures;
          note(&sa, Facility::Protocol, 1,
               fmt::format("Peer {} reported AUTHENTICATION_FAILED: it could not verify our AUTH; check the pre-shared keys",
                           sa.remote.address.to_string()));
          delete_ike = true;
        }
      }
    }
    if (!ours.spis.empty()) r.payloads.push_back(make(PayloadType::DELETE, std::move(ours)));
    send_response(sa, std::move(r));
    if (delete_ike) {
      note(&sa, Facility::Protocol, 2, fmt::format("Peer {} deleted the IKE SA", sa.remote.address.to_string()));
      destroy(sa, "deleted by the peer");
      return;
    }
    reschedule(sa);
  }

  void handle_informational_response(IkeSa& sa, Task& t, const Message& m, TimePoint now) {
    switch (t.kind) {
      case TaskKind::DeleteIke:
        destroy(sa, "deleted");
        return;
      case TaskKind::DeleteChild:
        if (ChildSa* c = sa.child_by_spi_in(t.spi_in)) {
          remove_child(sa, *c);
        } else if (IkeSa* next = sa.replaced ? find_sa(sa.successor) : nullptr) {
          // The IKE SA was rekeyed while our Delete was in flight: the child moved on.
          if (ChildSa* moved = next->child_by_spi_in(t.spi_in)) remove_child(*next, *moved);
        }
        break;
      case TaskKind::Dpd:
        note(&sa, Facility::Protocol, 5, "Received DPD response");
        break;
      default:
        break;
    }
    (void)m;
    run_queue(sa, now);
    reschedule(sa);
  }

  // ---- inbound dispatch ----------------------------------------------------------------------
  void on_datagram(const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now) {
    auto decoded = wire::decode(data);
    if (!decoded) {
      ++stats.decode_errors;
      const auto& e = decoded.error();
      note(nullptr, Facility::Protocol, 1,
           fmt::format("Dropping malformed packet from {}: {} at offset {}", remote.to_string(), e.what, e.offset));
      // RFC 7296 2.5: a request with an unknown critical payload is answered, naming its type.
      // Before an IKE SA exists that is the unauthenticated IKE_SA_INIT error answer.
      auto h = wire::peek_header(data);
      if (e.notify == NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD && h && h->exchange == ExchangeType::IKE_SA_INIT &&
          !h->is_response() && h->spi_r == 0 && h->message_id == 0) {
        Message req;
        req.header = *h;
        send_init_error(local, remote, req, notify(NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD, e.notify_data));
      }
      return;
    }
    Message& m = *decoded;
    const auto& h = m.header;
    bool from_initiator = (h.flags & wire::kFlagInitiator) != 0;
    bool response = (h.flags & wire::kFlagResponse) != 0;
    if (h.exchange == ExchangeType::IKE_SA_INIT && !response) {
      if (h.spi_r != 0 || h.message_id != 0) {
        ++stats.decode_errors;
        return;
      }
      packet(nullptr, m, false, local, remote);
      handle_init_request(local, remote, m, data, now);
      return;
    }
    std::uint64_t our_spi = from_initiator ? h.spi_r : h.spi_i;
    IkeSa* sa = find_sa(our_spi);
    bool init_response = h.exchange == ExchangeType::IKE_SA_INIT && response && sa && sa->state == IkeState::I_WAIT_INIT;
    if (!sa || (!init_response && sa->remote_spi() != (from_initiator ? h.spi_i : h.spi_r))) {
      {
        ++stats.invalid_spi;
        note(nullptr, Facility::Protocol, 2,
             fmt::format("Packet from {} for unknown IKE SA {:016X}/{:016X} dropped", remote.to_string(), h.spi_i, h.spi_r));
        return;
      }
    }
    // The role bit must say the sender is the other party of this SA (a reflected packet does not).
    if (from_initiator == sa->initiator) {
      ++stats.role_mismatch;
      return;
    }
    if (h.exchange == ExchangeType::IKE_SA_INIT) {
      packet(sa, m, false, local, remote);
      handle_init_response(*sa, m, data, now);
      return;
    }
    if (!sa->protect_in) return;
    if (!response) {
      if (h.message_id + 1 == sa->expected_peer_mid && sa->last_response_mid == h.message_id) {
        // A retransmitted request: answer from the cache without processing (RFC 7296 2.1);
        // a fragmented one once, on its first fragment (RFC 7383 2.6.1).
        if (m.sk.fragment && m.sk.fragment_number != 1) return;
        if (sha256({data}) != sa->request_digest) {
          ++stats.invalid_retransmits;
          note(sa, Facility::Protocol, 2,
               fmt::format("Request with mess_id {} differs from the one answered: not a retransmission, dropped",
                           h.message_id));
          return;
        }
        ++stats.duplicate_requests;
        transmit(*sa, sa->last_response);
        return;
      }
      if (h.message_id != sa->expected_peer_mid) {
        ++stats.invalid_message_id;
        note(sa, Facility::Protocol, 2,
             fmt::format("Request has mess_id {}; expected {}: INVALID_MESSAGE_ID, dropped", h.message_id, sa->expected_peer_mid));
        return;
      }
    } else if (!sa->outstanding || sa->outstanding->message_id != h.message_id) {
      ++stats.invalid_message_id;
      return;
    }
    Message msg;
    if (m.sk.fragment) {
      Bytes first_fragment_digest;
      auto whole = reassemble(*sa, m, data, response, remote, first_fragment_digest);
      if (!whole) return;  // refused, or more fragments to come
      msg = std::move(*whole);
      if (!response) sa->request_digest = std::move(first_fragment_digest);
    } else {
      auto inner = wire::decrypt(m, data, *sa->protect_in);
      if (!inner && !response && inner.error().notify == NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD) {
        // Authenticated, but it carries a critical payload we do not know (RFC 7296 2.5).
        ++stats.decode_errors;
        sa->expected_peer_mid = h.message_id + 1;
        sa->request_digest = sha256({data});
        refuse_request(*sa, h, NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD, "Request with an unsupported critical payload",
                       inner.error().notify_data);
        return;
      }
      if (!inner) {
        ++stats.icv_failures;
        note(sa, Facility::Protocol, 1,
             fmt::format("Failed to decrypt or verify message from {}: {}", remote.to_string(), inner.error().what));
        return;
      }
      msg = std::move(*inner);
      if (!response) sa->request_digest = sha256({data});
    }
    packet(sa, msg, false, local, remote);
    sa->last_heard = now;
    // NAT-T: follow the peer's address/port after an authenticated message (RFC 7296 2.23).
    if ((sa->nat_remote || sa->nat_local) && remote != sa->remote) follow_peer(*sa, remote);
    // A peer that moved to port 4500 gets its responses (and our later requests) from 4500 and
    // to the port it sent from: RFC 7296 2.11 answers from and to the addresses and ports of
    // the request, and 2.23 lets a peer move to 4500 with no NAT at all (strongSwan does), when
    // nothing above followed it.
    if (local.port == kNattPort) {
      sa->use_natt_port = true;
      if (remote.address == sa->remote.address && remote.port != sa->remote.port) set_remote(*sa, remote);
    }

    if (!response) {
      sa->expected_peer_mid = h.message_id + 1;
      switch (h.exchange) {
        // Every request gets an answer (RFC 7296 2.1), also one that comes in the wrong state.
        case ExchangeType::IKE_AUTH:
          if (sa->state == IkeState::R_WAIT_AUTH)
            handle_auth_request(*sa, msg, now);
          else
            refuse_request(*sa, h, NotifyType::INVALID_SYNTAX, "IKE_AUTH on an established IKE SA");
          return;
        case ExchangeType::CREATE_CHILD_SA:
          if (sa->state == IkeState::READY)
            handle_create_child_request(*sa, msg, now);
          else  // RFC 7296 2.25: the IKE SA is being deleted
            refuse_request(*sa, h, NotifyType::TEMPORARY_FAILURE, "CREATE_CHILD_SA while the IKE SA is being deleted");
          return;
        case ExchangeType::INFORMATIONAL:
          handle_informational_request(*sa, msg);
          return;
        default:
          return;
      }
    }
    if (h.exchange != sa->outstanding->exchange) {
      // RFC 7296 2.2: a response answers our request; another exchange type is bogus.
      ++stats.invalid_message_id;
      note(sa, Facility::Protocol, 2, "Response of the wrong exchange type dropped");
      return;
    }
    OutstandingRequest req = std::move(*sa->outstanding);
    sa->outstanding.reset();
    sa->next_request_mid = req.message_id + 1;
    switch (h.exchange) {
      case ExchangeType::IKE_AUTH:
        sa->outstanding = std::move(req);  // handle_auth_response clears it
        handle_auth_response(*sa, msg, now);
        return;
      case ExchangeType::CREATE_CHILD_SA:
        if (req.task.kind == TaskKind::RekeyIke)
          finish_ike_rekey(*sa, *req.task.rekey, msg, now);
        else
          handle_child_response(*sa, req.task, msg, now);
        break;
      case ExchangeType::INFORMATIONAL:
        handle_informational_response(*sa, req.task, msg, now);
        return;
      default:
        break;
    }
    if (IkeSa* still = find_sa(our_spi)) {
      run_queue(*still, now);
      reschedule(*still);
    }
  }

  void refuse_request(IkeSa& sa, const wire::Header& h, NotifyType why, std::string_view what, Bytes data = {}) {
    note(&sa, Facility::Protocol, 2, fmt::format("{}: answered {}", what, notify_name(why)));
    Message r = new_message(sa, h.exchange, true, h.message_id);
    r.payloads.push_back(notify(why, std::move(data)));
    send_response(sa, std::move(r));
  }

  // RFC 7383 2.6: each fragment is authenticated on its own, then joined. The message ID was
  // checked before, so a partial message of another ID is stale and gives way.
  // The NAT in front of the peer (or of us) gave it a new mapping: IKE answers and our requests
  // go to the new address and port, and so does the ESP of its CHILD SAs (RFC 7296 2.23 asks
  // for both), without a rekey and without losing a sequence number.
  void follow_peer(IkeSa& sa, const Endpoint& remote) {
    note(&sa, Facility::Protocol, 1,
         fmt::format("Peer {} now sends from {} (NAT mapping changed): following it", sa.remote.to_string(),
                     remote.to_string()));
    set_remote(sa, remote);
    for (auto& c : sa.children) {
      if (c->pending_out) {  // installed later (make-before-break): it takes the new address then
        c->pending_out->remote = remote.address;
        if (c->pending_out->encap_remote_port) c->pending_out->encap_remote_port = remote.port;
      }
      if (!c->installed_out) continue;
      if (auto r = dp.update_sa_remote(c->spi_out, remote); !r)
        note(&sa, Facility::Platform, 1, fmt::format("Outbound SA {:08X} not moved: {}", c->spi_out, r.error().message));
    }
  }

  // `first_fragment_digest` gets the SHA-256 of fragment 1 when the message is complete.
  std::optional<Message> reassemble(IkeSa& sa, const Message& m, ByteView data, bool response, const Endpoint& remote,
                                    Bytes& first_fragment_digest) {
    if (!sa.peer_fragmentation) {
      ++stats.decode_errors;
      note(&sa, Facility::Protocol, 2, fmt::format("Fragment from {} without negotiated fragmentation dropped", remote.to_string()));
      return std::nullopt;
    }
    auto plain = wire::open_sk(m, data, *sa.protect_in);
    if (!plain) {
      ++stats.icv_failures;
      note(&sa, Facility::Protocol, 1,
           fmt::format("Failed to decrypt or verify fragment {} from {}: {}", m.sk.fragment_number, remote.to_string(),
                       plain.error().what));
      return std::nullopt;
    }
    auto& slot = response ? sa.response_fragments : sa.request_fragments;
    if (!slot || slot->message_id != m.header.message_id) {
      slot = std::make_unique<IkeSa::Reassembly>();
      slot->message_id = m.header.message_id;
    }
    ++stats.fragments_received;
    bool first = m.sk.fragment_number == 1;
    auto done = slot->fragments.add(m, std::move(*plain));
    if (!done) {
      ++stats.fragment_errors;
      note(&sa, Facility::Protocol, 2,
           fmt::format("Fragment {}/{} from {} refused: {}", m.sk.fragment_number, m.sk.total_fragments,
                       remote.to_string(), done.error().what));
      return std::nullopt;
    }
    if (first) slot->first_fragment_digest = sha256({data});
    if (!*done) return std::nullopt;
    first_fragment_digest = std::move(slot->first_fragment_digest);
    slot.reset();
    note(&sa, Facility::Protocol, 3, fmt::format("Reassembled a message of {} fragments", m.sk.total_fragments));
    return std::move(**done);
  }

  // ---- timers -------------------------------------------------------------------------------
  void on_timer(TimePoint now) {
    while (!timers.empty() && timers.top().when <= now) {
      TimerEntry e = timers.top();
      timers.pop();
      IkeSa* sa = find_sa(e.spi);
      if (!sa || sa->deadline != e.when) continue;  // stale entry
      sa->deadline = kNever;
      service(*sa, now);
      if (IkeSa* still = find_sa(e.spi)) reschedule(*still);
    }
  }

  void service(IkeSa& sa, TimePoint now) {
    std::uint64_t spi = sa.local_spi();
    if (sa.outstanding && sa.outstanding->retransmit_at <= now) {
      auto& o = *sa.outstanding;
      if (o.retries >= options.retransmit_limit) {
        if (o.task.kind == TaskKind::Dpd) ++stats.dpd_timeouts;
        note(&sa, Facility::Protocol, 1,
             fmt::format("{}eer {} did not answer after {} retransmissions; deleting the IKE SA",
                         o.task.kind == TaskKind::Dpd ? "DPD: p" : "P", sa.remote.address.to_string(), o.retries));
        destroy(sa, o.task.kind == TaskKind::Dpd ? "DPD: peer not responding" : "retransmissions exhausted");
        return;
      }
      ++o.retries;
      ++stats.retransmits;
      note(&sa, Facility::Protocol, 3, fmt::format("Retransmitting packet, mess_id {}", o.message_id));
      transmit(sa, o.datagrams);
      o.retransmit_at = now + retransmit_interval(o.task, o.retries);
    }
    if (sa.state == IkeState::R_WAIT_AUTH && sa.half_open_deadline <= now) {
      destroy(sa, "IKE_AUTH not received in time");
      return;
    }
    if (sa.state != IkeState::READY) return;
    if (sa.nat_local && sa.keepalive_at <= now) {
      // Keep our NAT mapping alive even when no ESP flows (RFC 3948 2.3).
      host.send_keepalive(local_for(sa), sa.remote);
      sa.keepalive_at = now + options.nat_keepalive;
    }
    if (!sa.rekeying && sa.rekey_at <= now) {
      set_rekeying(sa, true);
      enqueue(sa, Task{TaskKind::RekeyIke, nullptr, 0, std::make_shared<IkeRekey>()}, now);
      if (!find_sa(spi)) return;
    }
    if (sa.expire_at <= now) {
      note(&sa, Facility::Protocol, 2, "IKE SA lifetime expired");
      sa.expire_at = kNever;  // one Delete; it waits for the window if a request is in flight
      sa.rekey_at = kNever;
      enqueue(sa, Task{TaskKind::DeleteIke, nullptr, 0}, now);
      if (!find_sa(spi)) return;
    }
    for (std::size_t i = 0; i < sa.children.size(); ++i) {
      ChildSa& c = *sa.children[i];
      if (c.expire_at <= now) {
        note(&sa, Facility::Protocol, 2, fmt::format("CHILD SA 0x{:08x} lifetime expired", c.spi_in));
        c.expire_at = kNever;
        c.rekey_at = kNever;
        delete_child(sa, c, now);
        if (!find_sa(spi)) return;
        continue;
      }
      if (c.pending_out && c.activate_out_at <= now) {
        note(&sa, Facility::Protocol, 3,
             fmt::format("No Delete of the rekeyed CHILD SA came; sending on 0x{:08x}", c.spi_out));
        activate_out(sa, c);
      }
      if (!c.rekeying && c.rekey_at <= now) {
        c.rekeying = true;
        c.rekey_at = kNever;
        auto cr = std::make_shared<ChildRequest>();
        cr->map = c.map;
        cr->seq = c.seq;
        cr->reqid = c.reqid;
        cr->selector = c.selector;
        cr->rekey_spi_in = c.spi_in;
        cr->initiated_by_us = true;
        const auto* entry = policy->find_entry(c.map, c.seq);
        if (entry)
          for (std::size_t k = 0; k < entry->acl.size(); ++k)
            if (entry->acl[k].text == c.acl_text) cr->acl_index = k;
        note(&sa, Facility::Protocol, 3, fmt::format("Rekeying CHILD SA 0x{:08x}", c.spi_in));
        enqueue(sa, Task{TaskKind::RekeyChild, cr, 0}, now);
      }
    }
    if (!find_sa(spi)) return;
    if (policy->dpd.interval.count() > 0 && !sa.outstanding && sa.queue.empty() &&
        sa.last_heard + policy->dpd.interval <= now) {
      sa.last_heard = now;  // one probe per interval
      enqueue(sa, Task{TaskKind::Dpd, nullptr, 0}, now);
    }
  }

  // ---- acquire -----------------------------------------------------------------------------
  Result<void> initiate(const policy::CryptoMapEntry& entry, std::size_t acl_index, TimePoint now) {
    if (entry.peers.empty()) return fail("crypto map " + entry.map + " " + std::to_string(entry.seq) + " has no peer");
    if (acl_index >= entry.acl.size()) return fail("no such access-list entry");
    std::uint32_t reqid = reqid_for(entry, acl_index);
    if (reqid == 0) return fail("no reqid left for crypto map " + entry.map);
    if (acquiring.contains(reqid) || reqid_has_outbound_sa(reqid)) return {};
    const IpAddress& peer = entry.peers.front();
    acquiring.insert(reqid);
    auto cr = make_child_request(entry, acl_index, reqid);
    if (IkeSa* sa = find_sa_for_child(peer)) {
      if (sa->state == IkeState::READY) {
        enqueue(*sa, Task{TaskKind::CreateChild, cr, 0}, now);
      } else {
        sa->queue.push_back(Task{TaskKind::CreateChild, cr, 0});
      }
      reschedule(*sa);
      return {};
    }
    IkeSa* sa = create_initiator(entry, peer, now);
    if (!sa) {
      acquiring.erase(reqid);
      return fail("could not start IKE_SA_INIT with " + peer.to_string());
    }
    sa->auth_child = cr;
    return {};
  }
};

Engine::Engine(std::shared_ptr<const policy::Policy> policy, dataplane::DataPlane& dp, Random& random, Host& host,
               EngineOptions options)
    : impl_(std::make_unique<Impl>(*this, std::move(policy), dp, random, host, options)) {}

Engine::~Engine() = default;

Result<void> Engine::install_policies() {
  for (const auto& e : impl_->policy->map_entries) {
    if (e.dynamic || e.peers.empty()) continue;
    for (std::size_t i = 0; i < e.acl.size(); ++i) {
      if (!e.acl[i].permit) continue;
      dataplane::PolicyParams p;
      p.reqid = impl_->reqid_for(e, i);
      if (p.reqid == 0) return fail(fmt::format("crypto map {} seq {}: too many access-list lines", e.map, e.seq));
      p.selector = e.acl[i].selector;
      p.priority = e.seq * 1000 + static_cast<std::uint32_t>(i);
      p.local = e.local_address;
      p.remote = e.peers.front();
      p.crypto_map = e.map;
      p.seq = e.seq;
      if (auto r = impl_->dp.add_policy(p); !r)
        return fail(fmt::format("crypto map {} seq {}: {}", e.map, e.seq, r.error().message));
    }
  }
  return {};
}

void Engine::set_policy(std::shared_ptr<const policy::Policy> policy, TimePoint now) {
  impl_->policy = std::move(policy);
  // SAs whose crypto map entry vanished are cleared; the rest keep running.
  std::vector<std::uint64_t> gone;
  for (auto& [spi, sa] : impl_->sas)
    if (!sa->map.empty() && !impl_->policy->find_entry(sa->map, sa->seq)) gone.push_back(spi);
  for (auto spi : gone)
    if (IkeSa* sa = impl_->find_sa(spi)) impl_->enqueue(*sa, Task{TaskKind::DeleteIke, nullptr, 0}, now);
  // Policies of ACL lines that no longer exist leave the data plane; the rest are replaced in
  // place by install_policies().
  for (auto it = impl_->reqids.begin(); it != impl_->reqids.end();) {
    const auto* e = impl_->policy->find_entry(it->second.map, it->second.seq);
    if (e && it->second.acl_index < e->acl.size()) {
      ++it;
      continue;
    }
    (void)impl_->dp.delete_policy(it->first);
    impl_->reqid_pool.give_back(it->first);
    impl_->reqid_of.erase({it->second.map, it->second.seq, it->second.acl_index});
    it = impl_->reqids.erase(it);
  }
}

void Engine::on_datagram(const Endpoint& local, const Endpoint& remote, ByteView data, TimePoint now) {
  impl_->on_datagram(local, remote, data, now);
}

void Engine::on_dataplane_event(const dataplane::Event& ev, TimePoint now) {
  auto& I = *impl_;
  switch (ev.kind) {
    case dataplane::Event::Kind::Acquire: {
      auto it = I.reqids.find(ev.reqid);
      if (it == I.reqids.end()) return;
      const auto* entry = I.policy->find_entry(it->second.map, it->second.seq);
      if (!entry) return;
      I.note(nullptr, Facility::Platform, 3,
             fmt::format("Packet {} -> {} matches crypto map {} seq {}: starting negotiation",
                         ev.packet.src_start.to_string(), ev.packet.dst_start.to_string(), entry->map, entry->seq));
      if (auto r = I.initiate(*entry, it->second.acl_index, now); !r)
        I.note(nullptr, Facility::Platform, 1, r.error().message);
      return;
    }
    case dataplane::Event::Kind::SoftExpire:
    case dataplane::Event::Kind::HardExpire:
    {
      auto [sa, c] = ev.direction == dataplane::Direction::Inbound ? I.find_child(ev.spi) : I.find_child_by_spi_out(ev.spi);
      if (!c) return;
      if (ev.kind == dataplane::Event::Kind::SoftExpire) {
        c->rekey_at = now;
      } else {
        c->expire_at = now;
      }
      std::uint64_t spi = sa->local_spi();
      sa->deadline = TimePoint::min();  // force a service pass
      I.service(*sa, now);
      if (IkeSa* still = I.find_sa(spi)) I.reschedule(*still);
      return;
    }
  }
}

void Engine::on_timer(TimePoint now) { impl_->on_timer(now); }

std::optional<TimePoint> Engine::next_deadline() const {
  auto& t = impl_->timers;
  while (!t.empty()) {
    const auto& e = t.top();
    IkeSa* sa = impl_->find_sa(e.spi);
    if (sa && sa->deadline == e.when) return e.when;
    t.pop();
  }
  return std::nullopt;
}

Result<void> Engine::initiate(const std::string& map, std::uint32_t seq, std::size_t acl_index, TimePoint now) {
  const auto* entry = impl_->policy->find_entry(map, seq);
  if (!entry) return fail("no crypto map " + map + " seq " + std::to_string(seq));
  return impl_->initiate(*entry, acl_index, now);
}

std::size_t Engine::clear_ike_sas(std::optional<IpAddress> peer, TimePoint now) {
  std::vector<std::uint64_t> victims = impl_->sas_of(peer);
  for (auto spi : victims) {
    IkeSa* sa = impl_->find_sa(spi);
    if (!sa) continue;
    if (sa->state == IkeState::READY) {
      // Send the Delete once, without waiting for the answer (as `clear` does on Cisco).
      Message m = impl_->new_message(*sa, ExchangeType::INFORMATIONAL, false, sa->next_request_mid);
      wire::DeletePayload d;
      d.protocol = ProtocolId::IKE;
      m.payloads.push_back(make(PayloadType::DELETE, std::move(d)));
      if (auto bytes = impl_->encode(*sa, m)) {
        impl_->packet(sa, m, true, impl_->local_for(*sa), sa->remote, bytes->size());
        impl_->transmit(*sa, *bytes);
      }
    }
    impl_->destroy(*sa, "cleared by operator");
  }
  (void)now;
  return victims.size();
}

std::size_t Engine::clear_child_sas(std::optional<IpAddress> peer, TimePoint now) {
  std::size_t n = 0;
  for (auto spi : impl_->sas_of(peer)) {
    IkeSa* sa = impl_->find_sa(spi);
    if (!sa || sa->state != IkeState::READY) continue;
    std::vector<std::uint32_t> live;
    for (auto& c : sa->children)
      if (!c->deleting) live.push_back(c->spi_in);
    for (auto spi_in : live) {
      if (ChildSa* c = sa->child_by_spi_in(spi_in)) impl_->delete_child(*sa, *c, now);
      ++n;
      if (!impl_->find_sa(spi)) break;
    }
  }
  return n;
}

void Engine::shutdown(TimePoint now) {
  clear_ike_sas(std::nullopt, now);
  for (const auto& [reqid, info] : impl_->reqids) (void)impl_->dp.delete_policy(reqid);
}

std::size_t Engine::ike_sa_count() const { return impl_->sas.size(); }

Result<void> Engine::check_indices() const {
  const auto& I = *impl_;
  std::size_t indexed = 0;
  for (const auto& [addr, p] : I.peers) {
    if (p.empty()) return fail("an empty peer entry for " + addr.to_string());
    indexed += p.usable.size() + p.replacing.size() + p.initiating.size() + p.other.size();
  }
  if (indexed != I.sas.size()) return fail(fmt::format("{} IKE SAs indexed by peer, {} in the table", indexed, I.sas.size()));
  std::size_t children = 0;
  for (const auto& [spi, sa] : I.sas) {
    auto it = I.peers.find(sa->remote.address);
    if (it == I.peers.end() || !Impl::peer_set(it->second, *sa).contains(spi))
      return fail(fmt::format("IKE SA {:016X} with {} ({}) is not indexed under its peer and state", spi,
                              sa->remote.address.to_string(), to_string(sa->state)));
    for (const auto& c : sa->children) {
      ++children;
      auto o = I.child_owner.find(c->spi_in);
      if (o == I.child_owner.end() || o->second != spi)
        return fail(fmt::format("CHILD SA 0x{:08x} is not indexed under its IKE SA {:016X}", c->spi_in, spi));
      auto has = [&](const auto& m, std::uint32_t key) {
        auto [b, e] = m.equal_range(key);
        return std::any_of(b, e, [&](const auto& kv) { return kv.second == c->spi_in; });
      };
      if (!has(I.child_by_spi_out, c->spi_out))
        return fail(fmt::format("CHILD SA 0x{:08x} is not indexed by its outbound SPI 0x{:08x}", c->spi_in, c->spi_out));
      if (!has(I.child_by_reqid, c->reqid))
        return fail(fmt::format("CHILD SA 0x{:08x} is not indexed by its reqid {}", c->spi_in, c->reqid));
    }
  }
  if (I.child_owner.size() != children || I.child_by_spi_out.size() != children || I.child_by_reqid.size() != children)
    return fail(fmt::format("{} CHILD SAs, indexed {} by inbound SPI, {} by outbound SPI, {} by reqid", children,
                            I.child_owner.size(), I.child_by_spi_out.size(), I.child_by_reqid.size()));
  return {};
}

std::vector<IkeSaInfo> Engine::snapshot(TimePoint now) const {
  std::vector<IkeSaInfo> out;
  for (const auto& [spi, sa] : impl_->sas) {
    IkeSaInfo i;
    i.id = sa->id;
    i.local = impl_->local_for(*sa);
    i.remote = sa->remote;
    i.status = sa->state == IkeState::READY ? "READY" : sa->state == IkeState::DELETING ? "DELETE" : "IN-NEG";
    i.initiator = sa->initiator;
    i.spi_local = sa->local_spi();
    i.spi_remote = sa->remote_spi();
    i.encr = sa->suite.encr;
    i.key_bits = sa->suite.key_bits;
    i.integ = sa->suite.integ;
    i.prf = sa->suite.prf;
    i.dh = sa->suite.dh;
    i.lifetime = sa->lifetime;
    i.active = std::chrono::duration_cast<std::chrono::seconds>(now - (sa->established == TimePoint{} ? sa->created : sa->established));
    i.local_id = sa->id_local_text;
    i.remote_id = sa->id_remote_text;
    i.local_req_mid = sa->next_request_mid;
    i.remote_req_mid = sa->expected_peer_mid;
    i.dpd_interval = impl_->policy->dpd.interval;
    i.dpd_retry = impl_->policy->dpd.retry;
    i.nat_local = sa->nat_local;
    i.nat_remote = sa->nat_remote;
    i.fragmentation = sa->peer_fragmentation;
    i.tunnel_group = sa->peer_name;
    for (const auto& c : sa->children) {
      ChildSaInfo ci;
      ci.map = c->map;
      ci.seq = c->seq;
      ci.acl_text = c->acl_text;
      ci.selector = c->selector;
      ci.spi_in = c->spi_in;
      ci.spi_out = c->spi_out;
      ci.encr = c->encr.id;
      ci.key_bits = c->encr.key_bits;
      ci.integ = c->integ;
      ci.pfs = c->pfs;
      ci.lifetime = c->lifetime;
      ci.remaining = std::chrono::duration_cast<std::chrono::seconds>(std::max(Duration::zero(), c->expire_at == kNever ? Duration::zero() : c->expire_at - now));
      ci.lifetime_kb = c->lifetime_kb;
      ci.nat_t = sa->nat_local || sa->nat_remote;
      if (ci.nat_t) {
        ci.encap_local_port = kNattPort;
        ci.encap_remote_port = sa->remote.port;
      }
      if (auto k = impl_->dp.counters(c->spi_in, dataplane::Direction::Inbound)) ci.in = *k;
      if (auto k = impl_->dp.counters(c->spi_out, dataplane::Direction::Outbound)) ci.out = *k;
      ci.reqid = c->reqid;
      i.children.push_back(std::move(ci));
    }
    out.push_back(std::move(i));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

}  // namespace ikegate::ikev2
