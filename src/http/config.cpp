#include "fauth/http/config.hpp"

#include <cctype>

#include <string>
#include <string_view>

#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/random.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/http/client_address.hpp"
#include "fauth/http/resource_metadata.hpp"

namespace fauth::http {
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

void validate_cookies(const CookieSettings& c) {
    if (!c.accepts_cookie()) return;
    for (const auto* name : {&c.access_cookie, &c.refresh_cookie, &c.csrf_cookie})
        if (!is_token(*name)) throw ConfigError("HttpConfig.cookies: '" + *name + "' is not a valid cookie name");
    if (c.access_cookie == c.refresh_cookie || c.access_cookie == c.csrf_cookie || c.refresh_cookie == c.csrf_cookie)
        throw ConfigError("HttpConfig.cookies: the three cookie names must differ");
    if (!is_token(c.csrf_header)) throw ConfigError("HttpConfig.cookies.csrf_header is not a valid header name");
    for (const auto* path : {&c.path, &c.refresh_path})
        if (path->empty() || path->front() != '/' || !is_attribute_value(*path))
            throw ConfigError("HttpConfig.cookies: path '" + *path + "' must be an absolute path without spaces or ';'");
    if (!is_attribute_value(c.domain)) throw ConfigError("HttpConfig.cookies.domain holds a space or ';'");
    // Browsers silently drop prefixed cookies that break their rules: say so now, not in production.
    const auto check_prefix = [&](const std::string& name, const std::string& path) {
        // Browsers match the prefixes without regard to case.
        const auto lowered = ascii_lower(name);
        if (lowered.rfind("__secure-", 0) == 0 && !c.secure)
            throw ConfigError("HttpConfig.cookies: a __Secure- cookie (" + name + ") needs secure = true");
        if (lowered.rfind("__host-", 0) == 0 && (!c.secure || path != "/" || !c.domain.empty()))
            throw ConfigError("HttpConfig.cookies: a __Host- cookie (" + name +
                              ") needs secure = true, path \"/\" and no domain");
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
            throw ConfigError("HttpConfig.cookies.trusted_origins: '" + origin +
                              "' is not an origin as a browser writes it, such as https://app.example.com (no path, query, "
                              "user or default port, no trailing slash)");
    }
}

void validate_dpop(const DpopSettings& d) {
    if (d.policy.algorithms.empty()) throw ConfigError("HttpConfig.dpop.policy.algorithms names no algorithm");
    for (const auto& alg : d.policy.algorithms)
        if (!is_supported_algorithm(alg) || is_hmac_algorithm(alg))
            throw ConfigError("HttpConfig.dpop.policy.algorithms: '" + alg +
                              "' is not an asymmetric JWS algorithm fauth verifies (a proof is signed by its holder's own key)");
    if (d.policy.max_age <= std::chrono::seconds(0)) throw ConfigError("HttpConfig.dpop.policy.max_age must be positive");
    if (d.policy.leeway < std::chrono::seconds(0)) throw ConfigError("HttpConfig.dpop.policy.leeway must not be negative");
    if (d.nonce_lifetime < std::chrono::seconds(0)) throw ConfigError("HttpConfig.dpop.nonce_lifetime must not be negative");
    if (!d.nonce_secret.empty() && d.nonce_secret.size() < 16)
        throw ConfigError("HttpConfig.dpop.nonce_secret must be at least 16 bytes (or empty: a random one)");
    if (d.policy.max_proof_bytes < 256) throw ConfigError("HttpConfig.dpop.policy.max_proof_bytes must be at least 256");
    if (!d.origin.empty()) {
        const auto normal = normalized_htu(d.origin);
        if (!normal || d.origin.find_first_of("?#") != std::string::npos ||
            normal->find('/', normal->find("://") + 3) != normal->size() - 1 || d.origin.back() == '/')
            throw ConfigError("HttpConfig.dpop.origin: '" + d.origin +
                              "' is not an origin such as https://api.example.com (no path, query or trailing slash)");
    }
}

}  // namespace

void HttpConfig::validate() const {
    if (token_url.empty() || token_url.front() != '/')
        throw ConfigError("HttpConfig.token_url must be an absolute path such as /login");
    if (ipv6_client_prefix < 1 || ipv6_client_prefix > 128)
        throw ConfigError("HttpConfig.ipv6_client_prefix must be between 1 and 128");
    if (max_token_request_bytes == 0) throw ConfigError("HttpConfig.max_token_request_bytes must be at least 1");
    validate_cookies(cookies);
    for (const char ch : device_cookie.name)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-')
            throw ConfigError("HttpConfig.device_cookie.name must be letters, digits, '_' and '-' only");
    if (device_cookie.lifetime <= std::chrono::seconds(0))
        throw ConfigError("HttpConfig.device_cookie.lifetime must be positive");
    if (!is_token(api_keys.header)) throw ConfigError("HttpConfig.api_keys.header is not a valid header name");
    if (ascii_iequals(api_keys.header, "Authorization") || ascii_iequals(api_keys.header, "Cookie"))
        throw ConfigError("HttpConfig.api_keys.header must not be Authorization or Cookie, which carry the other schemes");
    if (!api_keys.query_parameter.empty() && !is_token(api_keys.query_parameter))
        throw ConfigError("HttpConfig.api_keys.query_parameter is not a valid parameter name");
    validate_dpop(dpop);
    // An entry that is not an address would never match a peer: the proxy it meant to trust
    // would be taken for the client, silently.
    for (const auto& proxy : trusted_proxies)
        if (!parse_ip_address(proxy))
            throw ConfigError("HttpConfig.trusted_proxies names '" + proxy +
                              "', which is not an IP address (one address per entry, as 10.0.0.2 or ::1; ranges are not read)");
    if (certificate_binding.client_cert_header && certificate_binding.mode == CertificateBindingMode::off)
        throw ConfigError(
            "HttpConfig.certificate_binding.client_cert_header is set, but its mode is off (no certificate is read)");
    if (certificate_binding.client_cert_header && trusted_proxies.empty())
        throw ConfigError(
            "HttpConfig.certificate_binding.client_cert_header is set, but no trusted_proxies are listed: "
            "the Client-Cert header is believed only from them");
    if (!resource_metadata_url.empty()) {
        // RFC 9728 section 3.1: the well-known path comes right after the host, the resource's path after it.
        const std::string_view url = resource_metadata_url;
        const auto authority = url.find("://");
        const auto path = authority == std::string_view::npos ? authority : url.find('/', authority + 3);
        const auto rest = path == std::string_view::npos ? std::string_view() : url.substr(path);
        if ((!url.starts_with("https://") && !url.starts_with("http://")) || !rest.starts_with(kResourceMetadataPath) ||
            (rest.size() > kResourceMetadataPath.size() && rest[kResourceMetadataPath.size()] != '/'))
            throw ConfigError("HttpConfig.resource_metadata_url '" + resource_metadata_url +
                              "' is not where RFC 9728 puts a resource's metadata (https://HOST/.well-known/"
                              "oauth-protected-resource, then the resource's path): use resource_metadata_url(resource)");
    }
}

HttpConfig in_force(HttpConfig config) {
    config.validate();
    // One replay cache for every route, so that a proof is used once whichever route it names.
    if (!config.dpop.replay_cache) config.dpop.replay_cache = std::make_shared<MemoryReplayCache>();
    // One nonce key for every route too, so that a nonce one route gave out is good at the others.
    if (config.dpop.nonce_lifetime > std::chrono::seconds(0) && config.dpop.nonce_secret.empty())
        config.dpop.nonce_secret = random_bytes(32);
    auto& c = config.cookies;
    if (!c.secure) return config;
    const bool host_only = c.domain.empty() && c.path == "/";
    if (host_only && c.access_cookie == "fauth_access") c.access_cookie = "__Host-fauth_access";
    if (host_only && c.csrf_cookie == "fauth_csrf") c.csrf_cookie = "__Host-fauth_csrf";
    if (c.refresh_cookie == "fauth_refresh") c.refresh_cookie = "__Secure-fauth_refresh";
    if (config.device_cookie.name == "fauth_device") config.device_cookie.name = "__Secure-fauth_device";
    return config;
}

}  // namespace fauth::http
