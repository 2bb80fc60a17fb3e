// fauth/redis_throttle.hpp — login throttling counted in Redis, so that every process serving the
// same users counts the same attempts. Link fauth::redis.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "fauth/config.hpp"
#include "fauth/throttle.hpp"

namespace fauth {

namespace detail {
class RedisClient;
}

/// How a RedisThrottle connects and behaves while Redis is unreachable.
struct RedisThrottleOptions {
    /// The server, e.g. "redis://127.0.0.1:6379/0".
    std::string url = "redis://127.0.0.1:6379/0";
    /// Prefix of every key.
    std::string key_prefix = "fauth:throttle:";
    /// Connections (each with its own worker thread).
    std::size_t connections = 2;
    /// Attempts that may wait for a connection; beyond this, hit() rejects with Unavailable.
    std::size_t queue_capacity = 4096;
    /// Connect and command timeout.
    std::chrono::milliseconds timeout{500};
    /// While Redis cannot be reached, refuse attempts (true, the default: 429) or allow them.
    bool fail_closed = true;
    /// Where connection problems are reported (at most once a second); standard error when empty.
    LogSink log;
};

/// Token buckets in Redis: one atomic script per attempt (Redis's own clock, so the processes'
/// clocks do not matter); each bucket's key expires once the bucket would be full again.
class RedisThrottle final : public Throttle {
public:
    /// Prepares the connections (Redis need not be up yet). Throws ConfigError for a bad URL.
    explicit RedisThrottle(RedisThrottleOptions options);
    ~RedisThrottle() override;

    Pistache::Async::Promise<ThrottleDecision> hit(std::string key, RateLimit limit) override;

private:
    std::shared_ptr<detail::RedisClient> client_;
    RedisThrottleOptions options_;
};

}  // namespace fauth
