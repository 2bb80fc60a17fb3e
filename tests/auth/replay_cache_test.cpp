// The DPoP replay cache in memory: each id once within its lifetime, bounded, and safe across threads.
#include "fauth/auth/replay_cache.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fauth/core/errors.hpp"
#include "support/clock.hpp"

namespace {

using fauth::ErrorKind;
using fauth::MemoryReplayCache;
using std::chrono::seconds;

fauth::Result<void> use(MemoryReplayCache& cache, std::string_view id, seconds lifetime = seconds(65)) {
    auto outcome = cache.first_use(id, lifetime);
    EXPECT_TRUE(outcome.ready()) << "the memory cache answers at once";
    return std::move(outcome.result());
}

TEST(MemoryReplayCache, AnIdIsAcceptedOnceWithinItsLifetime) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
    MemoryReplayCache cache({.capacity = 100, .clock = clock.clock()});
    EXPECT_TRUE(use(cache, "key:a").ok());
    const auto again = use(cache, "key:a");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.failure().kind, ErrorKind::invalid_dpop_proof);
    EXPECT_EQ(again.failure().log, "invalid DPoP proof: proof replayed");
    EXPECT_TRUE(use(cache, "key:b").ok());
    clock.advance(seconds(64));
    EXPECT_FALSE(use(cache, "key:a").ok()) << "still within its lifetime";
    clock.advance(seconds(1));
    EXPECT_TRUE(use(cache, "key:a").ok()) << "forgotten once its lifetime is over (a proof that old is refused anyway)";
    EXPECT_EQ(cache.size(), 1u) << "expired ids are dropped as new ones come";
}

TEST(MemoryReplayCache, WhenFullItRefusesRatherThanForget) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
    MemoryReplayCache cache({.capacity = 3, .clock = clock.clock()});
    for (const char* id : {"a", "b", "c"}) EXPECT_TRUE(use(cache, id).ok());
    const auto full = use(cache, "d");
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.failure().kind, ErrorKind::unavailable);
    EXPECT_EQ(full.failure().retry_after, seconds(65)) << "until the oldest id expires";
    EXPECT_FALSE(use(cache, "a").ok()) << "nothing was forgotten to make room";
    clock.advance(seconds(65));
    EXPECT_TRUE(use(cache, "d").ok());
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_THROW(MemoryReplayCache({.capacity = 0}), fauth::ConfigError);
}

TEST(MemoryReplayCache, OneOwnerCannotFillItForTheOthers) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
    MemoryReplayCache cache({.capacity = 100, .per_owner = 2, .clock = clock.clock()});
    EXPECT_TRUE(use(cache, "key-1:a").ok());
    EXPECT_TRUE(use(cache, "key-1:b").ok());
    const auto over = use(cache, "key-1:c");
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.failure().kind, ErrorKind::throttled) << "a 429 for that client, not a 503 for all";
    EXPECT_EQ(over.failure().retry_after, seconds(65));
    EXPECT_TRUE(use(cache, "key-2:a").ok()) << "another owner goes on";
    EXPECT_FALSE(use(cache, "key-1:a").ok()) << "a replay is still a replay";
    clock.advance(seconds(65));
    EXPECT_TRUE(use(cache, "key-1:c").ok()) << "the owner's share comes back as its ids expire";
    MemoryReplayCache unlimited({.capacity = 100, .per_owner = 0, .clock = clock.clock()});
    for (const char* id : {"k:1", "k:2", "k:3", "k:4"}) EXPECT_TRUE(use(unlimited, id).ok());
}

TEST(MemoryReplayCache, ALongerLifetimeIsNeverCutShort) {
    auto clock = fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
    MemoryReplayCache cache({.capacity = 10, .clock = clock.clock()});
    EXPECT_TRUE(use(cache, "long", seconds(100)).ok());
    EXPECT_TRUE(use(cache, "short", seconds(10)).ok());
    clock.advance(seconds(99));
    EXPECT_FALSE(use(cache, "long").ok());
    EXPECT_FALSE(use(cache, "short").ok()) << "kept at least as long as asked (here: as long as the longest)";
}

TEST(MemoryReplayCache, OfManyThreadsUsingOneIdExactlyOneWins) {
    MemoryReplayCache cache;
    for (int round = 0; round < 50; ++round) {
        std::atomic<int> accepted{0};
        std::vector<std::thread> threads;
        const std::string id = "id-" + std::to_string(round);
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                auto outcome = cache.first_use(id, seconds(60));
                if (outcome.result().ok()) ++accepted;
            });
        for (auto& t : threads) t.join();
        EXPECT_EQ(accepted.load(), 1) << id;
    }
}

}  // namespace
