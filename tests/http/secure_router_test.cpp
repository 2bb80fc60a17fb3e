// SecureRouter over real HTTP and in the OpenAPI document.
#include "fauth/http/secure_router.hpp"

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/test_app.hpp"

using fauth::test::get;
using fauth::test::TestApp;

TEST(SecureRouter, EveryRouteRequiresAnActiveUser) {
    TestApp app;
    const auto p = app.port();
    EXPECT_EQ(get(p, "/internal/dashboard").status, 401);
    EXPECT_EQ(get(p, "/internal/dashboard").json()["detail"], "Not authenticated");
    EXPECT_EQ(get(p, "/internal/dashboard", app.token_for("user-456")).json()["data"], "Secure dashboard");
    EXPECT_EQ(get(p, "/internal/dashboard", app.token_for("user-789")).status, 403);
}

TEST(SecureRouter, ARouteMayAddPermissions) {
    TestApp app;
    EXPECT_EQ(get(app.port(), "/internal/reports", app.token_for("user-123")).json()["reports"], nlohmann::json::array());
    const auto r = get(app.port(), "/internal/reports", app.token_for("user-456"));
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json()["detail"], "Insufficient permissions: requires write permission");
}

TEST(SecureRouter, RouterWideRolesApplyToEveryMethod) {
    TestApp app;
    EXPECT_EQ(get(app.port(), "/ops/panel", app.token_for("user-123")).status, 200);
    EXPECT_EQ(get(app.port(), "/ops/panel", app.token_for("user-456")).json()["detail"], "Missing role: admin");
    const auto post =
        fauth::test::request(app.port(), "POST", "/ops/panel", {"Authorization: Bearer " + app.token_for("user-456")});
    EXPECT_EQ(post.status, 403);
}

TEST(SecureRouter, AllowAnonymousIsTheVisibleOptOut) {
    TestApp app;
    EXPECT_EQ(get(app.port(), "/internal/status").json()["status"], "public");
}

TEST(SecureRouter, ItsRoutesAreDocumentedAsProtectedWithItsTags) {
    TestApp app;
    const auto doc = app.api().openapi({});
    const auto& dashboard = doc["paths"]["/internal/dashboard"]["get"];
    EXPECT_FALSE(dashboard.value("security", nlohmann::json::array()).empty()) << "protected: a scheme is required";
    EXPECT_EQ(dashboard["tags"], nlohmann::json::array({"Protected"}));
    EXPECT_TRUE(dashboard["responses"].contains("401"));
    EXPECT_EQ(doc["paths"]["/internal/status"]["get"].value("security", nlohmann::json()), nlohmann::json::array())
        << "public on purpose";
    EXPECT_NE(doc["paths"]["/ops/panel"]["post"]["description"].get<std::string>().find("Requires role admin."),
              std::string::npos);
}

TEST(SecureRouter, ARouteOrItsRouterMayAskForAFreshTokenAndNeitherIsDropped) {
    using Pistache::Http::ResponseWriter;
    using Pistache::Rest::Request;
    TestApp app;
    Pistache::Rest::Router router;
    fauth::http::Api api(router, app.api().config());
    auto ok = [](const Request&, ResponseWriter w, const fauth::test::AppUser& u) {
        fauth::http::send_json(w, Pistache::Http::Code::Ok, {{"id", u.id}});
    };
    // Every way of asking for a fresh token: the route's options, the router's, and require_access;
    // an AccessRule with fresh made into a Rule (which has no freshness) is refused, not dropped.
    fauth::http::SecureRouter<fauth::test::AppUser> by_route{api, app.auth(), {.prefix = "/by-route"}};
    by_route.post("/delete", ok, {.rule = {.fresh = true}});
    fauth::http::SecureRouter<fauth::test::AppUser> by_router{api, app.auth(), {.prefix = "/by-router", .rule = {.fresh = true}}};
    by_router.post("/delete", ok, {.rule = {.roles = {"admin"}}});
    EXPECT_THROW(app.auth().require(fauth::Rule(fauth::AccessRule{.fresh = true}), ok), fauth::ConfigError);
    api.post("/by-access/delete", app.auth().require_access({.fresh = true}, ok));

    fauth::http::Server server(api, fauth::http::ServerOptions{.port = 0, .threads = 1});
    const auto port = server.start();
    const auto fresh = app.auth().sign_in(app.user("user-123")).access_token;
    const auto not_fresh = app.token_for("user-123");  // a session the application started itself
    for (const std::string path : {"/by-route/delete", "/by-router/delete", "/by-access/delete"}) {
        const auto refused = fauth::test::request(port, "POST", path, {"Authorization: Bearer " + not_fresh});
        EXPECT_EQ(refused.status, 401) << path << ": " << refused.body;
        EXPECT_EQ(refused.json()["detail"], "Fresh token required") << path;
        EXPECT_EQ(fauth::test::request(port, "POST", path, {"Authorization: Bearer " + fresh}).status, 200) << path;
    }
    const auto doc = api.openapi({});
    for (const std::string path : {"/by-route/delete", "/by-router/delete", "/by-access/delete"})
        EXPECT_NE(doc["paths"][path]["post"]["description"].get<std::string>().find("fresh token"), std::string::npos)
            << path << " says it wants a fresh token";
}
