// read_own_claims: the tokens fauth issues are read in their own layout, to the very payload the
// general reader gives; every other text is declined and gets the general reader's verdict.
#include "own_claims_reader.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "claims_codec.hpp"
#include "fauth/auth/engine.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/token.hpp"

using fauth::InvalidToken;
using fauth::TokenPayload;
using fauth::TokenType;
using fauth::detail::ClaimShape;
using fauth::detail::read_claims;
using fauth::detail::read_claims_generally;
using fauth::detail::read_own_claims;
using nlohmann::json;

namespace {

constexpr std::int64_t kNowUs = 1'700'000'000'123'456;  // an issue time with six decimals

// Every field of a payload, as text, so that two payloads compare field by field.
std::string describe(const TokenPayload& p) {
    std::ostringstream out;
    const auto list = [&out](const std::vector<std::string>& items) {
        for (const auto& item : items) out << '[' << item << ']';
    };
    out << "sub=" << p.sub << " exp=" << p.exp << " iat=" << p.iat << " iat_us=" << p.iat_us
        << " auth_time=" << (p.auth_time ? std::to_string(*p.auth_time) : "-") << " auth_time_us=" << p.auth_time_us
        << " fresh=" << p.fresh << " nbf=" << (p.nbf ? std::to_string(*p.nbf) : "-") << " jti=" << p.jti
        << " token_type=" << fauth::to_string(p.token_type) << " scopes=";
    list(p.scopes);
    out << " iss=" << (p.iss ? *p.iss : "-") << " aud=";
    list(p.aud);
    out << " fam=" << p.family << " roles=";
    list(p.roles);
    out << " acr=" << p.acr << " amr=";
    for (const auto name : p.amr.names()) out << '[' << name << ']';
    out << " external=" << p.external << " extra=" << p.extra.dump() << " (" << p.extra.type_name() << ')';
    return out.str();
}

// The general reader's verdict on `text`: its payload described, or "refused: <reason>".
std::string general_verdict(std::string_view text) {
    try {
        return describe(read_claims_generally(text, ClaimShape::own));
    } catch (const InvalidToken& e) {
        return "refused: " + e.reason();
    }
}

// read_claims's verdict (the fast reader, else the general one), in the same terms.
std::string verdict(std::string_view text) {
    try {
        return describe(read_claims(text, ClaimShape::own));
    } catch (const InvalidToken& e) {
        return "refused: " + e.reason();
    }
}

std::string claims_text_of(const std::string& token) {
    const auto first = token.find('.'), second = token.rfind('.');
    std::string text;
    EXPECT_TRUE(fauth::base64url_decode(token.substr(first + 1, second - first - 1), text));
    return text;
}

fauth::AuthConfig engine_config(const std::int64_t* us) {
    fauth::AuthConfig c;
    c.tokens.secret_key = "own-claims-reader-secret-32-byte";
    c.tokens.clock = [us] { return std::chrono::system_clock::time_point(std::chrono::microseconds(*us)); };
    c.tokens.issuer = "https://auth.example";
    c.tokens.audience = "api";
    return c;
}

// `text` is read by the fast reader, to exactly the general reader's payload, which it returns.
TokenPayload read_fast(const std::string& text) {
    const auto fast = read_own_claims(text);
    EXPECT_TRUE(fast.has_value()) << "declined: " << text;
    if (!fast) return read_claims_generally(text, ClaimShape::own);
    EXPECT_EQ(describe(*fast), general_verdict(text)) << text;
    EXPECT_EQ(describe(*fast), verdict(text)) << text;
    return *fast;
}

// `text` is declined by the fast reader, and read_claims gives the general reader's verdict,
// which it returns.
std::string read_declined(const std::string& text) {
    EXPECT_FALSE(read_own_claims(text).has_value()) << "accepted: " << text;
    const auto expected = general_verdict(text);
    EXPECT_EQ(verdict(text), expected) << text;
    return expected;
}

// The login access token's claims, as the engine writes them (the base of the deviations below).
std::string login_claims() {
    const std::int64_t us = kNowUs;
    const fauth::Engine engine(engine_config(&us));
    return claims_text_of(engine.login("user-123", {}, nullptr, fauth::Engine::Proof::password).access_token);
}

TEST(OwnClaimsReader, ReadsTheTokensTheEngineIssues) {
    std::int64_t us = kNowUs;
    const fauth::Engine engine(engine_config(&us));
    // A password login: fresh access token, refresh token, fractional iat, no auth_time.
    const auto login = engine.login("user-123", {}, nullptr, fauth::Engine::Proof::password);
    const auto access = read_fast(claims_text_of(login.access_token));
    EXPECT_EQ(access.sub, "user-123");
    EXPECT_EQ(access.token_type, TokenType::access);
    EXPECT_EQ(access.iat_us, kNowUs);
    EXPECT_EQ(access.auth_time_us, kNowUs);
    EXPECT_EQ(access.jti.size(), 22u);
    EXPECT_EQ(access.family.size(), 22u);
    EXPECT_TRUE(access.fresh);
    EXPECT_EQ(access.iss, "https://auth.example");
    EXPECT_EQ(access.aud, std::vector<std::string>{"api"});
    EXPECT_TRUE(access.extra.is_null());
    EXPECT_EQ(access.acr, "aal1");
    EXPECT_EQ(access.amr, fauth::AuthMethods{fauth::AuthMethod::pwd});
    EXPECT_EQ(claims_text_of(login.access_token).find("amr"), std::string::npos) << "pwd, aal1: implied, not written";
    const auto refresh = read_fast(claims_text_of(login.refresh_token));
    EXPECT_EQ(refresh.token_type, TokenType::refresh);
    EXPECT_EQ(refresh.family, access.family);
    EXPECT_EQ(refresh.acr, "aal1") << "a refresh token carries how its session began";
    EXPECT_EQ(refresh.amr, access.amr);
    // Two factors (a passkey), and the amr names the general reader skips (outside RFC 8176).
    const auto passkey =
        read_fast(claims_text_of(engine.login("user-123", {}, nullptr, fauth::Engine::Proof::synced_passkey).access_token));
    EXPECT_EQ(passkey.acr, "aal2");
    EXPECT_EQ(passkey.amr, (fauth::AuthMethods{fauth::AuthMethod::mfa, fauth::AuthMethod::swk, fauth::AuthMethod::user}));
    EXPECT_EQ(verdict(R"({"sub":"u","exp":2,"iat":1,"jti":"j","token_type":"access","acr":"x","amr":["pwd","ngcmfa","otp"]})"),
              general_verdict(
                  R"({"sub":"u","exp":2,"iat":1,"jti":"j","token_type":"access","acr":"x","amr":["pwd","ngcmfa","otp"]})"));
    EXPECT_NE(verdict(R"({"sub":"u","exp":2,"iat":1,"jti":"j","token_type":"access","amr":["pwd","ngcmfa","otp"]})")
                  .find("amr=[otp][pwd]"),
              std::string::npos);
    EXPECT_EQ(verdict(R"({"sub":"u","exp":2,"iat":1,"jti":"j","token_type":"access","amr":"pwd"})"),
              "refused: amr is not a list of strings");
    EXPECT_EQ(verdict(R"({"sub":"u","exp":2,"iat":1,"jti":"j","token_type":"access","acr":2})"), "refused: acr is not a string");

    // With scopes and extra claims (roles, a string, a number, a nested object), and bound to a
    // DPoP key (cnf.jkt).
    const json extra = {{"roles", {"admin", "user"}},
                        {"email", "alice@example.com"},
                        {"tenant", 42},
                        {"prefs", {{"theme", "dark"}, {"beta", true}, {"limits", {1, -2, 3}}}}};
    const auto bound = engine.login("user-\xC3\xA5", {"read", "write"}, extra, fauth::Engine::Proof::none,
                                    "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    const auto rich = read_fast(claims_text_of(bound.access_token));
    EXPECT_EQ(rich.sub, "user-\xC3\xA5");
    EXPECT_EQ(rich.scopes, (std::vector<std::string>{"read", "write"}));
    EXPECT_EQ(rich.extra["roles"], json({"admin", "user"}));
    EXPECT_EQ(rich.extra["cnf"]["jkt"], "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    EXPECT_EQ(rich.extra["tenant"], 42);
    EXPECT_FALSE(rich.fresh);
    read_fast(claims_text_of(bound.refresh_token));

    // A renewal a while later: auth_time (the session's start, fractional) differs from iat.
    us += 90'654'321;
    const auto renewed = engine.renew(refresh, {"read"}, extra);
    const auto next = read_fast(claims_text_of(renewed.access_token));
    EXPECT_EQ(next.auth_time_us, kNowUs);
    EXPECT_EQ(next.iat_us, kNowUs + 90'654'321);
    EXPECT_NE(claims_text_of(renewed.access_token).find("\"auth_time\":1700000000.123456"), std::string::npos);
    read_fast(claims_text_of(renewed.refresh_token));

    // And through verify, the one place a payload is read.
    EXPECT_EQ(describe(engine.codec().verify(login.access_token, TokenType::access)), describe(access));
}

TEST(OwnClaimsReader, ReadsEveryShapeTheWriterHas) {
    // The codec's own tokens: whole-second iat (no decimals), the _us claims a lagging node writes,
    // nbf, several audiences, the older 32-hex-digit ids, other token types.
    const std::int64_t us = 1'700'000'000'000'000;
    fauth::TokenConfig config;
    config.secret_key = "own-claims-reader-secret-32-byte";
    config.clock = [&us] { return std::chrono::system_clock::time_point(std::chrono::microseconds(us)); };
    const fauth::TokenCodec codec(config);
    auto p = codec.make_payload(TokenType::password_reset, "user-123", {}, json{{"binding", "abc"}});
    read_fast(claims_text_of(codec.sign(p)));
    p.iat_us = us + 1'500'000;  // ahead of iat's second: written as iat_us
    p.auth_time = p.iat - 100;
    p.auth_time_us = 1;  // not auth_time's second: written as auth_time_us
    p.nbf = p.iat - 5;
    p.aud = {"a", "b"};
    p.iss = "me";
    p.jti = "0123456789abcdef0123456789abcdef";
    p.family = "fedcba9876543210fedcba9876543210";
    p.token_type = TokenType::email_verification;
    const auto text = claims_text_of(codec.sign(p));
    EXPECT_NE(text.find("\"iat_us\":"), std::string::npos) << text;
    EXPECT_NE(text.find("\"auth_time_us\":1,"), std::string::npos) << text;
    const auto read = read_fast(text);
    EXPECT_EQ(read.iat_us, us + 1'500'000);
    EXPECT_EQ(read.auth_time_us, 1);
    EXPECT_EQ(read.nbf, p.iat - 5);
    EXPECT_EQ(read.aud, (std::vector<std::string>{"a", "b"}));
}

TEST(OwnClaimsReader, DeclinesEveryOtherLayoutForTheGeneralReadersVerdict) {
    const auto base = login_claims();
    const auto read = read_fast(base);
    const auto replaced = [&base](std::string_view from, std::string_view to) {
        auto text = base;
        const auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from << " in " << base;
        return text.replace(at, from.size(), to);
    };
    // Accepted by the general reader, to the same payload: keys in another order, an escape,
    // whitespace (inside or after), a fraction of fewer decimals for the same microsecond.
    EXPECT_EQ(read_declined(replaced("\"sub\":\"user-123\",\"exp\":" + std::to_string(read.exp),
                                     "\"exp\":" + std::to_string(read.exp) + ",\"sub\":\"user-123\"")),
              describe(read));
    EXPECT_EQ(read_declined(replaced("\"user-123\"", "\"user\\u002d123\"")), describe(read));
    EXPECT_EQ(read_declined(replaced("\"sub\":", "\"sub\": ")), describe(read));
    EXPECT_EQ(read_declined(base + "\n"), describe(read));
    EXPECT_EQ(read_declined(replaced(".123456,", ".12345600,")), "refused: iat is finer than a microsecond");
    auto shorter = read;  // ".5": half a second, written with fewer decimals than fauth writes
    shorter.iat_us = 1'700'000'000'500'000;
    shorter.auth_time_us = shorter.iat_us;
    EXPECT_EQ(read_declined(replaced(".123456,", ".5,")), describe(shorter));
    // Refused by the general reader: a duplicate, a bad byte, a bad number, trailing bytes.
    EXPECT_EQ(read_declined(replaced("\"fresh\":true}", "\"fresh\":true,\"sub\":\"mallory\"}")),
              "refused: payload has a duplicate member");
    EXPECT_EQ(read_declined(replaced("user-123", "user-\xED\xA0\x80")), "refused: payload is not valid UTF-8");
    EXPECT_EQ(read_declined(replaced("user-123", "user-\x01")), "refused: payload is not valid JSON");
    EXPECT_EQ(read_declined(replaced(".123456,", ".1234567,")), "refused: iat is finer than a microsecond");
    EXPECT_EQ(read_declined(replaced(".123456,", ".123456e0,")), "refused: iat has an exponent");
    EXPECT_EQ(read_declined(replaced("\"iat\":", "\"iat\":-")), "refused: iat is out of range");
    EXPECT_EQ(read_declined(replaced("\"exp\":", "\"exp\":10000000000")), "refused: exp is out of range");
    EXPECT_EQ(read_declined(replaced("\"exp\":", "\"exp\":0")), "refused: payload is not valid JSON");
    EXPECT_EQ(read_declined(base + "x"), "refused: payload is not valid JSON");
    EXPECT_EQ(read_declined(base + "{}"), "refused: payload is not valid JSON");
    EXPECT_EQ(read_declined(replaced("\"fresh\":true", "\"fresh\":1")), "refused: fresh is not a boolean");
    EXPECT_EQ(read_declined(replaced("\"access\"", "\"admin\"")), "refused: unknown token_type");
    EXPECT_EQ(read_declined(replaced("\"sub\":\"user-123\"", "\"sub\":\"\"")), "refused: sub is empty");
    // An integer iat beside iat_us is the writer's; a fractional one beside it is refused.
    EXPECT_EQ(read_declined(replaced(",\"jti\":", ",\"iat_us\":1700000000123456,\"jti\":")),
              "refused: iat_us beside a fractional iat");
    // Other claims must come last, in increasing order, none of them registered.
    EXPECT_EQ(read_declined(replaced("\"fresh\":true}", "\"fresh\":true,\"z\":1,\"a\":2}")).find("refused"), std::string::npos);
    EXPECT_EQ(read_declined(replaced("\"fresh\":true}", "\"fresh\":true,\"a\":1,\"a\":2}")),
              "refused: payload has a duplicate member");
    EXPECT_EQ(read_declined(replaced("\"fresh\":true}", "\"fresh\":true,\"nbf\":5}")).find("refused"), std::string::npos)
        << "a registered claim in the extra claims' place: declined, then read generally";
    EXPECT_EQ(read_declined(replaced("\"fresh\":true}", "\"fresh\":true,\"a\":1.5}")).find("refused"), std::string::npos);
}

TEST(OwnClaimsReader, NeverAcceptsWhatTheGeneralReaderRefuses) {
    // Near misses of the layout that the fast reader could mistake: each is declined or read alike.
    const auto base = login_claims();
    const std::vector<std::string> cuts = {"", "{", "{}", "[]", "null", "{\"sub\":\"u\"}", "\xEF\xBB\xBF" + base};
    for (const auto& text : cuts) read_declined(text);
    // Every prefix of a real token: all declined (the layout ends only with its closing brace).
    for (std::size_t n = 0; n < base.size(); ++n) read_declined(base.substr(0, n));
}

}  // namespace
