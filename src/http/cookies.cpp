#include "fauth/http/cookies.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/http/bearer.hpp"
#include "fauth/http/login.hpp"
#include "fauth/http/response.hpp"

namespace fauth::http {
namespace {

using Pistache::Http::Method;

// A request header as sent (Pistache keeps every request header's raw text), or nothing.
std::optional<std::string> raw_header(const Pistache::Http::Request& request, const std::string& name) {
    const auto raw = request.headers().tryGetRaw(name);
    if (!raw) return std::nullopt;
    return raw->value();
}

// `scheme://authority` of a URL (Referer) or an origin (Origin), lower-cased; empty when it is neither.
std::string origin_of(std::string_view url) {
    url = trim_ows(url);
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) return {};
    const auto authority_end = url.find_first_of("/?#", scheme_end + 3);
    const auto origin = url.substr(0, authority_end);
    if (origin.size() == scheme_end + 3) return {};
    return ascii_lower(origin);
}

// Whether `origin` may send cookie-authenticated requests that change state: one of the trusted
// origins, or the request's own host over HTTPS (or over HTTP too when the cookies are not Secure).
bool allowed_origin(std::string_view origin, const Pistache::Http::Request& request, const CookieSettings& settings) {
    const auto normal = origin_of(origin);
    if (normal.empty()) return false;  // "null" (a sandboxed page, a redirect chain) and garbage
    for (const auto& trusted : settings.trusted_origins)
        if (ascii_iequals(trusted, normal)) return true;
    const auto scheme_end = normal.find("://");
    const auto scheme = std::string_view(normal).substr(0, scheme_end);
    if (scheme != "https" && (settings.secure || scheme != "http")) return false;
    const auto host = requested_host(request);
    return !host.empty() && std::string_view(normal).substr(scheme_end + 3) == host;
}

Pistache::Http::Cookie session_cookie(const std::string& name, std::string value, const std::string& path, int max_age,
                                      bool http_only, const CookieSettings& settings) {
    Pistache::Http::Cookie cookie(name, std::move(value));
    cookie.path = path;
    if (!settings.domain.empty()) cookie.domain = settings.domain;
    cookie.maxAge = max_age;
    cookie.secure = settings.secure;
    cookie.httpOnly = http_only;
    cookie.ext["SameSite"] = settings.same_site == SameSite::strict ? "Strict" : "Lax";
    return cookie;
}

int max_age(std::chrono::seconds ttl) {
    return static_cast<int>(std::min<std::int64_t>(ttl.count(), std::numeric_limits<int>::max()));
}

}  // namespace

Credentials cookie_credentials(const Pistache::Http::Request& request, std::string_view name) {
    using Status = Credentials::Status;
    // (The jar's iterator yields each cookie by value: keep a copy of the value, not a pointer.)
    std::optional<std::string> found;
    for (const auto& cookie : request.cookies()) {
        if (cookie.name != name) continue;
        // Two cookies of one name: one was planted (by a sibling subdomain, say); trust neither.
        if (found) return {Status::malformed, {}};
        found = cookie.value;
    }
    if (!found) return {};
    if (!is_b64token(*found)) return {Status::malformed, {}};
    return {Status::present, std::move(*found)};
}

std::string requested_host(const Pistache::Http::Request& request) {
    if (auto raw = raw_header(request, "Host")) return ascii_lower(trim_ows(*raw));
    const auto typed = request.headers().tryGet<Pistache::Http::Header::Host>();
    if (!typed) return {};
    std::string host = ascii_lower(typed->host());
    if (const auto port = static_cast<std::uint16_t>(typed->port()); port != 0 && port != 80 && port != 443)
        host += ":" + std::to_string(port);
    return host;
}

bool is_unsafe_method(Method method) noexcept {
    return method != Method::Get && method != Method::Head && method != Method::Options && method != Method::Trace;
}

bool is_foreign_origin(const Pistache::Http::Request& request, const CookieSettings& settings) {
    // Origin first; a browser that sends none may still send Referer. Neither: the token decides.
    auto origin = raw_header(request, "Origin");
    if (!origin) origin = raw_header(request, "Referer");
    return origin && !allowed_origin(*origin, request, settings);
}

std::string csrf_token(const TokenCodec& codec, std::string_view family) {
    return codec.fingerprint(std::string("csrf:").append(family));
}

void send_tokens(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens, TokenDelivery delivery,
                 const CookieSettings& settings, const TokenCodec& codec) {
    if (delivery == TokenDelivery::body) return send_token_response(writer, tokens);
    const auto csrf = set_session_cookies(writer, tokens, settings, codec);
    writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
    writer.headers().add<PragmaNoCache>();
    send_json(writer, Pistache::Http::Code::Ok,
              nlohmann::json{{"token_type", "cookie"}, {"expires_in", tokens.expires_in}, {"csrf_token", csrf}});
}

std::string set_session_cookies(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens,
                                const CookieSettings& settings, const TokenCodec& codec) {
    const auto& config = codec.config();
    auto csrf = csrf_token(codec, tokens.family);
    auto& jar = writer.cookies();
    jar.add(session_cookie(settings.access_cookie, tokens.access_token, settings.path, max_age(config.access_token_ttl), true,
                           settings));
    jar.add(session_cookie(settings.refresh_cookie, tokens.refresh_token, settings.refresh_path,
                           max_age(config.refresh_token_ttl), true, settings));
    jar.add(session_cookie(settings.csrf_cookie, csrf, settings.path, max_age(config.refresh_token_ttl), false, settings));
    return csrf;
}

std::string sign_in_cookie_name(const CookieSettings& settings, std::string_view name) {
    return (settings.secure ? "__Host-fauth_oidc_" : "fauth_oidc_") + std::string(name);
}

void set_sign_in_cookie(Pistache::Http::ResponseWriter& writer, const CookieSettings& settings, std::string_view name,
                        std::string value, std::chrono::seconds ttl) {
    CookieSettings own = settings;
    own.domain.clear();  // `__Host-`: host-only, path "/"
    own.same_site = SameSite::lax;
    writer.cookies().add(session_cookie(sign_in_cookie_name(settings, name), std::move(value), "/", max_age(ttl), true, own));
}

std::string hint_cookie_name(const CookieSettings& settings, std::string_view name) {
    return (settings.secure ? "__Secure-fauth_oidc_hint_" : "fauth_oidc_hint_") + std::string(name);
}

void set_hint_cookie(Pistache::Http::ResponseWriter& writer, const CookieSettings& settings, std::string_view name,
                     const std::string& path, std::string value, std::chrono::seconds ttl) {
    CookieSettings own = settings;
    own.same_site = SameSite::lax;
    const auto age = value.empty() ? std::chrono::seconds(0) : ttl;
    writer.cookies().add(session_cookie(hint_cookie_name(settings, name), std::move(value), path, max_age(age), true, own));
}

void clear_sign_in_cookie(Pistache::Http::ResponseWriter& writer, const CookieSettings& settings, std::string_view name) {
    set_sign_in_cookie(writer, settings, name, "", std::chrono::seconds(0));
}

bool cookie_path_matches(std::string_view cookie_path, std::string_view request_path) noexcept {
    if (cookie_path.empty() || request_path.substr(0, cookie_path.size()) != cookie_path) return false;
    return request_path.size() == cookie_path.size() || cookie_path.back() == '/' || request_path[cookie_path.size()] == '/';
}

void clear_session_cookies(Pistache::Http::ResponseWriter& writer, const CookieSettings& settings) {
    auto& jar = writer.cookies();
    jar.add(session_cookie(settings.access_cookie, "", settings.path, 0, true, settings));
    jar.add(session_cookie(settings.refresh_cookie, "", settings.refresh_path, 0, true, settings));
    jar.add(session_cookie(settings.csrf_cookie, "", settings.path, 0, false, settings));
}

}  // namespace fauth::http
