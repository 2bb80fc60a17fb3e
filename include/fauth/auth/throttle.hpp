/// @file
/// fauth/auth/throttle.hpp — counting attempts per key (client address, login name) with token
/// buckets, to answer 429 before a password guesser gets far.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "fauth/core/clock.hpp"
#include "fauth/core/outcome.hpp"

namespace fauth {

/// A token bucket: up to `burst` attempts at once, refilled at `per_second`.
struct RateLimit {
    /// Bucket size: attempts allowed in a row.
    double burst;
    /// Attempts regained per second.
    double per_second;
};

/// The answer to one attempt.
struct ThrottleDecision {
    /// Whether the attempt may go on.
    bool allowed = true;
    /// When refused: how long until an attempt would be allowed (at least one second).
    std::chrono::seconds retry_after{0};
};

/// Counts attempts per key. Answers like the revocation store: an Outcome, ready when counted in
/// this process; never throws.
class Throttle {
public:
    virtual ~Throttle() = default;
    /// What kind of throttle it is, for metrics (the fauth.store attribute): "memory", "redis", or
    /// anything else (counted as "other").
    virtual std::string_view kind() const noexcept { return "other"; }
    /// Takes one attempt from the bucket of `key` under `limit`.
    virtual Outcome<ThrottleDecision> hit(std::string key, RateLimit limit) = 0;
};

/// Token buckets in this process: thread-safe and bounded in memory whatever clients send. A key
/// is kept as a 128-bit keyed digest (a fixed 100 bytes or so per key, however long the key), the
/// keys are spread over `shards` mutexes, and every operation costs O(1): when a shard is full, a
/// new key makes it forget one of its least recently used buckets (of the few it looks at, the one
/// that is soonest full again), so that new clients are always counted and a flood only makes the
/// throttle forget buckets nobody has used for a while.
class MemoryThrottle final : public Throttle {
public:
    /// Limits and clock of a MemoryThrottle.
    struct Options {
        /// Most keys tracked at once (about 10 MiB for the default).
        std::size_t max_keys = 100'000;
        /// Mutexes the keys are spread over (at most max_keys); more let more threads count at once.
        std::size_t shards = 16;
        /// Time source; the system clock when empty.
        Clock clock;
    };

    /// A throttle with the limits and clock of `options`.
    explicit MemoryThrottle(Options options);
    /// A throttle with the default Options.
    MemoryThrottle();
    ~MemoryThrottle() override;
    MemoryThrottle(const MemoryThrottle&) = delete;
    MemoryThrottle& operator=(const MemoryThrottle&) = delete;

    /// Always ready.
    Outcome<ThrottleDecision> hit(std::string key, RateLimit limit) override;
    /// "memory".
    std::string_view kind() const noexcept override { return "memory"; }
    /// Keys tracked.
    std::size_t size() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace fauth
