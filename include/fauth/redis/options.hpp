/// @file
/// fauth/redis/options.hpp — connecting fauth's Redis-backed parts (RedisRevocationStore,
/// RedisThrottle, RedisReplayCache) to a Redis server. Link fauth::redis.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/core/config.hpp"

namespace fauth {

/// A Redis Sentinel's address (in a redis-sentinel:// URL).
struct RedisSentinel {
    /// Host name or address.
    std::string host;
    /// TCP port.
    int port = 26379;
};

/// Where a Redis server is, as read from a redis:// URL, or how to find it, as read from a
/// redis-sentinel:// URL.
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
    /// The sentinels to ask for the current master, in order (redis-sentinel:// URLs); empty:
    /// host and port are the server. With sentinels, every connection asks them for the master
    /// (`SENTINEL get-master-addr-by-name`) and checks that it is one (`ROLE`), so a connection
    /// lost in a failover reconnects to the new master.
    std::vector<RedisSentinel> sentinels;
    /// The master's name at the sentinels.
    std::string master_name;
};

/// Parses `redis://[[user]:password@]host[:port][/db]`, or
/// `redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/master_name[/db]` (the
/// credentials are the data nodes'; sentinels are asked without; a sentinel's port defaults to
/// 26379). Throws ConfigError saying what is wrong.
RedisEndpoint parse_redis_url(std::string_view url);

/// How a Redis-backed part connects and behaves while Redis is unreachable.
struct RedisOptions {
    /// The server, e.g. "redis://127.0.0.1:6379/0".
    std::string url = "redis://127.0.0.1:6379/0";
    /// Prefix of every key fauth writes (the throttle adds "throttle:" to it, the replay cache "dpop:").
    std::string key_prefix = "fauth:";
    /// Connections, each with its own I/O thread, which sends every command waiting for it in one
    /// round trip (pipelining); commands never run on the caller's thread.
    std::size_t connections = 2;
    /// Threads on which replies are handed back: what is chained to a store's answer (the
    /// user_loader, a guarded handler) runs on one of these, never on an I/O thread.
    std::size_t callback_threads = 2;
    /// Commands under way at once (queued, sent or waiting for their callback); beyond this,
    /// operations reject with Unavailable.
    std::size_t queue_capacity = 4096;
    /// Connect and command timeout.
    std::chrono::milliseconds timeout{500};
    /// While Redis cannot be reached: answer token checks and login attempts with Unavailable
    /// (503 with Retry-After: 1, so that clients keep their tokens and try again; true, the
    /// default), or treat tokens as valid and allow attempts. The DPoP replay cache always fails
    /// closed.
    bool fail_closed = true;
    /// Every key fauth writes has a TTL, so a Redis whose maxmemory-policy is anything but
    /// noeviction (volatile-* included) may drop them when full, and a revoked token would work
    /// again. fauth refuses such a server: at start-up (the store's constructor throws
    /// ConfigError when Redis is up) and at each connection (commands then fail, so checks answer
    /// 503 when fail_closed). Name a policy here to accept it anyway, e.g. "allkeys-lru"
    /// for a Redis that only holds login throttles. A Redis that forbids CONFIG GET is used, with
    /// a warning in the log.
    std::string accepted_eviction_policy;
    /// RedisRevocationStore: how many Redis keys (a token's, a session's, a user's: three per
    /// token checked) it remembers in memory, so that a repeated check answers at once, without a
    /// round trip; Redis announces every change to them (client-side caching, broadcast mode) on
    /// a connection of the store's own. Full, it forgets everything and fills again; 0 turns
    /// caching off (every check asks Redis).
    std::size_t revocation_cache_entries = 100'000;
    /// RedisRevocationStore: the longest a remembered key is used before Redis is asked again,
    /// counted from when the check that read it was sent. Announcements normally drop it first;
    /// this bounds how long a revoked access token could still pass were they lost unnoticed (a
    /// silent network fault, SWAPDB, a failover with the old primary alive), at one MGET per key
    /// and period: keep it about a second. (A refresh token's check always reads Redis.)
    std::chrono::milliseconds revocation_cache_max_age{1000};
    /// RedisRevocationStore: writes that end sessions (logout, a family revoked on reuse,
    /// revoke_all) are answered only once this many replicas hold them (`WAIT`), so that a
    /// failover right after cannot bring a session back; fewer in replica_ack_timeout make the
    /// write fail (503), never a silent success. -1 (the default): 1 with a redis-sentinel:// URL,
    /// 0 (no waiting) otherwise. Throttle counters and refresh records are not waited for: they
    /// are best-effort across a failover (docs/guides/redis.md).
    int replica_acknowledgements = -1;
    /// RedisRevocationStore: most sessions one user holds in its session list (open_session); a
    /// login beyond it ends the user's least recently refreshed session.
    std::size_t max_sessions_per_subject = 1000;
    /// How long a session-ending write waits for replica_acknowledgements replicas.
    std::chrono::milliseconds replica_ack_timeout{500};
    /// Where connection problems are reported (at most once a second); standard error when empty.
    LogSink log;
    /// Time source for entry lifetimes; the system clock when empty.
    Clock clock;
};

}  // namespace fauth
