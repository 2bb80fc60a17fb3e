#include "fauth/core/verifier.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fauth/core/errors.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/token.hpp"
#include "fauth/oidc/issuer.hpp"
#include "support/keys.hpp"

using fauth::ClaimCheck;
using fauth::ConfigError;
using fauth::InvalidToken;
using fauth::KeySet;
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

namespace {

constexpr const char* kIssuer = "https://idp.example.com";

// An access token's claims for the trusted issuer kIssuer, for `sub`.
std::string claims_for(const std::string& sub) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    return json{{"iss", kIssuer}, {"aud", "api"}, {"sub", sub}, {"iat", now}, {"exp", now + 300}}.dump();
}

// A verifier that trusts kIssuer with `keys` and the algorithms its TrustedIssuer lists.
Verifier trusting(std::shared_ptr<fauth::KeyRing> keys, std::vector<std::string> algorithms = {"RS256"}) {
    fauth::TrustedIssuer issuer;
    issuer.issuer = kIssuer;
    issuer.audiences = {"api"};
    issuer.keys = std::move(keys);
    issuer.algorithms = std::move(algorithms);
    TokenConfig config;
    config.issuers = {issuer};
    return Verifier(config);
}

std::string accepted_sub(const Verifier& verifier, const std::string& token) {
    try {
        return verifier.verify(token, TokenType::access).sub;
    } catch (const std::exception& e) {
        return e.what();
    }
}

}  // namespace

// RFC 8725 section 3.1: a key whose JWK declares its algorithm verifies that algorithm, listed or
// not; a key that declares none verifies only what the issuer lists. Keys and tokens by jwcrypto.
TEST(VerifierTest, ATrustedIssuersKeyVerifiesTheAlgorithmItsJwkDeclares) {
    const json at_jwt = {{"typ", "at+jwt"}};
    const auto made = fauth::test::jwcrypto({
        {"keys",
         {{{"kid", "ps"}, {"kty", "RSA"}, {"alg", "PS256"}},
          {{"kid", "ed"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "Ed25519"}},
          {{"kid", "eddsa"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "EdDSA"}},
          {{"kid", "p521"}, {"kty", "EC"}, {"crv", "P-521"}, {"alg", "ES512"}},
          {{"kid", "bare-rsa"}, {"kty", "RSA"}, {"alg", "PS256"}, {"publish_alg", false}},
          {{"kid", "bare-ec"}, {"kty", "EC"}, {"crv", "P-256"}, {"alg", "ES256"}, {"publish_alg", false}}}},
        {"tokens",
         {{{"kid", "ps"}, {"payload", claims_for("ps")}, {"header", at_jwt}},
          {{"kid", "ed"}, {"payload", claims_for("ed")}, {"header", at_jwt}},
          {{"kid", "eddsa"}, {"payload", claims_for("eddsa")}, {"header", at_jwt}},
          {{"kid", "p521"}, {"payload", claims_for("p521")}, {"header", at_jwt}},
          {{"kid", "bare-rsa"}, {"payload", claims_for("bare-rsa")}, {"header", at_jwt}},
          {{"kid", "bare-ec"}, {"payload", claims_for("bare-ec")}, {"header", at_jwt}},
          {{"kid", "ps"}, {"alg", "RS256"}, {"payload", claims_for("ps as RS256")}, {"header", at_jwt}}}},
    });
    const auto& tokens = made["tokens"];
    // The issuer lists RS256 only (the default), and so does the JWK Set's RSA key without alg.
    const auto ring = std::make_shared<fauth::KeyRing>(KeySet::from_jwks(made["jwks"]));
    const auto verifier = trusting(ring);
    EXPECT_EQ(accepted_sub(verifier, tokens[0]), "ps");
    EXPECT_EQ(accepted_sub(verifier, tokens[1]), "ed");
    EXPECT_EQ(accepted_sub(verifier, tokens[2]), "eddsa");
    EXPECT_EQ(accepted_sub(verifier, tokens[3]), "p521");
    EXPECT_EQ(accepted_sub(verifier, tokens[4]), "Invalid token: algorithm not allowed") << "no alg: loaded for RS256 only";
    EXPECT_EQ(accepted_sub(verifier, tokens[5]), "Invalid token: algorithm not allowed") << "no alg: ES256 is not listed";
    EXPECT_EQ(accepted_sub(verifier, tokens[6]), "Invalid token: algorithm not allowed") << "the key pins PS256";
    // Listing the algorithm is what a key without alg needs.
    EXPECT_EQ(accepted_sub(trusting(ring, {"RS256", "ES256"}), tokens[5]), "bare-ec");
    const auto both = std::make_shared<fauth::KeyRing>(KeySet::from_jwks(made["jwks"], {"RS256", "PS256"}));
    EXPECT_EQ(accepted_sub(trusting(both, {"PS256"}), tokens[4]), "bare-rsa");
    EXPECT_EQ(accepted_sub(trusting(both, {"PS256"}), tokens[0]), "ps") << "a declared key needs no listing";
}

// A token without kid verifies with the issuer's only key for its algorithm, and is refused when
// two could: then nothing says which.
TEST(VerifierTest, AKidlessTokenFromATrustedIssuerNeedsItsOnlyKeyForItsAlgorithm) {
    const json kidless = {{"typ", "at+jwt"}, {"kid", nullptr}};
    const auto made = fauth::test::jwcrypto({
        {"keys",
         {{{"kid", "one"}, {"kty", "EC"}, {"crv", "P-521"}, {"alg", "ES512"}},
          {{"kid", "two"}, {"kty", "EC"}, {"crv", "P-521"}, {"alg", "ES512"}},
          {{"kid", "ed"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "EdDSA"}}}},
        {"tokens",
         {{{"kid", "one"}, {"payload", claims_for("one")}, {"header", kidless}},
          {{"kid", "ed"}, {"payload", claims_for("ed")}, {"header", kidless}}}},
    });
    const auto& jwks = made["jwks"]["keys"];
    const auto& tokens = made["tokens"];
    const auto ring = std::make_shared<fauth::KeyRing>(KeySet::from_jwks(json{{"keys", {jwks[0], jwks[2]}}}));
    const auto verifier = trusting(ring);
    EXPECT_EQ(accepted_sub(verifier, tokens[0]), "one") << "the only ES512 key";
    EXPECT_EQ(accepted_sub(verifier, tokens[1]), "ed") << "the only EdDSA key";
    ring->replace(KeySet::from_jwks(made["jwks"]));
    EXPECT_EQ(accepted_sub(verifier, tokens[0]), "Invalid token: token has no kid and several keys could verify it");
    EXPECT_EQ(accepted_sub(verifier, tokens[1]), "ed") << "still the only EdDSA key";
    ring->replace(KeySet::from_jwks(json{{"keys", {jwks[1]}}}));
    EXPECT_EQ(accepted_sub(verifier, tokens[0]), "Invalid token: signature mismatch") << "the only key, another's token";
    ring->replace(KeySet{});
    EXPECT_EQ(accepted_sub(verifier, tokens[0]), "Invalid token: token has no kid");
}

// A trusted issuer's fractional NumericDates (a fauth issuer writes iat to the microsecond): exp
// rounds down, never extending validity; iat is the second it falls in, so that a token is usable
// in the second it was issued without a leeway; an iat a second ahead is still in the future.
TEST(VerifierTest, ATrustedIssuersFractionalTimesAreReadAsTheSecondsTheyFallIn) {
    const auto claims = [](const std::string& iat, const std::string& exp) {
        return R"({"iss":")" + std::string(kIssuer) + R"(","aud":"api","sub":"s","iat":)" + iat + R"(,"exp":)" + exp + "}";
    };
    const std::string now = std::to_string(kNow);
    const auto made = fauth::test::jwcrypto({
        {"keys", {{{"kid", "k"}, {"kty", "EC"}, {"crv", "P-256"}, {"alg", "ES256"}}}},
        {"tokens",
         {{{"kid", "k"}, {"payload", claims(now + ".999999", now + ".999999")}, {"header", {{"typ", "at+jwt"}}}},
          {{"kid", "k"}, {"payload", claims(now + ".25", std::to_string(kNow + 300) + ".9")}, {"header", {{"typ", "at+jwt"}}}},
          {{"kid", "k"},
           {"payload", claims(std::to_string(kNow + 1) + ".5", std::to_string(kNow + 300))},
           {"header", {{"typ", "at+jwt"}}}},
          {{"kid", "k"}, {"payload", claims("1.7000000005e9", std::to_string(kNow + 300))}, {"header", {{"typ", "at+jwt"}}}}}},
    });
    fauth::TrustedIssuer issuer;
    issuer.issuer = kIssuer;
    issuer.audiences = {"api"};
    issuer.keys = std::make_shared<fauth::KeyRing>(KeySet::from_jwks(made["jwks"]));
    issuer.algorithms = {"ES256"};
    std::int64_t now_s = kNow;
    auto config = config_at(&now_s);
    config.issuers = {issuer};
    const Verifier verifier(config);
    std::vector<std::string> tokens;
    for (const auto& token : made["tokens"]) tokens.push_back(token.get<std::string>());
    EXPECT_EQ(refusal(verifier, tokens[0]), "Token expired") << "exp rounds down: no fraction of a second more";
    const auto p = verifier.verify(tokens[1], TokenType::access);
    EXPECT_EQ(p.iat, kNow) << "issued in this second: not in the future";
    EXPECT_EQ(p.exp, kNow + 300);
    EXPECT_EQ(refusal(verifier, tokens[2]), "Invalid token: token issued in the future");
    EXPECT_EQ(verifier.verify(tokens[3], TokenType::access).iat, kNow) << "an exponent is a NumericDate too (external)";
}
