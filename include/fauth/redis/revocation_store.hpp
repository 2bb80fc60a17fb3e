/// @file
/// fauth/redis/revocation_store.hpp — a RevocationStore in Redis (hiredis), so that every process
/// serving the same users agrees on what is revoked. Link fauth::redis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fauth/redis/options.hpp"
#include "fauth/auth/revocation.hpp"

namespace fauth {

namespace detail {
class RedisClient;
class RevocationCache;
class InvalidationListener;
}  // namespace detail

/// How a RedisRevocationStore connects (see RedisOptions).
using RedisStoreOptions = RedisOptions;

/// A RevocationStore on Redis. Entries are keys with TTLs, so Redis forgets them when the tokens
/// they concern have expired. is_revoked is one round trip (MGET), or none when the keys it reads
/// are cached (RedisOptions::revocation_cache_entries): the answer is then ready at once (never
/// for a query with RevocationQuery::must_read_store, and nothing cached is answered after a
/// check fails to read Redis, until Redis is read again). A write
/// of this process drops what it changes from its cache at once, one of another process as soon
/// as Redis's invalidation message arrives; while the connection that carries those is down,
/// nothing is cached. use_refresh is atomic (a script on the family's one key, and its session's
/// record when open_session made one).
/// A lost connection is re-established on the next command. Concurrent commands share round
/// trips (see RedisOptions::connections), and what is chained to an answer runs on the client's
/// callback threads (RedisOptions::callback_threads). Thread-safe.
class RedisRevocationStore final : public RevocationStore {
public:
    /// Prepares the connections (Redis need not be up yet). Throws ConfigError for a bad URL, or
    /// when Redis is up and its maxmemory-policy may evict fauth's keys (see
    /// RedisOptions::accepted_eviction_policy).
    explicit RedisRevocationStore(RedisStoreOptions options);
    ~RedisRevocationStore() override;

    Outcome<bool> is_revoked(const RevocationQuery& query) override;
    /// "redis".
    std::string_view kind() const noexcept override { return "redis"; }
    Outcome<void> revoke_token(std::string jti, std::int64_t expires_at) override;
    Outcome<void> revoke_family(std::string family, std::int64_t expires_at) override;
    Outcome<void> revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) override;
    /// revoke_subject up to now by Redis's clock (`TIME`, read in the script that writes, so every
    /// process sharing this Redis is judged by the same clock), or `at_least_us` if later.
    Outcome<std::int64_t> revoke_subject_now(std::string sub, std::int64_t at_least_us, std::int64_t expires_at) override;
    /// Also, on a first use, the session's last refresh (time, client) in the same script.
    Outcome<RefreshUseResult> use_refresh(const RefreshUse& use) override;
    /// True: a hash per session ("ses:" and its id), a sorted set per user ("sessions:" and the
    /// sub, by last refresh), a set per tag ("tag:" and the tag), each with a TTL.
    bool keeps_sessions() const noexcept override { return true; }
    /// One script; beyond RedisOptions::max_sessions_per_subject it ends the user's least
    /// recently refreshed sessions (dropping sessions already over first, only then).
    Outcome<void> open_session(SessionRecord record, std::int64_t kept_until) override;
    Outcome<std::vector<SessionRecord>> sessions_of(std::string sub) override;
    Outcome<bool> end_session(std::string sub, std::string id) override;
    Outcome<std::size_t> end_tagged(std::string tag) override;

    /// Keys whose state the cache holds now (0 while caching is off), for monitoring and tests.
    std::size_t cached_keys() const;

private:
    // SET key value EX ttl, for an entry useful until `expires_at`; `what` names it in errors.
    Outcome<void> write(std::string key, std::string value, std::int64_t expires_at, const char* what);

    // Declared first: the client's pending callbacks use it until the client is gone.
    std::unique_ptr<detail::RevocationCache> cache_;
    std::unique_ptr<detail::RedisClient> client_;
    RedisOptions options_;
    // Declared last: joined before the client and the cache it uses go.
    std::unique_ptr<detail::InvalidationListener> listener_;
};

}  // namespace fauth
