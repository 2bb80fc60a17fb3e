// The login endpoint over real HTTP.
#include "fauth/http/login.hpp"

#include <gtest/gtest.h>

#include <map>

#include "support/await.hpp"
#include "support/clock.hpp"
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
    EXPECT_EQ(r.header("Pragma"), "no-cache");  // RFC 6749 section 5.1 asks for both
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
    EXPECT_EQ(request(app.port(), "POST", "/login?username=alice&password=s3cret", {kForm}, "username=alice&password=x").status,
              401);
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

namespace {
// Login limits for a test; the pair limit defaults to as much as the name's allows.
fauth::AuthConfig limited(double per_client, double per_identifier, double per_client_identifier = 0) {
    auto c = TestApp::default_config();
    c.login_limits.per_client = {per_client, 0.001};
    c.login_limits.per_client_identifier = {per_client_identifier > 0 ? per_client_identifier : per_identifier - 1, 0.001};
    c.login_limits.per_identifier = {per_identifier, 0.001};
    return c;
}
}  // namespace

TEST(LoginEndpoint, ReportsEveryAttemptAsASecurityEvent) {
    TestApp app;
    request(app.port(), "POST", "/login", {kForm}, "username=alice&password=s3cret");
    request(app.port(), "POST", "/login", {kForm}, "username=alice&password=wrong");
    const auto ok = app.events(fauth::SecurityEventType::login_success);
    ASSERT_EQ(ok.size(), 1u);
    EXPECT_EQ(ok[0].subject, "user-123");
    EXPECT_EQ(ok[0].client, "127.0.0.1");
    EXPECT_EQ(ok[0].path, "/login");
    const auto failed = app.events(fauth::SecurityEventType::login_failure);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].identifier, fauth::http::logged_identifier(app.auth().tokens(), "alice"))
        << "a failed attempt names the login name by its keyed digest";
    EXPECT_EQ(failed[0].identifier.rfind("hmac:", 0), 0u);
    EXPECT_EQ(ok[0].identifier, "alice") << "a successful one as typed";
    EXPECT_EQ(failed[0].reason, "Invalid credentials");
}

TEST(LoginEndpoint, APasswordTypedIntoTheNameFieldNeverReachesTheLog) {
    // The review's F13: users swap the fields.
    TestApp app;
    request(app.port(), "POST", "/login", {kForm}, "username=MyPassw0rd!&password=alice");
    const auto failed = app.events(fauth::SecurityEventType::login_failure);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].identifier, fauth::http::logged_identifier(app.auth().tokens(), "mypassw0rd!"));
    for (const auto& line : app.logs()) EXPECT_EQ(line.find("MyPassw0rd"), std::string::npos) << line;
    for (const auto& event : app.events()) EXPECT_EQ(fauth::to_json_line(event).find("MyPassw0rd"), std::string::npos);
}

TEST(LoginEndpoint, ThrottlesEachClientWith429AndRetryAfter) {
    TestApp app(2, limited(3, 100));
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(request(app.port(), "POST", "/login", {kForm}, "username=u" + std::to_string(i) + "&password=x").status, 401);
    const auto r = request(app.port(), "POST", "/login", {kForm}, "username=alice&password=s3cret");
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.json()["detail"], "Too many attempts; retry later");
    EXPECT_GE(std::stoi(r.header("Retry-After")), 1);
    // A forged X-Forwarded-For does not make a new client: no proxy is trusted.
    EXPECT_EQ(request(app.port(), "POST", "/login", {kForm, "X-Forwarded-For: 198.51.100.77"}, "username=alice&password=s3cret")
                  .status,
              429);
    EXPECT_EQ(app.events(fauth::SecurityEventType::throttled).size(), 2u);
}

TEST(LoginEndpoint, ThrottlesEachLoginNameWhoeverTriesIt) {
    auto config = limited(100, 2);
    fauth::http::HttpConfig http{.trusted_proxies = {"127.0.0.1"}};  // the test client acts as a proxy for many addresses
    TestApp app(2, config, http);
    auto from = [&](const std::string& ip, const std::string& body) {
        return request(app.port(), "POST", "/login", {kForm, "X-Forwarded-For: " + ip}, body);
    };
    EXPECT_EQ(from("198.51.100.1", "username=alice&password=a").status, 401);
    EXPECT_EQ(from("198.51.100.2", "username=ALICE&password=b").status, 401);
    EXPECT_EQ(from("198.51.100.3", "username=Alice&password=s3cret").status, 429) << "the name is throttled, case-insensitively";
    EXPECT_EQ(from("198.51.100.3", "username=bob&password=hunter2").status, 200);
    const auto throttled = app.events(fauth::SecurityEventType::throttled);
    ASSERT_EQ(throttled.size(), 1u);
    EXPECT_EQ(throttled[0].client, "198.51.100.3") << "the forwarded address of a trusted proxy";
}

TEST(LoginEndpoint, GuessesFromOneAddressNeverLockTheNameOutForOthers) {
    // The default limits: one address guessing one name is stopped after 10 tries, and that
    // does not stop the same name from another address.
    auto config = TestApp::default_config();
    fauth::http::HttpConfig http{.trusted_proxies = {"127.0.0.1"}};
    TestApp app(2, config, http);
    auto from = [&](const std::string& ip, const std::string& body) {
        return request(app.port(), "POST", "/login", {kForm, "X-Forwarded-For: " + ip}, body);
    };
    int refused = 0;
    for (int i = 0; i < 15; ++i)
        refused += from("198.51.100.2", "username=alice&password=guess" + std::to_string(i)).status == 429;
    EXPECT_EQ(refused, 5) << "10 guesses, then 429 for this address and name";
    EXPECT_EQ(from("198.51.100.2", "username=alice&password=s3cret").status, 429);
    EXPECT_EQ(from("198.51.100.2", "username=bob&password=hunter2").status, 200) << "other names from that address";
    EXPECT_EQ(from("198.51.100.3", "username=alice&password=s3cret").status, 200) << "the name from elsewhere";
}

TEST(LoginEndpoint, OneAddressGuessingForHoursNeverSpendsTheNamesBudget) {
    // The default limits, on a clock the test moves: one address guesses alice's password as fast
    // as its own limit allows, for 150 of its refill intervals (15 hours); the name's budget is
    // never what refuses it, and alice logs in from elsewhere at the end.
    auto clock = fauth::test::TestClock();
    auto config = TestApp::default_config();
    fauth::http::HttpConfig http{.trusted_proxies = {"127.0.0.1"}};
    config.tokens.clock = clock.clock();
    TestApp app(2, config, http);
    auto from = [&](const std::string& ip, const std::string& body) {
        return request(app.port(), "POST", "/login", {kForm, "X-Forwarded-For: " + ip}, body);
    };
    const auto& pair = config.login_limits.per_client_identifier;
    int answered = 0;
    for (int i = 0; i < static_cast<int>(pair.burst); ++i)
        answered += from("198.51.100.2", "username=alice&password=burst" + std::to_string(i)).status == 401;
    EXPECT_EQ(answered, static_cast<int>(pair.burst));
    for (int i = 0; i < 150; ++i) {
        clock.advance(std::chrono::milliseconds(static_cast<long>(1000 / pair.per_second) + 1));
        ASSERT_EQ(from("198.51.100.2", "username=alice&password=guess" + std::to_string(i)).status, 401) << "guess " << i;
        ASSERT_EQ(from("198.51.100.2", "username=alice&password=again" + std::to_string(i)).status, 429)
            << "one more than its own limit";
    }
    EXPECT_EQ(from("198.51.100.3", "username=alice&password=s3cret").status, 200) << "the name was never locked";
}

TEST(LoginEndpoint, GroupsIPv6ClientsByTheirSlash64) {
    auto config = limited(2, 1000);
    fauth::http::HttpConfig http{.trusted_proxies = {"127.0.0.1"}};
    TestApp app(2, config, http);
    auto from = [&](const std::string& ip) {
        return request(app.port(), "POST", "/login", {kForm, "X-Forwarded-For: " + ip}, "username=alice&password=x").status;
    };
    EXPECT_EQ(from("2001:db8:1:2::1"), 401);
    EXPECT_EQ(from("2001:db8:1:2:ffff::9"), 401);
    EXPECT_EQ(from("2001:db8:1:2::77"), 429) << "a third address of the same /64 is the same client";
    EXPECT_EQ(from("2001:db8:1:3::1"), 401) << "another /64 is another client";
}

TEST(LoginEndpoint, RefusesOversizedBodiesBeforeReadingThem) {
    TestApp app;
    const auto r = request(app.port(), "POST", "/login", {kForm}, "username=alice&password=" + std::string(5000, 'x'));
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.json()["detail"], "Request body too large");
    EXPECT_TRUE(app.events(fauth::SecurityEventType::login_failure).empty()) << "nothing was attempted";
}

TEST(LoginEndpoint, GuessesFromManyAddressesCannotLockTheOwnerOutOfADeviceSheUsedBefore) {
    // The review's F3: ten addresses, each within its own budget for the name, spend the name's
    // budget; alice, with the device cookie of an earlier login, still logs in.
    auto config = TestApp::default_config();
    fauth::http::HttpConfig http{.trusted_proxies = {"127.0.0.1"}};
    TestApp app(2, config, http);
    auto from = [&](const std::string& ip, const std::string& body, const std::string& device = "") {
        std::vector<std::string> headers{kForm, "X-Forwarded-For: " + ip};
        if (!device.empty()) headers.push_back("Cookie: __Secure-fauth_device=" + device);
        return request(app.port(), "POST", "/login", headers, body);
    };
    const auto earlier = from("198.51.100.200", "username=alice&password=s3cret");
    ASSERT_EQ(earlier.status, 200) << earlier.body;
    const auto device = earlier.cookie_value("__Secure-fauth_device");
    ASSERT_FALSE(device.empty()) << "a successful login gives a device cookie";
    EXPECT_EQ(earlier.set_cookie("__Secure-fauth_device"),
              "__Secure-fauth_device=" + device + "; Path=/login; Max-Age=15552000; Secure; HttpOnly; SameSite=Strict");

    std::map<int, int> attack;
    for (int i = 0; i < 10; ++i)
        for (int j = 0; j < 10; ++j)
            ++attack[from("203.0.113." + std::to_string(i + 1), "username=alice&password=guess" + std::to_string(j)).status];
    EXPECT_EQ(attack[401], 99) << "the name's budget of 100, one of it spent by alice's own login";
    EXPECT_EQ(attack[429], 1);
    EXPECT_EQ(from("198.51.100.201", "username=alice&password=s3cret").status, 429) << "a new device meets the spent name budget";

    const auto with_device = from("198.51.100.201", "username=alice&password=s3cret", device);
    EXPECT_EQ(with_device.status, 200) << "her device has a budget of its own: " << with_device.body;
    EXPECT_NE(with_device.cookie_value("__Secure-fauth_device"), "") << "and a new cookie";
    EXPECT_NE(with_device.cookie_value("__Secure-fauth_device"), device);

    // A device cookie is good for its name only, and only as it was given.
    EXPECT_EQ(from("198.51.100.202", "username=alice&password=s3cret", device).status, 200)
        << "an older cookie of the device too";
    const auto bob = from("198.51.100.203", "username=bob&password=hunter2").cookie_value("__Secure-fauth_device");
    ASSERT_FALSE(bob.empty());
    EXPECT_EQ(from("198.51.100.204", "username=alice&password=s3cret", bob).status, 429) << "bob's device is not alice's";
    std::string forged = device;
    forged.back() = forged.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(from("198.51.100.205", "username=alice&password=s3cret", forged).status, 429) << "a forged cookie is no device";
    EXPECT_EQ(from("198.51.100.206", "username=alice&password=s3cret", "garbage").status, 429);
}

TEST(LoginEndpoint, AStolenDeviceCookieBuysOnlyTheDevicesOwnBudget) {
    auto config = TestApp::default_config();
    fauth::http::HttpConfig http{.trusted_proxies = {"127.0.0.1"}};
    TestApp app(2, config, http);
    auto from = [&](const std::string& ip, const std::string& body, const std::string& device) {
        return request(app.port(), "POST", "/login", {kForm, "X-Forwarded-For: " + ip, "Cookie: __Secure-fauth_device=" + device},
                       body);
    };
    const auto device =
        request(app.port(), "POST", "/login", {kForm}, "username=alice&password=s3cret").cookie_value("__Secure-fauth_device");
    ASSERT_FALSE(device.empty());
    int refused = 0;
    // From a new address each time: only the device's budget (10, then 10 an hour) binds.
    for (int i = 0; i < 15; ++i)
        refused +=
            from("203.0.113." + std::to_string(i + 1), "username=alice&password=guess" + std::to_string(i), device).status == 429;
    EXPECT_EQ(refused, 5);
}

TEST(LoginEndpoint, DeviceCookiesExpireAndCanBeTurnedOff) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(2'000'000'000)));
    auto config = TestApp::default_config();
    config.tokens.clock = clock.clock();
    fauth::http::HttpConfig http;
    http.device_cookie.lifetime = std::chrono::hours(1);
    TestApp app(2, config, http);
    const auto device =
        request(app.port(), "POST", "/login", {kForm}, "username=alice&password=s3cret").cookie_value("__Secure-fauth_device");
    ASSERT_FALSE(device.empty());
    const auto now = fauth::unix_seconds(config.tokens.clock);
    EXPECT_FALSE(fauth::http::device_of(app.auth().tokens(), device, "alice", now, std::chrono::hours(1)).empty());
    EXPECT_FALSE(fauth::http::device_of(app.auth().tokens(), device, "alice", now + 3600, std::chrono::hours(1)).empty());
    EXPECT_TRUE(fauth::http::device_of(app.auth().tokens(), device, "alice", now + 3601, std::chrono::hours(1)).empty())
        << "expired";
    EXPECT_TRUE(fauth::http::device_of(app.auth().tokens(), device, "alice", now - 1, std::chrono::hours(1)).empty())
        << "not yet issued";
    EXPECT_TRUE(fauth::http::device_of(app.auth().tokens(), device, "bob", now, std::chrono::hours(1)).empty());
    EXPECT_FALSE(fauth::http::device_of(app.auth().tokens(), device, "ALICE", now, std::chrono::hours(1)).empty())
        << "names compare as the throttle's do: ASCII letters case-insensitively";

    fauth::http::HttpConfig off;
    off.device_cookie.name.clear();
    TestApp without(2, TestApp::default_config(), off);
    const auto r = request(without.port(), "POST", "/login", {kForm}, "username=alice&password=s3cret");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.set_cookie("__Secure-fauth_device"), "") << "no device cookie when turned off";
    fauth::http::HttpConfig bad;
    bad.device_cookie.name = "a;b";
    EXPECT_THROW(bad.validate(), fauth::ConfigError);
}

// The session a login opens is recorded before the tokens are answered: the client as the login
// throttle counts it (an IPv6 client as its /64), the User-Agent, origin "password".
TEST(LoginEndpoint, RecordsItsSessionWithTheClientAsThrottledAndTheUserAgent) {
    fauth::http::HttpConfig http{.trusted_proxies = {"127.0.0.1"}};
    TestApp app(2, TestApp::default_config(), http);
    const auto r =
        request(app.port(), "POST", "/login", {kForm, "X-Forwarded-For: 2001:db8:1:2::1", "User-Agent: LoginTest/1.0 (\x01)"},
                "username=alice&password=s3cret");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto family = app.auth().verify(r.json()["access_token"].get<std::string>()).family.str();
    auto listed = app.auth().sessions("user-123");
    const auto sessions = fauth::test::await(listed);
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].id, family);
    EXPECT_EQ(sessions[0].client, "2001:db8:1:2::/64");
    EXPECT_EQ(sessions[0].user_agent, "LoginTest/1.0 (?)");
    EXPECT_EQ(sessions[0].origin, "password");
    // A refresh records its own client.
    const auto refreshed = request(app.port(), "POST", "/refresh", {kJson, "X-Forwarded-For: 198.51.100.4"},
                                   nlohmann::json{{"refresh_token", r.json()["refresh_token"]}}.dump());
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    auto again = app.auth().sessions("user-123");
    EXPECT_EQ(fauth::test::await(again).at(0).client, "198.51.100.4");
}

// A store that cannot record the session: the login is answered 503, with no tokens.
TEST(LoginEndpoint, AStoreThatCannotRecordTheSessionAnswers503) {
    class Refusing final : public fauth::RevocationStore {
    public:
        fauth::Outcome<bool> is_revoked(const fauth::RevocationQuery& q) override { return inner.is_revoked(q); }
        fauth::Outcome<void> revoke_token(std::string jti, std::int64_t e) override { return inner.revoke_token(jti, e); }
        fauth::Outcome<void> revoke_family(std::string f, std::int64_t e) override { return inner.revoke_family(f, e); }
        fauth::Outcome<void> revoke_subject(std::string s, std::int64_t nb, std::int64_t e) override {
            return inner.revoke_subject(s, nb, e);
        }
        fauth::Outcome<fauth::RefreshUseResult> use_refresh(const fauth::RefreshUse& use) override {
            return inner.use_refresh(use);
        }
        bool keeps_sessions() const noexcept override { return true; }
        fauth::Outcome<void> open_session(fauth::SessionRecord, std::int64_t) override {
            return fauth::Unavailable("session list unreachable").failure();
        }
        fauth::MemoryRevocationStore inner;
    };
    auto config = TestApp::default_config();
    config.revocation_store = std::make_shared<Refusing>();
    TestApp app(2, config);
    const auto r = request(app.port(), "POST", "/login", {kForm}, "username=alice&password=s3cret");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.header("Retry-After"), "1");
    EXPECT_EQ(r.body.find("access_token"), std::string::npos);
}
