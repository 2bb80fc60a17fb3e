// examples/two_services/resource.cpp — a service that only verifies: it knows the issuer's JWKS
// URL and nothing else (no secret, no user store, no login). Users come from the token's claims.
//   GET /me           any valid token          {"message": "Hello user-123", "roles": [...]}
//   GET /admin        role admin               {"secret_data": "..."}
//   GET /reports      scope write              {"reports": []}
// Environment: HOST (127.0.0.1), PORT (8002), FAUTH_JWKS_URL
// (http://127.0.0.1:8001/.well-known/jwks.json; https:// for anything but loopback),
// FAUTH_CA_FILE (a PEM bundle trusted besides the system's), FAUTH_JWKS_REFRESH_SECONDS (30: at
// most one fetch per this many seconds when tokens name an unknown key).
#include <cstdlib>
#include <iostream>
#include <thread>

#include <fauth/http.hpp>

namespace {

// What a token says about its user; the issuer wrote roles and scopes into it.
struct Caller {
    std::string id;
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
    fauth::oidc::JwksOptions jwks{
        .url = env_or("FAUTH_JWKS_URL", "http://127.0.0.1:8001/.well-known/jwks.json"),
        .min_refresh_interval = std::chrono::seconds(std::stoi(env_or("FAUTH_JWKS_REFRESH_SECONDS", "30")))};
    jwks.fetch.ca_file = env_or("FAUTH_CA_FILE", "");
    auto ring = std::make_shared<fauth::oidc::JwksKeyRing>(jwks);
    // The issuer may start after us: try for a while, then serve anyway (an unknown kid fetches again).
    for (int attempt = 0; attempt < 50 && !ring->fetch_now(); ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));

    fauth::AuthConfig config;
    config.keys = ring;
    fauth::AuthProvider<Caller> auth{config, [](const fauth::TokenPayload& p) -> std::optional<Caller> {
        Caller caller{p.sub, {}, p.scopes};
        if (const auto roles = p.extra.find("roles"); roles != p.extra.end() && roles->is_array())
            for (const auto& r : *roles)
                if (r.is_string()) caller.roles.push_back(r.get<std::string>());
        return caller;
    }};

    using Pistache::Http::Code;
    using Pistache::Http::ResponseWriter;
    using Pistache::Rest::Request;
    Pistache::Rest::Router router;
    fauth::http::Api api{router, auth};
    api.get("/me", auth.require_user([](const Request&, ResponseWriter w, const Caller& c) {
        fauth::http::send_json(w, Code::Ok, {{"message", "Hello " + c.id}, {"roles", c.roles}});
    }));
    api.get("/admin", auth.require_roles({"admin"}, [](const Request&, ResponseWriter w, const Caller&) {
        fauth::http::send_json(w, Code::Ok, {{"secret_data", "Top secret admin info"}});
    }));
    api.get("/reports", auth.require_permissions({"write"}, [](const Request&, ResponseWriter w, const Caller&) {
        fauth::http::send_json(w, Code::Ok, {{"reports", nlohmann::json::array()}});
    }));
    api.serve_openapi("/openapi.json", {.title = "fauth resource service", .version = "1.0.0"});

    const std::string host = env_or("HOST", "127.0.0.1");
    fauth::http::Server server{api, {.host = host, .port = static_cast<std::uint16_t>(std::stoi(env_or("PORT", "8002"))), .threads = 2}};
    std::cout << "fauth resource service listening on http://" << host << ":" << server.start() << " ("
              << ring->current()->keys().size() << " issuer keys)" << std::endl;
    fauth::http::wait_for_shutdown_signal();
    server.stop();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "fauth-resource: " << e.what() << std::endl;
    return 1;
}
