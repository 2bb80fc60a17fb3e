// redis_client.hpp — what the Redis-backed stores share: a few hiredis connections, each used by
// one worker thread at a time, reconnected when lost, with rate-limited outage reports.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fauth/config.hpp"
#include "fauth/detail/promise.hpp"
#include "fauth/errors.hpp"
#include "fauth/redis.hpp"
#include "fauth/worker_pool.hpp"

namespace fauth::detail {

/// Frees a hiredis reply.
struct RedisReplyFree {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
/// An owned hiredis reply.
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

/// A pool of Redis connections served by as many worker threads. Commands never run on the
/// caller's thread.
class RedisClient {
public:
    /// One connection, lent to one task at a time.
    class Connection {
    public:
        ~Connection() { close(); }
        /// Runs one command (arguments binary-safe); nothing, with `error` set, when Redis cannot
        /// be reached or answers with an error. A lost connection is re-established once.
        std::optional<RedisReply> command(const std::vector<std::string>& args, std::string& error);

    private:
        friend class RedisClient;
        bool connect(std::string& error);
        void close();
        redisContext* context_ = nullptr;
        const RedisClient* client_ = nullptr;
    };

    /// Checks the options (ConfigError for a bad URL or zero sizes) and starts the workers;
    /// Redis need not be up yet.
    static std::shared_ptr<RedisClient> create(RedisOptions options);
    /// Runs the tasks already accepted, then joins the workers. Never call it on a worker.
    ~RedisClient();

    /// Runs `work(connection, settler)` on a worker; `work` settles the promise. An exception it
    /// throws rejects the promise; a full queue rejects it with Unavailable.
    template <class T, class Work>
    Pistache::Async::Promise<T> submit(Work work) {
        auto [promise, settler] = Settler<T>::make();
        // The task does not own the client: the client's destructor runs every accepted task
        // before it joins the workers, on the destroying thread.
        auto task = [self = this, settler = settler, work = std::move(work)]() mutable {
            auto connection = self->acquire();
            try {
                work(*connection, *settler);
            } catch (...) {
                settler->reject_from(std::current_exception(), "redis");
            }
            self->release(std::move(connection));
        };
        if (!pool_->try_submit(std::move(task))) settler->reject(Unavailable("redis command queue is full"));
        return std::move(promise);
    }

    /// Logs `message` at most once a second, so an outage does not flood the log.
    void report(const std::string& message) const;

private:
    explicit RedisClient(RedisOptions options);
    std::unique_ptr<Connection> acquire();
    void release(std::unique_ptr<Connection> connection);

    RedisOptions options_;
    RedisEndpoint endpoint_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    mutable std::atomic<std::int64_t> last_report_{0};
    std::unique_ptr<WorkerPool> pool_;
};

}  // namespace fauth::detail
