// The ESP core: tunnel-mode ESP (RFC 4303) for one SA, pure computation, no sockets. The
// packet path calls encapsulate()/decapsulate() with caller-provided buffers; nothing here
// allocates per packet. OpenSSL contexts are created once, in EspSa::create().
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/dataplane.h"

namespace ikegate::dataplane {

// Next Header values of the inner packet in tunnel mode (RFC 4303 2.6, IANA protocol numbers).
inline constexpr std::uint8_t kNextHeaderIpv4 = 4;
inline constexpr std::uint8_t kNextHeaderIpv6 = 41;
inline constexpr std::size_t kEspHeaderLen = 8;  // SPI + Sequence Number (RFC 4303 2)

// Why a packet was not processed. Per-packet failures are values, not strings: the hot path
// never allocates.
enum class EspStatus : std::uint8_t {
  Truncated,          // shorter than header + IV + ICV, or ciphertext not block-aligned
  BufferTooSmall,     // the caller's output buffer cannot hold the result
  WrongSpi,           // the packet's SPI is not this SA's
  ReplayCheckFailed,  // duplicate or left of the window (RFC 4303 3.4.3)
  AuthFailed,         // ICV mismatch (RFC 4303 3.4.4)
  BadPadding,         // pad length / pad contents / next header invalid after decryption
  SequenceExhausted,  // the counter would cycle (RFC 4303 3.3.3): the SA must be rekeyed
  Expired,            // hard lifetime reached
  CryptoError,        // OpenSSL reported an internal failure
};
std::string_view to_string(EspStatus s);

// Anti-replay sliding window (RFC 4303 3.4.3) as a ring bitmap of 64-bit words (RFC 6479): the
// window advances by clearing whole words instead of shifting the bitmap. ESN-aware: the high
// 32 bits of the sequence number are inferred as in RFC 4303 Appendix A2.2.
class ReplayWindow {
 public:
  ReplayWindow(std::uint32_t size, bool esn);
  // The full 64-bit sequence number of a received low-order value, or nullopt if it is a
  // duplicate, left of the window, or 0 (never sent). Does not change the window: the caller
  // calls update() only once the ICV verified (RFC 4303 3.4.3, so forged packets cannot move it).
  std::optional<std::uint64_t> check(std::uint32_t seq_low) const;
  void update(std::uint64_t seq);
  std::uint64_t top() const { return top_; }
  std::uint32_t size() const { return size_; }

 private:
  bool seen(std::uint64_t seq) const;
  std::uint32_t size_;  // 0: no replay check (sequence numbers are still tracked for ESN)
  bool esn_;
  std::uint64_t top_ = 0;  // highest authenticated sequence number
  std::vector<std::uint64_t> bitmap_;  // power-of-two number of words
};

enum class LifetimeEvent : std::uint8_t { None, Soft, Hard };

class EspSa {
 public:
  // Validates the transform and key lengths and prepares the OpenSSL contexts.
  static Result<std::unique_ptr<EspSa>> create(const SaParams& params);
  ~EspSa();
  EspSa(const EspSa&) = delete;
  EspSa& operator=(const EspSa&) = delete;

  std::uint32_t spi() const { return spi_; }
  Direction direction() const { return direction_; }
  std::uint32_t reqid() const { return reqid_; }
  std::size_t iv_len() const { return iv_len_; }
  std::size_t icv_len() const { return icv_len_; }
  // Octets of ESP output for an inner packet of inner_len octets.
  std::size_t encapsulated_len(std::size_t inner_len) const;

  // Outbound (RFC 4303 3.3): writes SPI | Seq | IV | E(inner | Padding | Pad Length | Next
  // Header) | ICV to `out`, returns its length. Consumes one sequence number on success.
  std::expected<std::size_t, EspStatus> encapsulate(ByteView inner, std::uint8_t next_header,
                                                    MutableByteView out);

  struct Decapsulated {
    std::size_t inner_len;  // the inner packet is out[0, inner_len)
    std::uint8_t next_header;
    std::uint64_t seq;  // full (ESN-inferred) sequence number
  };
  // Inbound (RFC 4303 3.4): `esp` starts at the SPI. Order: replay pre-check, ICV, decrypt,
  // padding check, window update. `out` needs esp.size() octets.
  std::expected<Decapsulated, EspStatus> decapsulate(ByteView esp, MutableByteView out);

  // Counters are written by the packet thread only and read by anyone (relaxed atomics).
  SaCounters counters() const;
  // Soft or Hard once each, after the packet that crossed the limit; None otherwise.
  LifetimeEvent take_lifetime_event();
  bool hard_expired() const { return hard_expired_.load(std::memory_order_relaxed); }
  // Errors detected outside the core (e.g. a failed send) are attributed to the SA here.
  void count_send_error();
  void count_recv_error();
  void count_policy_failure();
  std::uint64_t next_seq() const { return next_seq_; }
  // Tests only: continue the outbound counter at `seq` (to exercise ESN wrap and exhaustion).
  void set_next_seq_for_test(std::uint64_t seq) { next_seq_ = seq; }

 private:
  struct Handles;
  EspSa() = default;
  void account(std::size_t inner_len);
  std::size_t gcm_nonce_and_aad(const std::uint8_t* iv, std::uint64_t seq, std::uint8_t* nonce,
                                std::uint8_t* aad) const;
  std::expected<void, EspStatus> compute_icv(ByteView authenticated, std::uint32_t seq_high,
                                             std::uint8_t* icv);

  std::uint32_t spi_ = 0;
  Direction direction_ = Direction::Inbound;
  std::uint32_t reqid_ = 0;
  bool aead_ = false;
  bool esn_ = false;
  std::size_t block_ = 4;    // padding alignment: cipher block size, at least 4 (RFC 4303 2.4)
  std::size_t iv_len_ = 0;   // explicit IV carried in the packet
  std::size_t icv_len_ = 0;  // truncated ICV / AEAD tag length
  std::uint8_t salt_[4] = {};
  std::unique_ptr<Handles> h_;
  std::uint64_t next_seq_ = 1;  // outbound: the first packet carries 1 (RFC 4303 3.3.3)
  std::unique_ptr<ReplayWindow> replay_;
  std::uint64_t soft_bytes_ = 0, hard_bytes_ = 0, soft_packets_ = 0, hard_packets_ = 0;

  struct AtomicCounters {
    std::atomic<std::uint64_t> packets{0}, bytes{0}, encaps_or_decaps{0}, encrypt_or_decrypt{0},
        digest_or_verify{0}, send_errors{0}, recv_errors{0}, replay_failures{0},
        auth_failures{0}, policy_failures{0};
  } c_;
  bool soft_crossed_ = false;
  bool soft_reported_ = false;
  bool hard_reported_ = false;
  std::atomic<bool> hard_expired_{false};
};

}  // namespace ikegate::dataplane
