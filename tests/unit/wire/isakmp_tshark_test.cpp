// ISAKMP messages built by the codec, dissected by tshark's ISAKMP dissector (a parser we did
// not write): no malformed packet, no expert warning or error, and the fields it reads are the
// ones we meant. The frames are wrapped by text2pcap (Debian package wireshark-common, which
// tshark depends on). Skipped when tshark is not installed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "wire/isakmp_codec.h"
#include "wire/isakmp_vendor_ids.h"

namespace ikegate::wire::isakmp {
namespace {

std::string shell(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p.get())) out.append(buf, n);
  return out;
}

// text2pcap's input: each packet an offset-0 hexdump.
void append_dump(std::string& text, ByteView d) {
  for (std::size_t i = 0; i < d.size(); i += 16) {
    text += fmt::format("{:06x}", i);
    for (std::size_t j = i; j < d.size() && j < i + 16; ++j) {
      static constexpr char kDigits[] = "0123456789abcdef";
      text += ' ';
      text += kDigits[d[j] >> 4];
      text += kDigits[d[j] & 15];
    }
    text += '\n';
  }
}

Message phase1_offer() {
  Message m;
  m.header.cookie_i = 0x8d5a1e0b3c4f2a11ull;
  Proposal p;
  Transform t;
  t.attributes = {Attribute::tv(1, 7), Attribute::tv(14, 256), Attribute::tv(2, 2), Attribute::tv(3, 1),
                  Attribute::tv(4, 14), Attribute::tv(11, 1), Attribute::number(12, 86400)};
  p.transforms = {t};
  m.payloads.push_back(make(SaPayload{kDoiIpsec, kSituationIdentity, {p}}));
  for (auto& v : vid::main_mode_set()) m.payloads.push_back(make(VendorPayload{v}));
  return m;
}

Message key_exchange() {
  Message m;
  m.header.cookie_i = 0x8d5a1e0b3c4f2a11ull;
  m.header.cookie_r = 0x42;
  m.payloads.push_back(make(KePayload{Bytes(256, 0x21)}));
  m.payloads.push_back(make(NoncePayload{Bytes(32, 0x22)}));
  m.payloads.push_back(make(NatDPayload{Bytes(20, 0x23)}));
  m.payloads.push_back(make(NatDPayload{Bytes(20, 0x24)}));
  return m;
}

Message quick_mode_clear() {
  Message m;
  m.header.cookie_i = 0x8d5a1e0b3c4f2a11ull;
  m.header.cookie_r = 0x42;
  m.header.exchange = ExchangeType::QUICK;
  m.header.message_id = 0x12345678;
  m.payloads.push_back(make(HashPayload{Bytes(20, 0x31)}));
  Proposal esp;
  esp.protocol = ProtocolId::ESP;
  esp.spi = *from_hex("81004014");
  Transform t;
  t.id = static_cast<std::uint8_t>(EspTransform::AES);
  t.attributes = {Attribute::tv(1, 1), Attribute::number(2, 28800), Attribute::tv(1, 2),
                  Attribute::number(2, 4608000), Attribute::tv(4, 3), Attribute::tv(5, 2),
                  Attribute::tv(6, 256), Attribute::tv(3, 2)};
  esp.transforms = {t};
  m.payloads.push_back(make(SaPayload{kDoiIpsec, kSituationIdentity, {esp}}));
  m.payloads.push_back(make(NoncePayload{Bytes(20, 0x32)}));
  m.payloads.push_back(make(KePayload{Bytes(128, 0x33)}));
  m.payloads.push_back(make(IdPayload::subnet(*IpAddress::parse("10.1.1.0"), *IpAddress::parse("255.255.255.0"))));
  m.payloads.push_back(make(IdPayload::subnet(*IpAddress::parse("10.2.1.0"), *IpAddress::parse("255.255.255.0"))));
  m.payloads.push_back(make(NatOaPayload{IdType::IPV4_ADDR, *from_hex("0a000001")}));
  return m;
}

Message informational_clear() {
  Message m;
  m.header.cookie_i = 0x8d5a1e0b3c4f2a11ull;
  m.header.cookie_r = 0x42;
  m.header.exchange = ExchangeType::INFORMATIONAL;
  m.header.message_id = 0x0badcafe;
  m.payloads.push_back(make(HashPayload{Bytes(20, 0x41)}));
  Bytes cookies(16, 0);
  store_be64(cookies.data(), 0x8d5a1e0b3c4f2a11ull);
  store_be64(cookies.data() + 8, 0x42);
  m.payloads.push_back(make(NotifyPayload{kDoiIpsec, ProtocolId::ISAKMP, cookies, NotifyType::R_U_THERE, *from_hex("00000007")}));
  m.payloads.push_back(make(DeletePayload{kDoiIpsec, ProtocolId::ESP, 4, {*from_hex("81004014")}}));
  m.payloads.push_back(make(DeletePayload{kDoiIpsec, ProtocolId::ISAKMP, 16, {cookies}}));
  m.payloads.push_back(make(NotifyPayload{kDoiIpsec, ProtocolId::ISAKMP, {}, NotifyType::INITIAL_CONTACT, {}}));
  return m;
}

TEST(IsakmpTshark, DissectsEveryMessageWithoutWarnings) {
  if (std::system("command -v tshark >/dev/null 2>&1 && command -v text2pcap >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "tshark/text2pcap not installed (Debian packages tshark, wireshark-common)";
  std::vector<Bytes> datagrams;
  for (const Message& m : {phase1_offer(), key_exchange(), quick_mode_clear(), informational_clear()}) {
    auto d = encode(m);
    ASSERT_TRUE(d) << d.error().message;
    datagrams.push_back(*d);
  }
  Message enc = informational_clear();
  enc.encrypted = true;
  auto e = encode(enc, 16, [](MutableByteView b) {
    for (auto& o : b) o ^= 0xa5;
    return true;
  });
  ASSERT_TRUE(e);
  datagrams.push_back(*e);

  std::string dir = std::string(IKEGATE_BINARY_DIR);
  std::string txt = dir + "/isakmp_tshark.txt", pcap = dir + "/isakmp_tshark.pcap";
  {
    std::string text;
    for (const auto& d : datagrams) append_dump(text, d);
    std::ofstream(txt) << text;
  }
  ASSERT_EQ(std::system(("text2pcap -q -i 17 -4 10.0.0.1,10.0.0.2 -u 500,500 '" + txt + "' '" + pcap + "'").c_str()), 0);
  std::string verbose = shell("tshark -n -r '" + pcap + "' -V 2>&1");
  ASSERT_NE(verbose.find("Internet Security Association and Key Management Protocol"), std::string::npos)
      << verbose.substr(0, 2000);
  for (const char* bad : {"Malformed", "Expert Info (Warning", "Expert Info (Error"}) {
    auto at = verbose.find(bad);
    EXPECT_EQ(at, std::string::npos) << bad << " in:\n"
                                     << verbose.substr(at == std::string::npos ? 0 : (at > 1500 ? at - 1500 : 0), 3000);
  }
  std::string fields = shell("tshark -n -r '" + pcap +
                             "' -T fields -E occurrence=a -e isakmp.exchangetype -e isakmp.nextpayload 2>/dev/null");
  std::vector<std::string> lines;
  for (std::size_t s = 0, n; (n = fields.find('\n', s)) != std::string::npos; s = n + 1) lines.push_back(fields.substr(s, n - s));
  ASSERT_EQ(lines.size(), datagrams.size()) << fields;
  EXPECT_TRUE(lines[0].starts_with("2\t1,13,")) << lines[0];        // Main Mode: SA, VENDOR...
  EXPECT_TRUE(lines[1].starts_with("2\t4,10,20,20")) << lines[1];   // KE, NONCE, NAT-D x2
  EXPECT_TRUE(lines[2].starts_with("32\t8,1,10,0,0,4,5,5,21,0")) << lines[2];  // Quick Mode (proposal and transform chains included)
  EXPECT_TRUE(lines[3].starts_with("5\t8,11,12,12,11")) << lines[3];     // Informational
  EXPECT_TRUE(lines[4].starts_with("5\t8")) << lines[4];  // encrypted: only the header's next payload
  // The attributes tshark reads back: AES-256, group 14, 86400 s; ESP tunnel over UDP (3).
  std::string attrs = shell("tshark -n -r '" + pcap + "' -V -Y 'frame.number==1 || frame.number==3' 2>/dev/null");
  for (const char* want : {"(t=1,l=2): Encryption-Algorithm: AES-CBC", "(t=14,l=2): Key-Length: 256",
                           "Group-Description: 2048 bit MODP group", "(t=12,l=4): Life-Duration: 86400",
                           "(t=2,l=4): SA-Life-Duration: 4608000",
                           "Encapsulation-Mode: UDP-Encapsulated-Tunnel", "(t=6,l=2): Key-Length: 256"})
    EXPECT_NE(attrs.find(want), std::string::npos) << want << "\n" << attrs.substr(0, 6000);
  std::string notify = shell("tshark -n -r '" + pcap + "' -T fields -e isakmp.notify.msgtype -Y 'frame.number==4' 2>/dev/null");
  EXPECT_NE(notify.find("36136"), std::string::npos) << notify;
  EXPECT_NE(notify.find("24578"), std::string::npos) << notify;
}

}  // namespace
}  // namespace ikegate::wire::isakmp
