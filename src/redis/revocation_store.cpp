#include "fauth/redis/revocation_store.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string_view>

#include "client.hpp"

namespace fauth {

using detail::RedisClient;
using detail::reply_trouble;

namespace {

// Redis could not do what was asked: the client may retry later.
Failure unavailable(std::string log) { return Unavailable(std::move(log)).failure(); }

// The moment a "sub:" entry holds, in microseconds: written as digits and "u"; an entry written
// by an earlier fauth holds whole seconds, and then every token of that second is covered too
// (the next second's start). Unreadable: the far future, so the subject's tokens stay revoked.
std::int64_t subject_not_before_us(std::string_view value) {
    const bool micro = !value.empty() && value.back() == 'u';
    if (micro) value.remove_suffix(1);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < 0 || n > 4'000'000'000'000'000) return INT64_MAX;
    return micro ? n : (n + 1) * 1'000'000;
}

}  // namespace

RedisRevocationStore::RedisRevocationStore(RedisStoreOptions options)
    : client_(RedisClient::create(options)), options_(std::move(options)) {}

RedisRevocationStore::~RedisRevocationStore() = default;

Outcome<bool> RedisRevocationStore::is_revoked(const RevocationQuery& q) {
    const auto& prefix = options_.key_prefix;
    RedisClient::Args args{"MGET", prefix + "jti:" + std::string(q.jti), prefix + "fam:" + std::string(q.family),
                           prefix + "sub:" + std::string(q.sub)};
    return client_->submit<bool>(std::move(args),
                                 [client = client_.get(), no_family = q.family.empty(), issued_at_us = q.issued_at_us,
                                  fail_closed = options_.fail_closed](const redisReply* reply, const std::string& error) {
                                     if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
                                         client->report("cannot check revocation (" + reply_trouble(error) +
                                                        "); treating tokens as " + (fail_closed ? "revoked" : "valid"));
                                         return fail_closed;
                                     }
                                     auto present = [&](std::size_t i) { return reply->element[i]->type == REDIS_REPLY_STRING; };
                                     // A family's key holds "1" once it is revoked, or the refresh record ("r" and a time).
                                     auto family_revoked = [&] {
                                         const auto* e = reply->element[1];
                                         return present(1) && std::string_view(e->str, e->len) == "1";
                                     };
                                     bool revoked = present(0) || (!no_family && family_revoked());
                                     if (!revoked && present(2)) {
                                         const auto* e = reply->element[2];
                                         revoked = issued_at_us < subject_not_before_us(std::string_view(e->str, e->len));
                                     }
                                     return revoked;
                                 });
}

Outcome<void> RedisRevocationStore::write(std::string key, std::string value, std::int64_t expires_at, const char* what) {
    const auto ttl = expires_at - unix_seconds(options_.clock);
    if (ttl <= 0) return {};  // already expired: nothing to remember
    RedisClient::Args args{"SET", options_.key_prefix + key, std::move(value), "EX", std::to_string(ttl)};
    return client_->submit<void>(std::move(args), [what](const redisReply* reply, const std::string& error) -> Result<void> {
        if (!reply) return unavailable(std::string("redis: cannot ") + what + ": " + error);
        return {};
    });
}

Outcome<void> RedisRevocationStore::revoke_token(std::string jti, std::int64_t expires_at) {
    return write("jti:" + jti, "1", expires_at, "revoke a token");
}

Outcome<void> RedisRevocationStore::revoke_family(std::string family, std::int64_t expires_at) {
    return write("fam:" + family, "1", expires_at, "revoke a session");
}

Outcome<void> RedisRevocationStore::revoke_subject(std::string sub, std::int64_t not_before_us, std::int64_t expires_at) {
    const auto ttl = expires_at - unix_seconds(options_.clock);
    if (ttl <= 0) return {};  // already expired: nothing to remember
    // Atomically: the later of the stored moment and this one, for the longer of the two times.
    // (Lua numbers are doubles: exact for microsecond times, which stay below 2^53 until 2255.)
    static constexpr const char* kScript = R"lua(
local current = redis.call('GET', KEYS[1])
if current then
  local held = tonumber(string.match(current, '^(%d+)u$'))
  if held == nil and tonumber(current) then held = (tonumber(current) + 1) * 1000000 end
  if held == nil or held >= tonumber(ARGV[1]) then
    if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. 'u', 'EX', ARGV[2])
return 1
)lua";
    RedisClient::Args args{"EVAL",
                           kScript,
                           "1",
                           options_.key_prefix + "sub:" + sub,
                           std::to_string(not_before_us),
                           std::to_string(ttl)};
    return client_->submit<void>(std::move(args), [](const redisReply* reply, const std::string& error) -> Result<void> {
        if (!reply) return unavailable("redis: cannot revoke a user's sessions: " + error);
        return {};
    });
}

Outcome<std::int64_t> RedisRevocationStore::revoke_subject_now(std::string sub, std::int64_t at_least_us,
                                                               std::int64_t expires_at) {
    // The entry lasts at least a second: its cutoff is still wanted back when it has expired.
    const auto ttl = std::max<std::int64_t>(1, expires_at - unix_seconds(options_.clock));
    // Atomically, by Redis's clock: the cutoff is now by TIME (or ARGV[1] when later), and the
    // entry the later of the stored moment and the one after the cutoff, for the longer of the
    // two times; the answer is the cutoff in force. TIME before a write needs effects
    // replication: the default since Redis 5, asked for explicitly on older servers. Numbers
    // are written with '%.0f' (tostring would give 14 significant digits).
    static constexpr const char* kScript = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local cutoff = tonumber(t[1]) * 1000000 + tonumber(t[2])
if tonumber(ARGV[1]) > cutoff then cutoff = tonumber(ARGV[1]) end
local current = redis.call('GET', KEYS[1])
if current then
  local held = tonumber(string.match(current, '^(%d+)u$'))
  if held == nil and tonumber(current) then held = (tonumber(current) + 1) * 1000000 end
  if held == nil or held > cutoff then
    if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
    if held == nil then return string.format('%.0f', cutoff) end
    return string.format('%.0f', held - 1)
  end
end
redis.call('SET', KEYS[1], string.format('%.0f', cutoff + 1) .. 'u', 'EX', ARGV[2])
return string.format('%.0f', cutoff)
)lua";
    RedisClient::Args args{"EVAL",
                           kScript,
                           "1",
                           options_.key_prefix + "sub:" + sub,
                           std::to_string(at_least_us),
                           std::to_string(ttl)};
    auto interpret = [at_least_us](const redisReply* reply, const std::string& error) -> Result<std::int64_t> {
        std::int64_t cutoff = 0;
        const bool read = reply && reply->type == REDIS_REPLY_STRING &&
                          std::from_chars(reply->str, reply->str + reply->len, cutoff).ec == std::errc() && cutoff >= at_least_us;
        if (!read) return unavailable("redis: cannot revoke a user's sessions: " + reply_trouble(error));
        return cutoff;
    };
    return client_->submit<std::int64_t>(std::move(args), std::move(interpret));
}

Outcome<RefreshUseResult> RedisRevocationStore::use_refresh(const RefreshUse& use) {
    const auto ttl = std::max<std::int64_t>(1, use.expires_at - unix_seconds(options_.clock));
    // Atomically, on the family's one key: reuse ({0, 0}) when the family is revoked ("1") or a
    // newer token was used ("r", its issue time, ":" and the issue time of the pair it got); a
    // repeat ({2, that pair's time}) when this very token was the newest used, so that a script
    // sent again after a lost answer, or a second tab, learns the pair the first use got;
    // otherwise ({1, 0}) the record moves to this token, kept for the longer of the two times. A
    // record of an earlier fauth ("r" and the time alone) makes a repeat reuse; a "used:" key is
    // how a still earlier one recorded each used token: one still there is reuse too.
    static constexpr const char* kScript = R"lua(
local current = redis.call('GET', KEYS[1])
if current == '1' or redis.call('EXISTS', KEYS[2]) == 1 then return {0, 0} end
if current then
  local used, given = string.match(current, '^r(%d+):?(%d*)$')
  used = tonumber(used)
  if used == nil then return {0, 0} end
  local presented = tonumber(ARGV[1])
  if used == presented then
    given = tonumber(given)
    if given == nil then return {0, 0} end
    return {2, given}
  end
  if used > presented then return {0, 0} end
end
local ttl = tonumber(ARGV[2])
local left = redis.call('TTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], 'r' .. ARGV[1] .. ':' .. ARGV[3], 'EX', ttl)
return {1, 0}
)lua";
    const auto& prefix = options_.key_prefix;
    RedisClient::Args args{"EVAL",
                           kScript,
                           "2",
                           prefix + "fam:" + std::string(use.family),
                           prefix + "used:" + std::string(use.jti),
                           std::to_string(use.issued_at_us),
                           std::to_string(ttl),
                           std::to_string(use.next_issued_at_us)};
    auto interpret = [](const redisReply* reply, const std::string& error) -> Result<RefreshUseResult> {
        const bool pair = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                          reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[1]->type == REDIS_REPLY_INTEGER;
        if (!pair) return unavailable("redis: cannot record a refresh: " + reply_trouble(error));
        const auto kind = reply->element[0]->integer;
        return RefreshUseResult{kind == 1, kind == 2 ? static_cast<std::int64_t>(reply->element[1]->integer) : 0};
    };
    return client_->submit<RefreshUseResult>(std::move(args), std::move(interpret));
}

}  // namespace fauth
