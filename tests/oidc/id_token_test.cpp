// What a relying party checks in an OpenID provider's tokens (issue 36): the ID token (OpenID
// Connect Core 1.0 sections 3.1.3.7 and 3.1.3.8) and the back-channel logout token (Back-Channel
// Logout 1.0 section 2.6). Every token is signed by jwcrypto (tests/support/jose_sign.py), code
// no one here wrote; the at_hash values are published ones (OpenID Connect Core's own example,
// and a SHA-384 / SHA-512 pair checked with Python's hashlib).
#include "fauth/oidc/id_token.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "support/keys.hpp"

using fauth::ErrorKind;
using fauth::KeySet;
using fauth::oidc::IdTokenCheck;
using fauth::oidc::LogoutTokenCheck;
using fauth::oidc::verify_id_token;
using fauth::oidc::verify_logout_token;
using nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kIssuer = "https://idp.example.com/realms/main";
const std::string kClient = "fauth-client";
const std::string kNonce = "n-0S6_WzA2Mj";
const std::string kEvent = "http://schemas.openid.net/event/backchannel-logout";

// OpenID Connect Core 1.0 Appendix A.3: this access token's RS256 at_hash.
const std::string kSpecAccessToken = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
const std::string kSpecAtHash = "77QmUPtjPfzWtF2AnpK9RQ";
// Another access token and its at_hash under SHA-384 and SHA-512 (base64url of the left half of
// hashlib.sha384 / sha512 of it; also published in FusionAuth's JWT library tests).
const std::string kAccessToken = "dNZX1hEZ9wBCzNL40Upu646bdzQA";
const std::string kAtHash384 = "phZaPQJosyg-qi-OIYyQ3xJB9wsHYEEz";
const std::string kAtHash512 = "8xltSlOGYrWy8W9yNvRlEth1i_bXW-JROWPLvCv5zog";

// An ID token's claims: a sign-in's, with `changes` applied (a null removes the claim).
json id_claims(const json& changes = json::object()) {
    json claims = {{"iss", kIssuer},
                   {"sub", "248289761001"},
                   {"aud", kClient},
                   {"exp", kNow + 300},
                   {"iat", kNow - 10},
                   {"nonce", kNonce},
                   {"auth_time", kNow - 100},
                   {"sid", "08a5019c-17e1-4977-8f42-65a12843ea02"},
                   {"acr", "urn:mace:incommon:iap:silver"},
                   {"amr", {"pwd", "otp"}},
                   {"email", "janedoe@example.com"},
                   {"name", "Jane Doe"}};
    for (const auto& [name, value] : changes.items()) {
        if (value.is_null())
            claims.erase(name);
        else
            claims[name] = value;
    }
    return claims;
}

// A logout token's claims, with `changes` applied (a null removes the claim).
json logout_claims(const json& changes = json::object()) {
    json claims = {{"iss", kIssuer},
                   {"aud", kClient},
                   {"iat", kNow - 5},
                   {"exp", kNow + 115},
                   {"jti", "bWJq"},
                   {"sub", "248289761001"},
                   {"sid", "08a5019c-17e1-4977-8f42-65a12843ea02"},
                   {"events", {{kEvent, json::object()}}}};
    for (const auto& [name, value] : changes.items()) {
        if (value.is_null())
            claims.erase(name);
        else
            claims[name] = value;
    }
    return claims;
}

const json kLogoutTyp = {{"typ", "logout+jwt"}};

// The tokens jwcrypto signs for this file: name, kid, extra header members, payload text.
struct Spec {
    std::string name;
    std::string kid;
    json header;
    std::string payload;
};

std::vector<Spec> specs() {
    const auto id = [](const json& changes = json::object()) { return id_claims(changes).dump(); };
    const auto logout = [](const json& changes = json::object()) { return logout_claims(changes).dump(); };
    const json none = json::object();
    return {
        // Accepted ID tokens, one per kind of key.
        {"id_rs", "rs", {{"typ", "JWT"}}, id({{"at_hash", kSpecAtHash}})},
        {"id_es", "es", none, id({{"aud", {kClient, "other-client"}}, {"azp", kClient}})},
        {"id_ed", "ed", {{"typ", "application/jwt"}}, id({{"at_hash", kAtHash512}})},
        {"id_es384", "es384", none, id({{"at_hash", kAtHash384}})},
        {"id_rs512", "rs512", none, id({{"at_hash", kAtHash512}})},
        {"id_minimal", "rs", none,
         id({{"auth_time", nullptr},
             {"sid", nullptr},
             {"acr", nullptr},
             {"amr", nullptr},
             {"email", nullptr},
             {"name", nullptr},
             {"exp", kNow + 0.5 + 300}})},
        // Refused ID tokens.
        {"id_wrong_iss", "rs", none, id({{"iss", kIssuer + "/"}})},
        {"id_no_iss", "rs", none, id({{"iss", nullptr}})},
        {"id_iss_number", "rs", none, id({{"iss", 7}})},
        {"id_wrong_aud", "rs", none, id({{"aud", "other-client"}})},
        {"id_no_aud", "rs", none, id({{"aud", nullptr}})},
        {"id_aud_mixed", "rs", none, id({{"aud", {kClient, 7}}})},
        {"id_auds_no_azp", "rs", none, id({{"aud", {kClient, "other-client"}}})},
        {"id_wrong_azp", "rs", none, id({{"azp", "other-client"}})},
        {"id_wrong_nonce", "rs", none, id({{"nonce", kNonce + "x"}})},
        {"id_no_nonce", "rs", none, id({{"nonce", nullptr}})},
        {"id_expired", "rs", none, id({{"exp", kNow - 60}})},
        {"id_expired_in_leeway", "rs", none, id({{"exp", kNow - 59}, {"iat", kNow - 400}})},
        {"id_no_exp", "rs", none, id({{"exp", nullptr}})},
        {"id_exp_text", "rs", none, id({{"exp", std::to_string(kNow + 300)}})},
        {"id_exp_negative", "rs", none, id({{"exp", -1}})},
        {"id_iat_future", "rs", none, id({{"iat", kNow + 61}})},
        {"id_iat_in_leeway", "rs", none, id({{"iat", kNow + 60}})},
        {"id_no_iat", "rs", none, id({{"iat", nullptr}})},
        {"id_nbf_future", "rs", none, id({{"nbf", kNow + 61}})},
        {"id_no_sub", "rs", none, id({{"sub", nullptr}})},
        {"id_empty_sub", "rs", none, id({{"sub", ""}})},
        {"id_long_sub", "rs", none, id({{"sub", std::string(256, 'a')}})},
        {"id_sub_255", "rs", none, id({{"sub", std::string(255, 'a')}})},
        {"id_no_auth_time", "rs", none, id({{"auth_time", nullptr}})},
        {"id_auth_time_text", "rs", none, id({{"auth_time", "yesterday"}})},
        {"id_acr_number", "rs", none, id({{"acr", 2}})},
        {"id_amr_string", "rs", none, id({{"amr", "pwd"}})},
        {"id_amr_mixed", "rs", none, id({{"amr", {"pwd", 1}}})},
        {"id_sid_number", "rs", none, id({{"sid", 1}})},
        {"id_typ_at_jwt", "rs", {{"typ", "at+jwt"}}, id()},
        {"id_typ_logout", "rs", {{"typ", "logout+jwt"}}, id()},
        {"id_duplicate_iss", "rs", none, R"({"iss":"https://evil.example","sub":"1","iss":")" + kIssuer + R"("})"},
        {"id_array", "rs", none, "[1]"},
        {"id_not_json", "rs", none, "not json"},
        // Logout tokens.
        {"lo_rs", "rs", kLogoutTyp, logout()},
        {"lo_es", "es", {{"typ", "JWT"}}, logout({{"sub", nullptr}, {"aud", {"other-client", kClient}}})},
        {"lo_ed", "ed", {{"typ", "application/logout+JWT"}}, logout({{"sid", nullptr}, {"exp", nullptr}})},
        {"lo_untyped", "rs", none, logout({{"exp", kNow + 1000}})},
        {"lo_nonce", "rs", kLogoutTyp, logout({{"nonce", kNonce}})},
        {"lo_no_events", "rs", kLogoutTyp, logout({{"events", nullptr}})},
        {"lo_events_array", "rs", kLogoutTyp, logout({{"events", {kEvent}}})},
        {"lo_events_other", "rs", kLogoutTyp, logout({{"events", {{"http://schemas.openid.net/event/other", json::object()}}}})},
        {"lo_event_true", "rs", kLogoutTyp, logout({{"events", {{kEvent, true}}}})},
        {"lo_no_sub_sid", "rs", kLogoutTyp, logout({{"sub", nullptr}, {"sid", nullptr}})},
        {"lo_empty_sid", "rs", kLogoutTyp, logout({{"sid", ""}, {"sub", nullptr}})},
        {"lo_sub_number", "rs", kLogoutTyp, logout({{"sub", 1}})},
        {"lo_old_iat", "rs", kLogoutTyp, logout({{"iat", kNow - 181}})},
        {"lo_old_iat_in_leeway", "rs", kLogoutTyp, logout({{"iat", kNow - 180}})},
        {"lo_iat_future", "rs", kLogoutTyp, logout({{"iat", kNow + 61}})},
        {"lo_no_iat", "rs", kLogoutTyp, logout({{"iat", nullptr}})},
        {"lo_expired", "rs", kLogoutTyp, logout({{"exp", kNow - 60}})},
        {"lo_no_jti", "rs", kLogoutTyp, logout({{"jti", nullptr}})},
        {"lo_empty_jti", "rs", kLogoutTyp, logout({{"jti", ""}})},
        {"lo_long_jti", "rs", kLogoutTyp, logout({{"jti", std::string(257, 'j')}})},
        {"lo_jti_256", "rs", kLogoutTyp, logout({{"jti", std::string(256, 'j')}})},
        {"lo_wrong_iss", "rs", kLogoutTyp, logout({{"iss", "https://other.example.com"}})},
        {"lo_wrong_aud", "rs", kLogoutTyp, logout({{"aud", "other-client"}})},
        {"lo_typ_at_jwt", "rs", {{"typ", "at+jwt"}}, logout()},
        {"lo_duplicate_sid", "rs", kLogoutTyp, R"({"sid":"a","sid":"b"})"},
    };
}

// Keys and tokens from jwcrypto, made once for the file.
struct Made {
    KeySet keys;
    std::map<std::string, std::string> tokens;
    std::string foreign_rs;  // signed by another RSA key that calls itself "rs"
    std::string foreign_ed;  // signed by another Ed25519 key that calls itself "ed"
};

const Made& made() {
    static const Made m = [] {
        json tokens = json::array();
        const auto all = specs();
        for (const auto& s : all) tokens.push_back({{"kid", s.kid}, {"header", s.header}, {"payload", s.payload}});
        const auto out = fauth::test::jwcrypto({{"keys",
                                                 {{{"kid", "rs"}, {"kty", "RSA"}, {"alg", "RS256"}},
                                                  {{"kid", "es"}, {"kty", "EC"}, {"crv", "P-256"}, {"alg", "ES256"}},
                                                  {{"kid", "ed"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "EdDSA"}},
                                                  {{"kid", "es384"}, {"kty", "EC"}, {"crv", "P-384"}, {"alg", "ES384"}},
                                                  {{"kid", "rs512"}, {"kty", "RSA"}, {"alg", "RS512"}}}},
                                                {"tokens", tokens}});
        const auto foreign = fauth::test::jwcrypto(
            {{"keys",
              {{{"kid", "rs"}, {"kty", "RSA"}, {"alg", "RS256"}},
               {{"kid", "ed"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "EdDSA"}}}},
             {"tokens",
              {{{"kid", "rs"}, {"payload", id_claims().dump()}}, {{"kid", "ed"}, {"payload", logout_claims().dump()}}}}});
        Made result{KeySet::from_jwks(out["jwks"]), {}, foreign["tokens"][0], foreign["tokens"][1]};
        for (std::size_t i = 0; i < all.size(); ++i) result.tokens[all[i].name] = out["tokens"][i].get<std::string>();
        return result;
    }();
    return m;
}

const std::string& token(const std::string& name) {
    const auto found = made().tokens.find(name);
    if (found == made().tokens.end()) throw std::invalid_argument("no token " + name);
    return found->second;
}

IdTokenCheck id_check() {
    IdTokenCheck check;
    check.issuer = kIssuer;
    check.client_id = kClient;
    check.nonce = kNonce;
    check.algorithms = {"RS256", "ES256", "EdDSA", "ES384", "RS512"};
    check.now = kNow;
    return check;
}

LogoutTokenCheck logout_check() {
    LogoutTokenCheck check;
    check.issuer = kIssuer;
    check.client_id = kClient;
    check.algorithms = {"RS256", "ES256", "EdDSA"};
    check.now = kNow;
    return check;
}

// "accepted", or the refusal's log; a refusal must be invalid_token with the fixed detail.
std::string id_outcome(const std::string& compact, const IdTokenCheck& check = id_check()) {
    const auto result = verify_id_token(compact, made().keys, check);
    if (result) return "accepted";
    EXPECT_EQ(result.failure().kind, ErrorKind::invalid_token) << result.failure().log;
    EXPECT_EQ(result.failure().detail, "Invalid ID token");
    return result.failure().log;
}

std::string logout_outcome(const std::string& compact, const LogoutTokenCheck& check = logout_check()) {
    const auto result = verify_logout_token(compact, made().keys, check);
    if (result) return "accepted";
    EXPECT_EQ(result.failure().kind, ErrorKind::invalid_token) << result.failure().log;
    EXPECT_EQ(result.failure().detail, "Invalid logout token");
    return result.failure().log;
}

std::string b64(std::string_view s) { return fauth::base64url_encode(s); }

// A token with `header` (as written) over a sign-in's claims, and a signature that is not one.
std::string forged(const std::string& header) {
    return b64(header) + "." + b64(id_claims().dump()) + "." + b64("not a signature");
}

}  // namespace

// ---- ID tokens: accepted ---------------------------------------------------------------------

TEST(VerifyIdToken, AcceptsAnRs256TokenAndReadsEveryField) {
    auto check = id_check();
    check.access_token = kSpecAccessToken;  // OpenID Connect Core's at_hash example
    check.max_age = std::chrono::seconds(3600);
    const auto result = verify_id_token(token("id_rs"), made().keys, check);
    ASSERT_TRUE(result) << result.failure().log;
    EXPECT_EQ(result->issuer, kIssuer);
    EXPECT_EQ(result->subject, "248289761001");
    EXPECT_EQ(result->audiences, std::vector<std::string>{kClient});
    EXPECT_EQ(result->issued_at, kNow - 10);
    EXPECT_EQ(result->expires_at, kNow + 300);
    EXPECT_EQ(result->auth_time, kNow - 100);
    EXPECT_EQ(result->sid, "08a5019c-17e1-4977-8f42-65a12843ea02");
    EXPECT_EQ(result->acr, "urn:mace:incommon:iap:silver");
    EXPECT_EQ(result->amr, (std::vector<std::string>{"pwd", "otp"}));
    EXPECT_EQ(result->claims["email"], "janedoe@example.com");
    EXPECT_EQ(result->claims["name"], "Jane Doe");
    EXPECT_EQ(result->claims["at_hash"], kSpecAtHash);
    EXPECT_EQ(result->claims, id_claims({{"at_hash", kSpecAtHash}})) << "the whole payload";
}

TEST(VerifyIdToken, AcceptsAnEs256TokenWithSeveralAudiencesAndItsAzp) {
    const auto result = verify_id_token(token("id_es"), made().keys, id_check());
    ASSERT_TRUE(result) << result.failure().log;
    EXPECT_EQ(result->audiences, (std::vector<std::string>{kClient, "other-client"}));
    EXPECT_EQ(result->claims["azp"], kClient);
    EXPECT_EQ(result->subject, "248289761001");
    EXPECT_EQ(result->issued_at, kNow - 10);
    EXPECT_EQ(result->expires_at, kNow + 300);
}

TEST(VerifyIdToken, AcceptsAnEdDsaTokenWhoseAtHashIsSha512) {
    auto check = id_check();
    check.access_token = kAccessToken;
    const auto result = verify_id_token(token("id_ed"), made().keys, check);
    ASSERT_TRUE(result) << result.failure().log;
    EXPECT_EQ(result->issuer, kIssuer);
    EXPECT_EQ(result->subject, "248289761001");
    EXPECT_EQ(result->auth_time, kNow - 100);
    EXPECT_EQ(result->amr, (std::vector<std::string>{"pwd", "otp"}));
    EXPECT_EQ(result->claims["at_hash"], kAtHash512) << "typ application/jwt is JWT too";
}

TEST(VerifyIdToken, AcceptsAMinimalTokenWithAFractionalExp) {
    const auto result = verify_id_token(token("id_minimal"), made().keys, id_check());
    ASSERT_TRUE(result) << result.failure().log;
    EXPECT_EQ(result->expires_at, kNow + 300) << "a NumericDate's fraction is dropped";
    EXPECT_FALSE(result->auth_time.has_value());
    EXPECT_FALSE(result->sid.has_value());
    EXPECT_EQ(result->acr, "");
    EXPECT_TRUE(result->amr.empty());
}

TEST(VerifyIdToken, AnAtHashIsCheckedOnlyAgainstAnAccessTokenGiven) {
    EXPECT_EQ(id_outcome(token("id_rs")), "accepted") << "no access token: nothing to compare";
    auto check = id_check();
    check.access_token = kSpecAccessToken;
    EXPECT_EQ(id_outcome(token("id_es"), check), "accepted") << "no at_hash: the code flow does not need one";
}

// ---- ID tokens: refused ----------------------------------------------------------------------

TEST(VerifyIdToken, RefusesAnotherIssuer) {
    EXPECT_EQ(id_outcome(token("id_wrong_iss")), "ID token: iss is another issuer") << "exact: not even a trailing slash";
    EXPECT_EQ(id_outcome(token("id_no_iss")), "ID token: iss is missing");
    EXPECT_EQ(id_outcome(token("id_iss_number")), "ID token: iss is not a string");
}

TEST(VerifyIdToken, RefusesAnotherAudience) {
    EXPECT_EQ(id_outcome(token("id_wrong_aud")), "ID token: aud does not name this client");
    EXPECT_EQ(id_outcome(token("id_no_aud")), "ID token: aud is missing");
    EXPECT_EQ(id_outcome(token("id_aud_mixed")), "ID token: aud is not a string or an array of strings");
}

TEST(VerifyIdToken, RefusesSeveralAudiencesWithoutAzpAndAnotherAzp) {
    EXPECT_EQ(id_outcome(token("id_auds_no_azp")), "ID token: aud has several values and there is no azp");
    EXPECT_EQ(id_outcome(token("id_wrong_azp")), "ID token: azp is another client");
}

TEST(VerifyIdToken, RefusesAnotherOrNoNonce) {
    EXPECT_EQ(id_outcome(token("id_wrong_nonce")), "ID token: nonce does not match");
    EXPECT_EQ(id_outcome(token("id_no_nonce")), "ID token: nonce is missing");
    auto check = id_check();
    check.nonce = kNonce.substr(0, kNonce.size() - 1);
    EXPECT_EQ(id_outcome(token("id_rs"), check), "ID token: nonce does not match");
}

TEST(VerifyIdToken, RefusesAnAtHashOfAnotherAccessTokenForEachHashSize) {
    auto check = id_check();
    check.access_token = kAccessToken;  // not the one of the spec's example
    EXPECT_EQ(id_outcome(token("id_rs"), check), "ID token: at_hash does not match the access token") << "SHA-256";
    check.access_token = kSpecAccessToken;
    EXPECT_EQ(id_outcome(token("id_es384"), check), "ID token: at_hash does not match the access token") << "SHA-384";
    EXPECT_EQ(id_outcome(token("id_rs512"), check), "ID token: at_hash does not match the access token") << "SHA-512";
    EXPECT_EQ(id_outcome(token("id_ed"), check), "ID token: at_hash does not match the access token") << "EdDSA: SHA-512";
    // The right access token for each: the hash follows the algorithm, not a fixed SHA-256.
    check.access_token = kAccessToken;
    EXPECT_EQ(id_outcome(token("id_es384"), check), "accepted");
    EXPECT_EQ(id_outcome(token("id_rs512"), check), "accepted");
    EXPECT_EQ(id_outcome(token("id_ed"), check), "accepted");
}

TEST(VerifyIdToken, RefusesAnExpiredTokenPastTheLeeway) {
    EXPECT_EQ(id_outcome(token("id_expired")), "ID token: expired");
    EXPECT_EQ(id_outcome(token("id_expired_in_leeway")), "accepted");
    auto check = id_check();
    check.leeway = std::chrono::seconds(0);
    EXPECT_EQ(id_outcome(token("id_expired_in_leeway"), check), "ID token: expired");
    EXPECT_EQ(id_outcome(token("id_no_exp")), "ID token: exp is missing");
    EXPECT_EQ(id_outcome(token("id_exp_text")), "ID token: exp is not a NumericDate");
    EXPECT_EQ(id_outcome(token("id_exp_negative")), "ID token: exp is not a NumericDate");
}

TEST(VerifyIdToken, RefusesAnIatInTheFuturePastTheLeeway) {
    EXPECT_EQ(id_outcome(token("id_iat_future")), "ID token: iat is in the future");
    EXPECT_EQ(id_outcome(token("id_iat_in_leeway")), "accepted");
    EXPECT_EQ(id_outcome(token("id_no_iat")), "ID token: iat is missing");
    EXPECT_EQ(id_outcome(token("id_nbf_future")), "ID token: not valid yet (nbf)");
}

TEST(VerifyIdToken, RefusesAMissingEmptyOrTooLongSubject) {
    EXPECT_EQ(id_outcome(token("id_no_sub")), "ID token: sub is missing");
    EXPECT_EQ(id_outcome(token("id_empty_sub")), "ID token: sub is empty or longer than 255 bytes");
    EXPECT_EQ(id_outcome(token("id_long_sub")), "ID token: sub is empty or longer than 255 bytes");
    EXPECT_EQ(id_outcome(token("id_sub_255")), "accepted");
}

TEST(VerifyIdToken, RefusesAnAuthenticationOlderThanMaxAge) {
    auto check = id_check();
    check.max_age = std::chrono::seconds(30);  // auth_time is 100 s ago; 30 + 60 of leeway
    EXPECT_EQ(id_outcome(token("id_rs"), check), "ID token: auth_time is older than max_age");
    check.max_age = std::chrono::seconds(40);
    EXPECT_EQ(id_outcome(token("id_rs"), check), "accepted") << "100 s is max_age plus leeway: still in";
}

TEST(VerifyIdToken, RefusesATokenWithoutAuthTimeWhenMaxAgeWasRequested) {
    EXPECT_EQ(id_outcome(token("id_no_auth_time")), "accepted") << "no max_age: auth_time is optional";
    auto check = id_check();
    check.max_age = std::chrono::seconds(3600);
    EXPECT_EQ(id_outcome(token("id_no_auth_time"), check), "ID token: max_age was requested and auth_time is missing");
    EXPECT_EQ(id_outcome(token("id_auth_time_text")), "ID token: auth_time is not a NumericDate");
}

TEST(VerifyIdToken, RefusesAcrAmrAndSidOfTheWrongType) {
    EXPECT_EQ(id_outcome(token("id_acr_number")), "ID token: acr is not a string");
    EXPECT_EQ(id_outcome(token("id_amr_string")), "ID token: amr is not an array of strings");
    EXPECT_EQ(id_outcome(token("id_amr_mixed")), "ID token: amr is not an array of strings");
    EXPECT_EQ(id_outcome(token("id_sid_number")), "ID token: sid is not a string");
}

TEST(VerifyIdToken, RefusesAnAlgorithmNotAllowed) {
    auto check = id_check();
    check.algorithms = {"RS256"};
    EXPECT_EQ(id_outcome(token("id_es"), check), "ID token: algorithm not allowed");
    EXPECT_EQ(id_outcome(token("id_rs"), check), "accepted");
}

TEST(VerifyIdToken, RefusesAlgNone) {
    EXPECT_EQ(id_outcome(forged(R"({"alg":"none","kid":"rs"})")), "ID token: alg none is not accepted");
    EXPECT_EQ(id_outcome(forged(R"({"alg":"NoNe"})")), "ID token: alg none is not accepted");
    const auto unsigned_token = b64(R"({"alg":"none"})") + "." + b64(id_claims().dump()) + ".";
    EXPECT_EQ(id_outcome(unsigned_token), "ID token: malformed token: empty segment");
}

TEST(VerifyIdToken, RefusesAnHmacAlgorithm) {
    // The classic confusion: HS256 "signed" with the RSA key's public bytes. Never tried.
    EXPECT_EQ(id_outcome(forged(R"({"alg":"HS256","kid":"rs"})")), "ID token: algorithm not allowed");
    auto check = id_check();
    check.algorithms = {"RS256", "HS256"};
    const auto result = verify_id_token(token("id_rs"), made().keys, check);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.failure().kind, ErrorKind::internal);
    EXPECT_EQ(result.failure().log, "ID token check: the HMAC algorithm HS256 cannot be allowed");
}

TEST(VerifyIdToken, RefusesASignatureOfAnotherKey) {
    EXPECT_EQ(id_outcome(made().foreign_rs), "ID token: signature mismatch");
    EXPECT_EQ(id_outcome(forged(R"({"alg":"RS256","kid":"rs"})")), "ID token: signature mismatch");
    EXPECT_EQ(id_outcome(forged(R"({"alg":"RS256","kid":"unknown"})")), "ID token: unknown kid");
}

TEST(VerifyIdToken, RefusesOtherTokenTypes) {
    EXPECT_EQ(id_outcome(token("id_typ_at_jwt")), "ID token: typ is not JWT");
    EXPECT_EQ(id_outcome(token("id_typ_logout")), "ID token: typ is not JWT");
}

TEST(VerifyIdToken, RefusesALogoutTokenEvenWithoutTyp) {
    EXPECT_EQ(id_outcome(token("lo_rs")), "ID token: typ is not JWT");
    EXPECT_EQ(id_outcome(token("lo_untyped")), "ID token: nonce is missing");
}

TEST(VerifyIdToken, RefusesAPayloadThatIsNotOneStrictJsonObject) {
    EXPECT_EQ(id_outcome(token("id_duplicate_iss")), "ID token: payload has a duplicate member");
    EXPECT_EQ(id_outcome(token("id_array")), "ID token: payload is not a JSON object");
    EXPECT_EQ(id_outcome(token("id_not_json")), "ID token: payload is not valid JSON");
}

TEST(VerifyIdToken, RefusesAPayloadThatIsNotUtf8) {
    // jwcrypto signs text only: these bytes are signed with a key fauth made (the signature is
    // not what is tested here, the payload's strict reading is).
    const auto key = fauth::Key::generate("ES256", "own");
    KeySet keys;
    keys.add(key);
    const auto signed_payload = [&](const std::string& payload) {
        const auto input = b64(R"({"alg":"ES256","kid":"own"})") + "." + b64(payload);
        return input + "." + b64(key.sign(input));
    };
    const auto claims = id_claims().dump();
    auto check = id_check();
    check.algorithms = {"ES256"};
    const auto outcome = [&](const std::string& payload) {
        const auto result = verify_id_token(signed_payload(payload), keys, check);
        return result ? std::string("accepted") : result.failure().log;
    };
    EXPECT_EQ(outcome(claims), "accepted");
    EXPECT_EQ(outcome(R"({"name":"J)" + std::string(1, '\xe9') + R"(ne"})"), "ID token: payload is not valid UTF-8");
    EXPECT_EQ(outcome(R"({"name":"\ud800"})"), "ID token: payload is not valid JSON") << "a lone surrogate";
}

TEST(VerifyIdToken, RefusesAnOversizedTokenUnread) {
    EXPECT_EQ(id_outcome(std::string(64 * 1024 + 1, 'a')), "ID token: token too large");
    EXPECT_EQ(id_outcome(""), "ID token: empty token");
    EXPECT_EQ(id_outcome("a.b"), "ID token: malformed token: expected three segments");
}

TEST(VerifyIdToken, AnUnsafeCheckIsAnInternalFailure) {
    const auto log_of = [](const IdTokenCheck& check) {
        const auto result = verify_id_token(token("id_rs"), made().keys, check);
        EXPECT_FALSE(result);
        if (result) return std::string("accepted");
        EXPECT_EQ(result.failure().kind, ErrorKind::internal);
        EXPECT_EQ(result.failure().detail, "Internal Server Error");
        return result.failure().log;
    };
    auto check = id_check();
    check.algorithms = {};
    EXPECT_EQ(log_of(check), "ID token check: no algorithm is allowed");
    check.algorithms = {"RS256", "none"};
    EXPECT_EQ(log_of(check), "ID token check: alg none cannot be allowed");
    check.algorithms = {"RS257"};
    EXPECT_EQ(log_of(check), "ID token check: unknown algorithm 'RS257'");
    check = id_check();
    check.nonce.clear();
    EXPECT_EQ(log_of(check), "ID token check: no nonce (every sign-in sends one)");
    check = id_check();
    check.now = 0;
    EXPECT_EQ(log_of(check), "ID token check: now is not a Unix time in seconds (not set?)");
    check = id_check();
    check.leeway = std::chrono::seconds(-1);
    EXPECT_EQ(log_of(check), "ID token check: leeway is negative or too large");
    check = id_check();
    check.max_age = std::chrono::seconds(-1);
    EXPECT_EQ(log_of(check), "ID token check: max_age is negative or too large");
    check = id_check();
    check.issuer.clear();
    EXPECT_EQ(log_of(check), "ID token check: no issuer or no client id");
}

// ---- Logout tokens ---------------------------------------------------------------------------

TEST(VerifyLogoutToken, AcceptsAnRs256TokenAndReadsEveryField) {
    const auto result = verify_logout_token(token("lo_rs"), made().keys, logout_check());
    ASSERT_TRUE(result) << result.failure().log;
    EXPECT_EQ(result->issuer, kIssuer);
    EXPECT_EQ(result->subject, "248289761001");
    EXPECT_EQ(result->sid, "08a5019c-17e1-4977-8f42-65a12843ea02");
    EXPECT_EQ(result->jti, "bWJq");
    EXPECT_EQ(result->issued_at, kNow - 5);
    // min(exp = iat + 120, iat + max_age = iat + 120) + leeway.
    EXPECT_EQ(result->expires_at, kNow - 5 + 120 + 60);
}

TEST(VerifyLogoutToken, AcceptsAnEs256TokenWithSidAloneAndTypJwt) {
    const auto result = verify_logout_token(token("lo_es"), made().keys, logout_check());
    ASSERT_TRUE(result) << result.failure().log;
    EXPECT_FALSE(result->subject.has_value());
    EXPECT_EQ(result->sid, "08a5019c-17e1-4977-8f42-65a12843ea02");
    EXPECT_EQ(result->jti, "bWJq");
    EXPECT_EQ(result->issued_at, kNow - 5);
}

TEST(VerifyLogoutToken, AcceptsAnEdDsaTokenWithSubAloneAndNoExp) {
    const auto result = verify_logout_token(token("lo_ed"), made().keys, logout_check());
    ASSERT_TRUE(result) << result.failure().log;
    EXPECT_EQ(result->subject, "248289761001");
    EXPECT_FALSE(result->sid.has_value());
    EXPECT_EQ(result->expires_at, kNow - 5 + 120 + 60) << "iat + max_age + leeway";
}

TEST(VerifyLogoutToken, RemembersTheJtiUntilTheEarlierOfExpAndMaxAge) {
    const auto later_exp = verify_logout_token(token("lo_untyped"), made().keys, logout_check());
    ASSERT_TRUE(later_exp) << later_exp.failure().log;
    EXPECT_EQ(later_exp->expires_at, kNow - 5 + 120 + 60) << "exp is later than iat + max_age";
    auto check = logout_check();
    check.max_age = std::chrono::seconds(600);
    const auto earlier_exp = verify_logout_token(token("lo_rs"), made().keys, check);
    ASSERT_TRUE(earlier_exp) << earlier_exp.failure().log;
    EXPECT_EQ(earlier_exp->expires_at, kNow + 115 + 60) << "exp is earlier than iat + max_age";
}

TEST(VerifyLogoutToken, RefusesATokenWithANonce) {
    EXPECT_EQ(logout_outcome(token("lo_nonce")), "logout token: a nonce is present (an ID token?)");
}

TEST(VerifyLogoutToken, RefusesATokenWithoutTheLogoutEvent) {
    EXPECT_EQ(logout_outcome(token("lo_no_events")), "logout token: events is missing");
    EXPECT_EQ(logout_outcome(token("lo_events_array")), "logout token: events is not an object");
    EXPECT_EQ(logout_outcome(token("lo_events_other")), "logout token: events has no back-channel logout event");
    EXPECT_EQ(logout_outcome(token("lo_event_true")), "logout token: the back-channel logout event is not an object");
}

TEST(VerifyLogoutToken, RefusesATokenNamingNeitherSubNorSid) {
    EXPECT_EQ(logout_outcome(token("lo_no_sub_sid")), "logout token: neither sub nor sid");
    EXPECT_EQ(logout_outcome(token("lo_empty_sid")), "logout token: sid is empty");
    EXPECT_EQ(logout_outcome(token("lo_sub_number")), "logout token: sub is not a string");
}

TEST(VerifyLogoutToken, RefusesAnIatTooOldOrInTheFuture) {
    EXPECT_EQ(logout_outcome(token("lo_old_iat")), "logout token: iat is older than max_age");
    EXPECT_EQ(logout_outcome(token("lo_old_iat_in_leeway")), "accepted") << "180 s: max_age plus leeway";
    EXPECT_EQ(logout_outcome(token("lo_iat_future")), "logout token: iat is in the future");
    EXPECT_EQ(logout_outcome(token("lo_no_iat")), "logout token: iat is missing");
    EXPECT_EQ(logout_outcome(token("lo_expired")), "logout token: expired");
}

TEST(VerifyLogoutToken, RefusesAMissingEmptyOrTooLongJti) {
    EXPECT_EQ(logout_outcome(token("lo_no_jti")), "logout token: jti is missing");
    EXPECT_EQ(logout_outcome(token("lo_empty_jti")), "logout token: jti is empty or longer than 256 bytes");
    EXPECT_EQ(logout_outcome(token("lo_long_jti")), "logout token: jti is empty or longer than 256 bytes");
    EXPECT_EQ(logout_outcome(token("lo_jti_256")), "accepted");
}

TEST(VerifyLogoutToken, RefusesAnotherIssuerOrAudience) {
    EXPECT_EQ(logout_outcome(token("lo_wrong_iss")), "logout token: iss is another issuer");
    EXPECT_EQ(logout_outcome(token("lo_wrong_aud")), "logout token: aud does not name this client");
}

TEST(VerifyLogoutToken, RefusesOtherTokenTypesAlgorithmsAndKeys) {
    EXPECT_EQ(logout_outcome(token("lo_typ_at_jwt")), "logout token: typ is neither logout+jwt nor JWT");
    EXPECT_EQ(logout_outcome(made().foreign_ed), "logout token: signature mismatch");
    auto check = logout_check();
    check.algorithms = {"RS256"};
    EXPECT_EQ(logout_outcome(token("lo_es"), check), "logout token: algorithm not allowed");
    EXPECT_EQ(logout_outcome(forged(R"({"alg":"none"})")), "logout token: alg none is not accepted");
    EXPECT_EQ(logout_outcome(forged(R"({"alg":"HS256","kid":"rs"})")), "logout token: algorithm not allowed");
    EXPECT_EQ(logout_outcome(token("lo_duplicate_sid")), "logout token: payload has a duplicate member");
    check.algorithms = {"HS512"};
    const auto result = verify_logout_token(token("lo_rs"), made().keys, check);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.failure().kind, ErrorKind::internal);
    EXPECT_EQ(result.failure().log, "logout token check: the HMAC algorithm HS512 cannot be allowed");
}

TEST(VerifyLogoutToken, RefusesAnIdToken) {
    EXPECT_EQ(logout_outcome(token("id_rs")), "logout token: a nonce is present (an ID token?)");
    EXPECT_EQ(logout_outcome(token("id_typ_at_jwt")), "logout token: typ is neither logout+jwt nor JWT");
}
