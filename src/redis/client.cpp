#include "client.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace fauth {

namespace {

constexpr std::string_view kRedisScheme = "redis://";
constexpr std::string_view kSentinelScheme = "redis-sentinel://";

// `url` as an error message may show it: the user name and password (before the last '@'
// of the part after the scheme) replaced by "***".
std::string shown(std::string_view url) {
    const auto scheme = url.find("://");
    const auto start = scheme == std::string_view::npos ? 0 : scheme + 3;
    const auto at = url.rfind('@');
    if (at == std::string_view::npos || at < start) return std::string(url);
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

// A TCP port number, 1 to 65535, or nothing.
std::optional<int> port_number(std::string_view text) {
    int port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) return std::nullopt;
    return port;
}

}  // namespace

RedisEndpoint parse_redis_url(std::string_view url) {
    const bool sentinel = url.substr(0, kSentinelScheme.size()) == kSentinelScheme;
    if (!sentinel && url.substr(0, kRedisScheme.size()) != kRedisScheme)
        throw ConfigError("Redis URL must start with redis:// or redis-sentinel:// (got '" + shown(url) + "')");
    RedisEndpoint e;
    auto rest = url.substr(sentinel ? kSentinelScheme.size() : kRedisScheme.size());
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const auto credentials = rest.substr(0, at);
        rest = rest.substr(at + 1);
        const auto colon = credentials.find(':');
        if (colon == std::string_view::npos) {
            e.password = std::string(credentials);
        } else {
            e.user = std::string(credentials.substr(0, colon));
            e.password = std::string(credentials.substr(colon + 1));
        }
    }
    std::string_view hosts = rest, path;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        hosts = rest.substr(0, slash);
        path = rest.substr(slash + 1);
    }
    auto number = [&](std::string_view text, int& out, const char* what) {
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        if (ec != std::errc() || end != text.data() + text.size() || out < 0)
            throw ConfigError(std::string("Redis URL has a bad ") + what + ": '" + shown(url) + "'");
    };
    // One host[:port] into `host` and `port`.
    auto address = [&](std::string_view host_port, std::string& host, int& port) {
        if (const auto colon = host_port.rfind(':'); colon != std::string_view::npos) {
            const auto parsed = port_number(host_port.substr(colon + 1));
            if (!parsed) throw ConfigError("Redis URL has a bad port: '" + shown(url) + "'");
            port = *parsed;
            host_port = host_port.substr(0, colon);
        }
        if (host_port.empty()) throw ConfigError("Redis URL has no host: '" + shown(url) + "'");
        host = std::string(host_port);
    };
    if (!sentinel) {
        address(hosts, e.host, e.port);
        if (!path.empty()) number(path, e.database, "database number");
        return e;
    }
    while (true) {
        const auto comma = hosts.find(',');
        RedisSentinel s;
        address(hosts.substr(0, comma), s.host, s.port);
        e.sentinels.push_back(std::move(s));
        if (comma == std::string_view::npos) break;
        hosts = hosts.substr(comma + 1);
    }
    const auto slash = path.find('/');
    e.master_name = std::string(path.substr(0, slash));
    if (e.master_name.empty()) throw ConfigError("Redis Sentinel URL names no master: '" + shown(url) + "'");
    if (slash != std::string_view::npos) number(path.substr(slash + 1), e.database, "database number");
    e.host = e.sentinels.front().host;  // until a sentinel names the master: where messages point
    e.port = e.sentinels.front().port;
    return e;
}

namespace detail {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// Queues one command on `context` (binary-safe); false when hiredis cannot allocate.
bool append(redisContext* context, const RedisClient::Args& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    return redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()) == REDIS_OK;
}

// The most commands one round trip carries.
constexpr std::size_t kMaxBatch = 512;

}  // namespace

namespace {

// "host:port" of a sentinel, for messages.
std::string where(const RedisSentinel& sentinel) { return sentinel.host + ":" + std::to_string(sentinel.port); }

// A master as a sentinel names it.
struct NamedMaster {
    std::string host;
    int port = 0;
    long long epoch = -1;  // the configuration epoch: each failover's is higher than the last's

    // `"host":port` for messages (a sentinel's words, quoted).
    std::string shown() const { return json_quoted(host) + ":" + std::to_string(port); }
};

// The master `sentinel` names for `name` (SENTINEL MASTER: its ip, port and config-epoch), or
// nothing with `error` saying why.
std::optional<NamedMaster> ask_sentinel(const RedisSentinel& sentinel, const std::string& name, std::chrono::milliseconds timeout,
                                        std::string& error) {
    redisContext* context = redis_connect(RedisEndpoint{.host = sentinel.host, .port = sentinel.port}, timeout, error);
    if (context == nullptr) return std::nullopt;
    const auto reply = redis_command(context, {"SENTINEL", "MASTER", name}, error);
    redisFree(context);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        error = reply && reply->type == REDIS_REPLY_ERROR ? quoted_error(*reply) : reply_trouble(error);
        return std::nullopt;
    }
    NamedMaster named;
    std::optional<int> port;
    for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
        const auto* field = reply->element[i];
        const auto* value = reply->element[i + 1];
        if (field->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING) continue;
        const std::string_view f(field->str, field->len), v(value->str, value->len);
        if (f == "ip") named.host = std::string(v);
        if (f == "port") port = port_number(v);
        if (f == "config-epoch") std::from_chars(v.data(), v.data() + v.size(), named.epoch);
    }
    if (named.host.empty() || !port) {
        error = "named no master's address";
        return std::nullopt;
    }
    named.port = *port;
    return named;
}

// The master the sentinels of `endpoint` name with the highest configuration epoch (that of the
// latest failover: a sentinel that has not heard of it yet names the old master under an older
// epoch), or nothing with `error` saying what each said. Every sentinel is asked, since right
// after a failover only its leader may know it: a sentinel whose host is gone costs `timeout`.
std::optional<NamedMaster> current_master(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout, std::string& error) {
    std::optional<NamedMaster> best;
    std::string said;
    for (const auto& sentinel : endpoint.sentinels) {
        std::string why;
        auto named = ask_sentinel(sentinel, endpoint.master_name, timeout, why);
        if (!named) {
            said += (said.empty() ? "" : "; ") + ("sentinel " + where(sentinel) + ": " + why);
            continue;
        }
        if (!best || named->epoch > best->epoch) best = std::move(named);
    }
    if (!best) error = said;
    return best;
}

// The master the sentinels of `endpoint` name (current_master), connected to (authenticated, on
// its database) and confirmed by ROLE; null with `error` saying why when there is none.
redisContext* connect_through_sentinels(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout, std::string& error,
                                        long long min_epoch) {
    std::string why;
    const auto named = current_master(endpoint, timeout, why);
    if (!named) {
        error = "no master '" + endpoint.master_name + "' named (" + why + ")";
        return nullptr;
    }
    if (named->epoch < min_epoch) {  // no sentinel that answered has heard of the latest failover yet
        error = "the sentinels that answered name master " + named->shown() + " of '" + endpoint.master_name +
                "' under configuration epoch " + std::to_string(named->epoch) + ", older than the " + std::to_string(min_epoch) +
                " already seen";
        return nullptr;
    }
    RedisEndpoint master = endpoint;
    master.sentinels.clear();
    master.host = named->host;
    master.port = named->port;
    redisContext* context = redis_connect(master, timeout, why);
    if (context == nullptr) {
        error = "master " + named->shown() + " of '" + endpoint.master_name + "': " + why;
        return nullptr;
    }
    // A node the sentinels still name may have been demoted by hand, or be on its way back as a
    // replica: it must say it is a master.
    const auto role = redis_command(context, {"ROLE"}, why);
    if (role && role->type == REDIS_REPLY_ARRAY && role->elements > 0 && role->element[0]->type == REDIS_REPLY_STRING &&
        std::string_view(role->element[0]->str, role->element[0]->len) == "master")
        return context;
    redisFree(context);
    error = "master " + named->shown() + " of '" + endpoint.master_name + "' is not a master";
    return nullptr;
}

}  // namespace

redisContext* redis_connect(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout, std::string& error,
                            long long min_epoch) {
    if (!endpoint.sentinels.empty()) return connect_through_sentinels(endpoint, timeout, error, min_epoch);
    redisContext* context = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(timeout));
    if (context == nullptr || context->err) {
        error = context ? context->errstr : "cannot allocate a connection";
        if (context) redisFree(context);
        return nullptr;
    }
    redisSetTimeout(context, to_timeval(timeout));
    std::vector<RedisClient::Args> setup;
    if (!endpoint.password.empty()) {
        if (endpoint.user.empty())
            setup.push_back({"AUTH", endpoint.password});
        else
            setup.push_back({"AUTH", endpoint.user, endpoint.password});
    }
    if (endpoint.database != 0) setup.push_back({"SELECT", std::to_string(endpoint.database)});
    // Named, so that CLIENT LIST tells fauth's connections apart (refused by an ACL, or unknown
    // to a proxy, it goes without).
    setup.push_back({"CLIENT", "SETNAME", "fauth"});
    for (const auto& args : setup) {
        const auto reply = redis_command(context, args, error);
        const bool unnamed = reply && reply->type == REDIS_REPLY_ERROR && args[0] == "CLIENT" &&
                             (std::string_view(reply->str, reply->len).starts_with("NOPERM") ||
                              std::string_view(reply->str, reply->len).starts_with("ERR unknown"));
        if (!reply || (reply->type == REDIS_REPLY_ERROR && !unnamed)) {
            if (reply) error = quoted_error(*reply);
            redisFree(context);
            return nullptr;
        }
    }
    return context;
}

RedisReply redis_command(redisContext* context, const std::vector<std::string>& args, std::string& error) {
    void* raw = nullptr;
    if (!append(context, args) || redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
        error = context->err ? context->errstr : "cannot allocate a command";
        return nullptr;
    }
    return RedisReply(static_cast<redisReply*>(raw));
}

std::string json_quoted(std::string_view text) {
    return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string quoted_error(const redisReply& reply) { return json_quoted(std::string_view(reply.str, reply.len)); }

RedisAcknowledgement acknowledgement_of(const RedisOptions& options, bool behind_sentinel) {
    if (options.replica_acknowledgements < -1)
        throw ConfigError("Redis options: replica_acknowledgements must be -1 (automatic), 0 or more");
    if (options.replica_ack_timeout.count() <= 0) throw ConfigError("Redis options: replica_ack_timeout must be positive");
    const int replicas = options.replica_acknowledgements >= 0 ? options.replica_acknowledgements : behind_sentinel ? 1 : 0;
    return {replicas, options.replica_ack_timeout};
}

std::optional<SubscriptionReader::Lost> SubscriptionReader::read(
    const std::vector<redisContext*>& contexts, int wake, const std::function<void(std::size_t, const redisReply&)>& handle) {
    constexpr auto kIdle = std::chrono::seconds(1);
    states_.resize(contexts.size());
    auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < contexts.size(); ++i)
        if (states_[i].context != contexts[i]) states_[i] = {contexts[i], now, false};  // a new connection
    // Hands on the messages already read from connection `i`; false when it is lost.
    auto drain = [&](std::size_t i) {
        for (;;) {
            void* raw = nullptr;
            if (redisGetReplyFromReader(contexts[i], &raw) != REDIS_OK) return false;
            if (raw == nullptr) return true;
            const RedisReply reply(static_cast<redisReply*>(raw));
            states_[i].heard = std::chrono::steady_clock::now();
            states_[i].pinged = false;
            handle(i, *reply);
        }
    };
    std::vector<pollfd> fds;
    std::vector<std::size_t> index;  // of each pollfd but the last (wake)
    for (std::size_t i = 0; i < contexts.size(); ++i) {
        if (contexts[i] == nullptr) continue;
        if (!drain(i)) return Lost{i, contexts[i]->errstr};
        fds.push_back({contexts[i]->fd, POLLIN, 0});
        index.push_back(i);
    }
    fds.push_back({wake, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::chrono::milliseconds(kIdle).count())) < 0 && errno != EINTR)
        return Lost{index.empty() ? 0 : index.front(), "poll failed"};
    now = std::chrono::steady_clock::now();
    for (std::size_t k = 0; k < index.size(); ++k) {
        const auto i = index[k];
        auto* context = contexts[i];
        if (fds[k].revents != 0 && (redisBufferRead(context) != REDIS_OK || !drain(i))) return Lost{i, context->errstr};
        auto& state = states_[i];
        if (now - state.heard < kIdle) continue;
        if (state.pinged) return Lost{i, "no answer to PING"};
        if (redisAppendCommand(context, "PING") != REDIS_OK) return Lost{i, "cannot allocate a command"};
        for (int done = 0; !done;)
            if (redisBufferWrite(context, &done) != REDIS_OK) return Lost{i, context->errstr};
        state.heard = now;
        state.pinged = true;
    }
    return std::nullopt;
}

// One hiredis connection, used by one I/O thread only.
struct RedisClient::Connection {
    redisContext* context = nullptr;
    std::uint64_t generation = 0;  // RedisClient::generation() when it was opened

    ~Connection() { close(); }
    void close() {
        if (context) redisFree(context);
        context = nullptr;
    }
    // Connects, authenticates, selects the database and checks that Redis will not evict fauth's
    // keys; false with `error` set on failure (and `evicting` set when that is the reason).
    // `warning` says when the eviction policy could not be read.
    bool open(const RedisEndpoint& endpoint, long long min_epoch, const RedisOptions& options, std::string& error, bool& evicting,
              std::string& warning) {
        context = redis_connect(endpoint, options.timeout, error, min_epoch);
        if (context == nullptr) return false;
        return check_eviction_policy(options.accepted_eviction_policy, error, evicting, warning);
    }

    // Every key fauth writes has a TTL, so any policy but noeviction (volatile-* included) may
    // drop them under memory pressure: a revoked token would work again.
    bool check_eviction_policy(const std::string& accepted, std::string& error, bool& evicting, std::string& warning) {
        const auto reply = redis_command(context, {"CONFIG", "GET", "maxmemory-policy"}, error);
        if (!reply) {
            close();
            return false;
        }
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[1]->type != REDIS_REPLY_STRING) {
            // CONFIG may be forbidden (ACL) or renamed (managed services): say so, and go on.
            warning = "cannot read maxmemory-policy (" +
                      (reply->type == REDIS_REPLY_ERROR ? quoted_error(*reply) : std::string("unexpected reply")) +
                      "); make sure it is noeviction, or revoked tokens may work again when Redis is full";
            return true;
        }
        const std::string policy(reply->element[1]->str, reply->element[1]->len);
        if (policy == "noeviction" || (!accepted.empty() && policy == accepted)) return true;
        // What Redis says is quoted and escaped (a JSON string) before it reaches a message or the log.
        error = "maxmemory-policy is " + json_quoted(policy) +
                ", which lets Redis evict fauth's keys when it is full (a revoked token would work again): run Redis "
                "with maxmemory-policy noeviction or give fauth its own instance, or accept this policy by name in "
                "RedisOptions::accepted_eviction_policy";
        evicting = true;
        close();
        return false;
    }
};

std::unique_ptr<RedisClient> RedisClient::create(RedisOptions options, bool acknowledged_writes, std::function<void()> on_move) {
    if (options.connections == 0) throw ConfigError("Redis options: connections must be at least 1");
    if (options.callback_threads == 0) throw ConfigError("Redis options: callback_threads must be at least 1");
    if (options.queue_capacity == 0) throw ConfigError("Redis options: queue_capacity must be at least 1");
    if (options.timeout.count() <= 0) throw ConfigError("Redis options: timeout must be positive");
    auto client = std::unique_ptr<RedisClient>(new RedisClient(std::move(options), acknowledged_writes, std::move(on_move)));
    client->start();
    return client;
}

RedisClient::RedisClient(RedisOptions options, bool acknowledged_writes, std::function<void()> on_move)
    : options_(std::move(options)),
      endpoint_(parse_redis_url(options_.url)),
      acknowledgement_(acknowledged_writes ? acknowledgement_of(options_, !endpoint_.sentinels.empty()) : RedisAcknowledgement{}),
      on_move_(std::move(on_move)) {
    // At start-up, a server that is up already must not be one that evicts fauth's keys. (One
    // that is down is checked when a connection to it opens; until then commands fail.)
    Connection probe;
    std::string error, warning;
    bool evicting = false;
    if (!probe.open(endpoint_, -1, options_, error, evicting, warning) && evicting)
        throw ConfigError("Redis at " + endpoint_.host + ":" + std::to_string(endpoint_.port) + ": " + error);
    if (!warning.empty()) report(warning);
}

void RedisClient::start() {
    try {
        if (!endpoint_.sentinels.empty()) {
            wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (wake_ < 0) throw std::runtime_error("redis: cannot make an eventfd for the sentinel watcher");
        }
        // Never more callbacks waiting than commands under way (push bounds those), so handing one
        // on always finds room.
        callbacks_ = std::make_unique<WorkerPool>(options_.callback_threads, options_.queue_capacity, 0, "fauth-redis-cb");
        io_.reserve(options_.connections + 1);
        for (std::size_t i = 0; i < options_.connections; ++i) io_.emplace_back([this] { serve(plain_); });
        if (acknowledgement_.replicas > 0) io_.emplace_back([this] { serve(acknowledged_); });
        if (wake_ >= 0) watcher_ = std::thread([this] { watch(); });
    } catch (...) {  // a thread could not start: those that did are joined
        stop();
        throw;
    }
}

RedisClient::~RedisClient() {
    for (const auto& t : io_)
        if (t.get_id() == std::this_thread::get_id()) {
            std::fputs("fauth: a Redis client was destroyed on one of its own threads; its owner must destroy it\n", stderr);
            std::abort();
        }
    stop();
}

void RedisClient::stop() noexcept {
    if (watcher_.joinable()) {
        watcher_stopping_ = true;
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof one);
        watcher_.join();
    }
    if (wake_ >= 0) ::close(wake_);
    wake_ = -1;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    plain_.ready.notify_all();
    acknowledged_.ready.notify_all();
    for (auto& t : io_) t.join();
    io_.clear();
    callbacks_.reset();  // runs the callbacks handed on by the I/O threads, then joins
}

void RedisClient::report(const std::string& message) const {
    const auto second =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    auto last = last_report_.load();
    if (second != last && last_report_.compare_exchange_strong(last, second)) write_log(options_.log, "redis: " + message);
}

bool RedisClient::push(Args args, Completion complete, bool acknowledged) {
    if (under_way_.fetch_add(1) >= options_.queue_capacity) {
        under_way_.fetch_sub(1);
        return false;
    }
    Lane& lane = acknowledged && acknowledgement_.replicas > 0 ? acknowledged_ : plain_;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            under_way_.fetch_sub(1);
            return false;
        }
        lane.queue.push_back(Command{std::move(args), std::move(complete)});
    }
    lane.ready.notify_one();
    return true;
}

void RedisClient::serve(Lane& lane) {
    ::pthread_setname_np(::pthread_self(), lane.acknowledged ? "fauth-redis-ack" : "fauth-redis-io");
    Connection connection;
    std::vector<Command> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            lane.ready.wait(lock, [&] { return stopping_ || !lane.queue.empty(); });
            if (lane.queue.empty()) return;  // stopping, and everything accepted has been sent
            const auto n = std::min(lane.queue.size(), kMaxBatch);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(lane.queue.front()));
                lane.queue.pop_front();
            }
        }
        send_batch(connection, batch, lane);
        batch.clear();
    }
}

namespace {

// A master demoted by a failover refuses writes with READONLY (the command was not run); before
// Redis 7, a script's write is refused inside an "ERR Error running script" reply.
bool refused_as_readonly(const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return false;
    const std::string_view text(reply->str, reply->len);
    return text.starts_with("READONLY") || (text.starts_with("ERR Error running script") && text.find("-READONLY ") != text.npos);
}

}  // namespace

void RedisClient::send_batch(Connection& connection, std::vector<Command>& batch, const Lane& lane, bool resend_refused) {
    std::size_t answered = 0;
    std::string error;
    bool demoted = false;
    std::vector<Command> refused;  // READONLY: sent once more, once the connection is made again
    // One reply: handed on, or kept aside to be sent again.
    auto settle = [&](RedisReply reply, std::string why) {
        Command& command = batch[answered++];
        if (refused_as_readonly(reply.get())) {
            demoted = true;
            if (resend_refused) return refused.push_back(std::move(command));
        }
        hand_on(command, reply.release(), std::move(why));
    };
    const auto wait = lane.acknowledged ? RedisClient::Args{"WAIT", std::to_string(acknowledgement_.replicas),
                                                            std::to_string(acknowledgement_.timeout.count())}
                                        : RedisClient::Args{};
    // A lost connection is re-established once; the commands it had not answered go again.
    for (int attempt = 0; attempt < 2 && answered < batch.size(); ++attempt) {
        if (connection.context && connection.generation != generation()) connection.close();  // the master moved
        if (!connection.context) {
            bool evicting = false;
            std::string warning;
            const auto generation_at_open = generation();
            const bool opened = connection.open(endpoint_, master_epoch(), options_, error, evicting, warning);
            if (!warning.empty()) report(warning);
            if (!opened) continue;
            connection.generation = generation_at_open;
        }
        bool appended = true;
        for (std::size_t i = answered; i < batch.size() && appended; ++i) appended = append(connection.context, batch[i].args);
        if (appended && lane.acknowledged) appended = append(connection.context, wait);  // covers every write before it
        if (!appended) {
            error = "cannot allocate a command";
            connection.close();
            continue;
        }
        std::vector<RedisReply> held;  // acknowledged writes' replies, until WAIT answers
        bool lost = false;
        for (std::size_t i = answered; i < batch.size(); ++i) {
            void* reply = nullptr;
            if (redisGetReply(connection.context, &reply) != REDIS_OK) {  // the connection is unusable
                lost = true;
                break;
            }
            if (lane.acknowledged)
                held.emplace_back(static_cast<redisReply*>(reply));
            else
                settle(RedisReply(static_cast<redisReply*>(reply)), {});
        }
        if (!lost && lane.acknowledged) {
            void* waited = nullptr;
            // WAIT may hold its answer back for its whole timeout: the read waits that long too.
            redisSetTimeout(connection.context, to_timeval(options_.timeout + acknowledgement_.timeout));
            lost = redisGetReply(connection.context, &waited) != REDIS_OK;
            if (!lost) {
                redisSetTimeout(connection.context, to_timeval(options_.timeout));
                const RedisReply acknowledged(static_cast<redisReply*>(waited));
                const bool held_by_replicas = acknowledged && acknowledged->type == REDIS_REPLY_INTEGER &&
                                              acknowledged->integer >= acknowledgement_.replicas;
                const auto unacknowledged =
                    "written, but not acknowledged by " + std::to_string(acknowledgement_.replicas) + " replica(s) within " +
                    std::to_string(acknowledgement_.timeout.count()) + " ms (WAIT answered " +
                    (acknowledged && acknowledged->type == REDIS_REPLY_INTEGER ? std::to_string(acknowledged->integer)
                                                                               : std::string("no count")) +
                    ")";
                for (auto& reply : held) {
                    if (!held_by_replicas && reply && reply->type != REDIS_REPLY_ERROR)
                        settle(nullptr, unacknowledged);
                    else
                        settle(std::move(reply), {});
                }
            }
        }
        if (lost) {  // what was not handed on is sent again (a write whose WAIT was lost included)
            error = connection.context->errstr;
            connection.close();
        }
        if (demoted) connection.close();  // the next batch asks the sentinels again
    }
    for (; answered < batch.size(); ++answered) hand_on(batch[answered], nullptr, error);
    if (!refused.empty()) send_batch(connection, refused, lane, false);
}

void RedisClient::watch() {
    ::pthread_setname_np(::pthread_self(), "fauth-redis-sen");
    const auto& sentinels = endpoint_.sentinels;
    std::string known;           // the master last learnt, as shown
    long long known_epoch = -1;  // the highest configuration epoch the sentinels named it with
    // `master`, named now (with its configuration epoch; -1 from an announcement): when it is not
    // the one last learnt, every connection is made again. An answer of an older epoch (a
    // sentinel that has not heard of the latest failover) is ignored.
    auto learn = [&](const std::string& master, long long epoch, const std::string& source) {
        if (epoch >= 0 && epoch < known_epoch) return;
        known_epoch = std::max(known_epoch, epoch);
        master_epoch_.store(known_epoch, std::memory_order_release);
        if (master == known) return;
        const bool first = known.empty();
        // Not held back by report()'s limit: there is one line per failover.
        if (!first)
            write_log(options_.log,
                      "redis: master '" + endpoint_.master_name + "' is now " + master + " (" + source + "): reconnecting");
        // (The first time too: the connections opened before may have found an older master.)
        // The count first: the invalidation connection reads it before it turns caching on.
        generation_.fetch_add(1, std::memory_order_acq_rel);
        if (on_move_) on_move_();
        known = master;
        if (first)
            write_log(options_.log, "redis: following master '" + endpoint_.master_name + "' at " + master + " (" + source + ")");
    };
    // One subscription to +switch-master per sentinel, so that a sentinel cut off from the others
    // (which hears of no failover) cannot hide one.
    std::vector<redisContext*> subscribed(sentinels.size(), nullptr);
    std::vector<Backoff> retry(sentinels.size());  // reset only once a subscription holds (a message came)
    SubscriptionReader reader;
    Backoff ask;  // asking for the master while none is known
    auto lose = [&](std::size_t i, const std::string& why) {
        redisFree(subscribed[i]);
        subscribed[i] = nullptr;
        reader.forget(i);
        retry[i].failed();
        report("sentinel " + where(sentinels[i]) + ": " + why + "; subscribing again");
    };
    while (!watcher_stopping_) {
        try {
            bool joined = false;
            for (std::size_t i = 0; i < sentinels.size() && !watcher_stopping_; ++i) {
                if (subscribed[i] != nullptr || !retry[i].due()) continue;
                std::string why;
                redisContext* context =
                    redis_connect(RedisEndpoint{.host = sentinels[i].host, .port = sentinels[i].port}, options_.timeout, why);
                if (context == nullptr) {
                    retry[i].failed();
                    continue;
                }
                subscribed[i] = context;
                const auto reply = redis_command(context, {"SUBSCRIBE", "+switch-master"}, why);
                if (!reply || reply->type != REDIS_REPLY_ARRAY) {
                    lose(i, "cannot SUBSCRIBE (" +
                                (reply && reply->type == REDIS_REPLY_ERROR ? quoted_error(*reply) : reply_trouble(why)) + ")");
                    continue;
                }
                joined = true;
            }
            // A switch announced while a sentinel was not listened to: the master named now (asked
            // again, backing off, until a first one is learnt).
            if ((joined || (known.empty() && ask.due())) && !watcher_stopping_) {
                std::string why;
                if (const auto named = current_master(endpoint_, options_.timeout, why))
                    learn(named->shown(), named->epoch, "the sentinels");
                ask.failed();  // (spaces the asking while none is known; once one is, only a join asks)
            }
            // ["message", "+switch-master", "<name> <old host> <old port> <new host> <new port>"]
            const auto lost = reader.read(subscribed, wake_, [&](std::size_t i, const redisReply& message) {
                if (message.type != REDIS_REPLY_ARRAY || message.elements != 3 || message.element[2]->type != REDIS_REPLY_STRING)
                    return;
                retry[i].reset();  // it holds
                const std::string_view text(message.element[2]->str, message.element[2]->len);
                std::vector<std::string_view> words;
                for (std::size_t start = 0; start <= text.size();) {
                    const auto space = std::min(text.find(' ', start), text.size());
                    words.push_back(text.substr(start, space - start));
                    start = space + 1;
                }
                if (words.size() != 5 || words[0] != endpoint_.master_name) return;
                const auto source = "+switch-master from sentinel " + where(sentinels[i]);
                // The sentinels asked at once, for the new configuration's epoch (the announcing one
                // knows it); the announcement's words when none answers.
                std::string why;
                if (const auto named = current_master(endpoint_, options_.timeout, why))
                    learn(named->shown(), named->epoch, source);
                else if (const auto port = port_number(words[4]))
                    learn(NamedMaster{.host = std::string(words[3]), .port = *port}.shown(), -1, source);
            });
            if (lost) lose(lost->index, lost->why);
        } catch (...) {
            // Nothing thrown here may end the process (an allocation that failed): the
            // subscriptions are made again, and the master asked for, after a pause.
            for (std::size_t i = 0; i < subscribed.size(); ++i)
                if (subscribed[i] != nullptr) lose(i, "dropped after an error");
            pollfd wake{wake_, POLLIN, 0};
            ::poll(&wake, 1, 100);
        }
    }
    for (auto* context : subscribed)
        if (context != nullptr) redisFree(context);
}

void RedisClient::hand_on(Command& command, redisReply* raw, std::string error) {
    RedisReply reply(raw);
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        error = quoted_error(*reply);  // Redis's words reach messages and the log
        reply.reset();
    }
    auto task = [this, complete = std::move(command.complete), reply = std::shared_ptr<redisReply>(std::move(reply)),
                 error = std::move(error)]() mutable {
        complete(reply.get(), error);
        complete = nullptr;  // what the caller chained is released before the command counts as done
        under_way_.fetch_sub(1);
    };
    if (!callbacks_->try_submit(std::move(task))) {
        // Cannot happen: push() keeps the commands under way within the pool's capacity, and the
        // pool stops only after the I/O threads have been joined.
        std::fputs("fauth: the Redis callback queue refused a reply\n", stderr);
        std::abort();
    }
}

}  // namespace detail
}  // namespace fauth
