#include "wire/isakmp_vendor_ids.h"

#include <algorithm>

namespace ikegate::wire::isakmp::vid {

namespace {

struct Entry {
  Known id;
  std::string_view hex;
  bool prefix;  // the VID continues with version/capability octets
  std::string_view name;
};

constexpr Entry kTable[] = {
    {Known::CISCO_UNITY, "12f5f28c457168a9702d9fe274cc0100", false, "Unity"},
    {Known::XAUTH, "09002689dfd6b712", false, "XAUTH"},
    {Known::DPD, "afcad71368a1f1c96b8696fc77570100", false, "DPD"},
    {Known::CISCO_ALTIGA, "1f07f70eaa6514d3b0fa96542a50", true, "Altiga/Cisco VPN3000/Cisco ASA GW"},
    {Known::FRAGMENTATION, "4048b7d56ebce88525e7de7f00d6c2d3", false, "FRAGMENTATION"},
    {Known::NAT_T_RFC3947, "4a131c81070358455c5728f20e95452f", false, "NAT-T RFC 3947"},
    {Known::NAT_T_DRAFT_02, "cd60464335df21f87cfdb2fc68b6a448", false, "NAT-T v2"},
    {Known::NAT_T_DRAFT_02_N, "90cb80913ebb696e086381b5ec427b1f", false, "NAT-T v2"},
    {Known::NAT_T_DRAFT_03, "7d9419a65310ca6f2c179d9215529d56", false, "NAT-T v3"},
    {Known::NAT_T_DRAFT_07, "439b59f8ba676c4c7737ae22eab8f582", false, "NAT-T v7"},
    {Known::NAT_T_DRAFT_08, "8f8d83826d246b6fc7a8a6a428c11de8", false, "NAT-T v8"},
};

const Entry* entry(Known k) {
  for (const auto& e : kTable)
    if (e.id == k) return &e;
  return nullptr;
}

}  // namespace

Bytes bytes(Known k) {
  const Entry* e = entry(k);
  if (!e) return {};
  return *from_hex(e->hex);
}

Known classify(ByteView v) {
  for (const auto& e : kTable) {
    Bytes b = *from_hex(e.hex);
    if (e.prefix ? (v.size() >= b.size() && std::ranges::equal(v.first(b.size()), b))
                 : std::ranges::equal(v, b))
      return e.id;
  }
  return Known::UNKNOWN;
}

std::string_view name(Known k) {
  const Entry* e = entry(k);
  return e ? e->name : std::string_view{};
}

bool is_nat_t(Known k) { return k == Known::NAT_T_RFC3947 || is_nat_t_draft(k); }
bool is_nat_t_draft(Known k) {
  return k == Known::NAT_T_DRAFT_02 || k == Known::NAT_T_DRAFT_02_N || k == Known::NAT_T_DRAFT_03 ||
         k == Known::NAT_T_DRAFT_07 || k == Known::NAT_T_DRAFT_08;
}

std::vector<Bytes> main_mode_set() {
  std::vector<Bytes> out;
  for (Known k : {Known::NAT_T_RFC3947, Known::NAT_T_DRAFT_07, Known::NAT_T_DRAFT_03, Known::NAT_T_DRAFT_02_N,
                  Known::DPD, Known::CISCO_UNITY, Known::XAUTH, Known::FRAGMENTATION})
    out.push_back(bytes(k));
  return out;
}

}  // namespace ikegate::wire::isakmp::vid
