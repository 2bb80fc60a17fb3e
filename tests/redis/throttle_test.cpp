// Login throttling in a real redis-server: the same buckets for every process.
#include "fauth/redis/throttle.hpp"

#include <gtest/gtest.h>

#include "support/await.hpp"
#include "support/redis_server.hpp"

using fauth::test::await;

TEST(RedisThrottle, AllowsABurstThenRefusesEverywhere) {
    auto& redis = fauth::test::shared_redis();
    fauth::RedisThrottleOptions options{.url = redis.url(), .key_prefix = "burst:"};
    fauth::RedisThrottle a(options), b(options);  // two processes' worth of clients
    const fauth::RateLimit limit{3, 0.2};
    EXPECT_TRUE(await(a.hit("client:1.2.3.4", limit)).allowed);
    EXPECT_TRUE(await(b.hit("client:1.2.3.4", limit)).allowed);
    EXPECT_TRUE(await(a.hit("client:1.2.3.4", limit)).allowed);
    const auto refused = await(b.hit("client:1.2.3.4", limit));
    EXPECT_FALSE(refused.allowed) << "the burst is shared";
    EXPECT_GE(refused.retry_after, std::chrono::seconds(1));
    EXPECT_LE(refused.retry_after, std::chrono::seconds(5));
    EXPECT_TRUE(await(a.hit("client:5.6.7.8", limit)).allowed) << "keys are independent";
}

TEST(RedisThrottle, RefillsOverTime) {
    fauth::RedisThrottle t({.url = fauth::test::shared_redis().url(), .key_prefix = "refill:"});
    const fauth::RateLimit limit{1, 20.0};  // one now, another every 50 ms
    EXPECT_TRUE(await(t.hit("k", limit)).allowed);
    EXPECT_FALSE(await(t.hit("k", limit)).allowed);
    // The bucket refills by Redis's own clock (TIME inside the script), which no test clock can
    // move: real time passes, as little as the refill rate allows.
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    EXPECT_TRUE(await(t.hit("k", limit)).allowed);
}

TEST(RedisThrottle, FailsClosedWhileRedisIsDown) {
    const auto url = "redis://127.0.0.1:" + std::to_string(fauth::test::free_port());
    fauth::RedisThrottle closed({.url = url, .timeout = std::chrono::milliseconds(200), .log = [](std::string_view) {}});
    EXPECT_THROW(await(closed.hit("k", {10, 1})), fauth::Unavailable) << "fail closed: a 503, not a throttling";
    fauth::RedisThrottle open(
        {.url = url, .timeout = std::chrono::milliseconds(200), .fail_closed = false, .log = [](std::string_view) {}});
    EXPECT_TRUE(await(open.hit("k", {10, 1})).allowed);
}
