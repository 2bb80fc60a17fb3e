#include "fauth/core/config.hpp"

#include <gtest/gtest.h>

#include "fauth/core/errors.hpp"
#include "fauth/core/token.hpp"
#include "support/config.hpp"

namespace {

fauth::TokenConfig good() { return fauth::test::valid_config<fauth::TokenConfig>(); }
using fauth::test::config_error;

}  // namespace

TEST(TokenConfig, DefaultsMatchTheDocumentedValues) {
    const fauth::TokenConfig c;
    EXPECT_EQ(c.algorithm, "HS256");
    EXPECT_EQ(c.access_token_ttl, std::chrono::minutes(15));
    EXPECT_EQ(c.refresh_token_ttl, std::chrono::hours(24 * 7));
    EXPECT_EQ(c.leeway, std::chrono::seconds(0));
    EXPECT_EQ(c.max_token_bytes, 8192u);
    EXPECT_EQ(config_error(good()), "");
}

TEST(TokenConfig, RefusesAnEmptySecretAndSaysHowToFixIt) {
    auto c = good();
    c.secret_key.clear();
    EXPECT_NE(config_error(c).find("secret_key is empty"), std::string::npos) << config_error(c);
}

TEST(TokenConfig, RefusesASecretShorterThanTheDigest) {
    auto c = good();
    c.secret_key = std::string(31, 'k');
    EXPECT_NE(config_error(c).find("needs at least 32"), std::string::npos) << config_error(c);
    c.algorithm = "HS384";
    c.secret_key = std::string(47, 'k');
    EXPECT_NE(config_error(c).find("needs at least 48"), std::string::npos) << config_error(c);
    c.secret_key = std::string(48, 'k');
    EXPECT_EQ(config_error(c), "");
    c.algorithm = "HS512";
    EXPECT_NE(config_error(c).find("needs at least 64"), std::string::npos) << config_error(c);
    c.secret_key = std::string(64, 'k');
    EXPECT_EQ(config_error(c), "");
}

TEST(TokenConfig, RefusesUnknownAlgorithms) {
    for (const char* alg : {"none", "hs256", "RS256", "HS1", ""}) {
        auto c = good();
        c.algorithm = alg;
        EXPECT_NE(config_error(c).find("not supported"), std::string::npos) << alg;
    }
}

TEST(TokenConfig, RefusesNonPositiveTtls) {
    using std::chrono::seconds;
    for (auto field : {&fauth::TokenConfig::access_token_ttl, &fauth::TokenConfig::refresh_token_ttl,
                       &fauth::TokenConfig::password_reset_ttl, &fauth::TokenConfig::email_verification_ttl}) {
        for (auto bad : {seconds(0), seconds(-5)}) {
            auto c = good();
            c.*field = bad;
            EXPECT_NE(config_error(c).find("must be positive"), std::string::npos);
        }
    }
}

TEST(TokenConfig, RefusesOtherUnusableSettings) {
    auto c = good();
    c.leeway = std::chrono::seconds(-1);
    EXPECT_NE(config_error(c), "");
    c = good();
    c.issuer = "";
    EXPECT_NE(config_error(c).find("issuer"), std::string::npos);
    c = good();
    c.audience = "";
    EXPECT_NE(config_error(c).find("audience"), std::string::npos);
    c = good();
    c.max_token_bytes = 10;
    EXPECT_NE(config_error(c).find("max_token_bytes"), std::string::npos);
}

TEST(TokenConfig, ACodecCannotBeBuiltFromABadConfig) {
    auto c = good();
    c.secret_key = "short";
    EXPECT_THROW(fauth::TokenCodec{c}, fauth::ConfigError);
}

TEST(TokenConfig, NowUsesTheInjectedClock) {
    auto c = good();
    const auto fixed = std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000));
    c.clock = [fixed] { return fixed; };
    EXPECT_EQ(c.now(), fixed);
}

// fauth's own threads (Redis's invalidation listener, its I/O threads) report through write_log: a
// sink that throws must not end them. Its message goes to standard error instead.
TEST(WriteLog, ASinkThatThrowsIsNotPassedOnAndTheMessageGoesToStandardError) {
    int calls = 0;
    const fauth::LogSink throwing = [&](std::string_view) {
        ++calls;
        throw std::runtime_error("the log is down");
    };
    static_assert(noexcept(fauth::write_log(throwing, "")));
    testing::internal::CaptureStderr();
    fauth::write_log(throwing, "redis: invalidation connection lost");
    const auto err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(err, "fauth: redis: invalidation connection lost\n");
    auto c = good();
    c.log = throwing;
    testing::internal::CaptureStderr();
    c.write_log("again");
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "fauth: again\n");
    EXPECT_EQ(calls, 2);
}
