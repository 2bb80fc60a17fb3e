#include "invalidation_listener.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "fauth/core/internal/ascii.hpp"

namespace fauth::detail {
namespace {

// The channel Redis announces invalidations on to a RESP2 client.
constexpr const char* kInvalidationChannel = "__redis__:invalidate";

// An error reply that will not change if asked again: the command or subcommand is unknown
// (Redis before 6.0 says "ERR unknown command", "ERR Unknown subcommand", or before 5.0 a
// "Syntax error" for CLIENT ID) or forbidden (an ACL: NOPERM). Others pass and are asked again
// after a pause: LOADING, BUSY, "ERR max number of clients reached", ...
bool refusal(std::string_view error) {
    if (error.starts_with("NOPERM")) return true;
    if (!error.starts_with("ERR")) return false;
    const auto lower = ascii_lower(error);
    return lower.find("unknown command") != std::string::npos || lower.find("unknown subcommand") != std::string::npos ||
           lower.find("syntax error") != std::string::npos;
}

}  // namespace

InvalidationListener::InvalidationListener(RedisEndpoint endpoint, std::chrono::milliseconds timeout,
                                           std::vector<std::string> prefixes, RevocationCache& cache, const RedisClient& client)
    : endpoint_(std::move(endpoint)), timeout_(timeout), prefixes_(std::move(prefixes)), cache_(cache), client_(client) {
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_ < 0) throw std::runtime_error("redis: cannot make an eventfd for the invalidation listener");
    try {
        connect();  // when Redis is down, the thread tries again
        thread_ = std::thread([this] { run(); });
    } catch (...) {  // (connect allocates; its report reaches the log sink)
        drop();
        ::close(wake_);
        throw;
    }
}

InvalidationListener::~InvalidationListener() {
    stopping_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof one);
    thread_.join();
    drop();  // nothing is announced any more: no cached answer may outlive the listener
    ::close(wake_);
}

void InvalidationListener::drop() noexcept {
    cache_.set_enabled(false);
    if (context_) redisFree(context_);
    context_ = nullptr;
}

bool InvalidationListener::connect() {
    std::string error;
    generation_ = client_.generation();  // a move after this makes the connection again
    context_ = redis_connect(endpoint_, timeout_, error, client_.master_epoch());
    if (context_ == nullptr) {  // (reports share the client's limit of one a second with the data connections')
        client_.report("invalidation connection: cannot connect (" + reply_trouble(error) + ")");
        return false;
    }
    // Each step below may wait for the whole timeout: a listener that is stopping goes at once.
    auto stopped = [&] {
        if (!stopping_) return false;
        redisFree(context_);
        context_ = nullptr;
        return true;
    };
    auto fail = [&](const std::string& what, const RedisReply& reply) {
        if (reply && reply->type == REDIS_REPLY_ERROR && refusal(std::string_view(reply->str, reply->len))) {
            // Redis will not track (before 6.0, or an ACL forbids it): no caching, said once.
            refused_ = true;
            client_.report("caching of revocation checks is off: " + what + " refused (" + quoted_error(*reply) + ")");
        } else {
            if (reply && reply->type == REDIS_REPLY_ERROR) error = quoted_error(*reply);
            client_.report("invalidation connection: cannot " + what + " (" + reply_trouble(error) + ")");
        }
        redisFree(context_);
        context_ = nullptr;
        return false;
    };
    if (stopped()) return false;
    const auto id = redis_command(context_, {"CLIENT", "ID"}, error);
    if (!id || id->type != REDIS_REPLY_INTEGER) return fail("CLIENT ID", id);
    if (stopped()) return false;
    // Redirected to this very connection, which then subscribes (RESP2 carries invalidations
    // as Pub/Sub messages only); broadcast, so that no key needs to be read on this connection.
    RedisClient::Args tracking{"CLIENT", "TRACKING", "on", "REDIRECT", std::to_string(id->integer), "BCAST"};
    for (const auto& prefix : prefixes_) {
        tracking.emplace_back("PREFIX");
        tracking.push_back(prefix);
    }
    const auto tracked = redis_command(context_, tracking, error);
    if (!tracked || tracked->type != REDIS_REPLY_STATUS) return fail("CLIENT TRACKING", tracked);
    if (stopped()) return false;
    const auto subscribed = redis_command(context_, {"SUBSCRIBE", kInvalidationChannel}, error);
    if (!subscribed || subscribed->type != REDIS_REPLY_ARRAY) return fail("SUBSCRIBE", subscribed);
    // The master moved meanwhile: this may be the old one.
    if (client_.generation() != generation_) {
        drop();
        return false;
    }
    // Every write from here on is announced on this connection: what is read after this may be kept.
    cache_.set_enabled(true);
    return true;
}

void InvalidationListener::run() {
    ::pthread_setname_np(::pthread_self(), "fauth-redis-inv");
    Backoff backoff;
    auto back_off = [&] { return pause(backoff.next()); };
    while (!stopping_ && !refused_) {
        try {
            if (context_) {
                backoff.reset();
                listen();
                continue;
            }
            if (back_off()) return;
            connect();
        } catch (...) {
            // Nothing thrown here may end the process (an allocation that failed while a message
            // was handled or a report written): a message may have been lost with it, so caching
            // goes off and the connection is dropped, then made again after a pause.
            drop();
            if (back_off()) return;
        }
    }
}

bool InvalidationListener::pause(std::chrono::milliseconds delay) {
    pollfd wake{wake_, POLLIN, 0};
    ::poll(&wake, 1, static_cast<int>(delay.count()));
    return stopping_;
}

void InvalidationListener::listen() {
    SubscriptionReader reader;
    const std::vector<redisContext*> contexts{context_};
    while (!stopping_) {
        if (client_.generation() != generation_) return drop();  // the master moved: reconnect, to the new one
        const auto gone = reader.read(contexts, wake_, [this](std::size_t, const redisReply& message) { handle(message); });
        if (gone) return lost(gone->why);
    }
}

void InvalidationListener::handle(const redisReply& reply) {
    // ["message", channel, keys or nil]; "subscribe" and "pong" replies need nothing.
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3 || reply.element[0]->type != REDIS_REPLY_STRING ||
        std::string_view(reply.element[0]->str, reply.element[0]->len) != "message")
        return;
    const auto& keys = *reply.element[2];
    if (keys.type == REDIS_REPLY_ARRAY) {
        std::vector<std::string> changed;
        changed.reserve(keys.elements);
        for (std::size_t i = 0; i < keys.elements; ++i)
            if (keys.element[i]->type == REDIS_REPLY_STRING) changed.emplace_back(keys.element[i]->str, keys.element[i]->len);
        cache_.invalidate(changed);
    } else {
        cache_.clear();  // nil: Redis flushed its keys (FLUSHALL, FLUSHDB), or said something unforeseen
    }
}

void InvalidationListener::lost(const std::string& why) {
    drop();
    if (!stopping_)
        client_.report("invalidation connection lost (" + why + "); caching of revocation checks is off until it is back");
}

}  // namespace fauth::detail
