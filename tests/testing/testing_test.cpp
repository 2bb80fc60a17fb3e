// The testing kit (fauth/testing.hpp) as a fauth user's own suite would use it, against the test
// application's real routes; and its refusal check failing when it should.
#include "fauth/testing.hpp"

#include <gtest/gtest.h>

#include "support/test_app.hpp"

using fauth::test::TestApp;
using fauth::testing::act_as;
using fauth::testing::Freshness;
using fauth::testing::refused;

namespace {

// An application of the user's own: one guarded route, served by the kit.
struct NotesApp {
    TestApp users;  // the provider and its users
    Pistache::Rest::Router router;
    fauth::http::Api api{router};
    NotesApp() {
        api.get("/notes", users.auth().require_user([](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter w,
                                                       const fauth::test::AppUser& u) {
            fauth::http::send_json(w, Pistache::Http::Code::Ok, {{"owner", u.username}});
        }));
    }
};

}  // namespace

// The lines the testing guide shows (docs/guides/testing.md).
TEST(TestingKit, AGuardedRouteAsAUserAndAsNobody) {
    NotesApp app;
    fauth::testing::TestServer server(app.api);
    auto alice = act_as(server, app.users.auth(), app.users.user("user-123"));
    EXPECT_EQ(alice.get("/notes").json()["owner"], "alice");
    EXPECT_TRUE(refused(server.client().get("/notes"), 401, "Not authenticated"));
}

TEST(TestingKit, ActingUsersHaveTheirRolesAndFreshnessAsInProduction) {
    TestApp app;
    fauth::testing::TestServer server(app.api());
    const auto bob = act_as(server, app.auth(), app.user("user-456"));
    EXPECT_TRUE(refused(bob.get("/admin"), 403, "Missing role: admin"));
    EXPECT_EQ(act_as(server, app.auth(), app.user("user-123")).get("/admin").status, 200);

    EXPECT_EQ(act_as(server, app.auth(), app.user("user-123")).post("/account/delete").status, 200) << "fresh by default";
    const auto stale = act_as(server, app.auth(), app.user("user-123"), Freshness::not_fresh);
    EXPECT_TRUE(refused(stale.post("/account/delete"), 401, "Fresh token required"));
    EXPECT_TRUE(refused(act_as(server, app.auth(), app.user("user-789")).get("/me"), 403, "Inactive user"));
}

TEST(TestingKit, TheActingSessionIsRealAndEnds) {
    TestApp app;
    fauth::testing::TestServer server(app.api());
    const auto alice = act_as(server, app.auth(), app.user("user-123"));
    ASSERT_EQ(alice.post("/logout").status, 204);
    EXPECT_TRUE(refused(alice.get("/me"), 401, "Invalid token"));
    const auto refusals = app.events(fauth::SecurityEventType::token_refused);
    ASSERT_EQ(refusals.size(), 1u);
    EXPECT_EQ(refusals[0].reason, "Invalid token: token revoked") << "the reason is logged, not shown";
}

TEST(TestingKit, RefusedSaysWhatCameInstead) {
    TestApp app;
    const auto client = app.client();
    const auto ok = client.get("/health");
    const auto wrong_status = refused(ok, 401, "Not authenticated");
    EXPECT_FALSE(wrong_status);
    EXPECT_NE(std::string(wrong_status.message()).find("status 200, not 401"), std::string::npos) << wrong_status.message();
    const auto anonymous = client.get("/me");
    const auto wrong_detail = refused(anonymous, 401, "Token expired");
    EXPECT_FALSE(wrong_detail);
    EXPECT_NE(std::string(wrong_detail.message()).find("Not authenticated"), std::string::npos) << wrong_detail.message();
    fauth::testing::Response no_challenge = anonymous;
    no_challenge.headers.erase("www-authenticate");
    EXPECT_FALSE(refused(no_challenge, 401, "Not authenticated")) << "a 401 must carry a Bearer challenge";
    fauth::testing::Response extra = anonymous;
    extra.body = R"({"detail": "Not authenticated", "trace": "x"})";
    EXPECT_FALSE(refused(extra, 401, "Not authenticated")) << "nothing but the detail";
    EXPECT_TRUE(refused(anonymous, 401, "Not authenticated"));
}

TEST(TestingKit, ClientsAddTheirHeadersToEveryRequestAndReadCookies) {
    TestApp app;
    const auto token = app.auth().login("user-456").access_token;
    const auto bob = app.client().with_header("X-Trace: 1").with_bearer(token);
    EXPECT_EQ(bob.get("/me").json()["message"], "Hello bob");
    EXPECT_EQ(bob.get("/me").json()["message"], "Hello bob") << "a client can be used again";
    EXPECT_EQ(app.client().get("/me").status, 401) << "the anonymous client is untouched";
    const auto login = app.client().post("/login", {{"username", "bob"}, {"password", "hunter2"}});
    EXPECT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(login.header("cache-control"), "no-store");
    EXPECT_EQ(login.header("Cache-Control"), "no-store") << "any case";
}
