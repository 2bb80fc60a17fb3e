// examples/two_services/resource.cpp — a service that only verifies (a resource server): it
// trusts one issuer, any OpenID provider issuing RFC 9068 access tokens, one with a claim shape
// of its own (Keycloak, Auth0, Entra ID, Cognito), or fauth's own issuer example, and nothing
// else: no secret, no user store, no login. Users come from the token's claims.
//   GET /me           any valid token          {"message": "Hello user-123", "roles": [...]}
//   GET /admin        role admin               {"secret_data": "..."}
//   GET /reports      scope write              {"reports": []}
//   GET /health       no token                 {"status": "ok", "issuer_keys": N}
// It listens at once, before the issuer's keys are loaded: they are fetched in the background
// (retried after 1 s, 2 s, 4 s... up to 30 s while the issuer cannot be reached), and until they
// arrive a token of that issuer gets 503 with Retry-After, not 401. A configuration error (an
// environment variable missing or wrong) stops it at once, before anything is fetched.
// Environment, required (it refuses to start without them):
//   FAUTH_ISSUER      the issuer, exactly as its tokens' iss (e.g. http://127.0.0.1:8001, or
//                     https://keycloak.example.com/realms/main)
//   FAUTH_AUDIENCE    this API's identifier at the issuer: tokens for any other audience are refused
// Optional:
//   HOST, PORT        where it listens (127.0.0.1, 8002; PORT 0 picks a free port)
//   FAUTH_PROVIDER    the claim shape (TrustedIssuer's presets):
//                       standard  (default) RFC 9068: header typ at+jwt required (an ID token is
//                                 refused even when its aud is this API), scopes from the `scope`
//                                 string ("read write"), roles from `roles`
//                       fauth     fauth's issuer example (issuer.cpp): scopes from the `scopes`
//                                 array, roles from `roles`, no at+jwt (every fauth token names its
//                                 kind in the signed token_type claim). The signing-keys guide's two-process
//                                 run sets it
//                       keycloak, auth0, entra, cognito: those providers' shapes
//   FAUTH_REQUIRE_AT_JWT  1: require typ at+jwt whatever the shape; 0: accept tokens without it
//                     (unset: the shape's own rule)
//   FAUTH_JWKS_URL    the issuer's JWK Set (by default found through the issuer's OpenID discovery)
//   FAUTH_CLIENT_ID   Keycloak: also this client's roles
//   FAUTH_ROLES_CLAIM Auth0: the namespaced roles claim
//   FAUTH_ALGORITHMS  the algorithms accepted, comma-separated (RS256,ES256)
//   FAUTH_CA_FILE     a PEM bundle trusted besides the system's (a test CA, say)
//   FAUTH_RESOURCE_URL  this API's URL (RFC 9728 resource identifier, e.g. https://host/api):
//                     publishes its metadata where RFC 9728 section 3.1 puts it,
//                     /.well-known/oauth-protected-resource followed by the URL's path
//                     (/.well-known/oauth-protected-resource/api), and every 401 points there
//   FAUTH_JWKS_REFRESH_SECONDS  at most one fetch per this many seconds when tokens name an
//                     unknown key (30)
//   FAUTH_JWKS_RETRY_SECONDS  after a failed fetch, the next background attempt at most this
//                     much later (30)
//   FAUTH_DPOP        DPoP-bound tokens (RFC 9449): allow (the default: `Authorization: DPoP`
//                     with its proof beside Bearer), require (bound tokens only), off
//   FAUTH_DPOP_ORIGIN the origin clients reach this API at, which proofs name (htu), e.g.
//                     https://api.example.com; by default the request's Host over http
//   FAUTH_CERTIFICATE_BINDING  certificate-bound tokens (RFC 8705, cnf.x5t#S256): off (the
//                     default: a bound token is refused), allow (a bound token is taken with the
//                     certificate it names; unbound tokens as ever), require (bound tokens only)
//   FAUTH_TRUSTED_PROXIES  the proxies (exact addresses, comma-separated) believed about the
//                     client: its address (X-Forwarded-For) and, with FAUTH_CLIENT_CERT_HEADER, its
//                     certificate; none by default
//   FAUTH_CLIENT_CERT_HEADER  1: read the client certificate from the RFC 9440 `Client-Cert`
//                     header (`:base64 DER:`) a TLS-terminating proxy of FAUTH_TRUSTED_PROXIES
//                     writes (it must drop any the client sent); 0 (the default): not read
//   FAUTH_INTROSPECTION  token introspection (RFC 7662) at the issuer's introspection endpoint
//                     (found by discovery, or FAUTH_INTROSPECTION_ENDPOINT): opaque (the default
//                     when FAUTH_INTROSPECTION_CLIENT_ID is set: tokens that are not JWTs are asked
//                     about), all (every token of the issuer, JWTs too), off (the default otherwise)
//   FAUTH_INTROSPECTION_CLIENT_ID, FAUTH_INTROSPECTION_CLIENT_SECRET  this API's client
//                     credentials at the issuer (client_secret_basic), required for introspection
//   FAUTH_INTROSPECTION_ENDPOINT  the endpoint, when discovery does not name it
//   FAUTH_INTROSPECTION_CACHE_SECONDS  an active token's answer is kept until its exp, at most
//                     this long (300): a token the issuer revokes is refused at the latest then
//   FAUTH_INTROSPECTION_NEGATIVE_SECONDS  an inactive token's answer is kept this long (10)
#include <cstdlib>
#include <iostream>
#include <sstream>

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

// An off/allow/require setting (DpopMode, CertificateBindingMode) from the variable `name`.
template <class Mode>
Mode mode_env(const char* name, const char* fallback) {
    const auto value = env_or(name, fallback);
    if (value == "allow") return Mode::allow;
    if (value == "require") return Mode::require;
    if (value != "off") throw fauth::ConfigError(std::string(name) + " must be off, allow or require, not " + value);
    return Mode::off;
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
    const auto shape = env_or("FAUTH_PROVIDER", "standard");
    fauth::TrustedIssuer trusted;
    if (shape == "standard")
        trusted = fauth::TrustedIssuer::standard(issuer, audience, keys);
    else if (shape == "keycloak")
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
        throw fauth::ConfigError("FAUTH_PROVIDER must be standard, fauth, keycloak, auth0, entra or cognito, not " + shape);
    const auto at_jwt = env_or("FAUTH_REQUIRE_AT_JWT", "");
    if (at_jwt == "1")
        trusted.accept_tokens_without_at_jwt = false;
    else if (at_jwt == "0")
        trusted.accept_tokens_without_at_jwt = true;
    else if (!at_jwt.empty())
        throw fauth::ConfigError("FAUTH_REQUIRE_AT_JWT must be 1 or 0, not " + at_jwt);
    trusted.algorithms = split(env_or("FAUTH_ALGORITHMS", "RS256,ES256"), ',');
    return trusted;
}

// A whole number of seconds from the environment.
std::chrono::seconds seconds_env(const char* name, const char* fallback) {
    const auto text = env_or(name, fallback);
    try {
        std::size_t used = 0;
        const auto value = std::stol(text, &used);
        if (used == text.size()) return std::chrono::seconds(value);
    } catch (const std::exception&) {
        // refused below
    }
    throw fauth::ConfigError(std::string(name) + " must be a whole number of seconds, not " + text);
}

}  // namespace

int main() try {
    fauth::http::block_shutdown_signals();
    // Everything is checked before anything is fetched: a wrong setting stops the service at once.
    fauth::oidc::JwksOptions jwks{.url = env_or("FAUTH_JWKS_URL", ""),
                                  .issuer = env_or("FAUTH_ISSUER", ""),
                                  .min_refresh_interval = seconds_env("FAUTH_JWKS_REFRESH_SECONDS", "30"),
                                  .retry_after = seconds_env("FAUTH_JWKS_RETRY_SECONDS", "30")};
    jwks.fetch.ca_file = env_or("FAUTH_CA_FILE", "");
    fauth::AuthConfig config;
    auto trusted = trusted_issuer(nullptr);                        // the environment's issuer and audience first
    auto ring = std::make_shared<fauth::oidc::JwksKeyRing>(jwks);  // checks the URLs; fetches nothing yet
    trusted.keys = ring;
    // Introspection: opaque tokens (or every token) asked about at the issuer, answers cached.
    const auto introspection_client = env_or("FAUTH_INTROSPECTION_CLIENT_ID", "");
    const auto introspect = env_or("FAUTH_INTROSPECTION", introspection_client.empty() ? "off" : "opaque");
    if (introspect == "opaque" || introspect == "all") {
        fauth::oidc::IntrospectionOptions options{.endpoint = env_or("FAUTH_INTROSPECTION_ENDPOINT", ""),
                                                  .issuer = trusted.issuer,
                                                  .client_id = required_env("FAUTH_INTROSPECTION_CLIENT_ID",
                                                                            "this API's client id at the issuer, to introspect"),
                                                  .client_secret = required_env("FAUTH_INTROSPECTION_CLIENT_SECRET",
                                                                                "this API's client secret, to introspect"),
                                                  .max_ttl = seconds_env("FAUTH_INTROSPECTION_CACHE_SECONDS", "300"),
                                                  .negative_ttl = seconds_env("FAUTH_INTROSPECTION_NEGATIVE_SECONDS", "10")};
        options.fetch.ca_file = jwks.fetch.ca_file;
        trusted.introspection = std::make_shared<fauth::oidc::Introspection>(options);  // checks; fetches nothing yet
        trusted.introspected_tokens = introspect == "all" ? fauth::IntrospectedTokens::all : fauth::IntrospectedTokens::opaque;
    } else if (introspect != "off") {
        throw fauth::ConfigError("FAUTH_INTROSPECTION must be opaque, all or off, not " + introspect);
    }
    config.tokens.issuers = {trusted};

    // RFC 9728: where clients learn who issues this API's tokens (401s point there).
    const auto resource_url = env_or("FAUTH_RESOURCE_URL", "");
    fauth::http::HttpConfig http;
    if (!resource_url.empty()) http.resource_metadata_url = fauth::http::resource_metadata_url(resource_url);
    // DPoP: a token bound to its client's key is good only with a proof by that key, request by request.
    http.dpop.mode = mode_env<fauth::http::DpopMode>("FAUTH_DPOP", "allow");
    http.dpop.origin = env_or("FAUTH_DPOP_ORIGIN", "");
    // Certificate binding: a token bound to a client certificate is good only with that certificate,
    // which a trusted TLS-terminating proxy passes on in Client-Cert.
    http.certificate_binding.mode = mode_env<fauth::http::CertificateBindingMode>("FAUTH_CERTIFICATE_BINDING", "off");
    http.trusted_proxies = split(env_or("FAUTH_TRUSTED_PROXIES", ""), ',');
    const auto cert_header = env_or("FAUTH_CLIENT_CERT_HEADER", "0");
    if (cert_header != "0" && cert_header != "1")
        throw fauth::ConfigError("FAUTH_CLIENT_CERT_HEADER must be 1 or 0, not " + cert_header);
    http.certificate_binding.client_cert_header = cert_header == "1";
    // Checks the whole configuration (the issuer's audience, algorithms, claim paths...).
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
    // A scope the token must carry: a token without it gets 403 with
    // `WWW-Authenticate: Bearer error="insufficient_scope", scope="write"` (RFC 6750 3.1).
    api.get("/reports", auth.require(fauth::scope("write"), [](const Request&, ResponseWriter w, const Caller&) {
        fauth::http::send_json(w, Code::Ok, {{"reports", nlohmann::json::array()}});
    }));
    api.get("/health", fauth::http::Endpoint([ring](const Request&, ResponseWriter w) {
                fauth::http::send_json(w, Code::Ok, {{"status", "ok"}, {"issuer_keys", ring->current()->keys().size()}});
            }));
    if (!resource_url.empty())
        api.serve_resource_metadata(
            {.resource = resource_url, .authorization_servers = {trusted.issuer}, .scopes_supported = {"read", "write"}});
    api.serve_openapi("/openapi.json", {.title = "fauth resource service", .version = "1.0.0"});

    const std::string host = env_or("HOST", "127.0.0.1");
    fauth::http::Server server{api,
                               {.host = host,
                                .port = static_cast<std::uint16_t>(std::stoi(env_or("PORT", "8002"))),
                                .threads = 2}};
    const auto port = server.start();
    // The keys load in the background: tokens of the issuer get 503 with Retry-After until they do.
    ring->fetch_in_background();
    std::cout << "fauth resource service listening on http://" << host << ":" << port
              << " (issuer keys loading in the background)" << std::endl;
    fauth::http::wait_for_shutdown_signal();
    server.stop();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "fauth-resource: " << e.what() << std::endl;
    return 1;
}
