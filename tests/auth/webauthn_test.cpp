// WebAuthn registration and assertion checks against a software authenticator (support/
// soft_authenticator.hpp): round trips for ES256, EdDSA and RS256 with "none" and packed self
// attestation, and each refusal on its own, with the log line that names it.
#include "fauth/auth/webauthn.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "fauth/core/errors.hpp"
#include "support/soft_authenticator.hpp"

namespace {

using fauth::ErrorKind;
using fauth::test::SoftAuthenticator;
using fauth::webauthn::Assertion;
using fauth::webauthn::CoseAlgorithm;
using fauth::webauthn::Credential;
using fauth::webauthn::RelyingParty;
using fauth::webauthn::verify_assertion;
using fauth::webauthn::verify_registration;
namespace cbor = fauth::test::cbor;

// Raw challenge bytes whose base64url has '-' and '_' (standard base64 would write '+' and '/').
const std::string kChallenge = std::string("\xfb\xff\xbe\x00\x01\x02rp-challenge-0123456789", 29);

RelyingParty example_rp() { return RelyingParty{"example.com", {"https://example.com", "https://login.example.com"}}; }

template <class T>
void expect_refused(const fauth::Result<T>& result, const std::string& log) {
    ASSERT_FALSE(result.ok()) << "expected refusal: " << log;
    EXPECT_EQ(result.failure().kind, ErrorKind::invalid_credentials);
    EXPECT_EQ(result.failure().detail, "Invalid passkey");
    EXPECT_EQ(result.failure().log, "webauthn: " + log);
}

fauth::Result<Credential> register_with(
    const SoftAuthenticator& authenticator,
    const SoftAuthenticator::RegistrationOptions& options = SoftAuthenticator::RegistrationOptions(),
    const RelyingParty& rp = example_rp()) {
    const auto r = authenticator.register_credential(kChallenge, options);
    return verify_registration(rp, kChallenge, r.client_data_json, r.attestation_object);
}

Credential registered(const SoftAuthenticator& authenticator) {
    auto credential = register_with(authenticator);
    EXPECT_TRUE(credential.ok()) << credential.failure().log;
    return credential.ok() ? *credential : Credential{};
}

fauth::Result<Assertion> assert_with(const SoftAuthenticator::AssertionResponse& a, const Credential& stored,
                                     const RelyingParty& rp = example_rp()) {
    return verify_assertion(rp, kChallenge, stored, a.client_data_json, a.authenticator_data, a.signature);
}

// Everything a browser sent, with the assertion's counter as an authenticator writes it.
struct RoundTrip : testing::TestWithParam<std::tuple<CoseAlgorithm, const char*>> {};

TEST_P(RoundTrip, RegistersAndAssertsWithEachAlgorithmAndAttestation) {
    const auto [algorithm, fmt] = GetParam();
    SoftAuthenticator authenticator(algorithm);
    SoftAuthenticator::RegistrationOptions options;
    options.fmt = fmt;
    options.sign_count = 7;
    const auto credential = register_with(authenticator, options);
    ASSERT_TRUE(credential.ok()) << credential.failure().log;
    EXPECT_EQ(credential->id, authenticator.credential_id());
    EXPECT_EQ(credential->public_key, authenticator.cose_key());
    EXPECT_EQ(credential->algorithm, algorithm);
    EXPECT_EQ(credential->sign_count, 7u);
    EXPECT_TRUE(credential->user_verified);
    EXPECT_FALSE(credential->backup_eligible);
    EXPECT_FALSE(credential->backed_up);
    EXPECT_EQ(credential->aaguid, authenticator.aaguid());
    EXPECT_EQ(credential->aaguid.size(), 16u);
    EXPECT_EQ(credential->attestation, fmt);

    Credential stored = *credential;
    SoftAuthenticator::AssertionOptions first;
    first.sign_count = 8;
    const auto a = assert_with(authenticator.assert_credential(kChallenge, first), stored);
    ASSERT_TRUE(a.ok()) << a.failure().log;
    EXPECT_EQ(a->sign_count, 8u);
    EXPECT_TRUE(a->user_verified);
    EXPECT_FALSE(a->backed_up);
    stored.sign_count = a->sign_count;
    const auto b = assert_with(authenticator.assert_credential(kChallenge), stored);
    ASSERT_TRUE(b.ok()) << b.failure().log;
    EXPECT_EQ(b->sign_count, 9u);

    // Another credential's signature is no signature of this one.
    SoftAuthenticator other(algorithm);
    auto foreign = other.assert_credential(kChallenge);
    foreign.authenticator_data = authenticator.assert_credential(kChallenge).authenticator_data;
    foreign.signature = other.sign(foreign.authenticator_data + fauth::test::soft_sha256(foreign.client_data_json));
    expect_refused(assert_with(foreign, stored), "assertion signature does not verify");
}

INSTANTIATE_TEST_SUITE_P(Algorithms, RoundTrip,
                         testing::Combine(testing::Values(CoseAlgorithm::es256, CoseAlgorithm::eddsa, CoseAlgorithm::rs256),
                                          testing::Values("none", "packed")));

TEST(WebAuthnRegistration, ReadsTheBackupFlags) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.flags = SoftAuthenticator::kUP | SoftAuthenticator::kUV | SoftAuthenticator::kAT | SoftAuthenticator::kBE;
    auto eligible = register_with(authenticator, options);
    ASSERT_TRUE(eligible.ok()) << eligible.failure().log;
    EXPECT_TRUE(eligible->backup_eligible);
    EXPECT_FALSE(eligible->backed_up);
    options.flags |= SoftAuthenticator::kBS;
    auto synced = register_with(authenticator, options);
    ASSERT_TRUE(synced.ok()) << synced.failure().log;
    EXPECT_TRUE(synced->backup_eligible);
    EXPECT_TRUE(synced->backed_up);
    options.flags = SoftAuthenticator::kUP | SoftAuthenticator::kUV | SoftAuthenticator::kAT | SoftAuthenticator::kBS;
    expect_refused(register_with(authenticator, options), "backed up (BS) without being backup eligible (BE)");
}

TEST(WebAuthnRegistration, AcceptsAnyListedOrigin) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.origin = "https://login.example.com";
    EXPECT_TRUE(register_with(authenticator, options).ok());
}

TEST(WebAuthnRegistration, RefusesClientDataOfAnotherCeremony) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.type = "webauthn.get";
    expect_refused(register_with(authenticator, options), "clientDataJSON type is not webauthn.create");
}

TEST(WebAuthnRegistration, RefusesAnotherChallenge) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto r = authenticator.register_credential(kChallenge);
    expect_refused(verify_registration(example_rp(), kChallenge + "x", r.client_data_json, r.attestation_object),
                   "challenge does not match");
    // Challenges are at least 16 bytes: an empty one would match a client's empty challenge.
    expect_refused(verify_registration(example_rp(), "", r.client_data_json, r.attestation_object),
                   "challenge shorter than 16 bytes");
    SoftAuthenticator::RegistrationOptions short_challenge;
    short_challenge.client_data_json = SoftAuthenticator::client_data_json("webauthn.create", "", "https://example.com");
    const auto empty = authenticator.register_credential("", short_challenge);
    expect_refused(verify_registration(example_rp(), "", empty.client_data_json, empty.attestation_object),
                   "challenge shorter than 16 bytes");
    expect_refused(verify_registration(example_rp(), std::string(15, 'c'), r.client_data_json, r.attestation_object),
                   "challenge shorter than 16 bytes");
    // The same bytes in standard base64 (with '+', '/' and padding) are not the challenge.
    SoftAuthenticator::RegistrationOptions options;
    auto json = SoftAuthenticator::client_data_json("webauthn.create", kChallenge, "https://example.com");
    const auto encoded = fauth::base64url_encode(kChallenge);
    ASSERT_NE(encoded.find_first_of("-_"), std::string::npos);
    std::string standard = encoded;
    for (auto& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
    json.replace(json.find(encoded), encoded.size(), standard);
    options.client_data_json = json;
    expect_refused(register_with(authenticator, options), "challenge does not match");
}

TEST(WebAuthnRegistration, RefusesAnOriginNotListed) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    for (const char* origin : {"https://evil.example", "http://example.com", "https://example.com:443", "https://example.com/",
                               "https://EXAMPLE.com", ""}) {
        SoftAuthenticator::RegistrationOptions options;
        options.origin = origin;
        expect_refused(register_with(authenticator, options), "origin not allowed");
    }
}

TEST(WebAuthnRegistration, RefusesCrossOriginCeremoniesAndAcceptsWithoutTheMember) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.cross_origin = true;
    expect_refused(register_with(authenticator, options), "cross-origin ceremony refused");
    options.client_data_json = R"({"type":"webauthn.create","challenge":")" + fauth::base64url_encode(kChallenge) +
                               R"(","origin":"https://example.com","crossOrigin":"false"})";
    expect_refused(register_with(authenticator, options), "cross-origin ceremony refused");
    options.client_data_json.reset();
    options.cross_origin = std::nullopt;
    EXPECT_TRUE(register_with(authenticator, options).ok());
}

TEST(WebAuthnRegistration, RefusesMalformedClientData) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto good = SoftAuthenticator::client_data_json("webauthn.create", kChallenge, "https://example.com");
    SoftAuthenticator::RegistrationOptions options;
    for (const std::string& json : {std::string(), std::string("not json"), std::string("[1,2]"), good.substr(0, good.size() - 1),
                                    std::string(2000, '[') + std::string(2000, ']'), std::string("\"\xff\"")}) {
        options.client_data_json = json;
        const auto result = register_with(authenticator, options);
        expect_refused(result, json.empty() ? "clientDataJSON is empty or too large" : "clientDataJSON is not a JSON object");
    }
    // A repeated member could be read one way here and another way elsewhere.
    options.client_data_json = good.substr(0, good.size() - 1) + R"(,"type":"webauthn.create"})";
    expect_refused(register_with(authenticator, options), "clientDataJSON repeats a member");
    // Members a browser may add are ignored.
    options.client_data_json =
        good.substr(0, good.size() - 1) + R"(,"other_keys_can_be_added_here":"x","topOrigin":"https://a.example"})";
    EXPECT_TRUE(register_with(authenticator, options).ok());
}

TEST(WebAuthnRegistration, RefusesOversizeInputs) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto good = SoftAuthenticator::client_data_json("webauthn.create", kChallenge, "https://example.com");
    SoftAuthenticator::RegistrationOptions options;
    options.client_data_json =
        good.substr(0, good.size() - 1) + std::string(fauth::webauthn::kMaxClientDataJson - good.size(), ' ') + "}";
    ASSERT_EQ(options.client_data_json->size(), 4096u);
    EXPECT_TRUE(register_with(authenticator, options).ok());
    options.client_data_json = good.substr(0, good.size() - 1) + std::string(4097 - good.size(), ' ') + "}";
    expect_refused(register_with(authenticator, options), "clientDataJSON is empty or too large");

    const auto r = authenticator.register_credential(kChallenge);
    expect_refused(verify_registration(example_rp(), kChallenge, r.client_data_json, std::string(16385, '\xa0')),
                   "attestation object is empty or too large");
    expect_refused(verify_registration(example_rp(), kChallenge, r.client_data_json, ""),
                   "attestation object is empty or too large");
}

TEST(WebAuthnRegistration, RefusesAnotherRpId) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.rp_id = "evil.example";
    expect_refused(register_with(authenticator, options), "rpIdHash does not match the RP ID");
    options.rp_id = "login.example.com";
    expect_refused(register_with(authenticator, options), "rpIdHash does not match the RP ID");
}

TEST(WebAuthnRegistration, RequiresUserPresence) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.flags = SoftAuthenticator::kUV | SoftAuthenticator::kAT;
    expect_refused(register_with(authenticator, options), "user not present (UP flag clear)");
}

TEST(WebAuthnRegistration, RequiresUserVerificationOnlyWhenTheRelyingPartyDoes) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.flags = SoftAuthenticator::kUP | SoftAuthenticator::kAT;
    expect_refused(register_with(authenticator, options), "user not verified (UV flag clear)");
    auto rp = example_rp();
    rp.require_user_verification = false;
    const auto credential = register_with(authenticator, options, rp);
    ASSERT_TRUE(credential.ok()) << credential.failure().log;
    EXPECT_FALSE(credential->user_verified);
}

TEST(WebAuthnRegistration, RequiresAttestedCredentialData) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto data = SoftAuthenticator::authenticator_data("example.com", SoftAuthenticator::kUP | SoftAuthenticator::kUV, 0);
    const auto cdj = SoftAuthenticator::client_data_json("webauthn.create", kChallenge, "https://example.com");
    const auto object = cbor::map({{cbor::text("fmt"), cbor::text("none")},
                                   {cbor::text("attStmt"), cbor::map({})},
                                   {cbor::text("authData"), cbor::bytes(data)}});
    expect_refused(verify_registration(example_rp(), kChallenge, cdj, object),
                   "attested credential data missing (AT flag clear)");
}

TEST(WebAuthnRegistration, RefusesAnAlgorithmNotAllowed) {
    auto rp = example_rp();
    rp.algorithms = {CoseAlgorithm::es256};
    SoftAuthenticator eddsa(CoseAlgorithm::eddsa);
    expect_refused(register_with(eddsa, SoftAuthenticator::RegistrationOptions(), rp), "COSE algorithm not allowed");
    SoftAuthenticator es256(CoseAlgorithm::es256);
    EXPECT_TRUE(register_with(es256, SoftAuthenticator::RegistrationOptions(), rp).ok());
    // ES384 (-35) is no algorithm of this verifier.
    SoftAuthenticator::RegistrationOptions options;
    options.cose_key = es256.cose_key(-35);
    expect_refused(register_with(es256, options), "COSE algorithm not supported");
}

TEST(WebAuthnRegistration, RefusesAKeyThatDoesNotFitItsAlgorithm) {
    SoftAuthenticator es256(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.cose_key = es256.cose_key(-8);
    expect_refused(register_with(es256, options), "COSE key does not fit EdDSA (OKP public key on Ed25519)");
    options.cose_key = es256.cose_key(-257);
    expect_refused(register_with(es256, options), "COSE key does not fit RS256 (RSA public key)");
    SoftAuthenticator eddsa(CoseAlgorithm::eddsa);
    options.cose_key = eddsa.cose_key(-7);
    expect_refused(register_with(eddsa, options), "COSE key does not fit ES256 (EC2 public key on P-256)");
    // An EC2 key on P-384 (crv 2) labelled ES256.
    const auto [x, y] = es256.public_parameters();
    options.cose_key = cbor::map({{cbor::integer(1), cbor::integer(2)},
                                  {cbor::integer(3), cbor::integer(-7)},
                                  {cbor::integer(-1), cbor::integer(2)},
                                  {cbor::integer(-2), cbor::bytes(x)},
                                  {cbor::integer(-3), cbor::bytes(y)}});
    expect_refused(register_with(es256, options), "COSE key does not fit ES256 (EC2 public key on P-256)");
    // Coordinates of the wrong length, and a private key.
    options.cose_key = SoftAuthenticator::cose_ec2(x.substr(1), y);
    expect_refused(register_with(es256, options), "COSE key does not fit ES256 (EC2 public key on P-256)");
    options.cose_key = cbor::map({{cbor::integer(1), cbor::integer(2)},
                                  {cbor::integer(3), cbor::integer(-7)},
                                  {cbor::integer(-1), cbor::integer(1)},
                                  {cbor::integer(-2), cbor::bytes(x)},
                                  {cbor::integer(-3), cbor::bytes(y)},
                                  {cbor::integer(-4), cbor::bytes(std::string(32, '\x01'))}});
    expect_refused(register_with(es256, options), "COSE key does not fit ES256 (EC2 public key on P-256)");
    // A key without alg, and a key whose labels repeat.
    options.cose_key = cbor::map({{cbor::integer(1), cbor::integer(2)},
                                  {cbor::integer(-1), cbor::integer(1)},
                                  {cbor::integer(-2), cbor::bytes(x)},
                                  {cbor::integer(-3), cbor::bytes(y)}});
    expect_refused(register_with(es256, options), "COSE key lacks kty or alg");
    options.cose_key = cbor::map({{cbor::integer(1), cbor::integer(2)},
                                  {cbor::integer(3), cbor::integer(-7)},
                                  {cbor::integer(3), cbor::integer(-7)},
                                  {cbor::integer(-1), cbor::integer(1)},
                                  {cbor::integer(-2), cbor::bytes(x)},
                                  {cbor::integer(-3), cbor::bytes(y)}});
    expect_refused(register_with(es256, options), "credential public key is not a COSE key map");
}

TEST(WebAuthnRegistration, RefusesAnEcPointNotOnTheCurve) {
    SoftAuthenticator es256(CoseAlgorithm::es256);
    auto [x, y] = es256.public_parameters();
    y[31] = static_cast<char>(y[31] ^ 1);
    SoftAuthenticator::RegistrationOptions options;
    options.cose_key = SoftAuthenticator::cose_ec2(x, y);
    expect_refused(register_with(es256, options), "COSE key does not load: JWK does not describe a valid EC public key");
}

TEST(WebAuthnRegistration, RefusesShortRsaKeys) {
    SoftAuthenticator rsa(CoseAlgorithm::rs256, 1024);
    expect_refused(register_with(rsa), "COSE key does not load: RS256 needs an RSA key of at least 2048 bits");
}

TEST(WebAuthnRegistration, VerifiesPackedSelfAttestation) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.fmt = "packed";
    // Signed over another clientDataJSON than the one sent: the same challenge and origin.
    auto r = authenticator.register_credential(kChallenge, options);
    auto tampered = r.client_data_json;
    tampered.insert(tampered.size() - 1, " ");
    expect_refused(verify_registration(example_rp(), kChallenge, tampered, r.attestation_object),
                   "packed attestation signature does not verify");
    // A signature by another key.
    SoftAuthenticator other(CoseAlgorithm::es256);
    options.statement = cbor::map(
        {{cbor::text("alg"), cbor::integer(-7)},
         {cbor::text("sig"), cbor::bytes(other.sign(r.authenticator_data + fauth::test::soft_sha256(r.client_data_json)))}});
    expect_refused(register_with(authenticator, options), "packed attestation signature does not verify");
    options.statement = cbor::map({{cbor::text("alg"), cbor::integer(-7)}, {cbor::text("sig"), cbor::bytes("")}});
    expect_refused(register_with(authenticator, options), "packed attestation signature does not verify");
    options.statement = cbor::map({{cbor::text("alg"), cbor::integer(-7)}});
    expect_refused(register_with(authenticator, options), "packed attestation statement is malformed");
    options.statement.reset();
    options.attestation_alg = -257;
    expect_refused(register_with(authenticator, options), "packed attestation algorithm differs from the credential's");
}

TEST(WebAuthnRegistration, RefusesAttestationWithACertificateAndOtherFormats) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.fmt = "packed";
    options.x5c = true;
    expect_refused(register_with(authenticator, options), "attestation format not supported (packed with a certificate)");
    options.x5c = false;
    for (const char* fmt : {"fido-u2f", "tpm", "android-key", "android-safetynet", "apple", ""}) {
        options.fmt = fmt;
        expect_refused(register_with(authenticator, options), "attestation format not supported");
    }
    options.fmt = "none";
    options.statement = cbor::map({{cbor::text("alg"), cbor::integer(-7)}});
    expect_refused(register_with(authenticator, options), "attestation \"none\" with a statement");
}

TEST(WebAuthnRegistration, RefusesTruncatedOrTrailingAuthenticatorData) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto cdj = SoftAuthenticator::client_data_json("webauthn.create", kChallenge, "https://example.com");
    const auto r = authenticator.register_credential(kChallenge);
    const auto with = [&](const std::string& data) {
        return verify_registration(example_rp(), kChallenge, cdj,
                                   cbor::map({{cbor::text("fmt"), cbor::text("none")},
                                              {cbor::text("attStmt"), cbor::map({})},
                                              {cbor::text("authData"), cbor::bytes(data)}}));
    };
    ASSERT_TRUE(with(r.authenticator_data).ok());
    expect_refused(with(r.authenticator_data.substr(0, 36)), "authenticator data is truncated or too large");
    expect_refused(with(r.authenticator_data.substr(0, 37)), "authenticator data is truncated");
    expect_refused(with(r.authenticator_data.substr(0, 37 + 17)), "authenticator data is truncated");
    expect_refused(with(r.authenticator_data.substr(0, 37 + 18 + 15)), "authenticator data is truncated");
    expect_refused(with(r.authenticator_data.substr(0, r.authenticator_data.size() - 1)),
                   "credential public key is not well-formed CBOR");
    expect_refused(with(r.authenticator_data + std::string(1, '\0')), "authenticator data has trailing bytes");
    SoftAuthenticator::RegistrationOptions options;
    options.trailing = "\xa0";  // an empty map, but the ED flag is clear
    expect_refused(register_with(authenticator, options), "authenticator data has trailing bytes");
}

TEST(WebAuthnRegistration, BoundsTheCredentialId) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    authenticator.set_credential_id(std::string(1023, '\x42'));
    const auto credential = register_with(authenticator);
    ASSERT_TRUE(credential.ok()) << credential.failure().log;
    EXPECT_EQ(credential->id, std::string(1023, '\x42'));
    authenticator.set_credential_id(std::string(1024, '\x42'));
    expect_refused(register_with(authenticator), "credential id is empty or longer than 1023 bytes");
    authenticator.set_credential_id("");
    expect_refused(register_with(authenticator), "credential id is empty or longer than 1023 bytes");
}

TEST(WebAuthnRegistration, ParsesPastExtensions) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    SoftAuthenticator::RegistrationOptions options;
    options.extensions = cbor::map({{cbor::text("credProtect"), cbor::integer(2)}, {cbor::text("hmac-secret"), "\xf5"}});
    options.fmt = "packed";
    EXPECT_TRUE(register_with(authenticator, options).ok());
    options.extensions = cbor::integer(2);
    expect_refused(register_with(authenticator, options), "extension data is not a well-formed CBOR map");
    options.extensions = cbor::map({{cbor::text("credProtect"), cbor::integer(2)}}) + "\x01";
    expect_refused(register_with(authenticator, options), "authenticator data has trailing bytes");
    options.extensions.clear();
    options.flags = SoftAuthenticator::kUP | SoftAuthenticator::kUV | SoftAuthenticator::kAT | SoftAuthenticator::kED;
    expect_refused(register_with(authenticator, options), "extension data is not a well-formed CBOR map");
}

TEST(WebAuthnRegistration, RefusesMalformedCbor) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto r = authenticator.register_credential(kChallenge);
    const auto with = [&](const std::string& object) {
        return verify_registration(example_rp(), kChallenge, r.client_data_json, object);
    };
    ASSERT_TRUE(with(r.attestation_object).ok());
    expect_refused(with(r.attestation_object.substr(0, r.attestation_object.size() - 1)),
                   "attestation object is not well-formed CBOR");
    expect_refused(with(r.attestation_object + std::string(1, '\0')), "attestation object is not well-formed CBOR");
    // Deep nesting, in the object and inside the statement (the limit is 8 containers).
    expect_refused(with(std::string(10000, '\x81') + "\x00"), "attestation object is not well-formed CBOR");
    std::string deep = cbor::integer(0);
    for (int i = 0; i < 6; ++i) deep = cbor::array({deep});
    const auto object_with_statement = [&](const std::string& statement) {
        return cbor::map({{cbor::text("fmt"), cbor::text("none")},
                          {cbor::text("attStmt"), statement},
                          {cbor::text("authData"), cbor::bytes(r.authenticator_data)}});
    };
    expect_refused(with(object_with_statement(cbor::map({{cbor::text("x"), deep}}))), "attestation \"none\" with a statement");
    expect_refused(with(object_with_statement(cbor::map({{cbor::text("x"), cbor::array({deep})}}))),
                   "attestation object is not well-formed CBOR");
    // Indefinite lengths, tags, lengths past the end, a huge declared map.
    expect_refused(with("\xbf\x63"
                        "fmt\x64none\xff"),
                   "attestation object is not well-formed CBOR");
    expect_refused(with("\xc0" + r.attestation_object), "attestation object is not well-formed CBOR");
    expect_refused(with("\x5a\xff\xff\xff\xff"), "attestation object is not well-formed CBOR");
    expect_refused(with("\xbb\x7f\xff\xff\xff\xff\xff\xff\xff"), "attestation object is not well-formed CBOR");
    // Well-formed but not the object: a number, an array, a map without the members, members of the wrong types.
    expect_refused(with(cbor::integer(1)), "attestation object is not a CBOR map");
    expect_refused(with(cbor::array({r.attestation_object})), "attestation object is not a CBOR map");
    expect_refused(with(cbor::map({{cbor::text("fmt"), cbor::text("none")}})),
                   "attestation object lacks fmt, attStmt or authData");
    expect_refused(with(cbor::map({{cbor::text("fmt"), cbor::bytes("none")},
                                   {cbor::text("attStmt"), cbor::map({})},
                                   {cbor::text("authData"), cbor::bytes(r.authenticator_data)}})),
                   "attestation object lacks fmt, attStmt or authData");
    expect_refused(with(cbor::map({{cbor::text("fmt"), cbor::text("none")},
                                   {cbor::text("attStmt"), cbor::map({})},
                                   {cbor::text("authData"), cbor::text("authenticator data")}})),
                   "attestation object lacks fmt, attStmt or authData");
    // libcbor refuses text that is not UTF-8.
    expect_refused(with(cbor::map({{cbor::text("fmt"), cbor::text("\xff")},
                                   {cbor::text("attStmt"), cbor::map({})},
                                   {cbor::text("authData"), cbor::bytes(r.authenticator_data)}})),
                   "attestation object is not well-formed CBOR");
    expect_refused(with(cbor::map({{cbor::text("fmt"), cbor::text("none")},
                                   {cbor::text("fmt"), cbor::text("none")},
                                   {cbor::text("attStmt"), cbor::map({})},
                                   {cbor::text("authData"), cbor::bytes(r.authenticator_data)}})),
                   "attestation object is not a CBOR map");
    // Random bytes: always refused, never a crash.
    std::mt19937 random(20261203);
    for (int i = 0; i < 2000; ++i) {
        std::string bytes(1 + random() % 200, '\0');
        for (auto& b : bytes) b = static_cast<char>(random());
        if (i % 2 == 0) bytes[0] = '\xa3';  // a three-member map, to get further
        const auto result = with(bytes);
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.failure().kind, ErrorKind::invalid_credentials);
        EXPECT_EQ(result.failure().log.rfind("webauthn: attestation object ", 0), 0u) << result.failure().log;
    }
    // Every truncation of a valid object, and every single-bit flip: refused or, where the bit is
    // one no check covers (the AAGUID), still the same credential; never anything else.
    for (std::size_t size = 0; size < r.attestation_object.size(); ++size)
        ASSERT_FALSE(with(r.attestation_object.substr(0, size)).ok()) << size;
    for (std::size_t i = 0; i < r.attestation_object.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            auto flipped = r.attestation_object;
            flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
            const auto result = with(flipped);
            if (result.ok()) {
                EXPECT_EQ(result->public_key, authenticator.cose_key()) << i << ' ' << bit;
            }
        }
}

TEST(WebAuthnAssertion, RefusesClientDataOfAnotherCeremonyChallengeOrOrigin) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto stored = registered(authenticator);
    SoftAuthenticator::AssertionOptions options;
    options.type = "webauthn.create";
    expect_refused(assert_with(authenticator.assert_credential(kChallenge, options), stored),
                   "clientDataJSON type is not webauthn.get");
    const auto a = authenticator.assert_credential(kChallenge);
    expect_refused(verify_assertion(example_rp(), "another challenge", stored, a.client_data_json, a.authenticator_data,
                                    a.signature),
                   "challenge does not match");
    options = {};
    options.origin = "https://evil.example";
    expect_refused(assert_with(authenticator.assert_credential(kChallenge, options), stored), "origin not allowed");
    options = {};
    options.cross_origin = true;
    expect_refused(assert_with(authenticator.assert_credential(kChallenge, options), stored), "cross-origin ceremony refused");
}

TEST(WebAuthnAssertion, RefusesClientDataChangedAfterSigning) {
    SoftAuthenticator authenticator(CoseAlgorithm::eddsa);
    const auto stored = registered(authenticator);
    auto a = authenticator.assert_credential(kChallenge);
    a.client_data_json.insert(a.client_data_json.size() - 1, R"(,"x":1)");
    expect_refused(assert_with(a, stored), "assertion signature does not verify");
}

TEST(WebAuthnAssertion, RefusesAnotherRpIdAndMissingPresence) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto stored = registered(authenticator);
    SoftAuthenticator::AssertionOptions options;
    options.rp_id = "evil.example";
    expect_refused(assert_with(authenticator.assert_credential(kChallenge, options), stored),
                   "rpIdHash does not match the RP ID");
    options = {};
    options.flags = SoftAuthenticator::kUV;
    expect_refused(assert_with(authenticator.assert_credential(kChallenge, options), stored), "user not present (UP flag clear)");
}

TEST(WebAuthnAssertion, RequiresUserVerificationOnlyWhenTheRelyingPartyDoes) {
    SoftAuthenticator authenticator(CoseAlgorithm::rs256);
    const auto stored = registered(authenticator);
    SoftAuthenticator::AssertionOptions options;
    options.flags = SoftAuthenticator::kUP;
    options.sign_count = 1;
    const auto a = authenticator.assert_credential(kChallenge, options);
    expect_refused(assert_with(a, stored), "user not verified (UV flag clear)");
    auto rp = example_rp();
    rp.require_user_verification = false;
    const auto accepted = assert_with(a, stored, rp);
    ASSERT_TRUE(accepted.ok()) << accepted.failure().log;
    EXPECT_FALSE(accepted->user_verified);
    EXPECT_EQ(accepted->sign_count, 1u);
}

TEST(WebAuthnAssertion, ReadsTheBackupState) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto stored = registered(authenticator);
    SoftAuthenticator::AssertionOptions options;
    options.flags = SoftAuthenticator::kUP | SoftAuthenticator::kUV | SoftAuthenticator::kBE | SoftAuthenticator::kBS;
    const auto a = assert_with(authenticator.assert_credential(kChallenge, options), stored);
    ASSERT_TRUE(a.ok()) << a.failure().log;
    EXPECT_TRUE(a->backed_up);
    options.flags = SoftAuthenticator::kUP | SoftAuthenticator::kUV | SoftAuthenticator::kBS;
    expect_refused(assert_with(authenticator.assert_credential(kChallenge, options), stored),
                   "backed up (BS) without being backup eligible (BE)");
}

TEST(WebAuthnAssertion, RefusesBadSignatures) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto stored = registered(authenticator);
    auto a = authenticator.assert_credential(kChallenge);
    auto flipped = a;
    flipped.signature[flipped.signature.size() - 1] = static_cast<char>(flipped.signature.back() ^ 1);
    expect_refused(assert_with(flipped, stored), "assertion signature does not verify");
    auto empty = a;
    empty.signature.clear();
    expect_refused(assert_with(empty, stored), "assertion signature does not verify");
    // DER with trailing bytes, and the JOSE form (r||s) that WebAuthn does not use.
    auto trailing = a;
    trailing.signature += '\0';
    expect_refused(assert_with(trailing, stored), "assertion signature does not verify");
    const auto* p = reinterpret_cast<const unsigned char*>(a.signature.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(a.signature.size()));
    ASSERT_NE(sig, nullptr);
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    auto jose = a;
    jose.signature = raw;
    expect_refused(assert_with(jose, stored), "assertion signature does not verify");
    EXPECT_TRUE(assert_with(a, stored).ok());
}

TEST(WebAuthnAssertion, RefusesTruncatedTrailingOrAttestedAuthenticatorData) {
    SoftAuthenticator authenticator(CoseAlgorithm::eddsa);
    const auto stored = registered(authenticator);
    auto a = authenticator.assert_credential(kChallenge);
    auto sign = [&](SoftAuthenticator::AssertionResponse& r) {
        r.signature = authenticator.sign(r.authenticator_data + fauth::test::soft_sha256(r.client_data_json));
    };
    auto shortened = a;
    shortened.authenticator_data.pop_back();
    sign(shortened);
    expect_refused(assert_with(shortened, stored), "authenticator data is truncated or too large");
    SoftAuthenticator::AssertionOptions options;
    options.trailing = std::string("\x00", 1);
    expect_refused(assert_with(authenticator.assert_credential(kChallenge, options), stored),
                   "authenticator data has trailing bytes");
    options = {};
    options.flags = SoftAuthenticator::kUP | SoftAuthenticator::kUV | SoftAuthenticator::kAT;
    expect_refused(assert_with(authenticator.assert_credential(kChallenge, options), stored),
                   "attested credential data in an assertion (AT flag set)");
    auto oversize = a;
    oversize.authenticator_data += std::string(16384, '\0');
    sign(oversize);
    expect_refused(assert_with(oversize, stored), "authenticator data is truncated or too large");
    options = {};
    options.extensions = cbor::map({{cbor::text("credBlob"), cbor::bytes("blob")}});
    const auto with_extensions = assert_with(authenticator.assert_credential(kChallenge, options), stored);
    EXPECT_TRUE(with_extensions.ok()) << with_extensions.failure().log;
}

TEST(WebAuthnAssertion, RequiresTheCounterToIncreaseUnlessBothAreZero) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    auto stored = registered(authenticator);
    const auto with_count = [&](std::uint32_t stored_count, std::uint32_t count) {
        stored.sign_count = stored_count;
        SoftAuthenticator::AssertionOptions options;
        options.sign_count = count;
        return assert_with(authenticator.assert_credential(kChallenge, options), stored);
    };
    const std::string cloned = "signature counter did not increase: cloned authenticator?";
    expect_refused(with_count(5, 5), cloned);
    expect_refused(with_count(5, 4), cloned);
    expect_refused(with_count(5, 0), cloned);
    expect_refused(with_count(0xffffffff, 0xffffffff), cloned);
    const auto zero = with_count(0, 0);
    ASSERT_TRUE(zero.ok()) << zero.failure().log;
    EXPECT_EQ(zero->sign_count, 0u);
    const auto up = with_count(5, 6);
    ASSERT_TRUE(up.ok()) << up.failure().log;
    EXPECT_EQ(up->sign_count, 6u);
    EXPECT_TRUE(with_count(0, 1).ok());
    EXPECT_TRUE(with_count(0xfffffffe, 0xffffffff).ok());
}

TEST(WebAuthnAssertion, RefusesAStoredCredentialOfAnotherOrADisallowedAlgorithm) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    auto stored = registered(authenticator);
    const auto a = authenticator.assert_credential(kChallenge);
    auto rp = example_rp();
    rp.algorithms = {CoseAlgorithm::eddsa};
    expect_refused(assert_with(a, stored, rp), "COSE algorithm not allowed");
    stored.algorithm = CoseAlgorithm::rs256;
    expect_refused(assert_with(a, stored), "stored credential's algorithm differs from its key's");
    stored.algorithm = CoseAlgorithm::es256;
    stored.public_key = "\xa0";
    expect_refused(assert_with(a, stored), "COSE key lacks kty or alg");
}

TEST(WebAuthnAssertion, RefusesMalformedClientDataAndOversizeInputs) {
    SoftAuthenticator authenticator(CoseAlgorithm::es256);
    const auto stored = registered(authenticator);
    const auto a = authenticator.assert_credential(kChallenge);
    expect_refused(verify_assertion(example_rp(), kChallenge, stored, "{", a.authenticator_data, a.signature),
                   "clientDataJSON is not a JSON object");
    expect_refused(verify_assertion(example_rp(), kChallenge, stored, std::string(4097, ' '), a.authenticator_data, a.signature),
                   "clientDataJSON is empty or too large");
    expect_refused(verify_assertion(example_rp(), kChallenge, stored, a.client_data_json, a.authenticator_data,
                                    std::string(4096, 'x')),
                   "assertion signature does not verify");
}

TEST(SoftAuthenticatorJson, WritesWhatAPagePosts) {
    SoftAuthenticator authenticator(CoseAlgorithm::eddsa);
    const auto r = authenticator.register_credential(kChallenge);
    const auto json = authenticator.registration_json(r);
    std::string decoded;
    EXPECT_EQ(json["id"], fauth::base64url_encode(authenticator.credential_id()));
    EXPECT_EQ(json["rawId"], json["id"]);
    EXPECT_EQ(json["type"], "public-key");
    ASSERT_TRUE(fauth::base64url_decode(json["response"]["clientDataJSON"].get<std::string>(), decoded));
    EXPECT_EQ(decoded, r.client_data_json);
    ASSERT_TRUE(fauth::base64url_decode(json["response"]["attestationObject"].get<std::string>(), decoded));
    EXPECT_EQ(decoded, r.attestation_object);
    const auto stored = registered(authenticator);
    const auto a = authenticator.assert_credential(kChallenge);
    const auto assertion = authenticator.assertion_json(a, "user-7");
    EXPECT_EQ(assertion["id"], json["id"]);
    ASSERT_TRUE(fauth::base64url_decode(assertion["response"]["userHandle"].get<std::string>(), decoded));
    EXPECT_EQ(decoded, "user-7");
    std::string client_data, authenticator_data, signature;
    ASSERT_TRUE(fauth::base64url_decode(assertion["response"]["clientDataJSON"].get<std::string>(), client_data));
    ASSERT_TRUE(fauth::base64url_decode(assertion["response"]["authenticatorData"].get<std::string>(), authenticator_data));
    ASSERT_TRUE(fauth::base64url_decode(assertion["response"]["signature"].get<std::string>(), signature));
    EXPECT_TRUE(verify_assertion(example_rp(), kChallenge, stored, client_data, authenticator_data, signature).ok());
    EXPECT_FALSE(authenticator.assertion_json(a).at("response").contains("userHandle"));
}

// Published responses from real browsers and authenticators: the test data of duo-labs/py_webauthn
// (tests/test_verify_registration_response.py, tests/test_verify_authentication_response.py),
// checked here by an implementation that shares nothing with theirs.
std::string from_base64url(std::string_view text) {
    std::string out;
    EXPECT_TRUE(fauth::base64url_decode(text, out)) << text;
    return out;
}

RelyingParty localhost_rp() { return RelyingParty{"localhost", {"https://foo.bar", "http://localhost:5000"}}; }

TEST(WebAuthnVectors, AcceptsPyWebauthnsNoneAttestation) {
    const auto challenge =
        from_base64url("TwN7n4WTyGKLc4ZY-qGsFqKnHM4nglqsyV0ICJlN2TO9XiRyFtrkaDwUvsql-gkLJXP6fnF1MlrZ53Mm4R7Cvw");
    const auto client_data = from_base64url(
        "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiVHdON240V1R5R0tMYzRaWS1xR3NGcUtuSE00bmdscXN5VjBJQ0psTjJUTzlYaVJ5RnRy"
        "a2FEd1"
        "V2c3FsLWdrTEpYUDZmbkYxTWxyWjUzTW00UjdDdnciLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9");
    const auto object = from_base64url(
        "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjESZYN5YgOjGh0NBcPZHZgW4_"
        "krrmihjLHmVzzuoMdl2NFAAAAFwAAAAAAAAAAAAAAAAAAAAAAQPctcQPE5oNRRJk_"
        "nO_371mf7qE7qIodzr0eOf6ACvnMB1oQG165dqutoi1U44shGezu5_gkTjmOPeJO0N8a7P-lAQIDJiABIVggSFbUJF-42Ug3pdM8rDRFu_"
        "N5oiVEysPDB6n66r_"
        "7dZAiWCDUVnB39FlGypL-qAoIO9xWHtJygo2jfDmHl-_eKFRLDA");
    const auto credential = verify_registration(localhost_rp(), challenge, client_data, object);
    ASSERT_TRUE(credential.ok()) << credential.failure().log;
    EXPECT_EQ(credential->id,
              from_base64url("9y1xA8Tmg1FEmT-c7_fvWZ_uoTuoih3OvR45_oAK-cwHWhAbXrl2q62iLVTjiyEZ7O7n-CROOY494k7Q3xrs_w"));
    EXPECT_EQ(credential->public_key, from_base64url("pQECAyYgASFYIEhW1CRfuNlIN6XTPKw0RbvzeaIlRMrDwwep-uq_-3WQIlgg1FZwd_"
                                                     "RZRsqS_qgKCDvcVh7ScoKNo3w5h5fv3ihUSww"));
    EXPECT_EQ(credential->algorithm, CoseAlgorithm::es256);
    EXPECT_EQ(credential->sign_count, 23u);
    EXPECT_TRUE(credential->user_verified);
    EXPECT_EQ(credential->aaguid, std::string(16, '\0'));
    EXPECT_EQ(credential->attestation, "none");
    expect_refused(verify_registration(localhost_rp(), challenge.substr(1), client_data, object), "challenge does not match");
    expect_refused(verify_registration(RelyingParty{"localhost", {"http://localhost"}}, challenge, client_data, object),
                   "origin not allowed");
    expect_refused(verify_registration(RelyingParty{"example.com", {"http://localhost:5000"}}, challenge, client_data, object),
                   "rpIdHash does not match the RP ID");
}

TEST(WebAuthnVectors, RefusesPyWebauthnsYubicoPackedAttestationWithACertificate) {
    const auto challenge =
        from_base64url("8LBCiOY3q1cBZHFAWtS4AZZChzGphy67lK7I70zKi4yC7pgrQ2Pch7nAjLk1wq9greshIAsW2AjibhXjjI0TmQ");
    const auto client_data = from_base64url(
        "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiOExCQ2lPWTNxMWNCWkhGQVd0UzRBWlpDaHpHcGh5NjdsSzdJNzB6S2k0eUM3cGdyUTJQ"
        "Y2g3bk"
        "FqTGsxd3E5Z3Jlc2hJQXNXMkFqaWJoWGpqSTBUbVEiLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9");
    const auto object = from_base64url(
        "o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIhAOfrFlQpbavT6dJeTDJSCDzYSYPjBDHli2-syT2c1IiKAiAx5gQ2z5cHjdQX-"
        "jEHTb7JcjfQoVSW8fXszF5ihSgeOGN4NWOBWQLBMIICvTCCAaWgAwIBAgIEKudiYzANBgkqhkiG9w0BAQsFADAuMSwwKgYDVQQDEyNZdWJpY28gVTJGIFJvb"
        "3QgQ0Eg"
        "U2VyaWFsIDQ1NzIwMDYzMTAgFw0xNDA4MDEwMDAwMDBaGA8yMDUwMDkwNDAwMDAwMFowbjELMAkGA1UEBhMCU0UxEjAQBgNVBAoMCVl1YmljbyBBQjEiMCAG"
        "A1UECw"
        "wZQXV0aGVudGljYXRvciBBdHRlc3RhdGlvbjEnMCUGA1UEAwweWXViaWNvIFUyRiBFRSBTZXJpYWwgNzE5ODA3MDc1MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQ"
        "cDQgAE"
        "KgOGXmBD2Z4R_xCqJVRXhL8Jr45rHjsyFykhb1USGozZENOZ3cdovf5Ke8fj2rxi5tJGn_VnW4_"
        "6iQzKdIaeP6NsMGowIgYJKwYBBAGCxAoCBBUxLjMuNi4xLjQuMS40"
        "MTQ4Mi4xLjEwEwYLKwYBBAGC5RwCAQEEBAMCBDAwIQYLKwYBBAGC5RwBAQQEEgQQbUS6m_"
        "bsLkm5MAyP6SDLczAMBgNVHRMBAf8EAjAAMA0GCSqGSIb3DQEBCwUAA4IB"
        "AQByV9A83MPhFWmEkNb4DvlbUwcjc9nmRzJjKxHc3HeK7GvVkm0H4XucVDB4jeMvTke0WHb_jFUiApvpOHh5VyMx5ydwFoKKcRs5x0_"
        "WwSWL0eTZ5WbVcHkDR9pSNcA_"
        "D_"
        "5AsUKOBcbpF5nkdVRxaQHuuIuwV4k1iK2IqtMNcU8vL6w21U261xCcWwJ6sMq4zzVO8QCKCQhsoIaWrwz828GDmPzfAjFsJiLJXuYivdHACkeJ5KHMt0mjVL"
        "pfJ2BC"
        "ML7_rgbmvwL7wBW80VHfNdcKmKjkLcpEiPzwcQQhiN_qHV90t-p4iyr5xRSpurlP5zic2hlRkLKxMH2_"
        "kRjhqSn4aGF1dGhEYXRhWMRJlg3liA6MaHQ0Fw9kdmBbj-"
        "SuuaKGMseZXPO6gx2XY0UAAAA0bUS6m_bsLkm5MAyP6SDLcwBAsyGQPDZRUYdb4m3rdWeyPaIMYlbmydGp1TP_33vE_"
        "lqJ3PHNyTd0iKsnKr5WjnCcBzcesZrDEfB_"
        "RBLFzU3k46UBAgMmIAEhWCBAX_i3O3DvBnkGq_uLNk_PeAX5WwO_MIxBp0mhX6Lw7yJYIOW-1-Fch829McWvRUYAHTWZTx5IycKSGECL1UzUaK_8");
    expect_refused(verify_registration(localhost_rp(), challenge, client_data, object),
                   "attestation format not supported (packed with a certificate)");
}

TEST(WebAuthnVectors, AcceptsPyWebauthnsEs256Assertion) {
    Credential stored;
    stored.public_key =
        from_base64url("pQECAyYgASFYIIeDTe-gN8A-zQclHoRnGFWN8ehM1b7yAsa8I8KIvmplIlgg4nFGT5px8o6gpPZZhO01wdy9crDSA_Ngtkx0vGpvPHI");
    stored.algorithm = CoseAlgorithm::es256;
    stored.sign_count = 77;
    const auto challenge =
        from_base64url("xi30GPGAFYRxVDpY1sM10DaLzVQG66nv-_7RUazH0vI2YvG8LYgDEnvN5fZZNVuvEDuMi9te3VLqb42N0fkLGA");
    // Written by an older browser: the challenge first, and two members browsers no longer send.
    const auto client_data = from_base64url(
        "eyJjaGFsbGVuZ2UiOiJ4aTMwR1BHQUZZUnhWRHBZMXNNMTBEYUx6VlFHNjZudi1fN1JVYXpIMHZJMll2RzhMWWdERW52TjVmWlpOVnV2RUR1TWk5dGUzVkxx"
        "YjQyTj"
        "Bma0xHQSIsImNsaWVudEV4dGVuc2lvbnMiOnt9LCJoYXNoQWxnb3JpdGhtIjoiU0hBLTI1NiIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NTAwMCIsIn"
        "R5cGUi"
        "OiJ3ZWJhdXRobi5nZXQifQ");
    const auto authenticator_data = from_base64url("SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAATg");
    const auto signature =
        from_base64url("MEUCIGisVZOBapCWbnJJvjelIzwpixxIwkjCCb5aCHafQu68AiEA88v-2pJNNApPFwAKFiNuf82-2hBxYW5kGwVweeoxCwo");
    auto rp = localhost_rp();
    // This security key verified no user (flags 0x01): refused unless the relying party allows it.
    expect_refused(verify_assertion(rp, challenge, stored, client_data, authenticator_data, signature),
                   "user not verified (UV flag clear)");
    rp.require_user_verification = false;
    const auto assertion = verify_assertion(rp, challenge, stored, client_data, authenticator_data, signature);
    ASSERT_TRUE(assertion.ok()) << assertion.failure().log;
    EXPECT_EQ(assertion->sign_count, 78u);
    EXPECT_FALSE(assertion->user_verified);
    EXPECT_FALSE(assertion->backed_up);
    stored.sign_count = 78;
    expect_refused(verify_assertion(rp, challenge, stored, client_data, authenticator_data, signature),
                   "signature counter did not increase: cloned authenticator?");
    stored.sign_count = 77;
    auto forged = signature;
    forged[10] = static_cast<char>(forged[10] ^ 0x40);
    expect_refused(verify_assertion(rp, challenge, stored, client_data, authenticator_data, forged),
                   "assertion signature does not verify");
}

}  // namespace
