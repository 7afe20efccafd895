// `ikegate loadgen`: an IKEv2 load generator for benchmarks. It brings up N IKE SAs, each with
// its first CHILD SA in IKE_AUTH, against one responder (ikegate or any other IKEv2 peer), at a
// given rate or as fast as a window of negotiations in flight allows, and reports how many were
// established, how many failed and how long it took.
//
// The IKE SA proposal, ESP proposal, peer and pre-shared key come from an ordinary configuration
// file with one crypto map entry; SA i protects host (first source address of the entry's first
// ACL line + i) to that line's destination, so every CHILD SA has its own selector, reqid and
// SPIs. Every source address (the entry's own and --source ones) is an identity of its own with
// its own engine, socket and null data plane (SPIs allocated and unique, SAs accepted, nothing
// installed: only IKE is measured). The engines run with EngineOptions::share_ike_sa = false
// (one IKE SA per CHILD SA). Only the first IKE SA of each source may carry INITIAL_CONTACT: the
// others start once it is READY (a second one would make the responder drop the first SAs of
// that identity, RFC 7296 2.4).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/ip.h"
#include "common/result.h"

namespace ikegate::daemon {

struct LoadgenOptions {
  std::string config_path;
  std::size_t count = 1000;
  double rate = 0;          // IKE SAs started per second; 0 = as fast as the window allows
  std::size_t window = 64;  // negotiations in flight at most
  std::chrono::seconds time_limit{120};
  // Extra local addresses (each must be on a local interface); SAs go round-robin over the
  // crypto map entry's own address and these. Each address is its own IKE identity and engine.
  std::vector<IpAddress> sources;
  // Keep the SAs up (answering DPD) after the last one is established until SIGINT/SIGTERM or
  // the time limit, for memory measurements of the responder.
  bool hold = false;
  bool verbose = false;  // print the engine's error notes
};

// Parses the sub-command's arguments (after `loadgen`) into `o`; an error names the option.
Result<void> parse_loadgen_args(const std::vector<std::string>& args, LoadgenOptions& o);

// 0 when every SA was established, 1 when some failed or the time limit cut the run short,
// 2 for a setup error (configuration, sockets).
int run_loadgen(const LoadgenOptions& options);

}  // namespace ikegate::daemon
