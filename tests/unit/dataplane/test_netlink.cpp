#include "dataplane/netlink.h"

#include <gtest/gtest.h>

namespace ikegate::dataplane {
namespace {

std::vector<std::string> split(const char* lo, const char* hi) {
  std::vector<std::string> out;
  for (const Prefix& p : range_to_prefixes(*IpAddress::parse(lo), *IpAddress::parse(hi)))
    out.push_back(p.address.to_string() + "/" + std::to_string(p.length));
  return out;
}

TEST(RangeToPrefixes, ExactPrefixesAndRanges) {
  EXPECT_EQ(split("192.168.1.1", "192.168.1.1"), std::vector<std::string>{"192.168.1.1/32"});
  EXPECT_EQ(split("192.168.1.0", "192.168.1.255"), std::vector<std::string>{"192.168.1.0/24"});
  EXPECT_EQ(split("0.0.0.0", "255.255.255.255"), std::vector<std::string>{"0.0.0.0/0"});
  EXPECT_EQ(split("10.0.0.1", "10.0.0.6"),
            (std::vector<std::string>{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"}));
  EXPECT_EQ(split("255.255.255.254", "255.255.255.255"), std::vector<std::string>{"255.255.255.254/31"});
  EXPECT_EQ(split("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), std::vector<std::string>{"::/0"});
  EXPECT_EQ(split("2001:db8::", "2001:db8::ffff"), std::vector<std::string>{"2001:db8::/112"});
  EXPECT_TRUE(split("10.0.0.2", "10.0.0.1").empty());
}

}  // namespace
}  // namespace ikegate::dataplane
