#include "fauth/redis/throttle.hpp"

#include "client.hpp"

namespace fauth {

namespace {

// KEYS[1]: the bucket; ARGV: burst, tokens per second. Returns {allowed (0/1), seconds to wait}.
constexpr const char* kTokenBucket = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(b[1]) or burst
local updated = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1)
return {allowed, wait}
)lua";

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

using detail::RedisClient;

RedisThrottle::RedisThrottle(RedisThrottleOptions options)
    : client_(RedisClient::create(options)), options_(std::move(options)) {}

RedisThrottle::~RedisThrottle() = default;

Outcome<ThrottleDecision> RedisThrottle::hit(std::string key, RateLimit limit) {
    RedisClient::Args args{"EVAL",
                           kTokenBucket,
                           "1",
                           options_.key_prefix + "throttle:" + key,
                           number(limit.burst),
                           number(limit.per_second)};
    return client_->submit<ThrottleDecision>(
        std::move(args),
        [client = client_.get(), fail_closed = options_.fail_closed](const redisReply* reply,
                                                                     const std::string& error) -> Result<ThrottleDecision> {
            if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
                client->report("cannot count a login attempt (" + detail::reply_trouble(error) + "); " +
                               (fail_closed ? "answering 503" : "allowing it"));
                if (fail_closed)
                    return Unavailable("redis: cannot count a login attempt: " + detail::reply_trouble(error)).failure();
                return ThrottleDecision{};
            }
            const bool allowed = reply->element[0]->integer == 1;
            const auto wait = std::max<long long>(1, reply->element[1]->integer);
            return allowed ? ThrottleDecision{} : ThrottleDecision{false, std::chrono::seconds(wait)};
        });
}

}  // namespace fauth
