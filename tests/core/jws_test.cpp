#include "fauth/core/jws.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "support/keys.hpp"

using fauth::InvalidToken;
using fauth::Key;
using fauth::KeySet;
using fauth::verify_jws;
using nlohmann::json;

namespace {

// "verified", or the refusal's what().
std::string refusal(std::string_view token, const KeySet& keys, const std::vector<std::string>& algorithms = {}) {
    try {
        verify_jws(token, keys, algorithms);
        return "verified";
    } catch (const InvalidToken& e) {
        return e.what();
    }
}

std::string b64(std::string_view s) { return fauth::base64url_encode(s); }

// A compact JWS of `payload` under `header` (written as given), signed by `key`.
std::string signed_by(const Key& key, const std::string& header, const std::string& payload) {
    const auto input = b64(header) + "." + b64(payload);
    return input + "." + b64(key.sign(input));
}

// Keys and tokens from jwcrypto (tests/support/jose_sign.py), made once for the file.
const json& independent() {
    static const json made = fauth::test::jwcrypto({
        {"keys",
         {{{"kid", "ps"}, {"kty", "RSA"}, {"alg", "PS256"}},
          {{"kid", "ed"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "Ed25519"}},
          {{"kid", "p521"}, {"kty", "EC"}, {"crv", "P-521"}, {"alg", "ES512"}, {"key_ops", {"verify"}}},
          {{"kid", "eddsa"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "EdDSA"}}}},
        {"tokens",
         {{{"kid", "ps"}, {"payload", R"({"sub":"ps"})"}},
          {{"kid", "ed"}, {"payload", R"({"sub":"ed"})"}},
          {{"kid", "p521"}, {"payload", R"({"sub":"p521"})"}, {"header", {{"typ", "dpop+jwt"}}}},
          {{"kid", "eddsa"}, {"payload", ""}},
          {{"kid", "p521"}, {"payload", "kid-less"}, {"header", {{"kid", nullptr}}}},
          {{"kid", "ed"}, {"alg", "EdDSA"}, {"payload", "the wrong name for this key"}}}},
    });
    return made;
}

}  // namespace

TEST(VerifyJws, VerifiesJwcryptoTokensWithTheKeysTheirJwksDeclare) {
    const auto keys = KeySet::from_jwks(independent()["jwks"]);
    ASSERT_EQ(keys.keys().size(), 4u);
    const auto& tokens = independent()["tokens"];

    const auto ps = verify_jws(tokens[0].get<std::string>(), keys);
    EXPECT_EQ(ps.payload, R"({"sub":"ps"})");
    EXPECT_EQ(ps.header["alg"], "PS256");
    EXPECT_EQ(ps.header["kid"], "ps");
    EXPECT_EQ(ps.key.kid(), "ps");
    EXPECT_EQ(ps.key.algorithm(), "PS256");

    const auto ed = verify_jws(tokens[1].get<std::string>(), keys);
    EXPECT_EQ(ed.payload, R"({"sub":"ed"})");
    EXPECT_EQ(ed.header["alg"], "Ed25519") << "RFC 9864's name";

    const auto p521 = verify_jws(tokens[2].get<std::string>(), keys);
    EXPECT_EQ(p521.payload, R"({"sub":"p521"})");
    EXPECT_EQ(p521.header["typ"], "dpop+jwt") << "any typ: the caller reads it";
    EXPECT_EQ(p521.key.algorithm(), "ES512");

    const auto empty = verify_jws(tokens[3].get<std::string>(), keys);
    EXPECT_EQ(empty.payload, "") << "a JWS may sign nothing";

    // Without kid: the set's only ES512 key.
    const auto kidless = verify_jws(tokens[4].get<std::string>(), keys);
    EXPECT_FALSE(kidless.header.contains("kid"));
    EXPECT_EQ(kidless.payload, "kid-less");
    EXPECT_EQ(kidless.key.kid(), "p521");

    // The key "ed" declares Ed25519: an EdDSA token under its kid is another algorithm.
    EXPECT_EQ(refusal(tokens[5].get<std::string>(), keys), "Invalid token: algorithm not allowed");

    // The caller's list of algorithms narrows what is accepted.
    EXPECT_EQ(refusal(tokens[0].get<std::string>(), keys, {"RS256"}), "Invalid token: algorithm not allowed");
    EXPECT_EQ(refusal(tokens[0].get<std::string>(), keys, {"RS256", "PS256"}), "verified");
}

TEST(VerifyJws, AJwkSetWhoseOneKeyHasNoKidVerifiesKidlessTokens) {
    // Some providers publish a single key without a kid, and sign without one.
    const auto signer = Key::generate("ES256", "ignored");
    auto published = signer.public_jwk();
    published.erase("kid");
    std::vector<std::string> skipped;
    const auto keys = KeySet::from_jwks({{"keys", {published}}}, {"RS256"}, &skipped);
    EXPECT_TRUE(skipped.empty()) << skipped.front();
    ASSERT_EQ(keys.keys().size(), 1u);
    EXPECT_EQ(keys.find(""), nullptr) << "an empty kid names no key";
    EXPECT_EQ(refusal(signed_by(signer, R"({"alg":"ES256"})", "x"), keys), "verified");
    EXPECT_EQ(refusal(signed_by(signer, R"({"alg":"ES256","kid":""})", "x"), keys), "Invalid token: unknown kid")
        << "a token naming a kid, even an empty one, is chosen by it";
    // Two kid-less keys for one algorithm: neither is chosen.
    auto second = Key::generate("ES256", "other").public_jwk();
    second.erase("kid");
    const auto both = KeySet::from_jwks({{"keys", {published, second}}});
    ASSERT_EQ(both.keys().size(), 2u);
    EXPECT_EQ(refusal(signed_by(signer, R"({"alg":"ES256"})", "x"), both),
              "Invalid token: token has no kid and several keys could verify it");
}

TEST(VerifyJws, AKidlessTokenNeedsExactlyOneKeyForItsAlgorithm) {
    const auto a = Key::generate("ES256", "a");
    const auto b = Key::generate("ES256", "b");
    const auto other_alg = Key::generate("EdDSA", "e");
    const auto token = signed_by(a, R"({"alg":"ES256"})", "x");
    KeySet one;
    one.add(Key::from_jwk(a.public_jwk())).add(Key::from_jwk(other_alg.public_jwk()));
    EXPECT_EQ(refusal(token, one), "verified") << "one ES256 key, whatever else the set holds";
    KeySet two = one;
    two.add(Key::from_jwk(b.public_jwk()));
    EXPECT_EQ(refusal(token, two), "Invalid token: token has no kid and several keys could verify it");
    EXPECT_EQ(refusal(signed_by(a, R"({"alg":"ES256","kid":"a"})", "x"), two), "verified") << "a kid still chooses";
    KeySet none;
    none.add(Key::from_jwk(other_alg.public_jwk()));
    EXPECT_EQ(refusal(token, none), "Invalid token: token has no kid");
    EXPECT_EQ(refusal(token, KeySet{}), "Invalid token: token has no kid");
    // The only key, but another's signature.
    EXPECT_EQ(refusal(signed_by(b, R"({"alg":"ES256"})", "x"), one), "Invalid token: signature mismatch");
}

TEST(VerifyJws, RefusesEveryBadInputWithItsReason) {
    const auto rsa = Key::generate("RS256", "rsa");
    const auto hmac = Key::hmac("HS256", std::string(32, 'k'), "mac");
    KeySet keys;
    keys.add(Key::from_jwk(rsa.public_jwk()));
    const auto good = signed_by(rsa, R"({"alg":"RS256","kid":"rsa"})", "x");
    ASSERT_EQ(refusal(good, keys), "verified");

    const auto dot = good.find('.');
    const auto last = good.rfind('.');
    EXPECT_EQ(refusal("", keys), "Invalid token: empty token");
    EXPECT_EQ(refusal(good.substr(0, last), keys), "Invalid token: malformed token: expected three segments");
    EXPECT_EQ(refusal(good + ".", keys), "Invalid token: malformed token: expected three segments");
    EXPECT_EQ(refusal(good.substr(0, last + 1), keys), "Invalid token: malformed token: empty segment") << "no signature";
    EXPECT_EQ(refusal(good.substr(dot), keys), "Invalid token: malformed token: empty segment") << "no header";
    EXPECT_EQ(refusal("e30=" + good.substr(dot), keys), "Invalid token: header is not canonical base64url");
    EXPECT_EQ(refusal(good + "=", keys), "Invalid token: signature is not canonical base64url");
    const auto loose_input = good.substr(0, dot) + ".eB";  // "x" with its unused bits set: not canonical
    EXPECT_EQ(refusal(loose_input + "." + b64(rsa.sign(loose_input)), keys), "Invalid token: payload is not canonical base64url");
    auto tampered = good;
    tampered[last + 5] = tampered[last + 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(refusal(tampered, keys), "Invalid token: signature mismatch");

    const auto with = [&](const std::string& header) { return refusal(signed_by(rsa, header, "x"), keys); };
    EXPECT_EQ(with("not json"), "Invalid token: header is not valid JSON");
    EXPECT_NE(with(R"({"alg":"RS256","kid":"rsa","kid":"rsa"})").find("duplicate"), std::string::npos);
    EXPECT_EQ(with(R"({"kid":"rsa"})"), "Invalid token: header has no alg");
    EXPECT_EQ(with(R"({"alg":256,"kid":"rsa"})"), "Invalid token: header has no alg");
    EXPECT_EQ(with(R"({"alg":"none","kid":"rsa"})"), "Invalid token: alg none is not accepted");
    EXPECT_EQ(with(R"({"alg":"NoNe"})"), "Invalid token: alg none is not accepted");
    EXPECT_EQ(with(R"({"alg":"RS256","kid":"rsa","crit":["exp"],"exp":1})"),
              "Invalid token: crit header parameters are not supported");
    EXPECT_EQ(with(R"({"alg":"RS256","kid":"rsa","b64":false,"crit":["b64"]})"),
              "Invalid token: crit header parameters are not supported")
        << "RFC 7797 is not implemented";
    EXPECT_EQ(with(R"({"alg":"RS256","kid":7})"), "Invalid token: kid is not a string");
    EXPECT_EQ(with(R"({"alg":"RS256","kid":"rsa","typ":7})"), "Invalid token: typ is not a string");
    EXPECT_EQ(with(R"({"alg":"RS256","kid":"nobody"})"), "Invalid token: unknown kid");
    EXPECT_EQ(with(R"({"alg":"RS1","kid":"rsa"})"), "Invalid token: algorithm not allowed");
    EXPECT_EQ(with(R"({"alg":"PS256","kid":"rsa"})"), "Invalid token: algorithm not allowed") << "the key is RS256's";
    EXPECT_EQ(with(std::string(100000, '[') + std::string(100000, ']')), "Invalid token: header is not a JSON object");
    EXPECT_EQ(with(R"({"alg":"RS256","kid":"rsa","x":1e999})"), "Invalid token: header is not valid JSON") << "beyond a double";

    // The classic confusion: HS256 "signed" with the RSA public key's text as the secret.
    const auto pem_secret = Key::hmac("HS256", rsa.public_jwk().dump(), "rsa");
    EXPECT_EQ(refusal(signed_by(pem_secret, R"({"alg":"HS256","kid":"rsa"})", "x"), keys),
              "Invalid token: algorithm not allowed");
    EXPECT_EQ(refusal(signed_by(pem_secret, R"({"alg":"HS256"})", "x"), keys), "Invalid token: token has no kid");
    // A key embedded in the header is never used: the attacker's own key under our kid.
    const auto attacker = Key::generate("RS256", "rsa");
    json forged_header = {{"alg", "RS256"}, {"kid", "rsa"}, {"jwk", attacker.public_jwk()}};
    EXPECT_EQ(refusal(signed_by(attacker, forged_header.dump(), "x"), keys), "Invalid token: signature mismatch");

    // HMAC keys verify when the caller's set holds one.
    KeySet secret;
    secret.add(hmac);
    EXPECT_EQ(refusal(signed_by(hmac, R"({"alg":"HS256","kid":"mac"})", "x"), secret), "verified");
    EXPECT_EQ(refusal(signed_by(hmac, R"({"alg":"HS256","kid":"mac"})", "x"), secret, {"RS256"}),
              "Invalid token: algorithm not allowed");
}
