// What is particular to the Redis store: URLs, outages, reconnection. The store contract itself
// runs in tests/auth/revocation_test.cpp against this store too.
#include "fauth/redis/revocation_store.hpp"
#include "fauth/redis/throttle.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "fauth/auth/provider.hpp"
#include "fauth/core/clock.hpp"
#include "fauth/core/errors.hpp"
#include "support/await.hpp"
#include "support/redis_server.hpp"
#include "support/user.hpp"

using fauth::parse_redis_url;
using fauth::test::await;

namespace {
std::int64_t now() { return fauth::unix_seconds(); }

// The name of the calling thread.
std::string thread_name() {
    char name[16] = {};
    ::pthread_getname_np(::pthread_self(), name, sizeof name);
    return name;
}

// A plain hiredis connection of the test's own, to ask Redis what it saw.
class Probe {
public:
    explicit Probe(std::uint16_t port) : context_(redisConnect("127.0.0.1", port)) {
        if (context_ == nullptr || context_->err) throw std::runtime_error("cannot connect to redis");
    }
    ~Probe() { redisFree(context_); }
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    // Runs `command`; its reply as text (status, string or error), or "" for other types.
    std::string run(const char* command) {
        auto* reply = static_cast<redisReply*>(redisCommand(context_, command));
        if (reply == nullptr) throw std::runtime_error("redis probe lost its connection");
        std::string text = reply->str ? std::string(reply->str, reply->len) : std::string();
        freeReplyObject(reply);
        return text;
    }
    // A counter from INFO stats.
    long long stat(const std::string& name) {
        const auto info = run("INFO stats");
        const auto at = info.find(name + ":");
        if (at == std::string::npos) throw std::runtime_error("INFO stats has no " + name);
        return std::stoll(info.substr(at + name.size() + 1));
    }

private:
    redisContext* context_;
};
}  // namespace

TEST(RedisUrl, ParsesTheUsualForms) {
    auto e = parse_redis_url("redis://127.0.0.1:6379/0");
    EXPECT_EQ(e.host, "127.0.0.1");
    EXPECT_EQ(e.port, 6379);
    EXPECT_EQ(e.database, 0);
    e = parse_redis_url("redis://cache.internal");
    EXPECT_EQ(e.host, "cache.internal");
    EXPECT_EQ(e.port, 6379);
    e = parse_redis_url("redis://:s3cret@10.0.0.2:7000/3");
    EXPECT_EQ(e.password, "s3cret");
    EXPECT_EQ(e.user, "");
    EXPECT_EQ(e.port, 7000);
    EXPECT_EQ(e.database, 3);
    e = parse_redis_url("redis://app:pw@host/1");
    EXPECT_EQ(e.user, "app");
    EXPECT_EQ(e.password, "pw");
}

TEST(RedisUrl, RefusesBadOnesClearly) {
    for (const char* bad : {"http://host", "redis://", "redis://host:0", "redis://host:99999", "redis://host:x",
                            "redis://host/db", "redis://host/-1", "127.0.0.1:6379"})
        EXPECT_THROW(parse_redis_url(bad), fauth::ConfigError) << bad;
}

TEST(RedisUrl, ItsPasswordNeverAppearsInAnError) {
    for (const char* bad : {"redis://:hunter2@host:99999", "redis://app:hunter2@host/x", "redis://app:hunter2@:6379",
                            "http://app:hunter2@host", "redis://app:p@ss:hunter2@host:0"}) {
        try {
            parse_redis_url(bad);
            ADD_FAILURE() << bad << " was accepted";
        } catch (const fauth::ConfigError& e) {
            const std::string message = e.what();
            EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
            EXPECT_EQ(message.find("app"), std::string::npos) << message;
            EXPECT_NE(message.find("***@"), std::string::npos) << message;
        }
    }
}

TEST(RedisRevocationStore, RefusesUnusableOptionsClearly) {
    auto refused = [](auto change) {
        fauth::RedisStoreOptions options;
        change(options);
        try {
            fauth::RedisRevocationStore store(options);
        } catch (const fauth::ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(refused([](auto& o) { o.connections = 0; }), "Redis options: connections must be at least 1");
    EXPECT_EQ(refused([](auto& o) { o.callback_threads = 0; }), "Redis options: callback_threads must be at least 1");
    EXPECT_EQ(refused([](auto& o) { o.queue_capacity = 0; }), "Redis options: queue_capacity must be at least 1");
    EXPECT_EQ(refused([](auto& o) { o.timeout = std::chrono::milliseconds(0); }), "Redis options: timeout must be positive");
}

TEST(RedisRevocationStore, FailsClosedWhileRedisIsDownAndRecovers) {
    fauth::test::RedisServer redis;
    std::mutex m;
    std::vector<std::string> logs;
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.key_prefix = "outage:";
    options.timeout = std::chrono::milliseconds(200);
    options.revocation_cache_entries = 0;  // every check asks Redis; the cache's outages are tested below
    options.log = [&](std::string_view line) {
        std::lock_guard lock(m);
        logs.emplace_back(line);
    };
    fauth::RedisRevocationStore store(options);
    const fauth::RevocationQuery q{"jti", "fam", "sub", now()};
    EXPECT_FALSE(await(store.is_revoked(q)));
    await(store.revoke_family("other", now() + 60));

    redis.stop();
    EXPECT_THROW(await(store.is_revoked(q)), fauth::Unavailable) << "fail closed: an unknown state is a 503";
    const auto outcome = fauth::test::settle(store.revoke_token("jti", now() + 60));
    ASSERT_TRUE(outcome.error);
    EXPECT_THROW(std::rethrow_exception(outcome.error), fauth::Unavailable);
    {
        std::lock_guard lock(m);
        ASSERT_FALSE(logs.empty());
        EXPECT_NE(logs.front().find("); answering 503"), std::string::npos) << logs.front();
    }

    redis.start();  // same port, empty (no persistence)
    EXPECT_FALSE(await(store.is_revoked(q))) << "reconnected";
    await(store.revoke_token("jti", now() + 60));
    EXPECT_TRUE(await(store.is_revoked(q)));
}

TEST(RedisRevocationStore, CanFailOpenWhenConfiguredTo) {
    fauth::RedisStoreOptions options;
    options.url = "redis://127.0.0.1:" + std::to_string(fauth::test::free_port());  // nothing listens
    options.fail_closed = false;
    options.timeout = std::chrono::milliseconds(200);
    options.log = [](std::string_view) {};
    fauth::RedisRevocationStore store(options);
    EXPECT_FALSE(await(store.is_revoked({"jti", "fam", "sub", now()})));
}

TEST(RedisRevocationStore, KeysCarryTtlsSoRedisForgetsThem) {
    fauth::test::RedisServer redis;
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.key_prefix = "ttl:";
    fauth::RedisRevocationStore store(options);
    await(store.revoke_token("t", now() + 100));
    await(store.use_refresh({"u", "sub", "jti", now() * 1'000'000, now() + 100}));
    // Ask Redis itself, through a second store-independent connection: redis-cli.
    const std::string cli = "redis-cli -p " + std::to_string(redis.port()) + " ";
    auto ttl_of = [&](const std::string& key) {
        FILE* p = ::popen((cli + "TTL " + key).c_str(), "r");
        char buf[64] = {};
        if (p == nullptr || std::fgets(buf, sizeof buf, p) == nullptr) return -100;
        ::pclose(p);
        return std::atoi(buf);
    };
    EXPECT_GT(ttl_of("ttl:jti:t"), 90);
    EXPECT_LE(ttl_of("ttl:jti:t"), 100);
    EXPECT_GT(ttl_of("ttl:fam:u"), 90);
}

// revoke_all's cutoff is Redis's TIME, whatever the clock of the process asking (here its store's
// clock lags an hour); it is written as the digits of the next microsecond and "u", and an entry
// of an earlier fauth (whole seconds) later than it stays and is the cutoff answered.
TEST(RedisRevocationStore, RevokingASubjectUpToNowReadsRedisTime) {
    fauth::test::RedisServer redis;
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.key_prefix = "time:";
    options.clock = [] { return std::chrono::system_clock::now() - std::chrono::hours(1); };
    fauth::RedisRevocationStore store(options);
    const auto before = fauth::unix_microseconds();
    const auto cutoff = await(store.revoke_subject_now("alice", 0, now() + 100));
    const auto after = fauth::unix_microseconds();
    EXPECT_GE(cutoff, before);
    EXPECT_LE(cutoff, after);
    Probe probe(redis.port());
    EXPECT_EQ(probe.run("GET time:sub:alice"), std::to_string(cutoff + 1) + "u");
    EXPECT_TRUE(await(store.is_revoked({"a", "", "alice", cutoff})));
    EXPECT_FALSE(await(store.is_revoked({"b", "", "alice", cutoff + 1})));

    const auto later_s = now() + 50;  // an earlier fauth's entry: every token up to the end of that second
    probe.run(("SET time:sub:bob " + std::to_string(later_s) + " EX 100").c_str());
    EXPECT_EQ(await(store.revoke_subject_now("bob", 0, now() + 100)), (later_s + 1) * 1'000'000 - 1);
    EXPECT_EQ(probe.run("GET time:sub:bob"), std::to_string(later_s)) << "never moved back";
}

TEST(RedisRevocationStore, RefusesARedisThatMayEvictItsKeys) {
    fauth::test::RedisServer redis;
    const std::string cli = "redis-cli -p " + std::to_string(redis.port()) + " ";
    ASSERT_EQ(std::system((cli + "CONFIG SET maxmemory-policy volatile-lru >/dev/null").c_str()), 0);
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.log = [](std::string_view) {};
    try {
        fauth::RedisRevocationStore store(options);
        ADD_FAILURE() << "a store on a volatile-lru Redis was built";
    } catch (const fauth::ConfigError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("maxmemory-policy is \"volatile-lru\""), std::string::npos) << message;
        EXPECT_NE(message.find("noeviction"), std::string::npos) << message;
        EXPECT_NE(message.find("accepted_eviction_policy"), std::string::npos) << message;
    }
    fauth::RedisThrottleOptions throttle_options;
    throttle_options.url = redis.url();
    EXPECT_THROW(fauth::RedisThrottle throttle(throttle_options), fauth::ConfigError);
    // Accepted by name: the store works.
    options.accepted_eviction_policy = "volatile-lru";
    fauth::RedisRevocationStore accepted(options);
    await(accepted.revoke_token("t", now() + 60));
    EXPECT_TRUE(await(accepted.is_revoked({"t", "", "s", now()})));
}

TEST(RedisRevocationStore, ARedisThatStartsEvictingLaterIsRefusedAtItsNextConnection) {
    fauth::test::RedisServer redis;
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.connections = 1;
    std::vector<std::string> logs;
    std::mutex m;
    options.log = [&](std::string_view line) {
        std::lock_guard lock(m);
        logs.emplace_back(line);
    };
    fauth::RedisRevocationStore store(options);  // noeviction: accepted
    await(store.revoke_token("t", now() + 60));
    const std::string cli = "redis-cli -p " + std::to_string(redis.port()) + " ";
    ASSERT_EQ(std::system((cli + "CONFIG SET maxmemory-policy allkeys-lru >/dev/null").c_str()), 0);
    ASSERT_EQ(std::system((cli + "CLIENT KILL TYPE normal >/dev/null").c_str()), 0);  // fauth reconnects
    EXPECT_THROW(await(store.is_revoked({"other", "", "s", now()})), fauth::Unavailable) << "fail closed: every check is a 503";
    std::lock_guard lock(m);
    bool said = false;
    for (const auto& line : logs) said = said || line.find("maxmemory-policy is \"allkeys-lru\"") != std::string::npos;
    EXPECT_TRUE(said);
}

// What is chained to a store's answer (here it stands for a loader or a handler) runs on a callback
// thread, after the connection has moved on: with one connection, a continuation that waits for
// another command's answer does not stall it.
TEST(RedisRevocationStore, AnswersAreHandedOnToCallbackThreadsNotTheConnectionsThread) {
    fauth::RedisStoreOptions options;
    options.url = fauth::test::shared_redis().url();
    options.key_prefix = "callbacks:";
    options.revocation_cache_entries = 0;  // every check asks Redis (a cached answer is ready at once)
    options.connections = 1;
    options.callback_threads = 2;
    fauth::RedisRevocationStore store(options);
    const fauth::RevocationQuery q{"jti", "fam", "sub", now()};
    await(store.is_revoked(q));  // connected

    // Redis holds the commands below until both continuations are attached, so that each runs
    // where the answer is handed on, not here on a promise that settled before then() was called.
    Probe probe(fauth::test::shared_redis().port());
    EXPECT_EQ(probe.run("CLIENT PAUSE 300 ALL"), "OK");
    std::promise<void> second_answered;
    auto second = second_answered.get_future();
    std::promise<std::pair<std::string, bool>> first_saw;
    auto first_seen = first_saw.get_future();
    auto first = store.is_revoked(q);
    EXPECT_FALSE(first.ready()) << "Redis answers later, on a callback thread";
    std::move(first).then([&](fauth::Result<bool> revoked) noexcept {
        if (!revoked) return first_saw.set_value({"failed", false});
        // Blocks this callback thread until the next command, on the same single connection, has
        // been answered and handed on too.
        const bool ready = second.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
        first_saw.set_value({thread_name(), ready});
    });
    store.is_revoked(q).then([&](fauth::Result<bool> revoked) noexcept {
        if (revoked) second_answered.set_value();
    });
    ASSERT_EQ(first_seen.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    const auto [name, ready] = first_seen.get();
    EXPECT_EQ(name, "fauth-redis-cb");
    EXPECT_TRUE(ready) << "the second command waited for the first one's continuation";
}

// Commands issued while a round trip is under way travel together in the next one: Redis reads
// them in a few reads, not one read per command.
TEST(RedisRevocationStore, ConcurrentChecksShareRoundTrips) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.key_prefix = "pipeline:";
    options.connections = 2;
    fauth::RedisRevocationStore store(options);
    await(store.is_revoked({"warm", "up", "sub", now()}));  // both sides connected

    constexpr int kChecks = 1000;
    const auto reads_before = probe.stat("total_reads_processed");
    // Redis holds every client's commands for a moment, so the checks below pile up behind the first
    // ones whatever the speed of this machine; each connection then sends its pile in one go.
    EXPECT_EQ(probe.run("CLIENT PAUSE 300 ALL"), "OK");
    std::vector<fauth::Outcome<bool>> checks;
    checks.reserve(kChecks);
    for (int i = 0; i < kChecks; ++i) checks.push_back(store.is_revoked({"jti-" + std::to_string(i), "fam", "sub", now()}));
    for (auto& check : checks) EXPECT_FALSE(await(std::move(check)));
    const auto reads = probe.stat("total_reads_processed") - reads_before;
    EXPECT_LE(reads, kChecks / 4) << "at least four checks per read";
    RecordProperty("redis_reads_per_1000_checks", std::to_string(reads * 1000 / kChecks));
}

// The local cache of revocation answers, kept right by Redis's invalidation messages.
namespace {

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Options for a caching store on `redis` under `prefix`, whose entries never age out during a
// test: only an invalidation can make them go.
fauth::RedisStoreOptions caching(const fauth::test::RedisServer& redis, std::string prefix) {
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.key_prefix = std::move(prefix);
    options.timeout = std::chrono::milliseconds(200);
    options.revocation_cache_max_age = std::chrono::minutes(10);
    options.log = [](std::string_view) {};
    return options;
}

// How long `done()` took to become true, polled every millisecond; nullopt if not within `bound`.
template <class Done>
std::optional<std::chrono::milliseconds> within(std::chrono::milliseconds bound, Done done) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        if (done()) return elapsed;
        if (elapsed > bound) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

// `store` answers `q` from its cache: at once, without a round trip, and `revoked`.
void expect_cached(fauth::RedisRevocationStore& store, const fauth::RevocationQuery& q, bool revoked) {
    auto answer = store.is_revoked(q);
    ASSERT_TRUE(answer.ready()) << "answered from the cache";
    ASSERT_TRUE(answer.result().ok());
    EXPECT_EQ(*answer.result(), revoked);
}

// True once a check of `q` by `store` is answered from its cache, and `revoked`, within a
// second: a reply is kept only once the invalidations of the writes before it (this process's own
// included, which Redis announces too) have come in.
bool comes_to_cache(fauth::RedisRevocationStore& store, const fauth::RevocationQuery& q, bool revoked) {
    return within(std::chrono::milliseconds(1000),
                  [&] {
                      auto check = store.is_revoked(q);
                      if (check.ready()) return check.result().ok() && *check.result() == revoked;
                      await(std::move(check));
                      return false;
                  })
        .has_value();
}

// A check of `q` by `store`, until it says revoked (asking Redis again whenever it is not cached).
// Whether a check now refuses: revoked, or (Redis unreachable, fail_closed) Unavailable.
bool revoked_now(fauth::RedisRevocationStore& store, const fauth::RevocationQuery& q) {
    const auto answer = fauth::test::settle(store.is_revoked(q));
    if (!answer.error) return *answer.value;
    try {
        std::rethrow_exception(answer.error);
    } catch (const fauth::Unavailable&) {
        return true;
    }
}

constexpr auto kBound = std::chrono::milliseconds(1000);

}  // namespace

TEST(RedisRevocationCache, ARepeatedCheckIsAnsweredAtOnceWithoutRedis) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    fauth::RedisRevocationStore store(caching(redis, "cached:"));
    const fauth::RevocationQuery q{"jti", "fam", "sub", now_us()};
    auto first = store.is_revoked(q);
    EXPECT_FALSE(first.ready()) << "the first check asks Redis";
    EXPECT_FALSE(await(std::move(first)));
    EXPECT_EQ(store.cached_keys(), 3u);
    const auto reads_before = probe.stat("total_reads_processed");
    for (int i = 0; i < 100; ++i) expect_cached(store, q, false);
    // (The probe's own INFO is one read; the invalidation connection may PING once a second.)
    EXPECT_LE(probe.stat("total_reads_processed") - reads_before, 3);

    // A revocation by this process drops the key at once: the very next check asks Redis.
    await(store.revoke_token("jti", now() + 60));
    auto after = store.is_revoked(q);
    EXPECT_FALSE(after.ready());
    EXPECT_TRUE(await(std::move(after)));
    EXPECT_TRUE(comes_to_cache(store, q, true)) << "revoked answers are cached too";
}

TEST(RedisRevocationCache, ThisProcesssOwnWritesAreSeenByItsVeryNextCheck) {
    fauth::test::RedisServer redis;
    fauth::RedisRevocationStore store(caching(redis, "own:"));
    const auto issued = now_us() - 1'000'000;
    const fauth::RevocationQuery q{"jti", "fam", "sub", issued};
    EXPECT_FALSE(await(store.is_revoked(q)));
    await(store.revoke_family("fam", now() + 60));
    EXPECT_TRUE(await(store.is_revoked(q)));

    const fauth::RevocationQuery other{"jti2", "fam2", "sub", issued};
    EXPECT_FALSE(await(store.is_revoked(other)));
    ASSERT_TRUE(comes_to_cache(store, other, false));
    EXPECT_GT(await(store.revoke_subject_now("sub", 0, now() + 60)), issued);
    EXPECT_TRUE(await(store.is_revoked(other)));
}

TEST(RedisRevocationCache, ARevocationByAnotherProcessIsSeenWithinASecond) {
    fauth::test::RedisServer redis;
    fauth::RedisRevocationStore a(caching(redis, "shared:"));
    fauth::RedisRevocationStore b(caching(redis, "shared:"));  // another process: its own connections
    const auto issued = now_us() - 1'000'000;
    const fauth::RevocationQuery token{"t1", "f1", "u1", issued}, session{"t2", "f2", "u2", issued},
        user{"t3", "f3", "u3", issued};
    for (const auto* q : {&token, &session, &user}) {
        EXPECT_FALSE(await(a.is_revoked(*q)));
        expect_cached(a, *q, false);
    }

    await(b.revoke_token("t1", now() + 60));  // a logout
    const auto seen_token = within(kBound, [&] { return revoked_now(a, token); });
    ASSERT_TRUE(seen_token) << "a logout elsewhere was not seen within " << kBound.count() << " ms";
    await(b.revoke_family("f2", now() + 60));  // a session ended
    ASSERT_TRUE(within(kBound, [&] { return revoked_now(a, session); }));
    await(b.revoke_subject_now("u3", 0, now() + 60));  // revoke_all
    const auto seen_user = within(kBound, [&] { return revoked_now(a, user); });
    ASSERT_TRUE(seen_user) << "a revoke_all elsewhere was not seen within " << kBound.count() << " ms";
    RecordProperty("invalidation_ms", std::to_string(seen_token->count()));
}

TEST(RedisRevocationCache, ARefreshRotationByAnotherProcessDropsTheSessionsKey) {
    fauth::test::RedisServer redis;
    fauth::RedisRevocationStore a(caching(redis, "rotation:"));
    fauth::RedisRevocationStore b(caching(redis, "rotation:"));
    const auto issued = now_us() - 1'000'000;
    const fauth::RevocationQuery access{"access", "family", "sub", issued};
    EXPECT_FALSE(await(a.is_revoked(access)));
    expect_cached(a, access, false);

    const auto used = await(b.use_refresh({"family", "sub", "refresh-1", issued, now() + 60, issued + 1}));
    EXPECT_TRUE(used.first_use);
    // The session's key changed (its refresh record): a asks Redis again, and the session still holds.
    ASSERT_TRUE(within(kBound, [&] {
        auto check = a.is_revoked(access);
        if (check.ready()) return false;
        EXPECT_FALSE(await(std::move(check)));
        return true;
    }));
    // Reuse of the older token ends the session (the engine revokes the family): seen by a too.
    EXPECT_FALSE(await(b.use_refresh({"family", "sub", "refresh-0", issued - 1, now() + 60, issued + 2})).first_use);
    await(b.revoke_family("family", now() + 60));
    ASSERT_TRUE(within(kBound, [&] { return revoked_now(a, access); }));
}

TEST(RedisRevocationCache, ALostInvalidationConnectionDropsTheCacheSoNoStaleAnswerIsServed) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    fauth::RedisRevocationStore a(caching(redis, "loss:"));
    fauth::RedisRevocationStore b(caching(redis, "loss:"));
    const fauth::RevocationQuery q{"jti", "fam", "sub", now_us()};
    EXPECT_FALSE(await(a.is_revoked(q)));
    expect_cached(a, q, false);

    // Redis forgets a's (and b's) invalidation connection; a revocation made meanwhile is
    // announced to nobody, so a must not go on answering from what it cached before.
    probe.run("CLIENT KILL TYPE pubsub");
    EXPECT_EQ(probe.run("CLIENT LIST TYPE pubsub"), "") << "the invalidation connections are gone";
    await(b.revoke_token("jti", now() + 60));
    const auto seen = within(kBound, [&] { return revoked_now(a, q); });
    ASSERT_TRUE(seen) << "a revocation made while the invalidation connection was down was not seen within " << kBound.count()
                      << " ms";

    // Tracking is back once a new connection subscribed: answers are cached again and kept right.
    const fauth::RevocationQuery other{"jti2", "fam", "sub", now_us()};
    ASSERT_TRUE(within(std::chrono::milliseconds(3000), [&] {
        EXPECT_FALSE(await(a.is_revoked(other)));
        return a.is_revoked(other).ready();
    })) << "caching did not resume after reconnection";
    await(b.revoke_token("jti2", now() + 60));
    ASSERT_TRUE(within(kBound, [&] { return revoked_now(a, other); }));
}

TEST(RedisRevocationCache, ARedisRestartDropsTheCache) {
    fauth::test::RedisServer redis;
    auto options = caching(redis, "restart:");
    fauth::RedisRevocationStore a(options);
    const fauth::RevocationQuery q{"jti", "fam", "sub", now_us()};
    EXPECT_FALSE(await(a.is_revoked(q)));
    expect_cached(a, q, false);

    redis.stop();
    // Redis is gone: within the bound, the cache is dropped and checks fail closed.
    ASSERT_TRUE(within(kBound, [&] { return revoked_now(a, q); })) << "cached answers outlived Redis";
    EXPECT_EQ(a.cached_keys(), 0u);
    redis.start();  // empty (no persistence)
    {
        fauth::RedisRevocationStore b(options);  // another process revokes as soon as Redis is back
        await(b.revoke_token("jti", now() + 60));
    }
    ASSERT_TRUE(within(std::chrono::milliseconds(3000), [&] {
        auto check = a.is_revoked(q);
        return check.ready() && *check.result();
    })) << "a did not cache again, or cached a stale answer";
}

TEST(RedisRevocationCache, AFlushDropsEverything) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    fauth::RedisRevocationStore a(caching(redis, "flush:"));
    EXPECT_FALSE(await(a.is_revoked({"jti", "fam", "sub", now_us()})));
    EXPECT_EQ(a.cached_keys(), 3u);
    EXPECT_EQ(probe.run("FLUSHALL"), "OK");  // announced with a nil list of keys
    ASSERT_TRUE(within(kBound, [&] { return a.cached_keys() == 0; }));
}

TEST(RedisRevocationCache, HoldsNoMoreKeysThanItsBound) {
    fauth::test::RedisServer redis;
    auto options = caching(redis, "bound:");
    options.revocation_cache_entries = 30;
    fauth::RedisRevocationStore store(options);
    std::size_t most = 0;
    for (int i = 0; i < 50; ++i) {  // 150 distinct keys
        const auto n = std::to_string(i);
        EXPECT_FALSE(await(store.is_revoked({"jti" + n, "fam" + n, "sub" + n, now_us()})));
        most = std::max(most, store.cached_keys());
        EXPECT_LE(store.cached_keys(), 30u);
    }
    EXPECT_EQ(most, 30u) << "it filled up to its bound";
    expect_cached(store, {"jti49", "fam49", "sub49", now_us()}, false);  // the latest are kept
}

TEST(RedisRevocationCache, ZeroEntriesTurnsCachingOff) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    auto options = caching(redis, "off:");
    options.revocation_cache_entries = 0;
    fauth::RedisRevocationStore store(options);
    const fauth::RevocationQuery q{"jti", "fam", "sub", now_us()};
    EXPECT_FALSE(await(store.is_revoked(q)));
    auto again = store.is_revoked(q);
    EXPECT_FALSE(again.ready()) << "every check asks Redis";
    EXPECT_FALSE(await(std::move(again)));
    EXPECT_EQ(store.cached_keys(), 0u);
    EXPECT_EQ(probe.run("CLIENT LIST TYPE pubsub"), "") << "no invalidation connection";
}

TEST(RedisRevocationCache, RefusesAnAgeOfZeroClearly) {
    auto options = caching(fauth::test::shared_redis(), "age:");
    options.revocation_cache_max_age = std::chrono::milliseconds(0);
    EXPECT_THROW(fauth::RedisRevocationStore{options}, fauth::ConfigError);
    options.revocation_cache_entries = 0;  // caching off: the age does not matter
    EXPECT_NO_THROW(fauth::RedisRevocationStore{options});
}

TEST(RedisRevocationCache, ARedisThatRefusesTrackingLeavesCachingOffAndSaysSo) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    EXPECT_EQ(probe.run("ACL SETUSER untracked on >pw ~* &* +@all -client|tracking"), "OK");
    std::mutex m;
    std::vector<std::string> logs;
    auto options = caching(redis, "refused:");
    options.url = "redis://untracked:pw@127.0.0.1:" + std::to_string(redis.port()) + "/0";
    options.log = [&](std::string_view line) {
        std::lock_guard lock(m);
        logs.emplace_back(line);
    };
    fauth::RedisRevocationStore store(options);
    const fauth::RevocationQuery q{"jti", "fam", "sub", now_us()};
    EXPECT_FALSE(await(store.is_revoked(q)));
    auto again = store.is_revoked(q);
    EXPECT_FALSE(again.ready()) << "nothing is cached without invalidations";
    EXPECT_FALSE(await(std::move(again)));
    await(store.revoke_token("jti", now() + 60));
    EXPECT_TRUE(await(store.is_revoked(q)));
    std::lock_guard lock(m);
    ASSERT_EQ(logs.size(), 1u);
    EXPECT_NE(logs.front().find("caching of revocation checks is off: CLIENT TRACKING refused"), std::string::npos)
        << logs.front();
}

// The race the cache guards against, forced with a real Redis: a's only callback thread is held,
// so that a reply read before a write is handed on only after that write's invalidation.
TEST(RedisRevocationCache, AReplyReadBeforeAWriteButHandedOnAfterItsInvalidationIsNotKept) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    auto options = caching(redis, "race:");
    options.connections = 1;
    options.callback_threads = 1;
    fauth::RedisRevocationStore a(options);
    fauth::RedisRevocationStore b(caching(redis, "race:"));
    const auto issued = now_us();
    const fauth::RevocationQuery y{"y", "fam", "sub", issued}, x{"x", "fam", "sub", issued};
    auto mget_calls = [&] {
        const auto stats = probe.run("INFO commandstats");
        const auto at = stats.find("cmdstat_mget:calls=");
        return at == std::string::npos ? 0LL : std::stoll(stats.substr(at + 19));
    };

    std::promise<void> holding, release;
    auto released = release.get_future().share();
    struct Release {  // lets the callback thread go however the test ends
        std::promise<void>& promise;
        bool done = false;
        void operator()() {
            if (!std::exchange(done, true)) promise.set_value();
        }
        ~Release() { (*this)(); }
    } let_go{release};
    std::promise<bool> x_answer;
    auto x_answered = x_answer.get_future();
    EXPECT_EQ(probe.run("CLIENT PAUSE 300 ALL"), "OK");  // Redis holds both checks until both continuations are attached
    auto first = a.is_revoked(y);
    ASSERT_FALSE(first.ready());
    std::move(first).then([&holding, released](fauth::Result<bool>) noexcept {
        holding.set_value();
        released.wait();
    });
    auto second = a.is_revoked(x);
    ASSERT_FALSE(second.ready());
    std::move(second).then([&x_answer](fauth::Result<bool> revoked) noexcept { x_answer.set_value(revoked && *revoked); });
    ASSERT_EQ(holding.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_EQ(a.cached_keys(), 3u) << "y's reply was kept before its continuation ran";
    ASSERT_TRUE(within(kBound, [&] { return mget_calls() >= 2; })) << "x's MGET ran at Redis";

    await(b.revoke_family("fam", now() + 60));  // the write, after x's MGET
    ASSERT_TRUE(within(kBound, [&] { return a.cached_keys() == 2; })) << "a has the invalidation of the session's key";
    let_go();  // x's reply, read before the write, is handed on now
    ASSERT_EQ(x_answered.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_FALSE(x_answered.get()) << "Redis answered before the write";
    auto again = a.is_revoked(x);
    EXPECT_FALSE(again.ready()) << "that reply predates the invalidation: it must not have been kept";
    EXPECT_TRUE(await(std::move(again)));
}

// The same loss, with the invalidation connection kept from coming back (its user may no longer
// enable tracking): only dropping the cache when the loss is noticed keeps a from a stale answer.
TEST(RedisRevocationCache, ALostInvalidationConnectionThatCannotComeBackLeavesNothingCached) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    EXPECT_EQ(probe.run("ACL SETUSER app on >pw ~* &* +@all"), "OK");
    auto options = caching(redis, "gone:");
    options.url = "redis://app:pw@127.0.0.1:" + std::to_string(redis.port()) + "/0";
    fauth::RedisRevocationStore a(options);
    fauth::RedisRevocationStore b(caching(redis, "gone:"));
    const fauth::RevocationQuery q{"jti", "fam", "sub", now_us()};
    EXPECT_FALSE(await(a.is_revoked(q)));
    expect_cached(a, q, false);

    EXPECT_EQ(probe.run("ACL SETUSER app -client|tracking"), "OK");
    probe.run("CLIENT KILL USER app TYPE pubsub");
    await(b.revoke_token("jti", now() + 60));
    ASSERT_TRUE(within(kBound, [&] { return revoked_now(a, q); })) << "a stale answer outlived the connection";
    EXPECT_EQ(a.cached_keys(), 0u);
    auto again = a.is_revoked(q);
    EXPECT_FALSE(again.ready()) << "nothing is cached while writes go unannounced";
    EXPECT_TRUE(await(std::move(again)));
}

// A refresh exchanges its token for new ones: its check reads Redis, never the cache (H1 of the
// cache's review). Two providers, each with its own store (two processes): B has alice's refresh
// token's keys cached when A runs revoke_all; B's refresh right after must be refused, whether or
// not Redis's invalidation message has reached B yet.
namespace {

// A provider on `store` that takes every subject for an active user.
std::unique_ptr<fauth::AuthProvider<fauth::test::User>> node(std::shared_ptr<fauth::RevocationStore> store) {
    fauth::AuthConfig c;
    c.tokens.secret_key = "redis-cache-test-secret-32-bytes!";
    c.bcrypt_cost = 4;
    c.revocation_store = std::move(store);
    return std::make_unique<fauth::AuthProvider<fauth::test::User>>(c, [](const fauth::TokenPayload& p) {
        return std::optional<fauth::test::User>({p.sub, p.sub, "", true, {}, {}});
    });
}

// Why `refreshed` was refused (the log reason), or "accepted".
std::string refusal(Pistache::Async::Promise<fauth::TokenResponse>& refreshed) {
    const auto outcome = fauth::test::settle(refreshed);
    if (!outcome.error) return "accepted";
    try {
        std::rethrow_exception(outcome.error);
    } catch (const fauth::Error& e) {
        return e.what();
    } catch (...) {
        return "an exception that is not a fauth::Error";
    }
}

// The check the engine makes of `token`.
// The query views `token`'s strings: it must outlive the query (a temporary may not be passed).
fauth::RevocationQuery query_of(const fauth::TokenPayload& token) {
    return {token.jti, token.family, token.sub, token.revocation_time_us()};
}
fauth::RevocationQuery query_of(fauth::TokenPayload&& token) = delete;

}  // namespace

TEST(RedisRevocationCache, ARefreshRightAfterRevokeAllElsewhereIsRefused) {
    fauth::test::RedisServer redis;
    auto store_a = std::make_shared<fauth::RedisRevocationStore>(caching(redis, "refresh:"));
    auto store_b = std::make_shared<fauth::RedisRevocationStore>(caching(redis, "refresh:"));
    auto a = node(store_a);
    auto b = node(store_b);
    const auto session = b->login("alice");
    const auto payload = b->verify(session.refresh_token, fauth::TokenType::refresh);
    const auto query = query_of(payload);
    EXPECT_FALSE(await(store_b->is_revoked(query)));
    ASSERT_TRUE(comes_to_cache(*store_b, query, false)) << "B has the refresh token's keys cached";

    await(a->revoke_all("alice"));  // a password change on A
    auto refreshed = b->refresh(session.refresh_token);
    EXPECT_EQ(refusal(refreshed), "Invalid token: token revoked");
}

// The same, with B's cache made stale for good: SWAPDB changes what Redis holds without any
// invalidation message (see docs/guides/redis.md), so only reading Redis can see it. A check of an
// access token is still answered from the cache (the fast path, bounded by max_age); a check that
// must read the store, and so a refresh, is not.
TEST(RedisRevocationCache, ARefreshIsCheckedAgainstRedisEvenWhenItsKeysAreCached) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    auto store = std::make_shared<fauth::RedisRevocationStore>(caching(redis, "swap:"));
    auto b = node(store);
    const auto session = b->login("alice");
    const auto access_payload = b->verify(session.access_token, fauth::TokenType::access);
    const auto refresh_payload = b->verify(session.refresh_token, fauth::TokenType::refresh);
    const auto access = query_of(access_payload);
    const auto refresh = query_of(refresh_payload);
    // alice's revoke_all, written to database 1 first (tracking does not tell databases apart: its
    // message comes now, before anything is cached), then swapped in as database 0: nothing is
    // announced then.
    EXPECT_EQ(probe.run("SELECT 1"), "OK");
    const auto cutoff = std::to_string(now_us() + 1'000'000) + "u";
    EXPECT_EQ(probe.run(("SET swap:sub:alice " + cutoff + " EX 60").c_str()), "OK");
    for (const auto* q : {&access, &refresh}) {
        EXPECT_FALSE(await(store->is_revoked(*q)));
        ASSERT_TRUE(comes_to_cache(*store, *q, false));
    }
    EXPECT_EQ(probe.run("SWAPDB 0 1"), "OK");
    expect_cached(*store, access, false);  // the setting: the cache is stale, and no message will come
    ASSERT_EQ(store->cached_keys(), 4u) << "the setting: SWAPDB announced nothing";

    auto must_read = refresh;
    must_read.must_read_store = true;
    auto read = store->is_revoked(must_read);
    EXPECT_FALSE(read.ready()) << "asked of Redis, though its keys are cached";
    EXPECT_TRUE(await(std::move(read)));
    auto refreshed = b->refresh(session.refresh_token);
    EXPECT_EQ(refusal(refreshed), "Invalid token: token revoked");
}

// A Redis that hangs (SIGSTOP: connections stay open, nothing answers) makes checks fail closed
// from the first one that fails to read it (M1 of the review): cached answers are dropped then,
// not only when the invalidation connection's PING gives up (between one and two seconds later)
// or when they reach max_age (ten minutes here).
TEST(RedisRevocationCache, AHungRedisFailsClosedFromTheFirstFailedCheck) {
    fauth::test::RedisServer redis;
    auto options = caching(redis, "hung:");
    options.timeout = std::chrono::milliseconds(100);
    fauth::RedisRevocationStore store(options);
    const fauth::RevocationQuery cached{"jti", "fam", "sub", now_us()}, other{"jti2", "fam2", "sub2", now_us()};
    EXPECT_FALSE(await(store.is_revoked(cached)));
    ASSERT_TRUE(comes_to_cache(store, cached, false));

    redis.pause();
    const auto paused = std::chrono::steady_clock::now();
    EXPECT_THROW(await(store.is_revoked(other)), fauth::Unavailable) << "fail closed";
    const auto failed_after = std::chrono::steady_clock::now() - paused;
    auto again = store.is_revoked(cached);
    const auto checked_after = std::chrono::steady_clock::now() - paused;
    // The deadline: the check above failed within its timeouts (a command and one reconnection,
    // 100 ms each), well before the invalidation connection could have given up.
    EXPECT_LT(failed_after, std::chrono::milliseconds(900));
    EXPECT_LT(checked_after, std::chrono::milliseconds(900));
    EXPECT_FALSE(again.ready()) << "a cached answer was served after a check had failed to read Redis";
    EXPECT_THROW(await(std::move(again)), fauth::Unavailable) << "fail closed";
    EXPECT_EQ(store.cached_keys(), 0u);
    RecordProperty("first_failure_ms",
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(failed_after).count()));

    redis.resume();
    ASSERT_TRUE(within(std::chrono::milliseconds(5000), [&] { return !await(store.is_revoked(cached)); }))
        << "checks did not recover once Redis answered again";
}

// Whatever is thrown on the invalidation listener's thread ends nothing (M3 of the review): here
// the store's log sink throws when the listener reports its lost connection. The process lives
// on, and caching comes back, kept right, once the connection is made again.
TEST(RedisRevocationCache, ALogSinkThatThrowsOnTheListenersThreadEndsNothing) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    auto options = caching(redis, "sink:");
    std::atomic<int> thrown{0};
    options.log = [&thrown](std::string_view) {
        ++thrown;
        throw std::runtime_error("the log is down");
    };
    fauth::RedisRevocationStore a(options);
    fauth::RedisRevocationStore b(caching(redis, "sink:"));
    const fauth::RevocationQuery q{"jti", "fam", "sub", now_us()};
    EXPECT_FALSE(await(a.is_revoked(q)));
    ASSERT_TRUE(comes_to_cache(a, q, false));

    probe.run("CLIENT KILL TYPE pubsub");  // a's listener reports the loss: its sink throws
    ASSERT_TRUE(within(kBound, [&] { return thrown > 0; })) << "the listener reported nothing";
    ASSERT_TRUE(within(std::chrono::milliseconds(3000), [&] {
        EXPECT_FALSE(await(a.is_revoked(q)));
        return a.is_revoked(q).ready();
    })) << "caching did not resume after reconnection";
    await(b.revoke_token("jti", now() + 60));
    ASSERT_TRUE(within(kBound, [&] { return revoked_now(a, q); }));
}

// An error Redis may answer differently later is no refusal (L5 of the review): with its clients
// at their maximum, the listener is told "ERR max number of clients reached", and caching starts
// once there is room, instead of staying off for the store's life.
TEST(RedisRevocationCache, ATransientErrorAtConnectionLeavesCachingToComeLater) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    EXPECT_EQ(probe.run("CONFIG SET maxclients 1"), "OK");  // the probe's is the only connection
    std::mutex m;
    std::vector<std::string> logs;
    auto options = caching(redis, "full:");
    options.log = [&](std::string_view line) {
        std::lock_guard lock(m);
        logs.emplace_back(line);
    };
    fauth::RedisRevocationStore store(options);
    EXPECT_EQ(probe.run("CONFIG SET maxclients 100"), "OK");
    const fauth::RevocationQuery q{"jti", "fam", "sub", now_us()};
    ASSERT_TRUE(within(std::chrono::milliseconds(5000), [&] {
        EXPECT_FALSE(await(store.is_revoked(q)));
        return store.is_revoked(q).ready();
    })) << "caching never started";
    std::lock_guard lock(m);
    bool told = false;
    for (const auto& line : logs) {
        EXPECT_EQ(line.find("refused"), std::string::npos) << line;
        told = told || line.find("max number of clients reached") != std::string::npos;
    }
    EXPECT_TRUE(told) << "the setting: the listener's first connection was answered with the clients' maximum";
}

namespace {

// A session record of `sub` with id `id`, begun now, for an hour.
fauth::SessionRecord session_record(std::string id, std::string sub, std::vector<std::string> tags = {}) {
    const auto started = now_us();
    return {std::move(id), std::move(sub), started, started,    now() + 3600,
            "203.0.113.7", "agent",        "",      "password", std::move(tags)};
}

// `cmdstat_<command>`'s calls in INFO commandstats.
long long command_calls(Probe& probe, const std::string& command) {
    const auto info = probe.run("INFO commandstats");
    const auto at = info.find("cmdstat_" + command + ":calls=");
    if (at == std::string::npos) return 0;
    return std::stoll(info.substr(at + command.size() + 15));
}

}  // namespace

// Every key of a session list has a TTL: the session's hash, the user's set and the tag's set,
// each no longer than the session's newest tokens last; a refresh writes its time and client into
// the session's hash in the one script that records the refresh, and moves the TTLs on.
TEST(RedisRevocationStore, SessionKeysCarryTtlsAndARefreshRecordsItselfInTheSameScript) {
    fauth::test::RedisServer redis;
    Probe probe(redis.port());
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.key_prefix = "list:";
    options.revocation_cache_entries = 0;
    fauth::RedisRevocationStore store(options);
    await(store.open_session(session_record("fam1", "alice", {"oidc-sid:x"}), now() + 100));
    const auto ttl_of = [&](const char* key) {
        redisContext* c = redisConnect("127.0.0.1", redis.port());
        auto* r = static_cast<redisReply*>(redisCommand(c, "TTL %s", key));
        const auto value = r->integer;
        freeReplyObject(r);
        redisFree(c);
        return value;
    };
    const char* const keys[] = {"list:ses:fam1", "list:sessions:alice", "list:tag:oidc-sid:x"};
    for (const char* key : keys) {
        EXPECT_GT(ttl_of(key), 90) << key;
        EXPECT_LE(ttl_of(key), 100) << key;
    }
    EXPECT_EQ(probe.run("HGET list:ses:fam1 client"), "203.0.113.7");
    const auto evals = command_calls(probe, "eval");
    const auto next_us = now_us() + 5;
    const auto use =
        await(store.use_refresh({"fam1", "alice", "jti1", now_us() - 10, now() + 100, next_us, "198.51.100.9", now() + 500}));
    EXPECT_TRUE(use.first_use);
    EXPECT_EQ(command_calls(probe, "eval") - evals, 1) << "one script: the use-once record and the session's";
    EXPECT_EQ(probe.run("HGET list:ses:fam1 client"), "198.51.100.9");
    EXPECT_EQ(probe.run("HGET list:ses:fam1 refreshed"), std::to_string(next_us));
    EXPECT_EQ(probe.run("ZSCORE list:sessions:alice fam1"), std::to_string(next_us));
    const auto sessions = await(store.sessions_of("alice"));
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].refreshed_us, next_us);
    EXPECT_EQ(sessions[0].client, "198.51.100.9");
    EXPECT_EQ(sessions[0].tags, (std::vector<std::string>{"oidc-sid:x"}));
    // Every key lasts as long as the new pair: the tag's set too, so that a back-channel logout
    // still finds a session that has outlived its first refresh token.
    for (const char* key : keys) {
        EXPECT_GT(ttl_of(key), 490) << key;
        EXPECT_LE(ttl_of(key), 500) << key;
    }
}

// Ending a session, by id, by tag or to make room beyond the bound, drops its family's key from
// this process's cache at once: the very next check of its tokens says revoked.
TEST(RedisRevocationCache, EndedSessionsAreSeenByThisProcesssVeryNextCheck) {
    fauth::test::RedisServer redis;
    auto options = caching(redis, "ends:");
    options.max_sessions_per_subject = 2;
    fauth::RedisRevocationStore store(options);
    const auto issued = now_us();
    auto query = [&](const char* family) { return fauth::RevocationQuery{"j", family, "alice", issued}; };
    for (const char* id : {"a", "b"}) {
        await(store.open_session(session_record(id, "alice", {std::string("tag-") + id}), now() + 100));
        EXPECT_FALSE(await(store.is_revoked(query(id))));
        ASSERT_TRUE(comes_to_cache(store, query(id), false)) << id;
    }
    EXPECT_TRUE(await(store.end_session("alice", "a")));
    EXPECT_TRUE(await(store.is_revoked(query("a"))));
    EXPECT_EQ(await(store.end_tagged("tag-b")), 1u);
    EXPECT_TRUE(await(store.is_revoked(query("b"))));

    for (const char* id : {"c", "d"}) {
        await(store.open_session(session_record(id, "alice"), now() + 100));
        EXPECT_FALSE(await(store.is_revoked(query(id))));
        ASSERT_TRUE(comes_to_cache(store, query(id), false)) << id;
    }
    await(store.open_session(session_record("e", "alice"), now() + 100));  // beyond the bound: c goes
    EXPECT_TRUE(await(store.is_revoked(query("c"))));
    EXPECT_FALSE(await(store.is_revoked(query("d"))));
    const auto left = await(store.sessions_of("alice"));
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(left[0].id, "e");
    EXPECT_EQ(left[1].id, "d");
}
