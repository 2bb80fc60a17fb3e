// POST /refresh and POST /logout over real HTTP.
#include "fauth/http/session.hpp"

#include <gtest/gtest.h>

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
}  // namespace

TEST(RefreshEndpoint, ExchangesARefreshTokenForANewPairOnce) {
    TestApp app;
    const auto login = app.auth().login("user-123", {"read"});
    const auto r = refresh(app.port(), login.refresh_token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    const auto access = r.json()["access_token"].get<std::string>();
    EXPECT_EQ(get(app.port(), "/me", access).json()["message"], "Hello alice");
    EXPECT_EQ(app.auth().verify(access).scopes, std::vector<std::string>{"read"});

    const auto reused = refresh(app.port(), login.refresh_token);
    EXPECT_EQ(reused.status, 401);
    EXPECT_EQ(reused.json()["detail"], "Invalid token: refresh token reuse detected");
    EXPECT_EQ(reused.header("WWW-Authenticate"), R"(Bearer error="invalid_token")");
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
    EXPECT_EQ(after.json()["detail"], "Invalid token: token revoked");
    EXPECT_EQ(refresh(app.port(), login.refresh_token).status, 401);
    EXPECT_EQ(get(app.port(), "/me", other.access_token).status, 200);
}

TEST(LogoutEndpoint, NeedsAValidAccessToken) {
    TestApp app;
    auto r = request(app.port(), "POST", "/logout");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json()["detail"], "Not authenticated");
    r = request(app.port(), "POST", "/logout", {"Authorization: Bearer " + app.auth().login("user-123").refresh_token});
    EXPECT_EQ(r.status, 401);
    const auto doc = app.api().openapi({});
    EXPECT_TRUE(doc["paths"]["/logout"]["post"].contains("security"));
    EXPECT_FALSE(doc["paths"]["/refresh"]["post"].contains("security"));
}
