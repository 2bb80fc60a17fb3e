/// @file
/// fauth/redis/throttle.hpp — login throttling counted in Redis, so that every process serving the
/// same users counts the same attempts. Link fauth::redis.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fauth/redis/options.hpp"
#include "fauth/auth/throttle.hpp"

namespace fauth {

namespace detail {
class RedisClient;
}

/// How a RedisThrottle connects (see RedisOptions; its keys get the prefix "throttle:" too).
using RedisThrottleOptions = RedisOptions;

/// Token buckets in Redis: one atomic script per attempt (Redis's own clock, so the processes'
/// clocks do not matter); each bucket's key expires once the bucket would be full again.
class RedisThrottle final : public Throttle {
public:
    /// Prepares the connections (Redis need not be up yet). Throws ConfigError for a bad URL, or
    /// when Redis is up and its maxmemory-policy may evict fauth's keys (see
    /// RedisOptions::accepted_eviction_policy).
    explicit RedisThrottle(RedisThrottleOptions options);
    ~RedisThrottle() override;

    Outcome<ThrottleDecision> hit(std::string key, RateLimit limit) override;
    /// "redis".
    std::string_view kind() const noexcept override { return "redis"; }

private:
    std::unique_ptr<detail::RedisClient> client_;
    RedisOptions options_;
};

}  // namespace fauth
