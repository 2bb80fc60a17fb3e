#include "fauth/core/keys.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "support/keys.hpp"

using fauth::ConfigError;
using fauth::Key;
using fauth::KeySet;
using fauth::test::make_pem_pair;
using nlohmann::json;

namespace {

const std::vector<std::string> kAsymmetric = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"};

std::string unb64(std::string_view s) {
    std::string out;
    if (!fauth::base64url_decode(s, out)) throw std::invalid_argument("not base64url");
    return out;
}

// One key pair per algorithm for the whole file: RSA generation is slow.
const fauth::test::PemPair& pair_for(const std::string& alg) {
    static std::map<std::string, fauth::test::PemPair> pairs;
    auto it = pairs.find(alg);
    if (it == pairs.end()) it = pairs.emplace(alg, make_pem_pair(alg)).first;
    return it->second;
}

// RFC 7515 appendix A: the payload of A.2 and A.3, and their signing inputs.
const std::string kRfc7515Payload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

}  // namespace

TEST(Keys, EveryAlgorithmSignsAndVerifiesAndThePublicHalfOnlyVerifies) {
    const std::string input = "header.payload";
    for (const auto& alg : kAsymmetric) {
        const auto signer = Key::from_pem(alg, pair_for(alg).private_pem, "k1");
        const auto verifier = Key::from_pem(alg, pair_for(alg).public_pem, "k1");
        EXPECT_EQ(signer.algorithm(), alg);
        EXPECT_TRUE(signer.can_sign()) << alg;
        EXPECT_FALSE(verifier.can_sign()) << alg;
        const auto signature = signer.sign(input);
        EXPECT_TRUE(signer.verify(input, signature)) << alg;
        EXPECT_TRUE(verifier.verify(input, signature)) << alg;
        EXPECT_FALSE(verifier.verify(input + "x", signature)) << alg << ": tampered input";
        auto flipped = signature;
        flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 1);
        EXPECT_FALSE(verifier.verify(input, flipped)) << alg << ": tampered signature";
        EXPECT_FALSE(verifier.verify(input, "")) << alg << ": empty signature";
        EXPECT_THROW(verifier.sign(input), std::logic_error) << alg;
        // Another key of the same kind does not verify it.
        const auto other = Key::from_pem(alg, make_pem_pair(alg).public_pem, "k2");
        EXPECT_FALSE(other.verify(input, signature)) << alg << ": wrong key";
    }
    const auto ecdsa = Key::from_pem("ES256", pair_for("ES256").private_pem, "k");
    EXPECT_EQ(ecdsa.sign(input).size(), 64u) << "JOSE r||s, not DER";
    EXPECT_EQ(Key::from_pem("ES384", pair_for("ES384").private_pem, "k").sign(input).size(), 96u);
    EXPECT_EQ(Key::from_pem("EdDSA", pair_for("EdDSA").private_pem, "k").sign(input).size(), 64u);
}

// A key prepares its verification once and every verify starts from a copy of it: the copy must
// be the same on every call and on every thread at once, whatever a previous verify ended with.
TEST(Keys, OneKeyVerifiesOnManyThreadsAtOnceAndAfterEveryFailure) {
    for (const auto& alg : kAsymmetric) {
        const auto signer = Key::from_pem(alg, pair_for(alg).private_pem, "k1");
        const auto verifier = Key::from_pem(alg, pair_for(alg).public_pem, "k1");
        const std::string inputs[] = {"header.payload-a", "header.payload-b"};
        const std::string signatures[] = {signer.sign(inputs[0]), signer.sign(inputs[1])};
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 40; ++i) {
                    const int a = (i + t) % 2, b = (i / 2 + t) % 2;  // every pairing, in a different order per thread
                    if (verifier.verify(inputs[a], signatures[b]) != (a == b)) ++wrong;
                }
            });
        }
        for (auto& thread : threads) thread.join();
        EXPECT_EQ(wrong.load(), 0) << alg;
    }
}

TEST(Keys, VerifiesRfc7515AppendixA2Rs256) {
    const json jwk = {{"kty", "RSA"},
                      {"alg", "RS256"},
                      {"e", "AQAB"},
                      {"n",
                       "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-"
                       "SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-"
                       "KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-"
                       "DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}};
    const auto key = Key::from_jwk(jwk);
    const auto signature = unb64(
        "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1"
        "dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--"
        "xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_"
        "IoypGlUPQGe77Rw");
    EXPECT_TRUE(key.verify("eyJhbGciOiJSUzI1NiJ9." + kRfc7515Payload, signature));
    EXPECT_FALSE(key.verify("eyJhbGciOiJSUzI1NiJ9." + kRfc7515Payload + "x", signature));
    EXPECT_EQ(key.public_jwk()["n"], jwk["n"]) << "exported as imported";
}

TEST(Keys, VerifiesRfc7515AppendixA3Es256AndRefusesItsDerForm) {
    const auto key = Key::from_jwk({{"kty", "EC"},
                                    {"crv", "P-256"},
                                    {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                                    {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}});
    EXPECT_EQ(key.algorithm(), "ES256") << "implied by the curve";
    const auto input = "eyJhbGciOiJFUzI1NiJ9." + kRfc7515Payload;
    const auto raw = unb64("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
    EXPECT_TRUE(key.verify(input, raw));
    // The same signature in DER (SEQUENCE of two INTEGERs), as OpenSSL would write it: refused.
    auto integer = [](std::string v) {
        while (v.size() > 1 && v[0] == 0) v.erase(0, 1);
        if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(v.begin(), '\0');
        return std::string{'\x02', static_cast<char>(v.size())} + v;
    };
    const auto body = integer(raw.substr(0, 32)) + integer(raw.substr(32));
    const auto der = std::string{'\x30', static_cast<char>(body.size())} + body;
    EXPECT_FALSE(key.verify(input, der));
}

TEST(Keys, SignsAndVerifiesRfc8037AppendixA4Ed25519) {
    const auto seed = unb64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    const auto signer = Key::from_pem("EdDSA", fauth::test::ed25519_from_seed(seed).private_pem, "rfc8037");
    const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    const auto expected = unb64("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
    EXPECT_EQ(signer.sign(input), expected) << "Ed25519 is deterministic";
    EXPECT_EQ(signer.public_jwk()["x"], "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    const auto verifier =
        Key::from_jwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
    EXPECT_EQ(verifier.algorithm(), "EdDSA");
    EXPECT_TRUE(verifier.verify(input, expected));
}

TEST(Keys, AKeyIsBoundToItsAlgorithm) {
    const auto& rsa = pair_for("RS256");
    const auto& p256 = pair_for("ES256");
    const auto& p384 = pair_for("ES384");
    const auto& ed = pair_for("EdDSA");
    // The algorithm-confusion attack starts with an RSA public key used as an HMAC secret.
    EXPECT_THROW(Key::from_pem("HS256", rsa.public_pem), ConfigError);
    EXPECT_THROW(Key::hmac("RS256", rsa.public_pem), ConfigError);
    EXPECT_THROW(Key::from_pem("RS256", p256.private_pem), ConfigError);
    EXPECT_THROW(Key::from_pem("PS256", ed.public_pem), ConfigError);
    EXPECT_THROW(Key::from_pem("ES256", p384.public_pem), ConfigError) << "wrong curve";
    EXPECT_THROW(Key::from_pem("ES384", p256.public_pem), ConfigError) << "wrong curve";
    EXPECT_THROW(Key::from_pem("ES256", rsa.public_pem), ConfigError);
    EXPECT_THROW(Key::from_pem("EdDSA", p256.private_pem), ConfigError);
    EXPECT_THROW(Key::from_pem("RS256", make_pem_pair("RS256", 1024).private_pem), ConfigError) << "RSA below 2048 bits";
    EXPECT_THROW(Key::from_pem("RS256", "not a key"), ConfigError);
    EXPECT_THROW(Key::from_pem("none", rsa.public_pem), ConfigError);
    EXPECT_THROW(Key::from_pem("ES512", p256.public_pem), ConfigError) << "unsupported algorithm";
    EXPECT_THROW(Key::hmac("HS256", "too short"), ConfigError);
    EXPECT_THROW(Key::from_pem_file("RS256", "/nonexistent/key.pem"), ConfigError);
    EXPECT_NO_THROW(Key::hmac("HS256", std::string(32, 'k')));
}

TEST(Keys, PublicJwksRoundTripAndNeverCarrySecrets) {
    for (const auto& alg : kAsymmetric) {
        const auto signer = Key::from_pem(alg, pair_for(alg).private_pem, "kid-" + alg);
        const auto jwk = signer.public_jwk();
        EXPECT_FALSE(jwk.contains("d")) << alg;
        EXPECT_FALSE(jwk.contains("p")) << alg;
        EXPECT_EQ(jwk["kid"], "kid-" + alg);
        EXPECT_EQ(jwk["alg"], alg);
        EXPECT_EQ(jwk["use"], "sig");
        const auto imported = Key::from_jwk(jwk);
        EXPECT_FALSE(imported.can_sign());
        EXPECT_EQ(imported.kid(), "kid-" + alg);
        EXPECT_TRUE(imported.verify("abc", signer.sign("abc"))) << alg;
    }
    EXPECT_THROW(Key::hmac("HS256", std::string(32, 'k'), "h").public_jwk(), std::logic_error);
    EXPECT_THROW(Key::from_jwk({{"kty", "oct"}, {"k", "c2VjcmV0"}, {"alg", "HS256"}}), ConfigError);
    auto with_private = Key::from_pem("ES256", pair_for("ES256").private_pem, "k").public_jwk();
    with_private["d"] = "AAAA";
    EXPECT_THROW(Key::from_jwk(with_private), ConfigError);
    auto off_curve = Key::from_pem("ES256", pair_for("ES256").private_pem, "k").public_jwk();
    off_curve["y"] = off_curve["x"];
    EXPECT_THROW(Key::from_jwk(off_curve), ConfigError) << "a point not on the curve";
    EXPECT_THROW(Key::from_jwk({{"kty", "RSA"}, {"alg", "ES256"}, {"n", "AQAB"}, {"e", "AQAB"}}), ConfigError);
    EXPECT_THROW(Key::from_jwk({{"kty", "RSA"}, {"alg", "RS256"}, {"n", "AQAB"}, {"e", "AQAB"}}), ConfigError)
        << "a 17-bit modulus";
    EXPECT_THROW(Key::from_jwk(json::array()), ConfigError);
}

TEST(Keys, AKeySetChoosesByKidAndPublishesOnlyPublicKeys) {
    KeySet set;
    set.add(Key::from_pem("ES256", pair_for("ES256").private_pem, "a"))
        .add(Key::from_pem("RS256", pair_for("RS256").public_pem, "b"))
        .add(Key::hmac("HS256", std::string(32, 's'), "h"))
        .sign_with("a");
    ASSERT_NE(set.signing_key(), nullptr);
    EXPECT_EQ(set.signing_key()->kid(), "a");
    EXPECT_EQ(set.find("b")->algorithm(), "RS256");
    EXPECT_EQ(set.find("zzz"), nullptr);
    EXPECT_THROW(set.add(Key::from_pem("ES256", pair_for("ES256").public_pem, "a")), ConfigError) << "duplicate kid";
    EXPECT_THROW(set.add(Key::from_pem("ES256", pair_for("ES256").public_pem)), ConfigError) << "no kid";
    EXPECT_THROW(set.sign_with("b"), ConfigError) << "a public key cannot sign";
    EXPECT_THROW(set.sign_with("nope"), ConfigError);
    EXPECT_THROW(set.remove("a"), ConfigError) << "the signing key";

    const auto jwks = set.jwks();
    ASSERT_EQ(jwks["keys"].size(), 2u) << "the HMAC key is never published";
    const auto back = KeySet::from_jwks(jwks);
    EXPECT_EQ(back.keys().size(), 2u);
    EXPECT_EQ(back.signing_key(), nullptr);
    EXPECT_TRUE(back.find("a")->verify("x", set.find("a")->sign("x")));

    // Encryption keys, unknown kinds and unknown algorithms in a fetched set are skipped.
    auto mixed = jwks;
    mixed["keys"].push_back({{"kty", "RSA"}, {"use", "enc"}, {"kid", "e"}, {"n", "AQAB"}, {"e", "AQAB"}});
    mixed["keys"].push_back({{"kty", "oct"}, {"kid", "o"}, {"k", "c2VjcmV0"}});
    mixed["keys"].push_back({{"kty", "EC"}, {"kid", "p521"}, {"alg", "ES512"}, {"crv", "P-521"}});
    EXPECT_EQ(KeySet::from_jwks(mixed).keys().size(), 2u);
    EXPECT_THROW(KeySet::from_jwks(json::object()), ConfigError);
    // One bad key never costs the others, and each skip says why.
    auto broken = jwks;
    broken["keys"].push_back({{"kty", "RSA"}, {"kid", "bad"}, {"alg", "RS256"}, {"n", "!!"}, {"e", "AQAB"}});
    broken["keys"].push_back(jwks["keys"][0]);  // a's kid again, same algorithm
    std::vector<std::string> skipped;
    EXPECT_EQ(KeySet::from_jwks(broken, {"RS256"}, &skipped).keys().size(), 2u);
    ASSERT_EQ(skipped.size(), 2u);
    EXPECT_EQ(skipped[1], "key \"a\" skipped: its kid is repeated");
    // An RSA key published without alg serves each allowed RSA algorithm under its one kid.
    auto no_alg = set.find("b")->public_jwk();
    no_alg.erase("alg");
    const auto both = KeySet::from_jwks(json{{"keys", {no_alg}}}, {"RS256", "PS256"});
    ASSERT_EQ(both.keys().size(), 2u);
    EXPECT_NE(both.find("b", "RS256"), nullptr);
    EXPECT_NE(both.find("b", "PS256"), nullptr);
    EXPECT_EQ(both.find("b", "RS384"), nullptr);
    EXPECT_EQ(KeySet::from_jwks(json{{"keys", {no_alg}}}, {}).keys().size(), 0u) << "no RSA algorithm allowed";
    // Only that case: a signing key, or another public key, never shares its kid.
    KeySet shared;
    shared.add(Key::from_jwk(no_alg, "RS256"));
    EXPECT_NO_THROW(shared.add(Key::from_jwk(no_alg, "PS256")));
    EXPECT_THROW(shared.add(Key::from_jwk(no_alg, "PS256")), ConfigError) << "the same key and algorithm twice";
    EXPECT_THROW(shared.add(Key::from_pem("RS384", pair_for("PS256").public_pem, "b")), ConfigError) << "another key";
    EXPECT_THROW(shared.add(Key::from_pem("RS384", pair_for("RS256").private_pem, "b")), ConfigError) << "a signing key";
    set.remove("b");
    EXPECT_EQ(set.find("b"), nullptr);
}

TEST(Keys, GeneratedKeysSignAndSurviveAPemRoundTrip) {
    for (const char* alg : {"RS256", "ES384", "EdDSA"}) {
        const auto key = Key::generate(alg, "g");
        EXPECT_TRUE(key.can_sign());
        const auto again = Key::from_pem(alg, key.private_pem(), "g");
        EXPECT_TRUE(again.verify("m", key.sign("m"))) << alg;
    }
    EXPECT_NE(Key::generate("ES256").public_jwk()["x"], Key::generate("ES256").public_jwk()["x"]) << "fresh each time";
    EXPECT_THROW(Key::generate("HS256"), ConfigError);
    EXPECT_THROW(Key::hmac("HS256", std::string(32, 'k')).private_pem(), std::logic_error);
    EXPECT_THROW(Key::from_jwk(Key::generate("ES256").public_jwk()).private_pem(), std::logic_error);
}
