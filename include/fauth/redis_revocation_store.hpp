// fauth/redis_revocation_store.hpp — a RevocationStore in Redis (hiredis), so that every process
// serving the same users agrees on what is revoked. Link fauth::redis.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fauth/config.hpp"
#include "fauth/revocation.hpp"

namespace fauth {

namespace detail {
class RedisClient;
}

/// Where a Redis server is, as read from a redis:// URL.
struct RedisEndpoint {
    /// Host name or address.
    std::string host = "127.0.0.1";
    /// TCP port.
    int port = 6379;
    /// Database number (SELECT).
    int database = 0;
    /// ACL user name, or empty.
    std::string user;
    /// Password (AUTH), or empty.
    std::string password;
};

/// Parses `redis://[[user]:password@]host[:port][/db]`. Throws ConfigError saying what is wrong.
RedisEndpoint parse_redis_url(std::string_view url);

/// How a RedisRevocationStore connects and behaves while Redis is unreachable.
struct RedisStoreOptions {
    /// The server, e.g. "redis://127.0.0.1:6379/0".
    std::string url = "redis://127.0.0.1:6379/0";
    /// Prefix of every key fauth writes.
    std::string key_prefix = "fauth:";
    /// Connections, each with its own worker thread (commands never run on the caller's thread).
    std::size_t connections = 2;
    /// Commands that may wait for a connection; beyond this, operations reject with Unavailable.
    std::size_t queue_capacity = 4096;
    /// Connect and command timeout.
    std::chrono::milliseconds timeout{500};
    /// While Redis cannot be reached, treat every token as revoked (true, the default) or as valid.
    bool fail_closed = true;
    /// Where connection problems are reported (at most once a second); standard error when empty.
    LogSink log;
    /// Time source for TTLs; the system clock when empty.
    Clock clock;
};

/// A RevocationStore on Redis. Entries are keys with TTLs, so Redis forgets them when the tokens
/// they concern have expired. is_revoked is one round trip (MGET); mark_used is atomic (SET NX).
/// A lost connection is re-established on the next command. Thread-safe.
class RedisRevocationStore final : public RevocationStore {
public:
    /// Prepares the connections (Redis need not be up yet). Throws ConfigError for a bad URL.
    explicit RedisRevocationStore(RedisStoreOptions options);
    ~RedisRevocationStore() override;

    Pistache::Async::Promise<bool> is_revoked(const RevocationQuery& query) override;
    Pistache::Async::Promise<void> revoke_token(std::string jti, std::int64_t expires_at) override;
    Pistache::Async::Promise<void> revoke_family(std::string family, std::int64_t expires_at) override;
    Pistache::Async::Promise<void> revoke_subject(std::string sub, std::int64_t not_before, std::int64_t expires_at) override;
    Pistache::Async::Promise<bool> mark_used(std::string jti, std::int64_t expires_at) override;

private:
    // SET key value EX ttl, for an entry useful until `expires_at`; `what` names it in errors.
    Pistache::Async::Promise<void> write(std::string key, std::string value, std::int64_t expires_at, const char* what);

    std::shared_ptr<detail::RedisClient> client_;
    RedisStoreOptions options_;
};

}  // namespace fauth
