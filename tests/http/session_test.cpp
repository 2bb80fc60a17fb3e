// POST /refresh and POST /logout over real HTTP.
#include "fauth/http/session.hpp"

#include <gtest/gtest.h>

#include <fauth/core/base64url.hpp>
#include <fauth/core/keys.hpp>

#include "support/http_client.hpp"
#include "support/test_app.hpp"

using fauth::test::get;
using fauth::test::request;
using fauth::test::TestApp;

namespace {
const std::string kJson = "Content-Type: application/json";

fauth::test::HttpResponse refresh(std::uint16_t port, const std::string& token) {
    return request(port, "POST", "/refresh", {kJson}, nlohmann::json{{"refresh_token", token}}.dump());
}

// The reasons of the token_refused events at `path` so far, oldest first: what the log knows and
// the client (a fixed "Invalid token") does not.
std::vector<std::string> refused_at(TestApp& app, const std::string& path) {
    std::vector<std::string> reasons;
    for (const auto& e : app.events(fauth::SecurityEventType::token_refused))
        if (e.path == path) reasons.push_back(e.reason);
    return reasons;
}
}  // namespace

TEST(RefreshEndpoint, ExchangesARefreshTokenForANewPairOnce) {
    TestApp app;
    const auto login = app.auth().login("user-123", {"read"});
    const auto r = refresh(app.port(), login.refresh_token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(r.header("Pragma"), "no-cache");
    const auto access = r.json()["access_token"].get<std::string>();
    EXPECT_EQ(get(app.port(), "/me", access).json()["message"], "Hello alice");
    EXPECT_TRUE(app.auth().verify(access).scopes.empty()) << "refresh computes claims again; this app sets none";

    // The same token again at once (a second tab, a retry after a lost answer): the same pair.
    const auto repeat = refresh(app.port(), login.refresh_token);
    ASSERT_EQ(repeat.status, 200) << repeat.body;
    EXPECT_EQ(repeat.json()["access_token"], r.json()["access_token"]);
    EXPECT_EQ(repeat.json()["refresh_token"], r.json()["refresh_token"]);
    ASSERT_EQ(refresh(app.port(), r.json()["refresh_token"].get<std::string>()).status, 200) << "the session moves on";
    const auto reused = refresh(app.port(), login.refresh_token);
    EXPECT_EQ(reused.status, 401);
    EXPECT_EQ(reused.json(), (nlohmann::json{{"detail", "Invalid token"}})) << "the client is not told why";
    EXPECT_EQ(reused.header("WWW-Authenticate"), R"(Bearer error="invalid_token")");
    EXPECT_EQ(refused_at(app, "/refresh"), std::vector<std::string>{"Invalid token: refresh token reuse detected"})
        << "the security events are";
    const auto reuse = app.events(fauth::SecurityEventType::refresh_reuse);
    ASSERT_EQ(reuse.size(), 1u);
    EXPECT_EQ(reuse[0].subject, "user-123");
    EXPECT_EQ(get(app.port(), "/me", access).status, 401) << "the family is revoked";
}

TEST(RefreshEndpoint, AcceptsTheOAuth2FormGrant) {
    TestApp app;
    const auto login = app.auth().login("user-456");
    const auto r = request(app.port(), "POST", "/refresh", {"Content-Type: application/x-www-form-urlencoded"},
                           "grant_type=refresh_token&refresh_token=" + login.refresh_token);
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST(RefreshEndpoint, RefusesWhatIsNotAUsableRefreshToken) {
    TestApp app;
    EXPECT_EQ(refresh(app.port(), app.auth().login("user-123").access_token).status, 401);
    EXPECT_EQ(refresh(app.port(), "garbage").status, 401);
    EXPECT_EQ(request(app.port(), "POST", "/refresh", {kJson}, "{}").status, 422);
    EXPECT_EQ(request(app.port(), "POST", "/refresh", {kJson}, "{").status, 422);
    EXPECT_EQ(request(app.port(), "POST", "/refresh", {}, "x").status, 415);
    const auto inactive = refresh(app.port(), app.auth().login("user-789").refresh_token);
    EXPECT_EQ(inactive.status, 403);
    EXPECT_EQ(refresh(app.port(), app.auth().login("ghost").refresh_token).json()["detail"], "User does not exist");
    // Each refusal reaches the security events with its reason; the client sees a fixed detail.
    EXPECT_EQ(refused_at(app, "/refresh"),
              (std::vector<std::string>{"Invalid token: access token used where refresh token is required",
                                        "Invalid token: malformed token: expected three segments", "User does not exist"}));
    const auto denied = app.events(fauth::SecurityEventType::access_denied);
    ASSERT_EQ(denied.size(), 1u);
    EXPECT_EQ(denied[0].reason, "Inactive user");
    EXPECT_EQ(denied[0].path, "/refresh");
}

TEST(RefreshEndpoint, ABodyOverTheLimitIs413BeforeAnythingElse) {
    TestApp app;
    const auto login = app.auth().login("user-123");
    const std::string padded = nlohmann::json{{"refresh_token", login.refresh_token}, {"pad", std::string(5000, 'x')}}.dump();
    const auto r = request(app.port(), "POST", "/refresh", {kJson}, padded);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.json()["detail"], "Request body too large");
    EXPECT_EQ(refresh(app.port(), login.refresh_token).status, 200) << "the token was not used up";
}

TEST(RefreshEndpoint, IsThrottledPerClient) {
    auto config = TestApp::default_config();
    config.refresh_limits.per_client = {3, 0.001};
    TestApp app(2, config);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(refresh(app.port(), "garbage").status, 401);
    const auto login = app.auth().login("user-123");
    const auto r = refresh(app.port(), login.refresh_token);
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.json()["detail"], "Too many attempts; retry later");
    EXPECT_GE(std::stol(r.header("Retry-After")), 1);
}

TEST(RefreshEndpoint, IsThrottledPerSessionAndARefusedTokenIsNotUsedUp) {
    auto config = TestApp::default_config();
    config.refresh_limits.per_family = {2, 0.001};
    TestApp app(2, config);
    const auto login = app.auth().login("user-123");
    auto first = refresh(app.port(), login.refresh_token);
    ASSERT_EQ(first.status, 200) << first.body;
    auto second = refresh(app.port(), first.json()["refresh_token"].get<std::string>());
    ASSERT_EQ(second.status, 200) << second.body;
    const auto third_token = second.json()["refresh_token"].get<std::string>();
    const auto third = refresh(app.port(), third_token);
    EXPECT_EQ(third.status, 429);
    EXPECT_GE(std::stol(third.header("Retry-After")), 1);
    // The refused token was neither used up nor did it end the session.
    EXPECT_EQ(get(app.port(), "/me", second.json()["access_token"].get<std::string>()).status, 200);
    // Another session of the same user has its own budget.
    EXPECT_EQ(refresh(app.port(), app.auth().login("user-123").refresh_token).status, 200);
}

TEST(LogoutEndpoint, EndsTheSession) {
    TestApp app;
    const auto login = app.auth().login("user-123");
    const auto other = app.auth().login("user-123");
    const auto r = request(app.port(), "POST", "/logout", {"Authorization: Bearer " + login.access_token});
    EXPECT_EQ(r.status, 204);
    EXPECT_TRUE(r.body.empty());
    const auto after = get(app.port(), "/me", login.access_token);
    EXPECT_EQ(after.status, 401);
    EXPECT_EQ(after.json(), (nlohmann::json{{"detail", "Invalid token"}}));
    const auto revoked = refresh(app.port(), login.refresh_token);
    EXPECT_EQ(revoked.status, 401);
    EXPECT_EQ(revoked.json(), (nlohmann::json{{"detail", "Invalid token"}}));
    EXPECT_EQ(refused_at(app, "/me"), std::vector<std::string>{"Invalid token: token revoked"});
    EXPECT_EQ(refused_at(app, "/refresh"), std::vector<std::string>{"Invalid token: token revoked"});
    EXPECT_EQ(get(app.port(), "/me", other.access_token).status, 200);
}

TEST(LogoutEndpoint, NeedsAValidAccessToken) {
    TestApp app;
    auto r = request(app.port(), "POST", "/logout");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json()["detail"], "Not authenticated");
    r = request(app.port(), "POST", "/logout", {"Authorization: Bearer " + app.auth().login("user-123").refresh_token});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json(), (nlohmann::json{{"detail", "Invalid token"}}));
    r = request(app.port(), "POST", "/logout", {"Authorization: Bearer a b"});
    EXPECT_EQ(r.json(), (nlohmann::json{{"detail", "Invalid token"}}));
    EXPECT_EQ(refused_at(app, "/logout"),
              (std::vector<std::string>{"Invalid token: refresh token used where access token is required",
                                        "Invalid token: malformed Authorization header"}));
    const auto doc = app.api().openapi({});
    EXPECT_FALSE(doc["paths"]["/logout"]["post"].value("security", nlohmann::json::array()).empty());
    EXPECT_EQ(doc["paths"]["/refresh"]["post"].value("security", nlohmann::json()), nlohmann::json::array())
        << "public on purpose";
}

TEST(SessionEndpoints, ATrustedIssuersTokenIsRefusedWithoutTheClientLearningTheIssuer) {
    // A Keycloak realm this service trusts for access tokens: its tokens work on guarded routes,
    // but never refresh or end a session here; the reason (naming the issuer) is the log's.
    const std::string issuer = "https://keycloak.example.com/realms/main";
    const auto signer = fauth::Key::generate("RS256", "kc-1");
    fauth::KeySet published;
    published.add(fauth::Key::from_jwk(signer.public_jwk()));
    auto config = TestApp::default_config();
    config.tokens.issuers = {fauth::TrustedIssuer::keycloak(issuer, "notes-api", std::make_shared<fauth::KeyRing>(published))};
    TestApp app(2, config);
    const auto now = fauth::unix_seconds();
    const nlohmann::json claims = {{"iss", issuer}, {"aud", "notes-api"}, {"sub", "user-123"}, {"typ", "Bearer"},
                                   {"iat", now},    {"exp", now + 300},   {"jti", "kc-jti-1"}};
    const auto input = fauth::base64url_encode(nlohmann::json{{"alg", "RS256"}, {"kid", "kc-1"}}.dump()) + "." +
                       fauth::base64url_encode(claims.dump());
    const auto token = input + "." + fauth::base64url_encode(signer.sign(input));
    ASSERT_EQ(get(app.port(), "/me", token).json()["message"], "Hello alice") << "the token itself is good";

    const auto refreshed = refresh(app.port(), token);
    EXPECT_EQ(refreshed.status, 401);
    EXPECT_EQ(refreshed.json(), (nlohmann::json{{"detail", "Invalid token"}}));
    EXPECT_EQ(refreshed.body.find("keycloak"), std::string::npos) << refreshed.body;
    EXPECT_EQ(refused_at(app, "/refresh"),
              std::vector<std::string>{"Invalid token: a token from " + issuer + " is an access token, never a refresh token"});

    const auto out = request(app.port(), "POST", "/logout", {"Authorization: Bearer " + token});
    EXPECT_EQ(out.status, 401);
    EXPECT_EQ(out.json(), (nlohmann::json{{"detail", "Invalid token"}}));
    EXPECT_EQ(refused_at(app, "/logout"), std::vector<std::string>{"Invalid token: this token's session is its issuer's to end"});
}
