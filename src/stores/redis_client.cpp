#include "redis_client.hpp"

#include <charconv>

namespace fauth {

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

namespace detail {
namespace {

// Sends one command, binary-safe; null on an I/O error.
RedisReply send_command(redisContext* context, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    return RedisReply(
        static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

timeval to_timeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

std::shared_ptr<RedisClient> RedisClient::create(RedisOptions options) {
    if (options.connections == 0) throw ConfigError("Redis options: connections must be at least 1");
    if (options.queue_capacity == 0) throw ConfigError("Redis options: queue_capacity must be at least 1");
    if (options.timeout.count() <= 0) throw ConfigError("Redis options: timeout must be positive");
    return std::shared_ptr<RedisClient>(new RedisClient(std::move(options)));
}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)), endpoint_(parse_redis_url(options_.url)) {
    for (std::size_t i = 0; i < options_.connections; ++i) {
        idle_.push_back(std::make_unique<Connection>());
        idle_.back()->client_ = this;
    }
    pool_ = std::make_unique<WorkerPool>(options_.connections, options_.queue_capacity);
}

RedisClient::~RedisClient() {
    pool_.reset();  // first: its tasks use the connections and the options below
}

void RedisClient::report(const std::string& message) const {
    const auto second =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    auto last = last_report_.load();
    if (second != last && last_report_.compare_exchange_strong(last, second)) write_log(options_.log, "redis: " + message);
}

std::unique_ptr<RedisClient::Connection> RedisClient::acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty(); });
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
}

void RedisClient::release(std::unique_ptr<Connection> c) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(c));
    }
    available_.notify_one();
}

void RedisClient::Connection::close() {
    if (context_) redisFree(context_);
    context_ = nullptr;
}

bool RedisClient::Connection::connect(std::string& error) {
    const auto& endpoint = client_->endpoint_;
    context_ = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(client_->options_.timeout));
    if (context_ == nullptr || context_->err) {
        error = context_ ? context_->errstr : "cannot allocate a connection";
        close();
        return false;
    }
    redisSetTimeout(context_, to_timeval(client_->options_.timeout));
    std::vector<std::vector<std::string>> setup;
    if (!endpoint.password.empty()) {
        if (endpoint.user.empty()) setup.push_back({"AUTH", endpoint.password});
        else setup.push_back({"AUTH", endpoint.user, endpoint.password});
    }
    if (endpoint.database != 0) setup.push_back({"SELECT", std::to_string(endpoint.database)});
    for (const auto& args : setup) {
        const auto reply = send_command(context_, args);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            error = reply ? std::string(reply->str, reply->len) : std::string(context_->errstr);
            close();
            return false;
        }
    }
    return true;
}

std::optional<RedisReply> RedisClient::Connection::command(const std::vector<std::string>& args, std::string& error) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!context_ && !connect(error)) continue;
        auto reply = send_command(context_, args);
        if (!reply) {  // I/O error: the connection is unusable; reconnect once
            error = context_->errstr;
            close();
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

}  // namespace detail
}  // namespace fauth
