// Internal to the parser: the mode stack shared by the ASA and IOS grammars.
//
// A Cisco CLI reads a pasted configuration by modes, not by indentation: a line is tried in
// the current sub-mode, then in each enclosing mode, out to global configuration. The parser
// does the same, which is what lets it read the seeds' text whose indentation was lost. Where
// indentation is present it is used too: once a block's children are indented, a line at the
// block's own indentation closes it, and an indented line nobody understands belongs to the
// block above it (kept as written).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/lexer.h"
#include "config/model.h"

namespace ikegate::config::detail {

enum class Mode : std::uint8_t {
  Global,
  Interface,
  AsaIkev2Policy,
  IpsecProposal,
  IsakmpPolicy,
  TunnelIpsec,
  TunnelGeneral,
  TunnelWebvpn,
  GroupPolicyAttributes,
  UserAttributes,
  Trustpoint,
  TrustpointCrl,
  ObjectNetwork,
  ObjectGroupNetwork,
  OtherObject,
  TransformSet,     // IOS: "mode tunnel|transport"
  IosIkev2Proposal,
  IosIkev2Policy,
  Keyring,
  KeyringPeer,
  Ikev2Profile,
  IpsecProfile,
  CryptoMapEntry,   // IOS crypto map / dynamic-map sub-mode
  IosAcl,
  Kept,             // the children of a kept command
};

// Kept blocks whose sub-commands are known by their first word, so that they are recognised
// even without indentation (e.g. "webvpn" then "enable outside").
struct KeptBlock {
  std::string_view opener;  // first words of the command that opens it
  std::vector<std::string_view> children;
  std::vector<std::pair<std::string_view, const KeptBlock*>> nested;  // child word -> its block
};

struct Frame {
  Mode mode = Mode::Global;
  int indent = -1;        // indentation of the line that opened the block
  int child_indent = -1;  // indentation of its first child, once seen
  std::size_t index = 0;  // entity in the model (interfaces[index], ...)
  std::size_t index2 = 0; // keyring peer
  bool dynamic = false;   // CryptoMapEntry of a dynamic-map
  int sequence = 0;       // CryptoMapEntry
  std::vector<RawCommand>* kept = nullptr;  // where children of this block are kept
  const KeptBlock* block = nullptr;         // Kept: its known sub-commands
};

// Reads words left to right for one command, reporting problems against its line.
class Args {
 public:
  Args(const Line& line, std::size_t pos) : line_(line), pos_(pos) {}
  bool done() const { return pos_ >= line_.words.size(); }
  std::size_t pos() const { return pos_; }
  std::string_view peek(std::size_t ahead = 0) const {
    return pos_ + ahead < line_.words.size() ? std::string_view(line_.words[pos_ + ahead]) : std::string_view();
  }
  bool accept(std::string_view word) {
    if (peek() == word && !done()) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string_view next() { return done() ? std::string_view() : std::string_view(line_.words[pos_++]); }
  std::vector<std::string> rest() {
    std::vector<std::string> r(line_.words.begin() + static_cast<long>(std::min(pos_, line_.words.size())), line_.words.end());
    pos_ = line_.words.size();
    return r;
  }
  const Line& line() const { return line_; }

 private:
  const Line& line_;
  std::size_t pos_;
};

std::optional<IpAddress> parse_ipv4(std::string_view w);
std::optional<std::uint32_t> parse_dotted(std::string_view w);  // any dotted quad as a number
std::optional<long long> parse_number(std::string_view w, long long lo, long long hi);
std::string_view mode_name(Mode m);  // "interface mode", for messages

class Parser {
 public:
  Parser(Dialect dialect, bool strict);
  void feed(const Line& line);
  void finish();

  Model model;
  std::vector<Diagnostic> diagnostics;

  // Reporting.
  void error(const Line& l, std::string message);
  void warning(const Line& l, std::string message);
  void unknown(const Line& l, std::string_view where);  // warning, or an error with --strict

  // Frames.
  void push(Frame f);

  // Keeping commands as written.
  RawCommand& keep(std::vector<RawCommand>& where, const Line& l);
  void keep_block(std::vector<RawCommand>& where, const Line& l, const KeptBlock* block);
  void keep_global(const Line& l, Section s, const KeptBlock* block = nullptr);

  // Shared by both grammars.
  ConfigSecret take_secret(Args& a, const Line& l, std::string_view what);
  std::optional<AclEntry> parse_acl_entry(Args& a, const Line& l, bool standard);
  void apply_map_command(CryptoMapEntry& e, Args& a, const Line& l, std::string_view prefix);
  bool parse_phase1_mode(CryptoMapEntry& e, Args& a, const Line& l, std::string_view prefix);
  CryptoMap& map_named(std::vector<CryptoMap>& maps, std::string_view name, const Line& l);
  CryptoMapEntry& map_entry(CryptoMap& m, int seq, const Line& l);
  bool parse_lifetime(Lifetime& lt, Args& a, const Line& l);
  std::optional<DhGroup> parse_pfs_group(std::string_view w, const Line& l);
  void apply_isakmp_policy(IsakmpPolicy& p, Args& a, const Line& l);
  void apply_transform_words(TransformSet& ts, Args& a, const Line& l);
  template <class T>
  bool parse_list(std::vector<T>& out, std::span<const Keyword<T>> table, Args& a, const Line& l,
                  std::string_view what);

 private:
  // Tries `l` as a sub-command of the block stack_[fi]. With apply=false only answers whether
  // that block takes it; with apply=true it closes the blocks inside stack_[fi] and applies it.
  bool sub_command(std::size_t fi, const Line& l, bool apply);
  bool asa_sub(std::size_t fi, const Line& l, bool apply);
  bool ios_sub(std::size_t fi, const Line& l, bool apply);
  bool kept_sub(std::size_t fi, const Line& l, bool apply);
  void global(const Line& l);
  bool asa_global(const Line& l);
  bool ios_global(const Line& l);
  bool shared_global(const Line& l);
  bool keep_known_global(const Line& l);
  bool is_global_command(const Line& l) const;
  void close_to(std::size_t fi) { stack_.resize(fi + 1); }

  Dialect dialect_;
  bool strict_;

 public:
  Dialect dialect() const { return dialect_; }

 private:
  std::vector<Frame> stack_;
};

}  // namespace ikegate::config::detail
