#include "fauth/redis/revocation_store.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <optional>
#include <vector>
#include <string_view>

#include "client.hpp"
#include "invalidation_listener.hpp"
#include "revocation_cache.hpp"

namespace fauth {

using detail::RedisClient;
using detail::reply_trouble;
using detail::RevocationCache;

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

// What is_revoked makes of each key it reads: the token's and the session's, 1 when revoked;
// the user's, the cutoff (kNoCutoff when there is none).
constexpr std::int64_t kNoCutoff = INT64_MIN;

// Sends `args`, a write of `key` (its full name), settled by `interpret`. `cache` (when caching)
// forgets the key as the write is sent and again once it is answered, since a check sent
// meanwhile may have read, and kept, the old value.
template <class T, class Interpret>
Outcome<T> send_write(RedisClient& client, RevocationCache* cache, const std::string& key, RedisClient::Args args,
                      Interpret interpret, bool acknowledged = false) {
    if (!cache) return client.submit<T>(std::move(args), std::move(interpret), acknowledged);
    cache->invalidate(key);
    return client.submit<T>(
        std::move(args),
        [cache, key, interpret = std::move(interpret)](const redisReply* reply, const std::string& error) {
            cache->invalidate(key);
            return interpret(reply, error);
        },
        acknowledged);
}

std::unique_ptr<detail::RevocationCache> make_cache(const RedisOptions& options) {
    if (options.revocation_cache_entries == 0) return nullptr;
    if (options.revocation_cache_max_age.count() <= 0)
        throw ConfigError(
            "Redis options: revocation_cache_max_age must be positive (set revocation_cache_entries to 0 "
            "to turn caching off)");
    return std::make_unique<detail::RevocationCache>(options.revocation_cache_entries, options.revocation_cache_max_age);
}

}  // namespace

RedisRevocationStore::RedisRevocationStore(RedisStoreOptions options)
    : cache_(make_cache(options)),
      // Session-ending writes wait for replicas; when the master moves, nothing cached is used
      // until the invalidation connection is back, on the new master.
      client_(RedisClient::create(options, true,
                                  [cache = cache_.get()] {
                                      if (cache) cache->set_enabled(false);
                                  })),
      options_(std::move(options)) {
    if (!cache_) return;
    const auto& prefix = options_.key_prefix;
    listener_ = std::make_unique<detail::InvalidationListener>(parse_redis_url(options_.url), options_.timeout,
                                                               std::vector<std::string>{prefix + "jti:", prefix + "fam:",
                                                                                        prefix + "sub:"},
                                                               *cache_, *client_);
}

RedisRevocationStore::~RedisRevocationStore() = default;

std::size_t RedisRevocationStore::cached_keys() const { return cache_ ? cache_->size() : 0; }

Outcome<bool> RedisRevocationStore::is_revoked(const RevocationQuery& q) {
    const auto& prefix = options_.key_prefix;
    RevocationCache::Keys keys{prefix + "jti:" + std::string(q.jti), prefix + "fam:" + std::string(q.family),
                               prefix + "sub:" + std::string(q.sub)};
    auto revoked = [no_family = q.family.empty(), issued_at_us = q.issued_at_us](const RevocationCache::Values& v) {
        return v[0] != 0 || (!no_family && v[1] != 0) || issued_at_us < v[2];
    };
    RevocationCache::Ticket ticket;
    if (cache_ && q.must_read_store) {
        ticket = cache_->ticket();  // Redis is asked; its answer may still be kept for other checks
    } else if (cache_) {
        RevocationCache::Values values{};
        if (cache_->lookup(keys, values, ticket)) return revoked(values);  // ready: no round trip, no hop
    }
    RedisClient::Args args{"MGET", keys[0], keys[1], keys[2]};
    return client_->submit<bool>(std::move(args),
                                 [client = client_.get(), cache = cache_.get(), ticket,
                                  keys = cache_ ? std::move(keys) : RevocationCache::Keys{}, revoked,
                                  fail_closed = options_.fail_closed](const redisReply* reply,
                                                                      const std::string& error) -> Result<bool> {
                                     if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
                                         // Redis cannot be read: nothing cached is answered any more either
                                         // (the invalidation connection would notice only within its PING's
                                         // time), so that every check fails closed from now on.
                                         if (cache) cache->clear();
                                         client->report("cannot check revocation (" + reply_trouble(error) + "); " +
                                                        (fail_closed ? "answering 503" : "treating tokens as valid"));
                                         // Closed: 503, so that a client keeps its tokens and tries again.
                                         if (fail_closed)
                                             return unavailable("redis: cannot check revocation: " + reply_trouble(error));
                                         return false;
                                     }
                                     auto text = [&](std::size_t i) -> std::optional<std::string_view> {
                                         const auto* e = reply->element[i];
                                         if (e->type != REDIS_REPLY_STRING) return std::nullopt;
                                         return std::string_view(e->str, e->len);
                                     };
                                     // A family's key holds "1" once it is revoked, or the refresh record ("r" and a time).
                                     const auto family = text(1);
                                     const auto subject = text(2);
                                     const RevocationCache::Values values{text(0) ? 1 : 0, family && *family == "1" ? 1 : 0,
                                                                          subject ? subject_not_before_us(*subject) : kNoCutoff};
                                     if (cache) cache->store(ticket, keys, values);
                                     return revoked(values);
                                 });
}

Outcome<void> RedisRevocationStore::write(std::string key, std::string value, std::int64_t expires_at, const char* what) {
    const auto ttl = expires_at - unix_seconds(options_.clock);
    if (ttl <= 0) return {};  // already expired: nothing to remember
    key = options_.key_prefix + key;
    RedisClient::Args args{"SET", key, std::move(value), "EX", std::to_string(ttl)};
    return send_write<void>(
        *client_, cache_.get(), key, std::move(args),
        [what](const redisReply* reply, const std::string& error) -> Result<void> {
            if (!reply) return unavailable(std::string("redis: cannot ") + what + ": " + error);
            return {};
        },
        true);
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
    const auto key = options_.key_prefix + "sub:" + sub;
    RedisClient::Args args{"EVAL", kScript, "1", key, std::to_string(not_before_us), std::to_string(ttl)};
    return send_write<void>(
        *client_, cache_.get(), key, std::move(args),
        [](const redisReply* reply, const std::string& error) -> Result<void> {
            if (!reply) return unavailable("redis: cannot revoke a user's sessions: " + error);
            return {};
        },
        true);
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
    const auto key = options_.key_prefix + "sub:" + sub;
    RedisClient::Args args{"EVAL", kScript, "1", key, std::to_string(at_least_us), std::to_string(ttl)};
    auto interpret = [at_least_us](const redisReply* reply, const std::string& error) -> Result<std::int64_t> {
        std::int64_t cutoff = 0;
        const bool read = reply && reply->type == REDIS_REPLY_STRING &&
                          std::from_chars(reply->str, reply->str + reply->len, cutoff).ec == std::errc() && cutoff >= at_least_us;
        if (!read) return unavailable("redis: cannot revoke a user's sessions: " + reply_trouble(error));
        return cutoff;
    };
    return send_write<std::int64_t>(*client_, cache_.get(), key, std::move(args), std::move(interpret), true);
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
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('HSET', KEYS[3], 'refreshed', ARGV[3])
  if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], 'client', ARGV[4]) end
  redis.call('ZADD', KEYS[4], 'XX', ARGV[3], ARGV[7])
  local keep = tonumber(ARGV[5])
  local lifetime = tonumber(redis.call('HGET', KEYS[3], 'expires') or '0') - tonumber(ARGV[6])
  if lifetime < keep then keep = lifetime end
  if keep > 0 then
    for i = 3, 4 do
      if redis.call('TTL', KEYS[i]) < keep then redis.call('EXPIRE', KEYS[i], keep) end
    end
    -- Its tags' sets too: a back-channel logout finds the session by them as long as it lives.
    for t = 1, 4 do
      local tag = redis.call('HGET', KEYS[3], 'tag' .. t)
      if not tag then break end
      local set = ARGV[8] .. 'tag:' .. tag
      if redis.call('TTL', set) < keep then redis.call('EXPIRE', set, keep) end
    end
  end
end
return {1, 0}
)lua";
    const auto& prefix = options_.key_prefix;
    const auto key = prefix + "fam:" + std::string(use.family);
    // On a first use, its session's record (when open_session made one) takes the time and the
    // client of this refresh, and its place in the user's set moves to the newest, in the same
    // script, kept as long as the new pair lasts (within the session's lifetime).
    const auto now = unix_seconds(options_.clock);
    const auto keep = use.next_expires_at > now ? use.next_expires_at - now : 0;
    const auto client = use.client.empty() ? std::string() : bounded_session({.client = std::string(use.client)}).client;
    RedisClient::Args args{"EVAL",
                           kScript,
                           "4",
                           key,
                           prefix + "used:" + std::string(use.jti),
                           prefix + "ses:" + std::string(use.family),
                           prefix + "sessions:" + std::string(use.sub),
                           std::to_string(use.issued_at_us),
                           std::to_string(ttl),
                           std::to_string(use.next_issued_at_us),
                           client,
                           std::to_string(keep),
                           std::to_string(now),
                           std::string(use.family),
                           prefix};
    auto interpret = [](const redisReply* reply, const std::string& error) -> Result<RefreshUseResult> {
        const bool pair = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                          reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[1]->type == REDIS_REPLY_INTEGER;
        if (!pair) return unavailable("redis: cannot record a refresh: " + reply_trouble(error));
        const auto kind = reply->element[0]->integer;
        return RefreshUseResult{kind == 1, kind == 2 ? static_cast<std::int64_t>(reply->element[1]->integer) : 0};
    };
    return send_write<RefreshUseResult>(*client_, cache_.get(), key, std::move(args), std::move(interpret));
}

namespace {

// What the session-list scripts share: ARGV[1] is the key prefix, ARGV[2] now (seconds).
// A session is a hash "ses:<id>" (sub, started, refreshed, expires, client, ua, label, origin,
// tag1..tag4) whose TTL is how long its newest tokens last, a member of "sessions:<sub>" scored by
// its last refresh (microseconds), and of "tag:<tag>" for each tag. Live: its hash is there, its
// family ("fam:<id>") not revoked, its lifetime not over, and it began at or after its user's
// revoke_subject cutoff ("sub:<sub>", read as revoke_subject writes it).
constexpr const char* kSessionLua = R"lua(
local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local function cutoff_of(sub)
  local current = redis.call('GET', prefix .. 'sub:' .. sub)
  if not current then return nil end
  local held = tonumber(string.match(current, '^(%d+)u$'))
  if held == nil and tonumber(current) then held = (tonumber(current) + 1) * 1000000 end
  if held == nil then return math.huge end
  return held
end
local function live(id, started, expires, cutoff)
  if not started then return false end
  if redis.call('GET', prefix .. 'fam:' .. id) == '1' then return false end
  if tonumber(expires) <= now then return false end
  if cutoff and tonumber(started) < cutoff then return false end
  return true
end
local function drop(id, sub)
  local key = prefix .. 'ses:' .. id
  local tags = redis.call('HMGET', key, 'tag1', 'tag2', 'tag3', 'tag4')
  for i = 1, 4 do
    if tags[i] then redis.call('SREM', prefix .. 'tag:' .. tags[i], id) end
  end
  redis.call('DEL', key)
  redis.call('ZREM', prefix .. 'sessions:' .. sub, id)
end
local function finish(id, sub)
  local family = prefix .. 'fam:' .. id
  local ttl = redis.call('TTL', prefix .. 'ses:' .. id)
  local held = redis.call('TTL', family)
  if held > ttl then ttl = held end
  if ttl > 0 then redis.call('SET', family, '1', 'EX', ttl) end
  drop(id, sub)
end
)lua";

// The fields of a session's hash, in the order sessions_of's script answers them.
constexpr std::size_t kSessionFields = 12;

// The family ids an answer lists (an array of strings); false when it is not one.
bool read_ids(const redisReply* reply, std::vector<std::string>& ids) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return false;
    for (std::size_t i = 0; i < reply->elements; ++i) {
        const auto* e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING) return false;
        ids.emplace_back(e->str, e->len);
    }
    return true;
}

std::int64_t number_of(std::string_view text) {
    std::int64_t n = 0;
    std::from_chars(text.data(), text.data() + text.size(), n);
    return n;
}

}  // namespace

Outcome<void> RedisRevocationStore::open_session(SessionRecord record, std::int64_t kept_until) {
    if (auto refused = session_tags_refusal(record.tags)) return std::move(*refused);
    record = bounded_session(std::move(record));
    const auto now = unix_seconds(options_.clock);
    const auto ttl = std::min(kept_until, record.expires_at) - now;
    if (ttl <= 0) return {};  // over already: nothing to list
    // Atomically: at the bound, sessions already over are dropped, then the least recently
    // refreshed live ones ended (revoked) until there is room; the answer names those ended.
    static const std::string kScript = std::string(kSessionLua) + R"lua(
local id, sub, ttl, max = ARGV[3], ARGV[4], tonumber(ARGV[10]), tonumber(ARGV[11])
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', prefix .. 'fam:' .. id) == 1 then
  return redis.error_reply('session ' .. id .. ' exists')
end
local ended = {}
if redis.call('ZCARD', KEYS[2]) >= max then
  local cutoff = cutoff_of(sub)
  for _, other in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local h = redis.call('HMGET', prefix .. 'ses:' .. other, 'started', 'expires')
    if not live(other, h[1], h[2], cutoff) then drop(other, sub) end
  end
  while redis.call('ZCARD', KEYS[2]) >= max do
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
    finish(oldest, sub)
    table.insert(ended, oldest)
  end
end
redis.call('HSET', KEYS[1], 'sub', sub, 'started', ARGV[5], 'refreshed', ARGV[5], 'expires', ARGV[6], 'client', ARGV[7],
           'ua', ARGV[8], 'label', ARGV[9], 'origin', ARGV[12])
for i = 13, #ARGV do
  redis.call('HSET', KEYS[1], 'tag' .. (i - 12), ARGV[i])
  local tag = prefix .. 'tag:' .. ARGV[i]
  redis.call('SADD', tag, id)
  if redis.call('TTL', tag) < ttl then redis.call('EXPIRE', tag, ttl) end
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], ARGV[5], id)
if redis.call('TTL', KEYS[2]) < ttl then redis.call('EXPIRE', KEYS[2], ttl) end
return ended
)lua";
    const auto& prefix = options_.key_prefix;
    RedisClient::Args args{"EVAL",
                           kScript,
                           "2",
                           prefix + "ses:" + record.id,
                           prefix + "sessions:" + record.sub,
                           prefix,
                           std::to_string(now),
                           record.id,
                           record.sub,
                           std::to_string(record.started_us),
                           std::to_string(record.expires_at),
                           record.client,
                           record.user_agent,
                           record.label,
                           std::to_string(ttl),
                           std::to_string(std::max<std::size_t>(1, options_.max_sessions_per_subject)),
                           record.origin};
    // A login must not wait for a replica: right after a failover the new master has none, and
    // every login would be refused until one is back. The record is acknowledged only when a
    // later revocation depends on finding it: a session with tags, which a back-channel logout
    // ends by its tag (a session its bound evicts is a resource bound, not a revocation).
    const bool acknowledged = !record.tags.empty();
    for (auto& tag : record.tags) args.push_back(std::move(tag));
    auto interpret = [cache = cache_.get(), prefix](const redisReply* reply, const std::string& error) -> Result<void> {
        std::vector<std::string> ended;
        if (!read_ids(reply, ended)) return unavailable("redis: cannot record a session: " + reply_trouble(error));
        if (cache)
            for (const auto& id : ended) cache->invalidate(prefix + "fam:" + id);
        return {};
    };
    return client_->submit<void>(std::move(args), std::move(interpret), acknowledged);
}

Outcome<std::vector<SessionRecord>> RedisRevocationStore::sessions_of(std::string sub) {
    // The live ones, newest refresh first, each as its id and kSessionFields fields; the members
    // whose hash has expired are dropped from the set on the way.
    static const std::string kScript = std::string(kSessionLua) + R"lua(
local cutoff = cutoff_of(ARGV[3])
local out = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do
  local h = redis.call('HMGET', prefix .. 'ses:' .. id, 'sub', 'started', 'refreshed', 'expires', 'client', 'ua', 'label',
                       'origin', 'tag1', 'tag2', 'tag3', 'tag4')
  if not h[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif live(id, h[2], h[4], cutoff) then
    table.insert(out, id)
    for i = 1, 12 do table.insert(out, h[i] or '') end
  end
end
return out
)lua";
    const auto& prefix = options_.key_prefix;
    RedisClient::Args args{"EVAL", kScript, "1", prefix + "sessions:" + sub, prefix, std::to_string(unix_seconds(options_.clock)),
                           sub};
    return client_->submit<std::vector<SessionRecord>>(
        std::move(args), [](const redisReply* reply, const std::string& error) -> Result<std::vector<SessionRecord>> {
            std::vector<std::string> fields;
            if (!read_ids(reply, fields) || fields.size() % (kSessionFields + 1) != 0)
                return unavailable("redis: cannot list sessions: " + reply_trouble(error));
            std::vector<SessionRecord> sessions;
            for (std::size_t i = 0; i < fields.size(); i += kSessionFields + 1) {
                const auto* f = &fields[i];
                SessionRecord record{f[0], f[1], number_of(f[2]), number_of(f[3]), number_of(f[4]), f[5], f[6], f[7], f[8], {}};
                for (std::size_t t = 9; t <= kSessionFields; ++t)
                    if (!f[t].empty()) record.tags.push_back(f[t]);
                sessions.push_back(std::move(record));
            }
            return sessions;
        });
}

Outcome<bool> RedisRevocationStore::end_session(std::string sub, std::string id) {
    static const std::string kScript = std::string(kSessionLua) + R"lua(
local id, sub = ARGV[3], ARGV[4]
local h = redis.call('HMGET', KEYS[1], 'sub', 'started', 'expires')
if h[1] ~= sub or not live(id, h[2], h[3], cutoff_of(sub)) then return 0 end
finish(id, sub)
return 1
)lua";
    const auto& prefix = options_.key_prefix;
    RedisClient::Args args{"EVAL", kScript, "1", prefix + "ses:" + id, prefix, std::to_string(unix_seconds(options_.clock)),
                           id,     sub};
    return send_write<bool>(
        *client_, cache_.get(), prefix + "fam:" + id, std::move(args),
        [](const redisReply* reply, const std::string& error) -> Result<bool> {
            if (!reply || reply->type != REDIS_REPLY_INTEGER)
                return unavailable("redis: cannot end a session: " + reply_trouble(error));
            return reply->integer == 1;
        },
        true);
}

Outcome<std::size_t> RedisRevocationStore::end_tagged(std::string tag) {
    // Every live session with the tag is ended; those already over are dropped from the set.
    static const std::string kScript = std::string(kSessionLua) + R"lua(
local ended = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = redis.call('HMGET', prefix .. 'ses:' .. id, 'sub', 'started', 'expires')
  if not h[1] then
    redis.call('SREM', KEYS[1], id)
  elseif live(id, h[2], h[3], cutoff_of(h[1])) then
    finish(id, h[1])
    table.insert(ended, id)
  else
    drop(id, h[1])
  end
end
return ended
)lua";
    const auto& prefix = options_.key_prefix;
    RedisClient::Args args{"EVAL", kScript, "1", prefix + "tag:" + tag, prefix, std::to_string(unix_seconds(options_.clock))};
    auto interpret = [cache = cache_.get(), prefix](const redisReply* reply, const std::string& error) -> Result<std::size_t> {
        std::vector<std::string> ended;
        if (!read_ids(reply, ended)) return unavailable("redis: cannot end tagged sessions: " + reply_trouble(error));
        if (cache)
            for (const auto& id : ended) cache->invalidate(prefix + "fam:" + id);
        return ended.size();
    };
    return client_->submit<std::size_t>(std::move(args), std::move(interpret), true);
}

}  // namespace fauth
