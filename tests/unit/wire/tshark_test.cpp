// Wire check against a dissector we did not write (issue 3, section 4): messages built by the
// codec are written to a pcap (Ethernet, IPv4, UDP 500) and read back by tshark's ISAKMP/IKEv2
// dissector, which must find no malformed packet and raise no expert warning or error.
// Skipped when tshark is not installed (Debian package tshark).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "seed_messages.h"
#include "test_support.h"
#include "wire/ikev2_codec.h"

namespace ikegate::wire {
namespace {

std::uint16_t ip_checksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += load_be16(p + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// One Ethernet/IPv4/UDP frame carrying `ike` from 10.0.0.1:500 to 10.0.0.2:500 (or back).
Bytes frame(ByteView ike, bool from_initiator) {
  Bytes f;
  Bytes a = {10, 0, 0, 1}, b = {10, 0, 0, 2};
  put_bytes(f, Bytes{0x02, 0, 0, 0, 0, from_initiator ? std::uint8_t{2} : std::uint8_t{1}});
  put_bytes(f, Bytes{0x02, 0, 0, 0, 0, from_initiator ? std::uint8_t{1} : std::uint8_t{2}});
  put_be16(f, 0x0800);
  std::size_t ip = f.size();
  put_u8(f, 0x45);
  put_u8(f, 0);
  put_be16(f, static_cast<std::uint16_t>(20 + 8 + ike.size()));
  put_be32(f, 0x00004000);  // id 0, DF
  put_u8(f, 64);
  put_u8(f, 17);
  put_be16(f, 0);
  put_bytes(f, from_initiator ? a : b);
  put_bytes(f, from_initiator ? b : a);
  store_be16(f.data() + ip + 10, ip_checksum(f.data() + ip, 20));
  put_be16(f, 500);
  put_be16(f, 500);
  put_be16(f, static_cast<std::uint16_t>(8 + ike.size()));
  put_be16(f, 0);  // no UDP checksum (allowed over IPv4)
  put_bytes(f, ike);
  return f;
}

void put_le32(Bytes& out, std::uint32_t v) {
  for (int s = 0; s < 32; s += 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put_le16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

// The classic libpcap format: global header, then a record header per frame.
Bytes pcap(const std::vector<Bytes>& frames) {
  Bytes out;
  put_le32(out, 0xa1b2c3d4);
  put_le16(out, 2);
  put_le16(out, 4);
  put_le32(out, 0);
  put_le32(out, 0);
  put_le32(out, 65535);
  put_le32(out, 1);  // LINKTYPE_ETHERNET
  std::uint32_t t = 1700000000;
  for (const Bytes& f : frames) {
    put_le32(out, t++);
    put_le32(out, 0);
    put_le32(out, static_cast<std::uint32_t>(f.size()));
    put_le32(out, static_cast<std::uint32_t>(f.size()));
    put_bytes(out, f);
  }
  return out;
}

std::string run(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p.get())) out.append(buf, n);
  return out;
}

Message every_clear_payload() {
  Message m = seed::ike_sa_init_request();
  m.header.message_id = 0;
  m.payloads.push_back(make_notify(NotifyType::NAT_DETECTION_SOURCE_IP, Bytes(20, 1)));
  m.payloads.push_back(make_notify(NotifyType::IKEV2_FRAGMENTATION_SUPPORTED));
  m.payloads.push_back(make_notify(NotifyType::SIGNATURE_HASH_ALGORITHMS, test::hex("00020003")));
  m.payloads.push_back(make(CertReqPayload{4, Bytes(20, 7)}));
  return m;
}

Message clear_auth_contents() {
  // IKE_AUTH contents in clear so the dissector walks them (it cannot open SK). No CERT: the
  // dissector parses its DER, and a real certificate is the crypto module's business.
  Message m = seed::ike_auth_request();
  m.encrypted = false;
  m.payloads.push_back(make(CpPayload{CfgType::CFG_REQUEST, {{1, {}}, {3, {}}, {8, {}}}}));
  m.payloads.push_back(make(EapPayload{test::hex("0201000a01616c696365")}));
  m.payloads.push_back(make(DeletePayload{ProtocolId::ESP, {test::hex("74756292")}}));
  m.payloads.push_back(make_id(PayloadType::IDr, IdPayload::from_fqdn("asa2.example.com")));
  m.payloads.push_back(make_ts(PayloadType::TSr,
                               {{TrafficSelector::range(*IpAddress::parse("2001:db8::1"),
                                                        *IpAddress::parse("2001:db8::ff"), 6, 1,
                                                        1024)}}));
  return m;
}

TEST(Tshark, DissectsEveryMessageWithoutWarnings) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "tshark not installed (Debian package tshark)";
  }
  auto aes = test::XorSk::aes_cbc_sha1();
  struct Item {
    Message m;
    bool from_initiator;
  };
  std::vector<Item> items = {
      {seed::ike_sa_init_request(), true},     {seed::ike_sa_init_response(), false},
      {seed::ike_auth_request(), true},        {seed::ike_auth_response(), false},
      {seed::create_child_sa_request(), true}, {seed::create_child_sa_response(), false},
      {seed::informational_delete(), true},    {every_clear_payload(), true},
      {clear_auth_contents(), true},
  };
  std::vector<Bytes> frames;
  for (const auto& it : items) {
    auto d = encode(it.m, &aes);
    ASSERT_TRUE(d) << d.error().message;
    frames.push_back(frame(*d, it.from_initiator));
  }
  Message big = seed::ike_auth_request();
  big.payloads.push_back(make(CertPayload{4, Bytes(2000, 0x42)}));
  auto frags = encode_fragments(big, aes, 1200);
  ASSERT_TRUE(frags);
  for (const auto& f : *frags) frames.push_back(frame(f, true));

  std::string path = std::string(IKEGATE_BINARY_DIR) + "/wire_tshark.pcap";
  {
    Bytes file = pcap(frames);
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  }
  std::string text = run("tshark -n -r '" + path + "' -V 2>&1");
  ASSERT_NE(text.find("Internet Security Association and Key Management Protocol"),
            std::string::npos)
      << text.substr(0, 2000);
  for (const char* bad : {"Malformed", "Expert Info (Warning", "Expert Info (Error"}) {
    auto at = text.find(bad);
    EXPECT_EQ(at, std::string::npos)
        << bad << " in:\n" << text.substr(at == std::string::npos ? 0 : (at > 1500 ? at - 1500 : 0), 3000);
  }
  std::string fields = run("tshark -n -r '" + path +
                           "' -T fields -e isakmp.exchangetype -e isakmp.nextpayload 2>/dev/null");
  // One line per frame: exchange type, then the payload chain's types.
  std::vector<std::string> lines;
  for (std::size_t s = 0, e; (e = fields.find('\n', s)) != std::string::npos; s = e + 1) {
    lines.push_back(fields.substr(s, e - s));
  }
  ASSERT_EQ(lines.size(), frames.size()) << fields;
  EXPECT_TRUE(lines[0].starts_with("34\t33,")) << lines[0];  // IKE_SA_INIT, SA first
  EXPECT_TRUE(lines[2].starts_with("35\t46")) << lines[2];   // IKE_AUTH, SK
  EXPECT_TRUE(lines[4].starts_with("36\t46")) << lines[4];   // CREATE_CHILD_SA
  EXPECT_TRUE(lines[6].starts_with("37\t46")) << lines[6];   // INFORMATIONAL
  EXPECT_TRUE(lines[9].starts_with("35\t53")) << lines[9];   // SKF
  std::string checks = run("tshark -n -r '" + path +
                           "' -T fields -e isakmp.ispi -e isakmp.notify.msgtype -Y 'frame.number==8' 2>/dev/null");
  EXPECT_NE(checks.find("dfa3b583a4369958"), std::string::npos) << checks;
  EXPECT_NE(checks.find("16388"), std::string::npos) << checks;
}

}  // namespace
}  // namespace ikegate::wire
