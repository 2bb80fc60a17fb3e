// fauth/http/cookies.hpp — browser sessions in cookies (AuthConfig::cookies): which credentials a
// request carries, the session cookies a token endpoint sets and logout clears, and the CSRF
// checks a cookie-authenticated request must pass before it may change anything.
#pragma once

#include <string>
#include <exception>
#include <string_view>
#include <span>
#include <vector>

#include <pistache/http.h>

#include "fauth/auth/config.hpp"
#include "fauth/auth/principal.hpp"
#include "fauth/core/token.hpp"
#include "fauth/http/bearer.hpp"

namespace fauth::http {

/// The access token a request carries, and where it came from.
struct Credentials {
    /// Where the token was found.
    enum class Source {
        none,    ///< nowhere: no credentials
        header,  ///< `Authorization: Bearer`
        cookie,  ///< the access cookie (AuthConfig::cookies)
        api_key, ///< the API key header (or query parameter) of AuthConfig::api_keys
    };
    /// Absent, malformed or present, as for a bearer header.
    BearerCredentials::Status status = BearerCredentials::Status::absent;
    /// The token (or the API key) when status is present.
    std::string token;
    /// Where it came from.
    Source source = Source::none;
};

/// The credentials of `request` as `settings` accepts them: the Authorization header when bearer
/// tokens are accepted and one was sent (malformed included: bad credentials in one place never
/// fall through to another); otherwise the access cookie when cookies are accepted (sent twice,
/// empty or with characters no token has: malformed).
Credentials credentials_of(const Pistache::Http::Request& request, const CookieSettings& settings);

/// The schemes a route accepts by default under `settings`, in the order they are read: the
/// bearer header, then the access cookie, as CredentialTransport names them (a view of constant
/// storage: no allocation, valid for the program's lifetime).
std::span<const Scheme> default_schemes(const CookieSettings& settings) noexcept;

/// The credentials of `request` for a route accepting `schemes`: those of the first scheme, in
/// order, whose credentials are there (malformed included: bad credentials in one scheme never
/// fall through to the next). An API key is read from AuthConfig::api_keys.header, or from its
/// query_parameter when one is named (both at once: malformed).
Credentials credentials_for(const Pistache::Http::Request& request, const std::vector<Scheme>& schemes, const AuthConfig& config);

/// The cookie `name` of `request` as credentials (source cookie): absent; malformed when it was
/// sent twice, empty or with characters no token has; else present.
Credentials cookie_credentials(const Pistache::Http::Request& request, std::string_view name);

/// The refusal of credentials that are there but malformed: InvalidToken "malformed
/// Authorization header" or "malformed session cookie".
InvalidToken malformed_credentials(const Credentials& credentials);
/// The refusal of malformed credentials of any source: malformed_credentials, or InvalidApiKey
/// "malformed" for an API key.
std::exception_ptr malformed_failure(const Credentials& credentials);

/// True for methods that may change state (all but GET, HEAD, OPTIONS and TRACE): a
/// cookie-authenticated request with one of them must pass the CSRF checks.
bool is_unsafe_method(Pistache::Http::Method method) noexcept;

/// True when `request` names, in `Origin` (or, without it, in `Referer`), an origin that may not
/// send cookie-authenticated requests that change state: not the request's own host (over HTTPS,
/// or HTTP too when the cookies are not Secure) nor one of the trusted origins. False when it
/// names none.
bool is_foreign_origin(const Pistache::Http::Request& request, const CookieSettings& settings);

/// What a request shows against cross-site request forgery, read before the pipeline runs (the
/// request does not outlive the route handler): nothing is read for a request that needs no check.
struct CsrfEvidence {
    /// Cookie credentials and an unsafe method: the checks apply.
    bool needed = false;
    /// The request named a foreign origin in `Origin` (or, without it, in `Referer`).
    bool foreign_origin = false;
    /// The CSRF header's value, as sent (empty when absent).
    std::string token;
};

/// The evidence of `request`, authenticated by `credentials`, under `config`. `changes_state`: the
/// route changes state whatever its method (refresh, logout), so the checks apply even to a GET.
CsrfEvidence csrf_evidence(const Pistache::Http::Request& request, const Credentials& credentials, const AuthConfig& config,
                           bool changes_state = false);

/// The CSRF token of session `family`: a keyed digest of it, so that it is bound to the session
/// (a token planted from another session never matches) and needs no server state.
std::string csrf_token(const TokenCodec& codec, std::string_view family);

/// Throws Forbidden when `evidence` is needed and fails: "Origin not allowed" for a foreign
/// origin, "CSRF token missing or invalid" unless its token is the CSRF token of `token`'s session
/// (compared in constant time).
void check_csrf(const CsrfEvidence& evidence, const TokenPayload& token, const TokenCodec& codec);
/// check_csrf for a token not yet verified (refresh and logout, before anything is written): when
/// `evidence` is needed, `token` is verified as a `type` token first (throwing as TokenCodec::verify
/// does), to learn its session.
void check_csrf(const CsrfEvidence& evidence, std::string_view token, TokenType type, const TokenCodec& codec);

/// True when a browser sends a cookie of path `cookie_path` with a request for `request_path`
/// (RFC 6265 section 5.1.4: the same path, or below it).
bool cookie_path_matches(std::string_view cookie_path, std::string_view request_path) noexcept;

/// How a token endpoint hands the tokens over.
enum class TokenDelivery {
    body,     ///< the JSON TokenResponse (API clients, Swagger UI)
    cookies,  ///< the session cookies, and a body without tokens (browser applications)
};

/// Sends `tokens` as `delivery` says, with the caching headers RFC 6749 section 5.1 asks for.
/// Cookies: the access cookie (HttpOnly, Max-Age the access token's lifetime), the refresh cookie
/// (HttpOnly, for refresh_path, the refresh token's lifetime) and the CSRF cookie (readable, the
/// refresh token's lifetime), all Secure and SameSite as configured; the body is
/// `{"token_type": "cookie", "expires_in": ..., "csrf_token": ...}`.
void send_tokens(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens, TokenDelivery delivery,
                 const AuthConfig& config, const TokenCodec& codec);

/// Adds Set-Cookie headers that make the browser drop the three session cookies (logout).
void clear_session_cookies(Pistache::Http::ResponseWriter& writer, const CookieSettings& settings);

}  // namespace fauth::http
