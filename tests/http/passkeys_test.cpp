// Passkeys over real HTTP with a software authenticator: registration by a signed-in user, a
// sign-in without a user name that counts as two factors, and the refusals: tampered client
// data, a wrong origin or rpId, a replayed or foreign challenge, a counter going backwards.
#include "fauth/http/passkeys.hpp"

#include <gtest/gtest.h>

#include <fauth/core/base64url.hpp>

#include "support/http_client.hpp"
#include "support/soft_authenticator.hpp"
#include "support/test_app.hpp"

using fauth::test::get;
using fauth::test::request;
using fauth::test::SoftAuthenticator;
using fauth::test::TestApp;
using fauth::webauthn::CoseAlgorithm;

namespace {

const std::string kJson = "Content-Type: application/json";

fauth::AuthConfig config_with_passkeys() {
    auto c = TestApp::default_config();
    c.passkeys.store = std::make_shared<fauth::MemoryPasskeyStore>();
    c.passkeys.relying_party = {.id = "example.com", .origins = {"https://example.com"}};
    c.passkeys.name = "Example";
    return c;
}

fauth::test::HttpResponse post(TestApp& app, const std::string& path, const nlohmann::json& body, const std::string& token = {}) {
    std::vector<std::string> headers{kJson};
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return request(app.port(), "POST", path, headers, body.dump());
}

std::string password_token(TestApp& app) {
    return request(app.port(), "POST", "/login", {kJson}, R"({"username":"alice","password":"s3cret"})")
        .json()["access_token"]
        .get<std::string>();
}

std::string decoded(const nlohmann::json& text) {
    std::string raw;
    EXPECT_TRUE(fauth::base64url_decode(text.get<std::string>(), raw)) << text;
    return raw;
}

// Registers `key` for alice (a fresh password session): the registration answer.
fauth::test::HttpResponse register_key(TestApp& app, const SoftAuthenticator& key, const std::string& token,
                                       SoftAuthenticator::RegistrationOptions options = {}) {
    const auto start = post(app, "/auth/passkeys/register/options", nlohmann::json::object(), token);
    EXPECT_EQ(start.status, 200) << start.body;
    const auto challenge = decoded(start.json()["challenge"]);
    return post(app, "/auth/passkeys/register",
                {{"name", "laptop"}, {"credential", key.registration_json(key.register_credential(challenge, options))}}, token);
}

std::string sign_in_challenge(TestApp& app) {
    const auto options = post(app, "/auth/passkeys/login/options", nlohmann::json::object());
    EXPECT_EQ(options.status, 200) << options.body;
    EXPECT_EQ(options.json()["rpId"], "example.com");
    EXPECT_EQ(options.json()["userVerification"], "required");
    return decoded(options.json()["challenge"]);
}

}  // namespace

TEST(Passkeys, RegisterThenSignInWithoutAUserNameAsTwoFactors) {
    TestApp app(2, config_with_passkeys());
    const auto token = password_token(app);
    const auto options = post(app, "/auth/passkeys/register/options", nlohmann::json::object(), token);
    ASSERT_EQ(options.status, 200) << options.body;
    const auto o = options.json();
    EXPECT_EQ(o["rp"], (nlohmann::json{{"id", "example.com"}, {"name", "Example"}}));
    EXPECT_EQ(o["user"]["name"], "alice");
    EXPECT_EQ(decoded(o["user"]["id"]).size(), 32u) << "a keyed digest, not the user's id";
    EXPECT_EQ(o["authenticatorSelection"]["residentKey"], "required");
    EXPECT_EQ(o["authenticatorSelection"]["userVerification"], "required");
    EXPECT_EQ(o["pubKeyCredParams"].size(), 3u);
    EXPECT_TRUE(o["excludeCredentials"].empty());

    SoftAuthenticator key(CoseAlgorithm::es256);
    const auto challenge = decoded(o["challenge"]);
    const auto registration = key.register_credential(challenge);
    const auto registered =
        post(app, "/auth/passkeys/register", {{"name", "laptop"}, {"credential", key.registration_json(registration)}}, token);
    ASSERT_EQ(registered.status, 201) << registered.body;
    EXPECT_EQ(registered.json()["id"], fauth::base64url_encode(key.credential_id()));
    EXPECT_EQ(registered.json()["name"], "laptop");
    EXPECT_EQ(get(app.port(), "/auth/passkeys", token).json().size(), 1u);
    // Alice has a second factor now: a session of her password alone adds no more.
    const auto weaker = post(app, "/auth/passkeys/register/options", nlohmann::json::object(), token);
    EXPECT_EQ(weaker.status, 401);
    EXPECT_EQ(weaker.header("WWW-Authenticate"), R"(Bearer error="insufficient_user_authentication", acr_values="aal2")");

    // A sign-in: no user name; the user handle the authenticator keeps is the one it was given.
    const auto handle = decoded(o["user"]["id"]);
    const auto sign_in = sign_in_challenge(app);
    const auto assertion = key.assert_credential(sign_in);
    const auto signed_in = post(app, "/auth/passkeys/login", key.assertion_json(assertion, handle));
    ASSERT_EQ(signed_in.status, 200) << signed_in.body;
    const auto access = app.auth().verify(signed_in.json()["access_token"].get<std::string>());
    EXPECT_EQ(access.sub, "user-123");
    EXPECT_EQ(access.acr, "aal2");
    EXPECT_EQ(access.amr, (fauth::AuthMethods{fauth::AuthMethod::hwk, fauth::AuthMethod::mfa, fauth::AuthMethod::user}));
    EXPECT_TRUE(access.fresh);
    const auto successes = app.events(fauth::SecurityEventType::login_success);
    ASSERT_FALSE(successes.empty());
    EXPECT_EQ(successes.back().reason, "passkey");
    EXPECT_EQ(successes.back().subject, "user-123");
    const auto listed = get(app.port(), "/auth/passkeys", token).json();
    EXPECT_FALSE(listed[0]["last_used_at"].is_null());
    // The passkey's session may: the first registration's response again is refused (its
    // challenge is used up), and the passkey is excluded from the next registration's options.
    const auto aal2 = signed_in.json()["access_token"].get<std::string>();
    const auto again =
        post(app, "/auth/passkeys/register", {{"name", "laptop"}, {"credential", key.registration_json(registration)}}, aal2);
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(again.json()["detail"], "Invalid passkey");
    EXPECT_EQ(post(app, "/auth/passkeys/register/options", nlohmann::json::object(), aal2).json()["excludeCredentials"][0]["id"],
              fauth::base64url_encode(key.credential_id()));

    // The same assertion again: its counter did not grow. A new assertion for the same challenge:
    // the challenge is used up.
    EXPECT_EQ(post(app, "/auth/passkeys/login", key.assertion_json(assertion, handle)).status, 401);
    EXPECT_EQ(app.events(fauth::SecurityEventType::login_failure).back().reason,
              "webauthn: signature counter did not increase: cloned authenticator?");
    const auto replayed = post(app, "/auth/passkeys/login", key.assertion_json(key.assert_credential(sign_in), handle));
    EXPECT_EQ(replayed.status, 401);
    EXPECT_EQ(app.events(fauth::SecurityEventType::login_failure).back().reason, "passkey: challenge already answered");
}

TEST(Passkeys, SignInRefusesTamperedDataWrongOriginsAndCountersThatGoBack) {
    TestApp app(2, config_with_passkeys());
    SoftAuthenticator key(CoseAlgorithm::eddsa);
    ASSERT_EQ(register_key(app, key, password_token(app)).status, 201);
    const auto refusal = [&app] { return app.events(fauth::SecurityEventType::login_failure).back().reason; };

    // Client data changed after signing.
    auto tampered = key.assert_credential(sign_in_challenge(app));
    tampered.client_data_json.insert(tampered.client_data_json.size() - 1, R"(,"x":1)");
    auto r = post(app, "/auth/passkeys/login", key.assertion_json(tampered));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json()["detail"], "Invalid passkey");
    EXPECT_EQ(refusal(), "webauthn: assertion signature does not verify");

    // Another origin, another relying party.
    r = post(app, "/auth/passkeys/login",
             key.assertion_json(key.assert_credential(sign_in_challenge(app), {.origin = "https://evil.example"})));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(refusal(), "webauthn: origin not allowed");
    r = post(app, "/auth/passkeys/login",
             key.assertion_json(key.assert_credential(sign_in_challenge(app), {.rp_id = "evil.example"})));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(refusal(), "webauthn: rpIdHash does not match the RP ID");

    // A challenge this service did not make, or made for a registration.
    r = post(app, "/auth/passkeys/login", key.assertion_json(key.assert_credential(SoftAuthenticator::random(41))));
    EXPECT_EQ(r.json()["detail"], "Invalid passkey");
    EXPECT_EQ(refusal(), "passkey: challenge not made by this service for this user");

    // User verification is required: presence alone is one factor.
    r = post(app, "/auth/passkeys/login",
             key.assertion_json(key.assert_credential(sign_in_challenge(app), {.flags = SoftAuthenticator::kUP})));
    EXPECT_EQ(r.status, 401);

    // A good one, then a counter that goes back (a cloned authenticator).
    ASSERT_EQ(post(app, "/auth/passkeys/login", key.assertion_json(key.assert_credential(sign_in_challenge(app)))).status, 200);
    const auto high = key.counter();
    r = post(app, "/auth/passkeys/login",
             key.assertion_json(key.assert_credential(sign_in_challenge(app), {.sign_count = high - 1})));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(refusal(), "webauthn: signature counter did not increase: cloned authenticator?");

    // An unknown credential, and a user handle that is not its owner's.
    SoftAuthenticator stranger(CoseAlgorithm::es256);
    r = post(app, "/auth/passkeys/login", stranger.assertion_json(stranger.assert_credential(sign_in_challenge(app))));
    EXPECT_EQ(refusal(), "passkey: unknown credential");
    r = post(app, "/auth/passkeys/login",
             key.assertion_json(key.assert_credential(sign_in_challenge(app)), std::string(32, 'x')));
    EXPECT_EQ(refusal(), "passkey: user handle is not the passkey owner's");

    // Malformed bodies are 422s or 415.
    EXPECT_EQ(post(app, "/auth/passkeys/login", {{"id", "AA"}}).status, 422);
    EXPECT_EQ(request(app.port(), "POST", "/auth/passkeys/login", {"Content-Type: text/plain"}, "x").status, 415);
}

TEST(Passkeys, RegistrationRefusesAForeignChallengeAndASyncedPasskeySaysSwk) {
    TestApp app(2, config_with_passkeys());
    const auto alice = password_token(app);
    SoftAuthenticator key(CoseAlgorithm::rs256);
    // A challenge made for bob is no challenge for alice.
    const auto bob = request(app.port(), "POST", "/login", {kJson}, R"({"username":"bob","password":"hunter2"})")
                         .json()["access_token"]
                         .get<std::string>();
    const auto bobs = decoded(post(app, "/auth/passkeys/register/options", nlohmann::json::object(), bob).json()["challenge"]);
    auto r = post(app, "/auth/passkeys/register",
                  {{"name", "x"}, {"credential", key.registration_json(key.register_credential(bobs))}}, alice);
    EXPECT_EQ(r.status, 401);
    // Another origin at registration.
    r = register_key(app, key, alice, {.origin = "https://evil.example"});
    EXPECT_EQ(r.status, 401);
    // Backup eligible and backed up: a synced passkey, amr swk.
    ASSERT_EQ(register_key(app, key, alice,
                           {.flags = SoftAuthenticator::kUP | SoftAuthenticator::kUV | SoftAuthenticator::kAT |
                                     SoftAuthenticator::kBE | SoftAuthenticator::kBS})
                  .status,
              201);
    const auto signed_in =
        post(app, "/auth/passkeys/login",
             key.assertion_json(
                 key.assert_credential(sign_in_challenge(app), {.flags = SoftAuthenticator::kUP | SoftAuthenticator::kUV |
                                                                         SoftAuthenticator::kBE | SoftAuthenticator::kBS})));
    ASSERT_EQ(signed_in.status, 200) << signed_in.body;
    EXPECT_EQ(app.auth().verify(signed_in.json()["access_token"].get<std::string>()).amr,
              (fauth::AuthMethods{fauth::AuthMethod::mfa, fauth::AuthMethod::swk, fauth::AuthMethod::user}));
    // Renamed and removed by its owner only; an unknown id is a 404.
    const auto id = fauth::base64url_encode(key.credential_id());
    EXPECT_EQ(request(app.port(), "PATCH", "/auth/passkeys/" + id, {kJson, "Authorization: Bearer " + bob}, R"({"name":"mine"})")
                  .status,
              404);
    EXPECT_EQ(request(app.port(), "PATCH", "/auth/passkeys/" + id, {kJson, "Authorization: Bearer " + alice},
                      R"({"name":"phone"})")
                  .status,
              204);
    EXPECT_EQ(get(app.port(), "/auth/passkeys", alice).json()[0]["name"], "phone");
    // Removed only by a session begun with two factors (her password's is not), and once.
    const auto passkey_session = signed_in.json()["access_token"].get<std::string>();
    EXPECT_EQ(request(app.port(), "DELETE", "/auth/passkeys/" + id, {"Authorization: Bearer " + alice}).status, 401);
    EXPECT_EQ(request(app.port(), "DELETE", "/auth/passkeys/" + id, {"Authorization: Bearer " + passkey_session}).status, 204);
    EXPECT_EQ(request(app.port(), "DELETE", "/auth/passkeys/" + id, {"Authorization: Bearer " + passkey_session}).status, 404);
    EXPECT_TRUE(get(app.port(), "/auth/passkeys", alice).json().empty());
}
