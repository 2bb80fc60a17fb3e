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

namespace {

// `text` with control characters (C0, DEL) replaced by '?', cut to at most `bytes` bytes, never
// inside a UTF-8 sequence.
std::string bounded_text(std::string text, std::size_t bytes) {
    if (text.size() > bytes) {
        std::size_t cut = bytes;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // a continuation byte
        text.resize(cut);
    }
    for (auto& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return text;
}

Failure no_session_list() {
    return InternalError("this revocation store keeps no session list (RevocationStore::keeps_sessions)").failure();
}

}  // namespace

SessionRecord bounded_session(SessionRecord record) {
    record.user_agent = bounded_text(std::move(record.user_agent), kSessionUserAgentBytes);
    record.label = bounded_text(std::move(record.label), kSessionLabelBytes);
    record.client = bounded_text(std::move(record.client), kSessionClientBytes);
    return record;
}

std::optional<Failure> session_tags_refusal(const std::vector<std::string>& tags) {
    if (tags.size() > kSessionTags) return InternalError("a session carries at most 4 tags").failure();
    for (const auto& tag : tags)
        if (tag.empty() || tag.size() > kSessionTagBytes) return InternalError("a session's tag is 1 to 128 bytes").failure();
    return std::nullopt;
}

Outcome<void> RevocationStore::open_session(SessionRecord, std::int64_t) { return no_session_list(); }
Outcome<std::vector<SessionRecord>> RevocationStore::sessions_of(std::string) { return no_session_list(); }
Outcome<bool> RevocationStore::end_session(std::string, std::string) { return no_session_list(); }
Outcome<std::size_t> RevocationStore::end_tagged(std::string) { return no_session_list(); }

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
        drop_session_locked(it->second);
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
    drop_session_locked(held);
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
        if (family.session) {
            // Its session's last refresh, in O(1): the time, the client, and its place in its
            // subject's list (the last: the most recently refreshed).
            auto& session = *family.session;
            session.record.refreshed_us = use.next_issued_at_us;
            if (!use.client.empty()) session.record.client = bounded_session({.client = std::string(use.client)}).client;
            session.kept_until = std::min(std::max(session.kept_until, use.next_expires_at), session.record.expires_at);
            family.expires_at = std::max(family.expires_at, session.kept_until);
            const auto subject = subjects_.find(family.sub);
            if (subject != subjects_.end()) {
                auto& recent = subject->second.recent;
                recent.splice(recent.end(), recent, session.in_recent);
                subject->second.expires_at = std::max(subject->second.expires_at, session.kept_until);
            }
        }
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

bool MemoryRevocationStore::live_locked(const Family& family, std::int64_t t) const {
    if (family.revoked || !family.session) return false;
    const auto& session = *family.session;
    if (t >= session.kept_until || t >= session.record.expires_at) return false;
    const auto subject = subjects_.find(family.sub);
    // Cut off by revoke_subject: is_revoked judges its tokens by the session's start.
    return subject == subjects_.end() || subject->second.expires_at <= t ||
           session.record.started_us >= subject->second.not_before_us;
}

void MemoryRevocationStore::drop_session_locked(Family& family) {
    if (!family.session) return;
    auto session = std::move(family.session);
    for (const auto& tag : session->record.tags) {
        const auto it = tagged_.find(tag);
        if (it == tagged_.end()) continue;
        it->second.erase(session->record.id);
        if (it->second.empty()) tagged_.erase(it);
    }
    const auto subject = subjects_.find(family.sub);
    if (subject != subjects_.end()) {
        subject->second.recent.erase(session->in_recent);
        if (subject->second.sessions > 0) --subject->second.sessions;
    }
    family.sub.clear();  // no longer in its subject's count
}

void MemoryRevocationStore::end_locked(Family& family) {
    family.revoked = true;
    if (family.session) family.expires_at = std::max(family.expires_at, family.session->kept_until);
    drop_session_locked(family);
}

Outcome<void> MemoryRevocationStore::open_session(SessionRecord record, std::int64_t kept_until) {
    if (auto refused = session_tags_refusal(record.tags)) return std::move(*refused);
    record = bounded_session(std::move(record));
    kept_until = std::min(kept_until, record.expires_at);
    const auto t = now();
    std::unique_lock lock(mutex_);
    if (!room_locked(t, 64)) return Unavailable("revocation store is full").failure();
    if (families_.contains(record.id)) return InternalError("open_session: session " + record.id + " exists").failure();
    auto [subject_it, subject_added] = subjects_.try_emplace(record.sub);
    if (subject_added) track_locked('s', subject_it->first, kept_until);
    auto& subject = subject_it->second;
    if (subject.sessions >= options_.max_sessions_per_subject) {
        // At the bound: sessions that are over but not yet swept go first (O(sessions of the
        // subject), only at the bound), then the least recently refreshed live ones.
        for (auto it = subject.recent.begin(); it != subject.recent.end();) {
            auto& family = families_.find(*it++)->second;
            if (!live_locked(family, t)) end_locked(family);
        }
        while (subject.sessions >= options_.max_sessions_per_subject && !subject.recent.empty())
            end_locked(families_.find(subject.recent.front())->second);
        if (subject.sessions >= options_.max_sessions_per_subject)
            return Unavailable("revocation store: a subject holds max_sessions_per_subject sessions").failure();
    }
    ++subject.sessions;
    subject.expires_at = std::max(subject.expires_at, kept_until);
    auto session = std::make_unique<Session>();
    session->kept_until = kept_until;
    session->in_recent = subject.recent.insert(subject.recent.end(), record.id);
    for (const auto& tag : record.tags) tagged_[tag].insert(record.id);
    const auto [family, added] = families_.try_emplace(record.id);
    family->second.expires_at = kept_until;
    family->second.sub = record.sub;
    session->record = std::move(record);
    family->second.session = std::move(session);
    track_locked('f', family->first, kept_until);
    return {};
}

Outcome<std::vector<SessionRecord>> MemoryRevocationStore::sessions_of(std::string sub) {
    const auto t = now();
    std::shared_lock lock(mutex_);
    std::vector<SessionRecord> live;
    const auto subject = subjects_.find(sub);
    if (subject == subjects_.end()) return live;
    for (auto it = subject->second.recent.rbegin(); it != subject->second.recent.rend(); ++it) {
        const auto family = families_.find(*it);
        if (family != families_.end() && live_locked(family->second, t)) live.push_back(family->second.session->record);
    }
    return live;
}

Outcome<bool> MemoryRevocationStore::end_session(std::string sub, std::string id) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    const auto family = families_.find(id);
    if (family == families_.end() || !live_locked(family->second, t) || family->second.session->record.sub != sub) return false;
    end_locked(family->second);
    return true;
}

Outcome<std::size_t> MemoryRevocationStore::end_tagged(std::string tag) {
    const auto t = now();
    std::unique_lock lock(mutex_);
    const auto it = tagged_.find(tag);
    if (it == tagged_.end()) return std::size_t{0};
    // Copied: ending a session takes it out of this set.
    const std::vector<std::string> ids(it->second.begin(), it->second.end());
    std::size_t ended = 0;
    for (const auto& id : ids) {
        const auto family = families_.find(id);
        if (family == families_.end()) continue;
        if (live_locked(family->second, t)) ++ended;
        end_locked(family->second);
    }
    return ended;
}

}  // namespace fauth
