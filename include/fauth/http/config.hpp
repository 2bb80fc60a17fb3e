/// @file
/// fauth/http/config.hpp — HttpConfig: how requests carry credentials and what the http layer's
/// endpoints accept (token URL, cookies, the API key's transport, proxies, body bounds), and its
/// validation. Given to Api (and through it to the guards and the login, refresh and logout
/// endpoints) or to mount; the provider's own settings are AuthConfig's (fauth/auth/config.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "fauth/auth/replay_cache.hpp"
#include "fauth/core/dpop.hpp"

namespace fauth::http {

/// Which credentials the guards, /logout and /refresh accept.
enum class CredentialTransport {
    bearer,            ///< `Authorization: Bearer` only (the default): API clients
    cookie,            ///< the session cookies only: a browser application
    bearer_or_cookie,  ///< either; a request that sends an Authorization header is judged by it alone
};

/// The SameSite attribute of the session cookies.
enum class SameSite {
    lax,     ///< sent on top-level navigations from other sites, never on their POSTs or fetches
    strict,  ///< never sent on a request another site starts
};

/// Browser sessions in cookies (fauth/http/cookies.hpp): the access token in an HttpOnly cookie,
/// the refresh token in another scoped to the refresh path, and a readable CSRF cookie whose value
/// must come back in a header on every cookie-authenticated request that may change state. The
/// CSRF token is a digest under the provider's secret_key: a route reading cookies needs one.
struct CookieSettings {
    /// Which credentials are accepted; cookies are read only when this names them.
    CredentialTransport transport = CredentialTransport::bearer;
    /// The access token's cookie (HttpOnly). A `__Host-` name makes the browser refuse it unless it
    /// is Secure, for path "/" and without a domain, so that no sibling subdomain can plant one:
    /// the default name becomes `__Host-fauth_access` when `secure` is on, `path` is "/" and
    /// `domain` is empty (Api::config() shows the name in force).
    std::string access_cookie = "fauth_access";
    /// The refresh token's cookie (HttpOnly, sent only to refresh_path); the default name becomes
    /// `__Secure-fauth_refresh` when `secure` is on.
    std::string refresh_cookie = "fauth_refresh";
    /// The CSRF token's cookie: readable by the page's scripts, which send its value back; the
    /// default name becomes `__Host-fauth_csrf` as the access cookie's does.
    std::string csrf_cookie = "fauth_csrf";
    /// The request header that must carry the CSRF token.
    std::string csrf_header = "X-CSRF-Token";
    /// Path of the access and CSRF cookies.
    std::string path = "/";
    /// Path of the refresh cookie, the only path browsers send it to: route refresh_endpoint and
    /// logout_endpoint at or below it (e.g., /auth/refresh and /auth/logout), so that logout can end
    /// the session even after the access cookie has expired. Api refuses to route them elsewhere
    /// while cookies are accepted.
    std::string refresh_path = "/auth";
    /// Domain attribute; empty (the default) makes host-only cookies.
    std::string domain;
    /// The Secure attribute: cookies travel over HTTPS only. Turn it off only for local
    /// development over plain HTTP.
    bool secure = true;
    /// The SameSite attribute.
    SameSite same_site = SameSite::lax;
    /// Origins (`https://app.example.com`, scheme, host and port as a browser writes them in
    /// `Origin`) allowed to send cookie-authenticated requests that change state, besides the
    /// request's own host.
    std::vector<std::string> trusted_origins;

    /// True when the session cookies are read.
    bool accepts_cookie() const noexcept { return transport != CredentialTransport::bearer; }
    /// True when `Authorization: Bearer` is read.
    bool accepts_bearer() const noexcept { return transport != CredentialTransport::cookie; }
};

/// Where requests carry API keys (their format, the prefix, is AuthConfig::api_keys's).
struct ApiKeyTransport {
    /// The request header that carries a key.
    std::string header = "X-API-Key";
    /// A query parameter that may carry a key too; empty (the default) never reads one, since a
    /// URL ends up in logs, histories and Referer headers. Name one only for clients that cannot
    /// send headers.
    std::string query_parameter;
};

/// The login endpoint's device cookie (OWASP's "device cookies"): a client that shows the one a
/// successful login as a name gave it is throttled on its own budget (LoginLimits::per_device).
struct DeviceCookieSettings {
    /// Its name (HttpOnly, SameSite=Strict, sent only to the login path; Secure as
    /// CookieSettings::secure says, and then the default name becomes `__Secure-fauth_device`).
    /// Empty turns device cookies off; they are off too without the provider's secret_key, whose
    /// keyed digest signs them.
    std::string name = "fauth_device";
    /// How long a device cookie is honoured after the login that set it (each login sets a new one).
    std::chrono::seconds lifetime = std::chrono::hours(24 * 180);
};

/// Whether routes take DPoP-bound tokens (RFC 9449) by default.
enum class DpopMode {
    off,      ///< not by default (a route may still name Scheme::dpop); DPoP-bound tokens sent as Bearer are refused
    allow,    ///< `Authorization: DPoP` beside `Authorization: Bearer`
    require,  ///< `Authorization: DPoP` only: every token must be bound to its holder's key
};

/// DPoP (RFC 9449): access tokens bound to a key their holder proves, request by request, that it
/// holds, so that a token stolen from a log or a proxy is useless alone.
struct DpopSettings {
    /// Whether routes that name no schemes take DPoP (see DpopMode).
    DpopMode mode = DpopMode::off;
    /// How proofs are judged: algorithms, age, size.
    DpopPolicy policy;
    /// The origin clients reach this service at (`https://api.example.com`), which a proof's `htu`
    /// must name. Set it: empty, the request's own is taken from its Host header (and, from a
    /// trusted proxy, the last X-Forwarded-Proto and X-Forwarded-Host), over http unless a trusted
    /// proxy says https; a Host header is the client's to choose, so a proof a client made for
    /// another service (which that service could replay here within the proof's window) would
    /// name a URL this service accepts. Set it too when Pistache itself serves HTTPS.
    std::string origin;
    /// Where proofs' `jti`s are remembered, so that none is accepted twice; an in-memory one
    /// (MemoryReplayCache) when empty. Share a Redis one between processes behind one name.
    std::shared_ptr<ReplayCache> replay_cache;
    /// Server nonces (RFC 9449 section 9): when positive, every proof must carry a nonce this
    /// service gave out (in the `DPoP-Nonce` header of its 401s, with `error="use_dpop_nonce"`
    /// for a proof without a current one), which changes this often; a nonce stays good for one
    /// more period. Proofs then cannot be made ahead of time. Zero (the default): no nonces.
    std::chrono::seconds nonce_lifetime{0};
    /// The key nonces are made under (at least 16 bytes): give processes behind one name the same
    /// one, so that each accepts the others' nonces. Empty: a random one per Api.
    std::string nonce_secret;
};

/// Whether tokens bound to a client certificate (RFC 8705) are taken.
enum class CertificateBindingMode {
    off,      ///< no certificate is read: a certificate-bound token is refused wherever it comes
    allow,    ///< a certificate-bound token is taken with its certificate; unbound tokens as ever
    require,  ///< every token in the Authorization header (Bearer, DPoP) must be certificate-bound
};

/// Certificate-bound access tokens (RFC 8705 section 3): a token whose `cnf.x5t#S256` names a
/// certificate is good only on a connection whose client presented that certificate, so that a
/// token stolen alone is useless. Every token scheme checks it (CertificateBoundScheme), a
/// token bound to a DPoP key too.
struct CertificateBinding {
    /// Whether bound tokens are taken (see CertificateBindingMode).
    CertificateBindingMode mode = CertificateBindingMode::off;
    /// Read the client certificate from the RFC 9440 `Client-Cert` header (`:base64 DER:`) that
    /// a TLS-terminating proxy writes, believed only from HttpConfig::trusted_proxies, as
    /// X-Forwarded-For is (the proxy must drop any the client sent); otherwise (and when a
    /// trusted proxy sends none) from Pistache's own TLS (ServerOptions::tls with client
    /// certificates). A bound token's check reads it; a malformed one is refused then.
    bool client_cert_header = false;
};

/// The http layer's configuration; call validate() (Api and mount do) before use.
struct HttpConfig {
    /// Path of the login endpoint, advertised as the OAuth2 password flow's tokenUrl.
    std::string token_url = "/login";
    /// Browser sessions in cookies, with CSRF protection; off (bearer only) by default.
    CookieSettings cookies;
    /// Where API keys travel.
    ApiKeyTransport api_keys;
    /// The login endpoint's device cookie.
    DeviceCookieSettings device_cookie;
    /// Peers (exact addresses) trusted to say who the client is in X-Forwarded-For; none by
    /// default, so the client address is always the socket peer.
    std::vector<std::string> trusted_proxies;
    /// IPv6 clients are throttled by network: addresses sharing their first this many bits (a
    /// /64 is what one subscriber usually gets) count as one client. 1 to 128.
    int ipv6_client_prefix = 64;
    /// Largest token request body (login, refresh) accepted, in bytes; larger ones get 413.
    std::size_t max_token_request_bytes = 4096;
    /// The URL of this resource server's metadata (RFC 9728): resource_metadata_url(resource),
    /// e.g., "https://host/.well-known/oauth-protected-resource/api" for the resource
    /// "https://host/api" (serve it with Api::serve_resource_metadata). When set, every 401 says
    /// `WWW-Authenticate: Bearer resource_metadata="..."`, which OAuth 2.1 and MCP clients follow
    /// to find the authorization server. A URL whose path does not start with
    /// /.well-known/oauth-protected-resource is a ConfigError.
    std::string resource_metadata_url;
    /// DPoP-bound access tokens.
    DpopSettings dpop;
    /// Certificate-bound access tokens (RFC 8705).
    CertificateBinding certificate_binding;

    /// Throws ConfigError naming the field to fix when the configuration is unusable.
    void validate() const;
};

/// `config` validated (throws ConfigError), with the cookie names in force: a default name gets
/// the prefix with which browsers refuse a copy planted by a sibling subdomain or a plain-HTTP
/// page (see CookieSettings); names the application chose are kept as they are.
HttpConfig in_force(HttpConfig config);

}  // namespace fauth::http
