// libFuzzer target for the IKEv1 engine as a responder: the input is a sequence of datagrams
// (2-octet length, then the octets; the length's top bit picks port 4500 instead of 500) from one
// peer, with time advancing between them and the timers run. A policy with a wildcard key and a
// dynamic map accepts whatever Main/Aggressive Mode 1 offers, so the phase-1 paths (proposal
// choice, KE, NAT-D, repeats, half-open expiry) are reached; nothing may crash or leak.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "dataplane/fake.h"
#include "ikev1/engine.h"

using namespace ikegate;

namespace {

struct NullHost : ikev1::Host {
  void send(const Endpoint&, const Endpoint&, ByteView) override {}
  void trace(const ikev1::TraceEvent&) override {}
  bool tracing(int) const override { return true; }  // build every trace line
  void send_keepalive(const Endpoint&, const Endpoint&) override {}
};

std::shared_ptr<policy::Policy> responder_policy() {
  auto p = std::make_shared<policy::Policy>();
  p->isakmp_proposals = {{10, true, {EncrId::AES_CBC, 128}, PrfId::HMAC_SHA1, DhGroup::MODP_768, std::chrono::seconds(3600)},
                         {20, true, {EncrId::TRIPLE_DES, 0}, PrfId::HMAC_MD5, DhGroup::MODP_1024, std::chrono::seconds(86400)}};
  policy::CryptoMapEntry e;
  e.map = "dyn";
  e.seq = 10;
  e.ikev1 = true;
  e.dynamic = true;
  policy::AclEntry any;
  any.selector.src_start = *IpAddress::parse("0.0.0.0");
  any.selector.src_end = *IpAddress::parse("255.255.255.255");
  any.selector.dst_start = any.selector.src_start;
  any.selector.dst_end = any.selector.src_end;
  e.acl.push_back(any);
  policy::EspProposal esp;
  esp.encrs = {{EncrId::AES_CBC, 128}};
  esp.integs = {IntegId::HMAC_SHA1_96};
  e.proposals.push_back(esp);
  e.local_address = *IpAddress::parse("192.168.1.2");
  p->map_entries.push_back(e);
  policy::PeerAuth pa;
  pa.name = "0.0.0.0";
  pa.prefix = 0;
  pa.local_psk = pa.remote_psk = SecretBytes(as_bytes("cisco123"));
  p->peers.push_back(std::move(pa));
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto policy = responder_policy();
  NullHost host;
  dataplane::FakeDataPlane dp(7);
  TestRandom random(9);
  ikev1::Engine engine(policy, dp, random, host);
  TimePoint now{std::chrono::hours(1)};
  const Endpoint peer{*IpAddress::parse("172.16.1.1"), 500};
  std::size_t at = 0;
  for (int n = 0; n < 16 && at + 2 <= size; ++n) {
    std::uint16_t len = load_be16(data + at);
    at += 2;
    bool natt = len & 0x8000;
    len &= 0x7fff;
    std::size_t take = std::min<std::size_t>(len, size - at);
    Endpoint local{*IpAddress::parse("192.168.1.2"), static_cast<std::uint16_t>(natt ? 4500 : 500)};
    engine.on_datagram(local, natt ? Endpoint{peer.address, 4500} : peer, ByteView(data + at, take), now);
    at += take;
    now += std::chrono::seconds(take % 40);
    engine.on_timer(now);
  }
  (void)engine.snapshot(now);
  (void)engine.next_deadline();
  engine.shutdown(now);
  return 0;
}
