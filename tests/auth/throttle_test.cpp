#include "fauth/auth/throttle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "fauth/core/errors.hpp"
#include "support/allocation_counter.hpp"
#include "support/await.hpp"
#include "support/clock.hpp"

namespace {

using std::chrono::seconds;

fauth::test::TestClock test_clock() {
    return fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(seconds(1'000'000)));
}

// One attempt's decision, which the memory throttle gives at once (a ready Outcome).
fauth::ThrottleDecision hit(fauth::MemoryThrottle& throttle, std::string key, fauth::RateLimit limit) {
    auto outcome = throttle.hit(std::move(key), limit);
    EXPECT_TRUE(outcome.ready()) << "the memory throttle answers at once";
    return fauth::test::await(std::move(outcome));
}

}  // namespace

TEST(MemoryThrottle, AllowsABurstThenRefusesWithRetryAfter) {
    auto t = test_clock();
    fauth::MemoryThrottle throttle({.clock = t.clock()});
    const fauth::RateLimit limit{3, 0.5};  // 3 at once, one more every 2 s
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(hit(throttle, "k", limit).allowed) << i;
    const auto refused = hit(throttle, "k", limit);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, std::chrono::seconds(2));
    EXPECT_TRUE(hit(throttle, "other", limit).allowed) << "keys are independent";
    t.advance(seconds(2));
    EXPECT_TRUE(hit(throttle, "k", limit).allowed) << "refilled";
    EXPECT_FALSE(hit(throttle, "k", limit).allowed);
    t.advance(seconds(100));
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(hit(throttle, "k", limit).allowed) << "never more than the burst";
    EXPECT_FALSE(hit(throttle, "k", limit).allowed);
}

namespace {

// The first 100 keys' buckets, one attempt each.
void fill(fauth::MemoryThrottle& throttle, fauth::RateLimit limit) {
    // append, not "k" + std::to_string(i): GCC 12 at -O3 reports a false -Wstringop-overflow for
    // `"literal" + std::string&&`, a known GCC 12 false positive.
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(hit(throttle, std::string("k").append(std::to_string(i)), limit).allowed);
}

}  // namespace

TEST(MemoryThrottle, AFullTableCountsNewKeysByForgettingTheLeastRecentlyUsed) {
    auto t = test_clock();
    fauth::MemoryThrottle throttle({.max_keys = 100, .shards = 1, .clock = t.clock()});
    const fauth::RateLimit limit{2, 0.1};
    fill(throttle, limit);
    EXPECT_EQ(throttle.size(), 100u);
    EXPECT_TRUE(hit(throttle, "new", limit).allowed) << "a new client is counted, not refused";
    EXPECT_TRUE(hit(throttle, "new", limit).allowed);
    EXPECT_FALSE(hit(throttle, "new", limit).allowed) << "and counted from then on";
    EXPECT_EQ(throttle.size(), 100u);
    // k0, the least recently used, made room: it starts again with a whole burst...
    EXPECT_TRUE(hit(throttle, "k0", limit).allowed);
    EXPECT_TRUE(hit(throttle, "k0", limit).allowed);
    // ...while k99, used last, is still remembered with one attempt left.
    EXPECT_TRUE(hit(throttle, "k99", limit).allowed);
    EXPECT_FALSE(hit(throttle, "k99", limit).allowed);
    EXPECT_EQ(throttle.size(), 100u);
}

TEST(MemoryThrottle, ADrainedBucketOutlivesClientsThatPassedByOnce) {
    auto t = test_clock();
    fauth::MemoryThrottle throttle({.max_keys = 10, .shards = 1, .clock = t.clock()});
    const fauth::RateLimit limit{2, 0.1};
    ASSERT_TRUE(hit(throttle, "guessed", limit).allowed);
    ASSERT_TRUE(hit(throttle, "guessed", limit).allowed);
    // A flood of one-off keys: "guessed" is the least recently used from the start, but the
    // passers-by are full again sooner, so they are forgotten first.
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(hit(throttle, std::string("passer").append(std::to_string(i)), limit).allowed);
    EXPECT_FALSE(hit(throttle, "guessed", limit).allowed) << "still drained: a flood does not refill it";
    EXPECT_EQ(throttle.size(), 10u);
    t.advance(seconds(20));  // now every bucket is full again, and so no different from none
    EXPECT_TRUE(hit(throttle, "guessed", limit).allowed);
}

TEST(MemoryThrottle, AKeyCostsTheSameWhateverItsLength) {
    if (!fauth::test::AllocationCounter::available()) GTEST_SKIP() << "allocations cannot be counted under ThreadSanitizer";
    auto t = test_clock();
    fauth::MemoryThrottle throttle({.max_keys = 100, .shards = 1, .clock = t.clock()});
    const fauth::RateLimit limit{2, 0.1};
    fill(throttle, limit);
    // The keys are made before counting: hit takes its key by value, and the caller's copy is not the throttle's cost.
    std::string long_key(4096, 'n'), short_key = "n";
    std::size_t long_allocations = 0, short_allocations = 0;
    {
        fauth::test::AllocationCounter counter;
        ASSERT_TRUE(hit(throttle, std::move(long_key), limit).allowed);
        long_allocations = counter.count();
    }
    {
        fauth::test::AllocationCounter counter;
        ASSERT_TRUE(hit(throttle, std::move(short_key), limit).allowed);
        short_allocations = counter.count();
    }
    EXPECT_EQ(long_allocations, short_allocations) << "a 4 KiB key is kept as the same fixed-size digest as a short one";
    EXPECT_LE(long_allocations, 1u) << "at most the index's node: the key's text is not kept";
    EXPECT_EQ(throttle.size(), 100u);
}

TEST(MemoryThrottle, ThreadsCountingAtOnceStayWithinTheBound) {
    // Room for every key: one key all four threads share gives its one attempt exactly once.
    fauth::MemoryThrottle roomy;
    // Far too little room: the table stays at its bound while the threads churn through it.
    fauth::MemoryThrottle small({.max_keys = 1000});
    const fauth::RateLimit limit{1, 0.001};
    std::vector<std::thread> threads;
    std::atomic<int> allowed_shared{0};
    for (int n = 0; n < 4; ++n)
        threads.emplace_back([&, n] {
            for (int i = 0; i < 2000; ++i) {
                const auto key = std::string("t").append(std::to_string(n)).append(":").append(std::to_string(i));
                hit(roomy, key, limit);
                hit(small, key, limit);
                if (i % 20 == 0 && hit(roomy, "shared", limit).allowed) ++allowed_shared;
            }
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(allowed_shared.load(), 1);
    EXPECT_EQ(roomy.size(), 8001u);
    EXPECT_EQ(small.size(), 1000u);
}

TEST(MemoryThrottle, RefusesAnEmptyTable) {
    EXPECT_THROW(fauth::MemoryThrottle({.max_keys = 0}), fauth::ConfigError);
    fauth::MemoryThrottle one({.max_keys = 1, .shards = 16});
    EXPECT_TRUE(hit(one, "a", {1, 0.001}).allowed);
    EXPECT_FALSE(hit(one, "a", {1, 0.001}).allowed);
    EXPECT_TRUE(hit(one, "b", {1, 0.001}).allowed) << "one key, one shard: b replaces a";
    EXPECT_EQ(one.size(), 1u);
}

// Issue 30: the memory throttle answers ready, so what is chained to a login's throttle check runs
// inline, and counting a known key allocates nothing (a resolved Pistache promise and its then cost four).
TEST(MemoryThrottle, AnswersReadyAndCountsAKnownKeyWithoutAllocating) {
    auto t = test_clock();
    fauth::MemoryThrottle throttle({.clock = t.clock()});
    const fauth::RateLimit limit{1, 0.01};
    bool allowed = false;
    throttle.hit("client:1.2.3.4", limit).then([&](fauth::Result<fauth::ThrottleDecision> d) noexcept {
        allowed = d.ok() && d->allowed;
    });
    EXPECT_TRUE(allowed) << "the continuation ran inline, before then() returned";
    std::string key = "client:1.2.3.4";
    {
        fauth::test::AllocationCounter counter;
        auto refused = throttle.hit(std::move(key), limit);
        const auto allocations = counter.count();
        ASSERT_TRUE(refused.ready());
        ASSERT_TRUE(refused.result().ok());
        EXPECT_FALSE(refused.result()->allowed);
        EXPECT_EQ(refused.result()->retry_after, seconds(100));
        if (fauth::test::AllocationCounter::available()) {
            EXPECT_EQ(allocations, 0u);
        }
    }
}
