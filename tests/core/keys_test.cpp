#include "fauth/core/keys.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "key_impl.hpp"
#include "support/keys.hpp"

using fauth::ConfigError;
using fauth::Key;
using fauth::KeySet;
using fauth::test::make_pem_pair;
using nlohmann::json;

namespace {

const std::vector<std::string> kAsymmetric = {"RS256", "RS384", "RS512", "PS256", "PS384",  "PS512",
                                              "ES256", "ES384", "ES512", "EdDSA", "Ed25519"};

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
    EXPECT_EQ(Key::from_pem("ES512", pair_for("ES512").private_pem, "k").sign(input).size(), 132u) << "2 x 66 bytes";
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
    EXPECT_THROW(Key::from_pem("ES512", p256.public_pem), ConfigError) << "wrong curve";
    EXPECT_THROW(Key::from_pem("ES512", p384.public_pem), ConfigError) << "wrong curve";
    EXPECT_THROW(Key::from_pem("ES384", pair_for("ES512").public_pem), ConfigError) << "wrong curve";
    EXPECT_THROW(Key::from_pem("Ed25519", p256.public_pem), ConfigError);
    EXPECT_THROW(Key::from_pem("ES256K", p256.public_pem), ConfigError) << "unsupported algorithm";
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
    EXPECT_THROW(set.add(Key::from_pem("ES256", pair_for("ES256").private_pem)), ConfigError) << "a signing key without a kid";
    EXPECT_THROW(set.add(Key::hmac("HS256", std::string(32, 't'))), ConfigError) << "an HMAC key without a kid";
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
    mixed["keys"].push_back({{"kty", "EC"}, {"kid", "k256"}, {"alg", "ES256K"}, {"crv", "secp256k1"}});
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
    for (const char* alg : {"RS256", "ES384", "ES512", "EdDSA", "Ed25519"}) {
        const auto key = Key::generate(alg, "g");
        EXPECT_EQ(key.algorithm(), alg);
        EXPECT_TRUE(key.can_sign());
        const auto again = Key::from_pem(alg, key.private_pem(), "g");
        EXPECT_TRUE(again.verify("m", key.sign("m"))) << alg;
    }
    EXPECT_NE(Key::generate("ES256").public_jwk()["x"], Key::generate("ES256").public_jwk()["x"]) << "fresh each time";
    EXPECT_THROW(Key::generate("HS256"), ConfigError);
    EXPECT_THROW(Key::hmac("HS256", std::string(32, 'k')).private_pem(), std::logic_error);
    EXPECT_THROW(Key::from_jwk(Key::generate("ES256").public_jwk()).private_pem(), std::logic_error);
}

namespace {

// The ROCA detector's own samples (tests/core/data/roca/README.md names them).
std::string roca_file(const std::string& name) {
    const auto path = std::filesystem::path(__FILE__).parent_path() / "data" / "roca" / name;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("missing test data " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A BIGNUM from hexadecimal ("0x..." as mod03.txt writes it) or decimal text.
std::unique_ptr<BIGNUM, decltype(&BN_free)> big(std::string text, bool hex) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (hex && text.starts_with("0x")) text.erase(0, 2);
    BIGNUM* n = nullptr;
    const int read = hex ? BN_hex2bn(&n, text.c_str()) : BN_dec2bn(&n, text.c_str());
    if (read != static_cast<int>(text.size())) throw std::runtime_error("not a number: " + text);
    return {n, &BN_free};
}

std::string bytes_of(const BIGNUM* n) {
    std::string out(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
    BN_bn2bin(n, reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST(Keys, Es512AndEd25519ComeFromPemJwkAndGenerateAndAreTheirOwnAlgorithms) {
    // ES512: P-521, 66-byte coordinates, 132-byte r||s signatures, inferred from the curve.
    const auto p521 = Key::generate("ES512", "p");
    auto jwk = p521.public_jwk();
    EXPECT_EQ(jwk["crv"], "P-521");
    EXPECT_EQ(unb64(jwk["x"].get<std::string>()).size(), 66u);
    jwk.erase("alg");
    const auto inferred = Key::from_jwk(jwk);
    EXPECT_EQ(inferred.algorithm(), "ES512");
    EXPECT_FALSE(inferred.declares_algorithm()) << "inferred from the curve";
    const auto signature = p521.sign("m");
    EXPECT_EQ(signature.size(), 132u);
    EXPECT_TRUE(inferred.verify("m", signature));
    EXPECT_FALSE(inferred.verify("m", signature.substr(0, 131))) << "r||s of exactly 2 x 66 bytes";
    jwk["x"] = fauth::base64url_encode(unb64(jwk["x"].get<std::string>()).substr(1));
    EXPECT_THROW(Key::from_jwk(jwk), ConfigError) << "a 65-byte coordinate";

    // Ed25519 (RFC 9864) and EdDSA (RFC 8037): one key type, two names, never mixed.
    const auto ed = Key::generate("Ed25519", "e");
    EXPECT_EQ(ed.public_jwk()["alg"], "Ed25519");
    EXPECT_EQ(ed.public_jwk()["crv"], "Ed25519");
    const auto same_key_as_eddsa = Key::from_pem("EdDSA", ed.private_pem(), "e");
    EXPECT_TRUE(same_key_as_eddsa.verify("m", ed.sign("m"))) << "the same signature scheme";
    EXPECT_EQ(Key::from_jwk(ed.public_jwk()).algorithm(), "Ed25519");
    auto no_alg = ed.public_jwk();
    no_alg.erase("alg");
    EXPECT_EQ(Key::from_jwk(no_alg).algorithm(), "EdDSA") << "RFC 8037's name when the JWK names none";
    EXPECT_EQ(Key::from_jwk(no_alg, "Ed25519").algorithm(), "Ed25519");
    const auto both = KeySet::from_jwks(json{{"keys", {no_alg}}});
    ASSERT_EQ(both.keys().size(), 2u) << "a set's Ed25519 key without alg serves both names";
    EXPECT_NE(both.find("e", "EdDSA"), nullptr);
    EXPECT_NE(both.find("e", "Ed25519"), nullptr);
    EXPECT_TRUE(fauth::is_supported_algorithm("Ed25519"));
    EXPECT_TRUE(fauth::is_supported_algorithm("ES512"));
    EXPECT_FALSE(fauth::is_supported_algorithm("ed25519")) << "case-sensitive";
}

TEST(Keys, OnlyAStatedAlgorithmIsDeclared) {
    const auto rsa = Key::from_pem("PS256", pair_for("PS256").public_pem, "r");
    EXPECT_TRUE(rsa.declares_algorithm()) << "made for PS256";
    EXPECT_TRUE(Key::hmac("HS256", std::string(32, 'k')).declares_algorithm());
    EXPECT_TRUE(Key::generate("ES256").declares_algorithm());
    auto jwk = rsa.public_jwk();
    EXPECT_TRUE(Key::from_jwk(jwk).declares_algorithm()) << "alg PS256 in the JWK";
    jwk.erase("alg");
    EXPECT_FALSE(Key::from_jwk(jwk, "PS256").declares_algorithm()) << "given by the caller, not by the key";
    const auto set = KeySet::from_jwks(json{{"keys", {jwk}}}, {"RS256", "PS256"});
    ASSERT_EQ(set.keys().size(), 2u);
    for (const auto& key : set.keys()) EXPECT_FALSE(key.declares_algorithm()) << key.algorithm();
}

TEST(Keys, AJwkNotForVerifyingIsRefusedAndSkipped) {
    auto jwk = Key::from_pem("ES256", pair_for("ES256").public_pem, "k").public_jwk();
    jwk["key_ops"] = json::array({"verify"});
    EXPECT_NO_THROW(Key::from_jwk(jwk));
    jwk["key_ops"] = json::array({"sign", "verify"});
    EXPECT_NO_THROW(Key::from_jwk(jwk));
    jwk["key_ops"] = json::array({"encrypt"});
    EXPECT_EQ(message_of([&] { Key::from_jwk(jwk); }), "its key_ops [\"encrypt\"] lack \"verify\"");
    jwk["key_ops"] = json::array();
    EXPECT_THROW(Key::from_jwk(jwk), ConfigError) << "no operation at all";
    jwk["key_ops"] = "verify";
    EXPECT_EQ(message_of([&] { Key::from_jwk(jwk); }), "its key_ops is not an array of strings");
    jwk["key_ops"] = json::array({"verify", 1});
    EXPECT_THROW(Key::from_jwk(jwk), ConfigError);
    jwk.erase("key_ops");
    jwk["use"] = "enc";
    EXPECT_EQ(message_of([&] { Key::from_jwk(jwk); }), "its use is not \"sig\"") << "Key::from_jwk as from_jwks";

    // In a set: skipped with the reason, the others kept.
    auto good = Key::from_pem("ES384", pair_for("ES384").public_pem, "good").public_jwk();
    jwk.erase("use");
    jwk["key_ops"] = json::array({"encrypt", "wrapKey"});
    std::vector<std::string> skipped;
    const auto set = KeySet::from_jwks(json{{"keys", {jwk, good}}}, {"RS256"}, &skipped);
    ASSERT_EQ(set.keys().size(), 1u);
    EXPECT_EQ(set.keys()[0].kid(), "good");
    ASSERT_EQ(skipped.size(), 1u);
    EXPECT_EQ(skipped[0], "key \"k\" skipped: its key_ops [\"encrypt\",\"wrapKey\"] lack \"verify\"");
}

TEST(Keys, RocaKeysAreRefusedWhereverAnRsaPublicKeyEnters) {
    // A real key of the vulnerable Infineon library, as PEM and as a JWK.
    const auto weak_pem = roca_file("pubkey03.pem");
    const auto refused = message_of([&] { Key::from_pem("RS256", weak_pem, "roca"); });
    EXPECT_NE(refused.find("ROCA"), std::string::npos) << refused;
    EXPECT_NE(refused.find("CVE-2017-15361"), std::string::npos) << refused;
    EXPECT_NE(message_of([&] { Key::from_pem("PS256", weak_pem); }).find("ROCA"), std::string::npos);
    const auto weak_n = big(roca_file("mod03.txt"), true);
    ASSERT_EQ(BN_num_bits(weak_n.get()), 2048);
    const json weak_jwk = {{"kty", "RSA"},
                           {"kid", "roca"},
                           {"alg", "RS256"},
                           {"n", fauth::base64url_encode(bytes_of(weak_n.get()))},
                           {"e", "AQAB"}};
    EXPECT_NE(message_of([&] { Key::from_jwk(weak_jwk); }).find("ROCA"), std::string::npos);
    auto no_alg = weak_jwk;
    no_alg.erase("alg");
    std::vector<std::string> skipped;
    const auto good = Key::from_pem("RS256", pair_for("RS256").public_pem, "good").public_jwk();
    EXPECT_EQ(KeySet::from_jwks(json{{"keys", {weak_jwk, no_alg, good}}}, {"RS256", "PS256"}, &skipped).keys().size(), 1u);
    ASSERT_EQ(skipped.size(), 2u);
    for (const auto& reason : skipped) EXPECT_NE(reason.find("ROCA"), std::string::npos) << reason;

    // Keys without the fingerprint pass: the detector's negative sample, and fresh ones.
    const auto fine = Key::from_pem("RS256", roca_file("pubkey01.pem"), "fine");
    EXPECT_NO_THROW(Key::from_jwk(fine.public_jwk()));
    for (int i = 0; i < 3; ++i) EXPECT_NO_THROW(Key::generate("RS256")) << "a fresh key never has the fingerprint";
}

TEST(Keys, TheRocaTestIsTheExactOneNotTheResidueTestAlone) {
    EXPECT_TRUE(fauth::detail::has_roca_fingerprint(big(roca_file("mod03.txt"), true).get()));
    // Numbers whose residues are each a power of 65537, but not all the same power: the residue
    // test alone (the detector's first one) calls them vulnerable, the exact test does not.
    std::istringstream fakes(roca_file("fake_moduli.txt"));
    int count = 0;
    for (std::string line; std::getline(fakes, line); ++count)
        EXPECT_FALSE(fauth::detail::has_roca_fingerprint(big(line, false).get())) << line;
    EXPECT_EQ(count, 10) << "every fake modulus of the detector's test";
    // 65537^k itself is in the group, whatever k.
    for (const char* exponent : {"1", "200", "1001"}) {
        auto power = big("0", false);
        std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(), &BN_CTX_free);
        ASSERT_EQ(BN_exp(power.get(), big("65537", false).get(), big(exponent, false).get(), ctx.get()), 1);
        EXPECT_TRUE(fauth::detail::has_roca_fingerprint(power.get())) << "65537^" << exponent;
    }
}
