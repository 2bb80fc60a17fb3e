/// @file
/// fauth/redis/replay_cache.hpp — a DPoP replay cache (RFC 9449 section 11.1) in Redis, so that a
/// proof accepted by one process is refused by every other process sharing the Redis. Link
/// fauth::redis.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "fauth/auth/replay_cache.hpp"
#include "fauth/redis/options.hpp"

namespace fauth {

namespace detail {
class RedisClient;
}

/// How a RedisReplayCache connects (see RedisOptions; its keys get the prefix "dpop:" too).
using RedisReplayCacheOptions = RedisOptions;

/// A ReplayCache in Redis: one `SET key 1 NX PX lifetime` per id, whose key is the prefix, "dpop:"
/// and the SHA-256 of the id in base64url (a client's jti never becomes a Redis key of its
/// choosing, and every key is 43 characters past the prefix). Redis forgets each id once its
/// lifetime is over; the process holds nothing per id. It always fails closed, whatever
/// RedisOptions::fail_closed says: while Redis cannot answer, first_use is Unavailable, never a
/// success. Answers settle on the client's callback threads (RedisOptions::callback_threads).
/// Thread-safe.
class RedisReplayCache final : public ReplayCache {
public:
    /// Prepares the connections (Redis need not be up yet). Throws ConfigError for a bad URL, or
    /// when Redis is up and its maxmemory-policy may evict fauth's keys (see
    /// RedisOptions::accepted_eviction_policy).
    explicit RedisReplayCache(RedisReplayCacheOptions options);
    ~RedisReplayCache() override;

    /// Success when Redis had not seen `id` within the last `lifetime` (at least a millisecond);
    /// InvalidDpopProof ("proof replayed") when it had; Unavailable when Redis cannot be reached
    /// or answers otherwise.
    Outcome<void> first_use(std::string_view id, std::chrono::seconds lifetime) override;

private:
    std::unique_ptr<detail::RedisClient> client_;
    RedisOptions options_;
};

}  // namespace fauth
