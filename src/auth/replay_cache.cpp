#include "fauth/auth/replay_cache.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

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
        if (const auto owner = owners_.find(order_.front().owner); owner != owners_.end() && --owner->second == 0)
            owners_.erase(owner);
        order_.pop_front();
    }
}

namespace {

// The first 128 bits of the SHA-256 of `text`, or nothing when OpenSSL fails.
std::optional<std::array<std::uint64_t, 2>> digest_of(std::string_view text) {
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), full, &length, EVP_sha256(), nullptr) != 1) return std::nullopt;
    std::array<std::uint64_t, 2> digest;
    std::memcpy(digest.data(), full, sizeof digest);
    return digest;
}

}  // namespace

Outcome<void> MemoryReplayCache::first_use(std::string_view id, std::chrono::seconds lifetime) {
    const auto digest = digest_of(id);
    const auto owner = digest_of(id.substr(0, id.find(':')));
    if (!digest || !owner) return Unavailable("replay cache: SHA-256 failed").failure();
    const std::int64_t now_us = unix_microseconds(options_.clock);
    const std::int64_t lifetime_us = std::chrono::duration_cast<std::chrono::microseconds>(lifetime).count();
    std::lock_guard lock(mutex_);
    drop_expired(now_us);
    if (seen_.contains(*digest)) return InvalidDpopProof("proof replayed").failure();
    const auto held = owners_.find(*owner);
    if (options_.per_owner != 0 && held != owners_.end() && held->second >= options_.per_owner)
        return Throttled(std::chrono::ceil<std::chrono::seconds>(std::chrono::microseconds(std::max(longest_us_, lifetime_us))))
            .failure();
    if (seen_.size() >= options_.capacity) {
        const auto wait = std::chrono::ceil<std::chrono::seconds>(std::chrono::microseconds(order_.front().expires_us - now_us));
        return Unavailable("replay cache full", wait).failure();
    }
    seen_.insert(*digest);
    ++owners_[*owner];
    longest_us_ = std::max(longest_us_, lifetime_us);
    order_.push_back({*digest, *owner, now_us + longest_us_});
    return {};
}

}  // namespace fauth
