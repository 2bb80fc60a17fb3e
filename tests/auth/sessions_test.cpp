// Sessions that can end (refresh rotation, reuse detection, logout, revoke_all), run against
// every revocation store: memory and a real redis-server.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "fauth/auth/provider.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "support/await.hpp"
#include "support/stores.hpp"
#include "support/user.hpp"

using fauth::TokenType;
using fauth::test::await;
using fauth::test::StoreKind;
using fauth::test::User;
using nlohmann::json;

namespace {

// The kind of `p`'s rejection; `reason` gets its log reason (what()), which says more than the
// client's fixed detail.
template <class T>
fauth::ErrorKind kind_of(Pistache::Async::Promise<T>& p, std::string* reason = nullptr) {
    const auto outcome = fauth::test::settle(p);
    if (!outcome.error) {
        ADD_FAILURE() << "expected a rejection";
        return fauth::ErrorKind::internal;
    }
    try {
        std::rethrow_exception(outcome.error);
    } catch (const fauth::Error& e) {
        if (reason) *reason = e.what();
        if (e.kind() == fauth::ErrorKind::invalid_token) {
            EXPECT_EQ(e.detail(), "Invalid token") << "whatever failed";
        }
        return e.kind();
    }
}

// A provider's configuration for these tests, on `clock`.
fauth::AuthConfig base_config(const fauth::test::TestClock& clock) {
    fauth::AuthConfig c;
    c.tokens.secret_key = "sessions-test-secret-of-32-bytes!";
    c.bcrypt_cost = 4;
    c.tokens.clock = clock.clock();
    return c;
}

// Every subject is an active user of that id.
std::optional<User> anyone(const fauth::TokenPayload& p) { return User{p.sub, p.sub, "", true, {}, {}}; }

class Sessions : public ::testing::TestWithParam<StoreKind> {
protected:
    std::mutex m;
    std::map<std::string, User> users{{"user-123", {"user-123", "alice", "", true, {"admin"}, {}}},
                                      {"user-456", {"user-456", "bob", "", true, {}, {}}}};
    fauth::test::TestClock clock;
    std::shared_ptr<fauth::RevocationStore> store = GetParam().make(clock.clock());
    std::vector<std::string> logs;
    fauth::AuthProvider<User> auth{config(), [this](const fauth::TokenPayload& p) -> std::optional<User> {
                                       std::lock_guard lock(m);
                                       auto it = users.find(p.sub);
                                       return it == users.end() ? std::nullopt : std::optional<User>(it->second);
                                   }};

    fauth::AuthConfig config() {
        auto c = base_config(clock);
        c.revocation_store = store;
        c.tokens.log = [this](std::string_view line) {
            std::lock_guard lock(m);
            logs.emplace_back(line);
        };
        return c;
    }
    bool works(const std::string& access) {
        auto p = auth.resolve_user(access);
        return !fauth::test::settle(p).error;
    }
};

}  // namespace

TEST_P(Sessions, RefreshRotatesAndKeepsScopesExtrasAndFamily) {
    auth.set_login_claims({.scopes =
                               [](const User&) {
                                   return std::vector<std::string>{"read", "write"};
                               },
                           .extra =
                               [](const User&) {
                                   return json{{"tenant", "acme"}};
                               }});
    const auto first = auth.login("user-123", {"read", "write"}, json{{"tenant", "acme"}});
    const auto second = await(auth.refresh(first.refresh_token));
    EXPECT_NE(second.access_token, first.access_token);
    EXPECT_NE(second.refresh_token, first.refresh_token);
    EXPECT_EQ(second.token_type, "bearer");
    const auto a1 = auth.verify(first.access_token), a2 = auth.verify(second.access_token);
    const auto r2 = auth.verify(second.refresh_token, TokenType::refresh);
    for (const auto& p : {a2, r2}) {
        EXPECT_EQ(p.sub, "user-123");
        EXPECT_EQ(p.scopes, (std::vector<std::string>{"read", "write"}));
        EXPECT_EQ(p.extra, (json{{"tenant", "acme"}}));
        EXPECT_EQ(p.family, a1.family);
    }
    EXPECT_FALSE(a1.family.empty());
    EXPECT_NE(auth.login("user-123").refresh_token, first.refresh_token);
    EXPECT_NE(auth.verify(auth.login("user-123").access_token).family, a1.family) << "each login is its own family";
    EXPECT_TRUE(works(second.access_token));
    // And the new refresh token refreshes in turn.
    EXPECT_NO_THROW(await(auth.refresh(second.refresh_token)));
}

TEST_P(Sessions, RefreshComputesTheClaimsAgainFromTheUserAsItIsNow) {
    auth.set_login_claims({.scopes = [](const User& u) { return u.permissions; },
                           .extra =
                               [](const User& u) {
                                   return json{{"roles", u.roles}};
                               }});
    User alice;
    {
        std::lock_guard lock(m);
        users["user-123"].permissions = {"write"};
        alice = users["user-123"];
    }
    const auto login = auth.sign_in(alice);
    EXPECT_EQ(auth.verify(login.access_token).extra["roles"], json::array({"admin"}));
    EXPECT_EQ(auth.verify(login.access_token).scopes, std::vector<std::string>{"write"});
    {
        std::lock_guard lock(m);  // alice is demoted
        users["user-123"].roles.clear();
        users["user-123"].permissions.clear();
    }
    const auto next = await(auth.refresh(login.refresh_token));
    for (const auto& p : {auth.verify(next.access_token), auth.verify(next.refresh_token, TokenType::refresh)}) {
        EXPECT_EQ(p.extra["roles"], json::array()) << "the admin role is gone from the next pair";
        EXPECT_TRUE(p.scopes.empty());
    }
    // Claims given to login() directly are not carried over either: refresh asks the functions.
    const auto direct = auth.login("user-456", {"read"}, json{{"roles", {"admin"}}});
    const auto renewed = auth.verify(await(auth.refresh(direct.refresh_token)).access_token);
    EXPECT_TRUE(renewed.scopes.empty());
    EXPECT_EQ(renewed.extra, (json{{"roles", json::array()}}));
}

TEST_P(Sessions, OnlyAPasswordLoginIssuesAFreshToken) {
    User alice;
    {
        std::lock_guard lock(m);
        alice = users["user-123"];
    }
    const auto signed_in = auth.sign_in(alice);  // what the login endpoint does once the password is checked
    EXPECT_TRUE(auth.verify(signed_in.access_token).fresh);
    EXPECT_FALSE(auth.verify(signed_in.refresh_token, TokenType::refresh).fresh) << "a refresh token is never fresh";
    const auto refreshed = await(auth.refresh(signed_in.refresh_token));
    EXPECT_FALSE(auth.verify(refreshed.access_token).fresh) << "refresh does not prove the password again";
    EXPECT_FALSE(auth.verify(await(auth.refresh(refreshed.refresh_token)).access_token).fresh);
    EXPECT_FALSE(auth.verify(auth.login("user-123").access_token).fresh) << "a session the application starts itself";
    EXPECT_EQ(auth.verify(signed_in.access_token).family, signed_in.family);
}

TEST_P(Sessions, ASessionEndsAfterItsLifetimeHoweverOftenItIsRefreshed) {
    const auto login = auth.login("user-123");
    const auto started = auth.verify(login.access_token).auth_time;
    ASSERT_TRUE(started.has_value());
    auto refresh_token = login.refresh_token;
    for (int day = 6; day < 30; day += 6) {  // refreshed every six days, well within the refresh lifetime
        clock.advance(std::chrono::hours(24 * 6));
        const auto next = await(auth.refresh(refresh_token));
        EXPECT_EQ(auth.verify(next.access_token).auth_time, started) << "the session's start travels with it";
        refresh_token = next.refresh_token;
    }
    clock.advance(std::chrono::hours(24 * 6));  // day 30: the default session lifetime has passed
    auto late = auth.refresh(refresh_token);
    std::string reason;
    EXPECT_EQ(kind_of(late, &reason), fauth::ErrorKind::session_expired);
    EXPECT_EQ(reason, "Session expired");
    EXPECT_TRUE(works(auth.login("user-123").access_token)) << "logging in again starts a new session";
}

TEST_P(Sessions, ReusingARefreshTokenRevokesTheWholeFamily) {
    const auto login = auth.login("user-123");
    const auto rotated = await(auth.refresh(login.refresh_token));
    clock.advance(config().refresh_repeat_grace + std::chrono::milliseconds(1));
    auto reuse = auth.refresh(login.refresh_token);  // the thief (or the victim) comes back later
    std::string reason;
    EXPECT_EQ(kind_of(reuse, &reason), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(reason, "Invalid token: refresh token reuse detected");
    // Every descendant is dead too.
    auto descendant = auth.refresh(rotated.refresh_token);
    EXPECT_EQ(kind_of(descendant, &reason), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(reason, "Invalid token: token revoked");
    EXPECT_FALSE(works(rotated.access_token));
    EXPECT_FALSE(works(login.access_token));
    // Other sessions are untouched.
    EXPECT_TRUE(works(auth.login("user-123").access_token));
    bool logged = false;
    for (const auto& l : logs) {
        const auto event = json::parse(l, nullptr, false);
        logged = logged || (event.is_object() && event["event"] == "refresh_reuse" && event["subject"] == "user-123");
    }
    EXPECT_TRUE(logged) << "a refresh_reuse security event";
}

TEST_P(Sessions, OnlyRefreshTokensRefresh) {
    const auto login = auth.login("user-123");
    auto with_access = auth.refresh(login.access_token);
    EXPECT_EQ(kind_of(with_access), fauth::ErrorKind::invalid_token);
    auto garbage = auth.refresh("x.y.z");
    EXPECT_EQ(kind_of(garbage), fauth::ErrorKind::invalid_token);
    auto no_family = auth.refresh(auth.tokens().issue(TokenType::refresh, "user-123"));
    std::string reason;
    EXPECT_EQ(kind_of(no_family, &reason), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(reason, "Invalid token: refresh token has no session family");
}

TEST_P(Sessions, RefreshReloadsTheUser) {
    const auto login = auth.login("user-456");
    {
        std::lock_guard lock(m);
        users["user-456"].is_active = false;
    }
    auto inactive = auth.refresh(login.refresh_token);
    EXPECT_EQ(kind_of(inactive), fauth::ErrorKind::inactive_user);
    const auto ghost = auth.login("ghost");
    auto missing = auth.refresh(ghost.refresh_token);
    EXPECT_EQ(kind_of(missing), fauth::ErrorKind::user_not_found);
}

TEST_P(Sessions, LogoutEndsTheAccessTokenAndItsFamily) {
    const auto login = auth.login("user-123");
    const auto other = auth.login("user-123");
    EXPECT_TRUE(works(login.access_token));
    await(auth.logout(login.access_token));
    EXPECT_FALSE(works(login.access_token));
    auto after = auth.refresh(login.refresh_token);
    std::string reason;
    EXPECT_EQ(kind_of(after, &reason), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(reason, "Invalid token: token revoked");
    EXPECT_TRUE(works(other.access_token)) << "another session of the same user goes on";
    auto bad = auth.logout("not-a-token");
    EXPECT_EQ(kind_of(bad), fauth::ErrorKind::invalid_token);
    // Logout takes the pipeline every guarded request takes: a revoked token, a user who is gone.
    auto again = auth.logout(login.access_token);
    EXPECT_EQ(kind_of(again, &reason), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(reason, "Invalid token: token revoked");
    auto nobody = auth.logout(auth.login("nobody").access_token);
    EXPECT_EQ(kind_of(nobody, &reason), fauth::ErrorKind::user_not_found);
}

TEST_P(Sessions, RevokeAllEndsEverySessionOfOneUser) {
    const auto a = auth.login("user-123"), b = auth.login("user-123"), bob = auth.login("user-456");
    clock.advance(std::chrono::seconds(1));
    await(auth.revoke_all("user-123"));
    EXPECT_FALSE(works(a.access_token));
    EXPECT_FALSE(works(b.access_token));
    auto refresh = auth.refresh(b.refresh_token);
    EXPECT_EQ(kind_of(refresh), fauth::ErrorKind::invalid_token);
    EXPECT_TRUE(works(bob.access_token));
    clock.advance(std::chrono::seconds(1));
    EXPECT_TRUE(works(auth.login("user-123").access_token)) << "logging in again works";
}

TEST_P(Sessions, RevokeAllWithinOneSecondEndsWhatCameBeforeAndSparesWhatCameAfter) {
    // Move to 100 ms into a second, then log in, revoke_all and log in again 1 ms apart.
    const auto into = std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch()).count() % 1'000'000;
    clock.advance(std::chrono::microseconds(1'100'000 - into));
    const auto before = auth.login("user-123");
    const auto reset = auth.create_password_reset_token(User{"user-123", "alice", "", true, {}, {}});
    clock.advance(std::chrono::milliseconds(1));
    await(auth.revoke_all("user-123"));
    clock.advance(std::chrono::milliseconds(1));
    const auto after = auth.login("user-123");
    ASSERT_EQ(auth.verify(before.access_token).iat, auth.verify(after.access_token).iat) << "all in one second";
    EXPECT_FALSE(works(before.access_token));
    auto refresh = auth.refresh(before.refresh_token);
    EXPECT_EQ(kind_of(refresh), fauth::ErrorKind::invalid_token) << "the thief's refresh token of that second is dead";
    auto reset_check = auth.verify_password_reset_token(reset);
    EXPECT_EQ(kind_of(reset_check), fauth::ErrorKind::invalid_token);
    EXPECT_TRUE(works(after.access_token)) << "a token issued after revoke_all returned, in the same second";
    EXPECT_NO_THROW(await(auth.refresh(after.refresh_token)));
}

TEST_P(Sessions, ConcurrentRefreshesOfOneTokenAllGetTheOnePairOneRotationMade) {
    // Two tabs (here eight threads) refreshing the same session at once: one rotation, whose
    // pair every one of them gets, and no theft alarm.
    const auto login = auth.login("user-123");
    std::mutex pairs_mutex;
    std::vector<fauth::TokenResponse> pairs;
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            auto p = auth.refresh(login.refresh_token);
            const auto outcome = fauth::test::settle(p);
            ASSERT_FALSE(outcome.error);
            std::lock_guard lock(pairs_mutex);
            pairs.push_back(*outcome.value);
        });
    for (auto& t : threads) t.join();
    ASSERT_EQ(pairs.size(), 8u);
    for (const auto& p : pairs) {
        EXPECT_EQ(p.access_token, pairs[0].access_token);
        EXPECT_EQ(p.refresh_token, pairs[0].refresh_token);
    }
    EXPECT_TRUE(works(pairs[0].access_token));
    for (const auto& l : logs) EXPECT_EQ(l.find("refresh_reuse"), std::string::npos) << l;
    // The pair's refresh token works once, like any other.
    const auto next = await(auth.refresh(pairs[0].refresh_token));
    clock.advance(config().refresh_repeat_grace + std::chrono::milliseconds(1));
    auto reuse = auth.refresh(pairs[0].refresh_token);
    EXPECT_EQ(kind_of(reuse), fauth::ErrorKind::invalid_token);
    EXPECT_FALSE(works(next.access_token)) << "reuse revoked the family";
}

TEST_P(Sessions, ARepeatGetsTheSamePairOnlyWithinTheGraceAndOnlyForTheNewestToken) {
    const auto login = auth.login("user-123");
    const auto first = await(auth.refresh(login.refresh_token));
    clock.advance(config().refresh_repeat_grace - std::chrono::milliseconds(500));
    const auto repeat = await(auth.refresh(login.refresh_token));
    EXPECT_EQ(repeat.access_token, first.access_token) << "a repeat near the end of the grace gets the same pair";
    EXPECT_EQ(repeat.refresh_token, first.refresh_token);
    const auto second = await(auth.refresh(first.refresh_token));
    auto older = auth.refresh(login.refresh_token);
    std::string reason;
    EXPECT_EQ(kind_of(older, &reason), fauth::ErrorKind::invalid_token) << "a token older than the newest used, however soon";
    EXPECT_EQ(reason, "Invalid token: refresh token reuse detected");
    EXPECT_FALSE(works(second.access_token));

    const auto other = auth.login("user-123");
    const auto rotated = await(auth.refresh(other.refresh_token));
    clock.advance(config().refresh_repeat_grace + std::chrono::milliseconds(1));
    auto late = auth.refresh(other.refresh_token);
    EXPECT_EQ(kind_of(late), fauth::ErrorKind::invalid_token) << "a repeat after the grace is reuse";
    EXPECT_FALSE(works(rotated.access_token));
}

TEST(SessionStorage, WithoutAGraceEveryRepeatIsReuse) {
    fauth::test::TestClock clock;
    auto c = base_config(clock);
    c.refresh_repeat_grace = std::chrono::seconds(0);
    fauth::AuthProvider<User> auth{c, anyone};
    const auto login = auth.login("alice");
    await(auth.refresh(login.refresh_token));
    auto repeat = auth.refresh(login.refresh_token);
    EXPECT_TRUE(fauth::test::settle(repeat).error);
}

// A security-events hook that throws does not stop what reported: the reused token's family is
// still revoked, and the hook's failure goes to the log.
TEST(SessionStorage, AThrowingSecurityEventHookStillRevokesAReusedFamily) {
    fauth::test::TestClock clock;
    auto c = base_config(clock);
    c.refresh_repeat_grace = std::chrono::seconds(0);
    std::vector<std::string> logs;
    c.tokens.log = [&logs](std::string_view line) { logs.emplace_back(line); };
    c.tokens.security_events = [](const fauth::SecurityEvent&) { throw std::runtime_error("the event sink is down"); };
    fauth::AuthProvider<User> auth{c, anyone};
    const auto login = auth.login("alice");
    const auto rotated = await(auth.refresh(login.refresh_token));
    auto reuse = auth.refresh(login.refresh_token);
    std::string reason;
    EXPECT_EQ(kind_of(reuse, &reason), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(reason, "Invalid token: refresh token reuse detected");
    auto descendant = auth.resolve_user(rotated.access_token);
    EXPECT_EQ(kind_of(descendant, &reason), fauth::ErrorKind::invalid_token) << "the family is revoked";
    EXPECT_EQ(reason, "Invalid token: token revoked");
    EXPECT_NE(std::find(logs.begin(), logs.end(), "security_events hook failed: the event sink is down"), logs.end());
}

// One account refreshing without end fills one record, not one per refresh: another user's
// logout still works in a store with room for only a few dozen entries.
TEST(SessionStorage, OneAccountRefreshingTenThousandTimesCannotMakeAnotherUsersLogoutFail) {
    auto store = std::make_shared<fauth::MemoryRevocationStore>(fauth::MemoryRevocationStore::Options{.max_entries = 32});
    fauth::AuthConfig c;
    c.tokens.secret_key = "sessions-test-secret-of-32-bytes!";
    c.bcrypt_cost = 4;
    c.revocation_store = store;
    c.refresh_limits.per_family = {20000, 1};  // this test is about storage, not the throttle
    fauth::AuthProvider<User> auth{c, anyone};
    auto refresh_token = auth.login("mallory").refresh_token;
    for (int i = 0; i < 10000; ++i) refresh_token = await(auth.refresh(refresh_token)).refresh_token;
    EXPECT_EQ(store->size(), 2u) << "one family record and its subject's count";
    const auto bob = auth.login("bob");
    EXPECT_NO_THROW(await(auth.logout(bob.access_token)));
    auto after = auth.resolve_user(bob.access_token);
    EXPECT_TRUE(fauth::test::settle(after).error) << "bob's token is revoked";
}

// revoke_all's record outlives every token it covers, whichever kind lives longest: here an
// email-verification token configured to last 30 days, four times the refresh lifetime.
TEST(SessionStorage, RevokeAllCoversTheLongestLivedTokenType) {
    fauth::test::TestClock clock;
    auto c = base_config(clock);
    c.tokens.email_verification_ttl = std::chrono::hours(24 * 30);
    fauth::AuthProvider<User> auth{c, anyone};
    const User alice{"alice", "alice", "", true, {}, {}};
    const auto verification = auth.create_email_verification_token(alice, "alice@example.org");
    clock.advance(std::chrono::milliseconds(1));
    await(auth.revoke_all("alice"));
    clock.advance(std::chrono::hours(24 * 8));  // past the refresh lifetime (7 days)
    await(auth.revoke_all("someone-else"));     // a write: the memory store sweeps expired entries now
    const auto payload = auth.verify(verification, TokenType::email_verification);
    auto revoked = auth.revocation_store().is_revoked({payload.jti, payload.family, payload.sub, payload.issued_at_us()});
    ASSERT_TRUE(revoked.ready()) << "the memory store answers at once";
    ASSERT_TRUE(revoked.result().ok());
    EXPECT_TRUE(*revoked.result()) << "the email-verification token issued before revoke_all is still refused";
}

// A refresh that passed its revocation check and waits for a slow loader while revoke_all runs:
// the pair it hands out belongs to a session begun before revoke_all, so it is dead on arrival.
TEST_P(Sessions, ARefreshRacingRevokeAllYieldsOnlyRevokedTokens) {
    std::mutex gate;
    std::vector<std::shared_ptr<Pistache::Async::Resolver>> waiting;
    std::atomic<bool> hold{false};
    fauth::AuthProvider<User> slow{config(), [&](const fauth::TokenPayload& p) -> fauth::LoadResult<User> {
                                       User user{p.sub, p.sub, "", true, {}, {}};
                                       if (!hold) return fauth::LoadResult<User>::resolved(std::optional<User>(user));
                                       return fauth::LoadResult<User>(
                                           [&, user](Pistache::Async::Resolver& resolve, Pistache::Async::Rejection&) {
                                               std::lock_guard lock(gate);
                                               waiting.push_back(std::make_shared<Pistache::Async::Resolver>(std::move(resolve)));
                                           });
                                   }};
    const auto stolen = slow.login("user-123");
    hold = true;
    auto racing = slow.refresh(stolen.refresh_token);  // verified, not revoked: now waiting for the loader
    for (int i = 0; i < 2000; ++i) {
        std::lock_guard lock(gate);
        if (!waiting.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    clock.advance(std::chrono::milliseconds(1));
    const auto revoked_at_us = std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch()).count();
    await(slow.revoke_all("user-123"));  // the password was changed
    clock.advance(std::chrono::milliseconds(1));
    hold = false;
    {
        std::lock_guard lock(gate);
        ASSERT_EQ(waiting.size(), 1u);
        (*waiting.front())(std::optional<User>(User{"user-123", "alice", "", true, {}, {}}));
    }
    const auto outcome = fauth::test::settle(racing);
    ASSERT_FALSE(outcome.error) << "the pair is handed out (its token was verified before revoke_all); it must not work";
    {
        const auto& pair = *outcome.value;
        EXPECT_GT(slow.verify(pair.access_token).issued_at_us(), revoked_at_us) << "the race: issued after the cutoff";
        auto access = slow.resolve_user(pair.access_token);
        EXPECT_EQ(kind_of(access), fauth::ErrorKind::invalid_token) << "issued after revoke_all, but of a session before it";
        auto next = slow.refresh(pair.refresh_token);
        EXPECT_EQ(kind_of(next), fauth::ErrorKind::invalid_token);
    }
    auto fresh_login = slow.resolve_user(slow.login("user-123").access_token);
    EXPECT_FALSE(fauth::test::settle(fresh_login).error) << "a session begun after revoke_all works";
}

// The claims functions are your code and may fail: the refresh token is not used up by a refresh
// that fails before the next pair exists, so the client's retry is not taken for reuse.
TEST_P(Sessions, AFailingClaimsFunctionLeavesTheRefreshTokenUsable) {
    std::atomic<int> failures{1};
    auth.set_login_claims({.extra = [&](const User&) -> json {
        if (failures-- > 0) throw std::runtime_error("roles database timed out");
        return json{{"tier", "gold"}};
    }});
    const auto login = auth.login("user-123");
    auto failed = auth.refresh(login.refresh_token);
    EXPECT_EQ(kind_of(failed), fauth::ErrorKind::internal);
    const auto retried = await(auth.refresh(login.refresh_token));
    EXPECT_EQ(auth.verify(retried.access_token).extra["tier"], "gold") << "the retry is not reuse";
    EXPECT_TRUE(works(retried.access_token));
    auth.set_login_claims({.extra = [](const User&) { return json{{"fam", "forged"}}; }});  // a registered name
    const auto second = auth.login("user-456");
    auto refused = auth.refresh(second.refresh_token);
    EXPECT_EQ(kind_of(refused), fauth::ErrorKind::internal);
    auth.set_login_claims({});
    EXPECT_NO_THROW(await(auth.refresh(second.refresh_token))) << "still unused";
}

namespace {

// A token of the shape fauth wrote before its compact one (integer iat and auth_time beside
// iat_us and auth_time_us, 32-hex-digit ids, an empty scopes list), signed with `secret`.
std::string old_shape_token(const std::string& secret, const std::string& type, std::int64_t iat_us, std::int64_t auth_time_us,
                            const std::string& jti, const std::string& family, std::int64_t ttl_seconds) {
    const json claims = {{"sub", "user-123"},
                         {"exp", fauth::second_of(iat_us) + ttl_seconds},
                         {"iat", fauth::second_of(iat_us)},
                         {"iat_us", iat_us},
                         {"auth_time", fauth::second_of(auth_time_us)},
                         {"auth_time_us", auth_time_us},
                         {"jti", jti},
                         {"token_type", type},
                         {"scopes", json::array()},
                         {"fam", family}};
    const auto input = fauth::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + fauth::base64url_encode(claims.dump());
    fauth::detail::HmacKey key("SHA256", secret);
    unsigned char mac[fauth::detail::kMaxMacSize];
    key.compute(input, mac);
    return input + "." + fauth::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), key.size()));
}

struct OldSession {
    std::string access, refresh;
};

// An old-shape session of user-123 that began `ago` before `now_us` and was last refreshed at `now_us`.
OldSession old_session(std::int64_t now_us, std::chrono::seconds ago, const std::string& family) {
    const auto secret = base_config(fauth::test::TestClock()).tokens.secret_key;
    const auto start_us = now_us - std::chrono::duration_cast<std::chrono::microseconds>(ago).count();
    return {old_shape_token(secret, "access", now_us, start_us, "00112233445566778899aabbccddeeff", family, 900),
            old_shape_token(secret, "refresh", now_us, start_us, "ffeeddccbbaa99887766554433221100", family, 7 * 24 * 3600)};
}

std::int64_t now_us(const fauth::test::TestClock& clock) {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch()).count();
}

}  // namespace

TEST_P(Sessions, AnOldShapeSessionRefreshesIntoTheNewShapeInItsFamily) {
    const std::string family = "0123456789abcdef0123456789abcdef";
    const auto issued_us = now_us(clock) - 1'000;
    const auto old = old_session(issued_us, std::chrono::hours(1), family);
    ASSERT_TRUE(works(old.access));
    const auto before = auth.verify(old.access);
    EXPECT_EQ(before.family, family);
    EXPECT_EQ(before.issued_at_us(), issued_us);

    const auto next = await(auth.refresh(old.refresh));
    const auto access = auth.verify(next.access_token);
    const auto refresh = auth.verify(next.refresh_token, TokenType::refresh);
    for (const auto& p : {access, refresh}) {
        EXPECT_EQ(p.family, family) << "the family id is kept as it is";
        EXPECT_EQ(p.jti.size(), 22u) << "the new pair has new-shape ids";
        EXPECT_EQ(p.session_started_us(), before.session_started_us()) << "the session's start travels with it";
        EXPECT_GT(p.issued_at_us(), issued_us);
    }
    EXPECT_TRUE(works(next.access_token));
    // A repeat within the grace gets the same pair (its ids derived from the old-shape jti).
    const auto repeat = await(auth.refresh(old.refresh));
    EXPECT_EQ(repeat.access_token, next.access_token);
    EXPECT_EQ(repeat.refresh_token, next.refresh_token);
    // After the grace, the old token again is reuse: the whole family, old and new shape, ends.
    clock.advance(config().refresh_repeat_grace + std::chrono::milliseconds(1));
    auto late = auth.refresh(old.refresh);
    std::string reason;
    EXPECT_EQ(kind_of(late, &reason), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(reason, "Invalid token: refresh token reuse detected");
    EXPECT_FALSE(works(old.access));
    EXPECT_FALSE(works(next.access_token));
}

TEST_P(Sessions, LogoutEndsAnOldShapeSessionAndWhatItWasRefreshedInto) {
    const std::string family = "fedcba9876543210fedcba9876543210";
    const auto old = old_session(now_us(clock) - 1'000, std::chrono::minutes(5), family);
    const auto next = await(auth.refresh(old.refresh));
    await(auth.logout(old.access));
    EXPECT_FALSE(works(old.access));
    EXPECT_FALSE(works(next.access_token)) << "one family, whatever the shape of its tokens";
    auto after = auth.refresh(next.refresh_token);
    std::string reason;
    EXPECT_EQ(kind_of(after, &reason), fauth::ErrorKind::invalid_token);
    EXPECT_EQ(reason, "Invalid token: token revoked");
}

TEST_P(Sessions, RevokeAllEndsOldShapeSessionsToTheMicrosecond) {
    // Old-shape tokens (integer iat and iat_us, auth_time and auth_time_us) on either side of a
    // revoke_all, 1 ms apart in one second: only their microsecond claims tell them apart.
    const auto into = now_us(clock) % 1'000'000;
    clock.advance(std::chrono::microseconds(1'100'000 - into));
    const auto before = old_session(now_us(clock), std::chrono::seconds(0), "00000000000000000000000000000001");
    ASSERT_TRUE(works(before.access));
    clock.advance(std::chrono::milliseconds(1));
    await(auth.revoke_all("user-123"));
    clock.advance(std::chrono::milliseconds(1));
    const auto after = old_session(now_us(clock), std::chrono::seconds(0), "00000000000000000000000000000002");
    ASSERT_EQ(auth.verify(after.access).iat, (now_us(clock) - 1'000) / 1'000'000) << "all in one second";
    EXPECT_FALSE(works(before.access));
    auto refresh = auth.refresh(before.refresh);
    EXPECT_EQ(kind_of(refresh), fauth::ErrorKind::invalid_token);
    EXPECT_TRUE(works(after.access)) << "issued 1 ms after the cutoff, in the same second";
}

TEST(SessionStorage, TheQuickstartsLoginAccessTokenIsAtMost300Bytes) {
    // The quickstart's configuration: an HS256 secret, a password login of user-123 (fresh), no
    // scopes, no extra claims, on the system clock (whose microseconds are rarely zero).
    fauth::AuthConfig config;
    config.tokens.secret_key = std::string(32, 'k');
    config.tokens.algorithm = "HS256";
    const fauth::AuthProvider<User> auth{config, [](const fauth::TokenPayload& p) -> std::optional<User> { return anyone(p); }};
    const User alice{"user-123", "alice", "", true, {"admin"}, {"read", "write"}};
    std::size_t longest = 0;
    std::string example;
    for (int i = 0; i < 50; ++i) {
        const auto login = auth.sign_in(alice, fauth::Engine::Proof::password);
        longest = std::max(longest, login.access_token.size());
        example = login.access_token;
        const auto p = auth.verify(login.access_token);
        EXPECT_TRUE(p.fresh);
        EXPECT_EQ(p.session_started_us(), p.issued_at_us()) << "a login's session begins at its issue";
    }
    EXPECT_LE(longest, 300u);
    std::cout << "quickstart login access token: " << longest << " bytes at most, e.g. " << example << "\n";
}

INSTANTIATE_TEST_SUITE_P(Stores, Sessions, ::testing::ValuesIn(fauth::test::store_kinds()),
                         [](const auto& kind) { return kind.param.name; });

// verify accepts a token until exp + leeway; the records that refuse it must last as long.
TEST(SessionStorage, RecordsOutliveTheLeewayOfTheTokensTheyCover) {
    fauth::test::TestClock clock;
    auto c = base_config(clock);
    c.tokens.leeway = std::chrono::seconds(30);
    fauth::AuthProvider<User> auth{c, anyone};
    const auto logged_out = auth.login("alice");
    await(auth.logout(logged_out.access_token));
    const auto used = auth.login("bob");
    await(auth.refresh(used.refresh_token));
    // 10 s past the refresh tokens' exp: inside the leeway.
    clock.advance(c.tokens.refresh_token_ttl + std::chrono::seconds(10));
    await(auth.revoke_all("someone-else"));  // a write: the memory store sweeps expired entries now
    auto after_logout = auth.refresh(logged_out.refresh_token);
    EXPECT_TRUE(fauth::test::settle(after_logout).error) << "the logged-out session stays ended";
    auto reused = auth.refresh(used.refresh_token);
    EXPECT_TRUE(fauth::test::settle(reused).error) << "a used refresh token stays used";
}

// Within one microsecond of a frozen clock: what revoke_all covers and what it spares.
TEST(SessionStorage, ALoginInTheSameMicrosecondAsRevokeAllSurvivesIt) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)));
    fauth::AuthProvider<User> auth{base_config(clock), anyone};
    const auto before = auth.login("alice");
    await(auth.revoke_all("alice"));
    const auto after = auth.login("alice");
    auto old_one = auth.resolve_user(before.access_token);
    EXPECT_TRUE(fauth::test::settle(old_one).error);
    auto new_one = auth.resolve_user(after.access_token);
    EXPECT_FALSE(fauth::test::settle(new_one).error) << "issued after revoke_all returned, though the clock did not move";
    EXPECT_NO_THROW(await(auth.refresh(after.refresh_token)));
}

// revoke_all with several processes sharing one store (two providers here, each on its own clock,
// as two processes would be): the store's clock, not the caller's, decides which logins came
// before it. Node A's clock agrees with the store's (the system clock, which is also Redis's on
// this machine); node B's lags both by two seconds.
class SeveralProcesses : public ::testing::TestWithParam<StoreKind> {
protected:
    fauth::test::TestClock store_clock;  // the system clock: for Redis, only its TTLs read it
    std::shared_ptr<fauth::RevocationStore> store = GetParam().make(store_clock.clock());

    // A provider on `clock`, sharing the store; its leeway (10 s unless told) covers the nodes'
    // skew, so a token of one node is not refused by another as issued in the future.
    std::unique_ptr<fauth::AuthProvider<User>> node(const fauth::test::TestClock& clock,
                                                    std::chrono::seconds leeway = std::chrono::seconds(10)) {
        auto c = base_config(clock);
        c.revocation_store = store;
        c.tokens.leeway = leeway;
        return std::make_unique<fauth::AuthProvider<User>>(c, anyone);
    }
    static bool works(fauth::AuthProvider<User>& on, const std::string& access) {
        auto p = on.resolve_user(access);
        return !fauth::test::settle(p).error;
    }
    // Whether `access` is refused by `on` as revoked (not for any other reason).
    static bool revoked(fauth::AuthProvider<User>& on, const std::string& access) {
        auto p = on.resolve_user(access);
        std::string detail;
        return kind_of(p, &detail) == fauth::ErrorKind::invalid_token && detail == "Invalid token: token revoked";
    }
    static std::int64_t now_us(const fauth::test::TestClock& clock) {
        return std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch()).count();
    }
};

TEST_P(SeveralProcesses, ALoginOnANodeAheadShortlyBeforeRevokeAllOnALaggingNodeIsRevoked) {
    fauth::test::TestClock in_step;  // A: the store's time
    const auto lagging = fauth::test::TestClock::frozen(std::chrono::system_clock::now() - std::chrono::seconds(2));  // B
    auto a = node(in_step);
    auto b = node(lagging);
    const auto stolen = a->login("user-123");  // a thief's login on A, just before the password change on B
    ASSERT_GT(a->verify(stolen.access_token).issued_at_us(), now_us(lagging)) << "the setting: A's login is later than B's clock";
    await(b->revoke_all("user-123"));
    EXPECT_TRUE(revoked(*a, stolen.access_token)) << "revoked, though issued after the moment B's clock read";
    EXPECT_TRUE(revoked(*b, stolen.access_token));
    auto refresh = a->refresh(stolen.refresh_token);
    EXPECT_EQ(kind_of(refresh), fauth::ErrorKind::invalid_token);

    // After revoke_all returns, logins work on both nodes: on B, whose clock is still behind the
    // cutoff (its tokens are issued after the cutoff B learnt from the store), and on A.
    const auto on_b = b->login("user-123");
    EXPECT_TRUE(works(*b, on_b.access_token)) << "a login on B after revoke_all returned, though B's clock lags the store's";
    EXPECT_TRUE(works(*a, on_b.access_token));
    EXPECT_NO_THROW(await(a->refresh(on_b.refresh_token)));
    const auto on_a = a->login("user-123");
    EXPECT_TRUE(works(*a, on_a.access_token)) << "a login on A after revoke_all returned";
    EXPECT_TRUE(works(*b, on_a.access_token));
}

// The caller's own clock still counts when it is ahead of the store's: revoke_all covers every
// login the calling node made before it, and the lagging node's too.
TEST_P(SeveralProcesses, RevokeAllOnANodeAheadOfTheStoreCoversItsOwnEarlierLogins) {
    fauth::test::TestClock ahead;
    ahead.advance(std::chrono::seconds(3));
    const auto lagging = fauth::test::TestClock::frozen(std::chrono::system_clock::now() - std::chrono::seconds(2));
    auto a = node(ahead);
    auto b = node(lagging);
    const auto on_a = a->login("user-123");
    const auto on_b = b->login("user-123");
    await(a->revoke_all("user-123"));
    EXPECT_TRUE(revoked(*a, on_a.access_token)) << "issued by A before its revoke_all, by a clock ahead of the store's";
    EXPECT_TRUE(revoked(*b, on_b.access_token));
    const auto after = a->login("user-123");
    EXPECT_TRUE(works(*a, after.access_token)) << "a login on A after revoke_all returned";
    EXPECT_TRUE(works(*b, after.access_token));
}

// A node whose clock lags the store's learns the store's cutoff: its tokens after revoke_all are
// stamped past it (iat_us) while their iat stays its own clock's, so that even without leeway it
// does not refuse them as issued in the future.
TEST_P(SeveralProcesses, ANodeLaggingTheStoreCanUseItsOwnLoginsAfterItsRevokeAll) {
    const auto lagging = fauth::test::TestClock::frozen(std::chrono::system_clock::now() - std::chrono::seconds(2));
    auto b = node(lagging, std::chrono::seconds(0));
    const auto before = b->login("user-123");
    await(b->revoke_all("user-123"));
    const auto after = b->login("user-123");
    EXPECT_TRUE(revoked(*b, before.access_token));
    ASSERT_TRUE(works(*b, after.access_token)) << "a login after revoke_all returned, on a clock two seconds behind the store's";
    const auto payload = b->verify(after.access_token);
    EXPECT_GT(payload.issued_at_us(), now_us(lagging) + 1'000'000) << "stamped past the store's cutoff";
    EXPECT_EQ(payload.iat, lagging.seconds()) << "iat is this node's clock's";
    EXPECT_NO_THROW(await(b->refresh(after.refresh_token)));
}

INSTANTIATE_TEST_SUITE_P(Stores, SeveralProcesses, ::testing::ValuesIn(fauth::test::store_kinds()),
                         [](const auto& kind) { return kind.param.name; });
