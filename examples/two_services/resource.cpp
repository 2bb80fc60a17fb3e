// examples/two_services/resource.cpp — a service that only verifies (a resource server): it
// trusts one issuer, fauth's own issuer example or an identity provider (Keycloak, Auth0, Entra
// ID, Cognito), and nothing else: no secret, no user store, no login. Users come from the token's
// claims.
//   GET /me           any valid token          {"message": "Hello user-123", "roles": [...]}
//   GET /admin        role admin               {"secret_data": "..."}
//   GET /reports      scope write              {"reports": []}
// Environment, required (it refuses to start without them):
//   FAUTH_ISSUER      the issuer, exactly as its tokens' iss (e.g. http://127.0.0.1:8001, or
//                     https://keycloak.example.com/realms/main)
//   FAUTH_AUDIENCE    this API's identifier at the issuer: tokens for any other audience are refused
// Optional: HOST (127.0.0.1), PORT (8002), FAUTH_JWKS_URL (the issuer's JWK Set; by default found
// through the issuer's OpenID discovery document), FAUTH_PROVIDER (the claim shape: fauth,
// keycloak, auth0, entra or cognito; default fauth), FAUTH_CLIENT_ID (Keycloak: also this client's
// roles), FAUTH_ROLES_CLAIM (Auth0: the namespaced roles claim), FAUTH_ALGORITHMS (default
// RS256,ES256), FAUTH_CA_FILE (a PEM bundle trusted besides the system's), FAUTH_RESOURCE_URL
// (this API's URL: publishes RFC 9728 metadata at /.well-known/oauth-protected-resource),
// FAUTH_JWKS_REFRESH_SECONDS (30: at most one fetch per this many seconds when tokens name an
// unknown key).
#include <cstdlib>
#include <iostream>
#include <sstream>
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

std::string required_env(const char* name, const char* what) {
    const auto value = env_or(name, "");
    if (value.empty()) throw fauth::ConfigError(std::string(name) + " is not set: " + what);
    return value;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, separator);)
        if (!part.empty()) parts.push_back(part);
    return parts;
}

// The trusted issuer the environment describes.
fauth::TrustedIssuer trusted_issuer(std::shared_ptr<fauth::KeyRing> keys) {
    const auto issuer = required_env("FAUTH_ISSUER", "the issuer whose tokens this API accepts (its tokens' iss)");
    const auto audience = required_env("FAUTH_AUDIENCE", "this API's identifier at the issuer (its tokens' aud)");
    const auto shape = env_or("FAUTH_PROVIDER", "fauth");
    fauth::TrustedIssuer trusted;
    if (shape == "keycloak")
        trusted = fauth::TrustedIssuer::keycloak(issuer, audience, keys, env_or("FAUTH_CLIENT_ID", ""));
    else if (shape == "auth0")
        trusted = fauth::TrustedIssuer::auth0(issuer, audience, keys, env_or("FAUTH_ROLES_CLAIM", ""));
    else if (shape == "entra")
        trusted = fauth::TrustedIssuer::entra(issuer, audience, keys);
    else if (shape == "cognito")
        trusted = fauth::TrustedIssuer::cognito(issuer, audience, keys);
    else if (shape == "fauth")
        // A fauth issuer signs no ID tokens, and every token it signs names its kind in the signed
        // `token_type` claim (refresh, reset and verification tokens are refused for it), so its
        // access tokens need no `typ: at+jwt` header: the opt-out is safe here, and only here.
        trusted = {.issuer = issuer,
                   .audiences = {audience},
                   .keys = keys,
                   .scope_claims = {{"scopes"}},
                   .role_claims = {{"roles"}},
                   .accept_tokens_without_at_jwt = true};
    else
        throw fauth::ConfigError("FAUTH_PROVIDER must be fauth, keycloak, auth0, entra or cognito, not " + shape);
    trusted.algorithms = split(env_or("FAUTH_ALGORITHMS", "RS256,ES256"), ',');
    return trusted;
}

}  // namespace

int main() try {
    fauth::http::block_shutdown_signals();
    fauth::oidc::JwksOptions jwks{.url = env_or("FAUTH_JWKS_URL", ""),
                                  .issuer = env_or("FAUTH_ISSUER", ""),
                                  .min_refresh_interval =
                                      std::chrono::seconds(std::stoi(env_or("FAUTH_JWKS_REFRESH_SECONDS", "30")))};
    jwks.fetch.ca_file = env_or("FAUTH_CA_FILE", "");
    fauth::AuthConfig config;
    auto trusted = trusted_issuer(nullptr);  // checks the environment before anything starts
    auto ring = std::make_shared<fauth::oidc::JwksKeyRing>(jwks);
    trusted.keys = ring;
    config.tokens.issuers = {trusted};
    // The issuer may start after us: try for a while, then serve anyway (an unknown kid fetches again).
    for (int attempt = 0; attempt < 50 && !ring->fetch_now(); ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));

    // RFC 9728: where clients learn who issues this API's tokens (401s point there).
    const auto resource_url = env_or("FAUTH_RESOURCE_URL", "");
    fauth::http::HttpConfig http;
    if (!resource_url.empty()) http.resource_metadata_url = resource_url + "/.well-known/oauth-protected-resource";
    fauth::AuthProvider<Caller> auth{config, [](const fauth::TokenPayload& p) -> std::optional<Caller> {
                                         return Caller{p.sub, p.roles, p.scopes};
                                     }};

    using Pistache::Http::Code;
    using Pistache::Http::ResponseWriter;
    using Pistache::Rest::Request;
    Pistache::Rest::Router router;
    fauth::http::Api api{router, http};
    api.get("/me", auth.require_user([](const Request&, ResponseWriter w, const Caller& c) {
        fauth::http::send_json(w, Code::Ok, {{"message", "Hello " + c.id}, {"roles", c.roles}});
    }));
    api.get("/admin", auth.require_roles({"admin"}, [](const Request&, ResponseWriter w, const Caller&) {
        fauth::http::send_json(w, Code::Ok, {{"secret_data", "Top secret admin info"}});
    }));
    api.get("/reports", auth.require_permissions({"write"}, [](const Request&, ResponseWriter w, const Caller&) {
        fauth::http::send_json(w, Code::Ok, {{"reports", nlohmann::json::array()}});
    }));
    if (!resource_url.empty())
        api.get("/.well-known/oauth-protected-resource",
                fauth::http::protected_resource_endpoint({.resource = resource_url,
                                                          .authorization_servers = {trusted.issuer},
                                                          .scopes_supported = {"read", "write"}}));
    api.serve_openapi("/openapi.json", {.title = "fauth resource service", .version = "1.0.0"});

    const std::string host = env_or("HOST", "127.0.0.1");
    fauth::http::Server server{api,
                               {.host = host,
                                .port = static_cast<std::uint16_t>(std::stoi(env_or("PORT", "8002"))),
                                .threads = 2}};
    std::cout << "fauth resource service listening on http://" << host << ":" << server.start() << " ("
              << ring->current()->keys().size() << " issuer keys)" << std::endl;
    fauth::http::wait_for_shutdown_signal();
    server.stop();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "fauth-resource: " << e.what() << std::endl;
    return 1;
}
