#include "fauth/http/schemes/cookie.hpp"

#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/http/cookies.hpp"
#include "fauth/http/openapi.hpp"

namespace fauth::http {

Credentials CookieScheme::read(const Pistache::Http::Request& request) const {
    auto found = cookie_credentials(request, cookie_ == Cookie::access ? settings_.access_cookie : settings_.refresh_cookie);
    if (found.status == Credentials::Status::absent) return {};
    found.scheme = this;
    found.type = cookie_ == Cookie::access ? TokenType::access : TokenType::refresh;
    return found;
}

Failure CookieScheme::malformed() const { return InvalidToken("malformed session cookie").failure(); }

void CookieScheme::challenge(Challenge& challenge) const { challenge.bearer = true; }

void CookieScheme::require(nlohmann::json& alternatives) const {
    alternatives.push_back({{kCookieScheme, nlohmann::json::array()}});
}

void CookieScheme::declare(nlohmann::json& security_schemes) const {
    security_schemes[kCookieScheme] = {{"type", "apiKey"},
                                       {"in", "cookie"},
                                       {"name", settings_.access_cookie},
                                       {"description",
                                        "The browser session's access cookie, set by the cookie login. Requests "
                                        "that change state also send the CSRF cookie's value in the " +
                                            settings_.csrf_header + " header."}};
}

void CookieScheme::check_route(const RouteNeeds& needs) const {
    if (!settings_.accepts_cookie())
        throw ConfigError("fauth: a route accepts the session cookie, but HttpConfig::cookies.transport does not");
    if (!needs.secret_key)
        throw ConfigError(
            "fauth: a route accepts the session cookie, but CSRF tokens are bound to the session with "
            "secret_key (AuthConfig::tokens); set it to use cookies");
}

Outcome<void> CookieScheme::check(const Pistache::Http::Request& request, const TokenPayload& token,
                                  const CheckContext& context) const {
    if (!context.changes_state && !is_unsafe_method(request.method())) return {};
    if (is_foreign_origin(request, settings_)) return Forbidden("Origin not allowed").failure();
    const auto header = request.headers().tryGetRaw(settings_.csrf_header);
    const std::string value = header ? header->value() : std::string();  // by value: Raw::value() is a copy
    const auto sent = trim_ows(value);
    // A token without a session (not from a fauth login) has no CSRF token to match.
    if (token.family.empty() || sent.empty() || !equal_in_constant_time(csrf_token(context.codec, token.family), sent))
        return Forbidden("CSRF token missing or invalid").failure();
    return {};
}

}  // namespace fauth::http
