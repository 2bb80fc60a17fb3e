#include "fauth/throttle.hpp"

#include <gtest/gtest.h>

namespace {

struct FakeClock {
    double seconds = 1'000'000;
    fauth::Clock clock() {
        return [this] {
            return std::chrono::system_clock::time_point(
                std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(seconds)));
        };
    }
};

}  // namespace

TEST(MemoryThrottle, AllowsABurstThenRefusesWithRetryAfter) {
    FakeClock t;
    fauth::MemoryThrottle throttle({.clock = t.clock()});
    const fauth::RateLimit limit{3, 0.5};  // 3 at once, one more every 2 s
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(throttle.hit_now("k", limit).allowed) << i;
    const auto refused = throttle.hit_now("k", limit);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, std::chrono::seconds(2));
    EXPECT_TRUE(throttle.hit_now("other", limit).allowed) << "keys are independent";
    t.seconds += 2;
    EXPECT_TRUE(throttle.hit_now("k", limit).allowed) << "refilled";
    EXPECT_FALSE(throttle.hit_now("k", limit).allowed);
    t.seconds += 100;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(throttle.hit_now("k", limit).allowed) << "never more than the burst";
    EXPECT_FALSE(throttle.hit_now("k", limit).allowed);
}

TEST(MemoryThrottle, StaysBoundedAndNeverForgetsADrainedBucket) {
    FakeClock t;
    fauth::MemoryThrottle throttle({.max_keys = 100, .clock = t.clock()});
    const fauth::RateLimit limit{2, 0.1};
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(throttle.hit_now("k" + std::to_string(i), limit).allowed);
    EXPECT_EQ(throttle.size(), 100u);
    EXPECT_FALSE(throttle.hit_now("new", limit).allowed) << "full of partly drained buckets: new keys wait";
    throttle.hit_now("k0", limit);
    EXPECT_FALSE(throttle.hit_now("k0", limit).allowed) << "k0 is still remembered as drained";
    t.seconds += 30;  // every bucket refills completely
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
