#include "fauth/auth/config.hpp"

#include <gtest/gtest.h>

#include "fauth/core/errors.hpp"
#include "support/config.hpp"
#include "support/keys.hpp"
#include "fauth/core/keys.hpp"

namespace {

fauth::AuthConfig good() { return fauth::test::valid_config<fauth::AuthConfig>(); }
fauth::AuthConfig good_with(std::shared_ptr<fauth::KeyRing> keys) {
    auto c = good();
    c.tokens.secret_key.clear();
    c.tokens.keys = std::move(keys);
    return c;
}
using fauth::test::config_error;

}  // namespace

TEST(AuthConfig, DefaultsMatchTheDocumentedValues) {
    const fauth::AuthConfig c;
    EXPECT_EQ(c.bcrypt_cost, 12);
    EXPECT_EQ(c.worker_threads, 2u);
    EXPECT_EQ(c.callback_threads, 2u);
    EXPECT_EQ(c.max_key_fetch_waits, 1024u);
    EXPECT_EQ(c.token_url, "/login");
    EXPECT_EQ(c.max_login_body_bytes, 4096u);
    EXPECT_EQ(config_error(good()), "");
}

TEST(AuthConfig, ValidatesTheTokenSettingsToo) {
    auto c = good();
    c.tokens.secret_key.clear();
    EXPECT_NE(config_error(c).find("secret_key is empty"), std::string::npos) << config_error(c);
    c = good();
    c.tokens.access_token_ttl = std::chrono::seconds(0);
    EXPECT_NE(config_error(c).find("access_token_ttl"), std::string::npos) << config_error(c);
}

TEST(AuthConfig, RefusesUnusableProviderSettings) {
    auto c = good();
    c.bcrypt_cost = 3;
    EXPECT_NE(config_error(c).find("bcrypt_cost"), std::string::npos);
    c.bcrypt_cost = 32;
    EXPECT_NE(config_error(c).find("bcrypt_cost"), std::string::npos);
    c = good();
    c.worker_threads = 0;
    EXPECT_NE(config_error(c).find("worker_threads"), std::string::npos);
    c = good();
    c.worker_queue_capacity = 0;
    EXPECT_NE(config_error(c).find("worker_queue_capacity"), std::string::npos);
    c = good();
    c.callback_threads = 0;
    EXPECT_NE(config_error(c).find("callback_threads"), std::string::npos);
    c = good();
    c.max_key_fetch_waits = 0;
    EXPECT_NE(config_error(c).find("max_key_fetch_waits"), std::string::npos);
    c = good();
    c.worker_nice = -1;
    EXPECT_NE(config_error(c).find("worker_nice"), std::string::npos);
    c.worker_nice = 20;
    EXPECT_NE(config_error(c).find("worker_nice"), std::string::npos);
    c = good();
    c.token_url = "login";
    EXPECT_NE(config_error(c).find("token_url"), std::string::npos);
    c = good();
    c.login_limits.per_client.burst = 0;
    EXPECT_NE(config_error(c).find("login_limits"), std::string::npos);
    c = good();
    c.max_login_body_bytes = 0;
    EXPECT_NE(config_error(c).find("max_login_body_bytes"), std::string::npos);
}

TEST(AuthConfig, RefusesCookieSettingsABrowserWouldDropOrMisread) {
    const auto cookies = [] {
        auto c = good();
        c.cookies.transport = fauth::CredentialTransport::bearer_or_cookie;
        return c;
    };
    EXPECT_EQ(config_error(cookies()), "") << "the defaults are usable";
    auto c = cookies();
    c.tokens.secret_key.clear();  // an asymmetric key of its own instead
    fauth::KeySet keys;
    keys.add(fauth::Key::from_pem("ES256", fauth::test::make_pem_pair("ES256").private_pem, "k1")).sign_with("k1");
    c.tokens.keys = std::make_shared<fauth::KeyRing>(std::move(keys));
    EXPECT_EQ(config_error(good_with(c.tokens.keys)), "") << "usable without cookies";
    EXPECT_NE(config_error(c).find("CSRF tokens are bound to the session with secret_key"), std::string::npos) << config_error(c);
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
    for (const std::string origin : {"app.example.com", "https://app.example.com/", "https://", "https://a.example.com/path",
                                     "https://app.example.com?x", "https://app.example.com:443", "http://app.example.com:80",
                                     "https://user@app.example.com"}) {
        c = cookies();
        c.cookies.trusted_origins = {origin};
        EXPECT_NE(config_error(c).find("trusted_origins"), std::string::npos) << origin;
    }
    c = good();  // bearer only: cookie settings are not read, so not judged
    c.cookies.access_cookie = "";
    EXPECT_EQ(config_error(c), "");
}
