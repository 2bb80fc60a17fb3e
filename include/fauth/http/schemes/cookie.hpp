/// @file
/// fauth/http/schemes/cookie.hpp — Scheme::cookie: a browser session's token in a cookie
/// (HttpConfig::cookies), guarded against cross-site request forgery once it is verified.
#pragma once

#include "fauth/http/scheme.hpp"

namespace fauth::http {

/// A session cookie: the access cookie (guards, logout) or the refresh cookie (refresh, logout).
class CookieScheme final : public CredentialScheme {
public:
    /// Which of the session's cookies it reads.
    enum class Cookie {
        access,   ///< CookieSettings::access_cookie: an access token
        refresh,  ///< CookieSettings::refresh_cookie: a refresh token
    };
    /// The scheme reading `cookie` as `settings.cookies` names it.
    explicit CookieScheme(const SchemeSettings& settings, Cookie cookie = Cookie::access)
        : settings_(settings.cookies), cookie_(cookie) {}

    Scheme id() const noexcept override { return Scheme::cookie; }
    /// The cookie: absent; malformed when it was sent twice (one was planted), empty or with
    /// characters no token has; else present.
    Credentials read(const Pistache::Http::Request& request) const override;
    /// InvalidToken "malformed session cookie".
    Failure malformed() const override;
    /// A Bearer challenge (the cookie holds a bearer token).
    void challenge(Challenge& challenge) const override;
    /// SessionCookie.
    void require(nlohmann::json& alternatives) const override;
    /// SessionCookie: an apiKey in the access cookie, naming the CSRF header.
    void declare(nlohmann::json& security_schemes) const override;
    /// ConfigError while CookieSettings::transport does not accept cookies.
    void check_route(const RouteNeeds& needs) const override;
    /// The CSRF checks, for an unsafe method (or an endpoint that changes state whatever its
    /// method): Forbidden "Origin not allowed" when Origin (or Referer) names a foreign origin,
    /// "CSRF token missing or invalid" unless the CSRF header holds the token's session's CSRF
    /// token (csrf_token, compared in constant time).
    Outcome<void> check(const Pistache::Http::Request& request, const TokenPayload& token,
                        const CheckContext& context) const override;

private:
    CookieSettings settings_;
    Cookie cookie_;
};

}  // namespace fauth::http
