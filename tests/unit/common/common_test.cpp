#include <gtest/gtest.h>

#include "common/bytes.h"
#include "common/ip.h"
#include "common/secret.h"

using namespace ikegate;

TEST(Hex, RoundTripsAndRejectsGarbage) {
  auto b = from_hex("0x DF A3:b5 83");
  ASSERT_TRUE(b);
  EXPECT_EQ(to_hex_upper(*b), "DFA3B583");
  EXPECT_EQ(to_hex(*b), "dfa3b583");
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
}

TEST(Ip, ParsesAndPrintsBothFamilies) {
  auto a = IpAddress::parse("10.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->v4_value(), 0x0a000001u);
  EXPECT_EQ(a->to_string(), "10.0.0.1");
  auto b = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->is_v4());
  EXPECT_EQ(b->to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("191.168.1"));
  EXPECT_EQ((Endpoint{*a, 500}).to_string(), "10.0.0.1:500");
}

TEST(Ip, Netmasks) {
  EXPECT_EQ(netmask_to_prefix(0xffffff00u), 24);
  EXPECT_EQ(netmask_to_prefix(0), 0);
  EXPECT_EQ(netmask_to_prefix(0xffffffffu), 32);
  EXPECT_FALSE(netmask_to_prefix(0xff00ff00u));
  EXPECT_EQ(prefix_to_netmask(24), 0xffffff00u);
}

TEST(Secret, ComparesInConstantTimeAndSlices) {
  SecretBytes s(as_bytes("abcdef"));
  EXPECT_EQ(s.slice(2, 2), SecretBytes(as_bytes("cd")));
  EXPECT_FALSE(constant_time_equal(as_bytes("ab"), as_bytes("ac")));
  EXPECT_FALSE(constant_time_equal(as_bytes("ab"), as_bytes("abc")));
}
