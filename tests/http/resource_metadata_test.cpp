#include "fauth/http/resource_metadata.hpp"

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/test_app.hpp"

using fauth::test::TestApp;
using nlohmann::json;

namespace {

constexpr const char* kMetadata = "https://notes.example.com/.well-known/oauth-protected-resource";

fauth::http::HttpConfig with_metadata() {
    fauth::http::HttpConfig config;
    config.resource_metadata_url = kMetadata;
    return config;
}

}  // namespace

TEST(ProtectedResourceMetadata, PublishesTheDocumentAndEvery401PointsToIt) {
    TestApp app(2, TestApp::default_config(), with_metadata());
    const auto published =
        fauth::http::protected_resource_endpoint({.resource = "https://notes.example.com",
                                                  .authorization_servers = {"https://keycloak.example.com/realms/main"},
                                                  .scopes_supported = {"notes:read", "notes:write"}});
    Pistache::Rest::Router router;
    fauth::http::Api api(router);
    api.get("/.well-known/oauth-protected-resource", published);
    fauth::http::Server server(api, {.port = 0});
    const auto port = server.start();
    const auto document = fauth::test::get(port, "/.well-known/oauth-protected-resource");
    ASSERT_EQ(document.status, 200);
    EXPECT_EQ(json::parse(document.body), (json{{"resource", "https://notes.example.com"},
                                                {"authorization_servers", {"https://keycloak.example.com/realms/main"}},
                                                {"scopes_supported", {"notes:read", "notes:write"}},
                                                {"bearer_methods_supported", {"header"}}}));

    const auto none = fauth::test::get(app.port(), "/me");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.header("WWW-Authenticate"), std::string("Bearer resource_metadata=\"") + kMetadata + "\"");
    const auto bad = fauth::test::get(app.port(), "/me", "not-a-token");
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(bad.header("WWW-Authenticate"),
              std::string("Bearer error=\"invalid_token\", resource_metadata=\"") + kMetadata + "\"");
    const auto logout = fauth::test::request(app.port(), "POST", "/logout");
    EXPECT_EQ(logout.header("WWW-Authenticate"), std::string("Bearer resource_metadata=\"") + kMetadata + "\"");

    // Without the setting, the challenge is RFC 6750's alone.
    TestApp plain;
    EXPECT_EQ(fauth::test::get(plain.port(), "/me").header("WWW-Authenticate"), "Bearer");
    EXPECT_EQ(fauth::test::get(plain.port(), "/me", "x").header("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
}

TEST(ProtectedResourceMetadata, RefusesADocumentThatWouldMislead) {
    EXPECT_THROW(fauth::http::protected_resource_endpoint({}), fauth::ConfigError);
    EXPECT_THROW(fauth::http::protected_resource_endpoint(
                     {.resource = "https://api.example.com", .authorization_servers = {"http://login.example.com"}}),
                 fauth::ConfigError);
    EXPECT_THROW(fauth::http::protected_resource_endpoint({.resource = "https://api.example.com",
                                                           .authorization_servers = {"http://127.0.0.1.evil.example/realms/x"}}),
                 fauth::ConfigError);
    EXPECT_NO_THROW(fauth::http::protected_resource_endpoint(
        {.resource = "https://api.example.com", .authorization_servers = {"http://127.0.0.1:8001"}}));
    const auto challenge = fauth::http::Challenge(true, "https://x.example/a\"b");
    EXPECT_EQ(challenge.header_value(), "Bearer error=\"invalid_token\", resource_metadata=\"https://x.example/a\\\"b\"");
}
