// The messages of asa-ikev2-l2l-psk-debug.ja.txt (ASA1 10.0.0.1 initiator, ASA2 10.0.0.2
// responder) rebuilt as values with the field values the trace prints. Where the trace does not
// print a value (AUTH data, ESP SPIs, the responder's KE and nonce), a fixed stand-in is used.
// Used by the codec, dump and pcap tests, and to write the fuzz seed corpus.
#pragma once

#include <string_view>

#include "common/bytes.h"
#include "common/iana.h"
#include "common/ip.h"
#include "wire/ikev2_message.h"
#include "wire/vendor_ids.h"

namespace ikegate::wire::seed {

inline Bytes hexb(std::string_view s) { return *from_hex(s); }
inline IpAddress ip(std::string_view s) { return *IpAddress::parse(s); }

inline constexpr std::uint64_t kSpiI = 0xDFA3B583A4369958;
inline constexpr std::uint64_t kSpiR = 0x27C943C13FD94665;
inline constexpr std::uint64_t kChildSpiI = 0xFD366326E1FED6FE;  // the SA the CREATE_CHILD_SA rides
inline constexpr std::uint64_t kChildSpiR = 0xA75B9B2582AAECB7;

// ASA1's KEi (DH group 2, 128 octets) and Ni, as printed.
inline Bytes ke_i() {
  return hexb(
      "19 65 43 45 d2 72 a7 11 b8 a4 93 3f 44 95 6c b8 6d 5a f0 f8 1f f3 d4 b9 ff 41 7b 0d 13 90 82 cf"
      "34 2e 74 e3 03 6e 9e 00 88 80 5d 86 2c 4c 79 35 ee e6 98 91 89 f3 48 83 75 09 02 f1 3c b1 7f f5"
      "be 05 f1 fa 7e 8a 4c 43 eb a9 2c 3a 47 c0 68 40 f5 dd 02 9d a5 b5 a2 a6 90 64 95 fc 57 b5 69 e8"
      "b2 4f 8e f2 a5 05 e3 c7 17 f9 c0 e0 c8 3e 91 ed c1 09 23 3e e5 09 4f be 1a 6a d4 d9 fb 65 44 1d");
}
inline Bytes nonce_i() { return hexb("84 8b 80 c2 52 6c 4f c7 f8 08 b8 ed 52 af a2 f4 d5 dd d4 f4"); }
// The CISCO-GRANITE vendor IDs each side sent in IKE_AUTH.
inline Bytes granite_i() { return hexb("dd a3 b4 83 b7 01 6a 1f 3d b7 84 1a 75 e6 83 a6"); }
inline Bytes granite_r() { return hexb("25 c9 42 c1 2c ee b5 22 3d b7 84 1a 75 e6 83 a6"); }

inline SaPayload ike_proposal() {
  return {{Proposal{1, ProtocolId::IKE, {},
                    {Transform::encr(EncrId::AES_CBC, 256), Transform::prf(PrfId::HMAC_SHA1),
                     Transform::integ(IntegId::HMAC_SHA1_96), Transform::dh(DhGroup::MODP_1024)}}}};
}

// "protocol esp encryption aes-256 / protocol esp integrity sha-1 md5" offered; the responder
// chose SHA-1.
inline SaPayload esp_offer(Bytes spi) {
  return {{Proposal{1, ProtocolId::ESP, std::move(spi),
                    {Transform::encr(EncrId::AES_CBC, 256), Transform::integ(IntegId::HMAC_SHA1_96),
                     Transform::integ(IntegId::HMAC_MD5_96), Transform::esn(EsnId::NO_ESN)}}}};
}
inline SaPayload esp_choice(Bytes spi) {
  return {{Proposal{1, ProtocolId::ESP, std::move(spi),
                    {Transform::encr(EncrId::AES_CBC, 256), Transform::integ(IntegId::HMAC_SHA1_96),
                     Transform::esn(EsnId::NO_ESN)}}}};
}

inline TsPayload host_ts(std::string_view a) {
  return {{TrafficSelector::range(ip(a), ip(a))}};
}

inline Message ike_sa_init_request() {
  Message m;
  m.header = {kSpiI, 0, PayloadType::NONE, 2, 0, ExchangeType::IKE_SA_INIT, kFlagInitiator, 0, 0};
  m.payloads = {make(ike_proposal()),
                make(KePayload{DhGroup::MODP_1024, ke_i()}),
                make(NoncePayload{nonce_i()}),
                make(VendorIdPayload{vid::cisco_delete_reason()}),
                make(VendorIdPayload{vid::cisco_copyright()}),
                make(VendorIdPayload{vid::cisco_fragmentation()})};
  return m;
}

inline Message ike_sa_init_response() {
  Message m = ike_sa_init_request();
  m.header.spi_r = kSpiR;
  m.header.flags = kFlagResponse;
  // The trace does not print ASA2's KEr and Nr.
  Bytes ke(128);
  for (std::size_t i = 0; i < ke.size(); ++i) ke[i] = static_cast<std::uint8_t>(i * 7 + 1);
  m.payloads[1] = make(KePayload{DhGroup::MODP_1024, ke});
  m.payloads[2] = make(NoncePayload{hexb("0102030405060708090a0b0c0d0e0f1011121314")});
  return m;
}

// The hex of the ID payloads reads 71.1.1.1 and 81.1.1.1 (47 01 01 01, 51 01 01 01): the
// document replaced the peers' addresses by 10.0.0.x in its text, not in its hex dumps.
inline Message ike_auth_request() {
  Message m;
  m.header = {kSpiI, kSpiR, PayloadType::NONE, 2, 0, ExchangeType::IKE_AUTH, kFlagInitiator, 1, 0};
  m.encrypted = true;
  m.payloads = {make(VendorIdPayload{granite_i()}),
                make_id(PayloadType::IDi, IdPayload::from_address(ip("71.1.1.1"))),
                make(AuthPayload{AuthMethod::SHARED_KEY_MIC, Bytes(20, 0x11)}),
                make(esp_offer(hexb("f0d97b2a"))),
                make_ts(PayloadType::TSi, host_ts("192.168.1.1")),
                make_ts(PayloadType::TSr, host_ts("192.168.2.99")),
                make_notify(NotifyType::INITIAL_CONTACT),
                make_notify(NotifyType::ESP_TFC_PADDING_NOT_SUPPORTED),
                make_notify(NotifyType::NON_FIRST_FRAGMENTS_ALSO)};
  return m;
}

inline Message ike_auth_response() {
  Message m;
  m.header = {kSpiI, kSpiR, PayloadType::NONE, 2, 0, ExchangeType::IKE_AUTH, kFlagResponse, 1, 0};
  m.encrypted = true;
  m.payloads = {make(VendorIdPayload{granite_r()}),
                make_id(PayloadType::IDr, IdPayload::from_address(ip("81.1.1.1"))),
                make(AuthPayload{AuthMethod::SHARED_KEY_MIC, Bytes(20, 0x22)}),
                make(esp_choice(hexb("74756292"))),
                make_ts(PayloadType::TSi, host_ts("192.168.1.1")),
                make_ts(PayloadType::TSr, host_ts("192.168.2.99")),
                make_notify(NotifyType::ESP_TFC_PADDING_NOT_SUPPORTED),
                make_notify(NotifyType::NON_FIRST_FRAGMENTS_ALSO)};
  return m;
}

// ASA2 starts the second CHILD SA on IKE SA 225 (it was that SA's initiator).
inline Message create_child_sa_request() {
  Message m;
  m.header = {kChildSpiI, kChildSpiR, PayloadType::NONE, 2, 0, ExchangeType::CREATE_CHILD_SA,
              kFlagInitiator, 6, 0};
  m.encrypted = true;
  m.payloads = {make(esp_offer(hexb("08717a5a"))),
                make(NoncePayload{hexb("2d 3e ec 11 e0 c7 5d 67 d5 23 25 76 1d 50 0d 05 fa b7 f0 48")}),
                make_ts(PayloadType::TSi, host_ts("192.168.2.99")),
                make_ts(PayloadType::TSr, host_ts("192.168.1.12"))};
  return m;
}

inline Message create_child_sa_response() {
  Message m;
  m.header = {kChildSpiI, kChildSpiR, PayloadType::NONE, 2, 0, ExchangeType::CREATE_CHILD_SA,
              kFlagResponse, 6, 0};
  m.encrypted = true;
  m.payloads = {make(esp_choice(hexb("8564387d"))),
                make(NoncePayload{hexb("b7 6a c6 75 53 55 99 5a df ee 05 18 1a 27 a6 cb 01 56 22 ad")}),
                make_ts(PayloadType::TSi, host_ts("192.168.2.99")),
                make_ts(PayloadType::TSr, host_ts("192.168.1.12"))};
  return m;
}

// Not in the trace: the Delete of the first CHILD SA, as `clear crypto ipsec sa` would send.
inline Message informational_delete() {
  Message m;
  m.header = {kSpiI, kSpiR, PayloadType::NONE, 2, 0, ExchangeType::INFORMATIONAL, kFlagInitiator,
              2, 0};
  m.encrypted = true;
  m.payloads = {make(DeletePayload{ProtocolId::ESP, {hexb("74756292")}})};
  return m;
}

}  // namespace ikegate::wire::seed
