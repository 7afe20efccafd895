// The rtnetlink operations the userspace data plane needs (libmnl): bring the TUN device up,
// a default route into it in a private table, and policy-routing rules (`ip rule`) that steer
// exactly the protected traffic there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.h"
#include "common/result.h"

struct mnl_socket;

namespace ikegate::dataplane {

struct Prefix {
  IpAddress address;
  int length = 0;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// The smallest set of CIDR prefixes covering exactly [lo, hi] (same family, lo <= hi).
std::vector<Prefix> range_to_prefixes(const IpAddress& lo, const IpAddress& hi);

// One policy-routing rule: FRA_SRC/FRA_DST prefixes, optional FRA_IP_PROTO and port ranges,
// FRA_PRIORITY, and either a table lookup or (fwmark set) a bypass into the main table.
struct RuleSpec {
  IpAddress::Family family = IpAddress::Family::V4;
  std::optional<Prefix> src, dst;
  std::uint8_t ip_proto = 0;
  std::optional<std::pair<std::uint16_t, std::uint16_t>> sport, dport;
  std::uint32_t priority = 0;
  std::uint32_t table = 0;
  std::uint32_t fwmark = 0;  // nonzero: match this mark
  friend bool operator==(const RuleSpec&, const RuleSpec&) = default;
};

class Netlink {
 public:
  static Result<Netlink> open();
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink();

  Result<void> link_up(int ifindex, std::uint32_t mtu);
  Result<void> delete_link(const std::string& name);  // ENODEV is success
  Result<void> add_default_route(IpAddress::Family family, int ifindex, std::uint32_t table);
  Result<void> add_rule(const RuleSpec& r);
  // add_rule that says whether the rule was missing (true: it was added; false: it was there).
  Result<bool> ensure_rule(const RuleSpec& r);
  Result<void> delete_rule(const RuleSpec& r);  // ENOENT is success
  // Deletes every rule (both families) whose table is `table` or whose priority is in
  // [prio_lo, prio_hi] and which looks up the main table by fwmark (our bypass rule).
  Result<int> delete_rules_of_table(std::uint32_t table, std::uint32_t prio_lo, std::uint32_t prio_hi);

 private:
  Netlink() = default;
  Result<void> request(void* nlh);
  struct Free {
    void operator()(mnl_socket* s) const;
  };
  std::unique_ptr<mnl_socket, Free> sock_;
  std::uint32_t seq_ = 1;
  std::uint32_t portid_ = 0;
  int last_errno_ = 0;
};

// What someone else did to the kernel state the data plane installed, as rtnetlink announces
// it (RTNLGRP_LINK, the IPv4/IPv6 route and rule groups) on a socket of its own.
struct KernelChange {
  enum class Kind { LinkDeleted, LinkDown, RouteDeleted, RuleDeleted, Lost };
  Kind kind;
  RuleSpec rule;  // RuleDeleted: its family, prefixes, priority and table (not its ports)
};

class NetlinkMonitor {
 public:
  static Result<NetlinkMonitor> open();
  NetlinkMonitor(NetlinkMonitor&&) noexcept;
  NetlinkMonitor& operator=(NetlinkMonitor&&) noexcept;
  ~NetlinkMonitor();

  int fd() const { return fd_; }
  // Drains the socket: the deletions of the link `ifindex`, of routes in `table` and of rules
  // that look up `table`, and the link going down. Lost when the kernel dropped notifications
  // (ENOBUFS): the caller must assume anything may be gone.
  std::vector<KernelChange> read(int ifindex, std::uint32_t table);

 private:
  explicit NetlinkMonitor(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace ikegate::dataplane
