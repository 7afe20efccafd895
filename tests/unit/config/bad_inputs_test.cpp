// Bad inputs, each with the exact message it must produce (FILE:LINE: what is wrong; what was
// expected), and no message anywhere that carries a key.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/parser.h"
#include "test_util.h"

namespace ikegate::config {
namespace {

struct Bad {
  Dialect dialect;
  std::string text;
  std::string message;  // one of the diagnostics, formatted for file "t.cfg"
};

const Bad kBad[] = {
    {Dialect::Asa,
     "interface G0/0\n nameif outside\n ip address 10.0.0.1 255.255.255.0\naccess-list l2l_list extended permit ip host 1.1.1.1 host 2.2.2.2\ncrypto map M 1 match address l2l_lst\ncrypto map M 1 set peer 10.0.0.2\ncrypto map M 1 set ikev2 ipsec-proposal P\ncrypto map M interface outside\ncrypto ipsec ikev2 ipsec-proposal P\n protocol esp encryption aes\ntunnel-group 10.0.0.2 type ipsec-l2l\ntunnel-group 10.0.0.2 ipsec-attributes\n ikev2 local-authentication pre-shared-key k1\n ikev2 remote-authentication pre-shared-key k2\ncrypto ikev2 enable outside",
     "t.cfg:5: error: no access-list named 'l2l_lst' (did you mean 'l2l_list'?); expected an access-list defined with 'access-list NAME extended permit ...'"},
    {Dialect::Asa,
     "interface G0/0\n nameif outside\ncrypto map M interface outsid",
     "t.cfg:3: error: no interface named 'outsid' (did you mean 'outside'?); expected the nameif of an interface, e.g. 'outside'"},
    {Dialect::Asa,
     "crypto ikev2 enable inside",
     "t.cfg:1: error: no interface named 'inside'; expected the nameif of an interface, e.g. 'outside'"},
    {Dialect::Asa,
     "crypto ikev2 policy\n encryption aes",
     "t.cfg:1: error: 'crypto ikev2 policy' needs a priority; expected a number from 1 to 65535"},
    {Dialect::Asa,
     "crypto ikev2 policy 70000",
     "t.cfg:1: error: 'crypto ikev2 policy' needs a priority; expected a number from 1 to 65535"},
    {Dialect::Asa,
     "crypto ikev2 policy 1\n encryption aes-257",
     "t.cfg:2: error: unknown encryption 'aes-257'; expected one of des, 3des, aes, aes-192, aes-256, aes-gcm, aes-gcm-192, aes-gcm-256, null"},
    {Dialect::Asa,
     "crypto ikev2 policy 1\n integrity sha2",
     "t.cfg:2: error: unknown integrity 'sha2'; expected one of md5, sha, sha256, sha384, sha512, null"},
    {Dialect::Asa,
     "crypto ikev2 policy 1\n group 3",
     "t.cfg:2: error: unknown Diffie-Hellman group '3'; expected 1, 2, 5, 14, 15, 16, 19, 20, 21 or 31"},
    {Dialect::Asa,
     "crypto ikev2 policy 1\n prf sha1",
     "t.cfg:2: error: unknown prf 'sha1'; expected one of md5, sha, sha256, sha384, sha512"},
    {Dialect::Asa,
     "crypto ikev2 policy 1\n lifetime seconds 10",
     "t.cfg:2: error: lifetime '10' is not valid; expected seconds from 120 to 2147483647 or none"},
    {Dialect::Asa,
     "crypto ikev2 policy 1\n lifetime 86400",
     "t.cfg:2: error: lifetime needs a unit; expected 'lifetime seconds 120-2147483647|none'"},
    {Dialect::Asa,
     "crypto ipsec ikev2 ipsec-proposal P\n protocol esp integrity sha",
     "t.cfg:2: error: unknown ESP integrity 'sha'; expected one of md5, sha-1, sha-256, sha-384, sha-512, null"},
    {Dialect::Asa,
     "crypto ipsec ikev2 ipsec-proposal P\n protocol ah encryption aes",
     "t.cfg:2: error: only ESP proposals are supported; expected 'protocol esp encryption|integrity ...'"},
    {Dialect::Asa,
     "crypto ipsec ikev2 ipsec-proposal P\n protocol esp encryption",
     "t.cfg:2: error: ESP encryption needs at least one algorithm; expected one or more of des, 3des, aes, aes-192, aes-256, aes-gcm, aes-gcm-192, aes-gcm-256, null"},
    {Dialect::Asa,
     "crypto ipsec ikev1 transform-set T esp-aes-512 esp-sha-hmac",
     "t.cfg:1: error: unknown transform 'esp-aes-512'; expected one of esp-des, esp-3des, esp-aes, esp-aes-192, esp-aes-256, esp-gcm, esp-null, esp-md5-hmac, esp-sha-hmac, esp-sha256-hmac, esp-sha384-hmac, esp-sha512-hmac, esp-none, ah-md5-hmac, ah-sha-hmac, ah-sha256-hmac, comp-lzs"},
    {Dialect::Asa,
     "crypto ipsec ikev1 transform-set T esp-aes esp-3des",
     "t.cfg:1: error: transform-set 'T' has two ESP encryption transforms; expected one"},
    {Dialect::Asa,
     "access-list A extended permit ip host 10.0.0.256 any",
     "t.cfg:1: error: source host '10.0.0.256' is not a valid address; expected A.B.C.D"},
    {Dialect::Asa,
     "access-list A extended permit ip 10.0.0.0 255.0.255.0 any",
     "t.cfg:1: error: source netmask 255.0.255.0 is not contiguous; expected a netmask such as 255.255.255.0"},
    {Dialect::Asa,
     "access-list A extended permit ip 10.0.0.1 255.255.255.0 any",
     "t.cfg:1: error: source 10.0.0.1 has bits outside its mask 255.255.255.0; expected the network address 10.0.0.0"},
    {Dialect::Asa,
     "access-list A extended permit ip 10.0.0.0 any",
     "t.cfg:1: error: source 10.0.0.0 needs a netmask; expected '10.0.0.0 255.255.255.0'"},
    {Dialect::Asa,
     "access-list A extended permit foo any any",
     "t.cfg:1: error: protocol 'foo' is not known; expected ip, tcp, udp, icmp, esp, ah, gre or a number"},
    {Dialect::Asa,
     "access-list A extended permit ip any",
     "t.cfg:1: error: access-list entry has no destination; expected any, host A.B.C.D or an address and mask"},
    {Dialect::Asa,
     "access-list A extended allow ip any any",
     "t.cfg:1: error: access-list action 'allow' is not valid; expected permit, deny or remark"},
    {Dialect::Asa,
     "access-list A extended permit tcp any any eq 99999",
     "t.cfg:1: error: port '99999' is not a port; expected a number from 0 to 65535 or a name such as www"},
    {Dialect::Asa,
     "access-list A extended permit tcp any any range 80 20",
     "t.cfg:1: error: port range end '20' is not valid; expected a port from 80 to 65535"},
    {Dialect::Asa,
     "access-list A extended permit ip any any eq 80",
     "t.cfg:1: error: port 'eq' needs protocol tcp, udp or sctp; expected no port for this protocol"},
    {Dialect::Asa,
     "access-list A extended permit ip any any bogus",
     "t.cfg:1: error: unexpected 'bogus' in access-list entry; expected log, inactive, time-range"},
    {Dialect::Asa,
     "access-list A extended permit ip object WEB any",
     "t.cfg:1: error: no network object named 'WEB'; expected an object defined with 'object network NAME'"},
    {Dialect::Asa,
     "object-group network SERVERS\n network-object host 10.1.1.1\naccess-list A extended permit ip object-group SERVER any",
     "t.cfg:3: error: no object-group named 'SERVER' (did you mean 'SERVERS'?); expected a group defined with 'object-group network NAME'"},
    {Dialect::Asa,
     "crypto map M 1 set peer 10.0.0.300",
     "t.cfg:1: error: peer '10.0.0.300' is not a valid address; expected A.B.C.D or a host name"},
    {Dialect::Asa,
     "crypto map M 1 set pfs group3",
     "t.cfg:1: error: unknown PFS group 'group3'; expected group1, group2, group5, group14, group15, group16, group19, group20, group21 or group31"},
    {Dialect::Asa,
     "crypto map M 1 set security-association lifetime seconds 10",
     "t.cfg:1: error: lifetime seconds '10' is not valid; expected 120 to 2147483647"},
    {Dialect::Asa,
     "crypto map M 1 set security-association lifetime hours 1",
     "t.cfg:1: error: unknown lifetime unit 'hours'; expected seconds or kilobytes"},
    {Dialect::Asa,
     "crypto map M 10000 ipsec-isakmp dynamic DYN",
     "t.cfg:1: error: no crypto dynamic-map named 'DYN'; expected a map defined with 'crypto dynamic-map DYN SEQ ...'"},
    {Dialect::Asa,
     "crypto map M\n",
     "t.cfg:1: error: 'crypto map M' needs a sequence number and a command; expected 'crypto map M 1-65535 match address|set ...'"},
    {Dialect::Asa,
     "tunnel-group T type site-to-site",
     "t.cfg:1: error: unknown tunnel-group type 'site-to-site'; expected ipsec-l2l or remote-access"},
    {Dialect::Asa,
     "tunnel-group T ipsec-attributes\n ikev2 local-authentication eap",
     "t.cfg:2: error: unknown ikev2 local-authentication method 'eap'; expected pre-shared-key or certificate"},
    {Dialect::Asa,
     "tunnel-group T ipsec-attributes\n ikev2 local-authentication certificate",
     "t.cfg:2: error: local certificate authentication needs a trustpoint; expected 'ikev2 local-authentication certificate TRUSTPOINT'"},
    {Dialect::Asa,
     "tunnel-group T type remote-access\ntunnel-group T general-attributes\n address-pool POOL1\n default-group-policy GP",
     "t.cfg:3: error: no ip local pool named 'POOL1'; expected a pool defined with 'ip local pool POOL1 FIRST-LAST'"},
    {Dialect::Asa,
     "ip local pool P 10.0.0.10-10.0.0.1",
     "t.cfg:1: error: pool range '10.0.0.10-10.0.0.1' is not valid; expected FIRST-LAST with FIRST <= LAST, e.g. 10.2.2.1-10.2.2.10"},
    {Dialect::Asa,
     "ip local pool P 10.0.0.1-10.0.0.10 mask 255.0.255.0",
     "t.cfg:1: error: pool mask is not a netmask; expected e.g. 'mask 255.255.255.0'"},
    {Dialect::Asa,
     "username bob password",
     "t.cfg:1: error: password of user 'bob' is missing; expected the key after the keyword"},
    {Dialect::Asa,
     "username bob password secret123 privilege 16",
     "t.cfg:1: error: privilege level is not valid; expected 0 to 15"},
    {Dialect::Asa,
     "interface G0/0\n nameif outside\ninterface G0/1\n nameif outside",
     "t.cfg:3: error: interface G0/1 is named 'outside' like G0/0 (line 1); expected a unique nameif"},
    {Dialect::Asa,
     "interface G0/0\n security-level 101",
     "t.cfg:2: error: security-level is not valid; expected a number from 0 to 100"},
    {Dialect::Asa,
     "interface G0/0\n ip address 10.0.0.1 255.255.0.255",
     "t.cfg:2: error: interface address '10.0.0.1 255.255.0.255' is not valid; expected 'ip address A.B.C.D MASK' or 'ip address dhcp'"},
    {Dialect::Asa,
     "crypto isakmp policy 10\n encryption aes-512",
     "t.cfg:2: error: unknown encryption 'aes-512'; expected one of des, 3des, aes, aes-192, aes-256"},
    {Dialect::Asa,
     "crypto isakmp policy 10\n hash sha1",
     "t.cfg:2: error: unknown hash 'sha1'; expected one of md5, sha, sha256, sha384, sha512"},
    {Dialect::Asa,
     "crypto isakmp policy 10\n authentication psk",
     "t.cfg:2: error: unknown authentication 'psk'; expected pre-share or rsa-sig"},
    {Dialect::Asa,
     "crypto isakmp policy 10\n lifetime 30",
     "t.cfg:2: error: lifetime '30' is not valid; expected seconds from 60 to 2147483647"},
    {Dialect::Asa,
     "frobnicate the widgets",
     "t.cfg:1: warning: unknown command 'frobnicate the widgets'; kept as written, ikegate does not act on it"},
    {Dialect::Asa,
     "enable password s3cr3t-value\nfrobnicate password s3cr3t-value now",
     "t.cfg:2: warning: unknown command 'frobnicate password ***** ...'; kept as written, ikegate does not act on it"},
    {Dialect::Asa,
     "interface G0/0\n nameif outside\n frobnicate 1",
     "t.cfg:3: warning: unknown command 'frobnicate 1' in interface mode; kept as written, ikegate does not act on it"},
    {Dialect::Ios,
     "crypto isakmp key cisco123 addres 10.0.0.1",
     "t.cfg:1: error: crypto isakmp key needs a peer; expected 'address A.B.C.D [MASK]' or 'hostname NAME' after the key"},
    {Dialect::Ios,
     "crypto isakmp key cisco123 address 10.0.0.300",
     "t.cfg:1: error: crypto isakmp key address is not valid; expected 'address A.B.C.D [MASK]'"},
    {Dialect::Ios,
     "crypto isakmp policy 10\n encr aes 100",
     "t.cfg:2: error: AES key size '100' is not valid; expected 128, 192 or 256"},
    {Dialect::Ios,
     "crypto isakmp policy 10\n encryption aes",
     "t.cfg:2: warning: unknown command 'encryption aes' in crypto isakmp policy mode; kept as written, ikegate does not act on it"},
    {Dialect::Ios,
     "crypto ikev2 proposal P\n encryption aes-cbc-512",
     "t.cfg:2: error: unknown encryption 'aes-cbc-512'; expected one of des, 3des, aes-cbc-128, aes-cbc-192, aes-cbc-256, aes-gcm-128, aes-gcm-192, aes-gcm-256"},
    {Dialect::Ios,
     "crypto ikev2 proposal P\n integrity sha",
     "t.cfg:2: error: unknown integrity 'sha'; expected one of md5, sha1, sha256, sha384, sha512"},
    {Dialect::Ios,
     "crypto ikev2 policy POL\n proposal PROP",
     "t.cfg:2: error: no ikev2 proposal named 'PROP'; expected a proposal defined with 'crypto ikev2 proposal PROP'"},
    {Dialect::Ios,
     "crypto ikev2 keyring K\n peer p1\n  address 10.0.0.2 255.0.255.0",
     "t.cfg:3: error: keyring peer mask is not a netmask; expected e.g. 255.255.255.255"},
    {Dialect::Ios,
     "crypto ikev2 keyring K\n peer p1\n  address 10.0.0.2\ncrypto ikev2 profile PR\n match identity remote address 10.0.0.2 255.255.255.255\n authentication local pre-share\n authentication remote pre-share\n keyring local KEY",
     "t.cfg:8: error: no ikev2 keyring named 'KEY'; expected a keyring defined with 'crypto ikev2 keyring KEY'"},
    {Dialect::Ios,
     "crypto ikev2 profile PR\n authentication local rsa\n",
     "t.cfg:2: error: unknown authentication method 'rsa'; expected pre-share, rsa-sig, ecdsa-sig or eap"},
    {Dialect::Ios,
     "crypto ikev2 profile PR\n match identity remote hostname r1",
     "t.cfg:2: error: unknown identity type 'hostname'; expected address, fqdn, email or key-id"},
    {Dialect::Ios,
     "crypto ipsec transform-set TS esp-aes 100 esp-sha-hmac",
     "t.cfg:1: error: AES key size '100' is not valid; expected 128, 192 or 256"},
    {Dialect::Ios,
     "crypto ipsec transform-set TS esp-aes esp-sha-hmac\n mode tunel",
     "t.cfg:2: error: unknown mode 'tunel'; expected tunnel or transport"},
    {Dialect::Ios,
     "crypto map CM 10 ipsec-isakmp\n set peer 10.0.0.2\n set transform-set TS\n match address ACL",
     "t.cfg:3: error: no transform-set named 'TS'; expected a transform-set defined with 'crypto ipsec transform-set TS ...'"},
    {Dialect::Ios,
     "crypto map CM ipsec-isakmp",
     "t.cfg:1: error: 'crypto map CM' needs a sequence number; expected 'crypto map CM 1-65535 ipsec-isakmp'"},
    {Dialect::Ios,
     "interface e0/0\n ip address 10.0.0.1 255.255.255.0\n crypto map CMAP",
     "t.cfg:3: error: no crypto map named 'CMAP'; expected a map defined with 'crypto map CMAP SEQ ipsec-isakmp'"},
    {Dialect::Ios,
     "access-list 300 permit ip any any",
     "t.cfg:1: error: access-list number '300' is not valid; expected 1-99 or 1300-1999 (standard), 100-199 or 2000-2699 (extended)"},
    {Dialect::Ios,
     "access-list 100 permit ip 10.0.0.0 255.255.255.0 any",
     "t.cfg:1: error: source mask 255.255.255.0 is a netmask; expected a wildcard mask, e.g. '10.0.0.0 0.0.0.255'"},
    {Dialect::Ios,
     "ip access-list extended ACL\n permit ip 10.1.0.0 0.0.255.0 any\ncrypto map CM 10 ipsec-isakmp\n set peer 10.0.0.2\n set transform-set TS\n match address ACL\ncrypto ipsec transform-set TS esp-aes esp-sha-hmac\ncrypto isakmp key k address 10.0.0.2\ninterface e0/0\n crypto map CM",
     "t.cfg:2: warning: access-list 'ACL' entry cannot be mirrored as IKE traffic selectors (its wildcard mask 0.0.255.0 is not contiguous); expected a subnet or host with a contiguous mask and port ranges"},
    {Dialect::Ios,
     "ip access-list extended ACL\n permit ip 10.1.0.0 0.0.255.255 any\n permit ip 10.1.1.0 0.0.0.255 10.2.0.0 0.0.255.255\ncrypto map CM 10 ipsec-isakmp\n set peer 10.0.0.2\n set transform-set TS\n match address ACL\ncrypto ipsec transform-set TS esp-aes esp-sha-hmac\ncrypto isakmp key k address 10.0.0.2\ninterface e0/0\n crypto map CM",
     "t.cfg:3: warning: access-list 'ACL' entry overlaps the entry at line 2 (crypto map CM 10); expected entries that select disjoint traffic"},
    {Dialect::Ios,
     "crypto map CM 10 ipsec-isakmp\n set peer 10.0.0.2\n set transform-set TS\n match address ACL\nip access-list extended ACL\n permit ip any any\ncrypto ipsec transform-set TS esp-aes esp-sha-hmac\ninterface e0/0\n crypto map CM",
     "t.cfg:2: warning: no pre-shared key for peer 10.0.0.2; expected 'crypto isakmp key KEY address 10.0.0.2'"},
};

class BadInput : public ::testing::TestWithParam<Bad> {};

TEST_P(BadInput, ReportsTheExactMessage) {
  const Bad& b = GetParam();
  ParseOptions o;
  o.dialect = b.dialect;
  auto r = load_config(b.text, o);
  auto lines = test::formatted("t.cfg", r.diagnostics);
  EXPECT_NE(std::find(lines.begin(), lines.end(), b.message), lines.end())
      << "input:\n" << b.text << "\ngot:\n" << ::testing::PrintToString(lines);
  bool is_error = b.message.find(": error: ") != std::string::npos;
  EXPECT_EQ(r.ok(), !is_error);
  // Never a secret in a message: none of the keys and passwords the table uses.
  for (const auto& l : lines)
    for (const char* secret : {"k1'", "k2'", "cisco123", "secret123", "s3cr3t-value", " k "})
      EXPECT_EQ(l.find(secret), std::string::npos) << l;
}

INSTANTIATE_TEST_SUITE_P(Table, BadInput, ::testing::ValuesIn(kBad));

TEST(BadInput, TableHasAtLeastFortyCases) { EXPECT_GE(std::size(kBad), 40u); }

TEST(BadInput, StrictMakesUnknownCommandsErrors) {
  ParseOptions o;
  o.dialect = Dialect::Asa;
  o.strict = true;
  auto r = load_config("frobnicate the widgets\n", o);
  EXPECT_EQ(test::formatted("t.cfg", r.diagnostics),
            std::vector<std::string>{"t.cfg:1: error: unknown command 'frobnicate the widgets'; expected a command "
                                     "ikegate understands (--strict)"});
  o.strict = false;
  EXPECT_TRUE(load_config("frobnicate the widgets\n", o).ok());
}

}  // namespace
}  // namespace ikegate::config
