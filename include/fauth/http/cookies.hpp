/// @file
/// fauth/http/cookies.hpp — browser sessions in cookies (HttpConfig::cookies): the session cookies
/// a token endpoint sets and logout clears, and what the CSRF checks of the cookie scheme
/// (fauth/http/schemes/cookie.hpp) compare.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <pistache/http.h>

#include "fauth/http/config.hpp"
#include "fauth/auth/principal.hpp"
#include "fauth/core/token.hpp"
#include "fauth/http/scheme.hpp"

namespace fauth::http {

/// The cookie `name` of `request` as credentials (no scheme): absent; malformed when it was sent
/// twice, empty or with characters no token has; else present.
Credentials cookie_credentials(const Pistache::Http::Request& request, std::string_view name);

/// True for methods that may change state (all but GET, HEAD, OPTIONS and TRACE): a
/// cookie-authenticated request with one of them must pass the CSRF checks.
bool is_unsafe_method(Pistache::Http::Method method) noexcept;

/// The host (and port) the client addressed, lower-cased: the Host header as sent; empty without one.
std::string requested_host(const Pistache::Http::Request& request);

/// True when `request` names, in `Origin` (or, without it, in `Referer`), an origin that may not
/// send cookie-authenticated requests that change state: not the request's own host (over HTTPS,
/// or HTTP too when the cookies are not Secure) nor one of the trusted origins. False when it
/// names none.
bool is_foreign_origin(const Pistache::Http::Request& request, const CookieSettings& settings);

/// The CSRF token of session `family`: a keyed digest of it, so that it is bound to the session
/// (a token planted from another session never matches) and needs no server state.
std::string csrf_token(const TokenCodec& codec, std::string_view family);

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
                 const CookieSettings& cookies, const TokenCodec& codec);

/// Adds the session cookies of `tokens` to `writer`'s answer (what send_tokens sends for
/// TokenDelivery::cookies) and returns the CSRF token they carry.
std::string set_session_cookies(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens,
                                const CookieSettings& cookies, const TokenCodec& codec);

/// The sign-in state cookie's name for provider `name` (fauth/http/oidc_login.hpp):
/// `__Host-fauth_oidc_{name}` when the session cookies are Secure, `fauth_oidc_{name}` otherwise
/// (local development over HTTP).
std::string sign_in_cookie_name(const CookieSettings& cookies, std::string_view name);
/// Sets the sign-in state cookie of provider `name` to `value` for `max_age`: HttpOnly, path "/",
/// no domain, Secure as the session cookies are, and SameSite=Lax whatever they say, so that the
/// provider's redirect back (a top-level navigation from its site) brings it.
void set_sign_in_cookie(Pistache::Http::ResponseWriter& writer, const CookieSettings& cookies, std::string_view name,
                        std::string value, std::chrono::seconds max_age);
/// Makes the browser drop the sign-in state cookie of provider `name`.
void clear_sign_in_cookie(Pistache::Http::ResponseWriter& writer, const CookieSettings& cookies, std::string_view name);
/// The name of the cookie that keeps provider `name`'s sealed ID token (the `id_token_hint` of
/// RP-initiated logout): `__Secure-fauth_oidc_hint_{name}` when the session cookies are Secure.
std::string hint_cookie_name(const CookieSettings& cookies, std::string_view name);
/// Sets that cookie to `value` for `max_age`, sent only below `path` (the provider's routes):
/// HttpOnly, SameSite=Lax, Secure as the session cookies are; an empty `value` drops it.
void set_hint_cookie(Pistache::Http::ResponseWriter& writer, const CookieSettings& cookies, std::string_view name,
                     const std::string& path, std::string value, std::chrono::seconds max_age);

/// Adds Set-Cookie headers that make the browser drop the three session cookies (logout).
void clear_session_cookies(Pistache::Http::ResponseWriter& writer, const CookieSettings& settings);

}  // namespace fauth::http
