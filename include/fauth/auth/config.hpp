// fauth/auth/config.hpp — everything an AuthProvider is configured with: its token settings (the
// core's TokenConfig) plus passwords, workers, stores, throttling and sessions; and its validation.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/core/config.hpp"

namespace fauth {

class RevocationStore;  // fauth/auth/revocation.hpp
class Throttle;         // fauth/auth/throttle.hpp

/// A token bucket: up to `burst` attempts at once, refilled at `per_second`.
struct RateLimit {
    /// Bucket size: attempts allowed in a row.
    double burst;
    /// Attempts regained per second.
    double per_second;
};

/// Login attempts allowed per client address, per client address and login name, and per login
/// name. A client that spends its budget for a name is refused for that name alone: the same
/// name from other addresses still gets through, until guesses from many addresses spend the
/// name's own, much larger budget.
struct LoginLimits {
    /// Per client address (the socket peer, or X-Forwarded-For from a trusted proxy; IPv6
    /// addresses grouped by AuthConfig::ipv6_client_prefix).
    RateLimit per_client{60, 1.0};
    /// Per client address and login name: one address guessing one name. Its burst must be
    /// smaller than per_identifier's and its rate at most per_identifier's, so that one address
    /// alone, however long it keeps guessing, can never spend the name's own budget.
    RateLimit per_client_identifier{10, 10.0 / 3600};
    /// Per login name, from every address together (counted only for attempts the two limits
    /// above let through): slows guessing spread over many addresses.
    RateLimit per_identifier{100, 100.0 / 3600};
    /// Per device: a client that shows the device cookie a successful login as this name gave it
    /// (OWASP's "device cookies") is counted on a budget of its own, instead of the two per-name
    /// ones above, so that guesses from other addresses, however many, cannot lock the name's
    /// owner out on a device they used before. A stolen device cookie buys no more than this.
    RateLimit per_device{10, 10.0 / 3600};
    /// The device cookie's name (HttpOnly, SameSite=Strict, sent only to the login path; Secure
    /// as AuthConfig::cookies says, and then the default name becomes `__Secure-fauth_device`).
    /// Empty turns device cookies off; they are off too without a secret_key, whose keyed digest
    /// signs them.
    std::string device_cookie = "fauth_device";
    /// How long a device cookie is honoured after the login that set it (each login sets a new one).
    std::chrono::seconds device_lifetime = std::chrono::hours(24 * 180);
};

/// Refresh attempts allowed per client address and per session.
struct RefreshLimits {
    /// Per client address (grouped as for login), counted before the body is read.
    RateLimit per_client{60, 1.0};
    /// Per session family, counted once the refresh token's signature has been verified, so that
    /// only a holder of one of the session's tokens can spend its budget.
    RateLimit per_family{10, 1.0 / 30};
};

/// How `*` in granted scopes and permissions is read (fauth::grants in fauth/auth/access.hpp).
/// Matching is per `:`-separated segment, never by prefix: `notes:*` never grants `notesadmin:read`.
struct Wildcards {
    /// A `*` segment after the first grants exactly one segment in its place: `notes:*` grants
    /// `notes:read` and `notes:write`, but neither `notes` nor `notes:drafts:read`.
    bool segments = true;
    /// A lone `*` grants everything, and a `*` first segment any first segment (`*:read` grants
    /// `billing:read`). Off by default: a grant that wide should be chosen.
    bool everything = false;
};

/// API keys for machine clients (fauth/core/api_key.hpp, AuthProvider::set_api_key_loader).
struct ApiKeySettings {
    /// What every key starts with (`<prefix>_...`): 1 to 16 lower-case letters and digits.
    std::string prefix = "fauth";
    /// The request header that carries a key.
    std::string header = "X-API-Key";
    /// A query parameter that may carry a key too; empty (the default) never reads one, since a
    /// URL ends up in logs, histories and Referer headers. Name one only for clients that cannot
    /// send headers.
    std::string query_parameter;
};

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
/// must come back in a header on every cookie-authenticated request that may change state.
struct CookieSettings {
    /// Which credentials are accepted; cookies are read only when this names them.
    CredentialTransport transport = CredentialTransport::bearer;
    /// The access token's cookie (HttpOnly). A `__Host-` name makes the browser refuse it unless it
    /// is Secure, for path "/" and without a domain, so that no sibling subdomain can plant one:
    /// the default name becomes `__Host-fauth_access` when `secure` is on, `path` is "/" and
    /// `domain` is empty (AuthProvider::config() shows the name in force).
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
    /// logout_endpoint at or below it (e.g. /auth/refresh and /auth/logout), so that logout can end
    /// the session even after the access cookie has expired. http::Api refuses to route them
    /// elsewhere while cookies are accepted.
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

/// Configuration of an AuthProvider: its token settings and its own; call validate() (the
/// provider does) before use.
struct AuthConfig {
    /// What tokens are signed and verified with (secret or keys, issuers, lifetimes, clock, log).
    TokenConfig tokens;
    /// bcrypt cost (log2 rounds) for new hashes; stored hashes below it need a rehash. 4 to 31.
    int bcrypt_cost = 12;
    /// Threads that run bcrypt, so that no caller (a Pistache reactor) is ever blocked by it.
    std::size_t worker_threads = 2;
    /// Password checks admitted at once, at most (queued, running, or waiting for a callback
    /// thread), whatever max_password_wait allows; beyond this, authenticate answers Unavailable.
    std::size_t worker_queue_capacity = 1024;
    /// Threads (`fauth-callback`) on which your code continues after fauth's own threads: after a
    /// password check (authenticate's promise, the rehash hook) and after a key fetch (your
    /// loader and handler). Your code never runs on a password worker or a fetching thread.
    std::size_t callback_threads = 2;
    /// Requests that may wait at once for a key ring to fetch a key their token names (JWKS);
    /// beyond this they are answered Unavailable (503) at once.
    std::size_t max_key_fetch_waits = 1024;
    /// The longest a password check may expect to wait for a worker (the checks ahead of it times
    /// the measured time of one, shared among worker_threads); beyond it authenticate answers
    /// Unavailable at once (the login endpoint's 503, with that wait as Retry-After), so that a
    /// login flood cannot make a real login wait for minutes.
    std::chrono::milliseconds max_password_wait{3000};
    /// Password checks one client address may have waiting or running at once at the login
    /// endpoint (503 beyond), so that a few clients cannot take every place in the queue.
    std::size_t max_password_checks_per_client = 2;
    /// Added to the nice value of those threads (Linux: per thread), so that a login flood
    /// yields the CPU to request handling instead of starving guarded routes. 0 to 19.
    int worker_nice = 10;
    /// Where revocations and used refresh tokens are kept; an in-process MemoryRevocationStore
    /// when empty. Share one RedisRevocationStore between processes that serve the same users.
    std::shared_ptr<RevocationStore> revocation_store;
    /// How many login attempts are allowed (429 with Retry-After beyond them).
    LoginLimits login_limits;
    /// How long a session lasts at most, from its login, however often it is refreshed: beyond
    /// it refresh answers 401 "Session expired" and the user logs in again. At most 100 years.
    std::chrono::seconds session_lifetime = std::chrono::hours(24 * 30);
    /// How many refresh attempts are allowed (429 with Retry-After beyond them).
    RefreshLimits refresh_limits;
    /// A refresh token presented again this soon after its first use gets the same new pair as
    /// that use instead of counting as theft: two tabs refreshing at once, a request sent again
    /// after its answer was lost, a Redis command re-sent after a dropped connection. Whoever
    /// holds the token within this time gets the pair its first use got, and a later use of
    /// either copy's refresh token makes the other reuse. 0: every repeat is reuse. At most 60 s.
    std::chrono::seconds refresh_repeat_grace{10};
    /// Where login and refresh attempts are counted; a MemoryThrottle when empty. Use a
    /// RedisThrottle to count across processes.
    std::shared_ptr<Throttle> throttle;

    // The login and refresh endpoints' settings (fauth/http/login.hpp, fauth/http/session.hpp).

    /// Path of the login endpoint, advertised as the OAuth2 password flow's tokenUrl.
    std::string token_url = "/login";
    /// Peers (exact addresses) trusted to say who the client is in X-Forwarded-For; none by
    /// default, so the client address is always the socket peer.
    std::vector<std::string> trusted_proxies;
    /// IPv6 clients are throttled by network: addresses sharing their first this many bits (a
    /// /64 is what one subscriber usually gets) count as one client. 1 to 128.
    int ipv6_client_prefix = 64;
    /// Browser sessions in cookies, with CSRF protection; off (bearer only) by default.
    CookieSettings cookies;
    /// How `*` is read in scopes and permissions that rules check.
    Wildcards wildcards;
    /// API keys: their prefix and where requests carry them.
    ApiKeySettings api_keys;
    /// Largest login or refresh body accepted, in bytes; larger ones get 413.
    std::size_t max_login_body_bytes = 4096;
    /// The URL of this resource server's metadata (RFC 9728; serve it with
    /// fauth::http::protected_resource_endpoint). When set, every 401 says
    /// `WWW-Authenticate: Bearer resource_metadata="..."`, which OAuth 2.1 and MCP clients follow
    /// to find the authorization server.
    std::string resource_metadata_url;

    /// Throws ConfigError naming the field to fix when the configuration is unusable (the token
    /// settings included).
    void validate() const;
    /// The current time from tokens.clock, or the system clock.
    std::chrono::system_clock::time_point now() const { return tokens.now(); }
    /// Sends `message` to tokens.log, or to standard error when no log is set.
    void write_log(std::string_view message) const { tokens.write_log(message); }
    /// Sends `event` to tokens.security_events, or as a JSON line to the log when that is not set.
    void report(const SecurityEvent& event) const { tokens.report(event); }
};

}  // namespace fauth
