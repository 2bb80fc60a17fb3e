#include <mutex>

#include "fauth/core/errors.hpp"
#include "fauth/auth/revocation.hpp"

namespace fauth {
namespace {

using Pistache::Async::Promise;

template <class Map>
bool live(const Map& map, std::string_view key, std::int64_t now) {
    if (key.empty()) return false;
    const auto it = map.find(key);
    return it != map.end() && it->second > now;
}

template <class Map, class Expiry>
void drop_expired(Map& map, std::int64_t now, Expiry expiry) {
    for (auto it = map.begin(); it != map.end();) {
        if (expiry(it->second) <= now) it = map.erase(it);
        else ++it;
    }
}

}  // namespace

MemoryRevocationStore::MemoryRevocationStore(Options options) : options_(std::move(options)) {}
MemoryRevocationStore::MemoryRevocationStore() : MemoryRevocationStore(Options{}) {}

std::int64_t MemoryRevocationStore::now() const {
    return unix_seconds(options_.clock);
}

std::optional<bool> RevocationStore::revoked_at_once(const RevocationQuery&) { return std::nullopt; }

std::optional<bool> MemoryRevocationStore::revoked_at_once(const RevocationQuery& query) { return revoked_now(query); }

bool MemoryRevocationStore::revoked_now(const RevocationQuery& q) const {
    const auto t = now();
    std::shared_lock lock(mutex_);
    if (live(tokens_, q.jti, t) || live(families_, q.family, t)) return true;
    if (subjects_.empty()) return false;
    const auto it = subjects_.find(q.sub);
    return it != subjects_.end() && it->second.expires_at > t && q.issued_at_us < it->second.not_before_us;
}

Promise<bool> MemoryRevocationStore::is_revoked(const RevocationQuery& query) {
    return Promise<bool>::resolved(revoked_now(query));
}

std::size_t MemoryRevocationStore::size() const {
    std::shared_lock lock(mutex_);
    return tokens_.size() + families_.size() + used_.size() + subjects_.size();
}


void MemoryRevocationStore::sweep() {
    const auto t = now();
    std::unique_lock lock(mutex_);
    sweep_locked(t);
}

void MemoryRevocationStore::sweep_locked(std::int64_t t) {
    auto plain = [](std::int64_t e) { return e; };
    drop_expired(tokens_, t, plain);
    drop_expired(families_, t, plain);
    drop_expired(used_, t, plain);
    drop_expired(subjects_, t, [](const Subject& s) { return s.expires_at; });
}

bool MemoryRevocationStore::reserve_locked(std::int64_t t) {
    auto held = [this] { return tokens_.size() + families_.size() + used_.size() + subjects_.size(); };
    // Expired entries are swept once a minute, and when the store is full, at most once a second,
    // so that a flood of writes cannot make each of them pay for a whole sweep.
    if (t >= next_sweep_ || (held() >= options_.max_entries && t > last_sweep_)) {
        sweep_locked(t);
        last_sweep_ = t;
        next_sweep_ = t + 60;
    }
    return held() < options_.max_entries;
}

Promise<void> MemoryRevocationStore::put(Map<std::int64_t>& map, std::string key,
                                         std::int64_t expires_at) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    auto it = map.find(key);
    if (it != map.end()) {
        it->second = std::max(it->second, expires_at);
        return Promise<void>::resolved();
    }
    if (!reserve_locked(t)) return Promise<void>::rejected(Unavailable("revocation store is full"));
    map.emplace(std::move(key), expires_at);
    return Promise<void>::resolved();
}

Promise<void> MemoryRevocationStore::revoke_token(std::string jti, std::int64_t expires_at) {
    return put(tokens_, std::move(jti), expires_at);
}

Promise<void> MemoryRevocationStore::revoke_family(std::string family, std::int64_t expires_at) {
    return put(families_, std::move(family), expires_at);
}

Promise<void> MemoryRevocationStore::revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    auto it = subjects_.find(sub);
    if (it != subjects_.end()) {
        it->second.not_before_us = std::max(it->second.not_before_us, not_before_us);
        it->second.expires_at = std::max(it->second.expires_at, expires_at);
        return Promise<void>::resolved();
    }
    if (!reserve_locked(t)) return Promise<void>::rejected(Unavailable("revocation store is full"));
    subjects_.emplace(std::move(sub), Subject{not_before_us, expires_at});
    return Promise<void>::resolved();
}

Promise<bool> MemoryRevocationStore::mark_used(std::string jti, std::int64_t expires_at) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    auto it = used_.find(jti);
    if (it != used_.end() && it->second > t) return Promise<bool>::resolved(false);
    if (it != used_.end()) {
        it->second = expires_at;
        return Promise<bool>::resolved(true);
    }
    if (!reserve_locked(t)) return Promise<bool>::rejected(Unavailable("revocation store is full"));
    used_.emplace(std::move(jti), expires_at);
    return Promise<bool>::resolved(true);
}

}  // namespace fauth
