#include <gtest/gtest.h>

#include "config/lexer.h"
#include "config/parser.h"
#include "config/printer.h"
#include "test_util.h"

namespace ikegate::config {
namespace {

using test::formatted;

ParseResult load(Dialect d, std::string_view text, bool strict = false) {
  ParseOptions o;
  o.dialect = d;
  o.strict = strict;
  return load_config(text, o);
}

TEST(Lexer, DropsCommentsBannersAndTrailers) {
  auto lines = split_lines(": Saved\r\n:\r\nASA Version 9.1(2)\r\n!\r\n! a comment\r\n  hostname  fw1 \r\nCryptochecksum:abc\r\n: end\r\nend\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].words, (std::vector<std::string>{"ASA", "Version", "9.1(2)"}));
  EXPECT_EQ(lines[1].number, 6);
  EXPECT_EQ(lines[1].indent, 2);
  EXPECT_EQ(lines[1].words, (std::vector<std::string>{"hostname", "fw1"}));
}

TEST(Dialect, DetectedFromTheTextAndForcible) {
  EXPECT_EQ(detect_dialect("interface e0\n nameif outside\n"), Dialect::Asa);
  EXPECT_EQ(detect_dialect("crypto isakmp policy 10\n encr aes\n"), Dialect::Ios);
  EXPECT_EQ(detect_dialect("ip access-list extended A\n permit ip any any\n"), Dialect::Ios);
  EXPECT_EQ(detect_dialect("tunnel-group 1.1.1.1 type ipsec-l2l\n"), Dialect::Asa);
  EXPECT_EQ(detect_dialect(""), Dialect::Asa);
  EXPECT_EQ(dialect_from_name("IOS"), Dialect::Ios);
  EXPECT_EQ(dialect_from_name("pix"), Dialect::Asa);
  EXPECT_FALSE(dialect_from_name("junos"));
  // Forced: IOS keywords read as ASA are unknown there.
  auto r = load(Dialect::Asa, "crypto isakmp policy 10\n encr aes\n");
  EXPECT_EQ(formatted("t", r.diagnostics),
            std::vector<std::string>{"t:2: warning: unknown command 'encr aes' in crypto isakmp policy mode; kept as "
                                     "written, ikegate does not act on it"});
}

TEST(Secrets, NeverPrintedNorInMessages) {
  const char* asa =
      "tunnel-group 10.0.0.2 type ipsec-l2l\n"
      "tunnel-group 10.0.0.2 ipsec-attributes\n"
      " ikev2 local-authentication pre-shared-key Sup3rSecretL0cal\n"
      " ikev2 remote-authentication pre-shared-key Sup3rSecretRem0te\n"
      " ikev1 pre-shared-key Sup3rSecretV1\n"
      "username u password Sup3rSecretUser privilege 3\n"
      "enable password Sup3rSecretEnable\n"
      "snmp-server community Sup3rSecretCommunity\n"
      "frobnicate key Sup3rSecretUnknown\n";
  auto r = load(Dialect::Asa, asa);
  std::string shown = print_running_config(r.model);
  std::string messages;
  for (const auto& l : formatted("t", r.diagnostics)) messages += l + "\n";
  for (const auto* text : {&shown, &messages}) EXPECT_EQ(text->find("Sup3rSecret"), std::string::npos) << *text;
  EXPECT_NE(shown.find(" ikev2 local-authentication pre-shared-key *****"), std::string::npos);
  EXPECT_NE(shown.find("enable password *****"), std::string::npos);
  // The keys are in the model, usable by the engines.
  const TunnelGroup* tg = r.model.tunnel_group("10.0.0.2");
  ASSERT_NE(tg, nullptr);
  EXPECT_TRUE(tg->ikev2_local.key.usable());
  EXPECT_EQ(tg->ikev2_local.key.value, SecretBytes(as_bytes("Sup3rSecretL0cal")));
  // Printed and parsed back: the same model with every secret masked.
  EXPECT_TRUE(parse_config(shown).model == r.model.redacted());

  const char* ios =
      "crypto isakmp key 0 Sup3rSecretIsakmp address 10.0.0.2\n"
      "crypto ikev2 keyring K\n peer p\n  address 10.0.0.2\n  pre-shared-key local Sup3rSecretLocal\n"
      "  pre-shared-key remote Sup3rSecretRemote\n"
      "username admin privilege 15 secret 5 Sup3rSecretHash\n";
  auto i = load(Dialect::Ios, ios);
  std::string ishown = print_running_config(i.model);
  EXPECT_EQ(ishown.find("Sup3rSecret"), std::string::npos) << ishown;
  EXPECT_NE(ishown.find("crypto isakmp key ***** address 10.0.0.2"), std::string::npos);
  EXPECT_NE(ishown.find("  pre-shared-key local *****"), std::string::npos);
}

TEST(Secrets, MaskedAndEncryptedKeysLoadWithAWarning) {
  auto r = load(Dialect::Ios, "crypto isakmp key 6 AbCdEf address 10.0.0.2\n");
  EXPECT_EQ(formatted("t", r.diagnostics),
            std::vector<std::string>{"t:1: warning: crypto isakmp key is stored encrypted (type 6); ikegate cannot use "
                                     "it, set the key in clear text"});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.model.isakmp_keys[0].key.state, ConfigSecret::State::Encrypted);
  EXPECT_FALSE(r.model.isakmp_keys[0].key.usable());
}

TEST(Modes, IosInterfaceSubCommandsWithoutIndentation) {
  auto r = load(Dialect::Ios,
                "interface Ethernet0/0\nip address 192.168.1.2 255.255.255.0\nip nat outside\ncrypto map IPSEC\n"
                "ip route 0.0.0.0 0.0.0.0 192.168.1.1\n");
  const Interface* i = r.model.interface_by_name("Ethernet0/0");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->address.to_string(), "192.168.1.2");
  ASSERT_EQ(i->other.size(), 1u);
  EXPECT_EQ(i->other[0].text, "ip nat outside");
  EXPECT_EQ(i->crypto_map->name, "IPSEC");
  // "ip route" is global: the interface does not take it.
  const auto& mid = r.model.kept[static_cast<int>(Section::AccessLists)];
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid[0].text, "ip route 0.0.0.0 0.0.0.0 192.168.1.1");
}

TEST(Modes, IndentedBlocksCloseAtTheirOwnIndentation) {
  // "group-policy ... attributes" takes "webvpn"; once its children are indented, a webvpn at
  // column 0 is the global one.
  auto r = load(Dialect::Asa,
                "group-policy G internal\ngroup-policy G attributes\n vpn-tunnel-protocol ikev2\nwebvpn\n enable outside\n");
  EXPECT_EQ(r.model.group_policies[0].attribute_lines.size(), 1u);
  const auto& w = r.model.kept[static_cast<int>(Section::Webvpn)];
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].children.size(), 1u);
}

TEST(Modes, ABangAtColumnZeroEndsEveryBlock) {
  // Without the "!" the unindented "encryption" would go to the policy, as on the device;
  // after it, it is an (unknown) global command, as `show running-config` means it.
  auto joined = load(Dialect::Asa, "crypto ikev1 policy 10\n authentication pre-share\nencryption des\n");
  EXPECT_EQ(joined.model.isakmp_policies[0].encryption, (Cipher{EncrId::DES, 0}));
  auto split = load(Dialect::Asa, "crypto ikev1 policy 10\n authentication pre-share\n!\nencryption des\n");
  EXPECT_EQ(split.model.isakmp_policies[0].encryption, (Cipher{EncrId::TRIPLE_DES, 0}));
  EXPECT_EQ(formatted("t", split.diagnostics),
            std::vector<std::string>{"t:4: warning: unknown command 'encryption des'; kept as written, ikegate does "
                                     "not act on it"});
}

TEST(Modes, UnknownCommandsAreKeptWithTheirChildren) {
  auto r = load(Dialect::Asa, "frobnicate widgets\n twiddle 1\n  deeper 2\nhostname fw\n");
  EXPECT_EQ(formatted("t", r.diagnostics),
            std::vector<std::string>{"t:1: warning: unknown command 'frobnicate widgets'; kept as written, ikegate does "
                                     "not act on it"});
  EXPECT_EQ(r.model.hostname, "fw");
  std::string shown = print_running_config(r.model);
  EXPECT_NE(shown.find("frobnicate widgets\n twiddle 1\n  deeper 2\n"), std::string::npos) << shown;
}

TEST(Validate, EachIkeVersionMustBeEnabledWhereAMapOffersIt) {
  const char* base =
      "interface G0/0\n nameif outside\n ip address 10.0.0.1 255.255.255.0\n"
      "access-list A extended permit ip host 10.1.1.1 host 10.2.2.2\n"
      "crypto ipsec ikev1 transform-set T esp-aes esp-sha-hmac\n"
      "crypto ipsec ikev2 ipsec-proposal P\n protocol esp encryption aes\n protocol esp integrity sha-1\n"
      "crypto map M 1 match address A\ncrypto map M 1 set peer 10.0.0.2\n"
      "crypto map M 1 set ikev1 transform-set T\ncrypto map M 1 set ikev2 ipsec-proposal P\n"
      "crypto map M interface outside\n"
      "tunnel-group 10.0.0.2 type ipsec-l2l\ntunnel-group 10.0.0.2 ipsec-attributes\n"
      " ikev1 pre-shared-key k\n ikev2 local-authentication pre-shared-key k\n"
      " ikev2 remote-authentication pre-shared-key k\n";
  auto none = load(Dialect::Asa, base);
  EXPECT_EQ(formatted("t", none.diagnostics),
            (std::vector<std::string>{
                "t:13: warning: crypto map 'M' offers IKEv1 on 'outside' but IKEv1 is not enabled there; expected "
                "'crypto ikev1 enable outside'",
                "t:13: warning: crypto map 'M' offers IKEv2 on 'outside' but IKEv2 is not enabled there; expected "
                "'crypto ikev2 enable outside'"}));
  auto both = load(Dialect::Asa, std::string(base) + "crypto ikev1 enable outside\ncrypto ikev2 enable outside\n");
  EXPECT_TRUE(both.diagnostics.empty()) << formatted("t", both.diagnostics)[0];
}

TEST(Printer, TransformSetsAsEachPlatformSpellsThem) {
  auto a = load(Dialect::Asa, "crypto ipsec ikev1 transform-set T esp-aes-256 esp-sha-hmac\n");
  EXPECT_NE(print_running_config(a.model).find("crypto ipsec ikev1 transform-set T esp-aes-256 esp-sha-hmac\n"),
            std::string::npos);
  auto i = load(Dialect::Ios, "crypto ipsec transform-set T esp-aes 256 esp-sha-hmac\n");
  EXPECT_NE(print_running_config(i.model).find("crypto ipsec transform-set T esp-aes 256 esp-sha-hmac\n mode tunnel\n"),
            std::string::npos);
  EXPECT_EQ(a.model.transform_sets[0].esp_encryption, i.model.transform_sets[0].esp_encryption);
}

TEST(Printer, IosHidesDefaultsTheAsaShows) {
  const char* policy = "crypto isakmp policy 10\n authentication pre-share\n";
  auto i = load(Dialect::Ios, policy);
  std::string ios = print_running_config(i.model);
  EXPECT_NE(ios.find("crypto isakmp policy 10\n authentication pre-share\n!"), std::string::npos) << ios;
  auto a = load(Dialect::Asa, policy);
  std::string asa = print_running_config(a.model);
  // Written as "crypto isakmp" (PIX / ASA before 8.4), printed back that way.
  EXPECT_NE(asa.find("crypto isakmp policy 10\n authentication pre-share\n encryption 3des\n hash sha\n group 2\n "
                     "lifetime 86400\n"),
            std::string::npos)
      << asa;
}

TEST(Printer, Ikev2FragmentationRoundTripsInBothDialects) {
  for (auto [dialect, text] : {std::pair{Dialect::Asa, "crypto ikev2 fragmentation mtu 1200\n"},
                               std::pair{Dialect::Ios, "crypto ikev2 fragmentation mtu 1200\n"},
                               std::pair{Dialect::Asa, "no crypto ikev2 fragmentation\n"},
                               std::pair{Dialect::Ios, "crypto ikev2 fragmentation\n"}}) {
    auto r = load(dialect, text);
    ASSERT_TRUE(r.diagnostics.empty()) << text << formatted("t", r.diagnostics)[0];
    ASSERT_TRUE(r.model.ikev2_fragmentation) << text;
    std::string printed = print_running_config(r.model);
    EXPECT_NE(printed.find(text), std::string::npos) << printed;
    auto again = load(dialect, printed);
    EXPECT_EQ(again.model.ikev2_fragmentation, r.model.ikev2_fragmentation) << text;
  }
  auto r = load(Dialect::Ios, "crypto ikev2 fragmentation mtu 1200\n");
  EXPECT_EQ(r.model.ikev2_fragmentation->mtu, 1200);
  EXPECT_TRUE(r.model.ikev2_fragmentation->enabled);
  EXPECT_FALSE(load(Dialect::Asa, "no crypto ikev2 fragmentation\n").model.ikev2_fragmentation->enabled);
}

TEST(Printer, Phase1ModeAggressiveRoundTripsInTheAsaSpellings) {
  const char* map = "access-list A extended permit ip host 10.1.1.1 host 10.2.2.2\n"
                    "crypto ipsec ikev1 transform-set T esp-aes esp-sha-hmac\n"
                    "crypto map M 1 match address A\n"
                    "crypto map M 1 set peer 10.0.0.2\ncrypto map M 1 set ikev1 transform-set T\n";
  auto a = load(Dialect::Asa, std::string(map) + "crypto map M 1 set ikev1 phase1-mode aggressive group5\n");
  ASSERT_TRUE(a.ok()) << formatted("t", a.diagnostics)[0];
  for (const auto& d : formatted("t", a.diagnostics)) EXPECT_EQ(d.find("phase1-mode"), std::string::npos) << d;
  ASSERT_EQ(a.model.crypto_maps.size(), 1u);
  const auto& e = a.model.crypto_maps[0].entries[0];
  EXPECT_TRUE(e.phase1_aggressive);
  EXPECT_EQ(e.phase1_group, DhGroup::MODP_1536);
  EXPECT_TRUE(e.other.empty()) << "understood, not kept as text";
  std::string printed = print_running_config(a.model);
  EXPECT_NE(printed.find("crypto map M 1 set ikev1 phase1-mode aggressive group5\ncrypto map M 1 set ikev1 transform-set T\n"),
            std::string::npos)
      << printed;
  EXPECT_EQ(load(Dialect::Asa, printed).model.crypto_maps, a.model.crypto_maps);
  // PIX 7 / ASA before 8.4 wrote it without "ikev1", and gets it back that way.
  auto legacy = load(Dialect::Asa, "access-list A extended permit ip host 10.1.1.1 host 10.2.2.2\n"
                                   "crypto ipsec transform-set T esp-des esp-md5-hmac\ncrypto map M 1 match address A\n"
                                   "crypto map M 1 set transform-set T\ncrypto map M 1 set phase1-mode aggressive\n");
  ASSERT_TRUE(legacy.ok()) << formatted("t", legacy.diagnostics)[0];
  for (const auto& d : formatted("t", legacy.diagnostics)) EXPECT_EQ(d.find("phase1-mode"), std::string::npos) << d;
  EXPECT_TRUE(legacy.model.crypto_maps[0].entries[0].phase1_aggressive);
  EXPECT_FALSE(legacy.model.crypto_maps[0].entries[0].phase1_group);
  EXPECT_NE(print_running_config(legacy.model).find("crypto map M 1 set phase1-mode aggressive\n"), std::string::npos);
  // Main Mode is the default: set back, nothing is printed.
  auto main_mode = load(Dialect::Asa, std::string(map) + "crypto map M 1 set ikev1 phase1-mode aggressive\n"
                                                         "crypto map M 1 set ikev1 phase1-mode main\n");
  EXPECT_FALSE(main_mode.model.crypto_maps[0].entries[0].phase1_aggressive);
  EXPECT_EQ(print_running_config(main_mode.model).find("phase1-mode"), std::string::npos);
}

TEST(Printer, NoCryptoIsakmpDefaultPolicyRoundTrips) {
  auto r = load(Dialect::Ios, "no crypto isakmp default policy\n");
  ASSERT_TRUE(r.diagnostics.empty()) << formatted("t", r.diagnostics)[0];
  EXPECT_FALSE(r.model.isakmp_default_policy);
  std::string printed = print_running_config(r.model);
  EXPECT_NE(printed.find("no crypto isakmp default policy\n"), std::string::npos) << printed;
  EXPECT_FALSE(load(Dialect::Ios, printed).model.isakmp_default_policy);
  auto on = load(Dialect::Ios, "hostname r\n");
  EXPECT_TRUE(on.model.isakmp_default_policy);
  EXPECT_EQ(print_running_config(on.model).find("default policy"), std::string::npos);
}

TEST(Printer, AccessListsKeepTheirForm) {
  auto r = load(Dialect::Ios,
                "access-list 101 permit tcp any host 10.0.0.1 eq 443\n"
                "ip access-list extended NAMED\n 10 permit udp 10.1.0.0 0.0.255.255 any range 500 4500 log\n"
                " 20 remark keep this\n");
  std::string s = print_running_config(r.model);
  EXPECT_NE(s.find("access-list 101 permit tcp any host 10.0.0.1 eq https\n"), std::string::npos) << s;
  EXPECT_NE(s.find("ip access-list extended NAMED\n 10 permit udp 10.1.0.0 0.0.255.255 any range isakmp non500-isakmp log\n "
                   "20 remark keep this\n"),
            std::string::npos)
      << s;
}

TEST(Model, AnInterfaceWithoutAnAddressKeepsNoOldOne) {
  // Found by the fuzzer: the address of an earlier "ip address" must not survive "no ip address".
  for (Dialect d : {Dialect::Asa, Dialect::Ios}) {
    auto r = load(d, "interface e0\n ip address 10.0.0.1 255.255.255.0\ninterface e0\n no ip address\n");
    const Interface& i = r.model.interfaces[0];
    EXPECT_EQ(i.address_mode, Interface::AddressMode::NoAddress);
    EXPECT_TRUE(parse_config(print_running_config(r.model), ParseOptions{d, false}).model == r.model);
    auto h = load(d, "interface e0\n ip address 10.0.0.1 255.255.255.0\n ip address dhcp\n");
    EXPECT_TRUE(parse_config(print_running_config(h.model), ParseOptions{d, false}).model == h.model);
  }
}

TEST(Model, EqualityIgnoresWhereThingsWereSaid) {
  auto a = load(Dialect::Asa, "hostname fw\naccess-list A extended permit ip any any\n");
  auto b = load(Dialect::Asa, "\n\n! moved down\nhostname fw\n\naccess-list A extended permit ip any any\n");
  EXPECT_TRUE(a.model == b.model);
  auto c = load(Dialect::Asa, "hostname fw\naccess-list A extended deny ip any any\n");
  EXPECT_FALSE(a.model == c.model);
}

TEST(Robustness, GarbageNeverCrashes) {
  for (std::string_view s : {"", "\n\n", "crypto", "crypto map", "crypto map x", "tunnel-group", "access-list",
                             "access-list A extended permit", "interface\n nameif", " indented first\n",
                             "crypto ikev2 keyring K\n peer\n", "ip local pool P 1.2.3.4-", "object network",
                             "\t\t\r\r", "crypto map M 1 set security-association lifetime"}) {
    for (Dialect d : {Dialect::Asa, Dialect::Ios}) {
      ParseOptions o;
      o.dialect = d;
      auto r = load_config(s, o);
      (void)print_running_config(r.model);
    }
  }
}

}  // namespace
}  // namespace ikegate::config
