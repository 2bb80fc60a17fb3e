// The server of scripts/bench's DPoP rows: the quickstart's GET /me (HS256 tokens, the memory
// revocation store, a user loader) taking `Authorization: Bearer` and `Authorization: DPoP`
// alike, so that both are measured on one process. Not an example: a proof's iat window is as
// wide as FAUTH_BENCH_DPOP_MAX_AGE says (default an hour), so that proofs made before a run
// stay good through it; each is still accepted once (the replay cache in memory, or in Redis with
// FAUTH_REDIS_URL).
//
// Environment: PORT, FAUTH_SECRET_KEY, FAUTH_THREADS (1), FAUTH_BENCH_DPOP_JWK (the client's
// public JWK, which the DPoP-bound token names by its RFC 7638 thumbprint), FAUTH_REDIS_URL.
// Prints "bearer <token>" and "dpop <token>" (both alice's) on stdout, then serves until SIGINT
// or SIGTERM.
#include <cstdlib>
#include <iostream>
#include <map>

#include <fauth/http.hpp>
#include <fauth/redis.hpp>

#include "fauth/core/dpop.hpp"

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;

struct User {
    std::string id;
    std::string username;
    std::string hashed_password;
    bool is_active = true;
    std::vector<std::string> roles;
    std::vector<std::string> permissions;
};

namespace {
std::string env_or(const char* name, std::string fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}
}  // namespace

int main() try {
    fauth::http::block_shutdown_signals();
    fauth::AuthConfig config;
    config.tokens.secret_key = env_or("FAUTH_SECRET_KEY", "");
    config.tokens.algorithm = "HS256";
    config.tokens.access_token_ttl = std::chrono::hours(2);  // longer than any run
    const std::map<std::string, User> db = {{"user-123", {"user-123", "alice", "", true, {"admin"}, {"read", "write"}}}};
    fauth::AuthProvider<User> auth{config, [&db](const fauth::TokenPayload& payload) -> std::optional<User> {
                                       const auto it = db.find(payload.sub);
                                       return it == db.end() ? std::nullopt : std::optional<User>(it->second);
                                   }};

    fauth::http::HttpConfig http;
    http.dpop.mode = fauth::http::DpopMode::allow;
    http.dpop.policy.max_age = std::chrono::seconds(std::stoi(env_or("FAUTH_BENCH_DPOP_MAX_AGE", "3600")));
    if (const auto redis = env_or("FAUTH_REDIS_URL", ""); !redis.empty())
        http.dpop.replay_cache = std::make_shared<fauth::RedisReplayCache>(fauth::RedisReplayCacheOptions{.url = redis});
    else  // every proof of the bench is one client key's: no per-key share (16,384 by default, fewer than a run sends)
        http.dpop.replay_cache = std::make_shared<fauth::MemoryReplayCache>(fauth::MemoryReplayCache::Options{.per_owner = 0});
    const auto jwk = nlohmann::json::parse(env_or("FAUTH_BENCH_DPOP_JWK", "null"));
    const auto bound = auth.login("user-123", {}, {{"cnf", {{"jkt", fauth::jwk_thumbprint(jwk)}}}});
    const auto plain = auth.login("user-123");

    Pistache::Rest::Router router;
    fauth::http::Api api{router, http};
    api.get("/health", [](const Request&, ResponseWriter w) { fauth::http::send_json(w, Code::Ok, {{"status", "ok"}}); });
    api.get("/me", auth.require({},
                                [](const Request&, ResponseWriter w, const User& user) {
                                    fauth::http::send_json(w, Code::Ok, {{"message", "Hello " + user.username}});
                                },
                                {fauth::Scheme::bearer, fauth::Scheme::dpop}));
    fauth::http::Server server{api,
                               {.host = "127.0.0.1",
                                .port = static_cast<std::uint16_t>(std::stoi(env_or("PORT", "8000"))),
                                .threads = std::stoi(env_or("FAUTH_THREADS", "1"))}};
    std::cout << "bearer " << plain.access_token << "\ndpop " << bound.access_token << std::endl;
    server.start();
    fauth::http::wait_for_shutdown_signal();
    server.stop();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "fauth-bench-dpop-server: " << e.what() << std::endl;
    return 1;
}
