// IKEv2 messages rendered as Cisco debug output, line by line (no timestamps: the logger adds
// them). Two personalities:
//
// ASA, `debug crypto ikev2 protocol 127` (asa-ikev2-l2l-psk-debug.ja.txt). The seed's text is
// wrapped by its PDF conversion; the real output is reconstructed as follows, one std::string per
// line: the four header lines each start with "IKEv2-PROTO-4: "; a payload starts with a line
// " SA  Next payload: KE, reserved: 0x0, length: 48" (leading space, two spaces after the
// name); "last proposal" and "last transform" lines start with "IKEv2-PROTO-4: " and are followed
// by their own unprefixed line ("  Proposal: 1, ..." and "    type: 1, ..."); an opaque body
// (KE data, nonce, VID, ID data, notify data, SPIs) follows an empty line as rows of 16 octets,
// "     19 65 43 ..." (five spaces, lower-case hex). Received VID and Notify payloads start with
// "IKEv2-PROTO-5: Parse Vendor Specific Payload: <name> " / "IKEv2-PROTO-5: Parse Notify
// Payload: <name> " on the same line. The seed's ESN transform line is cut after "id:"; the IOS
// seed prints "Don't use ESN" there, so both do.
//
// IOS, `debug crypto ikev2` (ios-ikev2-l2l-debug.ko.txt, whose Korean words translate the
// English the router prints): the header is one line ("IKEv2:(SA ID = 1):Next payload: SA,
// version: 2.0 Exchange type: IKE_SA_INIT, flags: INITIATOR Message id: 0, length: 344"), then
// "Payload contents: ", then the same payload lines as the ASA without the "IKEv2-PROTO-4: "
// prefixes, without hex rows and without "Auth data"; received VID/Notify lines start with
// "IKEv2:Parse Vendor Specific Payload: " / "IKEv2:Parse Notify Payload: ".
//
// Names are Cisco's (AES-CBC, SHA96, DH_GROUP_1024_MODP/Group 2, N for the nonce, NOTIFY(...),
// VID, ENCR for SK, CFG for CP, ESP_TFC_NO_SUPPORT, NON_FIRST_FRAGS); where the seeds show no
// spelling, the RFC name is used. A notify's Protocol ID 0 prints as "IKE": the seeds' notifies
// about the IKE SA read "Security protocol id: IKE", and RFC 7296 3.10 puts 0 there.
//
// Lengths: payload lengths are computed from the values. The header length and the ENCR
// payload's length are the wire's: for a received message, what decode() recorded; for a sent
// one, dump decode(encode(m)) (or set header.length and sk yourself). A clear message whose
// header.length is 0 gets its computed length.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/ikev2_message.h"

namespace ikegate::wire {

enum class Direction { Sent, Received };

// The whole message as the ASA prints it around "Tx"/"Rx":
//  - clear message: the header lines and every payload;
//  - encrypted, no inner payloads (as sent, or received before decryption): the header lines,
//    the ENCR line and "Encrypted data: N bytes";
//  - encrypted with inner payloads (received and decrypted): the header lines,
//    "REAL Decrypted packet:Data: N bytes", the inner payloads, "Decrypted packet:Data: L bytes".
std::vector<std::string> dump_asa(const Message& m, Direction dir = Direction::Sent);
// Payload lines only: what the ASA prints after "Building packet for encryption; contents are:".
std::vector<std::string> dump_asa_payloads(const std::vector<Payload>& payloads,
                                           Direction dir = Direction::Sent);

// The IOS rendering. sa_id gives the "IKEv2:(SA ID = N):" prefix of the header line ("IKEv2:"
// without). An encrypted message with inner payloads lists them after "Payload contents: ".
std::vector<std::string> dump_ios(const Message& m, Direction dir = Direction::Sent,
                                  std::optional<unsigned> sa_id = std::nullopt);

// Cisco's spellings, shared with the show commands and the "Construct ... Payload" lines.
std::string cisco_payload_name(PayloadType t);   // "SA", "N", "VID", "ENCR", "CFG", ...
std::string cisco_notify_name(NotifyType t);     // "ESP_TFC_NO_SUPPORT", "INITIAL_CONTACT", ...
std::string cisco_transform_name(TransformType type, std::uint16_t id);  // "AES-CBC", "SHA96"
std::string cisco_flags(std::uint8_t flags);     // "INITIATOR", "RESPONDER MSG-RESPONSE"

}  // namespace ikegate::wire
