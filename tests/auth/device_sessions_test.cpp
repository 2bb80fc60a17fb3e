// Sessions per device (issue 36, point 3): what a session records (client, User-Agent, start,
// last refresh, origin, tags), listing a user's live sessions, ending one, all but one, every one
// with a tag, and the bound per user; run against every revocation store: memory and a real
// redis-server.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fauth/auth/provider.hpp"
#include "fauth/core/clock.hpp"
#include "support/await.hpp"
#include "support/stores.hpp"
#include "support/user.hpp"

using fauth::SessionDevice;
using fauth::SessionRecord;
using fauth::TokenType;
using fauth::test::await;
using fauth::test::StoreKind;
using fauth::test::User;

namespace {

// The kind of the failure `settled` holds (a failure is expected).
template <class T>
fauth::ErrorKind kind_of(const fauth::test::Outcome<T>& settled) {
    if (!settled.error) {
        ADD_FAILURE() << "expected a failure";
        return fauth::ErrorKind::internal;
    }
    try {
        std::rethrow_exception(settled.error);
    } catch (const fauth::Error& e) {
        return e.kind();
    }
}

constexpr std::size_t kBound = 3;

// The stores, each bounded to kBound sessions per user.
std::vector<StoreKind> bounded_stores() {
    return {{"memory",
             [](fauth::Clock clock) {
                 return std::make_shared<fauth::MemoryRevocationStore>(
                     fauth::MemoryRevocationStore::Options{.max_sessions_per_subject = kBound, .clock = clock});
             }},
            {"redis",
             [](fauth::Clock) {
                 fauth::RedisStoreOptions options;
                 options.max_sessions_per_subject = kBound;
                 return fauth::test::fresh_redis_store(options);
             },
             true}};
}

class DeviceSessions : public ::testing::TestWithParam<StoreKind> {
protected:
    fauth::test::TestClock clock;
    std::shared_ptr<fauth::RevocationStore> store = GetParam().make(clock.clock());
    fauth::AuthProvider<User> auth{config(), [](const fauth::TokenPayload& p) -> std::optional<User> {
                                       return User{p.sub, p.sub, "", true, {}, {}};
                                   }};
    User alice{"user-a", "alice", "", true, {}, {}};
    User bob{"user-b", "bob", "", true, {}, {}};

    fauth::AuthConfig config() {
        fauth::AuthConfig c;
        c.tokens.secret_key = "device-sessions-test-secret-32-b!";
        c.bcrypt_cost = 4;
        c.tokens.clock = clock.clock();
        c.revocation_store = store;
        return c;
    }
    // A session of `user` opened from `client` with `agent`.
    fauth::TokenResponse open(const User& user, std::string client, std::string agent = "agent",
                              std::vector<std::string> tags = {}) {
        return await(auth.open_session(user, fauth::Engine::Proof::password,
                                       SessionDevice{std::move(client), std::move(agent), {}, {}, std::move(tags)}));
    }
    std::vector<SessionRecord> listed(const std::string& sub) { return await(auth.sessions(sub)); }
    std::string family_of(const fauth::TokenResponse& tokens) { return auth.verify(tokens.access_token).family.str(); }
    bool works(const std::string& access) {
        auto p = auth.resolve_user(access);
        return !fauth::test::settle(p).error;
    }
    bool refreshes(const std::string& refresh) {
        auto p = auth.refresh(refresh);
        return !fauth::test::settle(p).error;
    }
};

class BoundedSessions : public DeviceSessions {};

}  // namespace

TEST_P(DeviceSessions, ALoginRecordsItsDeviceBeforeItsTokensAreAnswered) {
    const auto tokens =
        await(auth.open_session(alice, fauth::Engine::Proof::password,
                                SessionDevice{"203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "laptop", {}, {}}));
    const auto access = auth.verify(tokens.access_token);
    EXPECT_TRUE(access.fresh);
    const auto sessions = listed("user-a");
    ASSERT_EQ(sessions.size(), 1u);
    const auto& s = sessions[0];
    EXPECT_EQ(s.id, access.family.str());
    EXPECT_EQ(s.id, tokens.family);
    EXPECT_EQ(s.sub, "user-a");
    EXPECT_EQ(s.started_us, access.session_started_us());
    EXPECT_EQ(s.refreshed_us, s.started_us);
    EXPECT_EQ(s.expires_at, fauth::second_of(s.started_us) + 30 * 24 * 3600) << "the default session_lifetime";
    EXPECT_EQ(s.client, "203.0.113.7");
    EXPECT_EQ(s.user_agent, "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0");
    EXPECT_EQ(s.label, "laptop");
    EXPECT_EQ(s.origin, "password");
    EXPECT_TRUE(s.tags.empty());
    EXPECT_TRUE(listed("user-b").empty());
    // Without a password, the origin is the application's.
    await(auth.open_session(bob, fauth::Engine::Proof::none, SessionDevice{"198.51.100.1", {}, {}, {}, {}}));
    ASSERT_EQ(listed("user-b").size(), 1u);
    EXPECT_EQ(listed("user-b")[0].origin, "app");
    EXPECT_EQ(listed("user-b")[0].user_agent, "");
}

TEST_P(DeviceSessions, ARefreshRecordsItsTimeAndClientAndComesFirst) {
    const auto first = open(alice, "203.0.113.7", "phone");
    clock.advance(std::chrono::seconds(5));
    const auto second = open(alice, "203.0.113.8", "desktop");
    clock.advance(std::chrono::seconds(5));
    ASSERT_EQ(listed("user-a").size(), 2u);
    EXPECT_EQ(listed("user-a")[0].id, family_of(second)) << "the most recently refreshed (here: begun) first";
    const auto renewed = await(auth.refresh(first.refresh_token, fauth::detail::NoCheck{}, "198.51.100.9"));
    const auto renewed_at = auth.verify(renewed.refresh_token, TokenType::refresh).issued_at_us();
    const auto sessions = listed("user-a");
    ASSERT_EQ(sessions.size(), 2u);
    EXPECT_EQ(sessions[0].id, family_of(first));
    EXPECT_EQ(sessions[0].client, "198.51.100.9");
    EXPECT_EQ(sessions[0].user_agent, "phone") << "the login's, kept";
    EXPECT_EQ(sessions[0].refreshed_us, renewed_at);
    EXPECT_GT(sessions[0].refreshed_us, sessions[0].started_us + 9'000'000);
    EXPECT_EQ(sessions[1].id, family_of(second));
    EXPECT_EQ(sessions[1].client, "203.0.113.8");
    // A refresh without a client keeps the last one.
    await(auth.refresh(renewed.refresh_token));
    EXPECT_EQ(listed("user-a")[0].client, "198.51.100.9");
}

TEST_P(DeviceSessions, AUserEndsOnlyTheirOwnSessionById) {
    const auto mine = open(alice, "203.0.113.7");
    const auto theirs = open(bob, "203.0.113.9");
    const auto id = family_of(mine);
    EXPECT_FALSE(await(auth.end_session("user-b", id))) << "bob cannot end alice's session by its id";
    EXPECT_TRUE(works(mine.access_token));
    EXPECT_EQ(listed("user-a").size(), 1u);
    EXPECT_FALSE(await(auth.end_session("user-a", "no-such-session")));
    EXPECT_TRUE(await(auth.end_session("user-a", id)));
    EXPECT_FALSE(works(mine.access_token));
    EXPECT_FALSE(refreshes(mine.refresh_token));
    EXPECT_TRUE(listed("user-a").empty());
    EXPECT_FALSE(await(auth.end_session("user-a", id))) << "ended already";
    EXPECT_TRUE(works(theirs.access_token));
    EXPECT_EQ(listed("user-b").size(), 1u);
}

TEST_P(DeviceSessions, EndingTheOthersKeepsTheCurrentOne) {
    const auto a = open(alice, "203.0.113.1");
    const auto b = open(alice, "203.0.113.2");
    const auto current = open(alice, "203.0.113.3");
    const auto other_user = open(bob, "203.0.113.4");
    EXPECT_EQ(await(auth.end_other_sessions("user-a", family_of(current))), 2u);
    EXPECT_FALSE(works(a.access_token));
    EXPECT_FALSE(works(b.access_token));
    EXPECT_TRUE(works(current.access_token));
    EXPECT_TRUE(refreshes(current.refresh_token));
    EXPECT_TRUE(works(other_user.access_token));
    const auto left = listed("user-a");
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].id, family_of(current));
    EXPECT_EQ(await(auth.end_other_sessions("user-a", family_of(current))), 0u);
}

TEST_P(DeviceSessions, LogoutAndRevokeAllTakeSessionsOffTheList) {
    const auto a = open(alice, "203.0.113.1");
    const auto b = open(alice, "203.0.113.2");
    await(auth.logout(a.access_token));
    auto sessions = listed("user-a");
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].id, family_of(b));
    EXPECT_FALSE(await(auth.end_session("user-a", family_of(a)))) << "a logged-out session is no live one";
    await(auth.revoke_all("user-a"));
    EXPECT_TRUE(listed("user-a").empty());
    const auto after = open(alice, "203.0.113.3");
    sessions = listed("user-a");
    ASSERT_EQ(sessions.size(), 1u) << "a session begun after revoke_all is listed";
    EXPECT_EQ(sessions[0].id, family_of(after));
}

TEST_P(DeviceSessions, EndTaggedEndsEverySessionWithTheTagWhoeversItIs) {
    const auto a = open(alice, "203.0.113.1", "agent", {"oidc-sid:abc", "other"});
    const auto b = open(bob, "203.0.113.2", "agent", {"oidc-sid:abc"});
    const auto c = open(alice, "203.0.113.3", "agent", {"oidc-sid:def"});
    EXPECT_EQ(listed("user-a")[1].tags, (std::vector<std::string>{"oidc-sid:abc", "other"}));
    EXPECT_EQ(await(auth.end_tagged("oidc-sid:abc")), 2u);
    EXPECT_FALSE(works(a.access_token));
    EXPECT_FALSE(works(b.access_token));
    EXPECT_TRUE(works(c.access_token));
    EXPECT_EQ(await(auth.end_tagged("oidc-sid:abc")), 0u);
    EXPECT_EQ(await(auth.end_tagged("other")), 0u) << "a's other tag went with it";
    EXPECT_EQ(await(auth.end_tagged("never-used")), 0u);
    ASSERT_EQ(listed("user-a").size(), 1u);
    EXPECT_EQ(listed("user-a")[0].id, family_of(c));
}

TEST_P(DeviceSessions, TagsBeyondTheBoundsAreRefusedAndNothingIsRecorded) {
    auto too_many = fauth::test::settle(auth.open_session(alice, fauth::Engine::Proof::password,
                                                          SessionDevice{"203.0.113.1", {}, {}, {}, {"1", "2", "3", "4", "5"}}));
    EXPECT_EQ(kind_of(too_many), fauth::ErrorKind::internal);
    auto too_long = fauth::test::settle(auth.open_session(alice, fauth::Engine::Proof::password,
                                                          SessionDevice{"203.0.113.1", {}, {}, {}, {std::string(129, 't')}}));
    EXPECT_EQ(kind_of(too_long), fauth::ErrorKind::internal);
    EXPECT_TRUE(listed("user-a").empty());
    open(alice, "203.0.113.1", "agent", {"a", "b", "c", std::string(128, 'd')});
    EXPECT_EQ(listed("user-a").size(), 1u);
}

TEST_P(DeviceSessions, TheUserAgentAndLabelAreBoundedAndControlCharactersReplaced) {
    std::string agent = "Agent\r\nX-Injected: 1\t";
    agent += std::string(300, 'a');
    await(auth.open_session(alice, fauth::Engine::Proof::password,
                            SessionDevice{"203.0.113.1", agent, std::string(100, 'l'), {}, {}}));
    const auto s = listed("user-a").at(0);
    EXPECT_EQ(s.user_agent.size(), 256u);
    EXPECT_EQ(s.user_agent.substr(0, 22), "Agent??X-Injected: 1?a");
    EXPECT_EQ(s.label, std::string(64, 'l'));
}

TEST_P(BoundedSessions, BeyondTheBoundTheLeastRecentlyRefreshedSessionEnds) {
    const auto first = open(alice, "203.0.113.1");
    clock.advance(std::chrono::seconds(1));
    const auto second = open(alice, "203.0.113.2");
    clock.advance(std::chrono::seconds(1));
    const auto third = open(alice, "203.0.113.3");
    clock.advance(std::chrono::seconds(1));
    // The first is refreshed: the second is now the least recently refreshed.
    const auto first_renewed = await(auth.refresh(first.refresh_token));
    clock.advance(std::chrono::seconds(1));
    const auto fourth = open(alice, "203.0.113.4");
    const auto sessions = listed("user-a");
    ASSERT_EQ(sessions.size(), kBound);
    EXPECT_EQ(sessions[0].id, family_of(fourth));
    EXPECT_EQ(sessions[1].id, family_of(first));
    EXPECT_EQ(sessions[2].id, family_of(third));
    EXPECT_FALSE(works(second.access_token)) << "ended to make room";
    EXPECT_FALSE(refreshes(second.refresh_token));
    EXPECT_TRUE(works(first_renewed.access_token));
    EXPECT_TRUE(works(third.access_token));
    EXPECT_TRUE(works(fourth.access_token));
    // Another user is not affected by alice's bound.
    const auto other = open(bob, "203.0.113.9");
    EXPECT_TRUE(works(other.access_token));
    EXPECT_EQ(listed("user-b").size(), 1u);
}

TEST_P(BoundedSessions, SessionsAlreadyOverMakeRoomBeforeALiveOneIsEnded) {
    const auto a = open(alice, "203.0.113.1");
    const auto b = open(alice, "203.0.113.2");
    const auto c = open(alice, "203.0.113.3");
    await(auth.logout(b.access_token));
    const auto d = open(alice, "203.0.113.4");
    EXPECT_TRUE(works(a.access_token)) << "the logged-out one made the room";
    EXPECT_TRUE(works(c.access_token));
    EXPECT_TRUE(works(d.access_token));
    EXPECT_EQ(listed("user-a").size(), kBound);
}

INSTANTIATE_TEST_SUITE_P(Stores, DeviceSessions, ::testing::ValuesIn(fauth::test::store_kinds()),
                         [](const auto& kind) { return kind.param.name; });
INSTANTIATE_TEST_SUITE_P(Stores, BoundedSessions, ::testing::ValuesIn(bounded_stores()),
                         [](const auto& kind) { return kind.param.name; });

TEST(DeviceSessionsMemory, ASessionLeavesTheListWhenItsTokensOrItsLifetimeAreOver) {
    fauth::test::TestClock clock;
    auto store = std::make_shared<fauth::MemoryRevocationStore>(fauth::MemoryRevocationStore::Options{.clock = clock.clock()});
    fauth::AuthConfig c;
    c.tokens.secret_key = "device-sessions-test-secret-32-b!";
    c.bcrypt_cost = 4;
    c.tokens.clock = clock.clock();
    c.tokens.refresh_token_ttl = std::chrono::hours(1);
    c.session_lifetime = std::chrono::hours(3);
    c.revocation_store = store;
    fauth::AuthProvider<User> auth{c, [](const fauth::TokenPayload& p) -> std::optional<User> {
                                       return User{p.sub, p.sub, "", true, {}, {}};
                                   }};
    const User alice{"user-a", "alice", "", true, {}, {}};
    const SessionDevice device{"203.0.113.1", {}, {}, {}, {}};
    auto idle = await(auth.open_session(alice, fauth::Engine::Proof::password, device));
    auto kept = await(auth.open_session(alice, fauth::Engine::Proof::password, device));
    // An hour and a bit: the idle one's refresh token (and leeway) is over; the other was refreshed.
    clock.advance(std::chrono::minutes(50));
    kept = await(auth.refresh(kept.refresh_token));
    clock.advance(std::chrono::minutes(15));
    auto sessions = await(auth.sessions("user-a"));
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].id, auth.verify(kept.refresh_token, TokenType::refresh).family.str());
    // Refreshed every 50 minutes, it still ends with its lifetime.
    for (int i = 0; i < 3; ++i) {
        clock.advance(std::chrono::minutes(50));
        auto p = auth.refresh(kept.refresh_token);
        auto settled = fauth::test::settle(p);
        if (settled.error) break;
        kept = *settled.value;
    }
    EXPECT_TRUE(await(auth.sessions("user-a")).empty());
}

TEST(DeviceSessionsMemory, AStoreWithoutASessionListStillSignsInAndSaysItKeepsNone) {
    // A store of yours written before session lists: only the pure virtuals.
    class Plain final : public fauth::RevocationStore {
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
        fauth::MemoryRevocationStore inner;
    };
    fauth::AuthConfig c;
    c.tokens.secret_key = "device-sessions-test-secret-32-b!";
    c.bcrypt_cost = 4;
    c.revocation_store = std::make_shared<Plain>();
    fauth::AuthProvider<User> auth{c, [](const fauth::TokenPayload& p) -> std::optional<User> {
                                       return User{p.sub, p.sub, "", true, {}, {}};
                                   }};
    EXPECT_FALSE(auth.revocation_store().keeps_sessions());
    const User alice{"user-a", "alice", "", true, {}, {}};
    const auto tokens =
        await(auth.open_session(alice, fauth::Engine::Proof::password, SessionDevice{"203.0.113.1", {}, {}, {}, {}}));
    EXPECT_EQ(auth.verify(tokens.access_token).sub, "user-a");
    EXPECT_NO_THROW(await(auth.refresh(tokens.refresh_token)));
    auto listed = auth.sessions("user-a");
    EXPECT_EQ(kind_of(fauth::test::settle(listed)), fauth::ErrorKind::internal);
}

TEST(SessionRecordBounds, CutNeverInsideAUtf8Sequence) {
    // 255 ASCII bytes then "é" (2 bytes): the cut at 256 would split it, so it is left out.
    SessionRecord record;
    record.user_agent = std::string(255, 'a') + "\xc3\xa9" + "z";
    record.client = std::string(200, '1');
    const auto bounded = fauth::bounded_session(record);
    EXPECT_EQ(bounded.user_agent, std::string(255, 'a'));
    EXPECT_EQ(bounded.client.size(), fauth::kSessionClientBytes);
    record.user_agent = std::string(254, 'a') + "\xc3\xa9" + "z";
    EXPECT_EQ(fauth::bounded_session(record).user_agent, std::string(254, 'a') + "\xc3\xa9");
    record.user_agent = std::string(
        "a\x7f"
        "b\x01",
        4);
    EXPECT_EQ(fauth::bounded_session(record).user_agent, "a?b?");
}
