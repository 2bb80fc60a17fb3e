#include "fauth/auth/config.hpp"

#include <gtest/gtest.h>

#include "fauth/core/errors.hpp"
#include "support/config.hpp"

namespace {

fauth::AuthConfig good() { return fauth::test::valid_config<fauth::AuthConfig>(); }
using fauth::test::config_error;

}  // namespace

TEST(AuthConfig, DefaultsMatchTheDocumentedValues) {
    const fauth::AuthConfig c;
    EXPECT_EQ(c.bcrypt_cost, 12);
    EXPECT_EQ(c.worker_threads, 2u);
    EXPECT_EQ(c.callback_threads, 2u);
    EXPECT_EQ(c.max_key_fetch_waits, 1024u);
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
    c.login_limits.per_client.burst = 0;
    EXPECT_NE(config_error(c).find("login_limits"), std::string::npos);
}
