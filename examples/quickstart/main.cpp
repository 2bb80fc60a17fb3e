// fauth quickstart: the C++ counterpart of FAuth's "Full Example".
//
//   GET  /health              public                      {"status":"ok"}
//   POST /login               form or JSON credentials    tokens, or 401 "Invalid credentials"
//   POST /refresh             {"refresh_token": "..."}    a new pair; a reused or revoked one: 401
//   POST /logout              bearer access token         204; that session is over
//   GET  /me                  any active user, by bearer token or API key (X-API-Key) {"message":"Hello alice"}
//   GET  /admin               role admin                  {"secret_data":"Top secret admin info"}
//   GET  /internal/dashboard  SecureRouter: active user   {"data":"Secure dashboard"}
//   GET  /internal/reports    SecureRouter + permission   {"reports":[]}
//   GET  /openapi.json, GET /docs (Swagger UI: press "Authorize", log in as alice / s3cret)
//
// Environment: HOST (127.0.0.1), PORT (8000), FAUTH_SECRET_KEY (random when unset),
// FAUTH_THREADS (number of cores), FAUTH_SWAGGER_UI_DIR (node_modules/swagger-ui-dist),
// FAUTH_REDIS_URL (e.g. redis://127.0.0.1:6379/0: sessions, login throttling and DPoP proofs' ids
// shared by every process using it; unset: kept in this process), FAUTH_LOGIN_LIMITS (off: no login throttling
// and no bound on the password queue but its 1,024 jobs, for benchmarks only).
#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>
#include <thread>

#include <fauth/http.hpp>
#include <fauth/redis.hpp>
#include <openssl/rand.h>

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;

// 1. The application's user model. fauth reads these member names by default.
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

// A random HS256 key for this process only, with the warning that comes with it.
std::string secret_key() {
    if (const char* key = std::getenv("FAUTH_SECRET_KEY"); key != nullptr && *key != '\0') return key;
    std::cerr << "warning: FAUTH_SECRET_KEY is not set; using a random key, so tokens die with this process\n";
    std::string key(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
        throw std::runtime_error("no randomness for a key");
    return key;
}

}  // namespace

int main() try {
    fauth::http::block_shutdown_signals();

    fauth::AuthConfig config;
    config.tokens.secret_key = secret_key();
    config.tokens.algorithm = "HS256";
    // For benchmarks only: lets a login flood from one address reach bcrypt instead of being
    // answered 429 by the throttle or 503 by the password queue's bounds.
    if (env_or("FAUTH_LOGIN_LIMITS", "on") == "off") {
        config.login_limits = {.per_client = {1e9, 1e9}, .per_client_identifier = {1e9, 1e9}, .per_identifier = {2e9, 1e9}};
        config.max_password_wait = std::chrono::hours(1);
        config.max_password_checks_per_client = config.worker_queue_capacity;
    }
    // Metrics, served at /metrics in Prometheus's format (FAUTH_METRICS=off: none, for benchmarks).
    const auto metrics = env_or("FAUTH_METRICS", "on") == "off" ? nullptr : std::make_shared<fauth::PrometheusRegistry>();
    config.tokens.metrics = metrics;
    fauth::http::HttpConfig http{.token_url = "/login"};
    if (const auto redis = env_or("FAUTH_REDIS_URL", ""); !redis.empty()) {
        config.revocation_store = std::make_shared<fauth::RedisRevocationStore>(fauth::RedisStoreOptions{.url = redis});
        config.throttle = std::make_shared<fauth::RedisThrottle>(fauth::RedisThrottleOptions{.url = redis});
        // DPoP proofs' one-time ids too, for routes that take DPoP: a proof replayed to another process is refused.
        http.dpop.replay_cache = std::make_shared<fauth::RedisReplayCache>(fauth::RedisReplayCacheOptions{.url = redis});
    }

    // 2. A mock database, as in FAuth's example: users by id, and by login name.
    const int cost = config.bcrypt_cost;
    const std::map<std::string, User> db = {
        {"user-123", {"user-123", "alice", fauth::hash_password("s3cret", cost), true, {"admin"}, {"read", "write"}}},
        {"user-456", {"user-456", "bob", fauth::hash_password("hunter2", cost), true, {"member"}, {"read"}}},
        {"user-789", {"user-789", "carol", fauth::hash_password("letmein", cost), false, {}, {}}},
    };
    std::map<std::string, std::string> id_by_name;
    for (const auto& [id, user] : db) id_by_name[user.username] = id;

    // 3. The two loaders, and the provider built from them.
    auto load_user = [&db](const fauth::TokenPayload& payload) -> std::optional<User> {
        const auto it = db.find(payload.sub);
        return it == db.end() ? std::nullopt : std::optional<User>(it->second);
    };
    auto load_identity = [&db, &id_by_name](std::string_view name) -> std::optional<User> {
        const auto it = id_by_name.find(std::string(name));
        return it == id_by_name.end() ? std::nullopt : std::optional<User>(db.at(it->second));
    };
    fauth::AuthProvider<User> auth{config, load_user, load_identity};
    // API keys for programs: only the hash is kept; the key itself is printed once, below.
    const auto alice_key = auth.create_api_key();
    const std::map<std::string, fauth::ApiKey> keys = {
        {alice_key.id, {.id = alice_key.id, .hash = alice_key.hash, .owner = "user-123", .scopes = {"read"}, .name = "demo"}}};
    auth.set_api_key_loader([&db, &keys](const std::string& id) -> std::optional<fauth::KeyOwner<User>> {
        const auto it = keys.find(id);
        if (it == keys.end()) return std::nullopt;
        return fauth::KeyOwner<User>{it->second, db.at(it->second.owner)};
    });

    // 4. Routes.
    Pistache::Rest::Router router;
    fauth::http::Api api{router, http};

    api.get("/health",
            [](const Request&, ResponseWriter writer) {
                fauth::http::send_json(writer, Code::Ok, {{"status", "ok"}});
            },
            {.summary = "Health check"});

    api.post("/login", fauth::http::login_endpoint(auth));
    api.post("/refresh", fauth::http::refresh_endpoint(auth));
    api.post("/logout", fauth::http::logout_endpoint(auth));

    api.get("/me",
            auth.require({},
                         [](const Request&, ResponseWriter writer, const User& user) {
                             fauth::http::send_json(writer, Code::Ok, {{"message", "Hello " + user.username}});
                         },
                         {fauth::Scheme::bearer, fauth::Scheme::api_key}),
            {.summary = "Who am I"});

    api.get("/admin",
            auth.require_roles({"admin"},
                               [](const Request&, ResponseWriter writer, const User&) {
                                   fauth::http::send_json(writer, Code::Ok, {{"secret_data", "Top secret admin info"}});
                               }),
            {.summary = "Admins only"});

    // 5. A SecureRouter protects every route added to it.
    fauth::http::SecureRouter<User> internal{api, auth, {.prefix = "/internal", .tags = {"Protected"}}};
    internal.get("/dashboard",
                 [](const Request&, ResponseWriter writer, const User&) {
                     fauth::http::send_json(writer, Code::Ok, {{"data", "Secure dashboard"}});
                 },
                 {.doc = {.summary = "Dashboard"}});
    internal.get("/reports",
                 [](const Request&, ResponseWriter writer, const User&) {
                     fauth::http::send_json(writer, Code::Ok, {{"reports", nlohmann::json::array()}});
                 },
                 {.doc = {.summary = "Reports"}, .rule = {.permissions = {"write"}}});

    // 6. The OpenAPI document and Swagger UI.
    api.serve_openapi("/openapi.json", {.title = "fauth quickstart", .version = "1.0.0"});
    api.serve_swagger_ui("/docs",
                         {.dist_dir = env_or("FAUTH_SWAGGER_UI_DIR", FAUTH_DEFAULT_SWAGGER_UI_DIR), .title = "fauth quickstart"});

    if (metrics) api.serve_metrics("/metrics", metrics);  // open here: guard it, or serve it on a port of its own

    // 7. Serve until SIGINT or SIGTERM.
    const auto cores = std::max(1u, std::thread::hardware_concurrency());
    fauth::http::Server server{api,
                               {.host = env_or("HOST", "127.0.0.1"),
                                .port = static_cast<std::uint16_t>(std::stoi(env_or("PORT", "8000"))),
                                .threads = std::stoi(env_or("FAUTH_THREADS", std::to_string(cores)))}};
    const auto port = server.start();
    const auto base = "http://" + env_or("HOST", "127.0.0.1") + ":" + std::to_string(port);
    std::cout << "fauth quickstart listening on " << base << "\n"
              << "  Swagger UI:  " << base << "/docs  (press Authorize, log in as alice / s3cret)\n"
              << "  Metrics:     " << base << "/metrics  (Prometheus's text format)\n"
              << "  From a shell: curl -X POST " << base << "/login -d 'username=alice&password=s3cret'\n"
              << "                curl " << base << "/me -H 'Authorization: Bearer <access_token>'\n"
              << "  alice's API key (shown once): " << alice_key.key << "\n"
              << "                curl " << base << "/me -H 'X-API-Key: " << alice_key.key << "'" << std::endl;
    const int signal = fauth::http::wait_for_shutdown_signal();
    std::cout << "signal " << signal << ": shutting down" << std::endl;
    server.stop();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "fauth-quickstart: " << e.what() << std::endl;
    return 1;
}
