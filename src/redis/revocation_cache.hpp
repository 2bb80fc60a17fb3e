// revocation_cache.hpp — what a RedisRevocationStore remembers of the keys a revocation check
// reads, kept right by Redis's invalidation messages (server-assisted client-side caching in
// broadcast mode, see invalidation_listener.hpp).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace fauth::detail {

/// Redis keys and what a check made of each (see RedisRevocationStore::is_revoked), at most
/// `capacity` of them, each used for `max_age` at most. Caching is off until set_enabled(true)
/// (invalidation messages flow) and again after set_enabled(false) (their connection was lost);
/// either turn forgets everything. A reply is kept only if no invalidation came, and caching did
/// not go off, between the lookup that missed and the reply (its Ticket): a reply read before a
/// write may arrive after that write's invalidation. Full: everything is forgotten (clear-all,
/// no per-entry bookkeeping). Thread-safe; nothing is called out under its lock, and forgotten
/// entries are freed after it is released (a full cache holds up to `capacity` strings).
class RevocationCache {
public:
    /// The clock of max_age.
    using Clock = std::chrono::steady_clock;
    /// Keys one check reads (a token's, its session's, its user's).
    static constexpr std::size_t kKeys = 3;
    /// The keys of one check.
    using Keys = std::array<std::string, kKeys>;
    /// What the check made of each key.
    using Values = std::array<std::int64_t, kKeys>;
    /// What a lookup that missed hands on to store(): the invalidations counted, whether caching
    /// was on, and when.
    struct Ticket {
        /// Invalidations (and turns on or off) counted when the lookup was made.
        std::uint64_t sequence = 0;
        /// Caching was on then.
        bool enabled = false;
        /// When the lookup was made: Redis's reply is at least as old as this, and kept as of then.
        Clock::time_point time{};
    };

    /// An empty cache, off, holding at most `capacity` keys (at least kKeys), each for `max_age`.
    RevocationCache(std::size_t capacity, Clock::duration max_age);

    /// True, with `values` set, when every key is held and younger than max_age; otherwise false,
    /// with `ticket` set for the store() of Redis's answer.
    bool lookup(const Keys& keys, Values& values, Ticket& ticket, Clock::time_point now = Clock::now());
    /// A ticket for the store() of an answer read from Redis without a lookup (a check that must
    /// not be answered from the cache).
    Ticket ticket(Clock::time_point now = Clock::now()) const;
    /// Keeps `values` of `keys`, read from Redis after `ticket`'s lookup, as of the ticket's time
    /// (max_age counts from before the read, not from the reply), unless an invalidation came or
    /// caching went off since then; false when they are not kept.
    bool store(const Ticket& ticket, const Keys& keys, const Values& values);
    /// Forgets `keys`: Redis said they changed, or this process is changing them.
    void invalidate(const std::vector<std::string>& keys);
    /// Forgets `key`.
    void invalidate(const std::string& key);
    /// Forgets everything (Redis flushed its keys), staying on.
    void clear();
    /// Turns caching on or off, forgetting everything either way.
    void set_enabled(bool on);
    /// True while caching is on.
    bool enabled() const;
    /// Keys held now.
    std::size_t size() const;

private:
    struct Entry {
        std::int64_t value;
        Clock::time_point stored;
    };
    using Map = std::unordered_map<std::string, Entry>;

    const std::size_t capacity_;
    const Clock::duration max_age_;
    mutable std::mutex mutex_;
    bool enabled_ = false;
    std::uint64_t sequence_ = 0;  // invalidations and turns, so that a reply read before one is not kept
    Map entries_;
};

}  // namespace fauth::detail
