// Guards over real HTTP: a Pistache server on a free loopback port.
#include "fauth/http/guard.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "support/sanitizers.hpp"
#include "support/http_client.hpp"
#include "support/test_app.hpp"

using fauth::test::get;
using fauth::test::HttpResponse;
using fauth::test::LoaderMode;
using fauth::test::request;
using fauth::test::TestApp;

namespace {

void expect_401(const HttpResponse& r, const std::string& detail, bool token_sent) {
    EXPECT_TRUE(fauth::testing::refused(r, 401, detail));
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("WWW-Authenticate"), token_sent ? R"(Bearer error="invalid_token")" : "Bearer");
}

class GuardTest : public ::testing::Test {
protected:
    TestApp app;
    std::uint16_t port = app.port();
    std::string alice = app.token_for("user-123");
    std::string bob = app.token_for("user-456");
};

}  // namespace

TEST_F(GuardTest, AValidTokenReachesTheHandlerWithItsUser) {
    const auto r = get(port, "/me", alice);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.json(), (nlohmann::json{{"message", "Hello alice"}}));
    EXPECT_EQ(get(port, "/active", bob).json()["id"], "user-456");
    EXPECT_EQ(get(port, "/items/42", bob).json(), (nlohmann::json{{"id", "42"}, {"owner", "user-456"}}));
}

TEST_F(GuardTest, NoTokenIsNotAuthenticated) {
    expect_401(get(port, "/me"), "Not authenticated", false);
    expect_401(request(port, "GET", "/me", {"Authorization: Basic YWxpY2U6czNjcmV0"}), "Not authenticated", false);
}

TEST_F(GuardTest, TheSchemeIsCaseInsensitive) {
    EXPECT_EQ(request(port, "GET", "/me", {"Authorization: bearer " + alice}).status, 200);
    EXPECT_EQ(request(port, "GET", "/me", {"Authorization: BEARER " + alice}).status, 200);
}

TEST_F(GuardTest, BadTokensAreRefusedWithOneDetailAndTheReasonIsLogged) {
    // The client sees "Invalid token" whatever failed; the security event says which check.
    expect_401(get(port, "/me", "not-a-jwt"), "Invalid token", true);
    expect_401(request(port, "GET", "/me", {"Authorization: Bearer " + alice + " extra"}), "Invalid token", true);
    expect_401(request(port, "GET", "/me", {"Authorization: Bearer"}), "Invalid token", true);
    std::string tampered = alice;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    expect_401(get(port, "/me", tampered), "Invalid token", true);
    expect_401(get(port, "/me", app.auth().login("user-123").refresh_token), "Invalid token", true);
    // The review's reproduction (F10): an HS512 token and one signed with another key told the
    // client "algorithm not allowed" and "signature mismatch" apart.
    auto other = TestApp::default_config();
    other.tokens.secret_key = "another-secret-of-at-least-32-bytes";
    const auto wrong_key = fauth::TokenCodec(other.tokens).issue(fauth::TokenType::access, "user-123");
    other.tokens.algorithm = "HS512";
    other.tokens.secret_key = std::string(64, 'k');
    const auto hs512 = fauth::TokenCodec(other.tokens).issue(fauth::TokenType::access, "user-123");
    const auto with_wrong_key = get(port, "/me", wrong_key);
    const auto with_hs512 = get(port, "/me", hs512);
    expect_401(with_wrong_key, "Invalid token", true);
    expect_401(with_hs512, "Invalid token", true);
    EXPECT_EQ(with_wrong_key.body, with_hs512.body) << "byte for byte the same answer";
    std::vector<std::string> reasons;
    for (const auto& e : app.events(fauth::SecurityEventType::token_refused)) reasons.push_back(e.reason);
    EXPECT_EQ(reasons,
              (std::vector<std::string>{"Invalid token: malformed token: expected three segments",
                                        "Invalid token: malformed Authorization header",
                                        "Invalid token: malformed Authorization header", "Invalid token: signature mismatch",
                                        "Invalid token: refresh token used where access token is required",
                                        "Invalid token: signature mismatch", "Invalid token: algorithm not allowed"}));
}

TEST_F(GuardTest, ExpiredTokensSayTokenExpired) {
    auto past = TestApp::default_config();
    past.tokens.clock = [] { return std::chrono::system_clock::now() - std::chrono::hours(2); };
    const auto old = fauth::TokenCodec(past.tokens).issue(fauth::TokenType::access, "user-123");
    expect_401(get(port, "/me", old), "Token expired", true);
}

TEST_F(GuardTest, UnknownAndInactiveUsers) {
    expect_401(get(port, "/me", app.token_for("ghost")), "User does not exist", true);
    const auto r = get(port, "/me", app.token_for("user-789"));
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json()["detail"], "Inactive user");
    EXPECT_EQ(get(port, "/active", app.token_for("user-789")).status, 403);
}

TEST_F(GuardTest, RolesAndPermissionsUseFAuthsMessages) {
    EXPECT_EQ(get(port, "/admin", alice).json()["secret_data"], "Top secret admin info");
    auto r = get(port, "/admin", bob);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json()["detail"], "Missing role: admin");
    EXPECT_EQ(r.header("WWW-Authenticate"), "");
    EXPECT_EQ(get(port, "/staff", bob).status, 200) << "any-of: member suffices";
    EXPECT_EQ(get(port, "/write", alice).status, 200);
    r = get(port, "/write", bob);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json()["detail"], "Insufficient permissions: requires write permission");
    EXPECT_EQ(get(port, "/admin").status, 401) << "authentication comes before authorization";
}

TEST_F(GuardTest, ASensitiveRouteWantsATokenFromAPasswordLogin) {
    // A password login over HTTP: its access token is fresh.
    const auto login =
        request(port, "POST", "/login", {"Content-Type: application/json"}, R"({"username":"alice","password":"s3cret"})");
    ASSERT_EQ(login.status, 200) << login.body;
    const auto fresh = login.json()["access_token"].get<std::string>();
    const auto ok = request(port, "POST", "/account/delete", {"Authorization: Bearer " + fresh});
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.json()["deleted"], "user-123");

    // The same session after a refresh: valid everywhere else, refused here, with RFC 9470's challenge.
    const auto refreshed = request(port, "POST", "/refresh", {"Content-Type: application/json"},
                                   nlohmann::json{{"refresh_token", login.json()["refresh_token"]}}.dump());
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    const auto stale = refreshed.json()["access_token"].get<std::string>();
    EXPECT_EQ(get(port, "/me", stale).status, 200);
    const auto r = request(port, "POST", "/account/delete", {"Authorization: Bearer " + stale});
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.json()["detail"], "Fresh token required");
    EXPECT_EQ(r.header("WWW-Authenticate"), R"(Bearer error="insufficient_user_authentication")");
    EXPECT_EQ(request(port, "POST", "/account/delete", {"Authorization: Bearer " + alice}).json()["detail"],
              "Fresh token required")
        << "a session the application started itself is not fresh either";
    expect_401(request(port, "POST", "/account/delete"), "Not authenticated", false);
}

TEST_F(GuardTest, OptionalUserGetsTheUserOrNull) {
    EXPECT_EQ(get(port, "/maybe", alice).json(), (nlohmann::json{{"user", "alice"}, {"context", "alice/user-123/admin"}}));
    for (const std::string& token : {std::string(), std::string("garbage"), app.token_for("ghost"), app.token_for("user-789")})
        EXPECT_EQ(get(port, "/maybe", token).json(), (nlohmann::json{{"user", nullptr}, {"context", "nobody"}})) << token;
}

TEST_F(GuardTest, TheSecurityContextIsSetForTheHandlerOnly) {
    EXPECT_EQ(get(port, "/context", alice).json()["context"], "alice/user-123/admin");
    EXPECT_EQ(get(port, "/context", bob).json()["context"], "bob/user-456/-");
    EXPECT_EQ(fauth::test::whoami_from_service(), "nobody");
    EXPECT_THROW(fauth::http::SecurityContext<fauth::test::AppUser>::require(), fauth::InternalError);
}

TEST_F(GuardTest, ASlowAsynchronousLoaderIsWaitedForWithoutBlocking) {
    app.set_mode(LoaderMode::slow_async);  // every lookup answers 150 ms later from another thread
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i)
        clients.emplace_back([&] {
            const auto r = get(port, "/items/7", alice);
            if (r.status == 200 && r.json()["owner"] == "user-123" && r.json()["id"] == "7") ++ok;
        });
    for (auto& t : clients) t.join();
    EXPECT_EQ(ok.load(), 8);
    // 8 requests on 2 reactor threads, each waiting 150 ms: if the reactor blocked, they would queue.
    if (!fauth::test::kThreadSanitizer) {
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150 * 4));
    }
    expect_401(get(port, "/me", app.token_for("ghost")), "User does not exist", true);
}

TEST_F(GuardTest, LoaderFailuresAre500sThatLeakNothing) {
    for (auto mode : {LoaderMode::throws, LoaderMode::rejects}) {
        app.set_mode(mode);
        const auto r = get(port, "/me", alice);
        EXPECT_EQ(r.status, 500);
        EXPECT_EQ(r.json(), (nlohmann::json{{"detail", "Internal Server Error"}}));
        EXPECT_EQ(r.body.find("secret-dsn"), std::string::npos);
        EXPECT_EQ(get(port, "/maybe", alice).status, 500) << "optional_user does not hide fauth's own failures";
    }
    const auto logs = app.logs();
    ASSERT_GE(logs.size(), 2u);
    EXPECT_NE(logs[0].find("secret-dsn"), std::string::npos) << "the cause goes to the log";
}

TEST_F(GuardTest, HandlerExceptionsAre500sThatLeakNothing) {
    auto r = get(port, "/boom", alice);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.json(), (nlohmann::json{{"detail", "Internal Server Error"}}));
    r = get(port, "/public-boom");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.json(), (nlohmann::json{{"detail", "Internal Server Error"}}));
    EXPECT_EQ(get(port, "/health").status, 200) << "the server keeps serving";
    bool logged = false;
    for (const auto& line : app.logs()) logged = logged || line.find("hunter2") != std::string::npos;
    EXPECT_TRUE(logged);
}

TEST_F(GuardTest, ANoexceptHandlerIsServedLikeAnyOther) {
    EXPECT_EQ(get(port, "/me-noexcept", alice).json(), (nlohmann::json{{"message", "Hello alice"}}));
    expect_401(get(port, "/me-noexcept"), "Not authenticated", false);
    expect_401(get(port, "/me-noexcept", app.token_for("ghost")), "User does not exist", true);
    EXPECT_EQ(get(port, "/maybe-noexcept", bob).json(), (nlohmann::json{{"user", "bob"}}));
    EXPECT_EQ(get(port, "/maybe-noexcept").json(), (nlohmann::json{{"user", nullptr}}));
    app.set_mode(LoaderMode::slow_async);  // the handler then runs on the loader's thread
    EXPECT_EQ(get(port, "/me-noexcept", alice).json(), (nlohmann::json{{"message", "Hello alice"}}));
}

// Which handlers the guard calls without keeping a copy of the writer for a 500.
namespace {
using Request = Pistache::Rest::Request;
using Writer = Pistache::Http::ResponseWriter;
using User = fauth::test::AppUser;
template <class F>
constexpr bool nothrow = fauth::http::detail::nothrow_handler<User, F>::value;
struct Principal {
    Principal(const User&) {}  // may throw, outside the handler's noexcept
};
struct Overloaded {
    void operator()(const Request&, Writer, const User&) noexcept {}
    void operator()(const Request&, Writer, const User*) noexcept {}
};
static_assert(!nothrow<decltype([](const Request&, Writer, const User&) {})>);
static_assert(nothrow<decltype([](const Request&, Writer, const User&) noexcept {})>);
static_assert(nothrow<decltype([](const Request&, Writer&&, const User*) noexcept {})>);
static_assert(nothrow<decltype([n = 1](const Request&, Writer, const User*) mutable noexcept { ++n; })>);
static_assert(!nothrow<void (*)(const Request&, Writer, const User&)>);
static_assert(nothrow<void (*)(const Request&, Writer, const User&) noexcept>);
static_assert(!nothrow<std::function<void(const Request&, Writer, const User&)>>);
static_assert(!nothrow<decltype([](const Request&, Writer, User) noexcept {})>, "copying the User may throw");
static_assert(!nothrow<decltype([](const Request&, Writer, Principal) noexcept {})>, "so may a conversion");
static_assert(!nothrow<decltype([](Request, Writer, const User&) noexcept {})>, "and copying the request");
static_assert(!nothrow<Overloaded>, "several operator() cannot be inspected");
static_assert(!nothrow<decltype([](const auto&, Writer, const auto&) noexcept {})>, "nor can a generic lambda");
}  // namespace

TEST_F(GuardTest, ConcurrentRequestsAllGetTheirOwnAnswer) {
    std::vector<std::thread> clients;
    std::atomic<int> right{0};
    const std::string carol = app.token_for("user-789");
    for (int t = 0; t < 8; ++t)
        clients.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                switch ((t + i) % 4) {
                    case 0: right += get(port, "/me", alice).json()["message"] == "Hello alice"; break;
                    case 1: right += get(port, "/me", bob).json()["message"] == "Hello bob"; break;
                    case 2: right += get(port, "/admin", bob).status == 403; break;
                    case 3: right += get(port, "/me", carol).status == 403; break;
                }
            }
        });
    for (auto& t : clients) t.join();
    EXPECT_EQ(right.load(), 200);
}

TEST_F(GuardTest, RefusalsAreSecurityEvents) {
    get(port, "/me", "not-a-jwt");
    get(port, "/admin", bob);
    get(port, "/me", app.token_for("user-789"));
    const auto refused = app.events(fauth::SecurityEventType::token_refused);
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(refused[0].reason, "Invalid token: malformed token: expected three segments");
    EXPECT_EQ(refused[0].path, "/me");
    EXPECT_EQ(refused[0].client, "127.0.0.1");
    const auto denied = app.events(fauth::SecurityEventType::access_denied);
    ASSERT_EQ(denied.size(), 2u);
    EXPECT_EQ(denied[0].reason, "Missing role: admin");
    EXPECT_EQ(denied[0].subject, "user-456");
    EXPECT_EQ(denied[1].reason, "Inactive user");
    for (const auto& e : app.events()) {
        EXPECT_EQ(fauth::to_json_line(e).find(alice), std::string::npos) << "no token is ever logged";
        EXPECT_EQ(fauth::to_json_line(e).find(bob), std::string::npos);
    }
}

TEST_F(GuardTest, ARefusalCarriesTheRequestsTraceId) {
    // The W3C traceparent of a refused request puts its trace id into the security event, so the
    // refusal is found in the log and in the tracing system alike.
    const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    expect_401(request(port, "GET", "/me",
                       {"Authorization: Bearer not-a-jwt", "traceparent: 00-" + trace_id + "-00f067aa0ba902b7-01"}),
               "Invalid token", true);
    // An invalid traceparent (uppercase) is ignored: the request is refused for its token alone.
    expect_401(request(port, "GET", "/me",
                       {"Authorization: Bearer not-a-jwt",
                        "traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}),
               "Invalid token", true);
    // Two traceparent lines: the first is the one (Pistache keeps the first of a repeated header).
    expect_401(request(port, "GET", "/me",
                       {"Authorization: Bearer not-a-jwt", "traceparent: 00-" + trace_id + "-00f067aa0ba902b7-01",
                        "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}),
               "Invalid token", true);
    get(port, "/admin", bob);  // no traceparent at all
    const auto refused = app.events(fauth::SecurityEventType::token_refused);
    ASSERT_EQ(refused.size(), 3u);
    EXPECT_EQ(refused[0].trace_id, trace_id);
    EXPECT_EQ(refused[0].path, "/me");
    EXPECT_NE(fauth::to_json_line(refused[0]).find(R"("trace_id":")" + trace_id + '"'), std::string::npos);
    EXPECT_EQ(refused[1].trace_id, "");
    EXPECT_EQ(refused[2].trace_id, trace_id);
    const auto denied = app.events(fauth::SecurityEventType::access_denied);
    ASSERT_EQ(denied.size(), 1u);
    EXPECT_EQ(denied[0].trace_id, "");
}
