#include "fauth/redis/revocation_store.hpp"

#include <charconv>

#include "client.hpp"

namespace fauth {

using Pistache::Async::Promise;
using detail::RedisClient;

RedisRevocationStore::RedisRevocationStore(RedisStoreOptions options)
    : client_(RedisClient::create(options)),
      options_(std::move(options)) {}

RedisRevocationStore::~RedisRevocationStore() = default;

Promise<bool> RedisRevocationStore::is_revoked(const RevocationQuery& q) {
    const auto& prefix = options_.key_prefix;
    RedisClient::Args args{"MGET", prefix + "jti:" + std::string(q.jti), prefix + "fam:" + std::string(q.family),
                           prefix + "sub:" + std::string(q.sub)};
    return client_->submit<bool>(std::move(args), [client = client_.get(), no_family = q.family.empty(), issued_at = q.issued_at,
                                                   fail_closed = options_.fail_closed](const redisReply* reply, const std::string& error,
                                                                                       auto& settler) {
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
            client->report("cannot check revocation (" + (error.empty() ? std::string("unexpected reply") : error) +
                           "); treating tokens as " + (fail_closed ? "revoked" : "valid"));
            return settler.resolve(fail_closed);
        }
        auto present = [&](std::size_t i) { return reply->element[i]->type == REDIS_REPLY_STRING; };
        bool revoked = present(0) || (!no_family && present(1));
        if (!revoked && present(2)) {
            std::int64_t not_before = 0;
            const auto* e = reply->element[2];
            std::from_chars(e->str, e->str + e->len, not_before);
            revoked = issued_at < not_before;
        }
        settler.resolve(revoked);
    });
}

Promise<void> RedisRevocationStore::write(std::string key, std::string value, std::int64_t expires_at, const char* what) {
    const auto ttl = expires_at - unix_seconds(options_.clock);
    if (ttl <= 0) return Promise<void>::resolved();  // already expired: nothing to remember
    RedisClient::Args args{"SET", options_.key_prefix + key, std::move(value), "EX", std::to_string(ttl)};
    return client_->submit<void>(std::move(args), [what](const redisReply* reply, const std::string& error, auto& settler) {
        if (!reply) return settler.reject(Unavailable(std::string("redis: cannot ") + what + ": " + error));
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
    const auto ttl = std::max<std::int64_t>(1, expires_at - unix_seconds(options_.clock));
    RedisClient::Args args{"SET", options_.key_prefix + "used:" + jti, "1", "EX", std::to_string(ttl), "NX"};
    return client_->submit<bool>(std::move(args), [](const redisReply* reply, const std::string& error, auto& settler) {
        if (!reply) return settler.reject(Unavailable("redis: cannot record a refresh: " + error));
        settler.resolve(reply->type == REDIS_REPLY_STATUS);  // OK: first use; nil: used before
    });
}

}  // namespace fauth
