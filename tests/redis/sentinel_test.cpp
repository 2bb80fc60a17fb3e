// Redis behind Sentinel (issue 35, first part): redis-sentinel:// URLs, a master found through the
// sentinels and confirmed by ROLE, and a store that follows a failover without a restart. Real
// processes: a master, a replica and three sentinels on loopback.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <chrono>
#include <string>
#include <thread>

#include "fauth/core/clock.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/redis/options.hpp"
#include "fauth/redis/revocation_store.hpp"
#include "support/await.hpp"
#include "support/redis_server.hpp"

using fauth::parse_redis_url;
using fauth::test::await;
using namespace std::chrono_literals;

namespace {

// `command`'s reply on 127.0.0.1:`port` as text (status, string, error; an array's elements
// joined by spaces), or "" when the server cannot be reached.
std::string ask(std::uint16_t port, const char* command) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c == nullptr || c->err) {
        if (c) redisFree(c);
        return {};
    }
    auto* reply = static_cast<redisReply*>(redisCommand(c, command));
    std::string text;
    if (reply != nullptr) {
        if (reply->str) text.assign(reply->str, reply->len);
        for (std::size_t i = 0; i < reply->elements; ++i)
            if (reply->element[i]->str)
                text += (text.empty() ? "" : " ") + std::string(reply->element[i]->str, reply->element[i]->len);
        freeReplyObject(reply);
    }
    redisFree(c);
    return text;
}

// `command`'s integer reply on 127.0.0.1:`port`, or -1.
long long integer(std::uint16_t port, const char* command) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c == nullptr || c->err) {
        if (c) redisFree(c);
        return -1;
    }
    auto* reply = static_cast<redisReply*>(redisCommand(c, command));
    const long long n = reply != nullptr && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    if (reply) freeReplyObject(reply);
    redisFree(c);
    return n;
}

// Waits until `done()` or `limit` passes; whether it came true.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds limit) {
    for (const auto until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(50ms))
        if (done()) return true;
    return done();
}

}  // namespace

TEST(RedisSentinelUrl, NamesTheSentinelsTheMasterAndTheDatabase) {
    const auto e = parse_redis_url("redis-sentinel://app:secret@10.0.0.1:26380,sentinel-b,10.0.0.3:26381/mymaster/2");
    ASSERT_EQ(e.sentinels.size(), 3u);
    EXPECT_EQ(e.sentinels[0].host, "10.0.0.1");
    EXPECT_EQ(e.sentinels[0].port, 26380);
    EXPECT_EQ(e.sentinels[1].host, "sentinel-b");
    EXPECT_EQ(e.sentinels[1].port, 26379) << "a sentinel's default port";
    EXPECT_EQ(e.sentinels[2].port, 26381);
    EXPECT_EQ(e.master_name, "mymaster");
    EXPECT_EQ(e.database, 2);
    EXPECT_EQ(e.user, "app");
    EXPECT_EQ(e.password, "secret");
    EXPECT_TRUE(parse_redis_url("redis://127.0.0.1:6379/0").sentinels.empty());
}

TEST(RedisSentinelUrl, RefusesWhatItCannotUseSayingWhyWithoutThePassword) {
    for (const char* bad : {"redis-sentinel://h:1/", "redis-sentinel://h:1", "redis-sentinel://h:0/m", "redis-sentinel://,h/m",
                            "redis-sentinel://h/m/x", "redis-sentinel://u:pw@h:99999/m"}) {
        try {
            (void)parse_redis_url(bad);
            ADD_FAILURE() << bad << " was accepted";
        } catch (const fauth::ConfigError& e) {
            EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos) << e.what();
        }
    }
}

TEST(RedisSentinel, FindsTheMasterAndFollowsAFailoverWithoutARestart) {
    fauth::test::RedisServer master;
    fauth::test::RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
    ASSERT_TRUE(
        eventually([&] { return ask(replica.port(), "INFO replication").find("master_link_status:up") != std::string::npos; },
                   10s));
    fauth::test::RedisSentinelServer s1(master.port(), 2), s2(master.port(), 2), s3(master.port(), 2);
    // Every sentinel knows the replica and the two others before the master goes.
    for (const auto* s : {&s1, &s2, &s3})
        ASSERT_TRUE(eventually(
            [&] {
                return ask(s->port(), "SENTINEL MASTER mymaster").find("num-slaves 1") != std::string::npos &&
                       ask(s->port(), "SENTINEL MASTER mymaster").find("num-other-sentinels 2") != std::string::npos;
            },
            15s));
    const auto url = "redis-sentinel://127.0.0.1:" + std::to_string(s1.port()) + ",127.0.0.1:" + std::to_string(s2.port()) +
                     ",127.0.0.1:" + std::to_string(s3.port()) + "/mymaster";
    fauth::RedisRevocationStore store(fauth::RedisStoreOptions{.url = url});

    const auto expires = fauth::unix_seconds() + 600;
    await(store.revoke_token("jti-before", expires));
    EXPECT_TRUE(await(store.is_revoked({.jti = "jti-before", .must_read_store = true})));
    // Behind Sentinel a revocation is answered once a replica holds it (WAIT 1): it is there
    // already when the master is lost.
    ASSERT_EQ(integer(replica.port(), "DBSIZE"), integer(master.port(), "DBSIZE"));

    master.kill_hard();
    const auto lost = std::chrono::steady_clock::now();
    // Until the sentinels promote the replica, the store fails closed: every token counts as
    // revoked (fail_closed), so a token never revoked reads "revoked" until Redis answers again,
    // from the new master, without a restart.
    bool answered = false;
    while (std::chrono::steady_clock::now() - lost < 30s) {
        const auto result = fauth::test::settle(store.is_revoked({.jti = "jti-never-revoked", .must_read_store = true}));
        if (!result.error && !*result.value) {
            answered = true;
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(answered) << "no answer within 30 s of losing the master";
    EXPECT_TRUE(await(store.is_revoked({.jti = "jti-before", .must_read_store = true})))
        << "a revocation written before the failover is still there";
    const auto serving_again = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - lost);
    std::printf("served again %lld ms after the master was killed\n", static_cast<long long>(serving_again.count()));
    EXPECT_NE(ask(replica.port(), "ROLE").rfind("master", 0), std::string::npos) << "the replica was promoted";
    // The new master has no replica left: a session-ending write cannot be acknowledged, so it
    // fails (503) rather than be lost in the next failover; reads and logins go on.
    try {
        await(store.revoke_token("jti-alone", expires));
        ADD_FAILURE() << "a revocation no replica holds was answered as done";
    } catch (const fauth::Unavailable& e) {
        EXPECT_NE(std::string(e.what()).find("not acknowledged by 1 replica(s) within 500 ms"), std::string::npos) << e.what();
    }
    // A replica joins the new master: revocations are answered again.
    fauth::test::RedisServer rejoined({"--replicaof", "127.0.0.1", std::to_string(replica.port())});
    ASSERT_TRUE(
        eventually([&] { return ask(rejoined.port(), "INFO replication").find("master_link_status:up") != std::string::npos; },
                   10s));
    await(store.revoke_token("jti-after", expires));
    EXPECT_TRUE(await(store.is_revoked({.jti = "jti-after", .must_read_store = true})));
    EXPECT_EQ(integer(rejoined.port(), "DBSIZE"), integer(replica.port(), "DBSIZE"));
}

TEST(RedisReplicaAcknowledgement, ASessionEndingWriteWaitsForAReplicaAndFailsWithoutOne) {
    fauth::test::RedisServer master;
    fauth::test::RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
    ASSERT_TRUE(
        eventually([&] { return ask(replica.port(), "INFO replication").find("master_link_status:up") != std::string::npos; },
                   10s));
    fauth::RedisRevocationStore store(fauth::RedisStoreOptions{.url = master.url(),
                                                               .revocation_cache_entries = 0,
                                                               .replica_acknowledgements = 1,
                                                               .replica_ack_timeout = 1000ms});
    const auto expires = fauth::unix_seconds() + 600;
    await(store.revoke_family("fam-1", expires));
    EXPECT_EQ(integer(replica.port(), "EXISTS fauth:fam:fam-1"), 1) << "held by the replica when answered";

    // A replica that cannot acknowledge: the write fails (503), it is never a silent success.
    replica.pause();
    const auto started = std::chrono::steady_clock::now();
    try {
        await(store.revoke_family("fam-2", expires));
        ADD_FAILURE() << "a write no replica acknowledged was answered as done";
    } catch (const fauth::Unavailable& e) {
        EXPECT_NE(std::string(e.what()).find("not acknowledged by 1 replica(s) within 1000 ms"), std::string::npos) << e.what();
    }
    EXPECT_GE(std::chrono::steady_clock::now() - started, 1000ms);
    replica.resume();
    await(store.revoke_family("fam-3", expires));
    EXPECT_EQ(integer(replica.port(), "EXISTS fauth:fam:fam-3"), 1);
}

TEST(RedisReplicaAcknowledgement, RefusesAnUnusableSetting) {
    EXPECT_THROW(fauth::RedisRevocationStore(
                     fauth::RedisStoreOptions{.url = "redis://127.0.0.1:1/0", .replica_acknowledgements = -2}),
                 fauth::ConfigError);
    EXPECT_THROW(fauth::RedisRevocationStore(
                     fauth::RedisStoreOptions{.url = "redis://127.0.0.1:1/0", .replica_ack_timeout = 0ms}),
                 fauth::ConfigError);
}
