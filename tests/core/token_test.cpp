#include "fauth/core/token.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "fauth/core/keys.hpp"
#include "support/allocation_counter.hpp"
#include "support/keys.hpp"

using fauth::TokenConfig;
using fauth::InvalidToken;
using fauth::TokenCodec;
using fauth::TokenExpired;
using fauth::TokenPayload;
using fauth::TokenType;
using nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes

TokenConfig config_at(std::int64_t* now) {
    TokenConfig c;
    c.secret_key = kSecret;
    c.clock = [now] { return std::chrono::system_clock::time_point(std::chrono::seconds(*now)); };
    return c;
}

// Builds tokens by hand, so tests can say exactly which bytes an attacker sends.
std::string b64(std::string_view s) { return fauth::base64url_encode(s); }

std::string mac(std::string_view input, const std::string& secret = kSecret, const char* digest = "SHA256") {
    fauth::detail::HmacKey key(digest, secret);
    unsigned char out[fauth::detail::kMaxMacSize];
    key.compute(input, out);
    return b64(std::string_view(reinterpret_cast<char*>(out), key.size()));
}

std::string forge_raw(const std::string& header_b64, const std::string& payload_b64, const char* digest = "SHA256") {
    const auto input = header_b64 + "." + payload_b64;
    return input + "." + mac(input, kSecret, digest);
}

std::string forge(const std::string& header, const std::string& payload, const char* digest = "SHA256") {
    return forge_raw(b64(header), b64(payload), digest);
}

const std::string kHeader = R"({"alg":"HS256","typ":"JWT"})";

json good_claims() {
    return json{{"sub", "user-123"},      {"exp", kNow + 60},       {"iat", kNow}, {"jti", "0123456789abcdef0123456789abcdef"},
                {"token_type", "access"}, {"scopes", json::array()}};
}

// The reason verify() gives for `token`, "" if it passes, "EXPIRED" for TokenExpired.
std::string reason(const TokenCodec& codec, const std::string& token, TokenType expected = TokenType::access) {
    try {
        codec.verify(token, expected);
        return "";
    } catch (const InvalidToken& e) {
        EXPECT_FALSE(e.reason().empty());
        EXPECT_EQ(e.kind(), fauth::ErrorKind::invalid_token);
        return e.reason();
    } catch (const TokenExpired& e) {
        EXPECT_EQ(e.kind(), fauth::ErrorKind::token_expired);
        EXPECT_STREQ(e.what(), "Token expired");
        return "EXPIRED";
    }
}

class TokenTest : public ::testing::Test {
protected:
    std::int64_t now = kNow;
    TokenCodec codec{config_at(&now)};
};

}  // namespace

TEST_F(TokenTest, IssuedAccessTokenRoundTrips) {
    const auto token = codec.issue(TokenType::access, "user-123", {"read", "write"}, json{{"tenant", "acme"}});
    const auto p = codec.verify(token, TokenType::access);
    EXPECT_EQ(p.sub, "user-123");
    EXPECT_EQ(p.iat, kNow);
    EXPECT_EQ(p.exp, kNow + 15 * 60);
    EXPECT_EQ(p.token_type, TokenType::access);
    EXPECT_EQ(p.scopes, (std::vector<std::string>{"read", "write"}));
    EXPECT_TRUE(p.has_scope("write"));
    EXPECT_FALSE(p.has_scope("admin"));
    EXPECT_EQ(p.extra, (json{{"tenant", "acme"}}));
    EXPECT_FALSE(p.nbf);
    EXPECT_FALSE(p.iss);
    EXPECT_TRUE(p.aud.empty());
    ASSERT_EQ(p.jti.size(), 22u) << "128 bits, base64url";
    std::string bits;
    EXPECT_TRUE(fauth::base64url_decode(p.jti, bits));
    EXPECT_EQ(bits.size(), 16u);
}

TEST_F(TokenTest, WritesTheDocumentedWireFormat) {
    const auto token = codec.issue(TokenType::refresh, "u1", {"a"});
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    std::string header, payload;
    ASSERT_TRUE(fauth::base64url_decode(token.substr(0, dot1), header));
    ASSERT_TRUE(fauth::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1), payload));
    EXPECT_EQ(json::parse(header), json::parse(kHeader));
    const auto claims = json::parse(payload);
    EXPECT_EQ(claims["token_type"], "refresh");
    EXPECT_EQ(claims["scopes"], json::array({"a"}));
    EXPECT_EQ(claims["exp"], kNow + 7 * 24 * 3600);
    EXPECT_EQ(token.substr(dot2 + 1).size(), 43u) << "32-byte MAC, unpadded";
}

TEST_F(TokenTest, EveryStringSurvivesTheClaimsWriterAndReaderExactly) {
    // Quotes, backslashes, every control character, DEL, multi-byte UTF-8: written by sign,
    // checked as JSON by nlohmann, read back by verify.
    std::string tricky = "q\"b\\s/\u00e9\xf0\x9f\x98\x80\x7f";
    for (char c = 1; c < 0x20; ++c) tricky.push_back(c);
    tricky.push_back('\0');
    auto payload = codec.make_payload(TokenType::access, tricky, {tricky, "", "plain"},
                                      json{{"nested", {{"k", tricky}, {"list", {1, 2.5, true, nullptr}}}},
                                           {"text", tricky},
                                           {"n", -42},
                                           {"empty", json::object()}});
    payload.iss = tricky;
    payload.family = tricky;
    payload.nbf = kNow - 5;
    const TokenConfig strict = [&] {
        auto c = config_at(&now);
        c.issuer = tricky;
        return c;
    }();
    const TokenCodec reader(strict);
    const auto token = codec.sign(payload);
    const auto dot1 = token.find('.'), dot2 = token.find('.', dot1 + 1);
    std::string body;
    ASSERT_TRUE(fauth::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1), body));
    const auto claims = json::parse(body);
    EXPECT_EQ(claims["sub"], tricky);
    EXPECT_EQ(claims["nested"]["k"], tricky);
    EXPECT_EQ(claims["nbf"], kNow - 5);

    const auto p = reader.verify(token, TokenType::access);
    EXPECT_EQ(p.sub, tricky);
    EXPECT_EQ(p.scopes, (std::vector<std::string>{tricky, "", "plain"}));
    EXPECT_EQ(p.iss, tricky);
    EXPECT_EQ(p.family, tricky);
    EXPECT_EQ(p.nbf, kNow - 5);
    EXPECT_EQ(p.extra, payload.extra);
}

TEST_F(TokenTest, SignedClaimsFollowedByNulBytesAreRefused) {
    // The DOM parser fauth used before stopped at a NUL and accepted such a payload.
    EXPECT_EQ(reason(codec, forge(kHeader, good_claims().dump() + std::string(3, '\0'))), "payload is not valid JSON");
    EXPECT_EQ(reason(codec, forge(kHeader + std::string(1, '\0'), good_claims().dump())), "header is not valid JSON");
}

TEST_F(TokenTest, EveryTokenGetsAFreshJti) {
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.insert(codec.make_payload(TokenType::access, "u").jti.str());
    EXPECT_EQ(ids.size(), 1000u);
}

TEST_F(TokenTest, ExtraClaimsCanNeverOverwriteRegisteredOnes) {
    for (const char* name : {"sub", "exp", "iat", "nbf", "jti", "token_type", "scopes", "iss", "aud", "fam"}) {
        EXPECT_TRUE(fauth::is_registered_claim(name));
        EXPECT_THROW(codec.issue(TokenType::access, "u", {}, json{{name, "x"}}), std::invalid_argument) << name;
        auto p = codec.make_payload(TokenType::access, "u");
        p.extra[name] = "x";
        EXPECT_THROW(codec.sign(p), std::invalid_argument) << name;
    }
    EXPECT_THROW(codec.issue(TokenType::access, "u", {}, json::array({1})), std::invalid_argument);
    EXPECT_THROW(codec.issue(TokenType::access, "u", {}, json("string")), std::invalid_argument);
    EXPECT_NO_THROW(codec.issue(TokenType::access, "u", {}, json()));
    EXPECT_THROW(codec.issue(TokenType::access, ""), std::invalid_argument) << "empty sub";
    EXPECT_THROW(codec.issue(TokenType::access, "\xff\xfe"), std::invalid_argument) << "invalid UTF-8";
}

TEST_F(TokenTest, EachTokenTypeIsAcceptedOnlyAsItself) {
    const TokenType types[] = {TokenType::access, TokenType::refresh, TokenType::password_reset, TokenType::email_verification};
    for (auto issued : types)
        for (auto expected : types) {
            const auto token = codec.issue(issued, "u");
            if (issued == expected)
                EXPECT_EQ(reason(codec, token, expected), "");
            else
                EXPECT_NE(reason(codec, token, expected).find("token used where"), std::string::npos);
        }
    EXPECT_EQ(fauth::token_type_from_string("password_reset"), TokenType::password_reset);
    EXPECT_FALSE(fauth::token_type_from_string("Access"));
}

TEST_F(TokenTest, TtlsComeFromTheConfig) {
    auto c = config_at(&now);
    c.password_reset_ttl = std::chrono::minutes(5);
    c.email_verification_ttl = std::chrono::hours(2);
    TokenCodec custom(c);
    EXPECT_EQ(custom.make_payload(TokenType::password_reset, "u").exp, kNow + 300);
    EXPECT_EQ(custom.make_payload(TokenType::email_verification, "u").exp, kNow + 7200);
}

TEST_F(TokenTest, ExpiryIsExactAndLeewayReallyApplies) {
    const auto token = codec.issue(TokenType::access, "u");  // exp = kNow + 900
    now = kNow + 899;
    EXPECT_EQ(reason(codec, token), "");
    now = kNow + 900;
    EXPECT_EQ(reason(codec, token), "EXPIRED");
    auto lenient = config_at(&now);
    lenient.leeway = std::chrono::seconds(30);
    TokenCodec with_leeway(lenient);
    now = kNow + 929;
    EXPECT_EQ(reason(with_leeway, token), "");
    now = kNow + 930;
    EXPECT_EQ(reason(with_leeway, token), "EXPIRED");
}

TEST_F(TokenTest, NotBeforeAndIssuedAtHonourTheLeeway) {
    auto claims = good_claims();
    claims["nbf"] = kNow + 10;
    const auto not_yet = forge(kHeader, claims.dump());
    EXPECT_EQ(reason(codec, not_yet), "token not yet valid");
    auto future_iat = good_claims();
    future_iat["iat"] = kNow + 10;
    EXPECT_EQ(reason(codec, forge(kHeader, future_iat.dump())), "token issued in the future");

    auto lenient = config_at(&now);
    lenient.leeway = std::chrono::seconds(10);
    TokenCodec with_leeway(lenient);
    EXPECT_EQ(reason(with_leeway, not_yet), "");
    EXPECT_EQ(reason(with_leeway, forge(kHeader, future_iat.dump())), "");
    now = kNow + 10;
    EXPECT_EQ(reason(codec, not_yet), "");
}

TEST_F(TokenTest, IssuerAndAudienceAreWrittenAndChecked) {
    auto c = config_at(&now);
    c.issuer = "https://auth.example";
    c.audience = "api";
    TokenCodec strict(c);
    const auto token = strict.issue(TokenType::access, "u");
    const auto p = strict.verify(token, TokenType::access);
    EXPECT_EQ(p.iss, "https://auth.example");
    EXPECT_EQ(p.aud, std::vector<std::string>{"api"});

    EXPECT_EQ(reason(strict, codec.issue(TokenType::access, "u")), "issuer mismatch") << "no iss";
    auto claims = good_claims();
    claims["iss"] = "https://evil.example";
    claims["aud"] = "api";
    EXPECT_EQ(reason(strict, forge(kHeader, claims.dump())), "issuer mismatch");
    claims["iss"] = "https://auth.example";
    claims["aud"] = "other";
    EXPECT_EQ(reason(strict, forge(kHeader, claims.dump())), "audience mismatch");
    claims["aud"] = json::array({"other", "api"});
    EXPECT_EQ(reason(strict, forge(kHeader, claims.dump())), "") << "api among several audiences";
    claims.erase("aud");
    EXPECT_EQ(reason(strict, forge(kHeader, claims.dump())), "audience mismatch") << "no aud";
    claims["aud"] = json::array({1});
    EXPECT_EQ(reason(strict, forge(kHeader, claims.dump())), "aud is not a list of strings");

    // A verifier with no audience configured refuses tokens meant for some audience.
    EXPECT_EQ(reason(codec, token), "token has an audience and none is configured");
}

TEST_F(TokenTest, OtherAlgorithmsRoundTripAndArePinned) {
    for (auto [alg, digest, len] : {std::tuple{"HS384", "SHA384", 48}, std::tuple{"HS512", "SHA512", 64}}) {
        auto c = config_at(&now);
        c.algorithm = alg;
        c.secret_key = std::string(static_cast<std::size_t>(len), 's');
        TokenCodec other(c);
        const auto token = other.issue(TokenType::access, "u");
        EXPECT_EQ(reason(other, token), "") << alg;
        EXPECT_EQ(reason(codec, token), "algorithm not allowed") << alg;
        EXPECT_EQ(reason(other, codec.issue(TokenType::access, "u")), "algorithm not allowed") << alg;
    }
}

TEST_F(TokenTest, HostileTokensAreRefusedWithAReason) {
    const auto claims = good_claims().dump();
    const auto good = forge(kHeader, claims);
    ASSERT_EQ(reason(codec, good), "");
    const auto [h, p, s] = [&] {
        const auto d1 = good.find('.'), d2 = good.find('.', d1 + 1);
        return std::tuple{good.substr(0, d1), good.substr(d1 + 1, d2 - d1 - 1), good.substr(d2 + 1)};
    }();
    auto flip = [](std::string x, std::size_t i) {
        x[i] = x[i] == 'A' ? 'B' : 'A';
        return x;
    };

    const std::vector<std::pair<std::string, std::string>> table = {
        {"alg none, no signature", b64(R"({"alg":"none","typ":"JWT"})") + "." + p + "."},
        {"alg none, signature kept", b64(R"({"alg":"none","typ":"JWT"})") + "." + p + "." + s},
        {"alg None, signed", forge(R"({"alg":"None","typ":"JWT"})", claims)},
        {"alg NONE, signed", forge(R"({"alg":"NONE","typ":"JWT"})", claims)},
        {"alg none, signed", forge(R"({"alg":"none"})", claims)},
        {"HS512 when HS256 is configured", forge(R"({"alg":"HS512","typ":"JWT"})", claims, "SHA512")},
        {"alg hs256 (case matters in JWS)", forge(R"({"alg":"hs256","typ":"JWT"})", claims)},
        {"alg missing", forge(R"({"typ":"JWT"})", claims)},
        {"alg not a string", forge(R"({"alg":256})", claims)},
        {"tampered header", b64(R"({"alg":"HS256","typ":"JWT","kid":"x"})") + "." + p + "." + s},
        {"tampered payload", h + "." + flip(p, 10) + "." + s},
        {"tampered signature", h + "." + p + "." + flip(s, 5)},
        {"truncated signature", h + "." + p + "." + s.substr(0, 42)},
        {"extended signature", h + "." + p + "." + s + "AA"},
        {"signature with another key", h + "." + p + "." + mac(h + "." + p, std::string(32, 'x'))},
        {"padded signature", good + "="},
        {"padded payload (validly signed)", forge_raw(h, b64(claims + " ") + "=")},
        {"padded header (validly signed)", forge_raw(b64(kHeader + "  ") + "=", p)},
        {"standard base64 alphabet in payload", forge_raw(h, p + "+")},
        {"non-canonical trailing bits", forge_raw(h, p.substr(0, p.size() - 1) + flip(p.substr(p.size() - 1), 0))},
        {"two segments", h + "." + p},
        {"four segments", good + "." + s},
        {"empty header segment", "." + p + "." + s},
        {"empty payload segment", h + ".." + s},
        {"only dots", ".."},
        {"empty token", ""},
        {"payload is an array", forge(kHeader, "[1,2]")},
        {"payload is a string", forge(kHeader, "\"sub\"")},
        {"payload is a number", forge(kHeader, "42")},
        {"payload is not JSON", forge(kHeader, "{sub:1}")},
        {"payload is truncated JSON", forge(kHeader, claims.substr(0, claims.size() - 1))},
        {"payload with trailing garbage", forge(kHeader, claims + "x")},
        {"header is not JSON", forge("{alg", claims)},
        {"header is an array", forge(R"(["HS256"])", claims)},
        {"crit header", forge(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", claims)},
        {"typ is not JWT", forge(R"({"alg":"HS256","typ":"JWE"})", claims)},
        {"duplicate alg in header", forge(R"({"alg":"none","alg":"HS256"})", claims)},
        {"token too large", forge(kHeader,
                                  [] {
                                      auto c = good_claims();
                                      c["pad"] = std::string(9000, 'x');
                                      return c.dump();
                                  }())},
    };
    for (const auto& [what, token] : table) EXPECT_NE(reason(codec, token), "") << what;

    EXPECT_EQ(reason(codec, forge(R"({"alg":"none"})", claims)), "alg none is not accepted");
    EXPECT_EQ(reason(codec, forge(R"({"alg":"NONE"})", claims)), "alg none is not accepted");
    EXPECT_EQ(reason(codec, h + "." + flip(p, 10) + "." + s), "signature mismatch");
    EXPECT_EQ(reason(codec, forge(R"({"alg":"HS256","crit":["exp"]})", claims)), "crit header parameters are not supported");
    EXPECT_EQ(reason(codec, h + "." + p), "malformed token: expected three segments");
    EXPECT_EQ(reason(codec, good + "." + s), "malformed token: expected three segments");
}

TEST_F(TokenTest, ClaimsAreTypeChecked) {
    auto with = [](const char* name, json value) {
        auto c = good_claims();
        if (value.is_discarded())
            c.erase(name);
        else
            c[name] = std::move(value);
        return c.dump();
    };
    const json absent(json::value_t::discarded);
    const std::vector<std::tuple<std::string, std::string, std::string>> table = {
        {"exp missing", with("exp", absent), "missing exp"},
        {"exp as string", with("exp", std::to_string(kNow + 60)), "exp is not a number"},
        {"exp as bool", with("exp", true), "exp is not a number"},
        {"exp as null", with("exp", nullptr), "exp is not a number"},
        {"exp huge", with("exp", 1e300), "exp is out of range"},
        {"exp beyond uint64", R"({"sub":"u","jti":"j","token_type":"access","exp":99999999999999999999999})",
         "exp is out of range"},
        {"nbf as string", with("nbf", "0"), "nbf is not a number"},
        {"iat as object", with("iat", json::object()), "iat is not a number"},
        {"sub missing", with("sub", absent), "missing sub"},
        {"sub as number", with("sub", 123), "sub is not a string"},
        {"sub empty", with("sub", ""), "sub is empty"},
        {"jti missing", with("jti", absent), "missing jti"},
        {"token_type missing", with("token_type", absent), "missing token_type"},
        {"token_type unknown", with("token_type", "admin"), "unknown token_type"},
        {"scopes not a list", with("scopes", "read"), "scopes is not a list of strings"},
        {"scopes with a number", with("scopes", json::array({"read", 1})), "scopes is not a list of strings"},
        {"iss as number", with("iss", 1), "iss is not a string"},
        {"fam as number", with("fam", 1), "fam is not a string"},
        {"fam empty", with("fam", ""), "fam is not a string"},
        {"fresh as string", with("fresh", "true"), "fresh is not a boolean"},
        {"fresh as number", with("fresh", 1), "fresh is not a boolean"},
        {"fresh as null", with("fresh", nullptr), "fresh is not a boolean"},
        {"duplicate sub",
         R"({"sub":"user-123","sub":"admin","exp":)" + std::to_string(kNow + 60) + R"(,"jti":"j","token_type":"access"})",
         "payload has a duplicate member"},
    };
    for (const auto& [what, payload, expected] : table) EXPECT_EQ(reason(codec, forge(kHeader, payload)), expected) << what;

    // A fractional exp is a valid NumericDate; it is rounded down (never extends validity).
    EXPECT_EQ(codec.verify(forge(kHeader, with("exp", kNow + 60.9)), TokenType::access).exp, kNow + 60);
    // Unknown claims, nested objects included, are kept as extras.
    const auto p = codec.verify(forge(kHeader, with("org", json{{"id", 7}})), TokenType::access);
    EXPECT_EQ(p.extra, (json{{"org", {{"id", 7}}}}));
}

TEST_F(TokenTest, AnEquivalentHeaderWrittenDifferentlyIsStillAccepted) {
    const auto claims = good_claims().dump();
    EXPECT_EQ(reason(codec, forge(R"({"typ":"JWT","alg":"HS256"})", claims)), "");
    EXPECT_EQ(reason(codec, forge(R"({"alg":"HS256"})", claims)), "");
    EXPECT_EQ(reason(codec, forge(R"({"alg":"HS256","typ":"jwt","kid":"k1"})", claims)), "");
}

TEST_F(TokenTest, ArbitraryBytesNeverEscapeAsAnythingButInvalidToken) {
    std::mt19937 rng(1234);
    const std::string alphabet = "ABCxyz019-_.=+/ {}\"\\\x00\xff";
    const auto good = codec.issue(TokenType::access, "u");
    for (int i = 0; i < 20000; ++i) {
        std::string token;
        if (i % 2 == 0) {
            const auto len = rng() % 200;
            for (std::size_t j = 0; j < len; ++j) token.push_back(alphabet[rng() % alphabet.size()]);
        } else {
            token = good;
            for (int k = 0; k < 3; ++k) token[rng() % token.size()] = alphabet[rng() % alphabet.size()];
        }
        try {
            codec.verify(token, TokenType::access);
        } catch (const InvalidToken&) {
        } catch (const TokenExpired&) {
        } catch (const std::exception& e) {
            ADD_FAILURE() << "unexpected exception: " << e.what();
        }
    }
}

TEST_F(TokenTest, TheFamilyClaimRoundTrips) {
    auto p = codec.make_payload(TokenType::refresh, "u");
    EXPECT_TRUE(p.family.empty());
    EXPECT_EQ(codec.verify(codec.sign(p), TokenType::refresh).family, "");
    p.family = fauth::random_id();
    EXPECT_EQ(codec.verify(codec.sign(p), TokenType::refresh).family, p.family);
    EXPECT_NE(fauth::random_id(), fauth::random_id());
    EXPECT_EQ(fauth::random_id().size(), 32u);
    // Token ids: 128 bits as 22 canonical base64url characters, never the same twice.
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        const auto id = fauth::random_token_id();
        std::string bits;
        ASSERT_EQ(id.size(), 22u);
        ASSERT_TRUE(fauth::base64url_decode(id, bits)) << id;
        ASSERT_EQ(bits.size(), 16u);
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 1000u);
}

namespace {

// The claims text of `token`, as signed.
std::string claims_text_of(const std::string& token) {
    const auto first = token.find('.'), second = token.rfind('.');
    std::string text;
    EXPECT_TRUE(fauth::base64url_decode(token.substr(first + 1, second - first - 1), text));
    return text;
}

// A codec whose clock stands at `*us` microseconds since the epoch.
TokenConfig config_at_us(const std::int64_t* us) {
    TokenConfig c;
    c.secret_key = kSecret;
    c.clock = [us] { return std::chrono::system_clock::time_point(std::chrono::microseconds(*us)); };
    return c;
}

}  // namespace

TEST_F(TokenTest, IatCarriesItsMicrosecondsAsSixDecimalsAndReadsBackExactly) {
    for (const std::int64_t micro : {0, 1, 999'999, 100'000, 123'456}) {
        const std::int64_t us = kNow * 1'000'000 + micro;
        const TokenCodec at_us(config_at_us(&us));
        auto p = at_us.make_payload(TokenType::refresh, "u");
        p.auth_time = kNow - 5;
        p.auth_time_us = (kNow - 5) * 1'000'000 + micro;
        const auto token = at_us.sign(p);
        const auto text = claims_text_of(token);
        char expected[32];
        std::snprintf(expected, sizeof expected, ".%06lld", static_cast<long long>(micro));
        const std::string decimals = micro == 0 ? "" : expected;
        EXPECT_NE(text.find("\"iat\":" + std::to_string(kNow) + decimals + ","), std::string::npos) << text;
        EXPECT_NE(text.find("\"auth_time\":" + std::to_string(kNow - 5) + decimals + ","), std::string::npos) << text;
        EXPECT_EQ(text.find("_us"), std::string::npos) << "no iat_us, no auth_time_us: " << text;
        const auto read = at_us.verify(token, TokenType::refresh);
        EXPECT_EQ(read.iat, kNow) << micro;
        EXPECT_EQ(read.iat_us, us) << micro;
        EXPECT_EQ(read.issued_at_us(), us);
        EXPECT_EQ(read.auth_time, kNow - 5);
        EXPECT_EQ(read.auth_time_us, p.auth_time_us);
        EXPECT_EQ(read.session_started_us(), p.auth_time_us);
        EXPECT_EQ(read.revocation_time_us(), p.auth_time_us);
    }
}

TEST_F(TokenTest, NoEmptyOrRedundantClaimsAreWritten) {
    const std::int64_t us = kNow * 1'000'000 + 42;
    const TokenCodec at_us(config_at_us(&us));
    auto p = at_us.make_payload(TokenType::access, "u");
    p.auth_time = p.iat;
    p.auth_time_us = p.iat_us;  // a session begun at the issue time: a login's tokens
    const auto text = claims_text_of(at_us.sign(p));
    EXPECT_EQ(text.find("scopes"), std::string::npos) << text;
    EXPECT_EQ(text.find("auth_time"), std::string::npos) << text;
    EXPECT_EQ(text.find("fresh"), std::string::npos) << text;
    EXPECT_NE(text.find("\"token_type\":\"access\""), std::string::npos) << "every token says its type";
    // The reader takes the session's start to be the issue time, to the microsecond.
    const auto read = at_us.verify(at_us.sign(p), TokenType::access);
    EXPECT_TRUE(read.scopes.empty());
    EXPECT_EQ(read.auth_time, kNow);
    EXPECT_EQ(read.auth_time_us, us);
    EXPECT_EQ(read.session_started_us(), us);
    EXPECT_EQ(read.revocation_time_us(), us);
    // A session begun a microsecond earlier is written.
    p.auth_time_us -= 1;
    const auto earlier = at_us.verify(at_us.sign(p), TokenType::access);
    EXPECT_EQ(earlier.session_started_us(), us - 1);
    EXPECT_EQ(earlier.revocation_time_us(), us - 1);
    // A token outside any session (no auth_time) reads as one begun at its issue.
    const auto plain = at_us.verify(at_us.issue(TokenType::access, "u"), TokenType::access);
    EXPECT_EQ(plain.session_started_us(), us);
}

TEST_F(TokenTest, AnIatUsAheadOfIatsSecondIsStillWrittenAsItsOwnClaim) {
    // A node lagging its revocation store's clock stamps iat_us past its own clock, whose iat stays.
    auto p = codec.make_payload(TokenType::access, "u");
    p.iat_us = (kNow + 2) * 1'000'000 + 7;
    const auto token = codec.sign(p);
    const auto text = claims_text_of(token);
    EXPECT_NE(text.find("\"iat\":" + std::to_string(kNow) + ","), std::string::npos) << text;
    EXPECT_NE(text.find("\"iat_us\":" + std::to_string(p.iat_us)), std::string::npos) << text;
    const auto read = codec.verify(token, TokenType::access);
    EXPECT_EQ(read.iat, kNow);
    EXPECT_EQ(read.iat_us, p.iat_us);
}

TEST_F(TokenTest, MalformedTimesOfOwnTokensAreRefused) {
    const auto with_times = [](const std::string& times) {
        return R"({"sub":"u","exp":)" + std::to_string(kNow + 60) + "," + times + R"(,"jti":"j","token_type":"access"})";
    };
    const std::string sec = std::to_string(kNow);
    const std::vector<std::pair<std::string, std::string>> table = {
        {R"("iat":)" + sec + ".1234567", "iat is finer than a microsecond"},
        {R"("iat":1.7e9)", "iat has an exponent"},
        {R"("iat":)" + sec + ".5E0", "iat has an exponent"},
        {R"("iat":-1.5)", "iat is out of range"},
        {R"("iat":1000000000000.5)", "iat is out of range"},
        {R"("iat":")" + sec + R"(")", "iat is not a number"},
        {R"("iat":)" + sec + R"(.5,"iat_us":)" + sec + "500000", "iat_us beside a fractional iat"},
        {R"("iat":)" + sec + R"(,"auth_time":)" + sec + ".0000001", "auth_time is finer than a microsecond"},
        {R"("iat":)" + sec + R"(,"auth_time":-0.5)", "auth_time is out of range"},
        {R"("iat":)" + sec + R"(,"auth_time":)" + sec + R"(.5,"auth_time_us":)" + sec + "500000",
         "auth_time_us beside a fractional auth_time"},
        {R"("iat":)" + sec + R"(,"auth_time_us":)" + sec + "000000", "auth_time_us without auth_time"},
        {R"("iat":)" + sec + R"(,"iat_us":0)", "iat_us is not a whole number of microseconds"},
        {R"("iat":)" + sec + R"(,"iat_us":1.5)", "iat_us is not a whole number of microseconds"},
    };
    for (const auto& [times, expected] : table) EXPECT_EQ(reason(codec, forge(kHeader, with_times(times))), expected) << times;
    // Fewer than six decimals are read as they say.
    const auto p = codec.verify(forge(kHeader, with_times(R"("iat":)" + sec + ".5")), TokenType::access);
    EXPECT_EQ(p.iat, kNow);
    EXPECT_EQ(p.iat_us, kNow * 1'000'000 + 500'000);
}

TEST_F(TokenTest, TokensOfTheOlderShapeAreStillRead) {
    // Issued before the compact shape: integer iat and auth_time beside iat_us and auth_time_us,
    // 32-hex-digit ids, an empty scopes list.
    const std::int64_t iat_us = kNow * 1'000'000 + 250'000, auth_us = (kNow - 30) * 1'000'000 + 17;
    const json old = {{"sub", "user-123"},
                      {"exp", kNow + 900},
                      {"iat", kNow},
                      {"iat_us", iat_us},
                      {"auth_time", kNow - 30},
                      {"auth_time_us", auth_us},
                      {"jti", "0123456789abcdef0123456789abcdef"},
                      {"token_type", "access"},
                      {"scopes", json::array()},
                      {"fam", "fedcba9876543210fedcba9876543210"},
                      {"fresh", true}};
    const auto p = codec.verify(forge(kHeader, old.dump()), TokenType::access);
    EXPECT_EQ(p.iat, kNow);
    EXPECT_EQ(p.iat_us, iat_us);
    EXPECT_EQ(p.auth_time, kNow - 30);
    EXPECT_EQ(p.auth_time_us, auth_us);
    EXPECT_EQ(p.session_started_us(), auth_us);
    EXPECT_EQ(p.revocation_time_us(), auth_us);
    EXPECT_EQ(p.jti, "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(p.family, "fedcba9876543210fedcba9876543210");
    EXPECT_TRUE(p.fresh);
    EXPECT_TRUE(p.extra.empty());
    // Older still: no microseconds at all; the start of each second.
    auto older = old;
    older.erase("iat_us");
    older.erase("auth_time_us");
    const auto q = codec.verify(forge(kHeader, older.dump()), TokenType::access);
    EXPECT_EQ(q.issued_at_us(), kNow * 1'000'000);
    EXPECT_EQ(q.session_started_us(), (kNow - 30) * 1'000'000);
}

TEST_F(TokenTest, TheFreshClaimIsWrittenOnlyWhenTrueAndReadStrictly) {
    auto p = codec.make_payload(TokenType::access, "u");
    EXPECT_FALSE(p.fresh);
    const auto stale = codec.sign(p);
    const auto first = stale.find('.'), second = stale.rfind('.');
    std::string claims_text;
    ASSERT_TRUE(fauth::base64url_decode(stale.substr(first + 1, second - first - 1), claims_text));
    EXPECT_EQ(claims_text.find("fresh"), std::string::npos) << claims_text;
    EXPECT_FALSE(codec.verify(stale, TokenType::access).fresh);
    p.fresh = true;
    const auto fresh = codec.verify(codec.sign(p), TokenType::access);
    EXPECT_TRUE(fresh.fresh);
    EXPECT_FALSE(fresh.extra.contains("fresh")) << "a registered claim, never an extra";
    auto claims = good_claims();
    claims["fresh"] = false;
    EXPECT_FALSE(codec.verify(forge(kHeader, claims.dump()), TokenType::access).fresh);
    EXPECT_THROW(codec.make_payload(TokenType::access, "u", {}, json{{"fresh", true}}), std::invalid_argument)
        << "extra claims cannot make a token fresh";
}

TEST_F(TokenTest, TokenResponseSerialisesAsFAuthDoes) {
    fauth::TokenResponse r{"a", "r", "bearer", 900};
    r.family = "f";  // the session, for cookies' CSRF tokens: never sent in the body
    EXPECT_EQ(json(r), (json{{"access_token", "a"}, {"refresh_token", "r"}, {"token_type", "bearer"}, {"expires_in", 900}}));
}

TEST_F(TokenTest, FingerprintsAreKeyedAndStable) {
    EXPECT_EQ(codec.fingerprint("hash-1"), codec.fingerprint("hash-1"));
    EXPECT_NE(codec.fingerprint("hash-1"), codec.fingerprint("hash-2"));
    auto c = config_at(&now);
    c.secret_key = std::string(32, 'z');
    EXPECT_NE(TokenCodec(c).fingerprint("hash-1"), codec.fingerprint("hash-1"));
    EXPECT_EQ(codec.fingerprint("x").size(), 22u);
}

// Key rings: asymmetric keys chosen by kid, verify-only codecs, rotation, and the classic holes.
namespace {

TokenConfig ring_config(std::int64_t* now, fauth::KeySet keys) {
    TokenConfig c;
    c.clock = [now] { return std::chrono::system_clock::time_point(std::chrono::seconds(*now)); };
    c.keys = std::make_shared<fauth::KeyRing>(std::move(keys));
    return c;
}

}  // namespace

TEST_F(TokenTest, AsymmetricTokensCarryTheirKidAndVerifyWithThePublicKeyOnly) {
    for (const char* alg : {"RS256", "PS256", "ES256", "ES384", "EdDSA"}) {
        const auto pair = fauth::test::make_pem_pair(alg);
        fauth::KeySet issuer_keys;
        issuer_keys.add(fauth::Key::from_pem(alg, pair.private_pem, "k1")).sign_with("k1");
        const TokenCodec issuer(ring_config(&now, std::move(issuer_keys)));
        const TokenCodec verifier(ring_config(&now, fauth::KeySet::from_jwks(issuer.config().keys->current()->jwks())));

        const auto token = issuer.issue(TokenType::access, "user-1", {"read"});
        std::string header;
        ASSERT_TRUE(fauth::base64url_decode(token.substr(0, token.find('.')), header));
        EXPECT_EQ(json::parse(header), (json{{"alg", alg}, {"typ", "JWT"}, {"kid", "k1"}}));
        EXPECT_EQ(reason(verifier, token), "") << alg;
        EXPECT_EQ(verifier.verify(token, TokenType::access).sub, "user-1");
        EXPECT_THROW(verifier.issue(TokenType::access, "user-1"), std::logic_error) << "verify-only";
        now += 15 * 60;
        EXPECT_EQ(reason(verifier, token), "EXPIRED") << "claims are checked as for HMAC";
        now = kNow;
    }
}

TEST_F(TokenTest, KeyRingsRefuseConfusionWrongKidsAndDerSignatures) {
    const auto rsa = fauth::test::make_pem_pair("RS256");
    const auto ec = fauth::test::make_pem_pair("ES256");
    fauth::KeySet keys;
    keys.add(fauth::Key::from_pem("RS256", rsa.private_pem, "rsa"))
        .add(fauth::Key::from_pem("ES256", ec.private_pem, "ec"))
        .sign_with("rsa");
    const TokenCodec codec_rsa(ring_config(&now, keys));
    const auto claims = good_claims().dump();
    const auto p = b64(claims);
    auto with_header = [&](const json& header, const fauth::Key& key) {
        const auto input = b64(header.dump()) + "." + p;
        return input + "." + b64(key.sign(input));
    };
    ASSERT_EQ(reason(codec_rsa, with_header({{"alg", "RS256"}, {"kid", "rsa"}}, *keys.find("rsa"))), "");

    // HS256 keyed with the RSA public key (the bytes anyone can fetch): refused.
    const auto confused = fauth::Key::hmac("HS256", rsa.public_pem, "rsa");
    EXPECT_EQ(reason(codec_rsa, with_header({{"alg", "HS256"}, {"kid", "rsa"}}, confused)), "algorithm not allowed");
    // An RS256 token whose kid names the EC key: the key decides the algorithm.
    EXPECT_EQ(reason(codec_rsa, with_header({{"alg", "RS256"}, {"kid", "ec"}}, *keys.find("rsa"))), "algorithm not allowed");
    // A kid that names another key of the right type: the signature does not match.
    fauth::KeySet two_rsa;
    const auto rsa2 = fauth::test::make_pem_pair("RS256");
    two_rsa.add(fauth::Key::from_pem("RS256", rsa.private_pem, "one"))
        .add(fauth::Key::from_pem("RS256", rsa2.private_pem, "two"));
    const TokenCodec codec_two(ring_config(&now, two_rsa));
    EXPECT_EQ(reason(codec_two, with_header({{"alg", "RS256"}, {"kid", "two"}}, *two_rsa.find("one"))), "signature mismatch");
    // Unknown and missing kids, alg none.
    try {
        codec_rsa.verify(with_header({{"alg", "RS256"}, {"kid", "gone"}}, *keys.find("rsa")), TokenType::access);
        ADD_FAILURE() << "unknown kid accepted";
    } catch (const fauth::UnknownKeyId& e) {
        EXPECT_EQ(e.kid(), "gone");
    }
    EXPECT_EQ(reason(codec_rsa, with_header({{"alg", "RS256"}}, *keys.find("rsa"))), "token has no kid");
    EXPECT_EQ(reason(codec_rsa, b64(R"({"alg":"none","kid":"rsa"})") + "." + p + "."), "malformed token: empty segment");
    EXPECT_EQ(reason(codec_rsa, with_header({{"alg", "none"}, {"kid", "rsa"}}, *keys.find("rsa"))), "alg none is not accepted");
    // ES256 with the DER signature OpenSSL would write instead of r||s.
    const auto input = b64(json{{"alg", "ES256"}, {"kid", "ec"}}.dump()) + "." + p;
    const auto jose = keys.find("ec")->sign(input);
    ASSERT_EQ(reason(codec_rsa, input + "." + b64(jose)), "");
    auto integer = [](std::string v) {
        while (v.size() > 1 && v[0] == 0) v.erase(0, 1);
        if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(v.begin(), '\0');
        return std::string{'\x02', static_cast<char>(v.size())} + v;
    };
    const auto body = integer(jose.substr(0, 32)) + integer(jose.substr(32));
    EXPECT_EQ(reason(codec_rsa, input + "." + b64(std::string{'\x30', static_cast<char>(body.size())} + body)),
              "signature mismatch");
}

TEST_F(TokenTest, RotationAddsAKeySwitchesTheSignerThenDropsTheOldKey) {
    const auto old_pair = fauth::test::make_pem_pair("ES256");
    const auto new_pair = fauth::test::make_pem_pair("ES256");
    fauth::KeySet keys;
    keys.add(fauth::Key::from_pem("ES256", old_pair.private_pem, "2026-01")).sign_with("2026-01");
    auto config = ring_config(&now, keys);
    const auto ring = config.keys;
    const TokenCodec codec_ring(config);
    const auto before = codec_ring.issue(TokenType::access, "u");

    // 1. Publish the new key (verifiers learn it before any token uses it).
    keys.add(fauth::Key::from_pem("ES256", new_pair.private_pem, "2026-02"));
    ring->replace(keys);
    EXPECT_EQ(reason(codec_ring, before), "");
    // 2. Switch the signer: new tokens name the new key, old ones still verify.
    keys.sign_with("2026-02");
    ring->replace(keys);
    const auto after = codec_ring.issue(TokenType::access, "u");
    std::string header;
    ASSERT_TRUE(fauth::base64url_decode(after.substr(0, after.find('.')), header));
    EXPECT_EQ(json::parse(header)["kid"], "2026-02");
    EXPECT_EQ(reason(codec_ring, before), "");
    EXPECT_EQ(reason(codec_ring, after), "");
    // 3. After the longest TTL, drop the old key: what it signed is refused, the rest works.
    keys.remove("2026-01");
    ring->replace(keys);
    EXPECT_EQ(reason(codec_ring, before), "unknown key id");
    EXPECT_EQ(reason(codec_ring, after), "");
}

TEST(TokenId, OrdersHashesAndAssignsPartsOfItself) {
    // Ids key ordered and hashed containers as strings did, whether held inline or on the heap.
    const fauth::TokenId a("aaa"), b("bbb"), long_a(std::string(60, 'a'));
    EXPECT_LT(a, b);
    EXPECT_LT(a, long_a);
    EXPECT_EQ(std::set<fauth::TokenId>({b, a, long_a, a}).size(), 3u);
    std::map<fauth::TokenId, int> by_id{{b, 2}, {a, 1}};
    EXPECT_EQ(by_id.begin()->second, 1);
    std::unordered_set<fauth::TokenId> hashed{a, b, long_a, fauth::TokenId("aaa")};
    EXPECT_EQ(hashed.size(), 3u);
    EXPECT_EQ(std::hash<fauth::TokenId>{}(a), std::hash<std::string_view>{}("aaa"));
    // An overlapping part of an inline id (memmove, not memcpy).
    fauth::TokenId id("abcdefgh");
    id = id.view().substr(2);
    EXPECT_EQ(id, "cdefgh");
    id = id.view().substr(0, 3);
    EXPECT_EQ(id, "cde");
}

TEST(TokenId, HoldsShortIdsInlineAndLongOnesWhole) {
    const fauth::TokenId none;
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none.size(), 0u);
    EXPECT_EQ(none, "");
    const std::string hex = fauth::random_id(), b64 = fauth::random_token_id();
    const std::string longest(fauth::TokenId::inline_capacity, 'x');
    const std::string beyond = longest + "yz";  // an external issuer's jti may be any length
    for (const auto& text : {hex, b64, longest, beyond, std::string("AT.") + b64 + b64}) {
        std::size_t made = 0;
        fauth::TokenId id;
        {
            fauth::test::AllocationCounter allocations;
            id = text;
            made = allocations.count();
        }
        EXPECT_EQ(id, text);
        EXPECT_EQ(id.str(), text);
        EXPECT_EQ(std::string_view(id), text);
        EXPECT_EQ(id.size(), text.size());
        EXPECT_FALSE(id.empty());
        const auto copy = id;
        EXPECT_EQ(copy, id);
        EXPECT_NE(copy, none);
        std::ostringstream printed;
        printed << id;
        EXPECT_EQ(printed.str(), text);
        if (fauth::test::AllocationCounter::available()) {
            EXPECT_EQ(made, text.size() > fauth::TokenId::inline_capacity ? 1u : 0u) << text.size() << " characters";
        }
    }
    // Reassigned from a long id to a short one and back: always the latest.
    fauth::TokenId id(beyond);
    id = hex;
    EXPECT_EQ(id, hex);
    id = beyond;
    EXPECT_EQ(id, beyond);
    id = id.view().substr(beyond.size() - 3);  // a part of itself
    EXPECT_EQ(id, "xyz");
    id = "";
    EXPECT_TRUE(id.empty());
}

TEST_F(TokenTest, LongAndEscapedIdsRoundTripWhole) {
    auto p = codec.make_payload(TokenType::refresh, "u");
    p.jti = std::string(200, 'j');
    p.family = std::string("f\u00e9\"\u2028") + std::string(60, 'f');
    const auto read = codec.verify(codec.sign(p), TokenType::refresh);
    EXPECT_EQ(read.jti, p.jti);
    EXPECT_EQ(read.family, p.family);
    // An id written with escapes is read decoded.
    const std::string escaped =
        R"({"sub":"u","exp":)" + std::to_string(kNow + 60) + R"(,"jti":"\u00e9t\u00e9","token_type":"access"})";
    EXPECT_EQ(codec.verify(forge(kHeader, escaped), TokenType::access).jti, "\u00e9t\u00e9");
    auto claims = good_claims();
    claims["jti"] = "";
    EXPECT_EQ(reason(codec, forge(kHeader, claims.dump())), "jti is empty");
    claims["jti"] = 7;
    EXPECT_EQ(reason(codec, forge(kHeader, claims.dump())), "jti is not a string");
    claims.erase("jti");
    EXPECT_EQ(reason(codec, forge(kHeader, claims.dump())), "missing jti");
}

TEST_F(TokenTest, ExtraIsNullWithoutOtherClaimsAndClaimReadsEither) {
    const auto bare = codec.verify(codec.issue(TokenType::access, "u"), TokenType::access);
    EXPECT_TRUE(bare.extra.is_null()) << bare.extra.dump();
    EXPECT_TRUE(bare.extra.empty());
    EXPECT_EQ(bare.extra.find("x"), bare.extra.end());
    EXPECT_FALSE(bare.extra.contains("x"));
    EXPECT_EQ(bare.claim("x"), nullptr);
    const auto with = codec.verify(codec.issue(TokenType::access, "u", {}, json{{"tenant", "acme"}}), TokenType::access);
    ASSERT_NE(with.claim("tenant"), nullptr);
    EXPECT_EQ(*with.claim("tenant"), "acme");
    EXPECT_EQ(with.claim("other"), nullptr);
    EXPECT_EQ(with.extra.value("tenant", std::string()), "acme");
}

TEST_F(TokenTest, VerifyingALoginAccessTokenAllocatesNothing) {
    // The quickstart's login access token: HS256, sub "user-123", no scopes, 22-character jti and
    // fam, fresh, its session begun at its issue (no auth_time), no other claims.
    const std::int64_t us = kNow * 1'000'000 + 123'456;
    const TokenCodec login(config_at_us(&us));
    auto p = login.make_payload(TokenType::access, "user-123");
    p.family = fauth::random_token_id();
    p.auth_time = p.iat;
    p.auth_time_us = p.iat_us;
    p.fresh = true;
    p.amr = {fauth::AuthMethod::pwd};  // a password login's: implied, not written
    p.acr = fauth::kAcrOneFactor;
    const auto token = login.sign(p);
    const auto claims = json::parse(claims_text_of(token));
    EXPECT_EQ(claims.size(), 7u) << claims.dump() << ": sub exp iat jti token_type fam fresh";
    login.verify(token, TokenType::access);  // a first verify, uncounted, sets up anything made once
    std::size_t counted = 0;
    {
        fauth::test::AllocationCounter allocations;
        const auto read = login.verify(token, TokenType::access);
        counted = allocations.count();
        EXPECT_EQ(read.jti, p.jti);
        EXPECT_EQ(read.family, p.family);
        EXPECT_EQ(read.iat_us, us);
        EXPECT_TRUE(read.fresh);
        EXPECT_TRUE(read.extra.is_null());
        EXPECT_EQ(read.acr, fauth::kAcrOneFactor);
        EXPECT_EQ(read.amr, p.amr);
    }
    if (fauth::test::AllocationCounter::available()) {
        RecordProperty("verify_allocations", static_cast<int>(counted));
        EXPECT_EQ(counted, 0u) << "heap allocations per verify of a login access token";
    }
    // A token of the older shape (32-hex-digit ids, integer iat beside iat_us, an empty scopes
    // list) allocates nothing either.
    const json old = {{"sub", "user-123"},
                      {"exp", kNow + 900},
                      {"iat", kNow},
                      {"iat_us", kNow * 1'000'000 + 5},
                      {"jti", "0123456789abcdef0123456789abcdef"},
                      {"token_type", "access"},
                      {"scopes", json::array()},
                      {"fam", "fedcba9876543210fedcba9876543210"},
                      {"fresh", true}};
    const auto old_token = forge(kHeader, old.dump());
    codec.verify(old_token, TokenType::access);
    {
        fauth::test::AllocationCounter allocations;
        const auto read = codec.verify(old_token, TokenType::access);
        counted = allocations.count();
        EXPECT_EQ(read.family, "fedcba9876543210fedcba9876543210");
    }
    if (fauth::test::AllocationCounter::available()) {
        EXPECT_EQ(counted, 0u) << "an older-shape token";
    }
}
