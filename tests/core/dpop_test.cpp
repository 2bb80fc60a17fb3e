// DPoP proofs (RFC 9449) made by jwcrypto (tests/support/jose_sign.py), verified by fauth.
#include "fauth/core/dpop.hpp"

#include <gtest/gtest.h>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "support/keys.hpp"

namespace {

using fauth::DpopPolicy;
using fauth::DpopRequest;
using fauth::verify_dpop_proof;

constexpr std::int64_t kIat = 1700000000;
// SHA-256 of "the-token", base64url: `printf the-token | openssl dgst -sha256 -binary | base64`
// with the URL alphabet and no padding.
constexpr const char* kAth = "wqc_z2HfvcrceaELozCy7162b8Cmc17Wm3lrs8l7l64";

std::string claims(const std::string& extra = {}, const char* method = "GET", const char* url = "https://api.example.com/me") {
    return std::string(R"({"jti":"j-1","htm":")") + method + R"(","htu":")" + url + R"(","iat":)" + std::to_string(kIat) +
           R"(,"ath":")" + kAth + '"' + extra + "}";
}

// Every proof the tests need, made in one run of jwcrypto.
class DpopProofTest : public ::testing::Test {
protected:
    enum Proof { es256, eddsa, ps256, typ_jwt, no_jwk, private_jwk, no_ath, no_jti, duplicate_jti, no_typ, with_nonce, kCount };

    static void SetUpTestSuite() {
        const nlohmann::json header = {{"typ", "dpop+jwt"}, {"jwk", "$jwk"}, {"kid", nullptr}};
        auto with = [&](std::initializer_list<std::pair<const char*, nlohmann::json>> changes) {
            auto h = header;
            for (const auto& [name, value] : changes) h[name] = value;
            return h;
        };
        nlohmann::json tokens = nlohmann::json::array();
        const auto add = [&](const char* kid, nlohmann::json h, std::string payload) {
            tokens.push_back({{"kid", kid}, {"header", std::move(h)}, {"payload", std::move(payload)}});
        };
        add("ec", header, claims());
        add("ed", header, claims());
        add("rsa", header, claims());
        add("ec", with({{"typ", "JWT"}}), claims());
        add("ec", with({{"jwk", nullptr}}), claims());
        add("ec", with({{"jwk", "$private_jwk"}}), claims());
        add("ec", header,
            std::string(R"({"jti":"j-1","htm":"GET","htu":"https://api.example.com/me","iat":)") + std::to_string(kIat) + "}");
        add("ec", header,
            std::string(R"({"htm":"GET","htu":"https://api.example.com/me","iat":)") + std::to_string(kIat) + R"(,"ath":")" +
                kAth + "\"}");
        add("ec", header, R"({"jti":"j-2",)" + claims().substr(1));
        add("ec", with({{"typ", nullptr}}), claims());
        add("ec", header, claims(R"(,"nonce":")" + nonces().current(at(kIat + 10)) + '"'));
        const auto made = fauth::test::jwcrypto({{"keys",
                                                  {{{"kid", "ec"}, {"kty", "EC"}, {"crv", "P-256"}, {"alg", "ES256"}},
                                                   {{"kid", "ed"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "EdDSA"}},
                                                   {{"kid", "rsa"}, {"kty", "RSA"}, {"alg", "PS256"}}}},
                                                 {"tokens", tokens}});
        proofs_ = made["tokens"].get<std::vector<std::string>>();
        jwks_ = made["jwks"]["keys"];
        ASSERT_EQ(proofs_.size(), static_cast<std::size_t>(kCount));
    }

    static const std::string& proof(Proof p) { return proofs_[p]; }
    // Nonces that change every 100 seconds (kIat + 10 is in window 17000000).
    static const fauth::DpopNonces& nonces() {
        static const fauth::DpopNonces made("a-secret-of-sixteen+", std::chrono::seconds(100));
        return made;
    }
    static std::chrono::system_clock::time_point at(std::int64_t seconds) {
        return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
    }
    static fauth::Result<fauth::DpopProof> verify(std::string_view proof, DpopRequest request = {},
                                                  std::chrono::system_clock::time_point now = at(kIat + 10),
                                                  const DpopPolicy& policy = {}) {
        if (request.method.empty()) request.method = "GET";
        if (request.url.empty()) request.url = "https://api.example.com/me";
        if (request.access_token.empty()) request.access_token = "the-token";
        return verify_dpop_proof(proof, request, policy, now);
    }
    static std::string refusal(const fauth::Result<fauth::DpopProof>& result) {
        EXPECT_FALSE(result.ok());
        if (result.ok()) return "accepted";
        EXPECT_EQ(result.failure().kind, fauth::ErrorKind::invalid_dpop_proof);
        EXPECT_EQ(result.failure().detail, "Invalid DPoP proof");
        return result.failure().log;
    }

    static inline std::vector<std::string> proofs_;
    static inline nlohmann::json jwks_;
};

TEST(JwkThumbprint, MatchesRfc7638AndRfc9449Examples) {
    // RFC 7638 section 3.1 (the key of RFC 7517 appendix A.1; alg and kid are not hashed).
    const nlohmann::json rsa = {
        {"kty", "RSA"},
        {"n",
         "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn"
         "64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9"
         "1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
        {"e", "AQAB"},
        {"alg", "RS256"},
        {"kid", "2011-04-29"}};
    EXPECT_EQ(fauth::jwk_thumbprint(rsa), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    // RFC 9449 section 6.1: the proof key of section 4.1 and its cnf.jkt.
    const nlohmann::json ec = {{"kty", "EC"},
                               {"x", "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs"},
                               {"y", "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"},
                               {"crv", "P-256"}};
    EXPECT_EQ(fauth::jwk_thumbprint(ec), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    EXPECT_THROW(fauth::jwk_thumbprint({{"kty", "oct"}, {"k", "c2VjcmV0"}}), fauth::InvalidDpopProof);
    EXPECT_THROW(fauth::jwk_thumbprint({{"kty", "EC"}, {"crv", "P-256"}, {"x", "a"}}), fauth::InvalidDpopProof);
    EXPECT_THROW(fauth::jwk_thumbprint(nlohmann::json::array()), fauth::InvalidDpopProof);
}

TEST(NormalizedHtu, ComparesAsRfc9449Says) {
    using fauth::normalized_htu;
    EXPECT_EQ(normalized_htu("https://API.Example.com:443/me?x=1#f"), "https://api.example.com/me");
    EXPECT_EQ(normalized_htu("HTTP://host:80"), "http://host/");
    EXPECT_EQ(normalized_htu("http://host:8080/a%7eb%2f"), "http://host:8080/a~b%2F");
    EXPECT_EQ(normalized_htu("https://[::1]:8443/x"), "https://[::1]:8443/x");
    EXPECT_NE(normalized_htu("https://host/Me"), normalized_htu("https://host/me"));  // paths are case-sensitive
    EXPECT_FALSE(normalized_htu("https://user@host/"));
    EXPECT_FALSE(normalized_htu("ftp://host/"));
    EXPECT_FALSE(normalized_htu("/relative"));
    EXPECT_FALSE(normalized_htu("https://host/%zz"));
    EXPECT_FALSE(normalized_htu("https://host:x/"));
    EXPECT_FALSE(normalized_htu("https:///path"));
}

TEST_F(DpopProofTest, AProofFromJwcryptoVerifiesAndNamesItsKey) {
    for (const auto& [p, index] : {std::pair{es256, 0u}, {eddsa, 1u}, {ps256, 2u}}) {
        const auto verified = verify(proof(p));
        ASSERT_TRUE(verified.ok()) << verified.failure().log;
        EXPECT_EQ(verified->jti, "j-1");
        EXPECT_EQ(verified->iat, kIat);
        EXPECT_EQ(verified->jkt, fauth::jwk_thumbprint(jwks_[index]));
    }
    // The URL as the server sees it may differ in what RFC 9449 4.3 normalizes away.
    EXPECT_TRUE(verify(proof(es256), {.url = "HTTPS://api.example.com:443/me?page=2"}).ok());
}

TEST_F(DpopProofTest, EachCheckRefusesWhatItShould) {
    EXPECT_EQ(refusal(verify(proof(typ_jwt))), "invalid DPoP proof: typ is not dpop+jwt");
    EXPECT_EQ(refusal(verify(proof(no_typ))), "invalid DPoP proof: typ is not dpop+jwt");
    EXPECT_EQ(refusal(verify(proof(no_jwk))), "invalid DPoP proof: header has no jwk");
    EXPECT_EQ(refusal(verify(proof(private_jwk))), "invalid DPoP proof: jwk holds a private key");
    EXPECT_EQ(refusal(verify(proof(no_ath))), "invalid DPoP proof: no ath");
    EXPECT_EQ(refusal(verify(proof(no_jti))), "invalid DPoP proof: no jti");
    EXPECT_NE(refusal(verify(proof(duplicate_jti))).find("duplicate"), std::string::npos);
    EXPECT_EQ(refusal(verify(proof(es256), {.method = "POST"})), "invalid DPoP proof: htm mismatch");
    EXPECT_EQ(refusal(verify(proof(es256), {.url = "https://api.example.com/admin"})), "invalid DPoP proof: htu mismatch");
    EXPECT_EQ(refusal(verify(proof(es256), {.url = "http://api.example.com/me"})), "invalid DPoP proof: htu mismatch");
    EXPECT_EQ(refusal(verify(proof(es256), {.access_token = "another-token"})), "invalid DPoP proof: ath mismatch");
    EXPECT_EQ(refusal(verify(proof(es256), {.nonce = "n-1"})), "invalid DPoP proof: nonce mismatch");
    EXPECT_EQ(refusal(verify(proof(es256), {}, at(kIat + 61))), "invalid DPoP proof: proof too old");
    EXPECT_EQ(refusal(verify(proof(es256), {}, at(kIat - 6))), "invalid DPoP proof: iat in the future");
    EXPECT_TRUE(verify(proof(es256), {}, at(kIat + 60)).ok());
    EXPECT_TRUE(verify(proof(es256), {}, at(kIat - 5)).ok());
    DpopPolicy es_only;
    es_only.algorithms = {"ES256"};
    EXPECT_EQ(refusal(verify(proof(eddsa), {}, at(kIat + 10), es_only)), "invalid DPoP proof: algorithm not allowed");
    DpopPolicy small;
    small.max_proof_bytes = 100;
    EXPECT_EQ(refusal(verify(proof(es256), {}, at(kIat + 10), small)), "invalid DPoP proof: proof too large");
    EXPECT_EQ(refusal(verify("")), "invalid DPoP proof: no DPoP proof");
    EXPECT_EQ(refusal(verify("a.b")), "invalid DPoP proof: malformed token: expected three segments");
}

TEST_F(DpopProofTest, ASignatureCoversTheKeyItNames) {
    // The header swapped for one naming the RSA key: the EC signature cannot verify with it.
    const auto& good = proof(es256);
    const auto first_dot = good.find('.');
    const nlohmann::json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", jwks_[0]}};
    auto other = jwks_[0];
    other["x"] = jwks_[0]["y"];  // not on the curve, or another key: never this signature's
    const std::string swapped =
        fauth::base64url_encode(nlohmann::json{{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", other}}.dump()) +
        good.substr(first_dot);
    EXPECT_NE(refusal(verify(swapped)), "accepted");
    // The same header re-encoded (another member order) is another signing input.
    const std::string reordered = fauth::base64url_encode(header.dump()) + good.substr(first_dot);
    EXPECT_EQ(refusal(verify(reordered)), "invalid DPoP proof: signature mismatch");
    // A MAC, or none, is never a proof: its key would be in the header for anyone to use.
    for (const char* alg : {"HS256", "none"}) {
        const std::string forged =
            fauth::base64url_encode(nlohmann::json{{"typ", "dpop+jwt"}, {"alg", alg}, {"jwk", jwks_[0]}}.dump()) +
            good.substr(first_dot);
        EXPECT_EQ(refusal(verify(forged)), "invalid DPoP proof: algorithm not allowed") << alg;
    }
}

TEST_F(DpopProofTest, AServerNonceIsRequiredWhenTheServerGivesThem) {
    const auto needs_nonce = [](const fauth::Result<fauth::DpopProof>& r) {
        EXPECT_FALSE(r.ok());
        return r.ok() ? std::string("accepted") : r.failure().log;
    };
    DpopRequest request{.nonces = &nonces()};
    EXPECT_TRUE(verify(proof(with_nonce), request).ok());
    EXPECT_TRUE(verify(proof(with_nonce), request, at(kIat + 60)).ok()) << "still good in the next window";
    DpopPolicy patient;
    patient.max_age = std::chrono::seconds(1000);
    EXPECT_EQ(needs_nonce(verify(proof(with_nonce), request, at(kIat + 250), patient)),
              "DPoP nonce required: stale or unknown nonce")
        << "two windows later, the nonce is stale";
    EXPECT_EQ(needs_nonce(verify(proof(es256), request)), "DPoP nonce required: no nonce");
    const auto result = verify(proof(es256), request);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.failure().kind, fauth::ErrorKind::dpop_nonce_required);
    // Another secret's nonce for the same window is no nonce of this server's.
    const fauth::DpopNonces other("another-secret-of-16", std::chrono::seconds(100));
    EXPECT_EQ(needs_nonce(verify(proof(with_nonce), {.nonces = &other})), "DPoP nonce required: stale or unknown nonce");
    // A nonce is made of its window: the same window gives the same nonce, the next another.
    EXPECT_EQ(nonces().current(at(kIat)), nonces().current(at(kIat + 99 - kIat % 100)));
    EXPECT_NE(nonces().current(at(kIat)), nonces().current(at(kIat + 100)));
    EXPECT_TRUE(nonces().valid(nonces().current(at(kIat)), at(kIat + 100)));
    EXPECT_FALSE(nonces().valid(nonces().current(at(kIat)), at(kIat + 200)));
    EXPECT_THROW(fauth::DpopNonces("short", std::chrono::seconds(10)), fauth::ConfigError);
    EXPECT_THROW(fauth::DpopNonces("a-secret-of-sixteen+", std::chrono::seconds(0)), fauth::ConfigError);
}

TEST_F(DpopProofTest, AKeyCacheSkipsParsingButNeverTheSignature) {
    fauth::DpopKeyCache cache(2);
    DpopRequest request{.keys = &cache};
    const auto first = verify(proof(es256), request);
    ASSERT_TRUE(first.ok()) << first.failure().log;
    ASSERT_TRUE(cache.find("ES256 " + first->jkt)) << "the proof's key is kept";
    EXPECT_TRUE(verify(proof(es256), request).ok()) << "and used again";
    // A cached key still checks each proof's signature: the header re-encoded is another input.
    const auto& good = proof(es256);
    const nlohmann::json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", jwks_[0]}};
    EXPECT_EQ(refusal(verify(fauth::base64url_encode(header.dump()) + good.substr(good.find('.')), request)),
              "invalid DPoP proof: signature mismatch");
    // Bounded: the oldest goes first.
    EXPECT_TRUE(verify(proof(eddsa), request).ok());
    EXPECT_TRUE(verify(proof(ps256), request).ok());
    EXPECT_FALSE(cache.find("ES256 " + first->jkt));
}

TEST_F(DpopProofTest, ATokenIsBoundByItsCnfJkt) {
    fauth::TokenPayload token;
    EXPECT_EQ(fauth::dpop_jkt(token), nullptr);
    token.extra = {{"cnf", {{"x5t#S256", "abc"}}}};
    EXPECT_EQ(fauth::dpop_jkt(token), nullptr);
    token.extra = {{"cnf", {{"jkt", 7}}}};
    EXPECT_EQ(fauth::dpop_jkt(token), nullptr);
    token.extra = {{"cnf", {{"jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}}};
    ASSERT_NE(fauth::dpop_jkt(token), nullptr);
    EXPECT_EQ(*fauth::dpop_jkt(token), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
}

}  // namespace
