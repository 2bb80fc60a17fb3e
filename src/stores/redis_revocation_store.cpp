#include "fauth/redis_revocation_store.hpp"

#include <hiredis/hiredis.h>

#include <charconv>
#include <condition_variable>
#include <optional>
#include <stdexcept>

#include "fauth/detail/promise.hpp"
#include "fauth/errors.hpp"

namespace fauth {

using Pistache::Async::Promise;

RedisEndpoint parse_redis_url(std::string_view url) {
    constexpr std::string_view scheme = "redis://";
    if (url.substr(0, scheme.size()) != scheme)
        throw ConfigError("Redis URL must start with redis:// (got '" + std::string(url) + "')");
    RedisEndpoint e;
    auto rest = url.substr(scheme.size());
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
    std::string_view host_port = rest, db;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        host_port = rest.substr(0, slash);
        db = rest.substr(slash + 1);
    }
    auto number = [&](std::string_view text, int& out, const char* what) {
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        if (ec != std::errc() || end != text.data() + text.size() || out < 0)
            throw ConfigError(std::string("Redis URL has a bad ") + what + ": '" + std::string(url) + "'");
    };
    if (const auto colon = host_port.rfind(':'); colon != std::string_view::npos) {
        number(host_port.substr(colon + 1), e.port, "port");
        if (e.port == 0 || e.port > 65535) throw ConfigError("Redis URL has a bad port: '" + std::string(url) + "'");
        host_port = host_port.substr(0, colon);
    }
    if (host_port.empty()) throw ConfigError("Redis URL has no host: '" + std::string(url) + "'");
    e.host = std::string(host_port);
    if (!db.empty()) number(db, e.database, "database number");
    return e;
}

namespace {

struct ReplyFree {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// Sends one command, binary-safe; null on an I/O error.
Reply send_command(redisContext* context, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    return Reply(static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

timeval to_timeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

// One Redis connection, used by one command at a time.
struct RedisRevocationStore::Connection {
    redisContext* context = nullptr;

    ~Connection() { close(); }
    void close() {
        if (context) redisFree(context);
        context = nullptr;
    }
};

struct RedisRevocationStore::Shared {
    RedisStoreOptions options;
    RedisEndpoint endpoint;
    std::mutex mutex;
    std::condition_variable available;
    std::vector<std::unique_ptr<Connection>> idle;
    std::atomic<std::int64_t> last_report{0};

    std::int64_t now() const {
        const auto t = options.clock ? options.clock() : std::chrono::system_clock::now();
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    }

    // Logs `message` at most once a second, so an outage does not flood the log.
    void report(const std::string& message) {
        const auto second = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
        auto last = last_report.load();
        if (second != last && last_report.compare_exchange_strong(last, second)) write_log(options.log, "redis: " + message);
    }

    std::unique_ptr<Connection> acquire() {
        std::unique_lock lock(mutex);
        available.wait(lock, [&] { return !idle.empty(); });
        auto c = std::move(idle.back());
        idle.pop_back();
        return c;
    }
    void release(std::unique_ptr<Connection> c) {
        {
            std::lock_guard lock(mutex);
            idle.push_back(std::move(c));
        }
        available.notify_one();
    }

    // Runs one command; nullopt, with `error` set, when Redis cannot be reached or answers an error.
    std::optional<Reply> command(Connection& c, const std::vector<std::string>& args, std::string& error) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (!c.context && !connect(c, error)) continue;
            Reply reply = send_command(c.context, args);
            if (!reply) {  // I/O error: the connection is unusable; reconnect once
                error = c.context->errstr;
                c.close();
                continue;
            }
            if (reply->type == REDIS_REPLY_ERROR) {
                error = std::string(reply->str, reply->len);
                return std::nullopt;
            }
            return reply;
        }
        return std::nullopt;
    }

    bool connect(Connection& c, std::string& error) {
        c.context = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(options.timeout));
        if (c.context == nullptr || c.context->err) {
            error = c.context ? c.context->errstr : "cannot allocate a connection";
            c.close();
            return false;
        }
        redisSetTimeout(c.context, to_timeval(options.timeout));
        std::vector<std::vector<std::string>> setup;
        if (!endpoint.password.empty()) {
            if (endpoint.user.empty()) setup.push_back({"AUTH", endpoint.password});
            else setup.push_back({"AUTH", endpoint.user, endpoint.password});
        }
        if (endpoint.database != 0) setup.push_back({"SELECT", std::to_string(endpoint.database)});
        for (const auto& args : setup) {
            Reply reply = send_command(c.context, args);
            if (!reply || reply->type == REDIS_REPLY_ERROR) {
                error = reply ? std::string(reply->str, reply->len) : std::string(c.context->errstr);
                c.close();
                return false;
            }
        }
        return true;
    }
};

RedisRevocationStore::RedisRevocationStore(RedisStoreOptions options) : shared_(std::make_shared<Shared>()) {
    if (options.connections == 0) throw ConfigError("RedisStoreOptions.connections must be at least 1");
    if (options.queue_capacity == 0) throw ConfigError("RedisStoreOptions.queue_capacity must be at least 1");
    if (options.timeout.count() <= 0) throw ConfigError("RedisStoreOptions.timeout must be positive");
    shared_->endpoint = parse_redis_url(options.url);
    shared_->options = std::move(options);
    for (std::size_t i = 0; i < shared_->options.connections; ++i) shared_->idle.push_back(std::make_unique<Connection>());
    pool_ = std::make_unique<WorkerPool>(shared_->options.connections, shared_->options.queue_capacity);
}

RedisRevocationStore::~RedisRevocationStore() = default;

template <class T, class Work>
Promise<T> RedisRevocationStore::submit(Work work) {
    auto [promise, settler] = detail::Settler<T>::make();
    auto task = [shared = shared_, settler = settler, work = std::move(work)]() mutable {
        auto connection = shared->acquire();
        try {
            work(*shared, *connection, *settler);
        } catch (...) {
            settler->reject_from(std::current_exception(), "redis");
        }
        shared->release(std::move(connection));
    };
    if (!pool_->try_submit(std::move(task))) settler->reject(Unavailable("redis command queue is full"));
    return std::move(promise);
}

Promise<bool> RedisRevocationStore::is_revoked(const RevocationQuery& q) {
    const auto& prefix = shared_->options.key_prefix;
    std::vector<std::string> args{"MGET", prefix + "jti:" + std::string(q.jti), prefix + "fam:" + std::string(q.family),
                                  prefix + "sub:" + std::string(q.sub)};
    const bool no_family = q.family.empty();
    const auto issued_at = q.issued_at;
    return submit<bool>([args = std::move(args), no_family, issued_at](Shared& s, Connection& c, auto& settler) {
        std::string error;
        const auto reply = s.command(c, args, error);
        if (!reply || (*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 3) {
            s.report("cannot check revocation (" + (error.empty() ? std::string("unexpected reply") : error) + "); treating tokens as " +
                     (s.options.fail_closed ? "revoked" : "valid"));
            return settler.resolve(s.options.fail_closed);
        }
        auto present = [&](std::size_t i) { return (*reply)->element[i]->type == REDIS_REPLY_STRING; };
        bool revoked = present(0) || (!no_family && present(1));
        if (!revoked && present(2)) {
            std::int64_t not_before = 0;
            const auto* e = (*reply)->element[2];
            std::from_chars(e->str, e->str + e->len, not_before);
            revoked = issued_at < not_before;
        }
        settler.resolve(revoked);
    });
}

Promise<void> RedisRevocationStore::write(std::string key, std::string value, std::int64_t expires_at, const char* what) {
    const auto ttl = expires_at - shared_->now();
    if (ttl <= 0) return Promise<void>::resolved();  // already expired: nothing to remember
    std::vector<std::string> args{"SET", shared_->options.key_prefix + key, std::move(value), "EX", std::to_string(ttl)};
    return submit<void>([args = std::move(args), what](Shared& s, Connection& c, auto& settler) {
        std::string error;
        if (!s.command(c, args, error)) return settler.reject(Unavailable(std::string("redis: cannot ") + what + ": " + error));
        settler.resolve();
    });
}

Promise<void> RedisRevocationStore::revoke_token(std::string jti, std::int64_t expires_at) {
    return write("jti:" + jti, "1", expires_at, "revoke a token");
}

Promise<void> RedisRevocationStore::revoke_family(std::string family, std::int64_t expires_at) {
    return write("fam:" + family, "1", expires_at, "revoke a session");
}

Promise<void> RedisRevocationStore::revoke_subject(std::string sub, std::int64_t not_before, std::int64_t expires_at) {
    return write("sub:" + sub, std::to_string(not_before), expires_at, "revoke a user's sessions");
}

Promise<bool> RedisRevocationStore::mark_used(std::string jti, std::int64_t expires_at) {
    const auto ttl = std::max<std::int64_t>(1, expires_at - shared_->now());
    std::vector<std::string> args{"SET", shared_->options.key_prefix + "used:" + jti, "1", "EX", std::to_string(ttl), "NX"};
    return submit<bool>([args = std::move(args)](Shared& s, Connection& c, auto& settler) {
        std::string error;
        const auto reply = s.command(c, args, error);
        if (!reply) return settler.reject(Unavailable("redis: cannot record a refresh: " + error));
        settler.resolve((*reply)->type == REDIS_REPLY_STATUS);  // OK: first use; nil: used before
    });
}

}  // namespace fauth
