#include "cli/debug.h"

#include <fmt/format.h>

#include <functional>
#include <string_view>

#include "cli/show_ios.h"
#include "wire/ikev2_dump.h"
#include "wire/ikev2_message.h"
#include "wire/ikev2_types.h"

namespace ikegate::cli {
namespace {

using ikev2::Facility;
using ikev2::TraceEvent;

bool shown(int line_level, int facility_level) {
  return facility_level > 0 && line_level <= facility_level;
}

// Free text may carry what a peer sent (identities, vendor strings): control characters are
// replaced so that no peer can forge or break a log line, and embedded line ends split it.
std::vector<std::string> text_lines(std::string_view text) {
  std::vector<std::string> lines(1);
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      lines.emplace_back();
    } else if (c == '\r') {
      continue;
    } else if (c < 0x20 || c == 0x7f) {
      lines.back() += '?';
    } else {
      lines.back() += ch;
    }
  }
  return lines;
}

std::string exchange_name(const wire::Message& m) {
  auto name = wire::name(m.header.exchange);
  if (!name.empty()) return std::string(name);
  return fmt::format("{}", static_cast<unsigned>(m.header.exchange));
}

// "[10.0.0.1]:500" as SENT PKT / RECV PKT print an endpoint.
std::string bracketed(const Endpoint& e) {
  return fmt::format("[{}]:{}", e.address.to_string(), e.port);
}

std::string sm_body(const TraceEvent& ev) {
  return fmt::format("SM Trace-> SA: I_SPI={:016X} R_SPI={:016X} ({}) MsgID = {:08X} CurState: {} "
                     "Event: {}",
                     ev.spi_i, ev.spi_r, ev.initiator ? 'I' : 'R', ev.message_id, ev.state,
                     ev.event);
}

}  // namespace

bool DebugRenderer::wants(Facility facility, int level, const DebugLevels& levels) const {
  return shown(level, facility == Facility::Protocol ? levels.protocol : levels.platform);
}

std::vector<std::string> DebugRenderer::render(const TraceEvent& event,
                                               const DebugLevels& levels) const {
  return personality_ == policy::Personality::Asa ? render_asa(event, levels)
                                                  : render_ios(event, levels);
}

// asa-ikev2-l2l-psk-debug: "IKEv2-PROTO-5: (16): SM Trace-> ...", "IKEv2-PROTO-3: (16): Getting
// configured policies", "IKEv2-PLAT-3: (16) tg_name set to: 10.0.0.2" (no colon after the id on
// the platform facility), "IKEv2-PLAT-3: attempting to find tunnel group ..." (no id at all).
std::vector<std::string> DebugRenderer::render_asa(const TraceEvent& ev,
                                                   const DebugLevels& levels) const {
  std::vector<std::string> out;
  switch (ev.kind) {
    case TraceEvent::Kind::SmTrace: {
      if (!wants(Facility::Protocol, ev.level, levels)) break;
      if (ev.sa_id != 0) {
        out.push_back(fmt::format("IKEv2-PROTO-{}: ({}): {}", ev.level, ev.sa_id, sm_body(ev)));
      } else {
        out.push_back(fmt::format("IKEv2-PROTO-{}: {}", ev.level, sm_body(ev)));
      }
      break;
    }
    case TraceEvent::Kind::Note: {
      if (!wants(ev.facility, ev.level, levels)) break;
      bool protocol = ev.facility == Facility::Protocol;
      std::string prefix = fmt::format("IKEv2-{}-{}:", protocol ? "PROTO" : "PLAT", ev.level);
      if (ev.sa_id != 0) prefix += fmt::format(" ({}){}", ev.sa_id, protocol ? ":" : "");
      for (const auto& line : text_lines(ev.text)) {
        out.push_back(line.empty() ? prefix : prefix + " " + line);
      }
      break;
    }
    case TraceEvent::Kind::Packet: {
      if (ev.message == nullptr) break;
      const wire::Message& m = *ev.message;
      bool proto = wants(Facility::Protocol, 3, levels);
      bool dump = wants(Facility::Protocol, 4, levels);
      bool plat = wants(Facility::Platform, 4, levels);
      const auto& h = m.header;
      auto plat_line = [&] {
        const Endpoint& src = ev.sent ? ev.local : ev.remote;
        const Endpoint& dst = ev.sent ? ev.remote : ev.local;
        return fmt::format("IKEv2-PLAT-4: {} PKT [{}] {}->{} InitSPI=0x{:016x} RespSPI=0x{:016x} "
                           "MID={:08x}",
                           ev.sent ? "SENT" : "RECV", exchange_name(m), bracketed(src),
                           bracketed(dst), h.spi_i, h.spi_r, h.message_id);
      };
      // A received packet is announced by the platform before the protocol parses it; a sent
      // one after the protocol has built it.
      if (plat && !ev.sent) out.push_back(plat_line());
      if (proto) {
        out.push_back(fmt::format("IKEv2-PROTO-3: {} [L {}/R {}/VRF i0:f0] m_id: 0x{:x}",
                                  ev.sent ? "Tx" : "Rx", ev.local.to_string(),
                                  ev.remote.to_string(), h.message_id));
        out.push_back(fmt::format("IKEv2-PROTO-3: HDR[i:{:016X} - r: {:016X}]", h.spi_i, h.spi_r));
      }
      if (dump) {
        auto lines = wire::dump_asa(m, ev.sent ? wire::Direction::Sent : wire::Direction::Received);
        out.insert(out.end(), std::make_move_iterator(lines.begin()),
                   std::make_move_iterator(lines.end()));
      }
      if (plat && ev.sent) out.push_back(plat_line());
      break;
    }
  }
  return out;
}

// ios-ikev2-l2l-debug: "IKEv2:(SA ID = 1):SM Trace-> ...", "IKEv2:(SA ID = 1):Generate skeyid",
// "IKEv2:New ikev2 sa request admitted", and the message dump whose first line carries the
// "(SA ID = N):" of an SA that exists.
std::vector<std::string> DebugRenderer::render_ios(const TraceEvent& ev,
                                                   const DebugLevels& levels) const {
  std::vector<std::string> out;
  std::string prefix = ev.sa_id != 0 ? fmt::format("IKEv2:(SA ID = {}):", ev.sa_id) : "IKEv2:";
  switch (ev.kind) {
    case TraceEvent::Kind::SmTrace:
      if (wants(Facility::Protocol, ev.level, levels)) out.push_back(prefix + sm_body(ev));
      break;
    case TraceEvent::Kind::Note:
      if (!wants(ev.facility, ev.level, levels)) break;
      for (const auto& line : text_lines(ev.text)) out.push_back(prefix + line);
      break;
    case TraceEvent::Kind::Packet: {
      if (ev.message == nullptr) break;
      // IOS 15 announces each datagram before its dump.
      if (wants(Facility::Platform, 4, levels)) {
        out.push_back(ev.sent ? fmt::format("{}Sending Packet [To {}/From {}/VRF i0:f0]", prefix,
                                            ev.remote.to_string(), ev.local.to_string())
                              : fmt::format("{}Received Packet [From {}/To {}/VRF i0:f0]", prefix,
                                            ev.remote.to_string(), ev.local.to_string()));
      }
      if (wants(Facility::Protocol, 4, levels)) {
        std::optional<unsigned> id;
        if (ev.sa_id != 0) id = ev.sa_id;
        auto lines = wire::dump_ios(
            *ev.message, ev.sent ? wire::Direction::Sent : wire::Direction::Received, id);
        out.insert(out.end(), std::make_move_iterator(lines.begin()),
                   std::make_move_iterator(lines.end()));
      }
      break;
    }
  }
  return out;
}

bool DebugRenderer::wants_isakmp(int level, const DebugLevels& levels) const {
  return shown(level, levels.isakmp);
}

std::vector<std::string> DebugRenderer::render(const ikev1::TraceEvent& ev,
                                               const DebugLevels& levels) const {
  using Kind = ikev1::TraceEvent::Kind;
  std::vector<std::string> out;
  if (!wants_isakmp(ev.level, levels)) return out;
  const bool has_peer = !ev.remote.address.is_unspecified();
  if (personality_ == policy::Personality::Asa) {
    if (ev.kind == Kind::StateChange) return out;
    std::string prefix = ev.kind == Kind::Note && ev.level > 5 ? "[IKEv1 DEBUG]: " : "[IKEv1]: ";
    // The IKE_DECODE lines name only the address, even once the tunnel group is known.
    if (ev.kind == Kind::Note && !ev.group.empty()) prefix += fmt::format("Group = {}, ", ev.group);
    if (has_peer) prefix += fmt::format("IP = {}, ", ev.remote.address.to_string());
    for (const auto& line : text_lines(ev.text)) out.push_back(prefix + line);
    return out;
  }
  std::string id = fmt::format("({})", ev.conn_id);
  switch (ev.kind) {
    case Kind::StateChange:
      out.push_back(fmt::format("ISAKMP:{}:Old State = {} New State = {}", id, ev.old_state,
                                ev.new_state));
      break;
    case Kind::Sent:
      if (has_peer)
        out.push_back(fmt::format("ISAKMP:{}: sending packet to {} my_port {} peer_port {}", id,
                                  ev.remote.address.to_string(), ev.local.port, ev.remote.port));
      break;
    case Kind::Received:
      if (has_peer)
        out.push_back(fmt::format("ISAKMP {}: received packet from {} dport {} sport {} Global", id,
                                  ev.remote.address.to_string(), ev.local.port, ev.remote.port));
      break;
    case Kind::Note:
      for (const auto& line : text_lines(ev.text)) out.push_back(fmt::format("ISAKMP:{}:{}", id, line));
      break;
  }
  return out;
}

// ---- debug crypto ipsec ----------------------------------------------------------------------

namespace {

std::string spi_hex(std::uint32_t spi) { return fmt::format("0x{:08X}", spi); }

// The netmask of [start, end] when it is one subnet, else of the single start address (the ASA
// prints address/mask pairs; a range that is no subnet has no such form).
std::string ipv4_mask(const IpAddress& start, const IpAddress& end) {
  if (!start.is_v4() || !end.is_v4()) return "255.255.255.255";
  std::uint32_t span = start.v4_value() ^ end.v4_value();
  int prefix = 32;
  while (prefix > 0 && (span >> (32 - prefix)) != 0) --prefix;
  std::uint32_t mask = prefix_to_netmask(prefix);
  bool subnet = (start.v4_value() & ~mask) == 0 && (end.v4_value() | mask) == 0xffffffffu;
  return IpAddress::v4(subnet ? mask : 0xffffffffu).to_string();
}

// One ASA rule block: "Src addr: ...", the port matches, protocol and SPI, as the seed indents them.
void rule_body(std::vector<std::string>& out, const IpAddress& src, const std::string& src_mask, const IpAddress& dst,
               const std::string& dst_mask, std::pair<std::uint16_t, std::uint16_t> sport,
               std::pair<std::uint16_t, std::uint16_t> dport, std::uint8_t protocol, std::uint32_t spi) {
  out.push_back(fmt::format("   Src addr: {}", src.to_string()));
  out.push_back(fmt::format("   Src mask: {}", src_mask));
  out.push_back(fmt::format("   Dst addr: {}", dst.to_string()));
  out.push_back(fmt::format("   Dst mask: {}", dst_mask));
  auto ports = [&](const char* name, std::pair<std::uint16_t, std::uint16_t> p) {
    bool any = p.first == 0 && p.second == 65535;
    out.push_back(fmt::format("   {} ports", name));
    out.push_back(fmt::format("     Upper: {}", any ? 0 : p.second));
    out.push_back(fmt::format("     Lower: {}", any ? 0 : p.first));
    out.push_back(fmt::format("     Op   : {}", any ? "ignore" : p.first == p.second ? "equal" : "range"));
  };
  ports("Src", sport);
  ports("Dst", dport);
  out.push_back(fmt::format("   Protocol: {}", protocol));
  out.push_back(fmt::format("   Use protocol: {}", protocol != 0 ? "true" : "false"));
  out.push_back(fmt::format("   SPI: {}", spi_hex(spi)));
  out.push_back(fmt::format("   Use SPI: {}", spi != 0 ? "true" : "false"));
}

// The rule on inner traffic: the crypto ACL line (outbound) or its mirror (inbound tunnel flow).
void selector_rule(std::vector<std::string>& out, const TrafficSelector& s) {
  rule_body(out, s.src_start, ipv4_mask(s.src_start, s.src_end), s.dst_start, ipv4_mask(s.dst_start, s.dst_end),
            {s.src_port_start, s.src_port_end}, {s.dst_port_start, s.dst_port_end}, s.protocol, 0);
}

// The rule on the ESP packets themselves (ESP in UDP 4500 under NAT-T, RFC 3948).
void outer_rule(std::vector<std::string>& out, const IpAddress& src, const IpAddress& dst, const IpsecSaDebug& sa) {
  std::pair<std::uint16_t, std::uint16_t> any{0, 65535}, natt{4500, 4500};
  rule_body(out, src, "255.255.255.255", dst, "255.255.255.255", any, sa.udp_encap ? natt : any,
            sa.udp_encap ? 17 : 50, sa.spi);
}

void block(std::vector<std::string>& out, const std::string& what, std::uint32_t spi,
           const std::function<void()>& body) {
  out.push_back(fmt::format("IPSEC: New {}, SPI {}", what, spi_hex(spi)));
  body();
  out.push_back(fmt::format("IPSEC: Completed {}, SPI {}", what, spi_hex(spi)));
}

}  // namespace

std::vector<std::string> DebugRenderer::render_ipsec_added(const IpsecSaDebug& sa, const DebugLevels& levels) const {
  std::vector<std::string> out;
  if (!wants_ipsec(levels)) return out;
  bool inbound = sa.direction == dataplane::Direction::Inbound;
  if (personality_ == policy::Personality::Ios) {
    // pix-ios-ikev1-dynamic-map-nat / ios-strongswan-ikev1-ikev2: the destination of an inbound
    // SA is this router.
    out.push_back("IPSEC(create_sa): sa created,");
    out.push_back(fmt::format("  (sa) sa_dest= {}, sa_proto= {},", (inbound ? sa.local : sa.remote).to_string(),
                              sa.udp_encap ? 17 : 50));
    out.push_back(fmt::format("    sa_spi= {}({}),", spi_hex(sa.spi), sa.spi));
    out.push_back(fmt::format("    sa_trans= {} , sa_conn_id= {}",
                              ios::esp_transform_name({sa.encr, sa.key_bits, sa.integ}), sa.reqid));
    return out;
  }
  // The seed's block, without the ASA's memory addresses and internal numbers (SCB, VPIF, tunnel
  // type, embryonic lifetime), which ikegate does not have: the SA is named by its SPI.
  out.push_back(fmt::format("IPSEC: New embryonic SA created @ {},", spi_hex(sa.spi)));
  out.push_back(fmt::format("   Direction: {}", inbound ? "inbound" : "outbound"));
  out.push_back(fmt::format("   SPI      : {}", spi_hex(sa.spi)));
  out.push_back(fmt::format("   Session ID: 0x{:08X}", sa.reqid));
  out.push_back("   Protocol : esp");
  return out;
}

std::vector<std::string> DebugRenderer::render_ipsec_complete(const IpsecSaDebug& ob, const IpsecSaDebug* ib,
                                                              const DebugLevels& levels) const {
  std::vector<std::string> out;
  if (!wants_ipsec(levels) || personality_ != policy::Personality::Asa) return out;
  out.push_back(fmt::format("IPSEC: Completed host OBSA update, SPI {}", spi_hex(ob.spi)));
  out.push_back(fmt::format("IPSEC: Creating outbound VPN context, SPI {}", spi_hex(ob.spi)));
  out.push_back(fmt::format("   SPI : {}", spi_hex(ob.spi)));
  out.push_back(fmt::format("IPSEC: Completed outbound VPN context, SPI {}", spi_hex(ob.spi)));
  if (ob.selector) block(out, "outbound encrypt rule", ob.spi, [&] { selector_rule(out, *ob.selector); });
  block(out, "outbound permit rule", ob.spi, [&] { outer_rule(out, ob.local, ob.remote, ob); });
  if (!ib) return out;
  out.push_back(fmt::format("IPSEC: Completed host IBSA update, SPI {}", spi_hex(ib->spi)));
  out.push_back(fmt::format("IPSEC: Creating inbound VPN context, SPI {}", spi_hex(ib->spi)));
  out.push_back(fmt::format("   SPI : {}", spi_hex(ib->spi)));
  out.push_back(fmt::format("IPSEC: Completed inbound VPN context, SPI {}", spi_hex(ib->spi)));
  // The outbound rules are now tied to the pair (the seed's "Updating outbound VPN context" with
  // the ASA's context handle is left out: there is no such handle here).
  if (ob.selector) out.push_back(fmt::format("IPSEC: Completed outbound inner rule, SPI {}", spi_hex(ob.spi)));
  out.push_back(fmt::format("IPSEC: Completed outbound outer SPD rule, SPI {}", spi_hex(ob.spi)));
  if (ob.selector)
    block(out, "inbound tunnel flow rule", ib->spi, [&] { selector_rule(out, policy::selector_reversed(*ob.selector)); });
  block(out, "inbound decrypt rule", ib->spi, [&] { outer_rule(out, ib->remote, ib->local, *ib); });
  block(out, "inbound permit rule", ib->spi, [&] { outer_rule(out, ib->remote, ib->local, *ib); });
  return out;
}

}  // namespace ikegate::cli
