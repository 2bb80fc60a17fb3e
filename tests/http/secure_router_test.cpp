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
    const auto post = fauth::test::request(app.port(), "POST", "/ops/panel", {"Authorization: Bearer " + app.token_for("user-456")});
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
    EXPECT_NE(doc["paths"]["/ops/panel"]["post"]["description"].get<std::string>().find("Requires role admin."), std::string::npos);
}
