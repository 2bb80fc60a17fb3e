// A second factor over real HTTP: enrolment of an authenticator app, the login's second step
// (TOTP and recovery codes, each accepted once, throttled), amr/acr in the tokens, and RFC 9470's
// step-up challenge.
#include "fauth/http/second_factor.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include <fauth/auth/totp.hpp>

#include "support/await.hpp"
#include "support/http_client.hpp"
#include "support/test_app.hpp"

using fauth::test::get;
using fauth::test::request;
using fauth::test::TestApp;

namespace {

const std::string kJson = "Content-Type: application/json";

fauth::AuthConfig config_with_factors() {
    auto c = TestApp::default_config();
    c.second_factor.store = std::make_shared<fauth::MemorySecondFactorStore>();
    c.second_factor.issuer = "fauth test";
    return c;
}

fauth::test::HttpResponse password_login(TestApp& app, const std::string& user = "alice",
                                         const std::string& password = "s3cret") {
    return request(app.port(), "POST", "/login", {kJson}, nlohmann::json{{"username", user}, {"password", password}}.dump());
}

fauth::test::HttpResponse second_step(TestApp& app, const std::string& token, const std::string& code) {
    return request(app.port(), "POST", "/login/second-factor", {kJson},
                   nlohmann::json{{"second_factor_token", token}, {"code", code}}.dump());
}

fauth::test::HttpResponse post_with(TestApp& app, const std::string& path, const std::string& token,
                                    const std::string& body = "{}", const std::string& method = "POST") {
    return request(app.port(), method, path, {kJson, "Authorization: Bearer " + token}, body);
}

std::string now_code(const std::string& secret, std::int64_t offset_steps = 0) {
    const fauth::totp::Parameters p;
    return fauth::totp::code_at(secret, fauth::totp::step_at(fauth::unix_seconds(), p) + offset_steps, p);
}

// Alice with a confirmed authenticator: its raw secret and her recovery codes.
struct Enrolled {
    std::string secret;
    std::vector<std::string> recovery_codes;
    std::int64_t step = 0;  // the time step whose code confirmed it
    // The code of `confirmed + offset`'s step.
    std::string code(std::int64_t offset) const { return fauth::totp::code_at(secret, step + offset, {}); }
};

Enrolled enrol_alice(TestApp& app) {
    const auto login = password_login(app);
    EXPECT_EQ(login.status, 200) << login.body;
    const auto access = login.json()["access_token"].get<std::string>();
    const auto enrolment = post_with(app, "/auth/second-factor/totp", access);
    EXPECT_EQ(enrolment.status, 200) << enrolment.body;
    const auto secret = fauth::totp::from_base32(enrolment.json()["secret"].get<std::string>());
    EXPECT_TRUE(secret.has_value());
    const auto step = fauth::totp::step_at(fauth::unix_seconds(), {});
    const auto confirmed = post_with(app, "/auth/second-factor/totp/confirm", access,
                                     nlohmann::json{{"code", fauth::totp::code_at(*secret, step, {})}}.dump());
    EXPECT_EQ(confirmed.status, 200) << confirmed.body;
    return {*secret, confirmed.json()["recovery_codes"].get<std::vector<std::string>>(), step};
}

}  // namespace

TEST(SecondFactor, EnrolmentGivesASecretItsUriAndQrCodeThenAFirstCodeConfirmsIt) {
    TestApp app(2, config_with_factors());
    const auto access = password_login(app).json()["access_token"].get<std::string>();
    EXPECT_EQ(get(app.port(), "/auth/second-factor", access).json(),
              (nlohmann::json{{"totp", false}, {"recovery_codes_left", 0}}));

    const auto enrolment = post_with(app, "/auth/second-factor/totp", access);
    ASSERT_EQ(enrolment.status, 200) << enrolment.body;
    EXPECT_EQ(enrolment.header("Cache-Control"), "no-store");
    const auto body = enrolment.json();
    const auto secret = fauth::totp::from_base32(body["secret"].get<std::string>());
    ASSERT_TRUE(secret);
    EXPECT_EQ(secret->size(), 20u);
    EXPECT_EQ(body["uri"], fauth::totp::uri("fauth test", "alice", *secret, {}));
    EXPECT_TRUE(body["qr_svg"].get<std::string>().starts_with("<svg")) << body["qr_svg"];
    // Not in force until confirmed: a login still needs the password only.
    EXPECT_EQ(password_login(app).status, 200);

    const auto wrong = post_with(app, "/auth/second-factor/totp/confirm", access,
                                 nlohmann::json{{"code", now_code(*secret) == "000000" ? "111111" : "000000"}}.dump());
    EXPECT_EQ(wrong.status, 401) << wrong.body;
    EXPECT_EQ(wrong.json()["detail"], "Invalid code");
    EXPECT_EQ(post_with(app, "/auth/second-factor/totp/confirm", access, "{}").status, 422);

    const auto confirmed =
        post_with(app, "/auth/second-factor/totp/confirm", access, nlohmann::json{{"code", now_code(*secret)}}.dump());
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
    const auto codes = confirmed.json()["recovery_codes"].get<std::vector<std::string>>();
    ASSERT_EQ(codes.size(), 10u);
    EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 10u);
    EXPECT_EQ(get(app.port(), "/auth/second-factor", access).json(),
              (nlohmann::json{{"totp", true}, {"recovery_codes_left", 10}}));
    // A second enrolment over a confirmed one takes a session begun with both factors (this one
    // began with the password alone); there is nothing left to confirm.
    const auto again = post_with(app, "/auth/second-factor/totp", access);
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(again.json()["detail"], "Stronger authentication required");
    EXPECT_EQ(again.header("WWW-Authenticate"), R"(Bearer error="insufficient_user_authentication", acr_values="aal2")");
    EXPECT_EQ(post_with(app, "/auth/second-factor/totp/confirm", access, nlohmann::json{{"code", now_code(*secret)}}.dump())
                  .json()["detail"],
              "No authenticator to confirm");
}

TEST(SecondFactor, APasswordLoginThenAsksForACodeAndTheTokensSayTwoFactors) {
    TestApp app(2, config_with_factors());
    const auto enrolled = enrol_alice(app);
    const auto first = password_login(app);
    ASSERT_EQ(first.status, 403) << first.body;
    EXPECT_EQ(first.json()["detail"], "Second factor required");
    EXPECT_EQ(first.json()["factors"], nlohmann::json({"totp", "recovery_code"}));
    EXPECT_FALSE(first.json().contains("access_token"));
    EXPECT_EQ(first.header("Cache-Control"), "no-store");
    const auto token = first.json()["second_factor_token"].get<std::string>();
    ASSERT_EQ(app.events(fauth::SecurityEventType::second_factor_required).size(), 1u);
    EXPECT_EQ(app.events(fauth::SecurityEventType::second_factor_required)[0].subject, "user-123");

    // The token only finishes the login: it is no access token, and an access token is no such token.
    EXPECT_EQ(get(app.port(), "/me", token).status, 401);
    const auto bad = second_step(app, "not-a-token", now_code(enrolled.secret));
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(bad.json()["detail"], "Invalid token");

    const auto wrong = second_step(app, token, now_code(enrolled.secret) == "000000" ? "111111" : "000000");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.json()["detail"], "Invalid code");

    // The confirmation used this step's code: the next step's (one step of drift) is the first left.
    EXPECT_EQ(second_step(app, token, enrolled.code(0)).json()["detail"], "Invalid code");
    const auto code = enrolled.code(1);
    const auto done = second_step(app, token, code);
    ASSERT_EQ(done.status, 200) << done.body;
    const auto access = app.auth().verify(done.json()["access_token"].get<std::string>());
    EXPECT_EQ(access.sub, "user-123");
    EXPECT_EQ(access.amr, (fauth::AuthMethods{fauth::AuthMethod::mfa, fauth::AuthMethod::otp, fauth::AuthMethod::pwd}));
    EXPECT_EQ(access.acr, "aal2");
    EXPECT_TRUE(access.fresh);
    const auto successes = app.events(fauth::SecurityEventType::login_success);
    ASSERT_FALSE(successes.empty());
    EXPECT_EQ(successes.back().reason, "second factor: totp");

    // The same code again, even with a new token from a new password step: refused (replay).
    const auto again = password_login(app).json()["second_factor_token"].get<std::string>();
    EXPECT_EQ(second_step(app, again, code).json()["detail"], "Invalid code");
    EXPECT_EQ(app.events(fauth::SecurityEventType::login_failure).back().reason, "second factor: code already used");

    // Refresh keeps how the session began; the new access token is not fresh.
    const auto refreshed =
        request(app.port(), "POST", "/refresh", {kJson}, nlohmann::json{{"refresh_token", done.json()["refresh_token"]}}.dump());
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    const auto renewed = app.auth().verify(refreshed.json()["access_token"].get<std::string>());
    EXPECT_EQ(renewed.amr, access.amr);
    EXPECT_EQ(renewed.acr, "aal2");
    EXPECT_FALSE(renewed.fresh);
}

TEST(SecondFactor, RecoveryCodesWorkOnceEachAndCanBeRenewed) {
    TestApp app(2, config_with_factors());
    const auto enrolled = enrol_alice(app);
    const auto token = password_login(app).json()["second_factor_token"].get<std::string>();
    // Typed loosely: upper case, without its dashes.
    std::string typed;
    for (const char c : enrolled.recovery_codes[3])
        if (c != '-') typed.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    const auto done = second_step(app, token, typed);
    ASSERT_EQ(done.status, 200) << done.body;
    const auto access = done.json()["access_token"].get<std::string>();
    EXPECT_EQ(app.auth().verify(access).acr, "aal2");
    EXPECT_EQ(app.events(fauth::SecurityEventType::login_success).back().reason, "second factor: recovery code");
    EXPECT_EQ(second_step(app, token, enrolled.recovery_codes[3]).json()["detail"], "Invalid code") << "used up";
    EXPECT_EQ(get(app.port(), "/auth/second-factor", access).json()["recovery_codes_left"], 9);

    const auto renewed = post_with(app, "/auth/second-factor/recovery-codes", access);
    ASSERT_EQ(renewed.status, 200) << renewed.body;
    const auto fresh_codes = renewed.json()["recovery_codes"].get<std::vector<std::string>>();
    ASSERT_EQ(fresh_codes.size(), 10u);
    EXPECT_EQ(second_step(app, token, enrolled.recovery_codes[0]).json()["detail"], "Invalid code") << "the old ones stop";
    EXPECT_EQ(second_step(app, token, fresh_codes[0]).status, 200);
}

TEST(SecondFactor, ARevokedSecondFactorTokenSpendsNoCode) {
    TestApp app(2, config_with_factors());
    const auto enrolled = enrol_alice(app);
    const auto token = password_login(app).json()["second_factor_token"].get<std::string>();
    fauth::test::await(app.auth().revoke_all("user-123"));
    const auto refused = second_step(app, token, enrolled.recovery_codes[0]);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.json()["detail"], "Invalid token");
    const auto fresh = password_login(app).json()["second_factor_token"].get<std::string>();
    EXPECT_EQ(second_step(app, fresh, enrolled.recovery_codes[0]).status, 200) << "the recovery code was not spent";
}

TEST(SecondFactor, ASecretCopiedToAnotherUserDoesNotOpen) {
    auto config = config_with_factors();
    const auto store = config.second_factor.store;
    TestApp app(2, config);
    const auto enrolled = enrol_alice(app);
    // Alice's sealed secret, copied to bob's row and confirmed there (a tampered database).
    auto alices = store->totp("user-123").result();
    ASSERT_TRUE(alices && *alices);
    ASSERT_TRUE(*store->put_totp("user-456", **alices).result());
    ASSERT_TRUE(*store->confirm_totp("user-456", (*alices)->sealed_secret, enrolled.step - 5).result());
    const auto token = password_login(app, "bob", "hunter2").json()["second_factor_token"].get<std::string>();
    EXPECT_EQ(second_step(app, token, enrolled.code(1)).json()["detail"], "Invalid code");
    EXPECT_EQ(app.events(fauth::SecurityEventType::login_failure).back().reason,
              "second factor: the stored secret does not open");
}

TEST(SecondFactor, CodesAreThrottledPerUser) {
    TestApp app(2, config_with_factors());
    const auto enrolled = enrol_alice(app);  // its confirmation counted one attempt
    const auto token = password_login(app).json()["second_factor_token"].get<std::string>();
    const auto wrong = now_code(enrolled.secret) == "000000" ? "111111" : "000000";
    for (int i = 0; i < 4; ++i) EXPECT_EQ(second_step(app, token, wrong).status, 401) << i;
    const auto throttled = second_step(app, token, now_code(enrolled.secret));
    EXPECT_EQ(throttled.status, 429) << throttled.body
                                     << ": five attempts an hour for one user from one client, the right code included";
    EXPECT_FALSE(throttled.header("Retry-After").empty());
}

TEST(SecondFactor, AStepUpRuleAsksATokenOfOneFactorToSignInAgainWithTwo) {
    TestApp app(2, config_with_factors());
    const auto aal1 = password_login(app).json()["access_token"].get<std::string>();
    EXPECT_EQ(app.auth().verify(aal1).acr, "aal1");
    EXPECT_EQ(app.auth().verify(aal1).amr, (fauth::AuthMethods{fauth::AuthMethod::pwd}));
    const auto refused = get(app.port(), "/step-up", aal1);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.json()["detail"], "Stronger authentication required");
    EXPECT_EQ(refused.header("WWW-Authenticate"), R"(Bearer error="insufficient_user_authentication", acr_values="aal2")");
    // Removing the factor and renewing codes demand two factors too.
    const auto enrolled = enrol_alice(app);
    EXPECT_EQ(post_with(app, "/auth/second-factor/totp", aal1, "", "DELETE").status, 401);

    const auto token = password_login(app).json()["second_factor_token"].get<std::string>();
    const auto aal2 = second_step(app, token, enrolled.code(1)).json()["access_token"].get<std::string>();
    EXPECT_EQ(get(app.port(), "/step-up", aal2).json(), (nlohmann::json{{"hello", "alice"}}));
    EXPECT_EQ(get(app.port(), "/recent", aal2).status, 200) << "signed in just now";
    EXPECT_EQ(post_with(app, "/auth/second-factor/totp", aal2, "", "DELETE").status, 204);
    EXPECT_EQ(password_login(app).status, 200) << "no factor left: the password is enough again";
}

TEST(SecondFactor, MountingWithoutAStoreIsAConfigError) {
    TestApp app;
    EXPECT_THROW(fauth::http::add_second_factor_routes(app.api(), app.auth()), fauth::ConfigError);
}
