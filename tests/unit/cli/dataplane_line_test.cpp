// `show crypto ipsec sa` names the data-plane backend under each SA when the daemon says which
// one it runs, in both personalities, and prints nothing extra when it does not (the seeds).
#include <gtest/gtest.h>

#include "cli/show_asa.h"
#include "cli/show_ios.h"
#include "show_test_util.h"

namespace ikegate::cli {
namespace {

using test::ep;

ChildSaView one_sa(std::string dataplane) {
  ChildSaView c;
  c.interface_name = "outside";
  c.crypto_map = "outside_map";
  c.crypto_map_seq = 10;
  c.local_endpoint = ep("10.0.0.1", 500);
  c.remote_endpoint = ep("10.0.0.2", 500);
  EspSaView in, out;
  in.spi = 0x11111111;
  out.spi = 0x22222222;
  c.inbound.push_back(in);
  c.outbound.push_back(out);
  c.dataplane = std::move(dataplane);
  return c;
}

int lines_with(const std::string& text, const std::string& what) {
  int n = 0;
  for (const auto& l : test::split_lines(text))
    if (l == what) ++n;
  return n;
}

TEST(DataplaneLine, AsaPrintsTheBackendUnderEachSa) {
  const std::string text = asa::show_crypto_ipsec_sa({one_sa("xfrm")});
  EXPECT_EQ(lines_with(text, "         data plane: xfrm"), 2) << text;  // inbound and outbound
  const auto lines = test::split_lines(text);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i] == "         data plane: xfrm") {
      EXPECT_NE(lines[i - 1].find("conn_id:"), std::string::npos);
    }
  }
  EXPECT_EQ(asa::show_crypto_ipsec_sa({one_sa("")}).find("data plane"), std::string::npos);
}

TEST(DataplaneLine, IosPrintsTheBackendUnderEachSa) {
  const std::string text = ios::show_crypto_ipsec_sa({one_sa("userspace")});
  EXPECT_EQ(lines_with(text, "        data plane: userspace"), 2) << text;
  EXPECT_EQ(ios::show_crypto_ipsec_sa({one_sa("")}).find("data plane"), std::string::npos);
}

}  // namespace
}  // namespace ikegate::cli
