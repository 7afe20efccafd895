// ISAKMP / IKEv1 codec (RFC 2408, 2409, 3947): round trips of every payload, the attribute forms,
// encrypted bodies with padding, a table of malformed inputs with the offset and notification
// each must report, and the Vendor IDs of the IKEv1 seeds.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "wire/isakmp_codec.h"
#include "wire/isakmp_vendor_ids.h"

namespace ikegate::wire::isakmp {
namespace {

Bytes hex(std::string_view s) { return *from_hex(s); }

// The phase-1 proposal of the PIX/IOS seed: 3DES, SHA, pre-share, group 2, 86400 s.
Transform seed_phase1_transform() {
  Transform t;
  t.number = 1;
  t.id = kKeyIke;
  t.attributes = {Attribute::tv(1, 5),  Attribute::tv(2, 2),  Attribute::tv(3, 1),
                  Attribute::tv(4, 2),  Attribute::tv(11, 1), Attribute::number(12, 86400)};
  return t;
}

Message main_mode_1() {
  Message m;
  m.header.cookie_i = 0x1122334455667788ull;
  m.header.exchange = ExchangeType::MAIN;
  Proposal p;
  p.protocol = ProtocolId::ISAKMP;
  p.transforms = {seed_phase1_transform()};
  Transform aes = seed_phase1_transform();
  aes.number = 2;
  aes.attributes[0] = Attribute::tv(1, 7);
  aes.attributes.push_back(Attribute::tv(14, 256));
  p.transforms.push_back(aes);
  m.payloads.push_back(make(SaPayload{kDoiIpsec, kSituationIdentity, {p}}));
  for (auto& v : vid::main_mode_set()) m.payloads.push_back(make(VendorPayload{v}));
  return m;
}

Message every_payload() {
  Message m;
  m.header.cookie_i = 1;
  m.header.cookie_r = 2;
  m.header.exchange = ExchangeType::QUICK;
  m.header.message_id = 0xdeadbeef;
  m.payloads.push_back(make(HashPayload{Bytes(20, 0xaa)}));
  Proposal esp;
  esp.protocol = ProtocolId::ESP;
  esp.spi = hex("81004014");
  Transform t;
  t.id = static_cast<std::uint8_t>(EspTransform::AES);
  t.attributes = {Attribute::tv(1, 1), Attribute::number(2, 3600), Attribute::tv(1, 2),
                  Attribute::number(2, 4608000), Attribute::tv(4, 1), Attribute::tv(5, 2),
                  Attribute::tv(6, 128), Attribute::tv(3, 2)};
  esp.transforms = {t};
  m.payloads.push_back(make(SaPayload{kDoiIpsec, kSituationIdentity, {esp}}));
  m.payloads.push_back(make(NoncePayload{Bytes(16, 0x11)}));
  m.payloads.push_back(make(KePayload{Bytes(128, 0x22)}));
  m.payloads.push_back(make(IdPayload::subnet(*IpAddress::parse("10.1.1.0"), *IpAddress::parse("255.255.255.0"))));
  m.payloads.push_back(make(IdPayload::range(*IpAddress::parse("10.2.1.1"), *IpAddress::parse("10.2.1.9"), 6, 80)));
  m.payloads.push_back(make(CertPayload{4, Bytes(10, 0x33)}));
  m.payloads.push_back(make(CertReqPayload{4, {}}));
  m.payloads.push_back(make(SigPayload{Bytes(64, 0x44)}));
  m.payloads.push_back(make(NotifyPayload{kDoiIpsec, ProtocolId::ISAKMP, Bytes(16, 0x55), NotifyType::R_U_THERE, hex("00000001")}));
  m.payloads.push_back(make(DeletePayload{kDoiIpsec, ProtocolId::ESP, 4, {hex("01020304"), hex("05060708")}}));
  m.payloads.push_back(make(VendorPayload{vid::bytes(vid::Known::DPD)}));
  m.payloads.push_back(make(AttrPayload{CfgType::REQUEST, 7, {Attribute::tlv(1, {}), Attribute::tv(16521, 0)}}));
  m.payloads.push_back(make(NatDPayload{Bytes(20, 0x66)}));
  m.payloads.push_back(make(NatDPayload{Bytes(20, 0x67)}, true));
  m.payloads.push_back(make(NatOaPayload{IdType::IPV4_ADDR, hex("c0a80102")}));
  m.payloads.push_back(make(NatOaPayload{IdType::IPV4_ADDR, hex("c0a80103")}, true));
  m.payloads.push_back(make(UnknownPayload{128, hex("00007fff00007fff")}));
  return m;
}

TEST(IsakmpCodec, MainModeOneHasTheSeedsLayout) {
  auto d = encode(main_mode_1());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[16], 1);     // SA first
  EXPECT_EQ((*d)[17], 0x10);  // version 1.0
  EXPECT_EQ((*d)[18], 2);     // Identity Protection
  EXPECT_EQ(load_be32(d->data() + 24), d->size());
  // DOI 1, SIT_IDENTITY_ONLY right after the SA's generic header.
  EXPECT_EQ(to_hex(ByteView(*d).subspan(32, 8)), "0000000100000001");
  // The life duration 86400 in the variable form IOS prints as "(VPI) of 0x0 0x1 0x51 0x80".
  std::string h = to_hex(*d);
  EXPECT_NE(h.find("000c000400015180"), std::string::npos);
  EXPECT_NE(h.find("800b0001"), std::string::npos);  // life type seconds, basic form
  auto back = decode(*d);
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(back->payloads, main_mode_1().payloads);
  const auto& tr = back->payloads[0].get<SaPayload>()->proposals[0].transforms[0];
  EXPECT_EQ(tr.find(12)->as_number(), 86400u);
  EXPECT_FALSE(tr.find(12)->basic);
  EXPECT_EQ(back->spans.size(), back->payloads.size());
  EXPECT_EQ(back->spans[0].offset, kHeaderSize);
}

TEST(IsakmpCodec, EveryPayloadRoundTrips) {
  Message m = every_payload();
  auto d = encode(m);
  ASSERT_TRUE(d) << d.error().message;
  auto back = decode(*d);
  ASSERT_TRUE(back) << back.error().what << " at " << back.error().offset;
  EXPECT_EQ(back->payloads, m.payloads);
  EXPECT_EQ(back->header.message_id, 0xdeadbeefu);
  // Each span covers exactly the payload's octets, generic header included.
  std::size_t at = kHeaderSize;
  for (std::size_t i = 0; i < back->spans.size(); ++i) {
    EXPECT_EQ(back->spans[i].offset, at);
    EXPECT_EQ(load_be16(d->data() + at + 2), back->spans[i].length);
    at += back->spans[i].length;
  }
  EXPECT_EQ(at, d->size());
  auto id = back->payloads[5].get<IdPayload>();
  EXPECT_EQ(id->to_string(), "10.2.1.1-10.2.1.9");
  EXPECT_EQ(back->payloads[4].get<IdPayload>()->to_string(), "10.1.1.0/255.255.255.0");
}

TEST(IsakmpCodec, AttributeNumbers) {
  EXPECT_TRUE(Attribute::number(12, 65535).basic);
  Attribute big = Attribute::number(12, 65536);
  EXPECT_FALSE(big.basic);
  EXPECT_EQ(to_hex(big.data), "00010000");
  EXPECT_EQ(Attribute::number(2, 0x100000000ull).data.size(), 8u);
  EXPECT_EQ(Attribute::tlv(2, hex("0e10")).as_number(), 3600u);  // a 2-octet variable duration
  EXPECT_EQ(Attribute::tlv(2, hex("000000000e10")).as_number(), 3600u);
  EXPECT_FALSE(Attribute::tlv(2, {}).as_number());
  EXPECT_FALSE(Attribute::tlv(2, Bytes(9, 1)).as_number());
}

TEST(IsakmpCodec, EncryptedBodyIsPaddedAndParsedBack) {
  Message m = every_payload();
  m.encrypted = true;
  auto xor_body = [](MutableByteView b) {
    if (b.size() % 16) return false;
    for (auto& o : b) o ^= 0x5c;
    return true;
  };
  auto d = encode(m, 16, xor_body);
  ASSERT_TRUE(d);
  EXPECT_EQ((d->size() - kHeaderSize) % 16, 0u);
  EXPECT_EQ((*d)[19] & kFlagEncryption, kFlagEncryption);
  auto outer = decode(*d);
  ASSERT_TRUE(outer);
  EXPECT_TRUE(outer->encrypted);
  EXPECT_TRUE(outer->payloads.empty());
  Bytes plain(d->begin() + kHeaderSize, d->end());
  xor_body(plain);
  auto inner = decode_plaintext(outer->header, plain);
  ASSERT_TRUE(inner) << inner.error().what;
  EXPECT_EQ(inner->payloads, m.payloads);
  EXPECT_EQ(inner->spans[0].offset, 0u);
  EXPECT_FALSE(encode(m).has_value()) << "an encrypted message needs a cipher";
}

TEST(IsakmpCodec, EncodeRefusesInconsistentValues) {
  EXPECT_FALSE(encode_payloads({Payload{PayloadType::KE, NoncePayload{Bytes(16, 1)}}}));
  EXPECT_FALSE(encode_payloads({make(SaPayload{})}));
  EXPECT_FALSE(encode_payloads({make(DeletePayload{kDoiIpsec, ProtocolId::ESP, 4, {hex("010203")}})}));
  EXPECT_FALSE(encode_payloads({make(UnknownPayload{20, {}})})) << "20 is NAT-D, not unknown";
  Transform t;
  t.attributes = {Attribute::tv(0x8001, 1)};
  EXPECT_FALSE(encode_payloads({make(SaPayload{kDoiIpsec, kSituationIdentity, {{1, ProtocolId::ISAKMP, {}, {t}}}})}));
}

// A message of `payloads` octets (after the header) with a correct header length.
Bytes raw(std::uint8_t first, std::string_view body_hex, std::uint8_t flags = 0, std::uint8_t version = 0x10) {
  Bytes d = hex("0102030405060708" "0000000000000000");
  put_u8(d, first);
  put_u8(d, version);
  put_u8(d, 2);
  put_u8(d, flags);
  put_be32(d, 0);
  Bytes body = hex(body_hex);
  put_be32(d, static_cast<std::uint32_t>(kHeaderSize + body.size()));
  put_bytes(d, body);
  return d;
}

struct Bad {
  const char* name;
  Bytes datagram;
  std::optional<NotifyType> notify;
  std::size_t offset;
};

TEST(IsakmpCodec, MalformedInputsAreRefusedPrecisely) {
  Bytes short_len = raw(13, "0000000801020304");
  store_be32(short_len.data() + 24, 30);
  Bytes zero_cookie = raw(13, "0000000801020304");
  std::fill(zero_cookie.begin(), zero_cookie.begin() + 8, 0);
  const Bad cases[] = {
      {"short", Bytes(27, 0), std::nullopt, 27},
      {"major 2", raw(0, "", 0, 0x20), NotifyType::INVALID_MAJOR_VERSION, 17},
      {"minor 1", raw(0, "", 0, 0x11), NotifyType::INVALID_MINOR_VERSION, 17},
      {"length disagrees", short_len, std::nullopt, 24},
      {"zero cookie", zero_cookie, NotifyType::INVALID_COOKIE, 0},
      {"unknown flag", raw(0, "", 0x08), NotifyType::INVALID_FLAGS, 19},
      {"payload length 3", raw(13, "00000003"), NotifyType::PAYLOAD_MALFORMED, 30},
      {"payload beyond data", raw(13, "0000000901020304"), NotifyType::PAYLOAD_MALFORMED, 30},
      {"chain announces more", raw(13, "0d00000801020304"), NotifyType::PAYLOAD_MALFORMED, 36},
      {"trailing octets", raw(13, "000000080102030400"), NotifyType::UNEQUAL_PAYLOAD_LENGTHS, 36},
      {"unknown payload type", raw(99, "00000004"), NotifyType::INVALID_PAYLOAD_TYPE, 28},
      {"proposal at top level", raw(2, "00000004"), NotifyType::INVALID_PAYLOAD_TYPE, 28},
      {"SA DOI 2", raw(1, "0000000c0000000200000001"), NotifyType::DOI_NOT_SUPPORTED, 32},
      {"SA situation secrecy", raw(1, "0000000c0000000100000002"), NotifyType::SITUATION_NOT_SUPPORTED, 36},
      {"SA without proposals", raw(1, "0000000c0000000100000001"), NotifyType::BAD_PROPOSAL_SYNTAX, 40},
      {"proposal next 5", raw(1, "000000140000000100000001" "05000008" "01010000"), NotifyType::BAD_PROPOSAL_SYNTAX, 40},
      {"proposal no transforms", raw(1, "000000140000000100000001" "00000008" "01010000"), NotifyType::BAD_PROPOSAL_SYNTAX, 47},
      {"proposal SPI too long", raw(1, "000000140000000100000001" "00000008" "01010901"), NotifyType::BAD_PROPOSAL_SYNTAX, 46},
      {"transform count mismatch", raw(1, "0000001c0000000100000001" "00000010" "01010002" "00000008" "01010000"), NotifyType::BAD_PROPOSAL_SYNTAX, 48},
      {"attribute truncated", raw(1, "0000001e0000000100000001" "00000012" "01010001" "0000000a" "01010000" "8001"), NotifyType::BAD_PROPOSAL_SYNTAX, 56},
      {"TLV attribute too long", raw(1, "000000200000000100000001" "00000014" "01010001" "0000000c" "01010000" "000c0008"), NotifyType::BAD_PROPOSAL_SYNTAX, 58},
      {"ID IPv4 of 3 octets", raw(5, "0000000b01000000c0a801"), NotifyType::INVALID_ID_INFORMATION, 36},
      {"ID subnet of 4 octets", raw(5, "0000000c04000000c0a80100"), NotifyType::INVALID_ID_INFORMATION, 36},
      {"nonce of 4 octets", raw(10, "0000000801020304"), NotifyType::PAYLOAD_MALFORMED, 32},
      {"empty KE", raw(4, "00000004"), NotifyType::INVALID_KEY_INFORMATION, 32},
      {"empty HASH", raw(8, "00000004"), NotifyType::INVALID_HASH_INFORMATION, 32},
      {"notify SPI beyond", raw(11, "0000000c0000000101100001"), NotifyType::PAYLOAD_MALFORMED, 37},
      {"delete count disagrees", raw(12, "00000010000000010304000201020304"), NotifyType::PAYLOAD_MALFORMED, 37},
      {"delete of no SPIs", raw(12, "0000000c0000000103040000"), NotifyType::PAYLOAD_MALFORMED, 37},
      {"NAT-OA of 3 octets", raw(21, "0000000b01000000c0a801"), NotifyType::PAYLOAD_MALFORMED, 36},
      {"encrypted without body", raw(8, "", kFlagEncryption), NotifyType::PAYLOAD_MALFORMED, 28},
  };
  for (const auto& c : cases) {
    auto r = decode(c.datagram);
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().notify, c.notify) << c.name << ": " << r.error().what;
    EXPECT_EQ(r.error().offset, c.offset) << c.name << ": " << r.error().what;
    EXPECT_FALSE(r.error().what.empty()) << c.name;
  }
}

TEST(IsakmpCodec, PayloadCountIsBounded) {
  std::string body;
  for (int i = 0; i < 70; ++i) body += i + 1 < 70 ? "0d00000801020304" : "0000000801020304";
  auto r = decode(raw(13, body));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("more than 64 payloads"), std::string::npos);
  EXPECT_EQ(r.error().offset, kHeaderSize + 64 * 8);
}

TEST(IsakmpCodec, PrivatePayloadsAreKeptWhole) {
  // IOS KEEPALIVE (128) as the PIX sends it in MM5.
  auto r = decode(raw(128, "0000000c00007fff00007fff"));
  ASSERT_TRUE(r) << r.error().what;
  ASSERT_EQ(r->payloads.size(), 1u);
  EXPECT_EQ(r->payloads[0].get<UnknownPayload>()->body, hex("00007fff00007fff"));
  auto again = encode(*r);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, raw(128, "0000000c00007fff00007fff"));
}

Bytes md5(std::string_view s) {
  Bytes out(16);
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), out.data(), &n, EVP_md5(), nullptr);
  return out;
}

TEST(IsakmpVendorIds, TableMatchesTheStringsTheyHash) {
  EXPECT_EQ(vid::bytes(vid::Known::NAT_T_RFC3947), md5("RFC 3947"));
  EXPECT_EQ(vid::bytes(vid::Known::NAT_T_DRAFT_02), md5("draft-ietf-ipsec-nat-t-ike-02"));
  EXPECT_EQ(vid::bytes(vid::Known::NAT_T_DRAFT_02_N), md5("draft-ietf-ipsec-nat-t-ike-02\n"));
  EXPECT_EQ(vid::bytes(vid::Known::NAT_T_DRAFT_03), md5("draft-ietf-ipsec-nat-t-ike-03"));
  EXPECT_EQ(vid::bytes(vid::Known::NAT_T_DRAFT_07), md5("draft-ietf-ipsec-nat-t-ike-07"));
  EXPECT_EQ(vid::bytes(vid::Known::NAT_T_DRAFT_08), md5("draft-ietf-ipsec-nat-t-ike-08"));
  Bytes unity = md5("CISCO-UNITY");
  unity[14] = 1;
  unity[15] = 0;
  EXPECT_EQ(vid::bytes(vid::Known::CISCO_UNITY), unity);
  Bytes xauth = md5("draft-ietf-ipsra-isakmp-xauth-06.txt");
  xauth.resize(8);
  EXPECT_EQ(vid::bytes(vid::Known::XAUTH), xauth);
}

TEST(IsakmpVendorIds, ClassifiesBySeedNames) {
  EXPECT_EQ(vid::classify(hex("afcad71368a1f1c96b8696fc77570100")), vid::Known::DPD);
  EXPECT_EQ(vid::name(vid::Known::DPD), "DPD");
  EXPECT_EQ(vid::name(vid::Known::NAT_T_RFC3947), "NAT-T RFC 3947");
  EXPECT_EQ(vid::name(vid::Known::CISCO_UNITY), "Unity");
  EXPECT_EQ(vid::name(vid::Known::XAUTH), "XAUTH");
  // The Altiga VID carries version octets after the fixed part.
  EXPECT_EQ(vid::classify(hex("1f07f70eaa6514d3b0fa96542a500407")), vid::Known::CISCO_ALTIGA);
  EXPECT_EQ(vid::classify(hex("1f07f70eaa6514d3")), vid::Known::UNKNOWN);
  EXPECT_EQ(vid::classify(hex("afcad71368a1f1c96b8696fc775701")), vid::Known::UNKNOWN);
  EXPECT_TRUE(vid::is_nat_t(vid::Known::NAT_T_DRAFT_02_N));
  EXPECT_FALSE(vid::is_nat_t_draft(vid::Known::NAT_T_RFC3947));
  for (const auto& v : vid::main_mode_set()) EXPECT_NE(vid::classify(v), vid::Known::UNKNOWN);
}

}  // namespace
}  // namespace ikegate::wire::isakmp
