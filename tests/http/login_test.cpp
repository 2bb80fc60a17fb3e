// The login endpoint over real HTTP.
#include "fauth/http/login.hpp"

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/test_app.hpp"

using fauth::test::request;
using fauth::test::TestApp;

namespace {
const std::string kForm = "Content-Type: application/x-www-form-urlencoded";
const std::string kJson = "Content-Type: application/json";
}  // namespace

TEST(LoginEndpoint, FormLoginAsSwaggerSendsItWithEmptyClientCredentials) {
    TestApp app;
    const auto r = request(app.port(), "POST", "/login", {kForm, "Authorization: Basic Og=="},
                           "grant_type=password&username=alice&password=s3cret&scope=&client_id=&client_secret=");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    const auto body = r.json();
    EXPECT_EQ(body["token_type"], "bearer");
    EXPECT_EQ(body["expires_in"], 900);
    EXPECT_EQ(app.auth().verify(body["access_token"].get<std::string>()).sub, "user-123");
    EXPECT_EQ(app.auth().verify(body["refresh_token"].get<std::string>(), fauth::TokenType::refresh).sub, "user-123");
    EXPECT_EQ(fauth::test::get(app.port(), "/me", body["access_token"]).status, 200);
}

TEST(LoginEndpoint, JsonLogin) {
    TestApp app;
    const auto r = request(app.port(), "POST", "/login", {kJson}, R"({"username":"bob","password":"hunter2"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(app.auth().verify(r.json()["access_token"].get<std::string>()).sub, "user-456");
}

TEST(LoginEndpoint, BadCredentialsAre401WithOneMessage) {
    TestApp app;
    for (const char* body : {"username=alice&password=wrong", "username=nobody&password=s3cret", "username=alice&password="}) {
        const auto r = request(app.port(), "POST", "/login", {kForm}, body);
        EXPECT_EQ(r.status, 401) << body;
        EXPECT_EQ(r.json()["detail"], "Invalid credentials");
        EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
    }
    const auto inactive = request(app.port(), "POST", "/login", {kForm}, "username=carol&password=letmein");
    EXPECT_EQ(inactive.status, 403);
    EXPECT_EQ(inactive.json()["detail"], "Inactive user");
}

TEST(LoginEndpoint, NeverReadsCredentialsFromTheQueryString) {
    TestApp app;
    const auto r = request(app.port(), "POST", "/login?username=alice&password=s3cret", {kForm}, "");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(request(app.port(), "POST", "/login?username=alice&password=s3cret", {kForm}, "username=alice&password=x").status, 401);
}

TEST(LoginEndpoint, MalformedBodiesAre4xx) {
    TestApp app;
    EXPECT_EQ(request(app.port(), "POST", "/login", {kJson}, "{not json").status, 422);
    EXPECT_EQ(request(app.port(), "POST", "/login", {kJson}, R"({"username":"alice"})").status, 422);
    EXPECT_EQ(request(app.port(), "POST", "/login", {"Content-Type: text/plain"}, "alice:s3cret").status, 415);
    EXPECT_EQ(request(app.port(), "POST", "/login", {}, "username=alice&password=s3cret").status, 415);
    const auto r = request(app.port(), "POST", "/login", {kForm}, "username=alice&username=bob&password=s3cret");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.json()["detail"], "A form field was given more than once");
}

TEST(LoginEndpoint, LoaderFailureIs500) {
    TestApp app;
    app.set_mode(fauth::test::LoaderMode::rejects);
    const auto r = request(app.port(), "POST", "/login", {kForm}, "username=alice&password=s3cret");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.json()["detail"], "Internal Server Error");
}
