#include "fauth/http/login.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/clock.hpp"
#include "fauth/core/internal/random.hpp"

#include <charconv>

#include "fauth/http/openapi.hpp"

namespace fauth::http {

using nlohmann::json;

json token_answer_schema(TokenDelivery delivery) {
    if (delivery == TokenDelivery::body) return {{"$ref", "#/components/schemas/TokenResponse"}};
    return {{"type", "object"},
            {"properties",
             {{"token_type", {{"type", "string"}, {"const", "cookie"}}},
              {"expires_in", {{"type", "integer"}}},
              {"csrf_token", {{"type", "string"}}}}}};
}

RouteDoc login_route_doc(TokenDelivery delivery) {
    RouteDoc doc;
    const bool cookies = delivery == TokenDelivery::cookies;
    doc.summary =
        cookies ? "Log in with a username and password: a browser session in cookies" : "Log in with a username and password";
    doc.description = cookies ? "Form or JSON. Sets the HttpOnly access and refresh cookies and the readable CSRF cookie, "
                                "whose value must be sent back in the CSRF header with every request that changes state."
                              : "OAuth2 password flow (form) or JSON. Client credentials are ignored.";
    const json form_schema = {{"type", "object"},
                              {"properties",
                               {{"username", {{"type", "string"}}},
                                {"password", {{"type", "string"}, {"format", "password"}}},
                                {"grant_type", {{"type", "string"}, {"pattern", "^password$"}}},
                                {"scope", {{"type", "string"}, {"default", ""}}},
                                {"client_id", {{"type", "string"}}},
                                {"client_secret", {{"type", "string"}, {"format", "password"}}}}},
                              {"required", json::array({"username", "password"})}};
    const json json_schema = {{"type", "object"},
                              {"properties",
                               {{"username", {{"type", "string"}}}, {"password", {{"type", "string"}, {"format", "password"}}}}},
                              {"required", json::array({"username", "password"})}};
    doc.request_body = {{"required", true},
                        {"content",
                         {{"application/x-www-form-urlencoded", {{"schema", form_schema}}},
                          {"application/json", {{"schema", json_schema}}}}}};
    const json token_schema = token_answer_schema(delivery);
    if (!cookies)
        doc.parameters = json::array({dpop_header_parameter(
            "A DPoP proof (RFC 9449) for POST and this URL, without `ath`: the tokens are then bound to its key "
            "(`cnf.jkt`) and `token_type` is `DPoP`. Read while DPoP is on (required when DPoP is required).")});
    doc.responses = {{"200",
                      {{"description", cookies ? "Session cookies set" : "Tokens"},
                       {"content", {{"application/json", {{"schema", token_schema}}}}}}},
                     {"401",
                      error_response_doc(cookies ? "Invalid credentials" : "Invalid credentials, or an invalid DPoP proof")},
                     {"403", error_response_doc(cookies ? "Inactive user, or a foreign origin" : "Inactive user")},
                     {"413", error_response_doc("Request body too large")},
                     {"422", error_response_doc("The body does not hold a username and password")},
                     {"429", error_response_doc("Too many attempts from this client or for this username; see Retry-After")},
                     {"503", error_response_doc("The password checks are overloaded, or the session store cannot be reached; "
                                                "see Retry-After")}};
    return doc;
}

json dpop_header_parameter(std::string_view description) {
    return {{"name", "DPoP"},
            {"in", "header"},
            {"required", false},
            {"description", description},
            {"schema", {{"type", "string"}}}};
}

std::string user_agent_of(const Pistache::Http::Request& request) {
    // Pistache keeps every request header's raw text.
    const auto raw = request.headers().tryGetRaw("User-Agent");
    return raw ? raw->value() : std::string();
}

std::string identifier_key(std::string_view username) {
    return instruments::throttle_key(instruments::ThrottleBucket::login_identifier, sha256_hex(ascii_lower(username)));
}

std::string client_identifier_key(std::string_view client, std::string_view username) {
    return instruments::throttle_key(instruments::ThrottleBucket::login_client_identifier,
                                     std::string(client) + " " + sha256_hex(ascii_lower(username)));
}

std::string logged_identifier(const TokenCodec& codec, std::string_view username) {
    if (codec.config().secret_key.empty()) return {};
    return "hmac:" + codec.fingerprint("fauth-login-name-v1:" + ascii_lower(username));
}

bool device_cookies_on(const HttpConfig& http, const TokenCodec& codec) noexcept {
    return !http.device_cookie.name.empty() && !codec.config().secret_key.empty();
}

namespace {

// What a device cookie's digest covers: its id and time, and the name it was given for.
std::string device_mac_input(std::string_view signed_part, std::string_view username) {
    return "fauth-device-v1:" + std::string(signed_part) + ":" + sha256_hex(ascii_lower(username));
}

constexpr std::size_t kDeviceIdChars = 22;  // 128 bits in base64url

}  // namespace

std::string device_cookie_value(const TokenCodec& codec, std::string_view username, std::int64_t issued) {
    std::string value = base64url_encode(random_bytes(16)) + "." + std::to_string(issued);
    const auto mac = codec.fingerprint(device_mac_input(value, username));
    return value + "." + mac;
}

std::string device_of(const TokenCodec& codec, std::string_view value, std::string_view username, std::int64_t now,
                      std::chrono::seconds lifetime) noexcept {
    try {
        const auto last = value.rfind('.');
        if (value.size() > 128 || last == std::string_view::npos) return {};
        const auto signed_part = value.substr(0, last);
        if (signed_part.size() <= kDeviceIdChars + 1 || signed_part[kDeviceIdChars] != '.') return {};
        const auto time = signed_part.substr(kDeviceIdChars + 1);
        std::int64_t issued = 0;
        const auto [end, error] = std::from_chars(time.data(), time.data() + time.size(), issued);
        if (error != std::errc() || end != time.data() + time.size() || issued > now || now - issued > lifetime.count())
            return {};
        if (!equal_in_constant_time(codec.fingerprint(device_mac_input(signed_part, username)), value.substr(last + 1)))
            return {};
        return std::string(signed_part.substr(0, kDeviceIdChars));
    } catch (...) {
        return {};  // no key to check it with, or no memory: no device
    }
}

void add_device_cookie(Pistache::Http::ResponseWriter& writer, const HttpConfig& config, const TokenCodec& codec,
                       std::string_view username, std::string path) {
    Pistache::Http::Cookie cookie(config.device_cookie.name,
                                  device_cookie_value(codec, username, unix_seconds(codec.config().clock)));
    cookie.path = std::move(path);
    if (!config.cookies.domain.empty()) cookie.domain = config.cookies.domain;
    cookie.maxAge = static_cast<int>(std::min<std::int64_t>(config.device_cookie.lifetime.count(), INT32_MAX));
    cookie.secure = config.cookies.secure;
    cookie.httpOnly = true;
    cookie.ext["SameSite"] = "Strict";
    writer.cookies().add(cookie);
}

void send_token_response(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens) {
    writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
    writer.headers().add<PragmaNoCache>();
    send_json(writer, Pistache::Http::Code::Ok, json(tokens));
}

void send_second_factor_required(Pistache::Http::ResponseWriter& writer, const std::string& token) {
    writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
    send_json(writer, Pistache::Http::Code::Forbidden,
              json{{"detail", kSecondFactorRequired},
                   {"second_factor_token", token},
                   {"factors", json::array({"totp", "recovery_code"})}});
}

std::string second_factor_token(const TokenCodec& codec, const std::string& user_sub, std::string_view jkt) {
    json extra;
    if (!jkt.empty()) extra = json{{"cnf", {{"jkt", jkt}}}};
    return codec.issue(TokenType::second_factor, user_sub, {}, std::move(extra));
}

void refuse_attempt(const Engine& engine, SignInAttempt& attempt, const Failure& why) {
    engine.instruments().sign_ins.add(instruments::Result::failure, instruments::error_type(why.kind));
    const bool quiet = why.kind == ErrorKind::internal || why.kind == ErrorKind::unavailable ||
                       attempt.event.type == SecurityEventType::login_success;
    refuse(attempt.writer, engine.config(), why, false, attempt.event, quiet ? Report::none : Report::attempt);
}

}  // namespace fauth::http
