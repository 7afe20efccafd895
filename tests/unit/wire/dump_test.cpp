#include <gtest/gtest.h>

#include <fstream>

#include "seed_messages.h"
#include "test_support.h"
#include "wire/ikev2_codec.h"
#include "wire/ikev2_dump.h"

namespace ikegate::wire {
namespace {

std::vector<std::string> expected(const std::string& file) {
  std::ifstream in(std::string(IKEGATE_SOURCE_DIR) + "/tests/data/wire/" + file);
  EXPECT_TRUE(in) << file;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("#")) lines.push_back(line);
  }
  return lines;
}

void expect_lines(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  for (std::size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    EXPECT_EQ(i < got.size() ? got[i] : "<none>", i < want.size() ? want[i] : "<none>")
        << "line " << i + 1;
  }
}

template <class... V>
std::vector<std::string> concat(const std::vector<std::string>& a, const V&... rest) {
  std::vector<std::string> out = a;
  (out.insert(out.end(), rest.begin(), rest.end()), ...);
  return out;
}

// What the sender dumps: the wire lengths, from decoding its own datagram.
Message as_sent(const Message& m, SkProtection* sk) {
  return *decode(*encode(m, sk));
}

TEST(DumpAsa, IkeSaInitRequestAsSent) {
  expect_lines(dump_asa(seed::ike_sa_init_request()), expected("asa_ike_sa_init_request_tx.txt"));
  // The lengths do not depend on having gone through the wire.
  expect_lines(dump_asa(as_sent(seed::ike_sa_init_request(), nullptr)),
               expected("asa_ike_sa_init_request_tx.txt"));
}

TEST(DumpAsa, IkeAuthResponseBuildSendReceive) {
  auto aes = test::XorSk::aes_cbc_sha1();
  Message m = seed::ike_auth_response();
  expect_lines(dump_asa_payloads(m.payloads), expected("asa_ike_auth_response_build.txt"));
  Bytes wire = *encode(m, &aes);
  Message outer = *decode(wire);
  expect_lines(dump_asa(outer), expected("asa_ike_auth_response_tx.txt"));
  Message inner = *decrypt(outer, wire, aes);
  expect_lines(dump_asa(inner, Direction::Received), expected("asa_ike_auth_response_rx.txt"));
}

TEST(DumpAsa, CreateChildSaOnTheTripleDesSa) {
  auto des = test::XorSk::des3_md5();
  Message req = seed::create_child_sa_request();
  expect_lines(concat(dump_asa_payloads(req.payloads), dump_asa(as_sent(req, &des))),
               expected("asa_create_child_sa_request_tx.txt"));
  Bytes wire = *encode(seed::create_child_sa_response(), &des);
  Message inner = *decrypt(*decode(wire), wire, des);
  expect_lines(dump_asa(inner, Direction::Received), expected("asa_create_child_sa_response_rx.txt"));
}

Message ios_ike_sa_init_request() {
  Message m;
  m.header = {0xF074D8BBD5A59F0B, 0, PayloadType::NONE, 2, 0, ExchangeType::IKE_SA_INIT,
              kFlagInitiator, 0, 0};
  m.payloads = {
      make(SaPayload{{Proposal{1, ProtocolId::IKE, {},
                               {Transform::encr(EncrId::TRIPLE_DES),
                                Transform::encr(EncrId::AES_CBC, 128),
                                Transform::prf(PrfId::HMAC_SHA1),
                                Transform::integ(IntegId::HMAC_SHA1_96),
                                Transform::dh(DhGroup::MODP_1024)}}}}),
      make(KePayload{DhGroup::MODP_1024, Bytes(128, 0x77)}),
      make(NoncePayload{Bytes(20, 0x55)}),
      make(VendorIdPayload{vid::cisco_delete_reason()}),
      make(VendorIdPayload{vid::flexvpn_supported()}),
      make_notify(NotifyType::NAT_DETECTION_SOURCE_IP, Bytes(20, 1)),
      make_notify(NotifyType::NAT_DETECTION_DESTINATION_IP, Bytes(20, 2)),
  };
  return m;
}

TEST(DumpIos, IkeSaInitBothSides) {
  Message m = ios_ike_sa_init_request();
  expect_lines(dump_ios(m, Direction::Sent, 1u), expected("ios_ike_sa_init_request_tx.txt"));
  expect_lines(dump_ios(as_sent(m, nullptr), Direction::Received),
               expected("ios_ike_sa_init_request_rx.txt"));
}

TEST(DumpIos, EncryptedMessageShowsEncrOrContents) {
  auto aes = test::XorSk::aes_cbc_sha1();
  Bytes wire = *encode(seed::ike_auth_response(), &aes);
  Message outer = *decode(wire);
  auto lines = dump_ios(outer, Direction::Sent, 1u);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "IKEv2:(SA ID = 1):Next payload: ENCR, version: 2.0 Exchange type: IKE_AUTH, flags: "
            "RESPONDER MSG-RESPONSE Message id: 1, length: 236 ");
  EXPECT_EQ(lines[2], " ENCR  Next payload: VID, reserved: 0x0, length: 208");
  auto rx = dump_ios(*decrypt(outer, wire, aes), Direction::Received, 1u);
  EXPECT_EQ(rx[2],
            "IKEv2:Parse Vendor Specific Payload: (CUSTOM) VID  Next payload: IDr, reserved: 0x0, "
            "length: 20");
  EXPECT_EQ(rx[3], " IDr  Next payload: AUTH, reserved: 0x0, length: 12");
  EXPECT_EQ(rx[4], "    Id type: IPv4 address, Reserved: 0x0 0x0");
  EXPECT_EQ(rx[5], " AUTH  Next payload: SA, reserved: 0x0, length: 28");
}

TEST(DumpNames, CiscoSpellings) {
  EXPECT_EQ(cisco_flags(kFlagInitiator), "INITIATOR");
  EXPECT_EQ(cisco_flags(kFlagResponse), "RESPONDER MSG-RESPONSE");
  EXPECT_EQ(cisco_flags(kFlagInitiator | kFlagResponse), "INITIATOR MSG-RESPONSE");
  EXPECT_EQ(cisco_transform_name(TransformType::DH, 14), "DH_GROUP_2048_MODP/Group 14");
  EXPECT_EQ(cisco_transform_name(TransformType::DH, 19), "DH_GROUP_256_ECP/Group 19");
  EXPECT_EQ(cisco_transform_name(TransformType::ENCR, 20), "AES-GCM");
  EXPECT_EQ(cisco_transform_name(TransformType::PRF, 5), "SHA256");
  EXPECT_EQ(cisco_transform_name(TransformType::INTEG, 12), "SHA256");
  EXPECT_EQ(cisco_transform_name(TransformType::ENCR, 999), "Unknown - 999");
  EXPECT_EQ(cisco_notify_name(NotifyType::SET_WINDOW_SIZE), "SET_WINDOW_SIZE");
  EXPECT_EQ(cisco_notify_name(static_cast<NotifyType>(16404)), "MULTIPLE_AUTH_SUPPORTED");
  EXPECT_EQ(cisco_notify_name(static_cast<NotifyType>(40000)), "Unknown - 40000");
  EXPECT_EQ(cisco_payload_name(PayloadType::CP), "CFG");
  EXPECT_EQ(name(NotifyType::ESP_TFC_PADDING_NOT_SUPPORTED), "ESP_TFC_PADDING_NOT_SUPPORTED");
}

TEST(DumpAsa, EveryPayloadRendersWithoutSurprises) {
  // CP, Delete, EAP, CERT, unknown: every line non-empty or a hex separator, nothing throws.
  Message m;
  m.header.exchange = ExchangeType::INFORMATIONAL;
  m.payloads = {make(CpPayload{CfgType::CFG_REQUEST, {{3, {}}, {28675, {}}}}),
                make(DeletePayload{ProtocolId::ESP, {Bytes{1, 2, 3, 4}}}),
                make(CertReqPayload{12, Bytes(100, 1)}),
                make(UnknownPayload{200, true, Bytes{1}})};
  auto lines = dump_asa(m);
  EXPECT_EQ(lines[4], " CFG  Next payload: DELETE, reserved: 0x0, length: 16");
  EXPECT_EQ(lines[5], "    cfg type: CFG_REQUEST, reserved: 0x0, reserved: 0x0");
  EXPECT_EQ(lines[6], "    attrib type: internal IP4 DNS, length: 0");
  EXPECT_EQ(lines[7], "    attrib type: Unknown - 28675, length: 0");
  EXPECT_EQ(lines[9], "    Security protocol id: ESP, spi size: 4, num of spi: 1");
  EXPECT_EQ(lines[12], " CERTREQ  Next payload: Unknown - 200, reserved: 0x0, length: 105");
  EXPECT_EQ(lines[13], "    Cert encoding Hash and URL of PKIX");
  EXPECT_EQ(lines[14], " Unknown - 200  Next payload: NONE, reserved: 0x80, length: 5");
}

}  // namespace
}  // namespace ikegate::wire
