#include "client.hpp"

#include <pthread.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>

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
            number(host_port.substr(colon + 1), port, "port");
            if (port == 0 || port > 65535) throw ConfigError("Redis URL has a bad port: '" + shown(url) + "'");
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

// The master the sentinels of `endpoint` name, connected to (authenticated, on its database)
// and confirmed by ROLE; the first sentinel that answers with a confirmed master wins. Null
// with `error` saying what each said when none does.
redisContext* connect_through_sentinels(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout, std::string& error) {
    std::string said;
    for (const auto& sentinel : endpoint.sentinels) {
        const auto where = sentinel.host + ":" + std::to_string(sentinel.port);
        std::string why;
        RedisEndpoint asked{.host = sentinel.host, .port = sentinel.port};
        redisContext* context = redis_connect(asked, timeout, why);
        if (context == nullptr) {
            said += (said.empty() ? "" : "; ") + ("sentinel " + where + ": " + why);
            continue;
        }
        const auto reply = redis_command(context, {"SENTINEL", "get-master-addr-by-name", endpoint.master_name}, why);
        redisFree(context);
        int port = 0;
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
            reply->element[1]->type != REDIS_REPLY_STRING ||
            std::from_chars(reply->element[1]->str, reply->element[1]->str + reply->element[1]->len, port).ptr !=
                reply->element[1]->str + reply->element[1]->len ||
            port < 1 || port > 65535) {
            said += (said.empty() ? "" : "; ") + ("sentinel " + where + ": " +
                                                  (reply && reply->type == REDIS_REPLY_ERROR ? quoted_error(*reply)
                                                   : reply ? std::string("knows no master of that name")
                                                           : reply_trouble(why)));
            continue;
        }
        RedisEndpoint master = endpoint;
        master.sentinels.clear();
        master.host.assign(reply->element[0]->str, reply->element[0]->len);
        master.port = port;
        const auto named = nlohmann::json(master.host).dump() + ":" + std::to_string(port);  // a sentinel's words, quoted
        context = redis_connect(master, timeout, why);
        if (context == nullptr) {
            said += (said.empty() ? "" : "; ") + ("master " + named + " (from sentinel " + where + "): " + why);
            continue;
        }
        // A sentinel may not know of a failover yet: the master must say it is one.
        const auto role = redis_command(context, {"ROLE"}, why);
        if (role && role->type == REDIS_REPLY_ARRAY && role->elements > 0 && role->element[0]->type == REDIS_REPLY_STRING &&
            std::string_view(role->element[0]->str, role->element[0]->len) == "master")
            return context;
        redisFree(context);
        said += (said.empty() ? "" : "; ") + ("master " + named + " (from sentinel " + where + ") is not a master");
    }
    error = "no master '" + endpoint.master_name + "' confirmed (" + said + ")";
    return nullptr;
}

}  // namespace

redisContext* redis_connect(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout, std::string& error) {
    if (!endpoint.sentinels.empty()) return connect_through_sentinels(endpoint, timeout, error);
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
    for (const auto& args : setup) {
        const auto reply = redis_command(context, args, error);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
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

std::string quoted_error(const redisReply& reply) { return nlohmann::json(std::string(reply.str, reply.len)).dump(); }

// One hiredis connection, used by one I/O thread only.
struct RedisClient::Connection {
    redisContext* context = nullptr;

    ~Connection() { close(); }
    void close() {
        if (context) redisFree(context);
        context = nullptr;
    }
    // Connects, authenticates, selects the database and checks that Redis will not evict fauth's
    // keys; false with `error` set on failure (and `evicting` set when that is the reason).
    // `warning` says when the eviction policy could not be read.
    bool open(const RedisEndpoint& endpoint, const RedisOptions& options, std::string& error, bool& evicting,
              std::string& warning) {
        context = redis_connect(endpoint, options.timeout, error);
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
        error = "maxmemory-policy is " + nlohmann::json(policy).dump() +
                ", which lets Redis evict fauth's keys when it is full (a revoked token would work again): run Redis "
                "with maxmemory-policy noeviction or give fauth its own instance, or accept this policy by name in "
                "RedisOptions::accepted_eviction_policy";
        evicting = true;
        close();
        return false;
    }
};

std::unique_ptr<RedisClient> RedisClient::create(RedisOptions options) {
    if (options.connections == 0) throw ConfigError("Redis options: connections must be at least 1");
    if (options.callback_threads == 0) throw ConfigError("Redis options: callback_threads must be at least 1");
    if (options.queue_capacity == 0) throw ConfigError("Redis options: queue_capacity must be at least 1");
    if (options.timeout.count() <= 0) throw ConfigError("Redis options: timeout must be positive");
    return std::unique_ptr<RedisClient>(new RedisClient(std::move(options)));
}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)), endpoint_(parse_redis_url(options_.url)) {
    // Never more callbacks waiting than commands under way (push bounds those), so handing one on
    // always finds room.
    // At start-up, a server that is up already must not be one that evicts fauth's keys. (One
    // that is down is checked when a connection to it opens; until then commands fail.)
    {
        Connection probe;
        std::string error, warning;
        bool evicting = false;
        if (!probe.open(endpoint_, options_, error, evicting, warning) && evicting)
            throw ConfigError("Redis at " + endpoint_.host + ":" + std::to_string(endpoint_.port) + ": " + error);
        if (!warning.empty()) report(warning);
    }
    callbacks_ = std::make_unique<WorkerPool>(options_.callback_threads, options_.queue_capacity, 0, "fauth-redis-cb");
    io_.reserve(options_.connections);
    for (std::size_t i = 0; i < options_.connections; ++i) io_.emplace_back([this] { serve(); });
}

RedisClient::~RedisClient() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : io_) {
        if (t.get_id() == std::this_thread::get_id()) {
            std::fputs("fauth: a Redis client was destroyed on one of its own threads; its owner must destroy it\n", stderr);
            std::abort();
        }
        t.join();
    }
    callbacks_.reset();  // runs the callbacks handed on by the I/O threads, then joins
}

void RedisClient::report(const std::string& message) const {
    const auto second =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    auto last = last_report_.load();
    if (second != last && last_report_.compare_exchange_strong(last, second)) write_log(options_.log, "redis: " + message);
}

bool RedisClient::push(Args args, Completion complete, RedisAcknowledgement ack) {
    if (under_way_.fetch_add(1) >= options_.queue_capacity) {
        under_way_.fetch_sub(1);
        return false;
    }
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            under_way_.fetch_sub(1);
            return false;
        }
        queue_.push_back(Command{std::move(args), std::move(complete), ack});
    }
    ready_.notify_one();
    return true;
}

void RedisClient::serve() {
    ::pthread_setname_np(::pthread_self(), "fauth-redis-io");
    Connection connection;
    std::vector<Command> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and everything accepted has been sent
            const auto n = std::min(queue_.size(), kMaxBatch);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        send_batch(connection, batch);
        batch.clear();
    }
}

void RedisClient::send_batch(Connection& connection, std::vector<Command>& batch) {
    std::size_t answered = 0;
    std::string error;
    bool demoted = false;
    // A lost connection is re-established once; the commands it had not answered go again.
    for (int attempt = 0; attempt < 2 && answered < batch.size(); ++attempt) {
        if (!connection.context) {
            bool evicting = false;
            std::string warning;
            const bool opened = connection.open(endpoint_, options_, error, evicting, warning);
            if (!warning.empty()) report(warning);
            if (!opened) continue;
        }
        bool appended = true;
        for (std::size_t i = answered; i < batch.size() && appended; ++i) {
            appended = append(connection.context, batch[i].args);
            if (appended && batch[i].ack.replicas > 0)  // right behind its write, on its connection
                appended = append(connection.context,
                                  {"WAIT", std::to_string(batch[i].ack.replicas), std::to_string(batch[i].ack.timeout.count())});
        }
        if (!appended) {
            error = "cannot allocate a command";
            connection.close();
            continue;
        }
        while (answered < batch.size()) {
            void* reply = nullptr;
            if (redisGetReply(connection.context, &reply) != REDIS_OK) {  // the connection is unusable
                error = connection.context->errstr;
                connection.close();
                break;
            }
            // A master demoted by a failover answers writes READONLY: the connection is dropped
            // once this batch is answered, so that the next one asks the sentinels again.
            const auto* r = static_cast<const redisReply*>(reply);
            if (r != nullptr && r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("READONLY"))
                demoted = true;
            if (const auto& ack = batch[answered].ack; ack.replicas > 0) {
                RedisReply written(static_cast<redisReply*>(reply));
                void* waited = nullptr;
                // WAIT may hold its answer back for its whole timeout: the read waits that long too.
                redisSetTimeout(connection.context, to_timeval(options_.timeout + ack.timeout));
                const int got = redisGetReply(connection.context, &waited);
                if (got == REDIS_OK) redisSetTimeout(connection.context, to_timeval(options_.timeout));
                if (got != REDIS_OK) {  // the write is sent again
                    error = connection.context->errstr;
                    connection.close();
                    break;
                }
                const RedisReply acknowledged(static_cast<redisReply*>(waited));
                const bool held =
                    acknowledged && acknowledged->type == REDIS_REPLY_INTEGER && acknowledged->integer >= ack.replicas;
                if (written && written->type != REDIS_REPLY_ERROR && !held) {
                    hand_on(batch[answered++], nullptr,
                            "written, but not acknowledged by " + std::to_string(ack.replicas) + " replica(s) within " +
                                std::to_string(ack.timeout.count()) + " ms (WAIT answered " +
                                (acknowledged && acknowledged->type == REDIS_REPLY_INTEGER ? std::to_string(acknowledged->integer)
                                                                                           : std::string("no count")) +
                                ")");
                    continue;
                }
                hand_on(batch[answered++], written.release(), {});
                continue;
            }
            hand_on(batch[answered++], static_cast<redisReply*>(reply), {});
        }
        if (demoted) connection.close();
    }
    for (; answered < batch.size(); ++answered) hand_on(batch[answered], nullptr, error);
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
