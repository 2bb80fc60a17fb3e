#include "fauth/core/verifier.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "fauth/core/errors.hpp"
#include "fauth/core/token.hpp"

using fauth::ClaimCheck;
using fauth::ConfigError;
using fauth::InvalidToken;
using fauth::TokenCodec;
using fauth::TokenConfig;
using fauth::TokenExpired;
using fauth::TokenPayload;
using fauth::TokenType;
using fauth::Verifier;
using nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

TokenConfig config_at(const std::int64_t* now) {
    TokenConfig c;
    c.secret_key = "0123456789abcdef0123456789abcdef";
    c.clock = [now] { return std::chrono::system_clock::time_point(std::chrono::seconds(*now)); };
    return c;
}

// "accepted", or the refusal's what().
std::string refusal(const Verifier& verifier, const std::string& token) {
    try {
        verifier.verify(token, TokenType::access);
        return "accepted";
    } catch (const std::exception& e) {
        return e.what();
    }
}

}  // namespace

TEST(VerifierTest, WithClaimChecksThisServicesOwnTokens) {
    std::int64_t now = kNow;
    const TokenCodec codec(config_at(&now));
    const auto acme = codec.issue(TokenType::access, "alice", {}, {{"tenant", "acme"}});
    const auto other = codec.issue(TokenType::access, "bob", {}, {{"tenant", "other"}});
    const auto none = codec.issue(TokenType::access, "carol");

    Verifier verifier(config_at(&now));
    EXPECT_EQ(refusal(verifier, other), "accepted") << "no check until one is added";
    verifier.with_claim("tenant", "acme");
    EXPECT_EQ(refusal(verifier, acme), "accepted");
    EXPECT_EQ(refusal(verifier, other), "Invalid token: tenant is not \"acme\"");
    EXPECT_EQ(refusal(verifier, none), "Invalid token: tenant is not \"acme\"") << "a missing claim fails its check";
    EXPECT_THROW(verifier.with_claim("sub", "alice"), ConfigError) << "registered claims are fauth's to check";
}

TEST(VerifierTest, ClaimChecksOfTheConfigurationReachTheCodecAndRunAfterFauthsOwn) {
    std::int64_t now = kNow;
    auto config = config_at(&now);
    config.claim_checks = {ClaimCheck{"alice only", [](const TokenPayload& p) { return p.sub == "alice"; }},
                           ClaimCheck{"check failed", [](const TokenPayload& p) -> bool {
                                          if (p.sub == "mallory") throw std::runtime_error("lookup failed");
                                          return true;
                                      }}};
    const TokenCodec codec(config);
    EXPECT_EQ(codec.verify(codec.issue(TokenType::access, "alice"), TokenType::access).sub, "alice");
    EXPECT_THROW(codec.verify(codec.issue(TokenType::access, "bob"), TokenType::access), InvalidToken);
    const auto alice = codec.issue(TokenType::access, "alice");
    now += 3600;
    EXPECT_THROW(codec.verify(alice, TokenType::access), TokenExpired) << "expiry is checked first";
    now = kNow;
    config.claim_checks.erase(config.claim_checks.begin());
    const TokenCodec second(config);
    try {
        second.verify(second.issue(TokenType::access, "mallory"), TokenType::access);
        ADD_FAILURE() << "a check that throws must refuse";
    } catch (const InvalidToken& e) {
        EXPECT_EQ(e.reason(), "check failed");
    }
    config.claim_checks = {ClaimCheck{"empty", {}}};
    EXPECT_THROW(TokenCodec{config}, ConfigError) << "a check without a function is a configuration error";
}
