// Published JOSE test vectors through fauth: Project Wycheproof's JWS and JWK vectors and its
// signature-primitive vectors for every algorithm fauth verifies, RFC 7515 Appendix A, and the JOSE
// Cookbook's RFC 7520 section 4 and RFC 8037 Appendix A.4 examples. The files live outside the
// repository, in ../shared/vectors (CMake passes the path; SOURCES.md there says where each comes
// from). Every vector is run and counted: a missing or truncated file fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/jws.hpp"
#include "fauth/core/keys.hpp"

using fauth::ConfigError;
using fauth::InvalidToken;
using fauth::Key;
using fauth::KeySet;
using nlohmann::json;

namespace {

#ifndef FAUTH_VECTORS_DIR
#error "tests/CMakeLists.txt passes FAUTH_VECTORS_DIR, the directory of the published vectors"
#endif

json load(const std::string& relative) {
    const auto path = std::filesystem::path(FAUTH_VECTORS_DIR) / relative;
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("vector file " + path.string() +
                                 " is missing: the published vectors belong in ../shared/vectors beside the repository "
                                 "(see its SOURCES.md)");
    return json::parse(in);
}

// Vectors a source marks valid that fauth refuses by design, and why; each must be refused.
const std::map<std::pair<std::string, int>, std::string> kRefusedByDesign = {
    // RFC 7520 figure 27 as Wycheproof publishes it: the JWK says alg "ES521", which is no JWS
    // algorithm (RFC 7518 names P-521 ECDSA "ES512"); a JWK whose alg fauth does not know is
    // refused, never guessed at. The Cookbook's own copy of the figure (no alg) verifies below.
    {{"json_web_signature_test", 347}, "JWK alg ES521 is no JWS algorithm"},
    {{"json_web_signature_test", 351}, "JWK alg ES521 is no JWS algorithm"},
    // A '?' inserted into a segment: fauth reads only canonical base64url (RFC 7515 section 2),
    // and skips no character; Wycheproof accepts a decoder that ignores it.
    {{"json_web_signature_test", 372}, "not base64url: '?' in the header"},
    {{"json_web_signature_test", 373}, "not base64url: '?' in the payload"},
    // RFC 7520 figure 20 (a PS384 signature) as Wycheproof publishes it, with a JWK that says alg
    // "PS256": a key verifies only the algorithm its JWK declares (RFC 8725 section 3.1). The
    // Cookbook's own copy of the key (no alg) verifies the figure below.
    {{"json_web_signature_test", 346}, "the JWK declares PS256, the token is PS384"},
    {{"json_web_signature_test", 350}, "the JWK declares PS256, the token is PS384"},
};

// Vectors marked invalid whose token is byte for byte that of a vector marked valid (the file
// contradicts itself: the padding their names announce was never added). fauth cannot both
// accept and refuse one token: they are checked to be identical to their twin, and to verify.
const std::map<std::pair<std::string, int>, int> kSameAsValid = {
    {{"json_web_signature_test", 367}, 357},  // invalidBase64Padding
    {{"json_web_signature_test", 370}, 357},  // invalidBase64PaddingInPayload
};

// Vectors a source leaves to the implementation ("acceptable"), and what fauth does.
const std::map<std::pair<std::string, int>, bool> kAcceptableVerifies = {
    // PKCS #1 v1.5 DigestInfo without the NULL parameters (RFC 8017 section 9.2 note 2: both forms
    // exist); OpenSSL's verification refuses it, and so does fauth.
    {{"rsa_signature_2048_sha256_test", 8}, false},
    {{"rsa_signature_2048_sha384_test", 8}, false},
    {{"rsa_signature_2048_sha512_test", 8}, false},
    {{"rsa_signature_4096_sha512_test", 8}, false},
};

struct Tally {
    int run = 0;
    std::set<std::pair<std::string, int>> by_design_seen;
    std::map<int, std::string> tokens;  // by tcId, for kSameAsValid
};

// Checks fauth's outcome for vector `tc` of `file` against the source's `result`.
void expect(Tally& tally, const std::string& file, int tc, const std::string& result, bool verified, const std::string& why) {
    ++tally.run;
    const auto id = std::make_pair(file, tc);
    if (const auto design = kRefusedByDesign.find(id); design != kRefusedByDesign.end()) {
        tally.by_design_seen.insert(id);
        EXPECT_EQ(result, "valid") << file << " #" << tc << " is listed as refused by design but is " << result;
        EXPECT_FALSE(verified) << file << " #" << tc << " should be refused: " << design->second;
        return;
    }
    if (const auto twin = kSameAsValid.find(id); twin != kSameAsValid.end()) {
        tally.by_design_seen.insert(id);
        EXPECT_EQ(result, "invalid") << file << " #" << tc;
        ASSERT_TRUE(tally.tokens.contains(twin->second) && tally.tokens.contains(tc)) << file << " #" << tc;
        EXPECT_EQ(tally.tokens[tc], tally.tokens[twin->second]) << file << " #" << tc << " is no longer its twin's token";
        EXPECT_TRUE(verified) << file << " #" << tc << " is #" << twin->second << "'s valid token: " << why;
        return;
    }
    if (result == "valid") {
        EXPECT_TRUE(verified) << file << " #" << tc << " is valid, refused: " << why;
    } else if (result == "invalid") {
        EXPECT_FALSE(verified) << file << " #" << tc << " is invalid, verified";
    } else {
        ASSERT_EQ(result, "acceptable") << file << " #" << tc;
        const auto decided = kAcceptableVerifies.find(id);
        ASSERT_NE(decided, kAcceptableVerifies.end()) << file << " #" << tc << " is acceptable and fauth's choice is not listed";
        EXPECT_EQ(verified, decided->second) << file << " #" << tc << ": " << why;
    }
}

// Verifies `token` with `keys` through the public JWS verify: true, or false with the reason.
bool verifies(std::string_view token, const KeySet& keys, std::string& why) {
    try {
        fauth::verify_jws(token, keys);
        return true;
    } catch (const InvalidToken& e) {
        why = e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "verify_jws threw something else than InvalidToken: " << e.what();
        why = e.what();
    }
    return false;
}

std::string unhex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
}

// An HMAC key from a symmetric JWK: fauth keeps secrets out of JWK Sets (Key::from_jwk refuses
// kty oct), so the test makes the key a service would configure from the same secret.
Key hmac_from(const json& jwk, std::string_view algorithm, std::string kid) {
    std::string secret;
    if (jwk.value("kty", "") != "oct" || !fauth::base64url_decode(jwk.value("k", ""), secret))
        throw ConfigError("not a symmetric JWK");
    return Key::hmac(algorithm, secret, std::move(kid));
}

// The public part of an RFC example's key (the RFCs print the private members too), with a kid
// (a KeySet names every key; a token without kid finds it as the set's only key for its alg).
json public_part(json jwk) {
    for (const auto* member : {"d", "p", "q", "dp", "dq", "qi"}) jwk.erase(member);
    if (!jwk.contains("kid")) jwk["kid"] = "verifier";
    return jwk;
}

// Sums the tests of a Wycheproof file and checks them against its numberOfTests and `expected`.
void expect_count(const json& file, const std::string& name, int expected) {
    int tests = 0;
    for (const auto& group : file["testGroups"]) tests += static_cast<int>(group["tests"].size());
    EXPECT_EQ(file["numberOfTests"].get<int>(), expected) << name;
    EXPECT_EQ(tests, expected) << name;
}

int tc_of(const json& test) {
    return test["tcId"].is_number() ? test["tcId"].get<int>() : std::stoi(test["tcId"].get<std::string>());
}

}  // namespace

// 401 JWS compact tokens, each with the key of its group (Key::from_jwk for public keys, an HMAC key
// for the symmetric ones), through verify_jws.
TEST(Vectors, WycheproofJsonWebSignature) {
    const std::string name = "json_web_signature_test";
    const auto file = load("wycheproof/" + name + ".json");
    expect_count(file, name, 401);
    Tally tally;
    for (const auto& group : file["testGroups"]) {
        KeySet keys;
        std::string key_refusal;
        try {
            if (group.contains("public")) {
                keys.add(Key::from_jwk(group["public"]));
            } else {
                const auto& secret = group["private"];
                keys.add(hmac_from(secret, secret.value("alg", ""), secret.value("kid", "")));
            }
        } catch (const ConfigError& e) {
            key_refusal = std::string("key refused: ") + e.what();  // use "enc", key_ops ["encrypt"], alg "ES521"
        }
        for (const auto& test : group["tests"]) {
            std::string why = key_refusal;
            tally.tokens[tc_of(test)] = test["jws"].get<std::string>();
            const bool ok = key_refusal.empty() && verifies(test["jws"].get<std::string>(), keys, why);
            expect(tally, name, tc_of(test), test["result"], ok, why);
        }
    }
    EXPECT_EQ(tally.run, 401) << "every vector of the file";
    EXPECT_EQ(tally.by_design_seen.size(), 8u) << "each exception listed above was met";
}

// 26 JWK Sets with a JWS each: a set that holds public keys goes through KeySet::from_jwks (which
// skips secrets, private keys, weak RSA keys with fewer than 2048 bits, exponent 1 or the ROCA
// fingerprint, unknown algorithms and curves, and keys for encryption); a set of secrets is made
// into HMAC keys one by one (a repeated kid, a short or empty secret, an AES key refuse the set).
TEST(Vectors, WycheproofJsonWebKey) {
    const std::string name = "json_web_key_test";
    const auto file = load("wycheproof/" + name + ".json");
    expect_count(file, name, 26);
    Tally tally;
    for (const auto& group : file["testGroups"]) {
        const auto& set = group.contains("public") ? group["public"] : group["private"];
        bool secrets = true;
        for (const auto& jwk : set["keys"]) secrets = secrets && jwk.value("kty", "") == "oct";
        KeySet keys;
        std::string refusal;
        std::vector<std::string> skipped;
        try {
            if (secrets) {
                KeySet all;  // all or nothing: a refused secret refuses the set
                for (const auto& jwk : set["keys"]) all.add(hmac_from(jwk, jwk.value("alg", ""), jwk.value("kid", "")));
                keys = std::move(all);
            } else {
                keys = KeySet::from_jwks(set, {}, &skipped);
            }
        } catch (const ConfigError& e) {
            refusal = std::string("set refused: ") + e.what();
        }
        for (const auto& reason : skipped) refusal += reason + "; ";
        for (const auto& test : group["tests"]) {
            std::string why = refusal;
            const bool ok = verifies(test["jws"].get<std::string>(), keys, why);
            expect(tally, name, tc_of(test), test["result"], ok, why);
            if (group["comment"] == "jws_rsa_roca_key") {
                EXPECT_NE(refusal.find("ROCA"), std::string::npos) << "the ROCA key is skipped for its fingerprint: " << refusal;
            }
        }
    }
    EXPECT_EQ(tally.run, 26);
}

// The signature primitives under every JWS algorithm fauth verifies: each group's public key from
// its PEM and (where given) its JWK, every signature through Key::verify, both keys agreeing.
TEST(Vectors, WycheproofSignaturePrimitives) {
    const std::vector<std::tuple<std::string, std::string, int>> files = {
        {"ecdsa_secp256r1_sha256_p1363_test", "ES256", 262}, {"ecdsa_secp384r1_sha384_p1363_test", "ES384", 280},
        {"ecdsa_secp521r1_sha512_p1363_test", "ES512", 318}, {"ed25519_test", "EdDSA", 151},
        {"rsa_signature_2048_sha256_test", "RS256", 259},    {"rsa_signature_2048_sha384_test", "RS384", 258},
        {"rsa_signature_2048_sha512_test", "RS512", 259},    {"rsa_signature_4096_sha512_test", "RS512", 259},
        {"rsa_pss_2048_sha256_mgf1_32_test", "PS256", 108},  {"rsa_pss_2048_sha384_mgf1_48_test", "PS384", 141},
        {"rsa_pss_4096_sha512_mgf1_64_test", "PS512", 179},
    };
    Tally tally;
    int expected_total = 0;
    for (const auto& [name, alg, count] : files) {
        const auto file = load("wycheproof/" + name + ".json");
        expect_count(file, name, count);
        expected_total += count;
        for (const auto& group : file["testGroups"]) {
            const auto from_pem = Key::from_pem(alg, group["publicKeyPem"].get<std::string>(), "pem");
            std::vector<Key> keys{from_pem};
            const auto jwk = group.contains("publicKeyJwk") ? group["publicKeyJwk"] : group.value("keyJwk", json());
            if (!jwk.is_null()) keys.push_back(Key::from_jwk(jwk, alg));
            // Ed25519 under its RFC 9864 name: the same key, the same answers.
            if (alg == "EdDSA") keys.push_back(Key::from_pem("Ed25519", group["publicKeyPem"].get<std::string>(), "ed"));
            for (const auto& test : group["tests"]) {
                const auto msg = unhex(test["msg"].get<std::string>()), sig = unhex(test["sig"].get<std::string>());
                const bool ok = from_pem.verify(msg, sig);
                for (const auto& key : keys)
                    EXPECT_EQ(key.verify(msg, sig), ok) << name << " #" << tc_of(test) << ": " << key.algorithm() << " key "
                                                        << key.kid() << " disagrees with the PEM key";
                expect(tally, name, tc_of(test), test["result"], ok, "Key::verify is false");
            }
        }
    }
    EXPECT_EQ(tally.run, expected_total);
    EXPECT_EQ(expected_total, 2474);
}

// RFC 7515 Appendix A.1-A.5: tokens without kid, verified by the one key of the verifier's set.
// A.5 (alg none) is presented to the verifier holding A.1's HMAC key and must be refused.
TEST(Vectors, Rfc7515AppendixA) {
    const auto file = load("rfc/rfc7515_appendix_a.json");
    ASSERT_EQ(file["vectors"].size(), 5u);
    Tally tally;
    int tc = 0;
    for (const auto& vector : file["vectors"]) {
        ++tc;
        const auto alg = vector.value("verifier_alg", vector["alg"].get<std::string>());
        KeySet keys;
        if (vector["jwk"]["kty"] == "oct")
            keys.add(hmac_from(vector["jwk"], alg, "verifier"));
        else
            keys.add(Key::from_jwk(public_part(vector["jwk"]), alg));
        std::string why;
        const auto token = vector["jws"].get<std::string>();
        const bool ok = verifies(token, keys, why);
        expect(tally, "rfc7515_appendix_a " + vector["id"].get<std::string>(), tc, vector["result"], ok, why);
        if (ok) {
            EXPECT_EQ(fauth::verify_jws(token, keys).payload,
                      vector["id"] == "A.4"
                          ? "Payload"
                          : "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}")
                << "the RFC's payload octets, CRLF included";
        }
    }
    EXPECT_EQ(tally.run, 5);
}

// The JOSE Cookbook's RFC 7520 4.1-4.4 (RS256, PS384, ES512, HS256) and RFC 8037 A.4 (EdDSA): each
// compact JWS with its key (private members dropped; the HMAC secret made a key), and its payload.
TEST(Vectors, Rfc7520AndRfc8037Cookbook) {
    const std::vector<std::string> files = {"rfc7520_4_1.rsa_v15_signature", "rfc7520_4_2.rsa-pss_signature",
                                            "rfc7520_4_3.ecdsa_signature", "rfc7520_4_4.hmac-sha2_integrity_protection",
                                            "rfc8037_a4.ed25519_signing"};
    Tally tally;
    for (const auto& name : files) {
        const auto file = load("rfc/" + name + ".json");
        const auto alg = file["signing"]["protected"]["alg"].get<std::string>();
        const auto& jwk = file["input"]["key"];
        KeySet keys;
        if (jwk["kty"] == "oct")
            keys.add(hmac_from(jwk, alg, jwk.value("kid", "verifier")));
        else
            keys.add(Key::from_jwk(public_part(jwk), alg));
        std::string why;
        const auto token = file["output"]["compact"].get<std::string>();
        const bool ok = verifies(token, keys, why);
        expect(tally, name, 1, "valid", ok, why);
        if (ok) {
            EXPECT_EQ(fauth::verify_jws(token, keys).payload, file["input"]["payload"].get<std::string>()) << name;
        }
    }
    EXPECT_EQ(tally.run, 5);
}
