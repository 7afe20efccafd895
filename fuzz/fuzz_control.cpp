// libFuzzer target for the operator's command line (the control socket's interpreter): any
// octets, in either personality, get an answer or an error — status 0 or 1, text ending in '\n'
// — never a crash, and a failed command changes no debug level. The first octets of the input
// shape what the show commands render (SAs, CHILD SAs, counters, addresses), so the formatters
// see hostile values too; the rest is a sequence of command lines.
#include <cstddef>
#include <cstdint>
#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"

using namespace ikegate;

namespace {

class Reader {
 public:
  Reader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  std::uint8_t u8() { return i_ < n_ ? d_[i_++] : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v = v << 8 | u8();
    return v;
  }
  std::uint64_t u64() { return std::uint64_t{u32()} << 32 | u32(); }
  std::string_view rest() const {
    return {reinterpret_cast<const char*>(d_) + i_, n_ - std::min(i_, n_)};
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_, i_ = 0;
};

IpAddress address(Reader& r) {
  if (r.u8() & 1) {
    std::array<std::uint8_t, 16> b{};
    for (auto& x : b) x = r.u8();
    return IpAddress::v6(b);
  }
  return IpAddress::v4(r.u32());
}

ikev2::IkeSaInfo make_sa(Reader& r, std::uint32_t id) {
  static const char* const kStatus[] = {"READY", "IN-NEG", "DELETE", ""};
  ikev2::IkeSaInfo sa;
  sa.id = id;
  sa.local = {address(r), static_cast<std::uint16_t>(r.u32())};
  sa.remote = {address(r), static_cast<std::uint16_t>(r.u32())};
  sa.status = kStatus[r.u8() % 4];
  sa.initiator = r.u8() & 1;
  sa.spi_local = r.u64();
  sa.spi_remote = r.u64();
  sa.encr = static_cast<EncrId>(r.u8());
  sa.key_bits = static_cast<std::uint16_t>(r.u32());
  sa.integ = static_cast<IntegId>(r.u8());
  sa.prf = static_cast<PrfId>(r.u8());
  sa.dh = static_cast<DhGroup>(r.u8());
  sa.lifetime = std::chrono::seconds{r.u32()};
  sa.active = std::chrono::seconds{r.u32()};
  sa.local_id = std::string(r.u8() % 80, 'L');
  sa.remote_id = std::string(r.u8() % 80, 'R');
  sa.local_req_mid = r.u32();
  sa.remote_req_mid = r.u32();
  sa.window = r.u32();
  sa.dpd_interval = std::chrono::seconds{r.u32() % 100000};
  sa.dpd_retry = std::chrono::seconds{r.u8()};
  sa.nat_local = r.u8() & 1;
  sa.nat_remote = r.u8() & 1;
  sa.fragmentation = r.u8() & 1;
  sa.tunnel_group = sa.remote.address.to_string();
  const int children = r.u8() % 4;
  for (int c = 0; c < children; ++c) {
    ikev2::ChildSaInfo ch;
    ch.map = "outside_map";
    ch.seq = r.u32();
    ch.acl_text = "access-list l2l_list extended permit ip any any";
    ch.selector.src_start = address(r);
    ch.selector.src_end = address(r);
    ch.selector.dst_start = address(r);
    ch.selector.dst_end = address(r);
    ch.spi_in = r.u32();
    ch.spi_out = r.u32();
    ch.encr = static_cast<EncrId>(r.u8());
    ch.key_bits = static_cast<std::uint16_t>(r.u32());
    ch.integ = static_cast<IntegId>(r.u8());
    if (r.u8() & 1) ch.pfs = static_cast<DhGroup>(r.u8());
    ch.lifetime = std::chrono::seconds{r.u32()};
    ch.remaining = std::chrono::seconds{r.u32()};
    ch.lifetime_kb = r.u64();
    ch.nat_t = r.u8() & 1;
    ch.in.packets = r.u64();
    ch.in.bytes = r.u64();
    ch.out.packets = r.u64();
    ch.out.bytes = r.u64();
    sa.children.push_back(std::move(ch));
  }
  return sa;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r(data, size);
  const std::uint8_t mode = r.u8();
  const auto personality = mode & 1 ? policy::Personality::Ios : policy::Personality::Asa;
  std::vector<ikev2::IkeSaInfo> sas;
  const int count = (mode >> 1) % 4;
  for (int i = 0; i < count; ++i) sas.push_back(make_sa(r, static_cast<std::uint32_t>(i + 1)));
  ikev2::Stats stats;
  stats.half_open = r.u64();
  stats.established = r.u64();
  stats.auth_failures = r.u64();

  auto pol = std::make_shared<policy::Policy>();
  pol->personality = personality;
  policy::CryptoMapEntry e;
  e.map = "outside_map";
  e.seq = 1;
  e.interface = personality == policy::Personality::Asa ? "outside" : "Ethernet0/0";
  pol->map_entries.push_back(e);

  cli::CommandInterpreter::Actions a;
  const bool with_actions = !(mode & 0x80);
  if (with_actions) {
    a.snapshot = [&sas] { return sas; };
    a.stats = [&stats] { return stats; };
    a.clear_ike = [&sas](std::optional<IpAddress>) { return sas.size(); };
    a.clear_ipsec = [&sas](std::optional<IpAddress>) { return sas.size(); };
    a.running_config = [] { return std::string("hostname ASA1"); };
    a.reload = [mode]() -> Result<void> {
      if (mode & 0x40) return fail("gw.cfg:3: unknown command");
      return {};
    };
  }
  cli::CommandInterpreter interp(personality, pol, std::move(a));

  std::string_view lines = r.rest();
  for (int n = 0; n < 64 && !lines.empty(); ++n) {
    auto nl = lines.find('\n');
    std::string_view line = lines.substr(0, nl);
    lines = nl == std::string_view::npos ? std::string_view{} : lines.substr(nl + 1);
    const cli::DebugLevels before = interp.debug_levels();
    auto out = interp.execute(line);
    if (out.status != 0 && out.status != 1) std::abort();
    if (!out.text.empty() && out.text.back() != '\n') std::abort();
    // A refused command leaves the debug levels as they were.
    if (out.status != 0 && !(interp.debug_levels() == before)) std::abort();
    if (out.subscribe_monitor && out.status != 0) std::abort();
  }
  return 0;
}
