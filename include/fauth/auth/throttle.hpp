// fauth/auth/throttle.hpp — counting attempts per key (client address, login name) with token
// buckets, to answer 429 before a password guesser gets far.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include <pistache/async.h>

#include "fauth/auth/config.hpp"

namespace fauth {

/// The answer to one attempt.
struct ThrottleDecision {
    /// Whether the attempt may go on.
    bool allowed = true;
    /// When refused: how long until an attempt would be allowed (at least one second).
    std::chrono::seconds retry_after{0};
};

/// Counts attempts per key. Asynchronous like the revocation store; never throws.
class Throttle {
public:
    virtual ~Throttle() = default;
    /// Takes one attempt from the bucket of `key` under `limit`.
    virtual Pistache::Async::Promise<ThrottleDecision> hit(std::string key, RateLimit limit) = 0;
};

/// Token buckets in this process: thread-safe, bounded (full buckets are forgotten first; when
/// even then `max_keys` are in use, new keys are refused rather than old ones forgotten).
class MemoryThrottle final : public Throttle {
public:
    /// Limits and clock of a MemoryThrottle.
    struct Options {
        /// Most keys tracked at once.
        std::size_t max_keys = 100'000;
        /// Time source; the system clock when empty.
        Clock clock;
    };

    explicit MemoryThrottle(Options options);
    MemoryThrottle();

    Pistache::Async::Promise<ThrottleDecision> hit(std::string key, RateLimit limit) override;
    /// The same decision, synchronously.
    ThrottleDecision hit_now(const std::string& key, RateLimit limit);
    /// Keys tracked.
    std::size_t size() const;

private:
    struct Bucket {
        double tokens;
        double updated;  // seconds
        double full_at;  // seconds: when the bucket is full again
    };
    double now() const;

    Options options_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace fauth
