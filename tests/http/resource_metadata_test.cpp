#include "fauth/http/resource_metadata.hpp"

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/test_app.hpp"
#include "support/user.hpp"

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

// RFC 9728 section 3.1: the well-known path goes between the host and the resource's path.
TEST(ProtectedResourceMetadata, AResourceWithAPathHasItsMetadataAfterTheWellKnownPath) {
    using fauth::http::resource_metadata_path;
    using fauth::http::resource_metadata_url;
    EXPECT_EQ(resource_metadata_url("https://host.example/api"), "https://host.example/.well-known/oauth-protected-resource/api");
    EXPECT_EQ(resource_metadata_url("https://host.example:8443/v1/notes"),
              "https://host.example:8443/.well-known/oauth-protected-resource/v1/notes");
    EXPECT_EQ(resource_metadata_url("https://host.example"), "https://host.example/.well-known/oauth-protected-resource");
    EXPECT_EQ(resource_metadata_url("https://host.example/"), "https://host.example/.well-known/oauth-protected-resource")
        << "the slash after the host is removed";
    EXPECT_EQ(resource_metadata_url("http://127.0.0.1:9/notes"), "http://127.0.0.1:9/.well-known/oauth-protected-resource/notes");
    EXPECT_EQ(resource_metadata_path("https://host.example/api"), "/.well-known/oauth-protected-resource/api");
    EXPECT_EQ(resource_metadata_path("https://host.example"), "/.well-known/oauth-protected-resource");
    for (const auto* bad : {"host.example/api", "https://", "https:///api", "https://host.example/api?tenant=1",
                            "https://host.example/api#top", "https://user@host.example/api", "ftp://host.example/api"})
        EXPECT_THROW(resource_metadata_url(bad), fauth::ConfigError) << bad;

    // The well-known path after the resource's path is where RFC 9728 puts nothing: refused.
    fauth::http::HttpConfig misplaced;
    misplaced.resource_metadata_url = "https://host.example/api/.well-known/oauth-protected-resource";
    Pistache::Rest::Router unused;
    try {
        fauth::http::Api api(unused, misplaced);
        ADD_FAILURE() << "a metadata URL RFC 9728 does not define was accepted";
    } catch (const fauth::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("HttpConfig.resource_metadata_url"), std::string::npos) << e.what();
    }
    misplaced.resource_metadata_url = "https://host.example/.well-known/oauth-protected-resourcefoo";
    EXPECT_THROW(fauth::http::Api(unused, misplaced), fauth::ConfigError);
}

TEST(ProtectedResourceMetadata, TheApiServesAPathResourcesMetadataWhereIts401sPoint) {
    const std::string resource = "https://notes.example.com/api";
    fauth::http::HttpConfig http;
    http.resource_metadata_url = fauth::http::resource_metadata_url(resource);
    auto config = TestApp::default_config();
    fauth::AuthProvider<fauth::test::User> auth(config, [](const fauth::TokenPayload& p) {
        return std::optional<fauth::test::User>(fauth::test::User{.id = p.sub});
    });
    Pistache::Rest::Router router;
    fauth::http::Api api(router, http);
    api.get("/me",
            auth.require_user([](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter w, const fauth::test::User& u) {
                fauth::http::send_json(w, Pistache::Http::Code::Ok, {{"id", u.id}});
            }));
    api.serve_resource_metadata({.resource = resource, .authorization_servers = {"https://login.example.com"}});
    // Served elsewhere than the URL the 401s name: refused when mounted.
    EXPECT_THROW(api.serve_resource_metadata({.resource = "https://notes.example.com/other"}), fauth::ConfigError);
    EXPECT_THROW(api.serve_resource_metadata({.resource = "https://notes.example.com/api?x=1"}), fauth::ConfigError);
    fauth::http::Server server(api, {.port = 0});
    const auto port = server.start();

    const auto refused = fauth::test::get(port, "/me");
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.header("WWW-Authenticate"),
              "Bearer resource_metadata=\"https://notes.example.com/.well-known/oauth-protected-resource/api\"");
    const auto document = fauth::test::get(port, "/.well-known/oauth-protected-resource/api");
    ASSERT_EQ(document.status, 200);
    EXPECT_EQ(json::parse(document.body)["resource"], resource);
    EXPECT_EQ(json::parse(document.body)["authorization_servers"], json::array({"https://login.example.com"}));
    EXPECT_EQ(fauth::test::get(port, "/api/.well-known/oauth-protected-resource").status, 404);
    EXPECT_EQ(fauth::test::get(port, "/.well-known/oauth-protected-resource").status, 404)
        << "a path resource's is not the host's";
    server.stop();

    // A resource without a path keeps the plain well-known path.
    fauth::http::HttpConfig plain;
    plain.resource_metadata_url = fauth::http::resource_metadata_url("https://notes.example.com");
    Pistache::Rest::Router plain_router;
    fauth::http::Api plain_api(plain_router, plain);
    plain_api.serve_resource_metadata({.resource = "https://notes.example.com"});
    fauth::http::Server plain_server(plain_api, {.port = 0});
    const auto plain_port = plain_server.start();
    EXPECT_EQ(fauth::test::get(plain_port, "/.well-known/oauth-protected-resource").status, 200);
    plain_server.stop();
}
