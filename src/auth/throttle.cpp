#include "fauth/auth/throttle.hpp"

#include <algorithm>
#include <cmath>

namespace fauth {

MemoryThrottle::MemoryThrottle(Options options) : options_(std::move(options)) {}
MemoryThrottle::MemoryThrottle() : MemoryThrottle(Options{}) {}

double MemoryThrottle::now() const {
    return std::chrono::duration<double>(fauth::now(options_.clock).time_since_epoch()).count();
}

std::size_t MemoryThrottle::size() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

ThrottleDecision MemoryThrottle::hit_now(const std::string& key, RateLimit limit) {
    const double t = now();
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= options_.max_keys) {
            // A full bucket is the same as no bucket: forget those first.
            std::erase_if(buckets_, [t](const auto& entry) { return entry.second.full_at <= t; });
            if (buckets_.size() >= options_.max_keys) return {false, std::chrono::seconds(1)};
        }
        it = buckets_.emplace(key, Bucket{limit.burst, t, t}).first;
    }
    auto& b = it->second;
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

Pistache::Async::Promise<ThrottleDecision> MemoryThrottle::hit(std::string key, RateLimit limit) {
    return Pistache::Async::Promise<ThrottleDecision>::resolved(hit_now(key, limit));
}

}  // namespace fauth
