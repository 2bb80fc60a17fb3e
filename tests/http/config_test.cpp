// HttpConfig's defaults and validation: the token URL, the body bound, the cookies (names,
// paths, prefixes, origins), the device cookie and the API key's transport.
#include "fauth/http/config.hpp"

#include <gtest/gtest.h>

#include "fauth/core/errors.hpp"
#include "support/config.hpp"

namespace {

using fauth::test::config_error;

}  // namespace

TEST(HttpConfig, DefaultsMatchTheDocumentedValues) {
    const fauth::http::HttpConfig c;
    EXPECT_EQ(c.token_url, "/login");
    EXPECT_EQ(c.max_token_request_bytes, 4096u);
    EXPECT_EQ(c.ipv6_client_prefix, 64);
    EXPECT_EQ(c.cookies.transport, fauth::http::CredentialTransport::bearer);
    EXPECT_EQ(c.api_keys.header, "X-API-Key");
    EXPECT_EQ(c.device_cookie.name, "fauth_device");
    EXPECT_EQ(config_error(c), "");
}

TEST(HttpConfig, RefusesUnusableSettings) {
    fauth::http::HttpConfig c;
    c.token_url = "login";
    EXPECT_NE(config_error(c).find("token_url"), std::string::npos);
    c = {};
    c.max_token_request_bytes = 0;
    EXPECT_NE(config_error(c).find("max_token_request_bytes"), std::string::npos);
    c = {};
    c.ipv6_client_prefix = 0;
    EXPECT_NE(config_error(c).find("ipv6_client_prefix"), std::string::npos);
    c.ipv6_client_prefix = 129;
    EXPECT_NE(config_error(c).find("ipv6_client_prefix"), std::string::npos);
    c = {};
    c.device_cookie.name = "a;b";
    EXPECT_NE(config_error(c).find("device_cookie.name"), std::string::npos);
    c = {};
    c.device_cookie.lifetime = std::chrono::seconds(0);
    EXPECT_NE(config_error(c).find("device_cookie.lifetime"), std::string::npos);
    c = {};
    c.api_keys.header = "Authorization";
    EXPECT_NE(config_error(c).find("api_keys.header"), std::string::npos);
    c.api_keys.header = "X Key";
    EXPECT_NE(config_error(c).find("api_keys.header"), std::string::npos);
    c = {};
    c.api_keys.query_parameter = "a b";
    EXPECT_NE(config_error(c).find("api_keys.query_parameter"), std::string::npos);
    c = {};
    c.trusted_proxies = {"10.0.0.2", "proxy.internal"};
    EXPECT_NE(config_error(c).find("trusted_proxies names 'proxy.internal'"), std::string::npos);
    c.trusted_proxies = {"10.0.0.0/8"};
    EXPECT_NE(config_error(c).find("trusted_proxies names '10.0.0.0/8'"), std::string::npos);
    c.trusted_proxies = {""};
    EXPECT_NE(config_error(c).find("trusted_proxies"), std::string::npos);
    c.trusted_proxies = {"10.0.0.2", "[::1]", "::1", "127.0.0.1:8080"};
    EXPECT_EQ(config_error(c), "");
}

TEST(HttpConfig, RefusesCookieSettingsABrowserWouldDropOrMisread) {
    const auto cookies = [] {
        fauth::http::HttpConfig c;
        c.cookies.transport = fauth::http::CredentialTransport::bearer_or_cookie;
        return c;
    };
    EXPECT_EQ(config_error(cookies()), "") << "the defaults are usable";
    auto c = cookies();
    for (const std::string name : {"", "a b", "a;b", "a=b", "caf\xc3\xa9"}) {
        c = cookies();
        c.cookies.access_cookie = name;
        EXPECT_NE(config_error(c).find("is not a valid cookie name"), std::string::npos) << name;
    }
    c = cookies();
    c.cookies.csrf_cookie = c.cookies.access_cookie;
    EXPECT_NE(config_error(c).find("must differ"), std::string::npos);
    c = cookies();
    c.cookies.csrf_header = "X CSRF";
    EXPECT_NE(config_error(c).find("csrf_header"), std::string::npos);
    for (const std::string path : {"", "refresh", "/a;Domain=evil.example", "/a b"}) {
        c = cookies();
        c.cookies.refresh_path = path;
        EXPECT_NE(config_error(c).find("must be an absolute path"), std::string::npos) << path;
    }
    c = cookies();
    c.cookies.domain = "example.com; Secure";
    EXPECT_NE(config_error(c).find("domain"), std::string::npos);
    c = cookies();
    c.cookies.access_cookie = "__Host-access";
    c.cookies.secure = false;
    EXPECT_NE(config_error(c).find("__Host- cookie"), std::string::npos);
    c.cookies.secure = true;
    EXPECT_EQ(config_error(c), "");
    c.cookies.domain = "example.com";
    EXPECT_NE(config_error(c).find("__Host- cookie"), std::string::npos);
    c = cookies();
    c.cookies.refresh_cookie = "__Host-refresh";  // its path is /refresh, not /
    EXPECT_NE(config_error(c).find("__Host- cookie"), std::string::npos);
    c = cookies();
    c.cookies.csrf_cookie = "__Secure-csrf";
    c.cookies.secure = false;
    EXPECT_NE(config_error(c).find("__Secure- cookie"), std::string::npos);
    c = cookies();
    c.cookies.access_cookie = "__host-access";  // browsers match the prefix without case
    c.cookies.secure = false;
    EXPECT_NE(config_error(c).find("__Host- cookie"), std::string::npos);
    for (const std::string origin :
         {"app.example.com", "https://app.example.com/", "https://", "https://a.example.com/path", "https://app.example.com?x",
          "https://app.example.com:443", "http://app.example.com:80", "https://user@app.example.com"}) {
        c = cookies();
        c.cookies.trusted_origins = {origin};
        EXPECT_NE(config_error(c).find("trusted_origins"), std::string::npos) << origin;
    }
    c = {};  // bearer only: cookie settings are not read, so not judged
    c.cookies.access_cookie = "";
    EXPECT_EQ(config_error(c), "");
}

TEST(HttpConfig, InForceIsValidatedAndPrefixesTheDefaultCookieNames) {
    fauth::http::HttpConfig c;
    c.token_url = "login";
    EXPECT_THROW((void)fauth::http::in_force(c), fauth::ConfigError);
    c = {};
    c.cookies.transport = fauth::http::CredentialTransport::cookie;
    const auto secure = fauth::http::in_force(c);
    EXPECT_EQ(secure.cookies.access_cookie, "__Host-fauth_access");
    EXPECT_EQ(secure.device_cookie.name, "__Secure-fauth_device");
    c.cookies.secure = false;
    EXPECT_EQ(fauth::http::in_force(c).cookies.access_cookie, "fauth_access") << "no prefix without Secure";
}
