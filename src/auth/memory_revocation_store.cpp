#include <algorithm>
#include <mutex>

#include "fauth/auth/detail/promise.hpp"
#include "fauth/core/clock.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/auth/revocation.hpp"

namespace fauth {
namespace {

using Pistache::Async::Promise;

}  // namespace

MemoryRevocationStore::MemoryRevocationStore(Options options) : options_(std::move(options)) {}
MemoryRevocationStore::MemoryRevocationStore() : MemoryRevocationStore(Options{}) {}

std::int64_t MemoryRevocationStore::now() const {
    return unix_seconds(options_.clock);
}

std::optional<bool> RevocationStore::revoked_at_once(const RevocationQuery&) { return std::nullopt; }

Promise<std::int64_t> RevocationStore::revoke_subject_now(std::string sub, std::int64_t at_least_us, std::int64_t expires_at) {
    // No clock of its own: the caller's moment is the cutoff.
    auto [promise, settler] = detail::Settler<std::int64_t>::make();
    revoke_subject(std::move(sub), at_least_us + 1, expires_at)
        .then([settler = settler, at_least_us] { settler->resolve(at_least_us); },
              [settler = settler](std::exception_ptr e) { settler->reject_from(e, "revocation store"); });
    return std::move(promise);
}

std::optional<bool> MemoryRevocationStore::revoked_at_once(const RevocationQuery& query) { return revoked_now(query); }

bool MemoryRevocationStore::revoked_now(const RevocationQuery& q) const {
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

Promise<bool> MemoryRevocationStore::is_revoked(const RevocationQuery& query) {
    return Promise<bool>::resolved(revoked_now(query));
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
    std::erase_if(tokens_, [t](const auto& entry) { return entry.second <= t; });
    for (auto it = families_.begin(); it != families_.end();) {
        if (it->second.expires_at > t) {
            ++it;
            continue;
        }
        if (!it->second.sub.empty()) {
            const auto subject = subjects_.find(it->second.sub);
            if (subject != subjects_.end() && subject->second.sessions > 0) --subject->second.sessions;
        }
        it = families_.erase(it);
    }
    std::erase_if(subjects_, [t](const auto& entry) { return entry.second.expires_at <= t && entry.second.sessions == 0; });
}

bool MemoryRevocationStore::room_locked(std::int64_t t) {
    auto held = [this] { return tokens_.size() + families_.size() + subjects_.size(); };
    // Expired entries are swept once a minute, and when the store is full, at most once a second,
    // so that a flood of writes cannot make each of them pay for a whole sweep.
    if (t >= next_sweep_ || (held() >= options_.max_entries && t > last_sweep_)) {
        sweep_locked(t);
        last_sweep_ = t;
        next_sweep_ = t + 60;
    }
    return held() < options_.max_entries;
}

Promise<void> MemoryRevocationStore::revoke_token(std::string jti, std::int64_t expires_at) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    room_locked(t);  // sweeps when due; a revocation is recorded even beyond the cap
    auto& held = tokens_[std::move(jti)];
    held = std::max(held, expires_at);
    return Promise<void>::resolved();
}

Promise<void> MemoryRevocationStore::revoke_family(std::string family, std::int64_t expires_at) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    room_locked(t);
    auto& held = families_[std::move(family)];
    held.revoked = true;
    held.expires_at = std::max(held.expires_at, expires_at);
    return Promise<void>::resolved();
}

Promise<void> MemoryRevocationStore::revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    room_locked(t);
    auto& held = subjects_[std::move(sub)];
    held.not_before_us = std::max(held.not_before_us, not_before_us);
    held.expires_at = std::max(held.expires_at, expires_at);
    return Promise<void>::resolved();
}

Promise<std::int64_t> MemoryRevocationStore::revoke_subject_now(std::string sub, std::int64_t at_least_us, std::int64_t expires_at) {
    const auto cutoff_us = std::max(unix_microseconds(options_.clock), at_least_us);
    const auto t = now();
    std::unique_lock lock(mutex_);
    room_locked(t);
    auto& held = subjects_[std::move(sub)];
    held.not_before_us = std::max(held.not_before_us, cutoff_us + 1);
    held.expires_at = std::max(held.expires_at, expires_at);
    return Promise<std::int64_t>::resolved(held.not_before_us - 1);
}

Promise<RefreshUseResult> MemoryRevocationStore::use_refresh(const RefreshUse& use) {
    using Result = RefreshUseResult;
    const auto t = now();
    std::unique_lock lock(mutex_);
    auto it = families_.find(use.family);
    if (it != families_.end()) {
        auto& family = it->second;
        if (family.revoked) return Promise<Result>::resolved(Result{});
        if (use.issued_at_us == family.used_up_to_us) return Promise<Result>::resolved(Result{false, family.given_us});
        if (use.issued_at_us < family.used_up_to_us) return Promise<Result>::resolved(Result{});
        family.used_up_to_us = use.issued_at_us;
        family.given_us = use.next_issued_at_us;
        family.expires_at = std::max(family.expires_at, use.expires_at);
        return Promise<Result>::resolved(Result{true, 0});
    }
    // A session's first refresh: its record is new.
    if (!room_locked(t)) return Promise<Result>::rejected(Unavailable("revocation store is full"));
    auto& subject = subjects_[std::string(use.sub)];
    if (subject.sessions >= options_.max_sessions_per_subject)
        return Promise<Result>::rejected(Unavailable("revocation store: a subject holds max_sessions_per_subject sessions"));
    ++subject.sessions;
    subject.expires_at = std::max(subject.expires_at, use.expires_at);
    families_.emplace(std::string(use.family),
                      Family{false, use.issued_at_us, use.next_issued_at_us, use.expires_at, std::string(use.sub)});
    return Promise<Result>::resolved(Result{true, 0});
}

}  // namespace fauth
