#include <gtest/gtest.h>

#include "seed_messages.h"
#include "test_support.h"
#include "wire/ikev2_codec.h"
#include "wire/vendor_ids.h"

namespace ikegate::wire {
namespace {

using test::hex;
using test::XorSk;

Message every_payload_message() {
  Message m;
  m.header = {1, 2, PayloadType::NONE, 2, 0, ExchangeType::IKE_AUTH, kFlagInitiator, 7, 0};
  auto v6 = *IpAddress::parse("2001:db8::1");
  m.payloads = {
      make(seed::ike_proposal()),
      make(SaPayload{{Proposal{1, ProtocolId::IKE, hex("0102030405060708"),
                               {Transform::encr(EncrId::AES_GCM_16, 128),
                                Transform::prf(PrfId::HMAC_SHA2_256),
                                Transform::dh(DhGroup::CURVE25519)}},
                      Proposal{2, ProtocolId::AH, hex("0a0b0c0d"),
                               {Transform::integ(IntegId::HMAC_SHA2_512_256)}}}}),
      make(KePayload{DhGroup::ECP_256, Bytes(64, 3)}),
      make_id(PayloadType::IDi, IdPayload::from_address(seed::ip("10.0.0.1"))),
      make_id(PayloadType::IDr, IdPayload::from_address(v6)),
      make_id(PayloadType::IDi, IdPayload::from_fqdn("asa1.example.com")),
      make_id(PayloadType::IDi, IdPayload::from_rfc822("ops@example.com")),
      make_id(PayloadType::IDi, IdPayload::from_key_id(hex("deadbeef"))),
      make_id(PayloadType::IDi, IdPayload{IdType::ID_DER_ASN1_DN, hex("3000")}),
      make(CertPayload{4, hex("308201")}),
      make(CertReqPayload{4, Bytes(40, 9)}),
      make(AuthPayload{AuthMethod::SHARED_KEY_MIC, Bytes(20, 1)}),
      make(NoncePayload{Bytes(32, 2)}),
      make(NotifyPayload{ProtocolId::ESP, hex("01020304"), NotifyType::REKEY_SA, {}}),
      make_notify(NotifyType::NAT_DETECTION_SOURCE_IP, Bytes(20, 4)),
      make_notify(NotifyType::SIGNATURE_HASH_ALGORITHMS, hex("0002000300040005")),
      make(DeletePayload{ProtocolId::ESP, {hex("11223344"), hex("55667788")}}),
      make(DeletePayload{ProtocolId::IKE, {}}),
      make(VendorIdPayload{vid::cisco_fragmentation()}),
      make_ts(PayloadType::TSi, {{TrafficSelector::range(seed::ip("192.168.1.0"),
                                                         seed::ip("192.168.1.255"), 6, 80, 443),
                                  TrafficSelector::range(v6, v6)}}),
      make_ts(PayloadType::TSr, seed::host_ts("192.168.2.99")),
      make(CpPayload{CfgType::CFG_REQUEST,
                     {{1, {}}, {3, {}}, {8, {}}, {28675, {}}, {7, hex("414243")}}}),
      make(CpPayload{CfgType::CFG_REPLY, {{1, hex("0a0a0a01")}, {2, hex("ffffff00")}}}),
      make(EapPayload{hex("0201000501")}),
      make(UnknownPayload{200, false, hex("cafe")}),
  };
  return m;
}

TEST(Codec, EveryPayloadRoundTrips) {
  Message m = every_payload_message();
  auto bytes = encode(m, nullptr);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto back = decode(*bytes);
  ASSERT_TRUE(back) << back.error().what << " at " << back.error().offset;
  EXPECT_EQ(back->header.length, bytes->size());
  EXPECT_EQ(back->header.next_payload, PayloadType::SA);
  EXPECT_FALSE(back->encrypted);
  ASSERT_EQ(back->payloads.size(), m.payloads.size());
  for (std::size_t i = 0; i < m.payloads.size(); ++i) {
    EXPECT_EQ(back->payloads[i], m.payloads[i]) << "payload " << i;
  }
  auto again = encode(*back, nullptr);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *bytes);
}

TEST(Codec, SeedIkeSaInitHasTheTracesLengths) {
  // "Message id: 0x0, length: 338", "SA ... length: 48", "KE ... length: 136", "N ... 24",
  // "VID ... 23", "VID ... 59", "VID ... 20".
  auto bytes = encode(seed::ike_sa_init_request(), nullptr);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 338u);
  std::size_t at = kHeaderSize;
  for (std::uint16_t len : {48, 136, 24, 23, 59, 20}) {
    EXPECT_EQ(load_be16(bytes->data() + at + 2), len);
    at += len;
  }
  EXPECT_EQ(at, 338u);
  // The header as the trace prints it.
  auto h = peek_header(*bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->spi_i, 0xDFA3B583A4369958u);
  EXPECT_EQ(h->exchange, ExchangeType::IKE_SA_INIT);
  EXPECT_TRUE(h->is_initiator());
  EXPECT_FALSE(h->is_response());
}

TEST(Codec, SeedHexDumpsDecodeToWhatTheTraceSays) {
  // The VIDs ASA1 sent in IKE_SA_INIT, octets as printed.
  auto copyright = hex(
      "43 49 53 43 4f 28 43 4f 50 59 52 49 47 48 54 29 26 43 6f 70 79 72 69 67 68 74 20 28 63 29 20 32"
      "30 30 39 20 43 69 73 63 6f 20 53 79 73 74 65 6d 73 2c 20 49 6e 63 2e");
  EXPECT_EQ(vid::classify(copyright), vid::Known::CISCO_COPYRIGHT);
  EXPECT_EQ(vid::classify(hex("43 49 53 43 4f 2d 44 45 4c 45 54 45 2d 52 45 41 53 4f 4e")),
            vid::Known::CISCO_DELETE_REASON);
  EXPECT_EQ(vid::classify(hex("40 48 b7 d5 6e bc e8 85 25 e7 de 7f 00 d6 c2 d3")),
            vid::Known::FRAGMENTATION);
  // IKE_AUTH: "Construct Vendor Specific Payload: CISCO-GRANITE" on one side, "Parse Vendor
  // Specific Payload: (CUSTOM)" on the other.
  EXPECT_EQ(vid::classify(seed::granite_i()), vid::Known::CISCO_GRANITE);
  EXPECT_EQ(vid::construct_name(vid::classify(seed::granite_r())), "CISCO-GRANITE");
  EXPECT_EQ(vid::parse_name(seed::granite_r()), "(CUSTOM)");
  std::array<std::uint8_t, 8> prefix = {0xdd, 0xa3, 0xb4, 0x83, 0xb7, 0x01, 0x6a, 0x1f};
  EXPECT_EQ(vid::cisco_granite(prefix), seed::granite_i());
  // IOS: the 17-octet (CUSTOM) VID.
  EXPECT_EQ(vid::flexvpn_supported().size() + 4, 21u);
  // "IDi ... length: 12, Id type: IPv4 address" then 47 01 01 01.
  auto idi = decode_payloads(PayloadType::IDi, hex("00 00 00 0c 01 00 00 00 47 01 01 01"));
  ASSERT_TRUE(idi);
  EXPECT_EQ(find_id(*idi, PayloadType::IDi)->to_string(), "71.1.1.1");
  // "N ... length: 24" then the 20 octets of Ni.
  Bytes n = {0, 0, 0, 24};
  put_bytes(n, seed::nonce_i());
  auto nonce = decode_payloads(PayloadType::NONCE, n);
  ASSERT_TRUE(nonce);
  EXPECT_EQ(find<NoncePayload>(*nonce)->data.size(), 20u);
}

TEST(Codec, SkRoundTripWithCiscoSizes) {
  // "ENCR Next payload: VID, length: 208", "Encrypted data: 204 bytes", "length: 236",
  // "REAL Decrypted packet:Data: 168 bytes" (AES-CBC, HMAC-SHA1-96).
  XorSk aes = XorSk::aes_cbc_sha1();
  Message m = seed::ike_auth_response();
  auto bytes = encode(m, &aes);
  ASSERT_TRUE(bytes) << bytes.error().message;
  EXPECT_EQ(bytes->size(), 236u);
  auto outer = decode(*bytes);
  ASSERT_TRUE(outer) << outer.error().what;
  EXPECT_TRUE(outer->encrypted);
  EXPECT_TRUE(outer->payloads.empty());
  EXPECT_EQ(outer->header.next_payload, PayloadType::SK);
  EXPECT_EQ(outer->sk.offset, kHeaderSize);
  EXPECT_EQ(outer->sk.length, 208);
  EXPECT_EQ(outer->sk.first_inner, PayloadType::VENDOR_ID);
  auto inner = decrypt(*outer, *bytes, aes);
  ASSERT_TRUE(inner) << inner.error().what;
  EXPECT_EQ(inner->payloads, m.payloads);
  EXPECT_EQ(encode_payloads(inner->payloads)->size(), 168u);

  // CREATE_CHILD_SA on the 3DES/MD5 SA: lengths 180/152 and 172/144.
  XorSk des = XorSk::des3_md5();
  EXPECT_EQ(encode(seed::create_child_sa_request(), &des)->size(), 180u);
  EXPECT_EQ(encode(seed::create_child_sa_response(), &des)->size(), 172u);
}

TEST(Codec, SkTamperingAndMisuseAreRefused) {
  XorSk sk;
  auto bytes = *encode(seed::informational_delete(), &sk);
  auto outer = *decode(bytes);
  Bytes bad = bytes;
  bad[bad.size() - 10] ^= 1;
  auto r = decrypt(*decode(bad), bad, sk);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, "ICV check failed");
  EXPECT_FALSE(r.error().notify);
  // The header is associated data: changing the Message ID breaks the ICV.
  bad = bytes;
  bad[23] ^= 1;
  EXPECT_FALSE(decrypt(*decode(bad), bad, sk));
  // Encrypting without a protection.
  EXPECT_FALSE(encode(seed::informational_delete(), nullptr));
  // An empty INFORMATIONAL (liveness check) has SK with Next Payload NONE.
  Message dpd = seed::informational_delete();
  dpd.payloads.clear();
  auto dpd_bytes = *encode(dpd, &sk);
  auto dpd_outer = *decode(dpd_bytes);
  EXPECT_EQ(dpd_outer.sk.first_inner, PayloadType::NONE);
  auto dpd_inner = decrypt(dpd_outer, dpd_bytes, sk);
  ASSERT_TRUE(dpd_inner);
  EXPECT_TRUE(dpd_inner->payloads.empty());
}

// Malformed inputs: each with the error the decoder must give.
struct Bad {
  const char* name;
  std::string hex_body;  // payload octets after the 28-octet header
  std::uint8_t first;    // header Next Payload
  std::string what;
  std::size_t offset;
  std::optional<NotifyType> notify;
};

Bytes with_header(std::uint8_t first, const Bytes& body, std::uint8_t version = 0x20,
                  std::optional<std::uint32_t> length = std::nullopt) {
  Bytes d;
  put_be64(d, 0x1122334455667788);
  put_be64(d, 0);
  put_u8(d, first);
  put_u8(d, version);
  put_u8(d, 34);
  put_u8(d, kFlagInitiator);
  put_be32(d, 0);
  put_be32(d, length.value_or(static_cast<std::uint32_t>(kHeaderSize + body.size())));
  put_bytes(d, body);
  return d;
}

TEST(Codec, MalformedInputsGiveStructuredErrors) {
  const Bad cases[] = {
      {"payload header cut", "0000", 40, "payload 40 announced but the data ends", 28,
       NotifyType::INVALID_SYNTAX},
      {"length below 4", "00000003", 40, "payload length below 4", 30, NotifyType::INVALID_SYNTAX},
      {"length past the end", "00000009aabbcc", 40, "payload length beyond the data", 30,
       NotifyType::INVALID_SYNTAX},
      {"chain continues past the end", "2b000004", 40, "payload 43 announced but the data ends",
       32, NotifyType::INVALID_SYNTAX},
      {"chain ends early", "0000000400000004", 40, "octets after the last payload", 32,
       NotifyType::INVALID_SYNTAX},
      {"unknown critical", "00800005aa", 99, "unsupported critical payload type 99", 28,
       NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD},
      {"SK not last", "2b0000080000000000000004", 46, "SK payload is not the last payload", 28,
       NotifyType::INVALID_SYNTAX},
      {"proposal past SA", "0000000c0000000c01010000", 33, "proposal length out of bounds", 34,
       NotifyType::INVALID_SYNTAX},
      {"transform count lies", "000000100000000c01010002 00000008", 33, "transform truncated",
       40, NotifyType::INVALID_SYNTAX},
      {"last transform marker", "0000001400000010010100010300000801000003", 33,
       "transform 'last' marker disagrees with the transform count", 40,
       NotifyType::INVALID_SYNTAX},
      {"proposal SPI past proposal", "0000000c0000000801030400", 33,
       "proposal SPI beyond the proposal", 38, NotifyType::INVALID_SYNTAX},
      {"IPv4 ID of 3 octets", "0000000b01000000010203", 35,
       "ID address length disagrees with the ID type", 36, NotifyType::INVALID_SYNTAX},
      {"TS count too high", "0000001802000000070000100000ffff0a0000010a000001", 44,
       "traffic selector truncated", 52, NotifyType::INVALID_SYNTAX},
      {"TS length vs type", "00000018010000000700001100000000ffff0a0000010a000001", 44,
       "traffic selector length disagrees with its type", 38, NotifyType::INVALID_SYNTAX},
      {"TS unknown type", "00000018010000000900001000000000ffff0a0000010a000001", 44,
       "unsupported traffic selector type 9", 36, NotifyType::INVALID_SYNTAX},
      {"notify SPI past end", "0000000a030440000102", 41, "Notify SPI beyond the payload", 33,
       NotifyType::INVALID_SYNTAX},
      {"delete count lies", "0000000c030400020a0b0c0d", 42,
       "Delete SPI size and count disagree with the payload length", 33,
       NotifyType::INVALID_SYNTAX},
      {"CP attribute past end", "0000000c0100000000010008", 47,
       "configuration attribute length out of bounds", 38, NotifyType::INVALID_SYNTAX},
      {"EAP length lies", "0000000801010009", 48, "EAP length disagrees with the payload length", 34,
       NotifyType::INVALID_SYNTAX},
      {"SKF number zero", "000000100000000100000000aabbccdd", 53,
       "SKF fragment number out of range", 32, NotifyType::INVALID_SYNTAX},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = decode(with_header(c.first, hex(c.hex_body)));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().what, c.what);
    EXPECT_EQ(r.error().offset, c.offset);
    EXPECT_EQ(r.error().notify, c.notify);
  }
}

TEST(Codec, HeaderLevelErrors) {
  auto r = decode(hex("0011"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, "shorter than an IKE header");
  r = decode(with_header(0, {}, 0x30));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().notify, NotifyType::INVALID_MAJOR_VERSION);
  EXPECT_EQ(r.error().offset, 17u);
  r = decode(with_header(0, {}, 0x20, 29));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, "header length 29 but 28 octets received");
  EXPECT_FALSE(r.error().notify);
  EXPECT_FALSE(peek_header(hex("00")));
  // The unknown critical payload's notify carries its type octet (RFC 7296 3.10.1).
  r = decode(with_header(99, hex("00800004")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().notify_data, Bytes{99});
  // An unknown non-critical payload is kept; a minor version above 0 is accepted.
  auto ok = decode(with_header(99, hex("00000006abcd"), 0x21));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->header.minor_version, 1);
  ASSERT_EQ(ok->payloads.size(), 1u);
  EXPECT_EQ(*ok->payloads[0].get<UnknownPayload>(), (UnknownPayload{99, false, hex("abcd")}));
}

TEST(Codec, PayloadCountIsBounded) {
  Bytes body;
  for (std::size_t i = 0; i < kMaxPayloads + 1; ++i) {
    put_u8(body, i + 1 < kMaxPayloads + 1 ? 43 : 0);
    put_u8(body, 0);
    put_be16(body, 4);
  }
  auto r = decode(with_header(43, body));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, "more than 64 payloads");
  EXPECT_EQ(r.error().offset, kHeaderSize + 4 * kMaxPayloads);
}

TEST(Codec, EncoderRefusesInconsistentValues) {
  Message m = seed::ike_sa_init_request();
  m.payloads[0].type = PayloadType::KE;  // SA body under a KE type
  EXPECT_FALSE(encode(m, nullptr));
  m = seed::ike_sa_init_request();
  m.payloads.push_back(make(SaPayload{}));
  EXPECT_FALSE(encode(m, nullptr));
  m = seed::ike_sa_init_request();
  m.payloads.push_back(make_ts(PayloadType::TSi, {{TrafficSelector::range(
                                                     seed::ip("10.0.0.1"), seed::ip("::1"))}}));
  EXPECT_FALSE(encode(m, nullptr));
}

// ---------------------------------------------------------------------------------------------
// Fragments (RFC 7383)

Message big_auth() {
  Message m = seed::ike_auth_request();
  m.payloads.push_back(make(CertPayload{4, Bytes(3000, 0x42)}));
  return m;
}

std::vector<Message> decoded(const std::vector<Bytes>& frags) {
  std::vector<Message> out;
  for (const auto& f : frags) out.push_back(*decode(f));
  return out;
}

TEST(Fragments, SplitAndReassemble) {
  XorSk sk = XorSk::aes_cbc_sha1();
  Message m = big_auth();
  auto frags = encode_fragments(m, sk, 1280);
  ASSERT_TRUE(frags) << frags->size();
  ASSERT_EQ(frags->size(), 3u);
  FragmentReassembler re;
  auto msgs = decoded(*frags);
  for (std::size_t i = 0; i < frags->size(); ++i) {
    EXPECT_LE((*frags)[i].size(), 1280u);
    const Message& f = msgs[i];
    EXPECT_EQ(f.header.next_payload, PayloadType::SKF);
    EXPECT_TRUE(f.sk.fragment);
    EXPECT_EQ(f.sk.fragment_number, i + 1);
    EXPECT_EQ(f.sk.total_fragments, 3);
    EXPECT_EQ(f.sk.first_inner, i == 0 ? PayloadType::VENDOR_ID : PayloadType::NONE);
    EXPECT_FALSE(decrypt(f, (*frags)[i], sk));  // SKF goes through the reassembler
  }
  // Out of order: 3, 1, 2.
  for (std::size_t i : {2u, 0u, 1u}) {
    auto plain = open_sk(msgs[i], (*frags)[i], sk);
    ASSERT_TRUE(plain);
    auto r = re.add(msgs[i], *plain);
    ASSERT_TRUE(r) << r.error().what;
    if (i != 1) {
      EXPECT_FALSE(*r);
    } else {
      ASSERT_TRUE(*r);
      EXPECT_EQ((*r)->payloads, m.payloads);
      EXPECT_EQ((*r)->header.message_id, 1u);
    }
  }
  EXPECT_EQ(re.received(), 0u);  // reset after completion
}

TEST(Fragments, DuplicatesLossLimitsAndRestarts) {
  XorSk sk = XorSk::aes_cbc_sha1();
  auto frags = *encode_fragments(big_auth(), sk, 1280);
  auto msgs = decoded(frags);
  auto plain = [&](std::size_t i) { return *open_sk(msgs[i], frags[i], sk); };

  FragmentReassembler re;
  ASSERT_TRUE(re.add(msgs[0], plain(0)));
  auto dup = re.add(msgs[0], plain(0));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().what, "duplicate fragment");
  EXPECT_EQ(re.received(), 1u);
  // Lost fragment 2: never complete.
  auto r = re.add(msgs[2], plain(2));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);

  // A fragment of another message.
  Message other = msgs[1];
  other.header.message_id = 9;
  EXPECT_EQ(re.add(other, plain(1)).error().what, "fragment of another message");

  // Fewer total fragments than before: refused; more: restart.
  auto small = *encode_fragments(big_auth(), sk, 2000);
  ASSERT_EQ(small.size(), 2u);
  Message s0 = *decode(small[0]);
  EXPECT_EQ(re.add(s0, *open_sk(s0, small[0], sk)).error().what,
            "fewer total fragments than announced before");
  auto many = *encode_fragments(big_auth(), sk, 600);
  ASSERT_GT(many.size(), 3u);
  Message m0 = *decode(many[0]);
  ASSERT_TRUE(re.add(m0, *open_sk(m0, many[0], sk)));
  EXPECT_EQ(re.received(), 1u);

  // Too many fragments announced.
  FragmentReassembler tight(FragmentReassembler::Limits{2, 65536});
  EXPECT_FALSE(tight.add(msgs[0], plain(0)));
  // Memory bound.
  FragmentReassembler small_mem(FragmentReassembler::Limits{32, 1500});
  ASSERT_TRUE(small_mem.add(msgs[0], plain(0)));
  auto over = small_mem.add(msgs[1], plain(1));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().what, "reassembly exceeds the memory bound");
  // Next Payload set on a non-first fragment.
  FragmentReassembler re2;
  Message liar = msgs[1];
  liar.sk.first_inner = PayloadType::IDi;
  EXPECT_FALSE(re2.add(liar, plain(1)));
}

TEST(Fragments, ARefusedFragmentChangesNothingHeld) {
  XorSk sk = XorSk::aes_cbc_sha1();
  auto frags = *encode_fragments(big_auth(), sk, 1280);
  ASSERT_GE(frags.size(), 3u);
  auto msgs = decoded(frags);
  auto plain = [&](std::size_t i) { return *open_sk(msgs[i], frags[i], sk); };
  FragmentReassembler re;
  ASSERT_TRUE(re.add(msgs[0], plain(0)));
  ASSERT_TRUE(re.add(msgs[1], plain(1)));
  // A re-fragmented (larger total) fragment that is itself bad must not discard the two held.
  auto many = *encode_fragments(big_auth(), sk, 600);
  Message bad = *decode(many[1]);
  Bytes bad_plain = *open_sk(bad, many[1], sk);
  bad.sk.first_inner = PayloadType::IDi;
  EXPECT_EQ(re.add(bad, bad_plain).error().what, "Next Payload set in a fragment other than the first");
  EXPECT_EQ(re.received(), 2u);
  // Fragment 1 must name the first inner payload.
  FragmentReassembler fresh;
  Message nameless = msgs[0];
  nameless.sk.first_inner = PayloadType::NONE;
  EXPECT_EQ(fresh.add(nameless, plain(0)).error().what, "first fragment without a Next Payload");
  EXPECT_EQ(fresh.received(), 0u);
  // The rest completes the message, which carries the completing fragment's header.
  std::optional<Message> done;
  for (std::size_t i = 2; i < msgs.size(); ++i) {
    auto r = re.add(msgs[i], plain(i));
    ASSERT_TRUE(r);
    if (*r) done = std::move(**r);
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(done->payloads, big_auth().payloads);
  EXPECT_EQ(done->sk.fragment_number, msgs.back().sk.fragment_number);
  EXPECT_EQ(done->sk.first_inner, msgs[0].sk.first_inner);
}

TEST(Fragments, SizesOutOfRange) {
  XorSk sk;
  EXPECT_FALSE(encode_fragments(big_auth(), sk, 36));
  EXPECT_FALSE(encode_fragments(seed::ike_sa_init_request(), sk, 1280));  // not encrypted
  auto one = encode_fragments(seed::informational_delete(), sk, 1280);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
}

}  // namespace
}  // namespace ikegate::wire
