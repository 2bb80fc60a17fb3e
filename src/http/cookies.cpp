#include "fauth/http/cookies.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

#include <nlohmann/json.hpp>

#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/http/login.hpp"
#include "fauth/http/response.hpp"

namespace fauth::http {
namespace {

using Pistache::Http::Method;

// The bearer credentials of `request` (its Authorization header).
BearerCredentials bearer_of(const Pistache::Http::Request& request) {
    const auto header = request.headers().tryGet<Pistache::Http::Header::Authorization>();
    if (!header) return parse_bearer(std::nullopt);
    const std::string value = header->value();  // by value: keep it alive while it is parsed
    return parse_bearer(std::string_view(value));
}

// A request header as sent (Pistache keeps every request header's raw text), or nothing.
std::optional<std::string> raw_header(const Pistache::Http::Request& request, const std::string& name) {
    const auto raw = request.headers().tryGetRaw(name);
    if (!raw) return std::nullopt;
    return raw->value();
}

// The host (and port) the client addressed: the Host header, as sent.
std::string requested_host(const Pistache::Http::Request& request) {
    if (auto raw = raw_header(request, "Host")) return ascii_lower(trim_ows(*raw));
    const auto typed = request.headers().tryGet<Pistache::Http::Header::Host>();
    if (!typed) return {};
    std::string host = ascii_lower(typed->host());
    if (const auto port = static_cast<std::uint16_t>(typed->port()); port != 0 && port != 80 && port != 443)
        host += ":" + std::to_string(port);
    return host;
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

// The API key of `request`: its header, or the configured query parameter (never both).
Credentials api_key_credentials(const Pistache::Http::Request& request, const ApiKeySettings& settings) {
    using Status = BearerCredentials::Status;
    std::optional<std::string> key = raw_header(request, settings.header);
    if (!settings.query_parameter.empty()) {
        if (auto in_query = request.query().get(settings.query_parameter)) {
            if (key) return {Status::malformed, {}, Credentials::Source::api_key};
            key = std::move(in_query);
        }
    }
    if (!key) return {};
    const auto value = trim_ows(*key);
    if (value.empty() || !is_b64token(value)) return {Status::malformed, {}, Credentials::Source::api_key};
    return {Status::present, std::string(value), Credentials::Source::api_key};
}

// The credentials of the first of `schemes` whose credentials `request` carries.
Credentials first_credentials(const Pistache::Http::Request& request, std::span<const Scheme> schemes,
                              const CookieSettings& cookies, const ApiKeySettings* api_keys) {
    for (const auto scheme : schemes) {
        Credentials found;
        if (scheme == Scheme::bearer) {
            auto bearer = bearer_of(request);
            found = {bearer.status, std::move(bearer.token), Credentials::Source::header};
        } else if (scheme == Scheme::cookie) {
            found = cookie_credentials(request, cookies.access_cookie);
        } else if (api_keys != nullptr) {
            found = api_key_credentials(request, *api_keys);
        }
        if (found.status != BearerCredentials::Status::absent) return found;
    }
    return {};
}

int max_age(std::chrono::seconds ttl) {
    return static_cast<int>(std::min<std::int64_t>(ttl.count(), std::numeric_limits<int>::max()));
}

}  // namespace

std::span<const Scheme> default_schemes(const CookieSettings& settings) noexcept {
    // Every answer is a view of this one list: the bearer header first, then the cookie.
    static constexpr Scheme kBearerThenCookie[] = {Scheme::bearer, Scheme::cookie};
    const std::span<const Scheme> both(kBearerThenCookie);
    if (!settings.accepts_bearer()) return settings.accepts_cookie() ? both.subspan(1) : both.first(0);
    return settings.accepts_cookie() ? both : both.first(1);
}

Credentials credentials_of(const Pistache::Http::Request& request, const CookieSettings& settings) {
    return first_credentials(request, default_schemes(settings), settings, nullptr);
}

Credentials credentials_for(const Pistache::Http::Request& request, const std::vector<Scheme>& schemes, const AuthConfig& config) {
    return first_credentials(request, schemes, config.cookies, &config.api_keys);
}

Credentials cookie_credentials(const Pistache::Http::Request& request, std::string_view name) {
    using Status = BearerCredentials::Status;
    // (The jar's iterator yields each cookie by value: keep a copy of the value, not a pointer.)
    std::optional<std::string> found;
    for (const auto& cookie : request.cookies()) {
        if (cookie.name != name) continue;
        // Two cookies of one name: one was planted (by a sibling subdomain, say); trust neither.
        if (found) return {Status::malformed, {}, Credentials::Source::cookie};
        found = cookie.value;
    }
    if (!found) return {};
    if (!is_b64token(*found)) return {Status::malformed, {}, Credentials::Source::cookie};
    return {Status::present, std::move(*found), Credentials::Source::cookie};
}

InvalidToken malformed_credentials(const Credentials& credentials) {
    return InvalidToken(credentials.source == Credentials::Source::cookie ? "malformed session cookie"
                                                                             : "malformed Authorization header");
}

std::exception_ptr malformed_failure(const Credentials& credentials) {
    if (credentials.source == Credentials::Source::api_key) return std::make_exception_ptr(InvalidApiKey("malformed"));
    return std::make_exception_ptr(malformed_credentials(credentials));
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

CsrfEvidence csrf_evidence(const Pistache::Http::Request& request, const Credentials& credentials, const AuthConfig& config,
                           bool changes_state) {
    CsrfEvidence evidence;
    if (credentials.source != Credentials::Source::cookie || !(changes_state || is_unsafe_method(request.method())))
        return evidence;
    evidence.needed = true;
    evidence.foreign_origin = is_foreign_origin(request, config.cookies);
    if (auto token = raw_header(request, config.cookies.csrf_header)) evidence.token = std::string(trim_ows(*token));
    return evidence;
}

std::string csrf_token(const TokenCodec& codec, std::string_view family) {
    return codec.fingerprint(std::string("csrf:").append(family));
}

void check_csrf(const CsrfEvidence& evidence, const TokenPayload& token, const TokenCodec& codec) {
    if (!evidence.needed) return;
    if (evidence.foreign_origin) throw Forbidden("Origin not allowed");
    // A token without a session (not from a fauth login) has no CSRF token to match.
    if (token.family.empty() || evidence.token.empty()) throw Forbidden("CSRF token missing or invalid");
    const auto expected = csrf_token(codec, token.family);
    if (!equal_in_constant_time(expected, evidence.token))
        throw Forbidden("CSRF token missing or invalid");
}

void check_csrf(const CsrfEvidence& evidence, std::string_view token, TokenType type, const TokenCodec& codec) {
    if (evidence.needed) check_csrf(evidence, codec.verify(token, type), codec);
}

void send_tokens(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens, TokenDelivery delivery,
                 const AuthConfig& config, const TokenCodec& codec) {
    if (delivery == TokenDelivery::body) return send_token_response(writer, tokens);
    const auto& settings = config.cookies;
    const auto csrf = csrf_token(codec, tokens.family);
    auto& jar = writer.cookies();
    jar.add(session_cookie(settings.access_cookie, tokens.access_token, settings.path, max_age(config.access_token_ttl), true, settings));
    jar.add(session_cookie(settings.refresh_cookie, tokens.refresh_token, settings.refresh_path,
                           max_age(config.refresh_token_ttl), true, settings));
    jar.add(session_cookie(settings.csrf_cookie, csrf, settings.path, max_age(config.refresh_token_ttl), false, settings));
    writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
    writer.headers().add<PragmaNoCache>();
    send_json(writer, Pistache::Http::Code::Ok,
              nlohmann::json{{"token_type", "cookie"}, {"expires_in", tokens.expires_in}, {"csrf_token", csrf}});
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
