// The DPoP replay cache in a real redis-server: each proof id once, across every process sharing
// the Redis (also end to end: two servers behind one origin); hashed keys with the proof's
// lifetime; fail closed while Redis is down.
#include "fauth/redis/replay_cache.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <pthread.h>

#include <future>
#include <regex>
#include <thread>

#include <fauth/http.hpp>
#include <fauth/testing.hpp>

#include "fauth/core/base64url.hpp"
#include "fauth/core/dpop.hpp"
#include "fauth/core/errors.hpp"
#include "support/await.hpp"
#include "support/redis_server.hpp"

using fauth::ErrorKind;
using fauth::RedisReplayCache;
using std::chrono::seconds;

namespace {

// first_use(id, lifetime), awaited: its result, or its failure.
fauth::Result<void> use(RedisReplayCache& cache, std::string_view id, seconds lifetime = seconds(65)) {
    auto settled = fauth::test::settle(cache.first_use(id, lifetime));
    if (!settled.error) return {};
    try {
        std::rethrow_exception(settled.error);
    } catch (const fauth::Error& e) {
        return e.failure();
    }
}

// A plain hiredis connection of the test's own, to ask Redis what it holds.
class Probe {
public:
    explicit Probe(std::uint16_t port) : context_(redisConnect("127.0.0.1", port)) {
        if (context_ == nullptr || context_->err) throw std::runtime_error("cannot connect to redis");
    }
    ~Probe() { redisFree(context_); }
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    // Runs `format` (hiredis's printf-like commands); the reply, owned.
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> run(const char* format, const char* arg = nullptr) {
        auto* reply = static_cast<redisReply*>(arg ? redisCommand(context_, format, arg) : redisCommand(context_, format));
        if (reply == nullptr) throw std::runtime_error("redis probe lost its connection");
        return {reply, &freeReplyObject};
    }

private:
    redisContext* context_;
};

// A service behind `origin` (several processes behind one name): GET /me by DPoP-bound token,
// its proofs' ids in `cache`.
struct Service {
    struct Member {
        std::string id;
        bool is_active = true;
    };
    Service(const std::string& origin, std::shared_ptr<fauth::ReplayCache> cache)
        : auth(config(), [](const fauth::TokenPayload& p) { return std::optional<Member>(Member{p.sub}); }),
          api(router, http(origin, std::move(cache))) {
        api.get("/me", auth.require(fauth::Rule(),
                                    [](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter w, const Member& m) {
                                        fauth::http::send_json(w, Pistache::Http::Code::Ok, {{"id", m.id}});
                                    }));
        server = std::make_unique<fauth::testing::TestServer>(api);
    }
    static fauth::AuthConfig config() {
        fauth::AuthConfig c;
        c.tokens.secret_key = "redis-replay-test-secret-of-32-bytes!";
        c.tokens.log = [](std::string_view) {};
        return c;
    }
    static fauth::http::HttpConfig http(const std::string& origin, std::shared_ptr<fauth::ReplayCache> cache) {
        fauth::http::HttpConfig h;
        h.dpop.mode = fauth::http::DpopMode::allow;
        h.dpop.origin = origin;
        h.dpop.replay_cache = std::move(cache);
        return h;
    }
    // `token` with `proof`.
    int get_me(const std::string& token, const std::string& proof) {
        return server->client().get("/me", {"Authorization: DPoP " + token, "DPoP: " + proof}).status;
    }
    fauth::AuthProvider<Member> auth;
    Pistache::Rest::Router router;
    fauth::http::Api api;
    std::unique_ptr<fauth::testing::TestServer> server;
};

// A client's ES256 key and the proofs it signs.
struct Holder {
    fauth::Key key = fauth::Key::generate("ES256");
    nlohmann::json jwk = [this] {
        const auto full = key.public_jwk();
        return nlohmann::json{{"kty", full["kty"]}, {"crv", full["crv"]}, {"x", full["x"]}, {"y", full["y"]}};
    }();
    int counter = 0;
    std::string proof(const std::string& url, const std::string& token) {
        const nlohmann::json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", jwk}};
        const nlohmann::json claims = {{"jti", "jti-" + std::to_string(++counter)},
                                       {"htm", "GET"},
                                       {"htu", url},
                                       {"iat", fauth::unix_seconds()},
                                       {"ath", fauth::sha256_base64url(token)}};
        const auto input = fauth::base64url_encode(header.dump()) + "." + fauth::base64url_encode(claims.dump());
        return input + "." + fauth::base64url_encode(key.sign(input));
    }
};

std::string thread_name() {
    char name[16] = {};
    ::pthread_getname_np(::pthread_self(), name, sizeof name);
    return name;
}

}  // namespace

TEST(RedisReplayCache, AnIdIsAcceptedOnceThenRefusedAsReplayed) {
    RedisReplayCache cache({.url = fauth::test::shared_redis().url(), .key_prefix = "once:"});
    EXPECT_TRUE(use(cache, "jkt:jti-1").ok());
    const auto again = use(cache, "jkt:jti-1");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.failure().kind, ErrorKind::invalid_dpop_proof);
    EXPECT_EQ(again.failure().log, "invalid DPoP proof: proof replayed");
    EXPECT_TRUE(use(cache, "jkt:jti-2").ok()) << "ids are independent";
    EXPECT_FALSE(use(cache, "jkt:jti-2").ok());
}

TEST(RedisReplayCache, TwoProcessesOnOneRedisShareWhatTheySaw) {
    const fauth::RedisReplayCacheOptions options{.url = fauth::test::shared_redis().url(), .key_prefix = "shared:"};
    RedisReplayCache a(options), b(options);  // two processes' worth of clients and connections
    EXPECT_TRUE(use(a, "k:proof-seen-by-a").ok());
    const auto replayed = use(b, "k:proof-seen-by-a");
    ASSERT_FALSE(replayed.ok()) << "a proof accepted by one process is refused by the other";
    EXPECT_EQ(replayed.failure().kind, ErrorKind::invalid_dpop_proof);
    EXPECT_TRUE(use(b, "k:proof-seen-by-b").ok());
    EXPECT_EQ(use(a, "k:proof-seen-by-b").failure().kind, ErrorKind::invalid_dpop_proof);
    RedisReplayCache other_prefix({.url = fauth::test::shared_redis().url(), .key_prefix = "elsewhere:"});
    EXPECT_TRUE(use(other_prefix, "k:proof-seen-by-a").ok()) << "the key prefix separates deployments";
}

TEST(RedisReplayCache, KeysAreHashedAndExpireWithTheProofsLifetime) {
    auto& redis = fauth::test::shared_redis();
    RedisReplayCache cache({.url = redis.url(), .key_prefix = "ttl:"});
    // An id a client chose to look like another key, with a glob and a newline: it must not
    // become that key, nor any key of its choosing.
    const std::string id = "x:fauth:jti:victim*\r\nFLUSHALL";
    ASSERT_TRUE(use(cache, id, seconds(65)).ok());
    Probe probe(redis.port());
    const auto keys = probe.run("KEYS ttl:*");
    ASSERT_EQ(keys->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(keys->elements, 1u);
    const std::string key(keys->element[0]->str, keys->element[0]->len);
    EXPECT_TRUE(std::regex_match(key, std::regex("ttl:dpop:[A-Za-z0-9_-]{43}"))) << key;
    EXPECT_EQ(key.find("victim"), std::string::npos);
    const auto pttl = probe.run("PTTL %s", key.c_str());
    ASSERT_EQ(pttl->type, REDIS_REPLY_INTEGER);
    EXPECT_GT(pttl->integer, 60'000) << "PX: the lifetime asked, in milliseconds";
    EXPECT_LE(pttl->integer, 65'000);

    // Expiry in real time (Redis's own clock, which no test clock moves): the shortest lifetime a
    // ReplayCache is asked for, one second.
    ASSERT_TRUE(use(cache, "short", seconds(1)).ok());
    EXPECT_FALSE(use(cache, "short", seconds(1)).ok()) << "still within its second";
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    EXPECT_TRUE(use(cache, "short", seconds(1)).ok()) << "forgotten once its lifetime is over";
    EXPECT_FALSE(use(cache, "short", seconds(1)).ok()) << "and remembered again from this use";
    EXPECT_FALSE(use(cache, id, seconds(65)).ok()) << "the longer-lived id is still there";
}

TEST(RedisReplayCache, FailsClosedWhileRedisIsDownAndRecovers) {
    fauth::test::RedisServer redis;
    std::mutex m;
    std::vector<std::string> logs;
    RedisReplayCache cache({.url = redis.url(),
                            .key_prefix = "outage:",
                            .timeout = std::chrono::milliseconds(200),
                            .fail_closed = false,  // the throttle's and store's choice; never this cache's
                            .log = [&](std::string_view line) {
                                std::lock_guard lock(m);
                                logs.emplace_back(line);
                            }});
    EXPECT_TRUE(use(cache, "before").ok());

    redis.stop();
    for (const char* id : {"during", "before"}) {
        const auto down = use(cache, id);
        ASSERT_FALSE(down.ok()) << id << ": not a success the cache cannot vouch for";
        EXPECT_EQ(down.failure().kind, ErrorKind::unavailable) << id;
    }
    {
        std::lock_guard lock(m);
        ASSERT_FALSE(logs.empty());
        EXPECT_NE(logs.front().find("refusing the proof"), std::string::npos) << logs.front();
    }

    redis.start();  // same port, empty (no persistence)
    EXPECT_TRUE(use(cache, "during").ok()) << "reconnected; the refused use was not recorded as a use";
    EXPECT_EQ(use(cache, "during").failure().kind, ErrorKind::invalid_dpop_proof);
}

TEST(RedisReplayCache, NothingListeningIsUnavailable) {
    RedisReplayCache cache({.url = "redis://127.0.0.1:" + std::to_string(fauth::test::free_port()),
                            .timeout = std::chrono::milliseconds(200),
                            .log = [](std::string_view) {}});
    const auto outcome = use(cache, "id");
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.failure().kind, ErrorKind::unavailable);
    EXPECT_THROW(RedisReplayCache({.url = "http://127.0.0.1:6379"}), fauth::ConfigError);
}

TEST(RedisReplayCache, APendingAnswerSettlesOnARedisCallbackThread) {
    auto& redis = fauth::test::shared_redis();
    RedisReplayCache cache({.url = redis.url(), .key_prefix = "thread:", .connections = 1, .callback_threads = 1});
    ASSERT_TRUE(use(cache, "warm").ok());  // connected

    // Redis holds the command until the continuation is attached, so that it runs where the
    // answer is handed on, not here on an outcome that settled before then() was called.
    Probe probe(redis.port());
    const auto paused = probe.run("CLIENT PAUSE 300 ALL");
    ASSERT_EQ(std::string(paused->str, paused->len), "OK");
    std::promise<std::pair<std::string, std::thread::id>> seen;
    auto future = seen.get_future();
    auto outcome = cache.first_use("pending", seconds(65));
    ASSERT_FALSE(outcome.ready()) << "Redis answers later";
    std::move(outcome).then([&](fauth::Result<void> result) noexcept {
        seen.set_value({result.ok() ? thread_name() : "failed", std::this_thread::get_id()});
    });
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    const auto [name, id] = future.get();
    EXPECT_EQ(name, "fauth-redis-cb");
    EXPECT_NE(id, std::this_thread::get_id());
}

// Two processes behind one origin, each with its own cache on one Redis: a proof accepted by one
// is refused by the other; while Redis is down, a fresh proof is refused with 503, not accepted.
TEST(RedisReplayCache, AProofReplayedToAnotherProcessIsRefused) {
    fauth::test::RedisServer redis;
    const fauth::RedisReplayCacheOptions options{.url = redis.url(),
                                                 .timeout = std::chrono::milliseconds(200),
                                                 .log = [](std::string_view) {}};
    const std::string origin = "https://api.example.com";
    Service a(origin, std::make_shared<RedisReplayCache>(options));
    Service b(origin, std::make_shared<RedisReplayCache>(options));
    Holder holder;
    const auto token =
        a.auth.tokens().issue(fauth::TokenType::access, "m-1", {}, {{"cnf", {{"jkt", fauth::jwk_thumbprint(holder.jwk)}}}});
    const auto proof = holder.proof(origin + "/me", token);
    EXPECT_EQ(a.get_me(token, proof), 200);
    EXPECT_EQ(b.get_me(token, proof), 401) << "replayed to the other process";
    EXPECT_EQ(a.get_me(token, proof), 401) << "and to the first";
    EXPECT_EQ(b.get_me(token, holder.proof(origin + "/me", token)), 200) << "a fresh proof is good anywhere";

    redis.stop();
    EXPECT_EQ(a.get_me(token, holder.proof(origin + "/me", token)), 503) << "fail closed";
    redis.start();
    EXPECT_EQ(a.get_me(token, holder.proof(origin + "/me", token)), 200) << "reconnected";
}
