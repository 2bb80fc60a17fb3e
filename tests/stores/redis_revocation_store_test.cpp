// What is particular to the Redis store: URLs, outages, reconnection. The store contract itself
// runs in tests/auth/revocation_test.cpp against this store too.
#include "fauth/redis_revocation_store.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "fauth/errors.hpp"
#include "support/await.hpp"
#include "support/redis_server.hpp"

using fauth::parse_redis_url;
using fauth::test::await;

namespace {
std::int64_t now() { return fauth::unix_seconds(); }
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
    for (const char* bad : {"http://host", "redis://", "redis://host:0", "redis://host:99999", "redis://host:x", "redis://host/db",
                            "redis://host/-1", "127.0.0.1:6379"})
        EXPECT_THROW(parse_redis_url(bad), fauth::ConfigError) << bad;
}

TEST(RedisRevocationStore, FailsClosedWhileRedisIsDownAndRecovers) {
    fauth::test::RedisServer redis;
    std::mutex m;
    std::vector<std::string> logs;
    fauth::RedisStoreOptions options;
    options.url = redis.url();
    options.key_prefix = "outage:";
    options.timeout = std::chrono::milliseconds(200);
    options.log = [&](std::string_view line) {
        std::lock_guard lock(m);
        logs.emplace_back(line);
    };
    fauth::RedisRevocationStore store(options);
    const fauth::RevocationQuery q{"jti", "fam", "sub", now()};
    EXPECT_FALSE(await(store.is_revoked(q)));
    await(store.revoke_family("other", now() + 60));

    redis.stop();
    EXPECT_TRUE(await(store.is_revoked(q))) << "fail closed: an unknown state counts as revoked";
    auto write = store.revoke_token("jti", now() + 60);
    const auto outcome = fauth::test::settle(write);
    ASSERT_TRUE(outcome.error);
    EXPECT_THROW(std::rethrow_exception(outcome.error), fauth::Unavailable);
    {
        std::lock_guard lock(m);
        ASSERT_FALSE(logs.empty());
        EXPECT_NE(logs.front().find("treating tokens as revoked"), std::string::npos) << logs.front();
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
    await(store.mark_used("u", now() + 100));
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
    EXPECT_GT(ttl_of("ttl:used:u"), 90);
}
