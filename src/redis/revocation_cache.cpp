#include "revocation_cache.hpp"

#include <algorithm>

namespace fauth::detail {

RevocationCache::RevocationCache(std::size_t capacity, Clock::duration max_age)
    : capacity_(std::max(capacity, kKeys)), max_age_(max_age) {}

bool RevocationCache::lookup(const Keys& keys, Values& values, Ticket& ticket, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    ticket = Ticket{sequence_, enabled_, now};
    if (!enabled_) return false;
    for (std::size_t i = 0; i < kKeys; ++i) {
        const auto found = entries_.find(keys[i]);
        if (found == entries_.end() || now - found->second.stored >= max_age_) return false;
        values[i] = found->second.value;
    }
    return true;
}

RevocationCache::Ticket RevocationCache::ticket(Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    return Ticket{sequence_, enabled_, now};
}

bool RevocationCache::store(const Ticket& ticket, const Keys& keys, const Values& values) {
    Map dropped;  // freed after the lock is released
    std::lock_guard lock(mutex_);
    if (!ticket.enabled || !enabled_ || ticket.sequence != sequence_) return false;
    std::size_t added = 0;
    for (const auto& key : keys) added += entries_.count(key) == 0 ? 1 : 0;
    // Full: start again rather than keep ages or an order per entry. The reply in hand is kept
    // whole, so a check's keys are never held in part (at least kKeys fit).
    if (entries_.size() + added > capacity_) dropped.swap(entries_);
    for (std::size_t i = 0; i < kKeys; ++i) entries_.insert_or_assign(keys[i], Entry{values[i], ticket.time});
    return true;
}

void RevocationCache::invalidate(const std::vector<std::string>& keys) {
    std::lock_guard lock(mutex_);
    ++sequence_;
    for (const auto& key : keys) entries_.erase(key);
}

void RevocationCache::invalidate(const std::string& key) {
    std::lock_guard lock(mutex_);
    ++sequence_;
    entries_.erase(key);
}

void RevocationCache::clear() {
    Map dropped;  // freed after the lock is released
    std::lock_guard lock(mutex_);
    ++sequence_;
    dropped.swap(entries_);
}

void RevocationCache::set_enabled(bool on) {
    Map dropped;  // freed after the lock is released
    std::lock_guard lock(mutex_);
    ++sequence_;
    enabled_ = on;
    dropped.swap(entries_);
}

bool RevocationCache::enabled() const {
    std::lock_guard lock(mutex_);
    return enabled_;
}

std::size_t RevocationCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace fauth::detail
