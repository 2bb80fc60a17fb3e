// invalidation_listener.hpp — the connection on which Redis tells a RedisRevocationStore which
// of its keys changed (server-assisted client-side caching, broadcast mode, RESP2): it runs
// `CLIENT TRACKING on REDIRECT <its own id> BCAST PREFIX ...` and then SUBSCRIBEs to
// `__redis__:invalidate`, so that every write to a key under those prefixes, by any client, is
// announced on it. Caching is on only while that connection is up.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"
#include "revocation_cache.hpp"

namespace fauth::detail {

/// Keeps the invalidation connection from its own thread (`fauth-redis-inv`), started in the
/// constructor and joined in the destructor. It hands Redis's messages to `cache` (invalidate, or
/// clear on a flush), turns it on once subscribed and off when the connection is lost or the
/// master moves (RedisClient::generation; then it reconnects, backing off up to 2 s). Only the log sink of the store's options runs on it
/// (write_log never throws); anything else thrown there also turns caching off and reconnects.
class InvalidationListener {
public:
    /// Connects once now (when Redis is up, caching is on when this returns), then starts the
    /// thread. `cache` and `client` (which reports trouble to the log) must outlive it.
    InvalidationListener(RedisEndpoint endpoint, std::chrono::milliseconds timeout, std::vector<std::string> prefixes,
                         RevocationCache& cache, const RedisClient& client);
    /// Wakes the thread and joins it, then turns caching off. A thread that is connecting stops
    /// between the steps of its connection: within three timeouts at most (connect, AUTH, SELECT),
    /// one when Redis answers or refuses at once.
    ~InvalidationListener();
    InvalidationListener(const InvalidationListener&) = delete;
    InvalidationListener& operator=(const InvalidationListener&) = delete;

private:
    // Connects, enables tracking and subscribes; true when caching may start.
    bool connect();
    // Reads messages until the connection is lost (caching then goes off) or the listener stops.
    void listen();
    // Hands one message to the cache.
    void handle(const redisReply& reply);
    // Caching off, connection closed, `why` reported.
    void lost(const std::string& why);
    // Caching off, connection closed.
    void drop() noexcept;
    // Waits `delay`; true when the listener is stopping.
    bool pause(std::chrono::milliseconds delay);
    void run();

    const RedisEndpoint endpoint_;
    const std::chrono::milliseconds timeout_;
    const std::vector<std::string> prefixes_;
    RevocationCache& cache_;
    const RedisClient& client_;
    redisContext* context_ = nullptr;  // the listener's thread's only (the constructor's before it starts)
    std::uint64_t generation_ = 0;     // client_.generation() when context_ was opened
    bool refused_ = false;             // Redis refused tracking: caching stays off
    int wake_ = -1;                    // an eventfd the destructor writes to
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace fauth::detail
