#include <algorithm>
#include <mutex>

#include "fauth/core/clock.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/auth/revocation.hpp"

namespace fauth {

MemoryRevocationStore::MemoryRevocationStore(Options options) : options_(std::move(options)) {}
MemoryRevocationStore::MemoryRevocationStore() : MemoryRevocationStore(Options{}) {}

std::int64_t MemoryRevocationStore::now() const { return unix_seconds(options_.clock); }

Outcome<std::int64_t> RevocationStore::revoke_subject_now(std::string sub, std::int64_t at_least_us, std::int64_t expires_at) {
    // No clock of its own: the caller's moment is the cutoff.
    auto [outcome, settle] = Outcome<std::int64_t>::pending();
    revoke_subject(std::move(sub), at_least_us + 1, expires_at).then([settle = settle, at_least_us](Result<void> done) noexcept {
        if (done)
            settle(at_least_us);
        else
            settle(std::move(done).failure());
    });
    return std::move(outcome);
}

Outcome<bool> MemoryRevocationStore::is_revoked(const RevocationQuery& q) {
    const auto t = now();
    std::shared_lock lock(mutex_);
    if (!q.jti.empty()) {
        const auto it = tokens_.find(q.jti);
        if (it != tokens_.end() && it->second > t) return true;
    }
    if (!q.family.empty()) {
        const auto it = families_.find(q.family);
        if (it != families_.end() && it->second.revoked && it->second.expires_at > t) return true;
    }
    if (subjects_.empty()) return false;
    const auto it = subjects_.find(q.sub);
    return it != subjects_.end() && it->second.expires_at > t && q.issued_at_us < it->second.not_before_us;
}

std::size_t MemoryRevocationStore::size() const {
    std::shared_lock lock(mutex_);
    return tokens_.size() + families_.size() + subjects_.size();
}

void MemoryRevocationStore::sweep() {
    const auto t = now();
    std::unique_lock lock(mutex_);
    sweep_locked(t);
}

void MemoryRevocationStore::sweep_locked(std::int64_t t) {
    // Everything the queue says has expired by t, and nothing else: the explicit, whole sweep.
    while (!expiries_.empty() && expiries_.top().at <= t) room_locked(t, 1);
}

void MemoryRevocationStore::track_locked(char kind, const std::string& key, std::int64_t expires_at) {
    expiries_.push(Expiry{expires_at, kind, key});
}

std::optional<std::int64_t> MemoryRevocationStore::expire_locked(char kind, const std::string& key, std::int64_t t) {
    if (kind == 't') {
        const auto it = tokens_.find(key);
        if (it == tokens_.end()) return std::nullopt;
        if (it->second > t) return it->second;
        tokens_.erase(it);
        return std::nullopt;
    }
    if (kind == 'f') {
        const auto it = families_.find(key);
        if (it == families_.end()) return std::nullopt;
        if (it->second.expires_at > t) return it->second.expires_at;
        if (!it->second.sub.empty()) {
            const auto subject = subjects_.find(it->second.sub);
            if (subject != subjects_.end() && subject->second.sessions > 0) --subject->second.sessions;
        }
        families_.erase(it);
        return std::nullopt;
    }
    const auto it = subjects_.find(key);
    if (it == subjects_.end()) return std::nullopt;
    // A subject still counting sessions stays until they are gone: it is looked at again later.
    if (it->second.expires_at > t || it->second.sessions > 0) return std::max(it->second.expires_at, t + 1);
    subjects_.erase(it);
    return std::nullopt;
}

bool MemoryRevocationStore::room_locked(std::int64_t t, int steps) {
    for (int i = 0; i < steps && !expiries_.empty() && expiries_.top().at <= t; ++i) {
        // Moved out before the pop: the entry it names is looked up, and either goes or comes back.
        Expiry due = std::move(const_cast<Expiry&>(expiries_.top()));
        expiries_.pop();
        if (const auto later = expire_locked(due.kind, due.key, t)) {
            due.at = *later;
            expiries_.push(std::move(due));
        }
    }
    return tokens_.size() + families_.size() + subjects_.size() < options_.max_entries;
}

Outcome<void> MemoryRevocationStore::revoke_token(std::string jti, std::int64_t expires_at) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    room_locked(t);  // drops a few expired entries; a revocation is recorded even beyond the cap
    auto [it, added] = tokens_.try_emplace(std::move(jti), expires_at);
    if (added) track_locked('t', it->first, expires_at);
    it->second = std::max(it->second, expires_at);
    return {};
}

Outcome<void> MemoryRevocationStore::revoke_family(std::string family, std::int64_t expires_at) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    room_locked(t);
    auto [it, added] = families_.try_emplace(std::move(family));
    if (added) track_locked('f', it->first, expires_at);
    auto& held = it->second;
    held.revoked = true;
    held.expires_at = std::max(held.expires_at, expires_at);
    return {};
}

std::int64_t MemoryRevocationStore::revoke_subject_locked(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) {
    room_locked(now());
    auto [it, added] = subjects_.try_emplace(std::move(sub));
    if (added) track_locked('s', it->first, expires_at);
    auto& held = it->second;
    held.not_before_us = std::max(held.not_before_us, not_before_us);
    held.expires_at = std::max(held.expires_at, expires_at);
    return held.not_before_us;
}

Outcome<void> MemoryRevocationStore::revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) {
    std::unique_lock lock(mutex_);
    revoke_subject_locked(std::move(sub), not_before_us, expires_at);
    return {};
}

Outcome<std::int64_t> MemoryRevocationStore::revoke_subject_now(std::string sub, std::int64_t at_least_us,
                                                                std::int64_t expires_at) {
    const auto cutoff_us = std::max(unix_microseconds(options_.clock), at_least_us);
    std::unique_lock lock(mutex_);
    return revoke_subject_locked(std::move(sub), cutoff_us + 1, expires_at) - 1;
}

Outcome<RefreshUseResult> MemoryRevocationStore::use_refresh(const RefreshUse& use) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    auto it = families_.find(use.family);
    if (it != families_.end()) {
        auto& family = it->second;
        if (family.revoked) return RefreshUseResult{};
        if (use.issued_at_us == family.used_up_to_us) return RefreshUseResult{false, family.given_us};
        if (use.issued_at_us < family.used_up_to_us) return RefreshUseResult{};
        family.used_up_to_us = use.issued_at_us;
        family.given_us = use.next_issued_at_us;
        family.expires_at = std::max(family.expires_at, use.expires_at);
        return RefreshUseResult{true, 0};
    }
    // A session's first refresh: its record is new.
    if (!room_locked(t, 64)) return Unavailable("revocation store is full").failure();
    auto [subject_it, subject_added] = subjects_.try_emplace(std::string(use.sub));
    if (subject_added) track_locked('s', subject_it->first, use.expires_at);
    auto& subject = subject_it->second;
    if (subject.sessions >= options_.max_sessions_per_subject)
        return Unavailable("revocation store: a subject holds max_sessions_per_subject sessions").failure();
    ++subject.sessions;
    subject.expires_at = std::max(subject.expires_at, use.expires_at);
    const auto family = families_.emplace(std::string(use.family), Family{false, use.issued_at_us, use.next_issued_at_us,
                                                                          use.expires_at, std::string(use.sub)});
    track_locked('f', family.first->first, use.expires_at);
    return RefreshUseResult{true, 0};
}

}  // namespace fauth
