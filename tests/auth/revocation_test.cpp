// The RevocationStore contract, run against every store (memory and a real redis-server), and
// what is particular to the memory store.
#include "fauth/auth/revocation.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "fauth/core/clock.hpp"
#include "fauth/core/errors.hpp"
#include "support/allocation_counter.hpp"
#include "support/await.hpp"
#include "support/stores.hpp"

using fauth::RevocationQuery;
using fauth::test::await;
using fauth::test::StoreKind;

namespace {

fauth::test::TestClock test_clock;

std::int64_t now() { return test_clock.seconds(); }

bool revoked(fauth::RevocationStore& s, const RevocationQuery& q) { return await(s.is_revoked(q)); }

class StoreContract : public ::testing::TestWithParam<StoreKind> {
protected:
    void SetUp() override {
        // Each case starts on the system clock: the Redis store keeps real time (its TTLs), so a
        // shift an earlier case of the same process gave the test clock would skew the expiries
        // sent to it (EntriesExpireByThemselves/redis failed when the binary ran every case).
        test_clock = fauth::test::TestClock();
        store = GetParam().make(test_clock.clock());
    }
    std::shared_ptr<fauth::RevocationStore> store;
};

}  // namespace

TEST_P(StoreContract, NothingIsRevokedAtFirst) {
    EXPECT_FALSE(revoked(*store, {"jti-1", "fam-1", "user-1", now()}));
    EXPECT_FALSE(revoked(*store, {"jti-1", "", "user-1", now()}));
}

TEST_P(StoreContract, RevokingATokenRevokesThatTokenOnly) {
    await(store->revoke_token("jti-1", now() + 60));
    EXPECT_TRUE(revoked(*store, {"jti-1", "fam-1", "user-1", now()}));
    EXPECT_FALSE(revoked(*store, {"jti-2", "fam-1", "user-1", now()}));
}

TEST_P(StoreContract, RevokingAFamilyRevokesEveryTokenInIt) {
    await(store->revoke_family("fam-1", now() + 60));
    EXPECT_TRUE(revoked(*store, {"jti-1", "fam-1", "user-1", now()}));
    EXPECT_TRUE(revoked(*store, {"jti-9", "fam-1", "user-2", now()}));
    EXPECT_FALSE(revoked(*store, {"jti-1", "fam-2", "user-1", now()}));
    EXPECT_FALSE(revoked(*store, {"jti-1", "", "user-1", now()}));
}

TEST_P(StoreContract, RevokingASubjectRevokesWhatWasIssuedBefore) {
    const auto t = now();
    const auto moment_us = t * 1'000'000 + 500'000;  // half way through second t
    await(store->revoke_subject("user-1", moment_us, t + 60));
    EXPECT_TRUE(revoked(*store, {"a", "f", "user-1", moment_us - 1}));
    EXPECT_FALSE(revoked(*store, {"b", "f", "user-1", moment_us})) << "issued at that microsecond or later survives";
    EXPECT_FALSE(revoked(*store, {"c", "f", "user-2", moment_us - 1}));
    await(store->revoke_subject("user-1", moment_us - 100, t + 60));
    EXPECT_TRUE(revoked(*store, {"d", "f", "user-1", moment_us - 1})) << "a later call never moves the moment back";
}

// revoke_subject_now: the later of the store's clock and the caller's moment, and the cutoff in
// force comes back.
TEST_P(StoreContract, RevokingASubjectUpToNowAnswersTheCutoffInForce) {
    const auto later_us = (now() + 3600) * 1'000'000 + 123;  // an hour ahead of the store's clock
    EXPECT_EQ(await(store->revoke_subject_now("user-1", later_us, now() + 60)), later_us) << "the caller's moment, when later";
    EXPECT_TRUE(revoked(*store, {"a", "f", "user-1", later_us}));
    EXPECT_FALSE(revoked(*store, {"b", "f", "user-1", later_us + 1}));
    EXPECT_FALSE(revoked(*store, {"c", "f", "user-2", later_us})) << "another subject";
    EXPECT_EQ(await(store->revoke_subject_now("user-1", 0, now() + 60)), later_us) << "never moves back: the cutoff in force";
    EXPECT_TRUE(revoked(*store, {"d", "f", "user-1", later_us}));
    EXPECT_FALSE(revoked(*store, {"e", "f", "user-1", later_us + 1}));
}

TEST_P(StoreContract, RevokingASubjectUpToNowReadsTheStoresClock) {
    // The memory store's clock is the one it was given; Redis's is its own (TIME), the system
    // clock of this machine.
    const fauth::Clock store_clock = GetParam().expires_in_real_time ? fauth::Clock{} : test_clock.clock();
    const auto before = fauth::unix_microseconds(store_clock);
    const auto cutoff = await(store->revoke_subject_now("user-1", 0, now() + 60));
    const auto after = fauth::unix_microseconds(store_clock);
    EXPECT_GE(cutoff, before);
    EXPECT_LE(cutoff, after);
    EXPECT_TRUE(revoked(*store, {"a", "f", "user-1", cutoff}));
    EXPECT_FALSE(revoked(*store, {"b", "f", "user-1", cutoff + 1}));
}

TEST_P(StoreContract, ARefreshTokenCanBeUsedOnceAndOnlyForwards) {
    const auto us = now() * 1'000'000;
    // The pair each use is exchanged for is issued 1000 µs after the token it replaces.
    auto use = [&](const char* family, const char* jti, std::int64_t issued) {
        return await(store->use_refresh({family, "user-1", jti, issued, now() + 60, issued + 1000}));
    };
    auto first = [](const fauth::RefreshUseResult& r) { return r.first_use && r.repeat_of_us == 0; };
    auto reuse = [](const fauth::RefreshUseResult& r) { return !r.first_use && r.repeat_of_us == 0; };
    EXPECT_TRUE(first(use("f-1", "r-1", us)));
    const auto again = use("f-1", "r-1", us);
    EXPECT_FALSE(again.first_use) << "the same token again";
    EXPECT_EQ(again.repeat_of_us, us + 1000) << "is a repeat, told the time of the pair its first use got";
    EXPECT_EQ(use("f-1", "r-1", us).repeat_of_us, us + 1000) << "however often";
    EXPECT_TRUE(first(use("f-1", "r-2", us + 5))) << "its successor";
    EXPECT_TRUE(reuse(use("f-1", "r-1", us))) << "an older token of the family: no longer the newest used";
    EXPECT_EQ(use("f-1", "r-2", us + 5).repeat_of_us, us + 1005) << "the successor again is the repeat now";
    EXPECT_TRUE(first(use("f-2", "r-1", us))) << "another family";
    await(store->revoke_family("f-2", now() + 60));
    EXPECT_TRUE(reuse(use("f-2", "r-3", us + 10))) << "a revoked family";
    EXPECT_TRUE(reuse(use("f-2", "r-1", us))) << "a revoked family's newest used token is no repeat either";
    EXPECT_FALSE(revoked(*store, {"a-1", "f-1", "user-1", us})) << "a family's refresh record does not revoke it";
    EXPECT_TRUE(revoked(*store, {"a-2", "f-2", "user-1", us}));
}

TEST_P(StoreContract, ExactlyOneConcurrentUseWins) {
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    const auto us = now() * 1'000'000;
    std::atomic<int> repeats_of_the_winner{0};
    std::atomic<std::int64_t> winner_pair{0};
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            // Each would be exchanged for a pair of its own time: the losers learn the winner's.
            const auto r = await(store->use_refresh({"contended", "user-1", "r", us, now() + 60, us + 1 + i}));
            if (r.first_use) {
                ++winners;
                winner_pair = us + 1 + i;
            } else if (r.repeat_of_us > us) {
                ++repeats_of_the_winner;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(repeats_of_the_winner.load(), 7);
    EXPECT_EQ(await(store->use_refresh({"contended", "user-1", "r", us, now() + 60, us + 99})).repeat_of_us, winner_pair.load());
}

TEST_P(StoreContract, EntriesExpireByThemselves) {
    await(store->revoke_token("short", now() + 1));
    await(store->revoke_token("long", now() + 60));
    EXPECT_TRUE(revoked(*store, {"short", "", "u", now()}));
    if (GetParam().expires_in_real_time) {
        // Redis expires keys by its own clock (a TTL), which no test clock can move: real time passes.
        std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    } else {
        test_clock.advance(std::chrono::seconds(2));
    }
    EXPECT_FALSE(revoked(*store, {"short", "", "u", now()}));
    EXPECT_TRUE(revoked(*store, {"long", "", "u", now()}));
    await(store->revoke_token("already-expired", now() - 5));
    EXPECT_FALSE(revoked(*store, {"already-expired", "", "u", now()}));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::ValuesIn(fauth::test::store_kinds()),
                         [](const auto& kind) { return kind.param.name; });

// A store written against the interface before revoke_subject_now (only the pure functions): the
// default takes the caller's moment as the cutoff.
TEST(RevocationStoreDefault, RevokingASubjectUpToNowUsesTheCallersMoment) {
    class Forwarding final : public fauth::RevocationStore {
    public:
        fauth::Outcome<bool> is_revoked(const RevocationQuery& q) override { return inner.is_revoked(q); }
        fauth::Outcome<void> revoke_token(std::string jti, std::int64_t expires_at) override {
            return inner.revoke_token(std::move(jti), expires_at);
        }
        fauth::Outcome<void> revoke_family(std::string family, std::int64_t expires_at) override {
            return inner.revoke_family(std::move(family), expires_at);
        }
        fauth::Outcome<void> revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) override {
            return inner.revoke_subject(std::move(sub), not_before_us, expires_at);
        }
        fauth::Outcome<fauth::RefreshUseResult> use_refresh(const fauth::RefreshUse& use) override {
            return inner.use_refresh(use);
        }
        fauth::MemoryRevocationStore inner;
    } store;
    const auto moment_us = now() * 1'000'000 - 5'000'000;  // five seconds before the store's clock
    EXPECT_EQ(await(store.revoke_subject_now("user-1", moment_us, now() + 60)), moment_us);
    EXPECT_TRUE(revoked(store, {"a", "f", "user-1", moment_us}));
    EXPECT_FALSE(revoked(store, {"b", "f", "user-1", moment_us + 1}));
}

TEST(MemoryRevocationStore, RevokingASubjectUpToNowReadsItsOwnClockNotTheCallers) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)));
    fauth::MemoryRevocationStore store({.clock = clock.clock()});
    const auto store_now_us = std::int64_t{1'800'000'000} * 1'000'000;
    EXPECT_EQ(await(store.revoke_subject_now("user-1", store_now_us - 2'000'000, clock.seconds() + 60)), store_now_us)
        << "a caller whose clock lags two seconds";
    EXPECT_TRUE(revoked(store, {"a", "f", "user-1", store_now_us}));
    EXPECT_FALSE(revoked(store, {"b", "f", "user-1", store_now_us + 1}));
}

TEST(MemoryRevocationStore, SweepsExpiredEntries) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000)));
    fauth::MemoryRevocationStore store({.clock = clock.clock()});
    // append, not "j" + std::to_string(i): GCC 12 at -O3 reports a false -Wstringop-overflow for
    // `"literal" + std::string&&`, a known GCC 12 false positive.
    for (int i = 0; i < 100; ++i) await(store.revoke_token(std::string("j").append(std::to_string(i)), clock.seconds() + 10));
    EXPECT_EQ(store.size(), 100u);
    clock.advance(std::chrono::seconds(11));
    store.sweep();
    EXPECT_EQ(store.size(), 0u);
}

TEST(MemoryRevocationStore, StaysBoundedUnderAFloodOfSessions) {
    std::int64_t t = 1'000'000;
    fauth::MemoryRevocationStore store(
        {.max_entries = 1000, .clock = [&t] { return std::chrono::system_clock::time_point(std::chrono::seconds(t)); }});
    auto first_refresh = [&](const std::string& family, const std::string& sub, std::int64_t expires_at) {
        return fauth::test::settle(store.use_refresh({family, sub, "r", t * 1'000'000, expires_at}));
    };
    // Short-lived sessions: sweeping keeps making room, nothing is refused.
    for (int i = 0; i < 20000; ++i) {
        if (i % 200 == 0) t += 2;
        ASSERT_FALSE(first_refresh("short" + std::to_string(i), "user-" + std::to_string(i % 7), t + 1).error) << i;
    }
    EXPECT_LE(store.size(), 1000u);
    // Long-lived sessions beyond the cap: their first refresh is refused with Unavailable, and
    // nothing stored is dropped to make room.
    t += 10;
    int refused = 0;
    for (int i = 0; i < 3000; ++i) {
        const auto outcome = first_refresh("long" + std::to_string(i), "user-" + std::to_string(i), t + 3600);
        if (outcome.error) {
            ++refused;
            EXPECT_THROW(std::rethrow_exception(outcome.error), fauth::Unavailable);
        }
    }
    EXPECT_GT(refused, 2000);
    EXPECT_FALSE(await(store.use_refresh({"long0", "user-0", "r", t * 1'000'000, t + 3600})).first_use)
        << "what was stored is kept";
    // Revocations are never refused for the cap: logout, a family, revoke_all.
    const auto before = store.size();
    await(store.revoke_token("jti-x", t + 60));
    await(store.revoke_family("long1", t + 60));
    await(store.revoke_subject("user-2", t * 1'000'000, t + 60));
    EXPECT_TRUE(revoked(store, {"jti-x", "", "u", t}));
    EXPECT_TRUE(revoked(store, {"a", "long1", "u", t}));
    EXPECT_TRUE(revoked(store, {"a", "", "user-2", t * 1'000'000 - 1}));
    EXPECT_LE(store.size(), before + 2) << "the family was revoked in its own entry";
}

TEST(MemoryRevocationStore, BoundsTheSessionsOfOneSubject) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000)));
    fauth::MemoryRevocationStore store({.max_sessions_per_subject = 3, .clock = clock.clock()});
    auto first_refresh = [&](const std::string& family, const std::string& sub) {
        return fauth::test::settle(store.use_refresh({family, sub, "r", clock.seconds() * 1'000'000, clock.seconds() + 60}));
    };
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(first_refresh("f" + std::to_string(i), "alice").error);
    const auto fourth = first_refresh("f3", "alice");
    ASSERT_TRUE(fourth.error);
    EXPECT_THROW(std::rethrow_exception(fourth.error), fauth::Unavailable);
    EXPECT_FALSE(first_refresh("g0", "bob").error) << "another subject is not affected";
    clock.advance(std::chrono::seconds(61));
    store.sweep();
    EXPECT_FALSE(first_refresh("f4", "alice").error) << "expired sessions free their places";
}

// Review of issue 29: no request pays for a sweep of the whole store under its lock. Each write
// drops a few entries that have expired (the earliest first, from a queue), so a store full of
// expired entries empties as it is used, and a full one makes room for a new session at once.
TEST(MemoryRevocationStore, AWriteDropsAFewExpiredEntriesAndNeverSweepsTheWholeStore) {
    std::int64_t t = 1'000'000;
    fauth::MemoryRevocationStore store(
        {.max_entries = 20'000, .clock = [&t] { return std::chrono::system_clock::time_point(std::chrono::seconds(t)); }});
    for (int i = 0; i < 10'000; ++i) await(store.revoke_token(std::string("old").append(std::to_string(i)), t + 1));
    ASSERT_EQ(store.size(), 10'000u);
    t += 2;  // every one of them has expired
    await(store.revoke_token("new", t + 60));
    EXPECT_GE(store.size(), 10'001u - 4) << "one write drops a few expired entries, not all of them";
    EXPECT_LT(store.size(), 10'001u) << "and does drop some";
    for (int i = 0; i < 3'000; ++i) await(store.revoke_token(std::string("n").append(std::to_string(i)), t + 60));
    EXPECT_EQ(store.size(), 3'001u) << "writes keep dropping the expired ones, a few each";
    EXPECT_TRUE(revoked(store, {"new", "", "u", 0}));
    EXPECT_TRUE(revoked(store, {"n2999", "", "u", 0}));

    fauth::MemoryRevocationStore full(
        {.max_entries = 100, .clock = [&t] { return std::chrono::system_clock::time_point(std::chrono::seconds(t)); }});
    for (int i = 0; i < 100; ++i) await(full.revoke_token(std::string("x").append(std::to_string(i)), t + 1));
    EXPECT_TRUE(fauth::test::settle(full.use_refresh({"f", "u", "r", t * 1'000'000, t + 60, t * 1'000'000 + 1})).error)
        << "full of live entries: a new session's first refresh waits";
    t += 2;
    EXPECT_TRUE(await(full.use_refresh({"f", "u", "r", t * 1'000'000, t + 60, t * 1'000'000 + 1})).first_use)
        << "expired entries make room at once";
    EXPECT_LE(full.size(), 100u);
}

// Issue 30: the memory store answers every operation ready, so what is chained to it runs inline,
// and the check every guarded request makes costs no allocation (a resolved Pistache promise and
// its then cost four). A failure is ready too, as a value of its kind.
TEST(MemoryRevocationStore, AnswersReadyAndChecksWithoutAllocating) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000)));
    fauth::MemoryRevocationStore store({.max_entries = 3, .clock = clock.clock()});
    const auto t = clock.seconds();
    const auto us = t * 1'000'000;
    const auto ready = [](auto&& outcome) { return outcome.ready(); };
    EXPECT_TRUE(ready(store.revoke_token("jti-1", t + 60)));
    EXPECT_TRUE(ready(store.revoke_family("fam-1", t + 60)));
    EXPECT_TRUE(ready(store.revoke_subject("user-1", us, t + 60)));
    EXPECT_TRUE(ready(store.revoke_subject_now("user-2", us, t + 60)));
    {
        fauth::test::AllocationCounter counter;
        auto by_jti = store.is_revoked({"jti-1", "fam-9", "user-9", us});
        auto by_family = store.is_revoked({"jti-9", "fam-1", "user-9", us});
        auto by_subject = store.is_revoked({"jti-9", "fam-9", "user-1", us - 1});
        auto kept = store.is_revoked({"jti-9", "fam-9", "user-1", us});
        const auto allocations = counter.count();
        for (auto* outcome : {&by_jti, &by_family, &by_subject, &kept}) ASSERT_TRUE(outcome->ready());
        EXPECT_TRUE(*by_jti.result());
        EXPECT_TRUE(*by_family.result());
        EXPECT_TRUE(*by_subject.result());
        EXPECT_FALSE(*kept.result());
        if (fauth::test::AllocationCounter::available()) {
            EXPECT_EQ(allocations, 0u);
        }
    }

    // Four live entries, over the cap of three: a new session's first refresh fails at once.
    auto refused = store.use_refresh({"fam-2", "user-3", "r", us, t + 60, us + 1});
    ASSERT_TRUE(refused.ready());
    ASSERT_FALSE(refused.result().ok());
    EXPECT_EQ(refused.result().failure().kind, fauth::ErrorKind::unavailable);
    EXPECT_EQ(refused.result().failure().log, "revocation store is full");
    clock.advance(std::chrono::seconds(61));
    auto first = store.use_refresh({"fam-2", "user-3", "r", us, t + 120, us + 1});
    ASSERT_TRUE(first.ready());
    EXPECT_TRUE(first.result()->first_use);
}
