// examples/two_services/issuer.cpp — the service that signs: users log in here and get ES256
// tokens; its public keys are published for every other service to verify with.
//   POST /login                       form or JSON credentials (alice / s3cret, bob / hunter2)
//   POST /refresh                     a new token pair
//   GET  /.well-known/jwks.json       the public keys (JWK Set)
//   GET  /.well-known/openid-configuration
// Environment: HOST (127.0.0.1), PORT (8001), FAUTH_SIGNING_KEY_FILE (a PEM private key for
// ES256; when unset a fresh key is made at start, so tokens do not outlive the process),
// FAUTH_KEY_ID (the kid; default "issuer-1"), FAUTH_PUBLIC_URL (the base URL clients use: the
// tokens' iss and the discovery document's issuer; default http://HOST:PORT), FAUTH_AUDIENCE (the
// tokens' aud; default notes-api).
#include <cstdlib>
#include <iostream>
#include <map>

#include <fauth/http.hpp>

namespace {

struct User {
    std::string id;
    std::string username;
    std::string hashed_password;
    bool is_active = true;
    std::vector<std::string> roles;
    std::vector<std::string> permissions;
};

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

int main() try {
    fauth::http::block_shutdown_signals();
    const auto kid = env_or("FAUTH_KEY_ID", "issuer-1");
    const auto key_file = env_or("FAUTH_SIGNING_KEY_FILE", "");
    fauth::KeySet keys;
    keys.add(key_file.empty() ? fauth::Key::generate("ES256", kid) : fauth::Key::from_pem_file("ES256", key_file, kid));
    keys.sign_with(kid);
    auto ring = std::make_shared<fauth::KeyRing>(std::move(keys));

    const std::string host = env_or("HOST", "127.0.0.1");
    const auto port = static_cast<std::uint16_t>(std::stoi(env_or("PORT", "8001")));
    // Where clients reach this service (behind a proxy, not the address it binds): also the `iss`
    // of its tokens, and what resource services trust.
    const std::string base = env_or("FAUTH_PUBLIC_URL", "http://" + host + ":" + std::to_string(port));

    fauth::AuthConfig config;
    config.tokens.keys = ring;
    config.tokens.issuer = base;
    config.tokens.audience = env_or("FAUTH_AUDIENCE", "notes-api");  // the API its tokens are for
    config.bcrypt_cost = 10;
    const std::map<std::string, User> db = {
        {"user-123",
         {"user-123", "alice", fauth::hash_password("s3cret", config.bcrypt_cost), true, {"admin"}, {"read", "write"}}},
        {"user-456", {"user-456", "bob", fauth::hash_password("hunter2", config.bcrypt_cost), true, {"member"}, {"read"}}},
    };
    auto load_user = [&db](const fauth::TokenPayload& p) -> std::optional<User> {
        const auto it = db.find(p.sub);
        return it == db.end() ? std::nullopt : std::optional<User>(it->second);
    };
    auto load_identity = [&db](std::string_view name) -> std::optional<User> {
        for (const auto& [id, user] : db)
            if (user.username == name) return user;
        return std::nullopt;
    };
    fauth::AuthProvider<User> auth{config, load_user, load_identity};
    // The resource services verify without the user store: the tokens carry roles and scopes,
    // computed at login and again from the user as it is at each refresh.
    auth.set_login_claims({.scopes = [](const User& u) { return u.permissions; },
                           .extra =
                               [](const User& u) {
                                   return nlohmann::json{{"roles", u.roles}};
                               }});

    Pistache::Rest::Router router;
    fauth::http::Api api{router};
    api.post("/login", fauth::http::login_endpoint(auth));
    api.post("/refresh", fauth::http::refresh_endpoint(auth));
    api.get("/.well-known/jwks.json", fauth::http::jwks_endpoint(ring));
    api.get("/.well-known/openid-configuration",
            fauth::http::discovery_endpoint(ring, base, base + "/.well-known/jwks.json", base + "/login"));

    fauth::http::Server server{api, {.host = host, .port = port, .threads = 2}};
    std::cout << "fauth issuer listening on "
              << "http://" << host << ":" << server.start() << std::endl;
    fauth::http::wait_for_shutdown_signal();
    server.stop();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "fauth-issuer: " << e.what() << std::endl;
    return 1;
}
