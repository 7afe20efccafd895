#include "dataplane/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace ikegate::dataplane {

namespace {
constexpr std::size_t kRecvBuf = 32768;  // MNL_SOCKET_BUFFER_SIZE is not a constant expression
}  // namespace

// ---- Range splitting (RFC 4301 selectors are ranges; routing rules want prefixes) ----

namespace {

using U128 = unsigned __int128;

U128 to_u128(const IpAddress& a) {
  U128 v = 0;
  for (std::uint8_t b : a.bytes()) v = (v << 8) | b;
  return v;
}

IpAddress from_u128(U128 v, bool v4) {
  if (v4) return IpAddress::v4(static_cast<std::uint32_t>(v));
  std::array<std::uint8_t, 16> o{};
  for (int i = 15; i >= 0; --i) {
    o[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
  return IpAddress::v6(o);
}

}  // namespace

std::vector<Prefix> range_to_prefixes(const IpAddress& lo, const IpAddress& hi) {
  std::vector<Prefix> out;
  if (lo.family() != hi.family() || hi < lo) return out;
  const bool v4 = lo.is_v4();
  const int bits = v4 ? 32 : 128;
  U128 cur = to_u128(lo);
  const U128 end = to_u128(hi);
  while (true) {
    // The largest aligned block starting at `cur` that does not pass `end`.
    int host_bits = 0;
    while (host_bits < bits) {
      if (host_bits + 1 == 128) {  // the whole IPv6 space; 1 << 128 does not exist
        if (cur == 0 && end == ~U128{0}) host_bits = 128;
        break;
      }
      const U128 size = U128{1} << (host_bits + 1);
      if ((cur & (size - 1)) != 0) break;
      if (cur + (size - 1) > end || cur + (size - 1) < cur) break;
      ++host_bits;
    }
    out.push_back({from_u128(cur, v4), bits - host_bits});
    const U128 last = cur + ((host_bits == 128) ? ~U128{0} : (U128{1} << host_bits) - 1);
    if (last >= end) break;
    cur = last + 1;
  }
  return out;
}

// ---- Netlink ----

void Netlink::Free::operator()(mnl_socket* s) const { mnl_socket_close(s); }

Netlink::Netlink(Netlink&&) noexcept = default;
Netlink& Netlink::operator=(Netlink&&) noexcept = default;
Netlink::~Netlink() = default;

Result<Netlink> Netlink::open() {
  Netlink n;
  n.sock_.reset(mnl_socket_open(NETLINK_ROUTE));
  if (!n.sock_) return fail(fmt::format("netlink: socket: {}", std::strerror(errno)));
  if (mnl_socket_bind(n.sock_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return fail(fmt::format("netlink: bind: {}", std::strerror(errno)));
  n.portid_ = mnl_socket_get_portid(n.sock_.get());
  return n;
}

Result<void> Netlink::request(void* msg) {
  auto* nlh = static_cast<nlmsghdr*>(msg);
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq_++;
  if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0)
    return fail(fmt::format("netlink: send: {}", std::strerror(errno)));
  std::array<char, kRecvBuf> buf;
  const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
  if (n < 0) return fail(fmt::format("netlink: recv: {}", std::strerror(errno)));
  last_errno_ = 0;
  if (mnl_cb_run(buf.data(), static_cast<std::size_t>(n), nlh->nlmsg_seq, portid_, nullptr, nullptr) < 0) {
    last_errno_ = errno;
    return std::unexpected(Error{std::strerror(last_errno_)});
  }
  return {};
}

Result<void> Netlink::link_up(int ifindex, std::uint32_t mtu) {
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = ifindex;
  ifm->ifi_flags = IFF_UP;
  ifm->ifi_change = IFF_UP;
  mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  auto r = request(nlh);
  if (!r) return fail("netlink: bringing the TUN device up: " + r.error().message);
  return {};
}

Result<void> Netlink::delete_link(const std::string& name) {
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_DELLINK;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  auto r = request(nlh);
  if (!r && last_errno_ != ENODEV) return fail("netlink: deleting " + name + ": " + r.error().message);
  return {};
}

Result<void> Netlink::add_default_route(IpAddress::Family family, int ifindex, std::uint32_t table) {
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = family == IpAddress::Family::V4 ? AF_INET : AF_INET6;
  rtm->rtm_dst_len = 0;
  rtm->rtm_table = static_cast<std::uint8_t>(table < 256 ? table : std::uint32_t{RT_TABLE_UNSPEC});
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_TABLE, table);
  mnl_attr_put_u32(nlh, RTA_OIF, static_cast<std::uint32_t>(ifindex));
  auto r = request(nlh);
  if (!r) return fail(fmt::format("netlink: default route in table {}: {}", table, r.error().message));
  return {};
}

namespace {

void put_rule(nlmsghdr* nlh, const RuleSpec& r) {
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = r.family == IpAddress::Family::V4 ? AF_INET : AF_INET6;
  frh->action = FR_ACT_TO_TBL;
  if (r.src) {
    frh->src_len = static_cast<std::uint8_t>(r.src->length);
    mnl_attr_put(nlh, FRA_SRC, r.src->address.bytes().size(), r.src->address.bytes().data());
  }
  if (r.dst) {
    frh->dst_len = static_cast<std::uint8_t>(r.dst->length);
    mnl_attr_put(nlh, FRA_DST, r.dst->address.bytes().size(), r.dst->address.bytes().data());
  }
  if (r.ip_proto) mnl_attr_put_u8(nlh, FRA_IP_PROTO, r.ip_proto);
  if (r.sport) {
    fib_rule_port_range pr{r.sport->first, r.sport->second};
    mnl_attr_put(nlh, FRA_SPORT_RANGE, sizeof pr, &pr);
  }
  if (r.dport) {
    fib_rule_port_range pr{r.dport->first, r.dport->second};
    mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof pr, &pr);
  }
  if (r.fwmark) {
    mnl_attr_put_u32(nlh, FRA_FWMARK, r.fwmark);
    mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
  }
  mnl_attr_put_u32(nlh, FRA_PRIORITY, r.priority);
  frh->table = static_cast<std::uint8_t>(r.table < 256 ? r.table : std::uint32_t{RT_TABLE_UNSPEC});
  mnl_attr_put_u32(nlh, FRA_TABLE, r.table);
}

}  // namespace

Result<void> Netlink::add_rule(const RuleSpec& r) {
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWRULE;
  nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  put_rule(nlh, r);
  auto res = request(nlh);
  if (!res && last_errno_ != EEXIST) return fail("netlink: adding a policy-routing rule: " + res.error().message);
  return {};
}

Result<bool> Netlink::ensure_rule(const RuleSpec& r) {
  if (auto res = add_rule(r); !res) return std::unexpected(res.error());
  return last_errno_ != EEXIST;
}

Result<void> Netlink::delete_rule(const RuleSpec& r) {
  std::array<char, 512> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_DELRULE;
  put_rule(nlh, r);
  auto res = request(nlh);
  if (!res && last_errno_ != ENOENT) return fail("netlink: deleting a policy-routing rule: " + res.error().message);
  return {};
}

Result<int> Netlink::delete_rules_of_table(std::uint32_t table, std::uint32_t prio_lo, std::uint32_t prio_hi) {
  int deleted = 0;
  for (int family : {AF_INET, AF_INET6}) {
    // Collect first (a dump cannot be interleaved with requests on one socket), then delete.
    std::vector<std::vector<char>> doomed;
    std::array<char, 512> req{};
    nlmsghdr* nlh = mnl_nlmsg_put_header(req.data());
    nlh->nlmsg_type = RTM_GETRULE;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq_++;
    auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
    frh->family = static_cast<std::uint8_t>(family);
    if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0)
      return fail(fmt::format("netlink: rule dump: {}", std::strerror(errno)));
    struct Ctx {
      std::uint32_t table, lo, hi;
      std::vector<std::vector<char>>* doomed;
    } ctx{table, prio_lo, prio_hi, &doomed};
    auto cb = [](const nlmsghdr* m, void* data) -> int {
      auto* c = static_cast<Ctx*>(data);
      const auto* h = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(m));
      std::uint32_t tbl = h->table, prio = 0;
      bool has_mark = false;
      const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
      for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(fib_rule_hdr)));
           mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a)) {
        if (mnl_attr_get_type(a) == FRA_TABLE) tbl = mnl_attr_get_u32(a);
        if (mnl_attr_get_type(a) == FRA_PRIORITY) prio = mnl_attr_get_u32(a);
        if (mnl_attr_get_type(a) == FRA_FWMARK) has_mark = true;
      }
      const bool ours = tbl == c->table ||
                        (has_mark && tbl == RT_TABLE_MAIN && prio >= c->lo && prio <= c->hi);
      if (ours) {
        const char* p = reinterpret_cast<const char*>(m);
        c->doomed->emplace_back(p, p + m->nlmsg_len);
      }
      return MNL_CB_OK;
    };
    std::array<char, kRecvBuf> buf;
    int ret = MNL_CB_OK;
    while (ret > MNL_CB_STOP) {
      const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
      if (n <= 0) break;
      ret = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), nlh->nlmsg_seq, portid_, cb, &ctx);
    }
    for (auto& msg : doomed) {
      auto* d = reinterpret_cast<nlmsghdr*>(msg.data());
      d->nlmsg_type = RTM_DELRULE;
      d->nlmsg_flags = 0;
      if (request(d)) ++deleted;
    }
  }
  return deleted;
}

}  // namespace ikegate::dataplane

namespace ikegate::dataplane {

// ---- Notifications ----

Result<NetlinkMonitor> NetlinkMonitor::open() {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return fail(fmt::format("netlink monitor: socket: {}", std::strerror(errno)));
  NetlinkMonitor m(fd);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_IPV4_RULE;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    return fail(fmt::format("netlink monitor: bind: {}", std::strerror(errno)));
  int group = RTNLGRP_IPV6_RULE;  // beyond the 32-bit legacy group mask
  (void)::setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group);
  const int rcvbuf = 1 << 20;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  return m;
}

NetlinkMonitor::NetlinkMonitor(NetlinkMonitor&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
NetlinkMonitor& NetlinkMonitor::operator=(NetlinkMonitor&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}
NetlinkMonitor::~NetlinkMonitor() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

RuleSpec rule_of(const nlmsghdr* m) {
  const auto* h = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(m));
  RuleSpec r;
  r.family = h->family == AF_INET6 ? IpAddress::Family::V6 : IpAddress::Family::V4;
  r.table = h->table;
  auto prefix = [&](const nlattr* a, int length) -> std::optional<Prefix> {
    const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
    auto addr = IpAddress::from_bytes(ByteView(p, mnl_attr_get_payload_len(a)));
    if (!addr) return std::nullopt;
    return Prefix{*addr, length};
  };
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(fib_rule_hdr)));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a)) {
    switch (mnl_attr_get_type(a)) {
      case FRA_TABLE: r.table = mnl_attr_get_u32(a); break;
      case FRA_PRIORITY: r.priority = mnl_attr_get_u32(a); break;
      case FRA_SRC: r.src = prefix(a, h->src_len); break;
      case FRA_DST: r.dst = prefix(a, h->dst_len); break;
      default: break;
    }
  }
  return r;
}

std::uint32_t route_table(const nlmsghdr* m) {
  const auto* r = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
  std::uint32_t table = r->rtm_table;
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
  for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(rtmsg)));
       mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
    if (mnl_attr_get_type(a) == RTA_TABLE) table = mnl_attr_get_u32(a);
  return table;
}

}  // namespace

std::vector<KernelChange> NetlinkMonitor::read(int ifindex, std::uint32_t table) {
  std::vector<KernelChange> out;
  std::array<char, kRecvBuf> buf;
  while (true) {
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == ENOBUFS) {
        out.push_back({KernelChange::Kind::Lost});
        continue;
      }
      return out;  // EAGAIN: drained
    }
    int left = static_cast<int>(n);
    for (auto* m = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
      switch (m->nlmsg_type) {
        case RTM_DELLINK:
        case RTM_NEWLINK: {
          const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(m));
          if (ifm->ifi_index != ifindex) break;
          if (m->nlmsg_type == RTM_DELLINK)
            out.push_back({KernelChange::Kind::LinkDeleted});
          else if (!(ifm->ifi_flags & IFF_UP))
            out.push_back({KernelChange::Kind::LinkDown});
          break;
        }
        case RTM_DELROUTE:
          if (route_table(m) == table) out.push_back({KernelChange::Kind::RouteDeleted});
          break;
        case RTM_DELRULE:
          if (RuleSpec r = rule_of(m); r.table == table) out.push_back({KernelChange::Kind::RuleDeleted, r});
          break;
        default:
          break;
      }
    }
  }
}

}  // namespace ikegate::dataplane
