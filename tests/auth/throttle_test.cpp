#include "fauth/auth/throttle.hpp"

#include <gtest/gtest.h>

#include "support/clock.hpp"

namespace {

using std::chrono::seconds;

fauth::test::TestClock test_clock() { return fauth::test::TestClock::frozen(std::chrono::system_clock::time_point(seconds(1'000'000))); }

}  // namespace

TEST(MemoryThrottle, AllowsABurstThenRefusesWithRetryAfter) {
    auto t = test_clock();
    fauth::MemoryThrottle throttle({.clock = t.clock()});
    const fauth::RateLimit limit{3, 0.5};  // 3 at once, one more every 2 s
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(throttle.hit_now("k", limit).allowed) << i;
    const auto refused = throttle.hit_now("k", limit);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, std::chrono::seconds(2));
    EXPECT_TRUE(throttle.hit_now("other", limit).allowed) << "keys are independent";
    t.advance(seconds(2));
    EXPECT_TRUE(throttle.hit_now("k", limit).allowed) << "refilled";
    EXPECT_FALSE(throttle.hit_now("k", limit).allowed);
    t.advance(seconds(100));
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(throttle.hit_now("k", limit).allowed) << "never more than the burst";
    EXPECT_FALSE(throttle.hit_now("k", limit).allowed);
}

TEST(MemoryThrottle, StaysBoundedAndNeverForgetsADrainedBucket) {
    auto t = test_clock();
    fauth::MemoryThrottle throttle({.max_keys = 100, .clock = t.clock()});
    const fauth::RateLimit limit{2, 0.1};
    // append, not "k" + std::to_string(i): GCC 12 at -O3 reports a false -Wstringop-overflow for
    // `"literal" + std::string&&`, a known GCC 12 false positive.
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(throttle.hit_now(std::string("k").append(std::to_string(i)), limit).allowed);
    EXPECT_EQ(throttle.size(), 100u);
    EXPECT_FALSE(throttle.hit_now("new", limit).allowed) << "full of partly drained buckets: new keys wait";
    throttle.hit_now("k0", limit);
    EXPECT_FALSE(throttle.hit_now("k0", limit).allowed) << "k0 is still remembered as drained";
    t.advance(seconds(30));  // every bucket refills completely
    EXPECT_TRUE(throttle.hit_now("new", limit).allowed);
    EXPECT_LE(throttle.size(), 100u);
}

TEST(MemoryThrottle, TheAsynchronousFormAgrees) {
    fauth::MemoryThrottle throttle;
    const fauth::RateLimit limit{1, 0.01};
    bool first = false, second = true;
    throttle.hit("k", limit).then([&](const fauth::ThrottleDecision& d) { first = d.allowed; }, [](std::exception_ptr) {});
    throttle.hit("k", limit).then([&](const fauth::ThrottleDecision& d) { second = d.allowed; }, [](std::exception_ptr) {});
    EXPECT_TRUE(first);
    EXPECT_FALSE(second);
}
