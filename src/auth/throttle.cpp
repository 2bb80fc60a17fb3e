#include "fauth/auth/throttle.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "fauth/core/errors.hpp"
#include "fauth/core/internal/random.hpp"
#include "fauth/core/internal/hmac.hpp"

namespace fauth {
// Not in an anonymous namespace: MemoryThrottle::State holds these.
namespace memory_throttle {

// A key as the throttle keeps it: 128 bits of its HMAC under a key made for this throttle, so
// that a client can neither grow an entry by sending a longer name nor aim names at one bucket
// of the hash table.
struct KeyDigest {
    std::uint64_t high;
    std::uint64_t low;
    friend bool operator==(const KeyDigest&, const KeyDigest&) = default;
};

struct KeyDigestHash {
    std::size_t operator()(const KeyDigest& d) const noexcept { return static_cast<std::size_t>(d.high); }
};

constexpr std::uint32_t kNone = UINT32_MAX;
// How many of a full shard's least recently used buckets one eviction looks at: O(1), and enough
// that a bucket still being drained by a guesser outlives the clients that passed by once.
constexpr int kEvictionCandidates = 4;

// One shard: its buckets in a vector linked in order of use (newest first), and an index.
class Shard {
public:
    explicit Shard(std::size_t capacity) : capacity_(capacity) {}

    ThrottleDecision hit(const KeyDigest& key, RateLimit limit, double t) {
        std::lock_guard lock(mutex_);
        std::uint32_t i;
        if (auto it = index_.find(key); it != index_.end()) {
            i = it->second;
            unlink(i);
        } else if (buckets_.size() < capacity_) {
            i = static_cast<std::uint32_t>(buckets_.size());
            buckets_.push_back(Bucket{key, limit.burst, t, t, kNone, kNone});
            index_.emplace(key, i);
        } else {
            i = victim(t);
            unlink(i);
            index_.erase(buckets_[i].key);
            buckets_[i] = Bucket{key, limit.burst, t, t, kNone, kNone};
            index_.emplace(key, i);
        }
        push_front(i);
        auto& b = buckets_[i];
        b.tokens = std::min(limit.burst, b.tokens + (t - b.updated) * limit.per_second);
        b.updated = t;
        if (b.tokens >= 1) {
            b.tokens -= 1;
            b.full_at = t + (limit.burst - b.tokens) / limit.per_second;
            return {true, std::chrono::seconds(0)};
        }
        const auto wait = static_cast<std::int64_t>(std::ceil((1 - b.tokens) / limit.per_second));
        return {false, std::chrono::seconds(std::max<std::int64_t>(1, wait))};
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return index_.size();
    }

private:
    struct Bucket {
        KeyDigest key;
        double tokens;
        double updated;  // seconds
        double full_at;  // seconds: when the bucket is full again, and so no different from none
        std::uint32_t newer;
        std::uint32_t older;
    };

    // Of the least recently used buckets, the first that is full again, else the one soonest full.
    std::uint32_t victim(double t) const {
        std::uint32_t best = oldest_;
        std::uint32_t i = oldest_;
        for (int n = 0; n < kEvictionCandidates && i != kNone; ++n, i = buckets_[i].newer) {
            if (buckets_[i].full_at <= t) return i;
            if (buckets_[i].full_at < buckets_[best].full_at) best = i;
        }
        return best;
    }

    void unlink(std::uint32_t i) {
        auto& b = buckets_[i];
        (b.newer == kNone ? newest_ : buckets_[b.newer].older) = b.older;
        (b.older == kNone ? oldest_ : buckets_[b.older].newer) = b.newer;
        b.newer = b.older = kNone;
    }

    void push_front(std::uint32_t i) {
        buckets_[i].older = newest_;
        buckets_[i].newer = kNone;
        (newest_ == kNone ? oldest_ : buckets_[newest_].newer) = i;
        newest_ = i;
    }

    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::vector<Bucket> buckets_;
    std::unordered_map<KeyDigest, std::uint32_t, KeyDigestHash> index_;
    std::uint32_t newest_ = kNone;
    std::uint32_t oldest_ = kNone;
};

}  // namespace memory_throttle

using memory_throttle::KeyDigest;
using memory_throttle::Shard;

struct MemoryThrottle::State {
    explicit State(Options o) : options(std::move(o)), mac("SHA256", random_bytes(32)) {
        if (options.max_keys == 0) throw ConfigError("MemoryThrottle: max_keys must be at least 1");
        if (options.max_keys > memory_throttle::kNone) throw ConfigError("MemoryThrottle: max_keys must be below 2^32");
        const std::size_t count = std::clamp<std::size_t>(options.shards, 1, options.max_keys);
        shards.reserve(count);
        // The keys are divided exactly: the shards' capacities add up to max_keys.
        for (std::size_t s = 0; s < count; ++s)
            shards.push_back(std::make_unique<Shard>(options.max_keys / count + (s < options.max_keys % count ? 1 : 0)));
    }

    Options options;
    detail::HmacKey mac;
    std::vector<std::unique_ptr<Shard>> shards;
};

MemoryThrottle::MemoryThrottle(Options options) : state_(std::make_unique<State>(std::move(options))) {}
MemoryThrottle::MemoryThrottle() : MemoryThrottle(Options{}) {}
MemoryThrottle::~MemoryThrottle() = default;

std::size_t MemoryThrottle::size() const {
    std::size_t total = 0;
    for (const auto& shard : state_->shards) total += shard->size();
    return total;
}

Outcome<ThrottleDecision> MemoryThrottle::hit(std::string key, RateLimit limit) {
    unsigned char mac[detail::kMaxMacSize];
    state_->mac.compute(key, mac);
    KeyDigest digest;
    std::memcpy(&digest, mac, sizeof digest);
    const double t = std::chrono::duration<double>(fauth::now(state_->options.clock).time_since_epoch()).count();
    return state_->shards[digest.low % state_->shards.size()]->hit(digest, limit, t);
}

}  // namespace fauth
