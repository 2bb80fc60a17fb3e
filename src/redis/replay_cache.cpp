#include "fauth/redis/replay_cache.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

#include "client.hpp"
#include "fauth/core/dpop.hpp"

namespace fauth {

using detail::RedisClient;

namespace {

// What `SET key 1 NX PX ms` answered: OK when it set the key (the first use), nil when the key was
// there already (a replay), anything else (or nothing) when Redis could not tell.
Result<void> interpret(const RedisClient& client, const redisReply* reply, const std::string& error) {
    if (reply && reply->type == REDIS_REPLY_STATUS && std::string_view(reply->str, reply->len) == "OK") return {};
    if (reply && reply->type == REDIS_REPLY_NIL) return InvalidDpopProof("proof replayed").failure();
    const auto trouble = detail::reply_trouble(error);
    client.report("cannot check a DPoP proof's jti (" + trouble + "); refusing the proof");
    return Unavailable("redis: cannot check a DPoP proof's jti: " + trouble).failure();
}

}  // namespace

RedisReplayCache::RedisReplayCache(RedisReplayCacheOptions options)
    : client_(RedisClient::create(options)), options_(std::move(options)) {}

RedisReplayCache::~RedisReplayCache() = default;

Outcome<void> RedisReplayCache::first_use(std::string_view id, std::chrono::seconds lifetime) {
    const auto ms = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(lifetime).count());
    std::string digest;
    try {
        digest = sha256_base64url(id);
    } catch (const std::runtime_error& e) {  // OpenSSL could not hash
        return Unavailable(std::string("replay cache: ") + e.what()).failure();
    }
    RedisClient::Args args{"SET", options_.key_prefix + "dpop:" + digest, "1", "NX", "PX", std::to_string(ms)};
    return client_->submit<void>(std::move(args), [client = client_.get()](const redisReply* reply, const std::string& error) {
        return interpret(*client, reply, error);
    });
}

}  // namespace fauth
