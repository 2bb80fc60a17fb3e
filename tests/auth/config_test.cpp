#include "fauth/auth/config.hpp"

#include <gtest/gtest.h>

#include "fauth/core/errors.hpp"

namespace {

fauth::AuthConfig good() {
    fauth::AuthConfig c;
    c.secret_key = std::string(32, 'k');
    return c;
}

// The ConfigError message for `c`, or "" if it validates.
std::string error_of(const fauth::AuthConfig& c) {
    try {
        c.validate();
        return "";
    } catch (const fauth::ConfigError& e) {
        return e.what();
    }
}

}  // namespace

TEST(AuthConfig, DefaultsMatchTheDocumentedValues) {
    const fauth::AuthConfig c;
    EXPECT_EQ(c.bcrypt_cost, 12);
    EXPECT_EQ(c.worker_threads, 2u);
    EXPECT_EQ(c.token_url, "/login");
    EXPECT_EQ(c.max_login_body_bytes, 4096u);
    EXPECT_EQ(error_of(good()), "");
}

TEST(AuthConfig, ValidatesTheTokenSettingsToo) {
    auto c = good();
    c.secret_key.clear();
    EXPECT_NE(error_of(c).find("secret_key is empty"), std::string::npos) << error_of(c);
    c = good();
    c.access_token_ttl = std::chrono::seconds(0);
    EXPECT_NE(error_of(c).find("access_token_ttl"), std::string::npos) << error_of(c);
}

TEST(AuthConfig, RefusesUnusableProviderSettings) {
    auto c = good();
    c.bcrypt_cost = 3;
    EXPECT_NE(error_of(c).find("bcrypt_cost"), std::string::npos);
    c.bcrypt_cost = 32;
    EXPECT_NE(error_of(c).find("bcrypt_cost"), std::string::npos);
    c = good();
    c.worker_threads = 0;
    EXPECT_NE(error_of(c).find("worker_threads"), std::string::npos);
    c = good();
    c.worker_queue_capacity = 0;
    EXPECT_NE(error_of(c).find("worker_queue_capacity"), std::string::npos);
    c = good();
    c.worker_nice = -1;
    EXPECT_NE(error_of(c).find("worker_nice"), std::string::npos);
    c.worker_nice = 20;
    EXPECT_NE(error_of(c).find("worker_nice"), std::string::npos);
    c = good();
    c.token_url = "login";
    EXPECT_NE(error_of(c).find("token_url"), std::string::npos);
    c = good();
    c.login_limits.per_client.burst = 0;
    EXPECT_NE(error_of(c).find("login_limits"), std::string::npos);
    c = good();
    c.max_login_body_bytes = 0;
    EXPECT_NE(error_of(c).find("max_login_body_bytes"), std::string::npos);
}
