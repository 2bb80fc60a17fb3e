// client.hpp — what the Redis-backed stores share: a few hiredis connections, each driven by
// one I/O thread that pipelines every command waiting for it into one round trip, and a pool of
// callback threads on which the replies are handed back. Connections are re-established when lost
// and outages are reported at a limited rate.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fauth/core/errors.hpp"
#include "fauth/core/outcome.hpp"
#include "fauth/redis/options.hpp"
#include "fauth/core/internal/worker_pool.hpp"

namespace fauth::detail {

/// Frees a hiredis reply.
struct RedisReplyFree {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
/// An owned hiredis reply.
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

/// What a reply that is missing (`error` says why) or not the one expected says in a log.
inline std::string reply_trouble(const std::string& error) { return error.empty() ? std::string("unexpected reply") : error; }

/// A connection to `endpoint`, authenticated and on its database (AUTH, SELECT), with `timeout`
/// for connecting and for every command; null with `error` set when that fails. The caller frees
/// it (redisFree). Behind Sentinel, a master the sentinels name under a configuration epoch below
/// `min_epoch` (an older failover's, RedisClient::master_epoch) is refused.
redisContext* redis_connect(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout, std::string& error,
                            long long min_epoch = -1);

/// Runs one command on `context` and waits for its reply; null with `error` set when the
/// connection failed (it is then unusable). A reply of Redis's error type is returned as it is.
RedisReply redis_command(redisContext* context, const std::vector<std::string>& args, std::string& error);

/// Redis's words in an error reply, quoted and escaped (a JSON string), fit for a message or a log.
std::string quoted_error(const redisReply& reply);

/// How many replicas must hold a write before it counts as done (WAIT), and how long to wait.
struct RedisAcknowledgement {
    /// Replicas; 0: none asked for.
    int replicas = 0;
    /// The longest wait.
    std::chrono::milliseconds timeout{0};
};

/// The acknowledgement `options` ask of session-ending writes (RedisOptions::replica_acknowledgements
/// resolved: 1 `behind_sentinel`, 0 otherwise, when automatic); ConfigError for bad values.
RedisAcknowledgement acknowledgement_of(const RedisOptions& options, bool behind_sentinel);

/// How long to wait before trying a lost connection again: 100 ms, doubling with each failure up
/// to 2 s, and back to 100 ms once it holds.
struct Backoff {
    /// The next wait.
    std::chrono::milliseconds delay{100};
    /// Not to be tried before this (for a caller that does not sleep: failed() sets it).
    std::chrono::steady_clock::time_point at{};

    /// The wait to take now; the next one is twice as long.
    std::chrono::milliseconds next() {
        const auto now = delay;
        delay = std::min(delay * 2, std::chrono::milliseconds(2000));
        return now;
    }
    /// A try failed: the next one not before next() from now.
    void failed() { at = std::chrono::steady_clock::now() + next(); }
    /// Whether a try is due.
    bool due() const { return std::chrono::steady_clock::now() >= at; }
    /// It holds: the next failure waits 100 ms again.
    void reset() { delay = std::chrono::milliseconds(100); }
};

/// `text` as a JSON string (quoted and escaped; bytes that are not UTF-8 replaced), so that words
/// from Redis or a sentinel reach a message or the log harmlessly.
std::string json_quoted(std::string_view text);

/// Reads subscribed connections (RESP2 Pub/Sub) from one thread, without owning them: every
/// message is handed on; a connection silent for a second is PINGed, and counts as lost when that
/// PING stays unanswered for another second (a silent half-open one included).
class SubscriptionReader {
public:
    /// A connection found lost: its index in the caller's list, and why.
    struct Lost {
        /// Index in the list given to read().
        std::size_t index;
        /// Why it counts as lost.
        std::string why;
    };
    /// Waits up to a second, or until `wake` (an eventfd) is signalled, for messages on
    /// `contexts` (null entries skipped), and hands each to `handle(index, message)`. Returns the
    /// first connection found lost (the caller frees it), or nothing.
    std::optional<Lost> read(const std::vector<redisContext*>& contexts, int wake,
                             const std::function<void(std::size_t, const redisReply&)>& handle);
    /// Forgets what it knew of the connection at `index` (lost: the next one there starts afresh).
    void forget(std::size_t index) {
        if (index < states_.size()) states_[index] = {};
    }

private:
    struct State {
        const redisContext* context = nullptr;        // the connection this state is about
        std::chrono::steady_clock::time_point heard;  // its last message, or the PING sent
        bool pinged = false;
    };
    std::vector<State> states_;
};

/// Sends commands to Redis from its own threads. Threads and their order of shutdown: the I/O
/// threads (one per connection, and one more for acknowledged writes) only talk to Redis; every
/// reply is handed to the callback pool, so whatever the caller chains to a command (loaders,
/// handlers) runs there, after the connection has moved on to other commands, never on an I/O
/// thread and never while a connection or a lock is held. Behind Sentinel, a watcher thread
/// subscribes to every sentinel's `+switch-master` announcements: when the master moves, every
/// connection is made again, through the sentinels, before its next command. The destructor
/// stops the watcher, sends what was accepted, joins the I/O threads, then runs the callbacks
/// and joins their threads.
class RedisClient {
public:
    /// The arguments of one command (binary-safe).
    using Args = std::vector<std::string>;

    /// Checks the options (ConfigError for a bad URL or zero sizes) and starts the threads;
    /// Redis need not be up yet. With `acknowledged_writes`, and when the options ask for
    /// replicas, the client has a connection of its own for acknowledged writes.
    /// `on_move` (behind Sentinel) is called on the watcher thread each time the master moves,
    /// before any connection is made again; it must not block.
    static std::unique_ptr<RedisClient> create(RedisOptions options, bool acknowledged_writes = false,
                                               std::function<void()> on_move = {});
    /// Sends the commands already accepted, runs their callbacks, then joins every thread.
    /// Never call it on one of the client's threads (the process aborts).
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    /// Sends `args`, and once its reply is in, settles the outcome with `interpret(reply, error)`
    /// (a Result<T>) on a callback thread: `reply` is null, with `error` saying why, when Redis
    /// could not be reached (after one reconnection) or answered with an error. A command a
    /// demoted master refused (READONLY) is sent once more, to the master the sentinels name
    /// then. `acknowledged` (on a client created with acknowledged_writes): the command goes on
    /// the connection for acknowledged writes, where each batch is followed by `WAIT replicas
    /// timeout` (RedisOptions::replica_acknowledgements), and fewer replicas acknowledging it in time make `reply` null
    /// too (the write may still have been made); waiting there holds no other command back. More
    /// commands than the queue capacity under way at once fail with Unavailable.
    template <class T, class Interpret>
    Outcome<T> submit(Args args, Interpret interpret, bool acknowledged = false) {
        auto [outcome, settle] = Outcome<T>::pending();
        auto complete = [settle = settle, interpret = std::move(interpret)](const redisReply* reply,
                                                                            const std::string& error) mutable {
            try {
                settle(interpret(reply, error));
            } catch (...) {  // out of memory while interpreting
                settle(failure_of(std::current_exception(), "redis"));
            }
        };
        if (!push(std::move(args), std::move(complete), acknowledged))
            settle(Unavailable("redis command queue is full").failure());
        return std::move(outcome);
    }

    /// Logs `message` at most once a second, so an outage does not flood the log.
    void report(const std::string& message) const;

    /// How many times the master has been seen to move (the watcher's count behind Sentinel;
    /// always 0 otherwise): a connection opened under an older count is made again.
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

    /// The highest configuration epoch the watcher has seen the master named with (-1 before it
    /// knows one, and without Sentinel): connections refuse a master named under an older one.
    long long master_epoch() const { return master_epoch_.load(std::memory_order_acquire); }

private:
    using Completion = std::function<void(const redisReply*, const std::string&)>;
    struct Command {
        Args args;
        Completion complete;
    };
    // Commands waiting for one kind of connection.
    struct Lane {
        std::deque<Command> queue;
        std::condition_variable ready;
        bool acknowledged = false;  // each batch followed by WAIT
    };
    struct Connection;

    RedisClient(RedisOptions options, bool acknowledged_writes, std::function<void()> on_move);
    // Starts the threads; on failure, joins those started and rethrows.
    void start();
    // Queues a command; false when too many are under way or the client is stopping.
    bool push(Args args, Completion complete, bool acknowledged);
    // One I/O thread: takes every command waiting in `lane`, pipelines them, hands the replies on.
    void serve(Lane& lane);
    // Sends `batch` on `connection` and hands each reply (or failure) to the callback pool;
    // commands refused as READONLY are sent once more when `resend_refused`.
    void send_batch(Connection& connection, std::vector<Command>& batch, const Lane& lane, bool resend_refused = true);
    // Hands one command's outcome to the callback pool.
    void hand_on(Command& command, redisReply* reply, std::string error);
    // The watcher thread (behind Sentinel): follows every sentinel's +switch-master, bumping generation_.
    void watch();
    // Stops and joins every thread started (the watcher first).
    void stop() noexcept;

    RedisOptions options_;
    RedisEndpoint endpoint_;
    RedisAcknowledgement acknowledgement_;  // replicas 0: no lane of acknowledged writes
    mutable std::atomic<std::int64_t> last_report_{0};
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<long long> master_epoch_{-1};

    std::mutex mutex_;
    Lane plain_;
    Lane acknowledged_{.acknowledged = true};
    bool stopping_ = false;
    std::atomic<std::size_t> under_way_{0};  // accepted and not yet called back

    std::unique_ptr<WorkerPool> callbacks_;
    std::vector<std::thread> io_;
    std::function<void()> on_move_;
    std::atomic<bool> watcher_stopping_{false};
    int wake_ = -1;  // an eventfd the destructor writes to, waking the watcher
    std::thread watcher_;
};

}  // namespace fauth::detail
