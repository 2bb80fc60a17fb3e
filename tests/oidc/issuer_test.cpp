#include "fauth/oidc/issuer.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include <fauth/core/base64url.hpp>
#include <fauth/core/keys.hpp>
#include <fauth/core/token.hpp>
#include <fauth/fauth.hpp>
#include <fauth/oidc/jwks.hpp>

#include "support/user.hpp"

using fauth::ConfigError;
using fauth::Key;
using fauth::KeyRing;
using fauth::KeySet;
using fauth::TokenCodec;
using fauth::TokenConfig;
using fauth::TokenType;
using fauth::TrustedIssuer;
using nlohmann::json;

namespace {

constexpr const char* kKeycloak = "https://keycloak.example.com/realms/main";
constexpr const char* kAuth0 = "https://tenant.eu.auth0.com/";

std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A provider: one signing key, the ring a verifier holds with its public half, and raw tokens in
// whatever shape the test writes (fauth's own codec would always add token_type and jti).
struct Provider {
    std::string kid;
    Key signer;
    std::shared_ptr<KeyRing> ring;

    Provider(const std::string& alg, std::string id) : kid(std::move(id)), signer(Key::generate(alg, kid)) {
        KeySet published;
        published.add(Key::from_jwk(signer.public_jwk()));
        ring = std::make_shared<KeyRing>(published);
    }
    std::string token(const json& claims, json header = json::object()) const {
        header.emplace("alg", signer.algorithm());
        header.emplace("kid", kid);
        std::string input = fauth::base64url_encode(header.dump()) + "." + fauth::base64url_encode(claims.dump());
        return input + "." + fauth::base64url_encode(signer.sign(input));
    }
};

json keycloak_claims() {
    // As Keycloak 24 writes an access token (trimmed).
    return {{"exp", now() + 300},
            {"iat", now()},
            {"jti", "onrtac:5c1c6a3e-8a5c-4b57-9d2e-2c8a4a1f0e11"},
            {"iss", kKeycloak},
            {"aud", json::array({"notes-api", "account"})},
            {"sub", "f1b7c8a0-0c1e-4c55-a2a0-6d1f0f2b3c4d"},
            {"typ", "Bearer"},
            {"azp", "notes-web"},
            {"realm_access", {{"roles", json::array({"offline_access", "admin"})}}},
            {"resource_access",
             {{"notes-api", {{"roles", json::array({"notes-editor"})}}},
              {"account", {{"roles", json::array({"view-profile"})}}}}},
            {"scope", "openid profile notes:read"},
            {"preferred_username", "alice"}};
}

json auth0_claims() {
    return {{"iss", kAuth0},
            {"sub", "auth0|64f0c0ffee"},
            {"aud", json::array({"https://notes.example.com/api", "https://tenant.eu.auth0.com/userinfo"})},
            {"iat", now()},
            {"exp", now() + 300},
            {"azp", "X2c4ZmFrZWNsaWVudA"},
            {"scope", "openid notes:read"},
            {"permissions", json::array({"notes:read", "notes:write"})},
            {"https://notes.example.com/roles", json::array({"editor"})}};
}

json entra_claims(const std::string& issuer) {
    return {{"aud", "api://notes"},
            {"iss", issuer},
            {"iat", now()},
            {"nbf", now()},
            {"exp", now() + 300},
            {"oid", "00000000-0000-0000-0000-000000000001"},
            {"roles", json::array({"Notes.Admin"})},
            {"scp", "Notes.Read Notes.Write"},
            {"sub", "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"},
            {"tid", "9188040d-6c67-4c5b-b112-36a304b66dad"},
            {"ver", "2.0"}};
}

std::string refusal(const TokenCodec& codec, const std::string& token, TokenType type = TokenType::access) {
    try {
        codec.verify(token, type);
        return "accepted";
    } catch (const std::exception& e) {
        return e.what();
    }
}

}  // namespace

TEST(TrustedIssuerTest, ReadsKeycloakAuth0EntraAndCognitoTokensInTheirOwnShapes) {
    const Provider keycloak("RS256", "kc-1"), auth0("RS256", "a0-1"), entra("RS256", "entra-1"), cognito("RS256", "cg-1");
    const std::string entra_iss = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0";
    const std::string cognito_iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example";
    TokenConfig config;  // a resource server: no key of its own
    config.issuers = {TrustedIssuer::keycloak(kKeycloak, "notes-api", keycloak.ring, "notes-api"),
                      TrustedIssuer::auth0(kAuth0, "https://notes.example.com/api", auth0.ring,
                                           "https://notes.example.com/roles"),
                      TrustedIssuer::entra(entra_iss, "api://notes", entra.ring),
                      TrustedIssuer::cognito(cognito_iss, "5example0client", cognito.ring)};
    const TokenCodec codec(config);

    const auto kc = codec.verify(keycloak.token(keycloak_claims(), {{"typ", "JWT"}}), TokenType::access);
    EXPECT_EQ(kc.sub, "f1b7c8a0-0c1e-4c55-a2a0-6d1f0f2b3c4d");
    EXPECT_EQ(kc.roles, (std::vector<std::string>{"offline_access", "admin", "notes-editor"}));
    EXPECT_EQ(kc.scopes, (std::vector<std::string>{"openid", "profile", "notes:read"}));
    EXPECT_EQ(kc.extra["preferred_username"], "alice");
    EXPECT_TRUE(kc.family.empty());

    const auto a0 = codec.verify(auth0.token(auth0_claims()), TokenType::access);
    EXPECT_EQ(a0.roles, std::vector<std::string>{"editor"});
    EXPECT_EQ(a0.scopes, (std::vector<std::string>{"openid", "notes:read", "notes:write"}));
    EXPECT_TRUE(a0.jti.empty()) << "Auth0 access tokens carry no jti";

    const auto en = codec.verify(entra.token(entra_claims(entra_iss), {{"typ", "JWT"}}), TokenType::access);
    EXPECT_EQ(en.roles, std::vector<std::string>{"Notes.Admin"});
    EXPECT_EQ(en.scopes, (std::vector<std::string>{"Notes.Read", "Notes.Write"}));

    const json cognito_claims = {{"sub", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},
                                 {"cognito:groups", json::array({"admins"})},
                                 {"iss", cognito_iss},
                                 {"client_id", "5example0client"},
                                 {"token_use", "access"},
                                 {"scope", "notes/read"},
                                 {"exp", now() + 300},
                                 {"iat", now()},
                                 {"jti", "x"},
                                 {"username", "alice"}};
    const auto cg = codec.verify(cognito.token(cognito_claims), TokenType::access);
    EXPECT_EQ(cg.roles, std::vector<std::string>{"admins"});
    EXPECT_EQ(cg.scopes, std::vector<std::string>{"notes/read"});
    auto other_client = cognito_claims;
    other_client["client_id"] = "another-app";
    EXPECT_EQ(refusal(codec, cognito.token(other_client)), "Invalid token: audience mismatch");

    // ID tokens come from the same keys and may name the same audience: the presets tell them apart.
    auto id_token = keycloak_claims();
    id_token["typ"] = "ID";
    EXPECT_EQ(refusal(codec, keycloak.token(id_token)), "Invalid token: typ is not Bearer");
    auto cognito_id = cognito_claims;
    cognito_id["token_use"] = "id";
    EXPECT_EQ(refusal(codec, cognito.token(cognito_id)), "Invalid token: token_use is not access");
    // A provider's claim named like fauth's own grants nothing unless configured.
    auto extra_scopes = keycloak_claims();
    extra_scopes["scopes"] = json::array({"everything"});
    extra_scopes["fam"] = "x";
    const auto read = codec.verify(keycloak.token(extra_scopes), TokenType::access);
    EXPECT_EQ(read.scopes, (std::vector<std::string>{"openid", "profile", "notes:read"}));
    EXPECT_TRUE(read.family.empty());
    EXPECT_TRUE(read.external);
}

TEST(TrustedIssuerTest, RoutesByIssuerAndRefusesWhatNoConfiguredIssuerVouchesFor) {
    const Provider keycloak("ES256", "kc-1"), impostor("ES256", "kc-1");
    TokenConfig config;
    auto trusted = TrustedIssuer::keycloak(kKeycloak, "notes-api", keycloak.ring);
    config.issuers = {trusted};
    const TokenCodec codec(config);
    auto claims = keycloak_claims();
    trusted.algorithms = {"ES256"};
    config.issuers = {trusted};
    const TokenCodec es256(config);
    EXPECT_EQ(refusal(es256, keycloak.token(claims)), "accepted");
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "accepted") << "its JWK declares ES256 (RFC 8725 section 3.1)";
    // A key published without alg verifies only the listed algorithms: RS256 by default.
    auto bare = keycloak.signer.public_jwk();
    bare.erase("alg");
    fauth::KeySet undeclared;
    undeclared.add(Key::from_jwk(bare));
    TokenConfig bare_config;
    bare_config.issuers = {TrustedIssuer::keycloak(kKeycloak, "notes-api", std::make_shared<KeyRing>(undeclared))};
    EXPECT_EQ(refusal(TokenCodec(bare_config), keycloak.token(claims)), "Invalid token: algorithm not allowed")
        << "RS256 only by default";
    // Another key under the same kid, the same claims: the signature decides.
    EXPECT_EQ(refusal(es256, impostor.token(claims)), "Invalid token: signature mismatch");
    // An issuer nobody configured: refused before any key is looked up (no UnknownKeyId, no fetch).
    claims["iss"] = "https://evil.example.com/realms/main";
    EXPECT_EQ(refusal(es256, keycloak.token(claims)), "Invalid token: unknown issuer");
    claims.erase("iss");
    EXPECT_EQ(refusal(es256, keycloak.token(claims)), "Invalid token: unknown issuer");
    // A kid the issuer's ring lacks names that ring, so that the provider refreshes it.
    claims["iss"] = kKeycloak;
    try {
        es256.verify(keycloak.token(claims, {{"kid", "kc-2"}}), TokenType::access);
        ADD_FAILURE() << "an unknown kid was accepted";
    } catch (const fauth::UnknownKeyId& e) {
        EXPECT_EQ(e.kid(), "kc-2");
        EXPECT_EQ(e.ring(), keycloak.ring);
    }
    EXPECT_THROW(es256.issue(TokenType::access, "me"), std::logic_error) << "a resource server mints nothing";
}

TEST(TrustedIssuerTest, ChecksAudienceTypeAuthorizedPartyAndTimes) {
    const Provider keycloak("ES256", "kc-1");
    TrustedIssuer trusted = TrustedIssuer::keycloak(kKeycloak, "notes-api", keycloak.ring);
    trusted.algorithms = {"ES256"};
    TokenConfig config;
    config.issuers = {trusted};
    const TokenCodec codec(config);
    auto claims = keycloak_claims();
    claims["aud"] = "notes-api";
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "accepted") << "aud as one string";
    claims["aud"] = json::array({"account"});
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Invalid token: audience mismatch");
    claims.erase("aud");
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Invalid token: audience mismatch");
    claims = keycloak_claims();
    claims["exp"] = now() - 10;
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Token expired");
    claims = keycloak_claims();
    claims.erase("sub");
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Invalid token: missing sub");
    claims = keycloak_claims();
    claims["token_type"] = "refresh";
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Invalid token: token_type is not access");
    EXPECT_EQ(refusal(codec, keycloak.token(keycloak_claims()), TokenType::refresh),
              std::string("Invalid token: a token from ") + kKeycloak + " is an access token, never a refresh token");
    claims = keycloak_claims();
    claims["realm_access"]["roles"] = 7;
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Invalid token: realm_access.roles is not a string or a list of strings");
    claims = keycloak_claims();
    claims["scope"] = json::array({"a", 1});
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Invalid token: scope is not a list of strings");

    trusted.accept_tokens_without_at_jwt = false;  // the preset's opt-out undone: at+jwt required
    trusted.authorized_party = "notes-web";
    config.issuers = {trusted};
    const TokenCodec strict(config);
    EXPECT_EQ(refusal(strict, keycloak.token(keycloak_claims(), {{"typ", "JWT"}})), "Invalid token: typ must be at+jwt");
    EXPECT_EQ(refusal(strict, keycloak.token(keycloak_claims(), {{"typ", "at+jwt"}})), "accepted");
    EXPECT_EQ(refusal(strict, keycloak.token(keycloak_claims(), {{"typ", "application/at+JWT"}})), "accepted");
    claims = keycloak_claims();
    claims["azp"] = "another-client";
    EXPECT_EQ(refusal(strict, keycloak.token(claims, {{"typ", "at+jwt"}})), "Invalid token: authorized party mismatch");
    EXPECT_EQ(refusal(strict, keycloak.token(keycloak_claims(), {{"typ", "JOSE"}})), "Invalid token: typ is not JWT");
}

TEST(TrustedIssuerTest, WithoutAPresetOnlyAtJwtAccessTokensPassUnlessOptedOut) {
    const Provider idp("RS256", "idp-1");
    const std::string iss = "https://idp.example.com";
    TokenConfig config;
    TrustedIssuer trusted{.issuer = iss, .audiences = {"notes-api"}, .keys = idp.ring};
    config.issuers = {trusted};
    EXPECT_FALSE(trusted.accept_tokens_without_at_jwt) << "refusing is the default";
    const TokenCodec codec(config);
    const json access = {{"iss", iss},   {"sub", "alice"},     {"aud", "notes-api"},
                         {"iat", now()}, {"exp", now() + 300}, {"scope", "notes:read"}};
    // An ID token of the same provider: same keys, and (for a client that is also the API) the same audience.
    const json id_token = {{"iss", iss},         {"sub", "alice"},          {"aud", "notes-api"},          {"iat", now()},
                           {"exp", now() + 300}, {"nonce", "n-0S6_WzA2Mj"}, {"email", "alice@example.com"}};
    EXPECT_EQ(refusal(codec, idp.token(access, {{"typ", "at+jwt"}})), "accepted");
    EXPECT_EQ(refusal(codec, idp.token(access, {{"typ", "application/at+jwt"}})), "accepted");
    EXPECT_EQ(refusal(codec, idp.token(id_token, {{"typ", "JWT"}})), "Invalid token: typ must be at+jwt");
    EXPECT_EQ(refusal(codec, idp.token(id_token)), "Invalid token: typ must be at+jwt") << "no typ at all";
    EXPECT_EQ(refusal(codec, idp.token(access, {{"typ", "JWT"}})), "Invalid token: typ must be at+jwt");

    trusted.accept_tokens_without_at_jwt = true;
    config.issuers = {trusted};
    const TokenCodec opted_out(config);
    EXPECT_EQ(refusal(opted_out, idp.token(access, {{"typ", "JWT"}})), "accepted");
    EXPECT_EQ(refusal(opted_out, idp.token(access)), "accepted");
    EXPECT_EQ(refusal(opted_out, idp.token(access, {{"typ", "at+jwt"}})), "accepted");

    // Every preset says what tells its access tokens instead, and opts out.
    for (const auto& preset : {TrustedIssuer::keycloak(iss, "a", idp.ring), TrustedIssuer::auth0(iss, "a", idp.ring),
                               TrustedIssuer::entra(iss, "a", idp.ring), TrustedIssuer::cognito(iss, "a", idp.ring)})
        EXPECT_TRUE(preset.accept_tokens_without_at_jwt);
}

TEST(TrustedIssuerTest, OwnTokensSitBesideTheIssuersWithTheirStricterProfile) {
    const Provider keycloak("ES256", "kc-1");
    TrustedIssuer trusted = TrustedIssuer::keycloak(kKeycloak, "notes-api", keycloak.ring);
    trusted.algorithms = {"ES256"};
    TokenConfig config;
    config.secret_key = std::string(32, 'k');
    config.issuers = {trusted};
    const TokenCodec codec(config);
    const auto own = codec.issue(TokenType::refresh, "me");
    EXPECT_EQ(codec.verify(own, TokenType::refresh).sub, "me");
    EXPECT_EQ(refusal(codec, keycloak.token(keycloak_claims())), "accepted");
    // A token claiming no trusted issuer goes to the own key, whose profile needs jti and token_type.
    auto claims = keycloak_claims();
    claims.erase("iss");
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Invalid token: algorithm not allowed");
    EXPECT_FALSE(codec.verify(own, TokenType::refresh).external);
    // A token naming an issuer that is neither trusted nor this service is refused before any key.
    claims["iss"] = "https://other.example.com";
    EXPECT_EQ(refusal(codec, keycloak.token(claims)), "Invalid token: unknown issuer");
    // An HMAC token claiming the trusted issuer's iss is verified with that issuer's keys, never ours.
    fauth::TokenConfig forger_config;
    forger_config.secret_key = std::string(32, 'k');
    forger_config.issuer = kKeycloak;
    forger_config.audience = "notes-api";
    const TokenCodec forger(forger_config);
    EXPECT_EQ(refusal(codec, forger.issue(TokenType::access, "admin")), "Invalid token: token has no kid");
}

TEST(TrustedIssuerTest, AResourceServerConfigurationSaysWhatIsMissing) {
    const Provider p("ES256", "k");
    const auto message = [](const TrustedIssuer& t) {
        try {
            t.validate();
            return std::string("valid");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
    };
    EXPECT_EQ(message(TrustedIssuer::keycloak(kKeycloak, "api", p.ring)), "valid");
    EXPECT_NE(message(TrustedIssuer{.keys = p.ring}).find("TrustedIssuer.issuer is empty"), std::string::npos);
    EXPECT_NE(message(TrustedIssuer{.issuer = kKeycloak, .keys = p.ring}).find("no audience"), std::string::npos);
    EXPECT_NE(message(TrustedIssuer{.issuer = kKeycloak, .audiences = {"api"}}).find("no keys"), std::string::npos);
    auto hmac = TrustedIssuer::entra("https://login.example.com/v2.0", "api", p.ring);
    hmac.algorithms = {"HS256"};
    EXPECT_NE(message(hmac).find("HS256 is an HMAC algorithm"), std::string::npos);
    hmac.algorithms = {"RS1"};
    EXPECT_NE(message(hmac).find("RS1 is not supported"), std::string::npos);
    auto reserved = TrustedIssuer::keycloak(kKeycloak, "api", p.ring);
    reserved.audience_claim = "iss";
    EXPECT_NE(message(reserved).find("audience_claim iss is a claim fauth reads itself"), std::string::npos);
    reserved = TrustedIssuer::keycloak(kKeycloak, "api", p.ring);
    reserved.role_claims = {{"aud"}};
    EXPECT_NE(message(reserved).find("claim path aud is a claim fauth reads itself"), std::string::npos);
    TokenConfig twice;
    twice.issuers = {TrustedIssuer::keycloak(kKeycloak, "api", p.ring), TrustedIssuer::keycloak(kKeycloak, "api", p.ring)};
    EXPECT_THROW(twice.validate(), ConfigError);
    TokenConfig no_audience;
    no_audience.issuers = {TrustedIssuer{.issuer = kKeycloak, .keys = p.ring}};
    EXPECT_THROW(TokenCodec{no_audience}, ConfigError) << "refuses to start";
}

// RFC 9068 access tokens, as any standard provider writes them (oidc-provider, Okta, Ory Hydra,
// Keycloak with its at+jwt option): the preset for every provider that has none of its own.
TEST(TrustedIssuerTest, TheStandardPresetReadsRfc9068TokensAndRefusesTheProvidersIdTokens) {
    const Provider idp("ES256", "std-1");
    const std::string iss = "https://login.example.com";
    auto trusted = TrustedIssuer::standard(iss, "notes-client", idp.ring);
    trusted.algorithms = {"ES256"};
    EXPECT_FALSE(trusted.accept_tokens_without_at_jwt);
    TokenConfig config;
    config.issuers = {trusted};
    const TokenCodec codec(config);
    // RFC 9068 section 2.2: iss, exp, aud, sub, client_id, iat, jti; scope a space-separated string.
    const json access =
        {{"iss", iss},         {"sub", "alice"},  {"aud", "notes-client"}, {"client_id", "notes-client"},    {"iat", now()},
         {"exp", now() + 300}, {"jti", "a1b2c3"}, {"scope", "read write"}, {"roles", json::array({"admin"})}};
    const auto p = codec.verify(idp.token(access, {{"typ", "at+jwt"}}), TokenType::access);
    EXPECT_EQ(p.scopes, (std::vector<std::string>{"read", "write"}));
    EXPECT_EQ(p.roles, std::vector<std::string>{"admin"});
    EXPECT_EQ(refusal(codec, idp.token(access, {{"typ", "application/at+jwt"}})), "accepted");
    // The same provider's ID token, whose audience is the client id, here also this API's.
    const json id_token = {{"iss", iss},         {"sub", "alice"},   {"aud", "notes-client"}, {"iat", now()},
                           {"exp", now() + 300}, {"nonce", "n-0S6"}, {"at_hash", "x1Y2z3"}};
    EXPECT_EQ(refusal(codec, idp.token(id_token, {{"typ", "JWT"}})), "Invalid token: typ must be at+jwt");
    EXPECT_EQ(refusal(codec, idp.token(id_token)), "Invalid token: typ must be at+jwt");
    EXPECT_EQ(refusal(codec, idp.token(access, {{"typ", "JWT"}})), "Invalid token: typ must be at+jwt");
    // A `scopes` array grants nothing here: RFC 9068's scopes are the `scope` string.
    auto fauth_shaped = access;
    fauth_shaped.erase("scope");
    fauth_shaped["scopes"] = json::array({"write"});
    EXPECT_TRUE(codec.verify(idp.token(fauth_shaped, {{"typ", "at+jwt"}}), TokenType::access).scopes.empty());
    // ...unless a claim path names it; the same for the provider's `auth_time` or `fresh`, which
    // fauth reads only from its own tokens: a path or a required claim on them is the issuer's.
    auto paths = trusted;
    paths.scope_claims = {{"scopes"}};
    paths.role_claims = {{"fresh"}};
    paths.required_claims = {{"fresh", "mfa"}};
    TokenConfig paths_config;
    paths_config.issuers = {paths};
    const TokenCodec paths_codec(paths_config);
    auto provider_claims = fauth_shaped;
    provider_claims["fresh"] = "mfa";
    const auto read = paths_codec.verify(idp.token(provider_claims, {{"typ", "at+jwt"}}), TokenType::access);
    EXPECT_EQ(read.scopes, std::vector<std::string>{"write"});
    EXPECT_EQ(read.roles, std::vector<std::string>{"mfa"});
    provider_claims["fresh"] = "pwd";
    EXPECT_EQ(refusal(paths_codec, idp.token(provider_claims, {{"typ", "at+jwt"}})), "Invalid token: fresh is not mfa");
    paths.scope_claims = {{"auth_time"}, {"auth_time_us"}, {"iat_us"}, {"fam"}};
    EXPECT_NO_THROW(paths.validate());
    paths.scope_claims = {{"jti"}};
    EXPECT_THROW(paths.validate(), ConfigError);
    auto other = access;
    other["aud"] = "another-api";
    EXPECT_EQ(refusal(codec, idp.token(other, {{"typ", "at+jwt"}})), "Invalid token: audience mismatch");

    // Any preset can require at+jwt of its own provider too.
    auto keycloak = TrustedIssuer::keycloak(kKeycloak, "notes-api", idp.ring);
    keycloak.algorithms = {"ES256"};
    keycloak.accept_tokens_without_at_jwt = false;
    TokenConfig strict_config;
    strict_config.issuers = {keycloak};
    const TokenCodec strict(strict_config);
    EXPECT_EQ(refusal(strict, idp.token(keycloak_claims(), {{"typ", "JWT"}})), "Invalid token: typ must be at+jwt");
    EXPECT_EQ(refusal(strict, idp.token(keycloak_claims(), {{"typ", "at+jwt"}})), "accepted");
}

// A configuration that cannot work is refused when the provider is made, before any key is
// fetched: nothing waits for a provider to find out that a setting was wrong.
TEST(TrustedIssuerTest, AnUnusableConfigurationIsRefusedBeforeAnyFetch) {
    std::vector<std::string> logged;
    fauth::oidc::JwksOptions options{.issuer = "http://127.0.0.1:1/realms/main"};  // nothing listens there
    options.log = [&logged](std::string_view line) { logged.emplace_back(line); };
    auto ring = std::make_shared<fauth::oidc::JwksKeyRing>(options);
    const auto made = [&](TrustedIssuer trusted) {
        fauth::AuthConfig config;
        config.tokens.issuers = {trusted};
        try {
            fauth::AuthProvider<fauth::test::User> provider(config, [](const fauth::TokenPayload& p) {
                return std::optional(fauth::test::User{.id = p.sub});
            });
            return std::string("made");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
    };
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(made(TrustedIssuer::standard(options.issuer, "api", ring)), "made");
    EXPECT_NE(made(TrustedIssuer::standard(options.issuer, "", ring)).find("an audience is empty"), std::string::npos);
    auto unknown_alg = TrustedIssuer::standard(options.issuer, "api", ring);
    unknown_alg.algorithms = {"ES256", "ES257"};
    EXPECT_NE(made(unknown_alg).find("algorithm ES257 is not supported"), std::string::npos);
    EXPECT_NE(made(TrustedIssuer::standard("http://127.0.0.1:1/realms/other", "api", ring))
                  .find("TrustedIssuer.keys discovers the keys of http://127.0.0.1:1/realms/main, another issuer"),
              std::string::npos);
    EXPECT_NE(made(TrustedIssuer::standard(options.issuer + " ", "api", ring)).find("TrustedIssuer.issuer holds white space"),
              std::string::npos);
    // And the ring's own URLs: checked when it is made.
    EXPECT_THROW(fauth::oidc::JwksKeyRing({.issuer = "http://login.example.com/realms/main"}), ConfigError) << "no https";
    EXPECT_THROW(fauth::oidc::JwksKeyRing({.url = "https://user:pw@login.example.com/jwks"}), ConfigError);
    EXPECT_THROW(fauth::oidc::JwksKeyRing({.url = "ftp://login.example.com/jwks"}), ConfigError);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2)) << "nothing waited for a fetch";
    EXPECT_EQ(ring->fetches(), 0u);
    EXPECT_TRUE(logged.empty()) << "no fetch was even tried: " << logged.front();
}
