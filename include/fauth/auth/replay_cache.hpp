/// @file
/// fauth/auth/replay_cache.hpp — what remembers the one-time ids of DPoP proofs (RFC 9449 section
/// 11.1), so that a proof captured on its way is refused the second time: the interface, and a
/// bounded one in memory (a Redis one shares them between processes).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "fauth/core/clock.hpp"
#include "fauth/core/outcome.hpp"

namespace fauth {

/// Remembers one-time ids for a while. Thread-safe.
class ReplayCache {
public:
    virtual ~ReplayCache() = default;
    /// Success the first time `id` is seen within `lifetime`; InvalidDpopProof ("proof replayed")
    /// when it was seen before; Unavailable when the cache cannot tell (full, or its store is down):
    /// never a success it cannot vouch for.
    virtual Outcome<void> first_use(std::string_view id, std::chrono::seconds lifetime) = 0;
};

/// A ReplayCache in this process's memory: O(1) per id, holding at most `capacity` ids (each
/// kept as a 128-bit digest for the longest lifetime asked so far), and at most `per_owner` of
/// one owner's. While it is full of ids that have not expired, first_use answers Unavailable
/// rather than forget one; an owner over its share is answered Throttled, the others go on.
class MemoryReplayCache final : public ReplayCache {
public:
    /// Its bounds.
    struct Options {
        /// The most ids held at once (about 100 bytes each).
        std::size_t capacity = 1 << 20;
        /// The most ids of one owner held at once: an id's owner is its part before the first ':'
        /// (DPoP proofs are `thumbprint:jti`, so one client key). Beyond it that owner's ids are
        /// refused (Throttled, 429), so that one holder of a bound token minting proofs cannot
        /// fill the cache for every other client. 0: no share, only the capacity.
        std::size_t per_owner = 1 << 14;
        /// Time source; the system clock when empty.
        Clock clock;
    };
    /// A cache with the default Options.
    MemoryReplayCache();
    /// A cache with `options` (a capacity of 0 throws ConfigError).
    explicit MemoryReplayCache(Options options);
    Outcome<void> first_use(std::string_view id, std::chrono::seconds lifetime) override;
    /// How many ids it holds now (expired ones included until they are dropped).
    std::size_t size() const;

private:
    using Digest = std::array<std::uint64_t, 2>;
    struct DigestHash {
        std::size_t operator()(const Digest& d) const noexcept { return static_cast<std::size_t>(d[0]); }
    };
    struct Entry {
        Digest digest;
        Digest owner;
        std::int64_t expires_us;
    };
    void drop_expired(std::int64_t now_us);

    Options options_;
    mutable std::mutex mutex_;
    std::unordered_set<Digest, DigestHash> seen_;
    std::unordered_map<Digest, std::size_t, DigestHash> owners_;  // ids held per owner
    std::deque<Entry> order_;                                     // by first use, which is by expiry (see drop_expired)
    std::int64_t longest_us_ = 0;                                 // the longest lifetime asked for so far
};

}  // namespace fauth
