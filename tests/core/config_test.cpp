#include "fauth/core/config.hpp"

#include <gtest/gtest.h>

#include "fauth/core/errors.hpp"
#include "fauth/core/token.hpp"

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
    EXPECT_EQ(c.algorithm, "HS256");
    EXPECT_EQ(c.access_token_ttl, std::chrono::minutes(15));
    EXPECT_EQ(c.refresh_token_ttl, std::chrono::hours(24 * 7));
    EXPECT_EQ(c.leeway, std::chrono::seconds(0));
    EXPECT_EQ(c.bcrypt_cost, 12);
    EXPECT_EQ(c.max_token_bytes, 8192u);
    EXPECT_EQ(c.token_url, "/login");
    EXPECT_EQ(error_of(good()), "");
}

TEST(AuthConfig, RefusesAnEmptySecretAndSaysHowToFixIt) {
    auto c = good();
    c.secret_key.clear();
    EXPECT_NE(error_of(c).find("secret_key is empty"), std::string::npos) << error_of(c);
}

TEST(AuthConfig, RefusesASecretShorterThanTheDigest) {
    auto c = good();
    c.secret_key = std::string(31, 'k');
    EXPECT_NE(error_of(c).find("needs at least 32"), std::string::npos) << error_of(c);
    c.algorithm = "HS384";
    c.secret_key = std::string(47, 'k');
    EXPECT_NE(error_of(c).find("needs at least 48"), std::string::npos) << error_of(c);
    c.secret_key = std::string(48, 'k');
    EXPECT_EQ(error_of(c), "");
    c.algorithm = "HS512";
    EXPECT_NE(error_of(c).find("needs at least 64"), std::string::npos) << error_of(c);
    c.secret_key = std::string(64, 'k');
    EXPECT_EQ(error_of(c), "");
}

TEST(AuthConfig, RefusesUnknownAlgorithms) {
    for (const char* alg : {"none", "hs256", "RS256", "HS1", ""}) {
        auto c = good();
        c.algorithm = alg;
        EXPECT_NE(error_of(c).find("not supported"), std::string::npos) << alg;
    }
}

TEST(AuthConfig, RefusesNonPositiveTtls) {
    using std::chrono::seconds;
    for (auto field : {&fauth::AuthConfig::access_token_ttl, &fauth::AuthConfig::refresh_token_ttl,
                       &fauth::AuthConfig::password_reset_ttl, &fauth::AuthConfig::email_verification_ttl}) {
        for (auto bad : {seconds(0), seconds(-5)}) {
            auto c = good();
            c.*field = bad;
            EXPECT_NE(error_of(c).find("must be positive"), std::string::npos);
        }
    }
}

TEST(AuthConfig, RefusesOtherUnusableSettings) {
    auto c = good();
    c.leeway = std::chrono::seconds(-1);
    EXPECT_NE(error_of(c), "");
    c = good();
    c.issuer = "";
    EXPECT_NE(error_of(c).find("issuer"), std::string::npos);
    c = good();
    c.audience = "";
    EXPECT_NE(error_of(c).find("audience"), std::string::npos);
    c = good();
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
    c.max_token_bytes = 10;
    EXPECT_NE(error_of(c).find("max_token_bytes"), std::string::npos);
}

TEST(AuthConfig, ACodecCannotBeBuiltFromABadConfig) {
    auto c = good();
    c.secret_key = "short";
    EXPECT_THROW(fauth::TokenCodec{c}, fauth::ConfigError);
}

TEST(AuthConfig, NowUsesTheInjectedClock) {
    auto c = good();
    const auto fixed = std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000));
    c.clock = [fixed] { return fixed; };
    EXPECT_EQ(c.now(), fixed);
}
