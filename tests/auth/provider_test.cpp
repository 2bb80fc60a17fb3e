#include "fauth/auth/provider.hpp"
#include "fauth/core/keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <hiredis/hiredis.h>

#include <atomic>
#include <future>
#include <map>
#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <thread>

#include "support/allocation_counter.hpp"
#include "support/await.hpp"
#include "support/stores.hpp"
#include "support/user.hpp"

using fauth::AuthConfig;
using fauth::AuthProvider;
using fauth::LoadResult;
using fauth::TokenPayload;
using fauth::TokenType;
using fauth::test::await;
using fauth::test::settle;
using nlohmann::json;

namespace {

using fauth::test::User;

constexpr int kCost = 4;

// A small user directory the loaders read; thread-safe so tests can change it mid-flight.
struct Directory {
    std::mutex m;
    std::map<std::string, User> by_id;

    Directory() {
        add({"user-123", "alice", fauth::hash_password("s3cret", kCost), true, {"admin"}, {"read", "write"}});
        add({"user-456", "bob", fauth::hash_password("hunter2", kCost), true, {"member"}, {"read"}});
        add({"user-789", "carol", fauth::hash_password("letmein", kCost), false, {}, {}});
        add({"user-000", "dave", "", true, {}, {}});                  // no password set
        add({"user-999", "eve", "not-a-bcrypt-hash", true, {}, {}});  // corrupt hash
    }
    void add(User u) {
        std::lock_guard lock(m);
        by_id[u.id] = std::move(u);
    }
    std::optional<User> find_id(const std::string& id) {
        std::lock_guard lock(m);
        auto it = by_id.find(id);
        if (it == by_id.end()) return std::nullopt;
        return it->second;
    }
    std::optional<User> find_name(std::string_view name) {
        std::lock_guard lock(m);
        for (auto& [id, u] : by_id)
            if (u.username == name) return u;
        return std::nullopt;
    }
};

AuthConfig test_config() {
    AuthConfig c;
    c.tokens.secret_key = "test-secret-key-that-is-32-bytes!";
    c.bcrypt_cost = kCost;
    return c;
}

template <class T>
fauth::ErrorKind error_kind(const fauth::test::Outcome<T>& outcome) {
    EXPECT_TRUE(outcome.error) << "expected a rejection";
    try {
        std::rethrow_exception(outcome.error);
    } catch (const fauth::Error& e) {
        return e.kind();
    } catch (...) {
        ADD_FAILURE() << "rejected with something other than fauth::Error";
    }
    return fauth::ErrorKind::internal;
}

template <class T>
std::string error_text(const fauth::test::Outcome<T>& outcome, bool detail) {
    try {
        std::rethrow_exception(outcome.error);
    } catch (const fauth::Error& e) {
        return detail ? e.detail() : e.what();
    } catch (...) {}
    return "";
}

class ProviderTest : public ::testing::Test {
protected:
    Directory dir;
    AuthProvider<User> auth{test_config(), [this](const TokenPayload& p) { return dir.find_id(p.sub); },
                            [this](std::string_view name) { return dir.find_name(name); }};
};

}  // namespace

TEST_F(ProviderTest, AuthenticateFindsTheUserOffTheCallingThread) {
    auto promise = auth.authenticate("alice", "s3cret");
    const auto outcome = settle(promise);
    ASSERT_FALSE(outcome.error);
    EXPECT_EQ(outcome.value->id, "user-123");

    // Where does the password check run? The loader answers on this thread, which attaches the
    // password check's continuation before answer() returns. The stored hash is of cost 13 (a
    // quarter of a second and more): had bcrypt run inline, the user would be delivered before
    // answer() returned; run on the pool, it cannot have settled yet, so the continuation was
    // attached first and runs where the check settles. (At the test's cost 4, a check could
    // settle before a descheduled caller attached its continuation, which then rightly runs on the
    // caller's thread: that made this test flaky under TSan.)
    User slow = *dir.find_name("alice");
    slow.hashed_password = fauth::hash_password("s3cret", 13);
    std::shared_ptr<Pistache::Async::Resolver> answer;
    AuthProvider<User> gated{test_config(), [](const TokenPayload&) { return std::optional<User>(); },
                             [&](const std::string&) {
                                 return LoadResult<User>([&](Pistache::Async::Resolver& r, Pistache::Async::Rejection&) {
                                     answer = std::make_shared<Pistache::Async::Resolver>(std::move(r));
                                 });
                             }};
    auto pending = gated.authenticate("alice", "s3cret");
    std::promise<std::pair<std::thread::id, std::string>> delivered_on;
    auto thread_name = [] {
        char name[16] = {};
        ::pthread_getname_np(::pthread_self(), name, sizeof name);
        return std::string(name);
    };
    pending.then(
        [&](const User&) {
            delivered_on.set_value({std::this_thread::get_id(), thread_name()});
        },
        [&](std::exception_ptr) {
            delivered_on.set_value({std::thread::id(), thread_name()});
        });
    ASSERT_TRUE(answer);
    (*answer)(std::optional<User>(slow));
    auto f = delivered_on.get_future();
    EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
        << "bcrypt must run on the worker pool, not the caller's thread";
    ASSERT_EQ(f.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    const auto [id, name] = f.get();
    EXPECT_NE(id, std::thread::id()) << "authentication failed";
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_EQ(name, "fauth-callback") << "your code continues on a callback thread, never on a password worker";
}

TEST_F(ProviderTest, ATokenBoundToItsHolderIsRefusedWhereNoProofCanBeChecked) {
    // resolve_user, load_user and logout have no request to prove a DPoP key or a certificate
    // with: a bound token stolen alone must not work there either.
    for (const nlohmann::json& cnf : {nlohmann::json{{"jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}},
                                      nlohmann::json{{"x5t#S256", "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}}}) {
        const auto bound = auth.tokens().issue(fauth::TokenType::access, "user-123", {}, {{"cnf", cnf}});
        auto resolved = auth.resolve_user(bound);
        const auto outcome = settle(resolved);
        EXPECT_EQ(error_kind(outcome), fauth::ErrorKind::invalid_token) << cnf.dump();
        EXPECT_EQ(error_text(outcome, false), "Invalid token: a bound token where no proof or certificate can be checked");
        auto loaded = auth.load_user(auth.verify(bound, fauth::TokenType::access));
        EXPECT_EQ(error_kind(settle(loaded)), fauth::ErrorKind::invalid_token);
        auto ended = auth.logout(bound);
        EXPECT_EQ(error_kind(settle(ended)), fauth::ErrorKind::invalid_token);
    }
    // An unbound token, and a cnf naming no key or certificate, are as before.
    auto plain = auth.resolve_user(auth.tokens().issue(fauth::TokenType::access, "user-123", {}, {{"cnf", {{"kid", "k"}}}}));
    EXPECT_FALSE(settle(plain).error);
}

TEST_F(ProviderTest, AuthenticateRefusesBadCredentialsWithOneMessage) {
    for (auto [name, password] : {std::pair{"alice", "wrong"},
                                  {"alice", ""},
                                  {"nobody", "s3cret"},
                                  {"", ""},
                                  {"dave", ""},
                                  {"dave", "anything"},
                                  {"eve", "not-a-bcrypt-hash"},
                                  {"carol", "wrong"}}) {
        auto promise = auth.authenticate(name, password);
        const auto outcome = settle(promise);
        EXPECT_EQ(error_kind(outcome), fauth::ErrorKind::invalid_credentials) << name << "/" << password;
        EXPECT_EQ(error_text(outcome, true), "Invalid credentials");
    }
}

TEST_F(ProviderTest, AuthenticateRefusesAnInactiveUserOnlyAfterThePasswordMatches) {
    auto promise = auth.authenticate("carol", "letmein");
    const auto outcome = settle(promise);
    EXPECT_EQ(error_kind(outcome), fauth::ErrorKind::inactive_user);
    EXPECT_EQ(error_text(outcome, true), "Inactive user");
}

TEST_F(ProviderTest, AsynchronousLoadersResolvingOnOtherThreadsWork) {
    std::vector<std::thread> threads;
    std::mutex tm;
    auto later = [&](std::optional<User> u) {
        return LoadResult<User>([&, u](Pistache::Async::Resolver& resolve, Pistache::Async::Rejection&) {
            auto r = std::make_shared<Pistache::Async::Resolver>(std::move(resolve));
            std::lock_guard lock(tm);
            threads.emplace_back([r, u] {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a slow database
                (*r)(std::optional<User>(u));  // resolve with exactly T: Pistache checks the type id
            });
        });
    };
    {
        AuthProvider<User> async_auth{test_config(), [&](const TokenPayload& p) { return later(dir.find_id(p.sub)); },
                                      [&](const std::string& n) { return later(dir.find_name(n)); }};
        const auto user = await(async_auth.authenticate("bob", "hunter2"));
        EXPECT_EQ(user.username, "bob");
        const auto tokens = async_auth.login(user.id);
        EXPECT_EQ(await(async_auth.resolve_user(tokens.access_token)).username, "bob");
        auto missing = async_auth.authenticate("nobody", "x");
        EXPECT_EQ(error_kind(settle(missing)), fauth::ErrorKind::invalid_credentials);
    }
    std::lock_guard lock(tm);
    for (auto& t : threads) t.join();
}

// A finish for AuthProvider::run that records what the pipeline ended with and whether it waited.
struct Recorded {
    bool suspended = false;
    bool finished = false;
    std::string user;
    std::string detail;  // what the client would see
    std::string reason;  // what the log sees (what())
};
struct Record {
    Recorded* out;
    void suspend() { out->suspended = true; }
    void operator()(fauth::Result<fauth::Caller<User>> caller) {
        out->finished = true;
        if (caller) {
            out->user = caller->user.id;
            return;
        }
        out->detail = caller.failure().detail;
        out->reason = caller.failure().log;
    }
};

TEST_F(ProviderTest, AStoreAndALoaderThatAnswerAtOnceTakeTheSynchronousPath) {
    // A user whose copy allocates nothing (short strings, no hash, no roles): every allocation
    // counted below is fauth's own.
    AuthProvider<User> at_once{test_config(), [](const TokenPayload& p) -> std::optional<User> {
                                   if (p.sub == "u-1") return User{"u-1", "al", "", true, {}, {}};
                                   if (p.sub == "u-2") return User{"u-2", "bo", "", false, {}, {}};
                                   if (p.sub == "u-3") throw std::runtime_error("db down");
                                   return std::nullopt;
                               }};
    const auto access = at_once.login("u-1").access_token;
    Recorded seen;
    seen.user.reserve(8);
    std::size_t counted = 0;
    {
        fauth::test::AllocationCounter allocations;
        at_once.run(access, fauth::TokenType::access, Record{&seen});
        counted = allocations.count();
    }
    EXPECT_TRUE(seen.finished) << "finished before run returned";
    EXPECT_FALSE(seen.suspended);
    EXPECT_EQ(seen.user, "u-1");
    if (fauth::test::AllocationCounter::available()) {
        // The whole pipeline: verify, revocation, loader. None: the payload holds its ids inline
        // (TokenId) and `extra` is null without other claims (3 before: issue 33).
        RecordProperty("pipeline_allocations", static_cast<int>(counted));
        EXPECT_EQ(counted, 0u) << "heap allocations on the synchronous path (issue 13's target was at most 4; "
                                  "3 until the payload's ids and extra stopped allocating)";
    }

    // Every refusal resolve_user gives, given at once too.
    auto refusal = [&](const std::string& token) {
        Recorded refused;
        at_once.run(token, fauth::TokenType::access, Record{&refused});
        EXPECT_TRUE(refused.finished);
        EXPECT_FALSE(refused.suspended);
        EXPECT_TRUE(refused.user.empty());
        return refused;
    };
    EXPECT_EQ(refusal(at_once.login("u-2").access_token).detail, "Inactive user");
    EXPECT_EQ(refusal(at_once.login("nobody").access_token).detail, "User does not exist");
    const auto failed = refusal(at_once.login("u-3").access_token);
    EXPECT_EQ(failed.detail, "Internal Server Error") << "the cause is logged, not shown";
    EXPECT_NE(failed.reason.find("db down"), std::string::npos) << failed.reason;
    // A bad token's client detail is fixed; which check failed is the log's.
    const auto malformed = refusal("not-a-token");
    EXPECT_EQ(malformed.detail, "Invalid token");
    EXPECT_EQ(malformed.reason, "Invalid token: malformed token: expected three segments");
    const auto refresh = refusal(at_once.login("u-1").refresh_token);
    EXPECT_EQ(refresh.detail, "Invalid token");
    EXPECT_EQ(refresh.reason, "Invalid token: refresh token used where access token is required");
    const auto revoked = at_once.login("u-1");
    await(at_once.logout(revoked.access_token));
    const auto after_logout = refusal(revoked.access_token);
    EXPECT_EQ(after_logout.detail, "Invalid token");
    EXPECT_EQ(after_logout.reason, "Invalid token: token revoked");
}

TEST_F(ProviderTest, APromiseLoaderOrAStoreElsewhereTakesTheAsynchronousPath) {
    AuthProvider<User> by_promise{test_config(),
                                  [&](const TokenPayload& p) { return LoadResult<User>::resolved(dir.find_id(p.sub)); }};
    Recorded seen;
    by_promise.run(by_promise.login("user-123").access_token, fauth::TokenType::access, Record{&seen});
    EXPECT_TRUE(seen.suspended) << "a promise loader suspends the request";
    EXPECT_EQ(seen.user, "user-123");

    AuthConfig c = test_config();
    c.revocation_store = fauth::test::fresh_redis_store();
    AuthProvider<User> on_redis{c, [&](const TokenPayload& p) { return dir.find_id(p.sub); }};
    std::promise<std::string> ended;
    struct Forward {
        std::promise<std::string>* ended;
        bool suspended = false;
        void suspend() { suspended = true; }
        void operator()(fauth::Result<fauth::Caller<User>> caller) {
            ended->set_value(suspended && caller ? caller->user.id : "not suspended or no user");
        }
    };
    on_redis.run(on_redis.login("user-123").access_token, fauth::TokenType::access, Forward{&ended});
    auto answer = ended.get_future();
    ASSERT_EQ(answer.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_EQ(answer.get(), "user-123") << "a store elsewhere suspends the request, then the loader runs";
}

TEST_F(ProviderTest, DestructionWaitsForWorkUnderWayOnItsOwnThreads) {
    // A revocation check is under way on a Redis thread (Redis is paused, so it stays there) when
    // the provider is destroyed. Its continuation uses the provider's state: the destructor must
    // wait for it rather than free that state under it.
    auto store = fauth::test::fresh_redis_store();
    const auto endpoint = fauth::parse_redis_url(fauth::test::shared_redis().url());
    std::unique_ptr<redisContext, decltype(&redisFree)> admin(redisConnect(endpoint.host.c_str(), endpoint.port), &redisFree);
    ASSERT_TRUE(admin && !admin->err);
    std::optional<AuthProvider<User>::UserPromise> pending;
    {
        AuthConfig c = test_config();
        c.revocation_store = store;  // the test keeps the store (and its Redis thread) alive after the provider
        AuthProvider<User> doomed{c, [&](const TokenPayload& p) { return dir.find_id(p.sub); }};
        const auto token = doomed.login("user-123").access_token;
        freeReplyObject(redisCommand(admin.get(), "CLIENT PAUSE 300"));
        pending.emplace(doomed.resolve_user(token));
    }  // ~AuthProvider: waits for the check under way, then lets go of its state
    EXPECT_EQ(await(*pending).username, "alice");
}

TEST_F(ProviderTest, LoaderFailuresBecomeInternalErrorsThatDoNotLeak) {
    auto throwing = [](const auto&) -> std::optional<User> { throw std::runtime_error("db password is hunter2"); };
    auto rejecting = [](const auto&) { return LoadResult<User>::rejected(std::runtime_error("connection refused to 10.0.0.5")); };
    AuthProvider<User> a{test_config(), throwing, throwing};
    AuthProvider<User> b{test_config(), rejecting, rejecting};
    const auto token = auth.login("user-123").access_token;
    for (auto* p : {&a, &b}) {
        auto resolved = p->resolve_user(token);
        const auto r = settle(resolved);
        EXPECT_EQ(error_kind(r), fauth::ErrorKind::internal);
        EXPECT_EQ(error_text(r, true), "Internal Server Error");
        EXPECT_NE(error_text(r, false).find("user_loader failed"), std::string::npos) << error_text(r, false);
        auto authed = p->authenticate("alice", "s3cret");
        const auto s = settle(authed);
        EXPECT_EQ(error_kind(s), fauth::ErrorKind::internal);
        EXPECT_NE(error_text(s, false).find("identity_loader failed"), std::string::npos);
    }
}

TEST_F(ProviderTest, ALoaderMayRejectWithAFauthErrorOfItsOwn) {
    AuthProvider<User> p{test_config(),
                         [](const TokenPayload&) { return LoadResult<User>::rejected(fauth::Unavailable("user db is down")); }};
    auto r = p.resolve_user(p.login("u").access_token);
    EXPECT_EQ(error_kind(settle(r)), fauth::ErrorKind::unavailable);
}

TEST_F(ProviderTest, AuthenticateWithoutAnIdentityLoaderIsAnInternalError) {
    AuthProvider<User> verifier{test_config(), [this](const TokenPayload& p) { return dir.find_id(p.sub); }};
    auto r = verifier.authenticate("alice", "s3cret");
    EXPECT_EQ(error_kind(settle(r)), fauth::ErrorKind::internal);
}

TEST_F(ProviderTest, LoginIssuesAPairThatCarriesScopesAndExtras) {
    const auto tokens = auth.login("user-123", {"read"}, json{{"tenant", "acme"}});
    EXPECT_EQ(tokens.token_type, "bearer");
    EXPECT_EQ(tokens.expires_in, 900);
    const auto access = auth.verify(tokens.access_token);
    const auto refresh = auth.verify(tokens.refresh_token, TokenType::refresh);
    for (const auto& p : {access, refresh}) {
        EXPECT_EQ(p.sub, "user-123");
        EXPECT_EQ(p.scopes, std::vector<std::string>{"read"});
        EXPECT_EQ(p.extra["tenant"], "acme");
    }
    EXPECT_NE(access.jti, refresh.jti);
    EXPECT_THROW(auth.login("u", {}, json{{"sub", "admin"}}), std::invalid_argument);
}

TEST_F(ProviderTest, ResolveUserAcceptsOnlyValidAccessTokensOfActiveUsers) {
    const auto tokens = auth.login("user-123");
    EXPECT_EQ(await(auth.resolve_user(tokens.access_token)).username, "alice");

    // `detail` is what a client sees, `reason` what the log sees.
    auto check = [&](std::string_view token, fauth::ErrorKind kind, const char* detail, const char* reason) {
        auto p = auth.resolve_user(token);
        const auto r = settle(p);
        EXPECT_EQ(error_kind(r), kind) << reason;
        EXPECT_EQ(error_text(r, true), detail);
        EXPECT_EQ(error_text(r, false), reason);
    };
    check(tokens.refresh_token, fauth::ErrorKind::invalid_token, "Invalid token",
          "Invalid token: refresh token used where access token is required");
    check(auth.login("ghost").access_token, fauth::ErrorKind::user_not_found, "User does not exist", "User does not exist");
    check(auth.login("user-789").access_token, fauth::ErrorKind::inactive_user, "Inactive user", "Inactive user");
    check("garbage", fauth::ErrorKind::invalid_token, "Invalid token", "Invalid token: malformed token: expected three segments");

    auto c = test_config();
    c.tokens.clock = [] { return std::chrono::system_clock::now() - std::chrono::hours(1); };
    fauth::TokenCodec past(c.tokens);
    check(past.issue(TokenType::access, "user-123"), fauth::ErrorKind::token_expired, "Token expired", "Token expired");
}

TEST_F(ProviderTest, PasswordWorkIsBoundedAndRefusedWhenSaturated) {
    auto c = test_config();
    c.bcrypt_cost = 10;
    c.worker_threads = 1;
    c.worker_queue_capacity = 1;
    Directory d;
    d.add({"user-1", "frank", fauth::hash_password("pw", 10), true, {}, {}});
    AuthProvider<User> small{c, [&](const TokenPayload& p) { return d.find_id(p.sub); },
                             [&](std::string_view n) { return d.find_name(n); }};
    std::vector<AuthProvider<User>::UserPromise> promises;
    for (int i = 0; i < 12; ++i) promises.push_back(small.authenticate("frank", "pw"));
    int ok = 0, unavailable = 0;
    for (auto& p : promises) {
        const auto r = settle(p);
        if (!r.error)
            ++ok;
        else if (error_kind(r) == fauth::ErrorKind::unavailable)
            ++unavailable;
    }
    EXPECT_GE(ok, 1);
    EXPECT_GE(unavailable, 1);
    EXPECT_EQ(ok + unavailable, 12);
}

TEST_F(ProviderTest, OneClientMayHaveOnlyAFewPasswordChecksPending) {
    auto c = test_config();
    c.bcrypt_cost = 10;  // tens of milliseconds a check: the first ones are still pending below
    c.worker_threads = 1;
    c.max_password_checks_per_client = 2;
    Directory d;
    d.add({"user-1", "frank", fauth::hash_password("pw", 10), true, {}, {}});
    AuthProvider<User> small{c, [&](const TokenPayload& p) { return d.find_id(p.sub); },
                             [&](std::string_view n) { return d.find_name(n); }};
    std::vector<AuthProvider<User>::UserPromise> flood;
    for (int i = 0; i < 5; ++i) flood.push_back(small.authenticate("frank", "pw", "198.51.100.7"));
    for (std::size_t i = 2; i < 5; ++i) {
        EXPECT_TRUE(flood[i].isRejected()) << i << ": refused at once, not queued";
        const auto r = settle(flood[i]);
        EXPECT_EQ(error_kind(r), fauth::ErrorKind::unavailable) << i;
    }
    auto other = small.authenticate("frank", "pw", "203.0.113.9");
    EXPECT_FALSE(other.isRejected()) << "another client still gets a place";
    for (std::size_t i = 0; i < 2; ++i) EXPECT_FALSE(settle(flood[i]).error) << i;
    EXPECT_FALSE(settle(other).error);
    small.engine().wait_idle();
    auto again = small.authenticate("frank", "pw", "198.51.100.7");
    EXPECT_FALSE(settle(again).error) << "the client's places came back when its checks ended";
    EXPECT_EQ(small.engine().password_checks_pending(), 0u);
}

TEST_F(ProviderTest, PasswordChecksAreRefusedAtOnceBeyondTheExpectedWait) {
    auto c = test_config();
    c.bcrypt_cost = 10;
    c.worker_threads = 1;
    c.max_password_wait = std::chrono::milliseconds(300);
    Directory d;
    d.add({"user-1", "frank", fauth::hash_password("pw", 10), true, {}, {}});
    AuthProvider<User> small{c, [&](const TokenPayload& p) { return d.find_id(p.sub); },
                             [&](std::string_view n) { return d.find_name(n); }};
    std::vector<AuthProvider<User>::UserPromise> flood;
    // Forty clients, each within its own two places: only the expected wait bounds them.
    for (int i = 0; i < 40; ++i) flood.push_back(small.authenticate("frank", "wrong", "192.0.2." + std::to_string(i)));
    const auto admitted = small.engine().password_checks_pending();
    EXPECT_GE(admitted, 1u);
    EXPECT_LT(admitted, 40u) << "a few hundred milliseconds hold a few checks at this cost, not forty";
    std::size_t refused = 0;
    for (auto& p : flood) {
        const bool at_once = p.isRejected();
        const auto r = settle(p);
        if (error_kind(r) != fauth::ErrorKind::unavailable) continue;
        ++refused;
        EXPECT_TRUE(at_once) << "a refusal does not wait for the queue";
        try {
            std::rethrow_exception(r.error);
        } catch (const fauth::Unavailable& e) {
            EXPECT_GE(e.retry_after(), std::chrono::seconds(1));
            EXPECT_LE(e.retry_after(), std::chrono::seconds(1)) << "the expected wait, rounded up: under 300 ms";
        }
    }
    EXPECT_EQ(refused + admitted, 40u);
}

TEST_F(ProviderTest, AKnownDeviceGoesBeforeAFloodOfStrangers) {
    auto c = test_config();
    c.bcrypt_cost = 10;
    c.worker_threads = 1;
    c.max_password_wait = std::chrono::seconds(1);  // a dozen checks at this cost, two at least on a loaded machine
    Directory d;
    d.add({"user-1", "frank", fauth::hash_password("pw", 10), true, {}, {}});
    AuthProvider<User> small{c, [&](const TokenPayload& p) { return d.find_id(p.sub); },
                             [&](std::string_view n) { return d.find_name(n); }};
    std::mutex m;
    std::vector<std::string> finished;
    auto record = [&](AuthProvider<User>::UserPromise& p, std::string who) {
        p.then(
            [&m, &finished, who](const User&) {
                std::lock_guard lock(m);
                finished.push_back(who);
            },
            [&m, &finished, who](std::exception_ptr) {
                std::lock_guard lock(m);
                finished.push_back(who);
            });
    };
    std::vector<AuthProvider<User>::UserPromise> flood;
    for (int i = 0; i < 40; ++i) flood.push_back(small.authenticate("frank", "wrong", "192.0.2." + std::to_string(i)));
    std::size_t admitted = 0;
    for (auto& p : flood)
        if (!p.isRejected()) {
            record(p, "stranger");
            ++admitted;
        }
    ASSERT_GE(admitted, 2u) << "one stranger's check running, one at least waiting";
    auto stranger = small.authenticate("frank", "pw", "198.51.100.1");
    EXPECT_TRUE(stranger.isRejected()) << "one more stranger is refused at once";
    auto known = small.authenticate("frank", "pw", "198.51.100.2", true);
    EXPECT_FALSE(known.isRejected()) << "a known device is admitted while strangers wait";
    record(known, "known");
    EXPECT_FALSE(settle(known).error);
    small.engine().wait_idle();
    std::lock_guard lock(m);
    ASSERT_EQ(finished.size(), admitted + 1);
    const auto at = std::find(finished.begin(), finished.end(), "known") - finished.begin();
    EXPECT_LE(at, 1) << "only the check already running when it came went before it";
}

TEST_F(ProviderTest, HashingAndRehashFollowTheConfiguredCost) {
    const auto hashed = await(auth.hash_password_async("new password"));
    EXPECT_TRUE(fauth::verify_password("new password", hashed));
    EXPECT_EQ(fauth::bcrypt_cost(hashed), kCost);
    EXPECT_FALSE(auth.needs_rehash(hashed));
    auto c = test_config();
    c.bcrypt_cost = 5;
    AuthProvider<User> stricter{c, [](const TokenPayload&) { return std::optional<User>(); }};
    EXPECT_TRUE(stricter.needs_rehash(hashed));
}

TEST_F(ProviderTest, PasswordResetTokensDieWhenThePasswordChanges) {
    const auto alice = *dir.find_id("user-123");
    const auto token = auth.create_password_reset_token(alice);
    EXPECT_EQ(await(auth.verify_password_reset_token(token)).username, "alice");
    EXPECT_THROW(auth.verify(token), fauth::InvalidToken) << "a reset token is not an access token";
    auto access_as_reset = auth.verify_password_reset_token(auth.login("user-123").access_token);
    EXPECT_EQ(error_kind(settle(access_as_reset)), fauth::ErrorKind::invalid_token);

    auto changed = alice;
    changed.hashed_password = fauth::hash_password("brand new", kCost);
    dir.add(changed);
    auto reused = auth.verify_password_reset_token(token);
    const auto r = settle(reused);
    EXPECT_EQ(error_kind(r), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(error_text(r, true), "Invalid token");
    EXPECT_EQ(error_text(r, false), "Invalid token: password already changed");
}

TEST_F(ProviderTest, EmailVerificationTokensCarryTheAddress) {
    const auto token = auth.create_email_verification_token(*dir.find_id("user-456"), "bob@example.com");
    const auto p = auth.verify(token, TokenType::email_verification);
    EXPECT_EQ(p.sub, "user-456");
    EXPECT_EQ(p.extra["email"], "bob@example.com");
    EXPECT_EQ(p.exp - p.iat, 24 * 3600);
    EXPECT_THROW(auth.verify(token), fauth::InvalidToken);
}

TEST_F(ProviderTest, BadConfigurationFailsFastAtConstruction) {
    auto c = test_config();
    c.tokens.secret_key = "short";
    auto loader = [](const TokenPayload&) { return std::optional<User>(); };
    EXPECT_THROW((AuthProvider<User>{c, loader}), fauth::ConfigError);
    std::function<std::optional<User>(const TokenPayload&)> empty;
    EXPECT_THROW((AuthProvider<User>{test_config(), empty}), fauth::ConfigError);
}

TEST_F(ProviderTest, APendingLogoutSurvivesTheProviderBeingDestroyed) {
    // The user_loader answers after the provider is gone; logout then still revokes through the
    // Redis store, whose reply arrives on a Redis thread while the provider's last state is let go
    // of on this one: that state waits for the reply instead of being freed under it.
    auto store = fauth::test::fresh_redis_store();
    // The loader runs on a Redis callback thread: the resolver it keeps is handed over under a lock.
    std::mutex m;
    std::condition_variable asked;
    std::shared_ptr<Pistache::Async::Resolver> held;
    std::optional<Pistache::Async::Promise<void>> pending;
    std::string token;
    AuthConfig c = test_config();
    c.revocation_store = store;
    {
        AuthProvider<User> shortlived{c, [&](const TokenPayload&) {
                                          return LoadResult<User>([&](Pistache::Async::Resolver& r, Pistache::Async::Rejection&) {
                                              {
                                                  std::lock_guard lock(m);
                                                  held = std::make_shared<Pistache::Async::Resolver>(std::move(r));
                                              }
                                              asked.notify_all();
                                          });
                                      }};
        token = shortlived.login("user-123").access_token;
        pending.emplace(shortlived.logout(token));
        std::unique_lock lock(m);
        ASSERT_TRUE(asked.wait_for(lock, std::chrono::seconds(5), [&] { return held != nullptr; })) << "the loader was asked";
    }
    (*held)(dir.find_id("user-123"));
    held.reset();
    await(*pending);
    AuthProvider<User> later{c, [&](const TokenPayload& p) { return dir.find_id(p.sub); }};
    auto after = later.resolve_user(token);
    const auto refused = settle(after);
    EXPECT_EQ(error_text(refused, true), "Invalid token");
    EXPECT_EQ(error_text(refused, false), "Invalid token: token revoked");
}

TEST_F(ProviderTest, APendingLoginSurvivesTheProviderBeingDestroyed) {
    std::shared_ptr<Pistache::Async::Resolver> held;
    std::optional<AuthProvider<User>::UserPromise> pending;
    {
        AuthProvider<User> shortlived{test_config(), [](const TokenPayload&) { return std::optional<User>(); },
                                      [&](const std::string&) {
                                          return LoadResult<User>([&](Pistache::Async::Resolver& r, Pistache::Async::Rejection&) {
                                              held = std::make_shared<Pistache::Async::Resolver>(std::move(r));
                                          });
                                      }};
        pending.emplace(shortlived.authenticate("alice", "s3cret"));
    }
    (*held)(dir.find_name("alice"));  // the database answers after the provider is gone
    EXPECT_EQ(await(*pending).username, "alice");
}

namespace {

// A key ring whose fetches end only when the test says so, on the test's thread.
class HeldFetchRing : public fauth::KeyRing {
public:
    using fauth::KeyRing::KeyRing;
    void refresh_for(std::string, std::function<void(bool)> done) override {
        const std::lock_guard lock(mutex_);
        waiting_.push_back(std::move(done));
    }
    std::size_t waiting() const {
        const std::lock_guard lock(mutex_);
        return waiting_.size();
    }
    // Loads `keys` and ends every fetch under way.
    void finish(fauth::KeySet keys) {
        replace(std::move(keys));
        std::vector<std::function<void(bool)>> ended;
        {
            const std::lock_guard lock(mutex_);
            ended.swap(waiting_);
        }
        for (auto& done : ended) done(true);
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::function<void(bool)>> waiting_;
};

}  // namespace

TEST(KeyFetch, YourCodeContinuesOnACallbackThreadAndOnlySoManyRequestsMayWait) {
    const auto known_key = fauth::Key::generate("EdDSA", "k1");
    const auto new_key = fauth::Key::generate("EdDSA", "k2");
    fauth::KeySet issuer_keys;
    issuer_keys.add(new_key).sign_with("k2");
    fauth::AuthConfig issuer_config;
    issuer_config.tokens.keys = std::make_shared<fauth::KeyRing>(issuer_keys);
    const fauth::TokenCodec issuer(issuer_config.tokens);

    fauth::KeySet known;
    known.add(known_key).sign_with("k1");
    auto ring = std::make_shared<HeldFetchRing>(known);
    fauth::AuthConfig c;
    c.tokens.keys = ring;
    c.max_key_fetch_waits = 1;
    std::mutex m;
    std::vector<std::string> loader_threads;
    AuthProvider<User> auth{c, [&](const TokenPayload& p) {
                                char name[16] = {};
                                ::pthread_getname_np(::pthread_self(), name, sizeof name);
                                const std::lock_guard lock(m);
                                loader_threads.emplace_back(name);
                                return std::optional<User>(User{p.sub, p.sub, "", true, {}, {}});
                            }};

    auto first = auth.resolve_user(issuer.issue(TokenType::access, "user-2"));
    EXPECT_EQ(ring->waiting(), 1u) << "the unknown kid asked the ring to fetch";
    auto second_promise = auth.resolve_user(issuer.issue(TokenType::access, "user-3"));
    const auto second = settle(second_promise);
    EXPECT_EQ(error_kind(second), fauth::ErrorKind::unavailable) << "no room to wait: refused at once";
    EXPECT_EQ(ring->waiting(), 1u) << "the refused one asked for no fetch";

    fauth::KeySet both = known;
    both.add(new_key);
    ring->finish(both);
    const auto resolved = settle(first);
    ASSERT_FALSE(resolved.error);
    EXPECT_EQ(resolved.value->id, "user-2");
    {
        const std::lock_guard lock(m);
        ASSERT_EQ(loader_threads.size(), 1u);
        EXPECT_EQ(loader_threads[0], "fauth-callback") << "not the fetching thread (here the test's), not a password worker";
    }
    // The key is known now: no fetch, no wait, and room to wait again.
    auto third_promise = auth.resolve_user(issuer.issue(TokenType::access, "user-4"));
    const auto third = settle(third_promise);
    ASSERT_FALSE(third.error);
    EXPECT_EQ(ring->waiting(), 0u);
}
