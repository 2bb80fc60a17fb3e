#include "fauth/auth/config.hpp"

#include <cctype>

#include <string>
#include <string_view>

#include "fauth/core/api_key.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/errors.hpp"

namespace fauth {
namespace {

// RFC 6265 section 4.1.1: a cookie name is an RFC 7230 token; so is a header name.
bool is_token(std::string_view text) {
    if (text.empty()) return false;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f || std::string_view("()<>@,;:\\\"/[]?={}").find(ch) != std::string_view::npos) return false;
    }
    return true;
}

// A Path or Domain attribute value: printable, without ';' (which would start another attribute).
bool is_attribute_value(std::string_view text) {
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f || ch == ';' || ch == ',') return false;
    }
    return true;
}

void validate_cookies(const AuthConfig& config) {
    const auto& c = config.cookies;
    if (!c.accepts_cookie()) return;
    if (config.tokens.secret_key.empty())
        throw ConfigError("AuthConfig.cookies: CSRF tokens are bound to the session with secret_key; set it to use cookies");
    for (const auto* name : {&c.access_cookie, &c.refresh_cookie, &c.csrf_cookie})
        if (!is_token(*name)) throw ConfigError("AuthConfig.cookies: '" + *name + "' is not a valid cookie name");
    if (c.access_cookie == c.refresh_cookie || c.access_cookie == c.csrf_cookie || c.refresh_cookie == c.csrf_cookie)
        throw ConfigError("AuthConfig.cookies: the three cookie names must differ");
    if (!is_token(c.csrf_header)) throw ConfigError("AuthConfig.cookies.csrf_header is not a valid header name");
    for (const auto* path : {&c.path, &c.refresh_path})
        if (path->empty() || path->front() != '/' || !is_attribute_value(*path))
            throw ConfigError("AuthConfig.cookies: path '" + *path + "' must be an absolute path without spaces or ';'");
    if (!is_attribute_value(c.domain)) throw ConfigError("AuthConfig.cookies.domain holds a space or ';'");
    // Browsers silently drop prefixed cookies that break their rules: say so now, not in production.
    const auto check_prefix = [&](const std::string& name, const std::string& path) {
        // Browsers match the prefixes without regard to case.
        const auto lowered = ascii_lower(name);
        if (lowered.rfind("__secure-", 0) == 0 && !c.secure)
            throw ConfigError("AuthConfig.cookies: a __Secure- cookie (" + name + ") needs secure = true");
        if (lowered.rfind("__host-", 0) == 0 && (!c.secure || path != "/" || !c.domain.empty()))
            throw ConfigError("AuthConfig.cookies: a __Host- cookie (" + name + ") needs secure = true, path \"/\" and no domain");
    };
    check_prefix(c.access_cookie, c.path);
    check_prefix(c.csrf_cookie, c.path);
    check_prefix(c.refresh_cookie, c.refresh_path);
    const auto ends_with = [](std::string_view text, std::string_view end) {
        return text.size() > end.size() && text.substr(text.size() - end.size()) == end;
    };
    for (const auto& origin : c.trusted_origins) {
        const auto lowered = ascii_lower(origin);
        const auto scheme_end = lowered.find("://");
        const auto scheme = std::string_view(lowered).substr(0, scheme_end);
        if (scheme_end == std::string::npos || scheme_end == 0 || lowered.size() == scheme_end + 3 ||
            lowered.find_first_of("/?#@", scheme_end + 3) != std::string::npos || !is_attribute_value(lowered) ||
            (scheme == "https" && ends_with(lowered, ":443")) || (scheme == "http" && ends_with(lowered, ":80")))
            throw ConfigError("AuthConfig.cookies.trusted_origins: '" + origin +
                              "' is not an origin as a browser writes it, such as https://app.example.com (no path, query, "
                              "user or default port, no trailing slash)");
    }
}

}  // namespace

void AuthConfig::validate() const {
    tokens.validate();
    if (bcrypt_cost < 4 || bcrypt_cost > 31)
        throw ConfigError("AuthConfig.bcrypt_cost must be between 4 and 31 (got " + std::to_string(bcrypt_cost) + ")");
    if (worker_threads == 0) throw ConfigError("AuthConfig.worker_threads must be at least 1");
    if (worker_queue_capacity == 0) throw ConfigError("AuthConfig.worker_queue_capacity must be at least 1");
    if (callback_threads == 0) throw ConfigError("AuthConfig.callback_threads must be at least 1");
    if (max_key_fetch_waits == 0) throw ConfigError("AuthConfig.max_key_fetch_waits must be at least 1");
    if (max_password_wait <= std::chrono::milliseconds(0)) throw ConfigError("AuthConfig.max_password_wait must be positive");
    if (refresh_repeat_grace < std::chrono::seconds(0) || refresh_repeat_grace > std::chrono::seconds(60))
        throw ConfigError("AuthConfig.refresh_repeat_grace must be between 0 and 60 seconds");
    if (max_password_checks_per_client == 0) throw ConfigError("AuthConfig.max_password_checks_per_client must be at least 1");
    if (worker_nice < 0 || worker_nice > 19) throw ConfigError("AuthConfig.worker_nice must be between 0 and 19");
    for (const char ch : login_limits.device_cookie)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
            throw ConfigError("AuthConfig.login_limits.device_cookie must be letters, digits, '_' and '-' only");
    if (login_limits.device_lifetime <= std::chrono::seconds(0))
        throw ConfigError("AuthConfig.login_limits.device_lifetime must be positive");
    for (const auto* limit : {&login_limits.per_client, &login_limits.per_client_identifier, &login_limits.per_identifier,
                              &login_limits.per_device})
        if (!(limit->burst >= 1) || !(limit->per_second > 0))
            throw ConfigError("AuthConfig.login_limits need burst >= 1 and per_second > 0");
    if (login_limits.per_client_identifier.burst >= login_limits.per_identifier.burst ||
        login_limits.per_client_identifier.per_second > login_limits.per_identifier.per_second)
        throw ConfigError("AuthConfig.login_limits.per_client_identifier must have a smaller burst than per_identifier and "
                          "at most its rate: otherwise one address alone could lock a login name out for everyone");
    for (const auto* limit : {&refresh_limits.per_client, &refresh_limits.per_family})
        if (!(limit->burst >= 1) || !(limit->per_second > 0))
            throw ConfigError("AuthConfig.refresh_limits need burst >= 1 and per_second > 0");
    if (session_lifetime.count() <= 0 || session_lifetime > std::chrono::hours(24 * 365 * 100))
        throw ConfigError("AuthConfig.session_lifetime must be positive and at most 100 years");
    if (ipv6_client_prefix < 1 || ipv6_client_prefix > 128)
        throw ConfigError("AuthConfig.ipv6_client_prefix must be between 1 and 128");
    if (token_url.empty() || token_url.front() != '/')
        throw ConfigError("AuthConfig.token_url must be an absolute path such as /login");
    if (max_login_body_bytes == 0) throw ConfigError("AuthConfig.max_login_body_bytes must be at least 1");
    validate_cookies(*this);
    validate_api_key_prefix(api_keys.prefix);
    if (!is_token(api_keys.header)) throw ConfigError("AuthConfig.api_keys.header is not a valid header name");
    if (ascii_iequals(api_keys.header, "Authorization") || ascii_iequals(api_keys.header, "Cookie"))
        throw ConfigError("AuthConfig.api_keys.header must not be Authorization or Cookie, which carry the other schemes");
    if (!api_keys.query_parameter.empty() && !is_token(api_keys.query_parameter))
        throw ConfigError("AuthConfig.api_keys.query_parameter is not a valid parameter name");
}

}  // namespace fauth
