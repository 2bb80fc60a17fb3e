// Metrics over real HTTP: what guarded routes, login, refresh, logout, revocation and the
// throttles record into a PrometheusRegistry set as TokenConfig::metrics, read back from its
// exposition line by line; the exposition served open (Api::serve_metrics) and behind a guard
// (metrics_handler); and nothing measured without a sink.
#include "fauth/http/metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fauth/core/prometheus.hpp>
#include <fauth/http.hpp>
#include <fauth/testing.hpp>

#include "support/await.hpp"
#include "support/http_client.hpp"
#include "support/test_app.hpp"
#include "support/user.hpp"

using fauth::PrometheusRegistry;
using fauth::test::get;
using fauth::test::request;
using fauth::test::TestApp;
using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;

namespace {

const std::string kForm = "Content-Type: application/x-www-form-urlencoded";
const std::string kJson = "Content-Type: application/json";

fauth::AuthConfig with_metrics(const std::shared_ptr<PrometheusRegistry>& registry,
                               fauth::AuthConfig config = TestApp::default_config()) {
    config.tokens.metrics = registry;
    return config;
}

// The lines of `text` that begin with `prefix`, in their order.
std::vector<std::string> lines(const std::string& text, const std::string& prefix) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        const auto line = text.substr(at, end - at);
        if (line.rfind(prefix, 0) == 0) out.push_back(line);
        at = end + 1;
    }
    return out;
}

// The value of the line for `series` (its name and labels), or -1 when there is none.
double value(const std::string& text, const std::string& series) {
    const auto found = lines(text, series + " ");
    if (found.empty()) return -1;
    return std::stod(found.front().substr(series.size() + 1));
}

fauth::test::HttpResponse refresh(std::uint16_t port, const std::string& token) {
    return request(port, "POST", "/refresh", {kJson}, nlohmann::json{{"refresh_token", token}}.dump());
}

fauth::test::HttpResponse login(std::uint16_t port, const std::string& form) {
    return request(port, "POST", "/login", {kForm}, form);
}

}  // namespace

TEST(HttpMetrics, GuardedRoutesCountAttemptsBySchemeResultAndErrorType) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    TestApp app(2, with_metrics(registry));
    const auto alice = app.token_for("user-123");
    const auto bob = app.token_for("user-456");
    EXPECT_EQ(get(app.port(), "/me", alice).status, 200);
    EXPECT_EQ(get(app.port(), "/me", bob).status, 200);
    EXPECT_EQ(get(app.port(), "/me", "not.a.token").status, 401);
    EXPECT_EQ(get(app.port(), "/me").status, 401);
    EXPECT_EQ(get(app.port(), "/admin", bob).status, 403);
    EXPECT_EQ(get(app.port(), "/write", bob).status, 403);
    const auto stale = app.auth().sign_in(app.user("user-123"), fauth::Engine::Proof::none).access_token;
    EXPECT_EQ(get(app.port(), "/maybe", alice).status, 200) << "an optional route";
    const auto text = registry->exposition();
    EXPECT_EQ(
        lines(text, "fauth_authentication_attempts_total{"),
        (std::vector<std::string>{
            R"(fauth_authentication_attempts_total{fauth_scheme="bearer",fauth_result="success"} 5)",
            R"(fauth_authentication_attempts_total{fauth_scheme="bearer",fauth_result="failure",error_type="invalid_token"} 1)",
            R"(fauth_authentication_attempts_total{fauth_scheme="none",fauth_result="failure",error_type="not_authenticated"} 1)",
        }))
        << text;
    EXPECT_EQ(lines(text, "fauth_authorization_refusals_total{"),
              (std::vector<std::string>{R"(fauth_authorization_refusals_total{fauth_rule_kind="role"} 1)",
                                        R"(fauth_authorization_refusals_total{fauth_rule_kind="permission"} 1)"}));
    // The duration is measured for each attempt that brought credentials.
    EXPECT_EQ(lines(text, "fauth_authentication_duration_seconds_count"),
              (std::vector<std::string>{
                  R"(fauth_authentication_duration_seconds_count{fauth_scheme="bearer",fauth_result="success"} 5)",
                  R"(fauth_authentication_duration_seconds_count{fauth_scheme="bearer",fauth_result="failure"} 1)"}));
    EXPECT_GT(value(text, R"(fauth_authentication_duration_seconds_sum{fauth_scheme="bearer",fauth_result="success"})"), 0);
    EXPECT_GT(value(text, R"(fauth_store_duration_seconds_count{fauth_store="memory",fauth_store_operation="is_revoked"})"), 0);
    EXPECT_EQ(lines(text, "fauth_store_failures_total{").size(), 0u);

    // A token that is not fresh on a route that wants one: refused for freshness.
    EXPECT_EQ(request(app.port(), "POST", "/account/delete", {"Authorization: Bearer " + stale}).status, 401);
    EXPECT_EQ(value(registry->exposition(), R"(fauth_authorization_refusals_total{fauth_rule_kind="fresh_token"})"), 1);
}

TEST(HttpMetrics, LoginsCountSignInsByResultAndTheirPasswordWait) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    TestApp app(2, with_metrics(registry));
    EXPECT_EQ(login(app.port(), "username=alice&password=s3cret").status, 200);
    EXPECT_EQ(login(app.port(), "username=alice&password=wrong").status, 401);
    EXPECT_EQ(login(app.port(), "username=carol&password=letmein").status, 403);
    const auto text = registry->exposition();
    EXPECT_EQ(lines(text, "fauth_sign_ins_total{"),
              (std::vector<std::string>{R"(fauth_sign_ins_total{fauth_result="success"} 1)",
                                        R"(fauth_sign_ins_total{fauth_result="failure",error_type="invalid_credentials"} 1)",
                                        R"(fauth_sign_ins_total{fauth_result="failure",error_type="inactive_user"} 1)"}))
        << text;
    EXPECT_EQ(value(text, "fauth_password_queue_wait_seconds_count"), 3) << "one password check per login";
    EXPECT_EQ(value(text, "fauth_password_refusals_total"), 0);
    EXPECT_EQ(lines(text, "fauth_password_queue_depth"), std::vector<std::string>{"fauth_password_queue_depth 0"})
        << "the engine observes its queue; nothing is waiting now";
    EXPECT_EQ(lines(text, "fauth_throttle_refusals_total{").size(), 0u);
    EXPECT_GE(value(text, R"(fauth_store_duration_seconds_count{fauth_store="memory",fauth_store_operation="throttle_hit"})"), 3);
}

TEST(HttpMetrics, AThrottledLoginCountsItsBucketAndAThrottledSignIn) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    auto config = with_metrics(registry);
    config.login_limits.per_client = {2, 0.001};
    TestApp app(2, config);
    EXPECT_EQ(login(app.port(), "username=alice&password=wrong1").status, 401);
    EXPECT_EQ(login(app.port(), "username=alice&password=wrong2").status, 401);
    EXPECT_EQ(login(app.port(), "username=alice&password=s3cret").status, 429);
    const auto text = registry->exposition();
    EXPECT_EQ(lines(text, "fauth_throttle_refusals_total{"),
              std::vector<std::string>{R"(fauth_throttle_refusals_total{fauth_throttle_bucket="login_client"} 1)"})
        << text;
    EXPECT_EQ(lines(text, "fauth_sign_ins_total{"),
              (std::vector<std::string>{R"(fauth_sign_ins_total{fauth_result="failure",error_type="invalid_credentials"} 2)",
                                        R"(fauth_sign_ins_total{fauth_result="failure",error_type="throttled"} 1)"}));
    EXPECT_EQ(value(text, "fauth_password_queue_wait_seconds_count"), 2) << "the throttled one checked no password";
}

TEST(HttpMetrics, RefreshCountsRotationsRepeatsAndReuse) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    TestApp app(2, with_metrics(registry));
    const auto pair = app.auth().login("user-123");
    const auto first = refresh(app.port(), pair.refresh_token);
    ASSERT_EQ(first.status, 200) << first.body;
    ASSERT_EQ(refresh(app.port(), pair.refresh_token).status, 200) << "a repeat within the grace period";
    ASSERT_EQ(refresh(app.port(), first.json()["refresh_token"].get<std::string>()).status, 200);
    EXPECT_EQ(refresh(app.port(), pair.refresh_token).status, 401) << "reuse";
    const auto text = registry->exposition();
    EXPECT_EQ(lines(text, "fauth_refresh_rotations_total{"),
              (std::vector<std::string>{R"(fauth_refresh_rotations_total{fauth_rotation_kind="first_use"} 2)",
                                        R"(fauth_refresh_rotations_total{fauth_rotation_kind="repeat"} 1)"}))
        << text;
    EXPECT_EQ(value(text, "fauth_refresh_reuse_detected_total"), 1);
    EXPECT_EQ(lines(text, "fauth_revocations_total{"),
              std::vector<std::string>{R"(fauth_revocations_total{fauth_revocation_kind="reuse"} 1)"});
    EXPECT_EQ(lines(text, "fauth_refresh_attempts_total{"),
              (std::vector<std::string>{R"(fauth_refresh_attempts_total{fauth_result="success"} 3)",
                                        R"(fauth_refresh_attempts_total{fauth_result="failure",error_type="invalid_token"} 1)"}));
    EXPECT_EQ(value(text, R"(fauth_store_duration_seconds_count{fauth_store="memory",fauth_store_operation="use_refresh"})"), 4);
    EXPECT_EQ(value(text, R"(fauth_store_duration_seconds_count{fauth_store="memory",fauth_store_operation="revoke_family"})"),
              1);
    EXPECT_EQ(value(text, "fauth_sign_outs_total"), 0) << "a revoked family is no logout";
}

TEST(HttpMetrics, AThrottledRefreshCountsItsBucket) {
    {
        const auto registry = std::make_shared<PrometheusRegistry>();
        auto config = with_metrics(registry);
        config.refresh_limits.per_client = {1, 0.001};
        TestApp app(2, config);
        const auto pair = app.auth().login("user-123");
        const auto first = refresh(app.port(), pair.refresh_token);
        ASSERT_EQ(first.status, 200) << first.body;
        EXPECT_EQ(refresh(app.port(), first.json()["refresh_token"].get<std::string>()).status, 429);
        const auto text = registry->exposition();
        EXPECT_EQ(lines(text, "fauth_throttle_refusals_total{"),
                  std::vector<std::string>{R"(fauth_throttle_refusals_total{fauth_throttle_bucket="refresh_client"} 1)"})
            << text;
        EXPECT_EQ(lines(text, "fauth_refresh_attempts_total{"),
                  (std::vector<std::string>{R"(fauth_refresh_attempts_total{fauth_result="success"} 1)",
                                            R"(fauth_refresh_attempts_total{fauth_result="failure",error_type="throttled"} 1)"}));
    }
    const auto registry = std::make_shared<PrometheusRegistry>();
    auto config = with_metrics(registry);
    config.refresh_limits.per_family = {1, 0.001};
    TestApp app(2, config);
    const auto pair = app.auth().login("user-123");
    const auto first = refresh(app.port(), pair.refresh_token);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(refresh(app.port(), first.json()["refresh_token"].get<std::string>()).status, 429);
    const auto text = registry->exposition();
    EXPECT_EQ(lines(text, "fauth_throttle_refusals_total{"),
              std::vector<std::string>{R"(fauth_throttle_refusals_total{fauth_throttle_bucket="refresh_family"} 1)"})
        << text;
    EXPECT_EQ(value(text, R"(fauth_refresh_attempts_total{fauth_result="failure",error_type="throttled"})"), 1);
}

TEST(HttpMetrics, LogoutAndRevokeAllCountRevocations) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    TestApp app(2, with_metrics(registry));
    const auto pair = app.auth().login("user-123");
    const auto out = request(app.port(), "POST", "/logout", {"Authorization: Bearer " + pair.access_token});
    ASSERT_LT(out.status, 300) << out.body;
    auto text = registry->exposition();
    EXPECT_EQ(value(text, "fauth_sign_outs_total"), 1);
    EXPECT_EQ(lines(text, "fauth_revocations_total{"),
              std::vector<std::string>{R"(fauth_revocations_total{fauth_revocation_kind="logout"} 1)"});
    ASSERT_NO_THROW(fauth::test::await(app.auth().revoke_all("user-123")));
    text = registry->exposition();
    EXPECT_EQ(lines(text, "fauth_revocations_total{"),
              (std::vector<std::string>{R"(fauth_revocations_total{fauth_revocation_kind="logout"} 1)",
                                        R"(fauth_revocations_total{fauth_revocation_kind="revoke_all"} 1)"}));
    EXPECT_EQ(value(text, "fauth_sign_outs_total"), 1) << "revoke_all is no sign-out";
    EXPECT_EQ(value(text, R"(fauth_store_duration_seconds_count{fauth_store="memory",fauth_store_operation="revoke_subject"})"),
              1);
    EXPECT_GT(value(text, R"(fauth_store_duration_seconds_count{fauth_store="memory",fauth_store_operation="is_revoked"})"), 0);
}

TEST(HttpMetrics, WithoutASinkNothingIsMeasuredAndTheProviderWorksAsBefore) {
    TestApp app;
    const auto& engine = app.auth().engine();
    const auto& counts = engine.instruments();
    EXPECT_FALSE(counts.authentication_attempts);
    EXPECT_FALSE(counts.authentication_duration);
    EXPECT_FALSE(counts.sign_ins);
    EXPECT_FALSE(counts.revocations);
    EXPECT_FALSE(counts.password_wait);
    EXPECT_NE(dynamic_cast<fauth::MemoryRevocationStore*>(&engine.store()), nullptr) << "the store is not wrapped";
    EXPECT_NE(dynamic_cast<fauth::MemoryThrottle*>(&engine.throttle()), nullptr) << "nor the throttle";
    const auto r = login(app.port(), "username=alice&password=s3cret");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(get(app.port(), "/me", r.json()["access_token"].get<std::string>()).status, 200);
    EXPECT_EQ(get(app.port(), "/me").status, 401);
    EXPECT_EQ(refresh(app.port(), r.json()["refresh_token"].get<std::string>()).status, 200);

    // On, the store and the throttle are wrapped, and say what they wrap.
    const auto registry = std::make_shared<PrometheusRegistry>();
    TestApp measured(2, with_metrics(registry));
    const auto& on = measured.auth().engine();
    EXPECT_TRUE(on.instruments().authentication_attempts);
    EXPECT_EQ(dynamic_cast<fauth::MemoryRevocationStore*>(&on.store()), nullptr);
    EXPECT_EQ(on.store().kind(), "memory");
    EXPECT_EQ(on.throttle().kind(), "memory");
}

namespace {

// A store of your own (its kind is "other") whose is_revoked fails while `down` is set.
class FlakyStore final : public fauth::RevocationStore {
public:
    fauth::Outcome<bool> is_revoked(const fauth::RevocationQuery& q) override {
        if (down) return fauth::Unavailable("revocation store down").failure();
        return inner.is_revoked(q);
    }
    fauth::Outcome<void> revoke_token(std::string jti, std::int64_t expires_at) override {
        return inner.revoke_token(std::move(jti), expires_at);
    }
    fauth::Outcome<void> revoke_family(std::string family, std::int64_t expires_at) override {
        return inner.revoke_family(std::move(family), expires_at);
    }
    fauth::Outcome<void> revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) override {
        return inner.revoke_subject(std::move(sub), not_before_us, expires_at);
    }
    fauth::Outcome<fauth::RefreshUseResult> use_refresh(const fauth::RefreshUse& use) override { return inner.use_refresh(use); }

    std::atomic<bool> down{false};
    fauth::MemoryRevocationStore inner;
};

}  // namespace

TEST(HttpMetrics, AFailingStoreCountsItsFailuresUnderItsKind) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    const auto store = std::make_shared<FlakyStore>();
    auto config = with_metrics(registry);
    config.revocation_store = store;
    TestApp app(2, config);
    const auto token = app.token_for("user-123");
    EXPECT_EQ(get(app.port(), "/me", token).status, 200);
    store->down = true;
    const auto refused = get(app.port(), "/me", token);
    EXPECT_EQ(refused.status, 503) << refused.body;
    const auto text = registry->exposition();
    EXPECT_EQ(lines(text, "fauth_store_failures_total{"),
              std::vector<std::string>{R"(fauth_store_failures_total{fauth_store="other",fauth_store_operation="is_revoked"} 1)"})
        << text;
    EXPECT_EQ(value(text, R"(fauth_store_duration_seconds_count{fauth_store="other",fauth_store_operation="is_revoked"})"), 2);
    EXPECT_EQ(
        value(text,
              R"(fauth_authentication_attempts_total{fauth_scheme="bearer",fauth_result="failure",error_type="unavailable"})"),
        1);
    EXPECT_EQ(value(text, R"(fauth_store_duration_seconds_count{fauth_store="memory",fauth_store_operation="throttle_hit"})"), -1)
        << "no throttle was hit";
}

namespace {

// A throttle of yours whose store cannot be reached for the login name's buckets (as RedisThrottle
// with fail_closed while Redis is down), and counts the client's attempts in memory.
class NamesUnreachableThrottle final : public fauth::Throttle {
public:
    fauth::Outcome<fauth::ThrottleDecision> hit(std::string key, fauth::RateLimit limit) override {
        if (fauth::instruments::throttle_bucket(key) != fauth::instruments::ThrottleBucket::login_client)
            return fauth::Unavailable("throttle store down").failure();
        return inner.hit(std::move(key), limit);
    }
    fauth::MemoryThrottle inner;
};

}  // namespace

// A login whose name cannot be counted (the throttle's store is unreachable) is answered 503 with
// Retry-After, and counts as a failed sign-in for that reason, not as a throttling.
TEST(HttpMetrics, ALoginWhoseThrottleCannotCountIsAFailedSignInUnavailable) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    auto config = with_metrics(registry);
    config.throttle = std::make_shared<NamesUnreachableThrottle>();
    TestApp app(2, config);
    const auto refused = login(app.port(), "username=alice&password=s3cret");
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(refused.json(), (nlohmann::json{{"detail", "Service unavailable"}}));
    EXPECT_EQ(refused.header("Retry-After"), "1");
    const auto text = registry->exposition();
    EXPECT_EQ(lines(text, "fauth_sign_ins_total{"),
              std::vector<std::string>{R"(fauth_sign_ins_total{fauth_result="failure",error_type="unavailable"} 1)"})
        << text;
    EXPECT_EQ(lines(text, "fauth_throttle_refusals_total{").size(), 0u) << text;
}

TEST(HttpMetrics, TwoProvidersSharingARegistryShareTheirCounts) {
    const auto registry = std::make_shared<PrometheusRegistry>();
    TestApp one(2, with_metrics(registry));
    TestApp two(2, with_metrics(registry));
    EXPECT_EQ(get(one.port(), "/me").status, 401);
    EXPECT_EQ(get(two.port(), "/me").status, 401);
    const auto text = registry->exposition();
    EXPECT_EQ(
        value(
            text,
            R"(fauth_authentication_attempts_total{fauth_scheme="none",fauth_result="failure",error_type="not_authenticated"})"),
        2);
}

TEST(HttpMetrics, TwoProvidersSharingARegistryExposeOneQueueDepthSeries) {
    // Each engine observes fauth.password.queue.depth, with no attribute: the registry adds the
    // two up and writes the series once (a duplicate sample would be refused by Prometheus).
    const auto registry = std::make_shared<PrometheusRegistry>();
    TestApp one(2, with_metrics(registry));
    TestApp two(2, with_metrics(registry));
    EXPECT_EQ(lines(registry->exposition(), "fauth_password_queue_depth "),
              std::vector<std::string>{"fauth_password_queue_depth 0"});
}

namespace {

using OpsUser = fauth::test::User;

// An application serving its metrics twice: open at /metrics, and to the ops role at
// /ops/metrics; /keyed takes API keys only.
class OpsApp {
public:
    explicit OpsApp(std::shared_ptr<PrometheusRegistry> r)
        : registry(std::move(r)), auth(config(registry), [this](const fauth::TokenPayload& p) { return find(p.sub); }) {
        users["u-ops"] = {"u-ops", "olga", "", true, {"ops"}, {}};
        users["u-dev"] = {"u-dev", "dan", "", true, {"dev"}, {}};
        auth.set_api_key_loader([this](const std::string& id) -> std::optional<fauth::KeyOwner<OpsUser>> {
            std::lock_guard lock(mutex);
            const auto it = keys.find(id);
            if (it == keys.end()) return std::nullopt;
            return fauth::KeyOwner<OpsUser>{it->second, users.at(it->second.owner)};
        });
        api.serve_metrics("/metrics", registry);
        api.get("/ops/metrics", auth.require_roles({"ops"}, fauth::http::metrics_handler(registry)));
        api.get("/keyed", auth.require({},
                                       [](const Request&, ResponseWriter w, const fauth::Principal<OpsUser>& p) {
                                           fauth::http::send_json(w, Code::Ok, {{"user", p.user.username}});
                                       },
                                       {fauth::Scheme::api_key}));
        server = std::make_unique<fauth::testing::TestServer>(api);
    }

    static fauth::AuthConfig config(const std::shared_ptr<PrometheusRegistry>& registry) {
        fauth::AuthConfig c;
        c.tokens.secret_key = "metrics-test-secret-of-32-bytes!!";
        c.bcrypt_cost = 4;
        c.tokens.log = [](std::string_view) {};
        c.tokens.security_events = [](const fauth::SecurityEvent&) {};
        c.tokens.metrics = registry;
        return c;
    }

    std::optional<OpsUser> find(const std::string& id) {
        std::lock_guard lock(mutex);
        const auto it = users.find(id);
        return it == users.end() ? std::nullopt : std::optional<OpsUser>(it->second);
    }
    std::string key_for(const std::string& owner) {
        auto made = auth.create_api_key();
        std::lock_guard lock(mutex);
        keys[made.id] = fauth::ApiKey{made.id, made.hash, owner, {}, "test", std::nullopt, std::nullopt, false};
        return made.key;
    }
    fauth::testing::Client as(const std::string& id) const {
        return server->client().with_bearer(auth.sign_in(users.at(id)).access_token);
    }

    std::shared_ptr<PrometheusRegistry> registry;
    std::mutex mutex;
    std::map<std::string, OpsUser> users;
    std::map<std::string, fauth::ApiKey> keys;
    fauth::AuthProvider<OpsUser> auth;
    Pistache::Rest::Router router;
    fauth::http::Api api{router};
    std::unique_ptr<fauth::testing::TestServer> server;
};

}  // namespace

TEST(HttpMetrics, ServeMetricsAnswersWithTheExpositionUncached) {
    OpsApp app(std::make_shared<PrometheusRegistry>());
    EXPECT_EQ(app.server->client().get("/keyed").status, 401);
    const auto r = app.server->client().get("/metrics");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(r.body, app.registry->exposition()) << "serving it recorded nothing";
    EXPECT_NE(r.body.find("# TYPE fauth_authentication_attempts_total counter\n"), std::string::npos);
    EXPECT_NE(r.body.find("\nfauth_authentication_attempts_total{fauth_scheme=\"none\",fauth_result=\"failure\","
                          "error_type=\"not_authenticated\"} 1\n"),
              std::string::npos)
        << "absent credentials are counted under the scheme none";
}

TEST(HttpMetrics, ApiKeysAreCountedUnderTheirScheme) {
    OpsApp app(std::make_shared<PrometheusRegistry>());
    const auto key = app.key_for("u-dev");
    const auto good = app.server->client().with_header("X-API-Key: " + key).get("/keyed");
    ASSERT_EQ(good.status, 200) << good.body;
    const auto unknown = app.auth.create_api_key().key;  // well-formed, never stored
    EXPECT_EQ(app.server->client().with_header("X-API-Key: " + unknown).get("/keyed").status, 401);
    const auto text = app.registry->exposition();
    EXPECT_EQ(
        lines(text, "fauth_authentication_attempts_total{"),
        (std::vector<std::string>{
            R"(fauth_authentication_attempts_total{fauth_scheme="api_key",fauth_result="success"} 1)",
            R"(fauth_authentication_attempts_total{fauth_scheme="api_key",fauth_result="failure",error_type="invalid_api_key"} 1)",
        }))
        << text;
    EXPECT_EQ(lines(text, "fauth_authentication_duration_seconds_count{"),
              (std::vector<std::string>{
                  R"(fauth_authentication_duration_seconds_count{fauth_scheme="api_key",fauth_result="success"} 1)",
                  R"(fauth_authentication_duration_seconds_count{fauth_scheme="api_key",fauth_result="failure"} 1)"}));
}

TEST(HttpMetrics, MetricsHandlerBehindARoleGuard) {
    OpsApp app(std::make_shared<PrometheusRegistry>());
    const auto none = app.server->client().get("/ops/metrics");
    EXPECT_TRUE(fauth::testing::refused(none, 401, "Not authenticated"));
    EXPECT_EQ(none.body.find("fauth_"), std::string::npos);
    const auto dev = app.as("u-dev").get("/ops/metrics");
    EXPECT_EQ(dev.status, 403);
    EXPECT_EQ(dev.body.find("fauth_"), std::string::npos);
    const auto ops = app.as("u-ops").get("/ops/metrics");
    ASSERT_EQ(ops.status, 200) << ops.body;
    EXPECT_EQ(ops.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(ops.header("Cache-Control"), "no-store");
    EXPECT_EQ(lines(ops.body, "fauth_authorization_refusals_total{"),
              std::vector<std::string>{R"(fauth_authorization_refusals_total{fauth_rule_kind="role"} 1)"})
        << "dan's 403";
    EXPECT_EQ(
        lines(ops.body, "fauth_authentication_attempts_total{"),
        (std::vector<std::string>{
            R"(fauth_authentication_attempts_total{fauth_scheme="bearer",fauth_result="success"} 2)",
            R"(fauth_authentication_attempts_total{fauth_scheme="none",fauth_result="failure",error_type="not_authenticated"} 1)",
        }))
        << "olga's own request was counted before the handler ran";
}

TEST(HttpMetrics, ServeMetricsWantsARegistry) {
    Pistache::Rest::Router router;
    fauth::http::Api api(router);
    EXPECT_THROW(api.serve_metrics("/metrics", nullptr), fauth::ConfigError);
}
