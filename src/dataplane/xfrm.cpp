#include "dataplane/xfrm.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

#include <fmt/format.h>

#include "dataplane/netlink.h"

namespace ikegate::dataplane {

namespace {

constexpr std::size_t kRecvBuf = 65536;
constexpr std::size_t kMsgBuf = 4096;
constexpr std::uint32_t kSpiMin = 0x100;  // RFC 4303 2.1: 1..255 are reserved

std::uint16_t family_of(const IpAddress& a) { return a.is_v4() ? AF_INET : AF_INET6; }

xfrm_address_t xaddr(const IpAddress& a) {
  xfrm_address_t x{};
  std::memcpy(&x, a.bytes().data(), a.bytes().size());
  return x;
}

IpAddress from_xaddr(const xfrm_address_t& x, std::uint16_t family) {
  auto ip = IpAddress::from_bytes({reinterpret_cast<const std::uint8_t*>(&x), family == AF_INET6 ? 16u : 4u});
  return ip ? *ip : IpAddress{};
}

void no_limits(xfrm_lifetime_cfg& l) {
  l.soft_byte_limit = l.hard_byte_limit = l.soft_packet_limit = l.hard_packet_limit = XFRM_INF;
}

std::uint64_t limit(std::uint64_t v) { return v == 0 ? XFRM_INF : v; }

std::vector<std::uint8_t> finish(const nlmsghdr* nlh) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(nlh);
  return {p, p + nlh->nlmsg_len};
}

}  // namespace

// ---- Message building (pure) ----
namespace xfrm {

Result<Algorithms> algorithms_for(EncrId encr, IntegId integ) {
  Algorithms a;
  switch (encr) {
    case EncrId::AES_GCM_8: case EncrId::AES_GCM_12: case EncrId::AES_GCM_16:
      if (integ != IntegId::NONE) return fail("AES-GCM is an AEAD transform; it takes no integrity algorithm");
      a.aead = true;
      a.encr = "rfc4106(gcm(aes))";
      a.icv_bits = encr == EncrId::AES_GCM_8 ? 64 : encr == EncrId::AES_GCM_12 ? 96 : 128;
      return a;
    case EncrId::AES_CBC: a.encr = "cbc(aes)"; break;
    case EncrId::AES_CTR: a.encr = "rfc3686(ctr(aes))"; break;
    case EncrId::TRIPLE_DES: a.encr = "cbc(des3_ede)"; break;
    case EncrId::DES: a.encr = "cbc(des)"; break;
    case EncrId::NULL_ENCR: a.encr = "ecb(cipher_null)"; break;
    default: return fail(fmt::format("ESP transform {} has no kernel algorithm", static_cast<int>(encr)));
  }
  switch (integ) {
    case IntegId::NONE:
      if (encr == EncrId::NULL_ENCR) return fail("ESP with neither encryption nor integrity");
      break;
    case IntegId::HMAC_MD5_96: a.integ = "hmac(md5)"; a.trunc_bits = 96; break;  // RFC 2403
    case IntegId::HMAC_SHA1_96: a.integ = "hmac(sha1)"; a.trunc_bits = 96; break;  // RFC 2404
    case IntegId::HMAC_SHA2_256_128: a.integ = "hmac(sha256)"; a.trunc_bits = 128; break;  // RFC 4868
    case IntegId::HMAC_SHA2_384_192: a.integ = "hmac(sha384)"; a.trunc_bits = 192; break;
    case IntegId::HMAC_SHA2_512_256: a.integ = "hmac(sha512)"; a.trunc_bits = 256; break;
  }
  return a;
}

std::vector<std::pair<std::uint16_t, std::uint16_t>> port_blocks(std::uint16_t lo, std::uint16_t hi) {
  std::vector<std::pair<std::uint16_t, std::uint16_t>> out;
  if (lo > hi) return out;
  if (lo == 0 && hi == 0xffff) return {{0, 0}};
  std::uint32_t cur = lo;
  while (cur <= hi) {
    std::uint32_t size = 1;
    while ((cur & (size * 2 - 1)) == 0 && cur + size * 2 - 1 <= hi && size < 0x8000) size *= 2;
    out.emplace_back(static_cast<std::uint16_t>(cur), static_cast<std::uint16_t>(~(size - 1) & 0xffff));
    cur += size;
  }
  return out;
}

std::vector<KernelPolicy> expand_policy(const PolicyParams& p, std::uint32_t kernel_reqid,
                                        std::uint32_t priority_base) {
  std::vector<KernelPolicy> out;
  const auto& s = p.selector;
  const auto srcs = range_to_prefixes(s.src_start, s.src_end);
  const auto dsts = range_to_prefixes(s.dst_start, s.dst_end);
  const auto sports = port_blocks(s.src_port_start, s.src_port_end);
  const auto dports = port_blocks(s.dst_port_start, s.dst_port_end);
  for (const auto& sp : srcs)
    for (const auto& dp : dsts)
      for (const auto& [sport, smask] : sports)
        for (const auto& [dport, dmask] : dports) {
          KernelSelector outbound{sp.address, dp.address, sp.length, dp.length, s.protocol, sport, smask, dport, dmask};
          KernelSelector inbound{dp.address, sp.address, dp.length, sp.length, s.protocol, dport, dmask, sport, smask};
          const std::uint32_t prio = priority_base + p.priority;
          out.push_back({PolicyDir::Out, outbound, prio, p.local, p.remote, kernel_reqid});
          out.push_back({PolicyDir::In, inbound, prio, p.remote, p.local, kernel_reqid});
          out.push_back({PolicyDir::Fwd, inbound, prio, p.remote, p.local, kernel_reqid});
        }
  return out;
}

namespace {

xfrm_selector kernel_selector(const KernelSelector& k) {
  xfrm_selector sel{};
  sel.family = family_of(k.src);
  sel.saddr = xaddr(k.src);
  sel.daddr = xaddr(k.dst);
  sel.prefixlen_s = static_cast<std::uint8_t>(k.src_len);
  sel.prefixlen_d = static_cast<std::uint8_t>(k.dst_len);
  sel.proto = k.proto;
  sel.sport = htons(k.sport);
  sel.sport_mask = htons(k.sport_mask);
  sel.dport = htons(k.dport);
  sel.dport_mask = htons(k.dport_mask);
  return sel;
}

// An algorithm attribute: the fixed head (name, key length, ...) followed by the key. The
// staging buffer is wiped; the message itself lives in a SecretBytes.
void put_keyed(nlmsghdr* nlh, std::uint16_t type, const void* head, std::size_t head_len, const SecretBytes& key) {
  std::array<std::uint8_t, 256> tmp{};
  std::memcpy(tmp.data(), head, head_len);
  std::memcpy(tmp.data() + head_len, key.data(), key.size());
  mnl_attr_put(nlh, type, head_len + key.size(), tmp.data());
  secure_wipe(tmp.data(), tmp.size());
}

template <class T>
void set_name(T& alg, const std::string& name) {
  std::memset(alg.alg_name, 0, sizeof alg.alg_name);
  std::memcpy(alg.alg_name, name.data(), std::min(name.size(), sizeof alg.alg_name - 1));
}

}  // namespace

Result<SecretBytes> sa_message(const SaParams& p, std::uint32_t kernel_reqid, bool update) {
  auto alg = algorithms_for(p.encr, p.integ);
  if (!alg) return std::unexpected(alg.error());
  if (p.local.family() != p.remote.family())
    return fail("the tunnel endpoints of an SA must be of one address family");
  const std::size_t salt = (alg->aead || p.encr == EncrId::AES_CTR) ? 4 : 0;  // RFC 4106 8.1, RFC 3686 5.1
  if (p.key_bits != 0 && p.encr != EncrId::NULL_ENCR && p.encr_key.size() != p.key_bits / 8u + salt)
    return fail(fmt::format("encryption key of {} octets for a {}-bit {} key{}", p.encr_key.size(), p.key_bits,
                            alg->encr, salt ? " plus its 4-octet salt" : ""));
  if (p.encr_key.size() > 64 || p.integ_key.size() > 128) return fail("key longer than any ESP algorithm takes");
  std::uint32_t window = p.replay_window;
  if (p.esn && window == 0) window = 32;  // the kernel's ESN mode always keeps a bitmap
  if (window > 4096) return fail(fmt::format("replay window {} is larger than the kernel's 4096", window));

  SecretBytes buf(kMsgBuf);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA;
  nlh->nlmsg_flags = NLM_F_REQUEST | (update ? 0 : NLM_F_CREATE | NLM_F_EXCL);
  auto* sa = static_cast<xfrm_usersa_info*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_usersa_info)));
  const bool in = p.direction == Direction::Inbound;
  const IpAddress& src = in ? p.remote : p.local;
  const IpAddress& dst = in ? p.local : p.remote;
  sa->id.daddr = xaddr(dst);
  sa->id.spi = htonl(p.spi);
  sa->id.proto = IPPROTO_ESP;
  sa->saddr = xaddr(src);
  sa->family = family_of(dst);
  sa->mode = XFRM_MODE_TUNNEL;
  sa->reqid = kernel_reqid;
  sa->lft.soft_byte_limit = limit(p.soft_bytes);
  sa->lft.hard_byte_limit = limit(p.hard_bytes);
  sa->lft.soft_packet_limit = limit(p.soft_packets);
  sa->lft.hard_packet_limit = limit(p.hard_packets);
  // add-time limits, in seconds since installation (0: none). The kernel measures them against
  // the wall clock when its (monotonic) timer fires, so a forward clock step can turn the
  // first timer into an immediate hard expiry; soft is therefore never earlier than the
  // engine's own deletion (dataplane.h), and the step costs nothing.
  // The kernel's soft limit sits halfway between the lifetime and the hard limit: at exactly the
  // lifetime it raced the engine's own deletion of an SA it had already rekeyed (IKEv1 keeps
  // the old SA until then) and started a second rekey of it.
  sa->lft.soft_add_expires_seconds =
      p.soft_seconds && p.hard_seconds > p.soft_seconds ? p.soft_seconds + (p.hard_seconds - p.soft_seconds) / 2
                                                        : p.soft_seconds;
  sa->lft.hard_add_expires_seconds = p.hard_seconds;
  // The legacy 32-bit replay state covers windows up to 32; beyond that, and for ESN, the
  // bitmap attribute (and then replay_window must be 0).
  if (p.esn || window > 32) {
    std::array<std::uint8_t, sizeof(xfrm_replay_state_esn) + 4096 / 8> esn{};
    auto* r = reinterpret_cast<xfrm_replay_state_esn*>(esn.data());
    r->bmp_len = (window + 31) / 32;
    r->replay_window = window;
    mnl_attr_put(nlh, XFRMA_REPLAY_ESN_VAL, sizeof(xfrm_replay_state_esn) + r->bmp_len * 4, esn.data());
    if (p.esn) sa->flags |= XFRM_STATE_ESN;
  } else {
    sa->replay_window = static_cast<std::uint8_t>(window);
  }
  if (alg->aead) {
    xfrm_algo_aead head{};
    set_name(head, alg->encr);
    head.alg_key_len = static_cast<unsigned>(p.encr_key.size() * 8);
    head.alg_icv_len = alg->icv_bits;
    put_keyed(nlh, XFRMA_ALG_AEAD, &head, sizeof head, p.encr_key);
  } else {
    xfrm_algo head{};
    set_name(head, alg->encr);
    head.alg_key_len = static_cast<unsigned>(p.encr_key.size() * 8);
    put_keyed(nlh, XFRMA_ALG_CRYPT, &head, sizeof head, p.encr_key);
    if (!alg->integ.empty()) {
      xfrm_algo_auth auth{};
      set_name(auth, alg->integ);
      auth.alg_key_len = static_cast<unsigned>(p.integ_key.size() * 8);
      auth.alg_trunc_len = alg->trunc_bits;
      put_keyed(nlh, XFRMA_ALG_AUTH_TRUNC, &auth, sizeof auth, p.integ_key);
    }
  }
  if (p.encap_local_port && p.encap_remote_port) {
    xfrm_encap_tmpl e{};
    e.encap_type = UDP_ENCAP_ESPINUDP;
    e.encap_sport = htons(in ? *p.encap_remote_port : *p.encap_local_port);
    e.encap_dport = htons(in ? *p.encap_local_port : *p.encap_remote_port);
    mnl_attr_put(nlh, XFRMA_ENCAP, sizeof e, &e);
  }
  buf.resize(nlh->nlmsg_len);
  return buf;
}

std::vector<std::uint8_t> policy_message(const KernelPolicy& p, bool remove) {
  std::array<char, kMsgBuf> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_flags = NLM_F_REQUEST;
  if (remove) {
    nlh->nlmsg_type = XFRM_MSG_DELPOLICY;
    auto* id = static_cast<xfrm_userpolicy_id*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userpolicy_id)));
    id->sel = kernel_selector(p.sel);
    id->dir = static_cast<std::uint8_t>(p.dir);
    return finish(nlh);
  }
  nlh->nlmsg_type = XFRM_MSG_UPDPOLICY;  // creates or replaces in place (a reload)
  auto* pi = static_cast<xfrm_userpolicy_info*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userpolicy_info)));
  pi->sel = kernel_selector(p.sel);
  no_limits(pi->lft);
  pi->lft.soft_add_expires_seconds = pi->lft.hard_add_expires_seconds = 0;
  pi->priority = p.priority;
  pi->dir = static_cast<std::uint8_t>(p.dir);
  pi->action = XFRM_POLICY_ALLOW;
  xfrm_user_tmpl t{};
  t.id.daddr = xaddr(p.tmpl_dst);
  t.id.proto = IPPROTO_ESP;
  t.family = family_of(p.tmpl_dst);
  t.saddr = xaddr(p.tmpl_src);
  t.reqid = p.reqid;
  t.mode = XFRM_MODE_TUNNEL;
  t.aalgos = t.ealgos = t.calgos = ~0u;
  mnl_attr_put(nlh, XFRMA_TMPL, sizeof t, &t);
  return finish(nlh);
}

std::vector<std::uint8_t> allocspi_message(std::uint32_t kernel_reqid) {
  std::array<char, kMsgBuf> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = XFRM_MSG_ALLOCSPI;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* u = static_cast<xfrm_userspi_info*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userspi_info)));
  // A reservation on 0.0.0.0: the engine asks before it knows the addresses. The kernel picks
  // a random SPI in [min, max] unused by any state on that destination.
  u->info.id.proto = IPPROTO_ESP;
  u->info.family = AF_INET;
  u->info.mode = XFRM_MODE_TUNNEL;
  u->info.reqid = kernel_reqid;
  u->min = kSpiMin;
  u->max = 0xffffffffu;
  return finish(nlh);
}

std::optional<KernelEvent> parse_event(ByteView message) {
  if (message.size() < sizeof(nlmsghdr)) return std::nullopt;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  if (nlh->nlmsg_len > message.size() || nlh->nlmsg_len < sizeof(nlmsghdr)) return std::nullopt;
  const std::size_t payload = nlh->nlmsg_len - NLMSG_HDRLEN;
  const auto* body = reinterpret_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(nlh));
  KernelEvent ev;
  if (nlh->nlmsg_type == XFRM_MSG_ACQUIRE) {
    if (payload < sizeof(xfrm_user_acquire)) return std::nullopt;
    xfrm_user_acquire a;
    std::memcpy(&a, body, sizeof a);
    ev.kind = Event::Kind::Acquire;
    bool found = false;
    const std::size_t off = MNL_ALIGN(sizeof(xfrm_user_acquire));
    const auto* attr = reinterpret_cast<const nlattr*>(body + off);
    int left = static_cast<int>(payload) - static_cast<int>(off);
    for (; left > 0 && mnl_attr_ok(attr, left); left -= MNL_ALIGN(attr->nla_len), attr = mnl_attr_next(attr)) {
      if (mnl_attr_get_type(attr) != XFRMA_TMPL || mnl_attr_get_payload_len(attr) < sizeof(xfrm_user_tmpl)) continue;
      xfrm_user_tmpl t;
      std::memcpy(&t, mnl_attr_get_payload(attr), sizeof t);
      ev.reqid = t.reqid;
      found = true;
      break;
    }
    if (!found) return std::nullopt;
    const std::uint16_t fam = a.sel.family ? a.sel.family : a.policy.sel.family;
    auto& pk = ev.packet;
    pk.src_start = pk.src_end = from_xaddr(a.sel.saddr, fam);
    pk.dst_start = pk.dst_end = from_xaddr(a.sel.daddr, fam);
    pk.protocol = a.sel.proto;
    if (a.sel.sport_mask) pk.src_port_start = pk.src_port_end = ntohs(a.sel.sport);
    if (a.sel.dport_mask) pk.dst_port_start = pk.dst_port_end = ntohs(a.sel.dport);
    return ev;
  }
  if (nlh->nlmsg_type == XFRM_MSG_EXPIRE) {
    if (payload < sizeof(xfrm_user_expire)) return std::nullopt;
    xfrm_user_expire e;
    std::memcpy(&e, body, sizeof e);
    ev.kind = e.hard ? Event::Kind::HardExpire : Event::Kind::SoftExpire;
    ev.reqid = e.state.reqid;
    ev.spi = ntohl(e.state.id.spi);
    ev.daddr = from_xaddr(e.state.id.daddr, e.state.family);
    return ev;
  }
  return std::nullopt;
}

namespace {
// The payload of the first attribute of `type` (at least `size` octets) after the message's
// fixed header; nullptr if there is none.
const void* find_attr(const nlmsghdr* nlh, std::size_t header, std::uint16_t type, std::size_t size) {
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, header));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
    if (mnl_attr_get_type(a) == type && mnl_attr_get_payload_len(a) >= size) return mnl_attr_get_payload(a);
  return nullptr;
}
}  // namespace

std::optional<KernelDeletion> parse_deletion(ByteView message) {
  if (message.size() < sizeof(nlmsghdr)) return std::nullopt;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  if (nlh->nlmsg_len > message.size() || nlh->nlmsg_len < sizeof(nlmsghdr)) return std::nullopt;
  const std::size_t payload = nlh->nlmsg_len - NLMSG_HDRLEN;
  KernelDeletion d;
  d.portid = nlh->nlmsg_pid;
  switch (nlh->nlmsg_type) {
    case XFRM_MSG_FLUSHSA: d.what = KernelDeletion::What::FlushSa; return d;
    case XFRM_MSG_FLUSHPOLICY: d.what = KernelDeletion::What::FlushPolicy; return d;
    case XFRM_MSG_DELSA: {
      // xfrm_usersa_id, then XFRMA_SA with the whole state (the kernel's xfrm_notify_sa).
      if (payload < sizeof(xfrm_usersa_id)) return std::nullopt;
      xfrm_usersa_id id;
      std::memcpy(&id, mnl_nlmsg_get_payload(nlh), sizeof id);
      d.what = KernelDeletion::What::Sa;
      d.spi = ntohl(id.spi);
      d.daddr = from_xaddr(id.daddr, id.family);
      if (const void* a = find_attr(nlh, sizeof(xfrm_usersa_id), XFRMA_SA, sizeof(xfrm_usersa_info))) {
        xfrm_usersa_info sa;
        std::memcpy(&sa, a, sizeof sa);
        d.reqid = sa.reqid;
      }
      return d;
    }
    case XFRM_MSG_DELPOLICY:
      // xfrm_userpolicy_id, then XFRMA_POLICY and the templates (xfrm_notify_policy).
      if (payload < sizeof(xfrm_userpolicy_id)) return std::nullopt;
      d.what = KernelDeletion::What::Policy;
      if (const void* a = find_attr(nlh, sizeof(xfrm_userpolicy_id), XFRMA_TMPL, sizeof(xfrm_user_tmpl))) {
        xfrm_user_tmpl t;  // the first template's reqid
        std::memcpy(&t, a, sizeof t);
        d.reqid = t.reqid;
      }
      return d;
    default: return std::nullopt;
  }
}

}  // namespace xfrm

// ---- The netlink socket ----
namespace {

struct MnlFree {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

class XfrmSocket {
 public:
  static Result<XfrmSocket> open(unsigned groups, int protocol = NETLINK_XFRM) {
    XfrmSocket s;
    s.sock_.reset(mnl_socket_open(protocol));
    if (!s.sock_) return fail(fmt::format("XFRM netlink: socket: {}", std::strerror(errno)));
    if (mnl_socket_bind(s.sock_.get(), groups, MNL_SOCKET_AUTOPID) < 0)
      return fail(fmt::format("XFRM netlink: bind: {}", std::strerror(errno)));
    s.portid_ = mnl_socket_get_portid(s.sock_.get());
    s.seq_ = static_cast<std::uint32_t>(::time(nullptr));
    if (groups == 0) {  // requests: a kernel that never answers is an error, not a hang
      timeval tv{5, 0};
      (void)::setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    return s;
  }
  int fd() const { return mnl_socket_get_fd(sock_.get()); }
  std::uint32_t portid() const { return portid_; }

  // Sends one request and reads until its acknowledgement (or the end of a dump); data
  // messages go to cb. Returns 0 or the kernel's errno.
  // (NLM_F_DUMP shares bits with NLM_F_CREATE/NLM_F_EXCL, so a dump is said, not inferred.)
  int request(void* msg, mnl_cb_t cb = nullptr, void* data = nullptr, bool dump = false) {
    auto* nlh = static_cast<nlmsghdr*>(msg);
    nlh->nlmsg_flags |= NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
    nlh->nlmsg_seq = ++seq_;
    // The kernel copies this into the notifications the request causes (XFRMNLGRP_SA/POLICY),
    // which is how the data plane tells its own deletions from someone else's.
    nlh->nlmsg_pid = portid_;
    if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0) return errno;
    std::vector<char> buf(kRecvBuf);
    for (int rounds = 0; rounds < 100000; ++rounds) {
      const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
      if (n < 0) return errno;
      const int r = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), nlh->nlmsg_seq, portid_, cb, data);
      if (r == MNL_CB_ERROR) return errno ? errno : EIO;
      if (r == MNL_CB_STOP) return 0;
    }
    return EIO;
  }

 private:
  std::unique_ptr<mnl_socket, MnlFree> sock_;
  std::uint32_t portid_ = 0, seq_ = 0;
};

Result<void> errno_result(int err, std::string_view what) {
  if (err == 0) return {};
  return fail(fmt::format("{}: {}", what, std::strerror(err)));
}

std::vector<std::uint8_t> state_id_message(std::uint16_t type, const IpAddress& daddr, std::uint32_t spi) {
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* id = static_cast<xfrm_usersa_id*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_usersa_id)));
  id->daddr = xaddr(daddr);
  id->spi = htonl(spi);
  id->family = family_of(daddr);
  id->proto = IPPROTO_ESP;
  return finish(nlh);
}

bool in_range(std::uint32_t reqid, const XfrmOptions& o) {
  return reqid >= o.reqid_base && reqid - o.reqid_base < kXfrmReqidSpan;
}

// Deletes every state and policy with a reqid in our range.
Result<int> sweep(XfrmSocket& s, const XfrmOptions& o) {
  struct Ctx {
    const XfrmOptions* o;
    std::vector<std::vector<std::uint8_t>> doomed;
  } ctx{&o, {}};
  auto dump = [&](std::uint16_t type, std::size_t header, mnl_cb_t cb, const char* what) -> Result<void> {
    std::array<char, 512> buf{};
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    mnl_nlmsg_put_extra_header(nlh, header);
    if (int e = s.request(nlh, cb, &ctx, true)) return fail(fmt::format("XFRM {} dump: {}", what, std::strerror(e)));
    return {};
  };
  // States.
  {
    auto cb = [](const nlmsghdr* m, void* data) -> int {
      auto* c = static_cast<Ctx*>(data);
      if (m->nlmsg_type != XFRM_MSG_NEWSA || mnl_nlmsg_get_payload_len(m) < sizeof(xfrm_usersa_info)) return MNL_CB_OK;
      xfrm_usersa_info sa;
      std::memcpy(&sa, mnl_nlmsg_get_payload(m), sizeof sa);
      if (!in_range(sa.reqid, *c->o)) return MNL_CB_OK;
      std::array<char, 512> del{};
      nlmsghdr* d = mnl_nlmsg_put_header(del.data());
      d->nlmsg_type = XFRM_MSG_DELSA;
      auto* id = static_cast<xfrm_usersa_id*>(mnl_nlmsg_put_extra_header(d, sizeof(xfrm_usersa_id)));
      id->daddr = sa.id.daddr;
      id->spi = sa.id.spi;
      id->family = sa.family;
      id->proto = sa.id.proto;
      c->doomed.push_back(finish(d));
      return MNL_CB_OK;
    };
    if (auto r = dump(XFRM_MSG_GETSA, sizeof(xfrm_usersa_info), cb, "state"); !r) return std::unexpected(r.error());
  }
  // Policies: ours have a template with our reqid.
  {
    auto cb = [](const nlmsghdr* m, void* data) -> int {
      auto* c = static_cast<Ctx*>(data);
      if (m->nlmsg_type != XFRM_MSG_NEWPOLICY || mnl_nlmsg_get_payload_len(m) < sizeof(xfrm_userpolicy_info))
        return MNL_CB_OK;
      xfrm_userpolicy_info pi;
      std::memcpy(&pi, mnl_nlmsg_get_payload(m), sizeof pi);
      bool ours = false;
      const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
      for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(xfrm_userpolicy_info)));
           mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a)) {
        if (mnl_attr_get_type(a) != XFRMA_TMPL) continue;
        const std::size_t n = mnl_attr_get_payload_len(a) / sizeof(xfrm_user_tmpl);
        const auto* raw = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
        for (std::size_t i = 0; i < n; ++i) {
          xfrm_user_tmpl t;
          std::memcpy(&t, raw + i * sizeof t, sizeof t);
          if (in_range(t.reqid, *c->o)) ours = true;
        }
      }
      if (!ours) return MNL_CB_OK;
      std::array<char, 512> del{};
      nlmsghdr* d = mnl_nlmsg_put_header(del.data());
      d->nlmsg_type = XFRM_MSG_DELPOLICY;
      auto* id = static_cast<xfrm_userpolicy_id*>(mnl_nlmsg_put_extra_header(d, sizeof(xfrm_userpolicy_id)));
      id->sel = pi.sel;
      id->index = pi.index;
      id->dir = pi.dir;
      c->doomed.push_back(finish(d));
      return MNL_CB_OK;
    };
    if (auto r = dump(XFRM_MSG_GETPOLICY, sizeof(xfrm_userpolicy_info), cb, "policy"); !r)
      return std::unexpected(r.error());
  }
  int removed = 0;
  for (auto& m : ctx.doomed)
    if (s.request(m.data()) == 0) ++removed;
  return removed;
}

// ---- Routes for the protected destinations (rtnetlink) ----

struct PeerRoute {
  std::uint32_t oif = 0;
  std::optional<IpAddress> gateway;
};

std::optional<PeerRoute> route_to(XfrmSocket& rt, const IpAddress& dst) {
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETROUTE;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<std::uint8_t>(family_of(dst));
  rtm->rtm_dst_len = static_cast<std::uint8_t>(dst.bytes().size() * 8);
  mnl_attr_put(nlh, RTA_DST, dst.bytes().size(), dst.bytes().data());
  struct Ctx {
    PeerRoute r;
    bool found = false;
  } ctx;
  auto cb = [](const nlmsghdr* m, void* data) -> int {
    auto* c = static_cast<Ctx*>(data);
    if (m->nlmsg_type != RTM_NEWROUTE) return MNL_CB_OK;
    c->found = true;
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
    for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(rtmsg)));
         mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a)) {
      if (mnl_attr_get_type(a) == RTA_OIF) c->r.oif = mnl_attr_get_u32(a);
      if (mnl_attr_get_type(a) == RTA_GATEWAY)
        c->r.gateway = IpAddress::from_bytes(
            {static_cast<const std::uint8_t*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a)});
    }
    return MNL_CB_OK;
  };
  if (rt.request(nlh, cb, &ctx) != 0 || !ctx.found || ctx.r.oif == 0) return std::nullopt;
  return ctx.r;
}

using PrefixKey = std::pair<IpAddress, int>;

int route_request(XfrmSocket& rt, bool add, std::uint32_t table, const PrefixKey& dst, const PeerRoute& via) {
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
  nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<std::uint8_t>(family_of(dst.first));
  rtm->rtm_dst_len = static_cast<std::uint8_t>(dst.second);
  rtm->rtm_table = static_cast<std::uint8_t>(table < 256 ? table : std::uint32_t{RT_TABLE_UNSPEC});
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = via.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_TABLE, table);
  mnl_attr_put(nlh, RTA_DST, dst.first.bytes().size(), dst.first.bytes().data());
  if (add) {
    mnl_attr_put_u32(nlh, RTA_OIF, via.oif);
    if (via.gateway) mnl_attr_put(nlh, RTA_GATEWAY, via.gateway->bytes().size(), via.gateway->bytes().data());
  }
  return rt.request(nlh);
}

// Deletes every route of `table` (both families); returns how many.
int flush_table(XfrmSocket& rt, std::uint32_t table) {
  std::vector<std::vector<std::uint8_t>> doomed;
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETROUTE;
  mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg));
  struct Ctx {
    std::uint32_t table;
    std::vector<std::vector<std::uint8_t>>* doomed;
  } ctx{table, &doomed};
  auto cb = [](const nlmsghdr* m, void* data) -> int {
    auto* c = static_cast<Ctx*>(data);
    if (m->nlmsg_type != RTM_NEWROUTE) return MNL_CB_OK;
    const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
    std::uint32_t t = rtm->rtm_table;
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
    for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(rtmsg)));
         mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
      if (mnl_attr_get_type(a) == RTA_TABLE) t = mnl_attr_get_u32(a);
    if (t != c->table) return MNL_CB_OK;
    std::vector<std::uint8_t> copy(reinterpret_cast<const std::uint8_t*>(m),
                                   reinterpret_cast<const std::uint8_t*>(m) + m->nlmsg_len);
    auto* d = reinterpret_cast<nlmsghdr*>(copy.data());
    d->nlmsg_type = RTM_DELROUTE;
    d->nlmsg_flags = 0;
    c->doomed->push_back(std::move(copy));
    return MNL_CB_OK;
  };
  if (rt.request(nlh, cb, &ctx, true) != 0) return 0;
  int n = 0;
  for (auto& m : doomed)
    if (rt.request(m.data()) == 0) ++n;
  return n;
}

// Routes and rules of one data plane instance: a route per remote prefix and a rule
// `to PREFIX lookup TABLE`, shared by policies (two ACL lines to one host share them), so each
// is counted.
class Routing {
 public:
  Routing(const XfrmOptions& o, XfrmSocket rt, Netlink rules) : o_(o), rt_(std::move(rt)), rules_(std::move(rules)) {}

  void add(std::uint32_t reqid, const std::vector<xfrm::KernelPolicy>& policies, const IpAddress& peer) {
    remove(reqid);
    const auto via = route_to(rt_, peer);
    auto& mine = of_[reqid];
    for (const auto& k : policies) {
      if (k.dir != xfrm::PolicyDir::Out) continue;
      const PrefixKey dst{k.sel.dst, k.sel.dst_len};
      if (via) {
        if (routes_[dst]++ == 0) (void)route_request(rt_, true, o_.route_table, dst, *via);
        mine.routes.push_back(dst);
      }
      // `to DST` only: a packet the gateway sends itself is routed before it has a source.
      RuleSpec r;
      r.family = k.sel.dst.family();
      r.dst = Prefix{k.sel.dst, k.sel.dst_len};
      r.priority = o_.rule_priority;
      r.table = o_.route_table;
      if (rules_count_[dst]++ == 0) (void)rules_.add_rule(r);
      mine.rules.push_back(r);
    }
  }

  void remove(std::uint32_t reqid) {
    auto it = of_.find(reqid);
    if (it == of_.end()) return;
    for (const auto& r : it->second.rules) {
      const PrefixKey key{r.dst->address, r.dst->length};
      if (--rules_count_[key] == 0) {
        rules_count_.erase(key);
        (void)rules_.delete_rule(r);
      }
    }
    for (const auto& dst : it->second.routes) {
      auto rc = routes_.find(dst);
      if (rc == routes_.end()) continue;
      if (--rc->second == 0) {
        routes_.erase(rc);
        (void)route_request(rt_, false, o_.route_table, dst, {});
      }
    }
    of_.erase(it);
  }

  int clear() {
    of_.clear();
    routes_.clear();
    rules_count_.clear();
    return sweep_routing(rules_, rt_, o_);
  }

  static int sweep_routing(Netlink& rules, XfrmSocket& rt, const XfrmOptions& o) {
    auto r = rules.delete_rules_of_table(o.route_table, 1, 0);  // an empty range: no fwmark rules
    return (r ? *r : 0) + flush_table(rt, o.route_table);
  }

 private:
  struct Owned {
    std::vector<PrefixKey> routes;
    std::vector<RuleSpec> rules;
  };
  XfrmOptions o_;
  XfrmSocket rt_;
  Netlink rules_;
  std::map<std::uint32_t, Owned> of_;
  std::map<PrefixKey, int> routes_;
  std::map<PrefixKey, int> rules_count_;
};

// net.core.xfrm_larval_drop of the caller's network namespace; nullopt if unreadable.
constexpr const char* kLarvalDrop = "/proc/sys/net/core/xfrm_larval_drop";
std::optional<int> read_larval_drop() {
  std::ifstream in(kLarvalDrop);
  int v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}
bool write_larval_drop(int v) {
  std::ofstream out(kLarvalDrop);
  out << v << '\n';
  return static_cast<bool>(out.flush());
}

std::uint32_t random_u32() {
  std::uint32_t v = 0;
  while (getrandom(&v, sizeof v, 0) != sizeof v) {
  }
  return v;
}

// ---- The data plane ----

class XfrmDataPlane final : public DataPlane {
 public:
  XfrmDataPlane(XfrmOptions o, XfrmSocket req, XfrmSocket events, Routing routing)
      : o_(o), req_(std::move(req)), events_(std::move(events)), routing_(std::move(routing)) {
    if (o_.hold_acquire_packets) {
      larval_drop_ = read_larval_drop();
      if (larval_drop_ && *larval_drop_ != 0 && !write_larval_drop(0)) larval_drop_.reset();
    }
  }
  ~XfrmDataPlane() override { (void)shutdown(); }

  std::string_view name() const override { return "xfrm"; }

  Result<std::uint32_t> allocate_spi() override {
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto msg = xfrm::allocspi_message(o_.reqid_base);
      std::uint32_t spi = 0;
      auto cb = [](const nlmsghdr* m, void* data) -> int {
        if (m->nlmsg_type == XFRM_MSG_NEWSA && mnl_nlmsg_get_payload_len(m) >= sizeof(xfrm_usersa_info)) {
          xfrm_usersa_info sa;
          std::memcpy(&sa, mnl_nlmsg_get_payload(m), sizeof sa);
          *static_cast<std::uint32_t*>(data) = ntohl(sa.id.spi);
        }
        return MNL_CB_OK;
      };
      if (int e = req_.request(msg.data(), cb, &spi)) return fail(fmt::format("XFRM SPI allocation: {}", std::strerror(e)));
      if (spi < kSpiMin) return fail("XFRM SPI allocation: the kernel returned no SPI");
      // The kernel checks uniqueness per destination; ours must also hold across them.
      if (sas_.contains({spi, Direction::Inbound}) || reserved_.contains(spi)) continue;
      reserved_.insert(spi);
      return spi;
    }
    return fail("XFRM SPI allocation: no unused SPI after 8 attempts");
  }

  Result<void> add_sa(const SaParams& p) override {
    auto kr = kernel_reqid(p.reqid);
    if (!kr) return std::unexpected(kr.error());
    if (sas_.contains({p.spi, p.direction}))
      return fail(fmt::format("an {} SA with SPI 0x{:08x} is already installed", to_string(p.direction), p.spi));
    auto msg = xfrm::sa_message(p, *kr, false);
    if (!msg) return std::unexpected(msg.error());
    if (int e = req_.request(msg->data()))
      return errno_result(e, fmt::format("XFRM: adding the {} ESP SA 0x{:08x}", to_string(p.direction), p.spi));
    const IpAddress& daddr = p.direction == Direction::Inbound ? p.local : p.remote;
    sas_[{p.spi, p.direction}] = daddr;
    reqid_of_[{p.spi, p.direction}] = p.reqid;
    if (p.direction == Direction::Inbound) release_reservation(p.spi);
    return {};
  }

  Result<void> delete_sa(std::uint32_t spi, Direction d) override {
    auto it = sas_.find({spi, d});
    if (it == sas_.end()) return {};
    auto msg = state_id_message(XFRM_MSG_DELSA, it->second, spi);
    sas_.erase(it);
    reqid_of_.erase({spi, d});
    const int e = req_.request(msg.data());
    if (e == ESRCH || e == ENOENT) return {};  // a hard expiry removed it already
    return errno_result(e, fmt::format("XFRM: deleting the {} ESP SA 0x{:08x}", to_string(d), spi));
  }

  Result<void> add_policy(const PolicyParams& p) override {
    auto kr = kernel_reqid(p.reqid);
    if (!kr) return std::unexpected(kr.error());
    if (p.local.family() != p.remote.family() || p.selector.src_start.family() != p.selector.dst_start.family())
      return fail("a policy mixes IPv4 and IPv6");
    auto wanted = xfrm::expand_policy(p, *kr, o_.priority_base);
    auto& have = policies_[p.reqid];
    for (const auto& old : have)
      if (std::find(wanted.begin(), wanted.end(), old) == wanted.end()) {
        auto msg = xfrm::policy_message(old, true);
        (void)req_.request(msg.data());
      }
    have.clear();
    for (const auto& k : wanted) {
      auto msg = xfrm::policy_message(k, false);
      if (int e = req_.request(msg.data()))
        return errno_result(e, fmt::format("XFRM: installing the policy of crypto map {} seq {}", p.crypto_map, p.seq));
      have.push_back(k);
    }
    routing_.add(p.reqid, wanted, p.remote);
    return {};
  }

  Result<void> delete_policy(std::uint32_t reqid) override {
    auto it = policies_.find(reqid);
    if (it == policies_.end()) return {};
    int first_error = 0;
    for (const auto& k : it->second) {
      auto msg = xfrm::policy_message(k, true);
      const int e = req_.request(msg.data());
      if (e && e != ENOENT && !first_error) first_error = e;
    }
    policies_.erase(it);
    routing_.remove(reqid);
    return errno_result(first_error, "XFRM: deleting a policy");
  }

  std::optional<SaCounters> counters(std::uint32_t spi, Direction d) const override {
    auto it = sas_.find({spi, d});
    if (it == sas_.end()) return std::nullopt;
    auto msg = state_id_message(XFRM_MSG_GETSA, it->second, spi);
    std::optional<xfrm_usersa_info> info;
    auto cb = [](const nlmsghdr* m, void* data) -> int {
      if (m->nlmsg_type == XFRM_MSG_NEWSA && mnl_nlmsg_get_payload_len(m) >= sizeof(xfrm_usersa_info)) {
        xfrm_usersa_info sa;
        std::memcpy(&sa, mnl_nlmsg_get_payload(m), sizeof sa);
        *static_cast<std::optional<xfrm_usersa_info>*>(data) = sa;
      }
      return MNL_CB_OK;
    };
    if (req_.request(msg.data(), cb, &info) != 0 || !info) return std::nullopt;
    SaCounters c;
    c.packets = c.encaps_or_decaps = c.encrypt_or_decrypt = c.digest_or_verify = info->curlft.packets;
    c.bytes = info->curlft.bytes;
    c.replay_failures = info->stats.replay;
    c.auth_failures = info->stats.integrity_failed;
    c.recv_errors = d == Direction::Inbound ? info->stats.replay + info->stats.integrity_failed : 0;
    return c;
  }

  int event_fd() const override { return events_.fd(); }

  std::vector<Event> drain_events() override {
    std::vector<Event> out;
    // XFRMNLGRP_SA also brings every new state with its keys: the buffer is wiped.
    SecretBytes buf(kRecvBuf);
    for (int i = 0; i < 1024; ++i) {
      const ssize_t n = ::recv(events_.fd(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0 && errno == ENOBUFS) {
        // Notifications were lost (a burst of NEWSAs): check our states and policies instead.
        repair({xfrm::KernelDeletion::What::FlushSa}, out);
        repair({xfrm::KernelDeletion::What::FlushPolicy}, out);
        continue;
      }
      if (n <= 0) break;  // EAGAIN: drained
      std::size_t off = 0;
      while (off + sizeof(nlmsghdr) <= static_cast<std::size_t>(n)) {
        const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data() + off);
        if (nlh->nlmsg_len < sizeof(nlmsghdr) || off + nlh->nlmsg_len > static_cast<std::size_t>(n)) break;
        const ByteView msg{buf.data() + off, nlh->nlmsg_len};
        if (auto ev = xfrm::parse_event(msg)) translate(*ev, out);
        else if (auto del = xfrm::parse_deletion(msg)) repair(*del, out);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
      }
    }
    return out;
  }

  // ESP-in-UDP never reaches the daemon: the kernel decapsulates it on the encap socket.
  void inject_udp_esp(ByteView, const Endpoint&, const Endpoint&) override {}

  void set_encap_socket(int fd) override {
    if (fd < 0) {
      for (int f : encap_fds_) {
        int zero = 0;
        (void)::setsockopt(f, IPPROTO_UDP, UDP_ENCAP, &zero, sizeof zero);
      }
      encap_fds_.clear();
      return;
    }
    int type = UDP_ENCAP_ESPINUDP;
    (void)::setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof type);
    exempt_ike_socket(fd);
    encap_fds_.push_back(fd);
  }

  // A per-socket policy (IP_XFRM_POLICY, as strongSwan's kernel-netlink sets on its IKE
  // sockets): "allow", no template, in and out. Socket policies are looked up before the SPD,
  // so IKE on this socket bypasses our policies even when a selector covers the gateways.
  void exempt_ike_socket(int fd) override {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
    for (std::uint8_t dir : {std::uint8_t{XFRM_POLICY_IN}, std::uint8_t{XFRM_POLICY_OUT}}) {
      xfrm_userpolicy_info pol{};
      pol.action = XFRM_POLICY_ALLOW;
      pol.sel.family = ss.ss_family;
      pol.dir = dir;
      no_limits(pol.lft);
      const int r = ss.ss_family == AF_INET6 ? ::setsockopt(fd, IPPROTO_IPV6, IPV6_XFRM_POLICY, &pol, sizeof pol)
                                             : ::setsockopt(fd, IPPROTO_IP, IP_XFRM_POLICY, &pol, sizeof pol);
      if (r != 0)
        report(fmt::format("XFRM: cannot exempt an IKE socket from the IPsec policies ({}): IKE may be caught "
                           "by a crypto ACL that covers this gateway's address", std::strerror(errno)));
    }
  }

  Result<void> shutdown() override {
    for (auto& [reqid, list] : policies_)
      for (const auto& k : list) {
        auto msg = xfrm::policy_message(k, true);
        (void)req_.request(msg.data());
      }
    policies_.clear();
    for (const auto& [key, daddr] : sas_) {
      auto msg = state_id_message(XFRM_MSG_DELSA, daddr, key.first);
      (void)req_.request(msg.data());
    }
    sas_.clear();
    reqid_of_.clear();
    for (std::uint32_t spi : reserved_) {
      auto msg = state_id_message(XFRM_MSG_DELSA, IpAddress{}, spi);
      (void)req_.request(msg.data());
    }
    reserved_.clear();
    (void)routing_.clear();
    if (larval_drop_ && *larval_drop_ != 0) (void)write_larval_drop(*larval_drop_);
    larval_drop_.reset();
    // Whatever our bookkeeping missed (a state the kernel re-created, a failed delete).
    auto swept = sweep(req_, o_);
    if (!swept) return std::unexpected(swept.error());
    return {};
  }

 private:
  Result<std::uint32_t> kernel_reqid(std::uint32_t reqid) const {
    if (reqid == 0 || reqid >= kXfrmReqidSpan)
      return fail(fmt::format("reqid {} is outside 1..{}", reqid, kXfrmReqidSpan - 1));
    return o_.reqid_base + reqid;
  }

  void release_reservation(std::uint32_t spi) {
    if (!reserved_.erase(spi)) return;
    auto msg = state_id_message(XFRM_MSG_DELSA, IpAddress{}, spi);
    (void)req_.request(msg.data());
  }

  void report(const std::string& text) const {
    if (o_.log) o_.log(text);
  }

  bool installed(std::uint32_t spi, const IpAddress& daddr) const {
    auto msg = state_id_message(XFRM_MSG_GETSA, daddr, spi);
    return req_.request(msg.data()) != ESRCH;
  }

  // A state or policy of ours that someone else deleted (issue: faults behind the daemon's
  // back). Our own requests carry req_'s port id; everything else is foreign.
  void repair(const xfrm::KernelDeletion& d, std::vector<Event>& out) {
    using W = xfrm::KernelDeletion::What;
    if (d.portid == req_.portid() && d.portid != 0) return;
    if (d.what == W::Policy || d.what == W::FlushPolicy) {
      if (d.what == W::Policy && (!in_range(d.reqid, o_) || d.reqid == o_.reqid_base)) return;
      int put_back = 0;
      for (const auto& [reqid, list] : policies_) {
        if (d.what == W::Policy && reqid != d.reqid - o_.reqid_base) continue;
        for (const auto& k : list) {
          auto msg = xfrm::policy_message(k, false);
          if (req_.request(msg.data()) == 0) ++put_back;
        }
        if (d.what == W::Policy)
          report(fmt::format("XFRM: a policy of reqid {} (kernel reqid 0x{:08x}) was deleted outside ikegate; "
                             "its {} kernel policies are installed again", reqid, d.reqid, list.size()));
      }
      if (d.what == W::FlushPolicy && put_back > 0)
        report(fmt::format("XFRM: the kernel's policies were flushed outside ikegate; {} of ours are installed again",
                           put_back));
      return;
    }
    std::vector<std::pair<std::uint32_t, Direction>> lost;
    for (const auto& [key, daddr] : sas_) {
      const bool hit = d.what == W::Sa ? key.first == d.spi && daddr == d.daddr : !installed(key.first, daddr);
      if (hit) lost.push_back(key);
    }
    for (const auto& key : lost) {
      const auto it = sas_.find(key);
      const std::uint32_t reqid = reqid_of_.contains(key) ? reqid_of_.at(key) : 0;
      report(fmt::format("XFRM: the {} ESP SA 0x{:08x} (reqid {}) was deleted outside ikegate; its CHILD SA is "
                         "removed (the peer is told) and traffic sets up a new one", to_string(key.second), key.first,
                         reqid));
      sas_.erase(it);
      reqid_of_.erase(key);
      Event ev;
      ev.kind = Event::Kind::HardExpire;
      ev.reqid = reqid;
      ev.spi = key.first;
      ev.direction = key.second;
      out.push_back(ev);
    }
  }

  void translate(const xfrm::KernelEvent& k, std::vector<Event>& out) {
    if (!in_range(k.reqid, o_) || k.reqid == o_.reqid_base) return;  // foreign, or a reservation
    Event ev;
    ev.kind = k.kind;
    ev.reqid = k.reqid - o_.reqid_base;
    if (k.kind == Event::Kind::Acquire) {
      ev.direction = Direction::Outbound;
      ev.packet = k.packet;
      out.push_back(ev);
      return;
    }
    ev.spi = k.spi;
    for (Direction d : {Direction::Inbound, Direction::Outbound}) {
      auto it = sas_.find({k.spi, d});
      if (it == sas_.end() || it->second != k.daddr) continue;
      ev.direction = d;
      if (k.kind == Event::Kind::HardExpire) {  // the kernel deleted it
        reqid_of_.erase(it->first);
        sas_.erase(it);
      }
      out.push_back(ev);
      return;
    }
  }

  XfrmOptions o_;
  mutable XfrmSocket req_;
  XfrmSocket events_;
  std::map<std::pair<std::uint32_t, Direction>, IpAddress> sas_;  // (spi, direction) -> destination
  std::map<std::pair<std::uint32_t, Direction>, std::uint32_t> reqid_of_;  // engine reqid
  std::set<std::uint32_t> reserved_;                              // allocated, not yet installed
  std::map<std::uint32_t, std::vector<xfrm::KernelPolicy>> policies_;
  std::vector<int> encap_fds_;
  Routing routing_;
  std::optional<int> larval_drop_;  // the value before we set 0, to restore
};

}  // namespace

Result<std::unique_ptr<DataPlane>> make_xfrm_dataplane(const XfrmOptions& options) {
  auto req = XfrmSocket::open(0);
  if (!req) return std::unexpected(req.error());
  auto events = XfrmSocket::open((1u << (XFRMNLGRP_ACQUIRE - 1)) | (1u << (XFRMNLGRP_EXPIRE - 1)) |
                                 (1u << (XFRMNLGRP_SA - 1)) | (1u << (XFRMNLGRP_POLICY - 1)));
  if (!events) return std::unexpected(events.error());
  const int fd = events->fd();
  (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  int rcvbuf = 1 << 20;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  auto rt = XfrmSocket::open(0, NETLINK_ROUTE);
  if (!rt) return std::unexpected(rt.error());
  auto rules = Netlink::open();
  if (!rules) return std::unexpected(rules.error());
  return std::unique_ptr<DataPlane>(std::make_unique<XfrmDataPlane>(
      options, std::move(*req), std::move(*events), Routing(options, std::move(*rt), std::move(*rules))));
}

XfrmProbe probe_xfrm_esp(const XfrmOptions& options) {
  auto sock = XfrmSocket::open(0);
  if (!sock) return {false, sock.error().message};
  SaParams p;
  p.direction = Direction::Outbound;
  p.local = IpAddress::v4(0x7f000001);
  p.remote = IpAddress::v4(0x7f000002);
  p.encr = EncrId::AES_CBC;
  p.key_bits = 128;
  p.integ = IntegId::HMAC_SHA1_96;
  p.encr_key = SecretBytes(16);
  p.integ_key = SecretBytes(20);
  p.replay_window = 0;
  int e = EEXIST;
  for (int attempt = 0; attempt < 4 && e == EEXIST; ++attempt) {
    p.spi = std::max(kSpiMin, random_u32());
    auto msg = xfrm::sa_message(p, options.reqid_base, false);
    if (!msg) return {false, msg.error().message};
    e = sock->request(msg->data());
  }
  if (e != 0) {
    if (e == EPROTONOSUPPORT) return {false, "the kernel has no ESP (adding an ESP state: EPROTONOSUPPORT)"};
    return {false, fmt::format("adding an ESP state: {}", std::strerror(e))};
  }
  auto del = state_id_message(XFRM_MSG_DELSA, p.remote, p.spi);
  (void)sock->request(del.data());
  return {true, "the kernel accepts ESP states"};
}

Result<int> cleanup_stale_xfrm(const XfrmOptions& options) {
  auto sock = XfrmSocket::open(0);
  if (!sock) return std::unexpected(sock.error());
  auto swept = sweep(*sock, options);
  if (!swept) return swept;
  auto rt = XfrmSocket::open(0, NETLINK_ROUTE);
  auto rules = Netlink::open();
  if (rt && rules) *swept += Routing::sweep_routing(*rules, *rt, options);
  return swept;
}

}  // namespace ikegate::dataplane
