#include "fauth/auth/replay_cache.hpp"

#include <cstring>

#include <openssl/evp.h>

#include "fauth/core/errors.hpp"

namespace fauth {

MemoryReplayCache::MemoryReplayCache() : MemoryReplayCache(Options{}) {}

MemoryReplayCache::MemoryReplayCache(Options options) : options_(std::move(options)) {
    if (options_.capacity == 0) throw ConfigError("fauth: MemoryReplayCache needs a capacity of at least 1");
}

std::size_t MemoryReplayCache::size() const {
    std::lock_guard lock(mutex_);
    return seen_.size();
}

void MemoryReplayCache::drop_expired(std::int64_t now_us) {
    // Each id is kept for the longest lifetime asked so far (longer than asked, never shorter),
    // so the order of first use is the order of expiry: the expired ones are at the front.
    while (!order_.empty() && order_.front().expires_us <= now_us) {
        seen_.erase(order_.front().digest);
        order_.pop_front();
    }
}

Outcome<void> MemoryReplayCache::first_use(std::string_view id, std::chrono::seconds lifetime) {
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(id.data(), id.size(), full, &length, EVP_sha256(), nullptr) != 1)
        return Unavailable("replay cache: SHA-256 failed").failure();
    Digest digest;
    std::memcpy(digest.data(), full, sizeof digest);
    const std::int64_t now_us = unix_microseconds(options_.clock);
    const std::int64_t lifetime_us = std::chrono::duration_cast<std::chrono::microseconds>(lifetime).count();
    std::lock_guard lock(mutex_);
    drop_expired(now_us);
    if (seen_.contains(digest)) return InvalidDpopProof("proof replayed").failure();
    if (seen_.size() >= options_.capacity) {
        const auto wait = std::chrono::ceil<std::chrono::seconds>(std::chrono::microseconds(order_.front().expires_us - now_us));
        return Unavailable("replay cache full", wait).failure();
    }
    seen_.insert(digest);
    longest_us_ = std::max(longest_us_, lifetime_us);
    order_.push_back({digest, now_us + longest_us_});
    return {};
}

}  // namespace fauth
