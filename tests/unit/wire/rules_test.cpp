#include <gtest/gtest.h>

#include "seed_messages.h"
#include "wire/ikev2_rules.h"

namespace ikegate::wire {
namespace {

Message response_with(ExchangeType x, std::vector<Payload> payloads, bool encrypted) {
  Message m;
  m.header.exchange = x;
  m.header.flags = kFlagResponse;
  m.encrypted = encrypted;
  m.payloads = std::move(payloads);
  return m;
}

TEST(Rules, SeedMessagesPass) {
  for (const Message& m :
       {seed::ike_sa_init_request(), seed::ike_sa_init_response(), seed::ike_auth_request(),
        seed::ike_auth_response(), seed::create_child_sa_request(),
        seed::create_child_sa_response(), seed::informational_delete()}) {
    auto e = check_rules(m);
    EXPECT_FALSE(e) << name(m.header.exchange) << ": " << e->what;
  }
}

TEST(Rules, ErrorResponsesStandAlone) {
  for (NotifyType t : {NotifyType::NO_PROPOSAL_CHOSEN, NotifyType::INVALID_KE_PAYLOAD,
                       NotifyType::COOKIE}) {
    auto m = response_with(ExchangeType::IKE_SA_INIT, {make_notify(t, {0, 2})}, false);
    EXPECT_FALSE(check_rules(m)) << name(t);
  }
  // IKE_AUTH failure and CREATE_CHILD_SA refusal.
  EXPECT_FALSE(check_rules(response_with(
      ExchangeType::IKE_AUTH, {make_notify(NotifyType::AUTHENTICATION_FAILED)}, true)));
  EXPECT_FALSE(check_rules(response_with(
      ExchangeType::CREATE_CHILD_SA, {make_notify(NotifyType::TS_UNACCEPTABLE)}, true)));
  // But a status notify alone does not excuse a missing SA.
  auto e = check_rules(response_with(
      ExchangeType::IKE_SA_INIT, {make_notify(NotifyType::NAT_DETECTION_SOURCE_IP)}, false));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->what, "SA payload missing in IKE_SA_INIT response");
  EXPECT_EQ(e->notify, NotifyType::INVALID_SYNTAX);
}

TEST(Rules, Violations) {
  Message m = seed::ike_sa_init_request();
  m.payloads.push_back(make(AuthPayload{}));
  EXPECT_EQ(check_rules(m)->what, "AUTH payload not allowed in IKE_SA_INIT request");

  m = seed::ike_sa_init_request();
  m.payloads.push_back(m.payloads[1]);
  EXPECT_EQ(check_rules(m)->what, "more than 1 KE payload(s) in IKE_SA_INIT");

  m = seed::ike_sa_init_request();
  m.payloads.erase(m.payloads.begin() + 2);
  EXPECT_EQ(check_rules(m)->what, "Ni/Nr payload missing in IKE_SA_INIT request");

  m = seed::ike_auth_request();
  m.encrypted = false;
  EXPECT_EQ(check_rules(m)->what, "IKE_AUTH request must be encrypted");

  m = seed::ike_sa_init_request();
  m.encrypted = true;
  EXPECT_EQ(check_rules(m)->what, "IKE_SA_INIT request must not be encrypted");

  m = seed::create_child_sa_request();
  m.payloads[1] = make(NoncePayload{Bytes(8, 1)});
  EXPECT_EQ(check_rules(m)->what, "nonce of 8 octets");

  m = seed::informational_delete();
  m.header.exchange = static_cast<ExchangeType>(99);
  auto e = check_rules(m);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->notify);

  // Unknown non-critical payloads pass anywhere.
  m = seed::create_child_sa_request();
  m.payloads.push_back(make(UnknownPayload{200, false, {}}));
  EXPECT_FALSE(check_rules(m));
}

TEST(Rules, TableIsComplete) {
  for (auto x : {ExchangeType::IKE_SA_INIT, ExchangeType::IKE_AUTH, ExchangeType::CREATE_CHILD_SA,
                 ExchangeType::INFORMATIONAL}) {
    for (bool response : {false, true}) {
      const ExchangeRules* r = rules_for(x, response);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->encrypted, x != ExchangeType::IKE_SA_INIT);
    }
  }
}

}  // namespace
}  // namespace ikegate::wire
