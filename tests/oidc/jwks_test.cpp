#include "fauth/oidc/jwks.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <mutex>
#include <thread>

#include <fauth/http.hpp>

#include "support/await.hpp"
#include "support/http_client.hpp"
#include "support/idp.hpp"
#include "support/issuer.hpp"
#include "support/user.hpp"

using fauth::Key;
using fauth::KeyRing;
using fauth::KeySet;
using fauth::TokenType;
using fauth::oidc::JwksKeyRing;
using fauth::oidc::JwksOptions;
using fauth::test::await;
using nlohmann::json;
using JwksTest = fauth::test::IssuerFixture;

TEST_F(JwksTest, AVerifierLoadsTheKeysAndVerifiesWhatTheIssuerSigns) {
    auto ring = std::make_shared<JwksKeyRing>(JwksOptions{.url = issuer.url()});
    EXPECT_EQ(ring->current()->keys().size(), 0u);
    EXPECT_TRUE(ring->fetch_now());
    EXPECT_EQ(ring->fetches(), 1u);
    const fauth::TokenCodec verifier(fauth::test::ring_config(ring).tokens);
    const auto token = issuer_codec.issue(TokenType::access, "user-1");
    EXPECT_EQ(verifier.verify(token, TokenType::access).sub, "user-1");
    EXPECT_THROW(verifier.issue(TokenType::access, "user-1"), std::logic_error) << "a verifier cannot mint";
    // A token MACed with the HMAC key the issuer holds is useless to the verifier: that key was never published.
    fauth::KeySet hmac_only;
    hmac_only.add(Key::hmac("HS256", std::string(32, 's'), "secret")).sign_with("secret");
    const fauth::TokenCodec hmac_issuer(fauth::test::ring_config(std::make_shared<KeyRing>(hmac_only)).tokens);
    EXPECT_THROW(verifier.verify(hmac_issuer.issue(TokenType::access, "user-1"), TokenType::access), fauth::UnknownKeyId);
}

TEST_F(JwksTest, AnUnknownKidRefreshesOnceAtALimitedRate) {
    auto ring = std::make_shared<JwksKeyRing>(JwksOptions{.url = issuer.url(), .min_refresh_interval = std::chrono::seconds(30)});
    ASSERT_TRUE(ring->fetch_now());
    fauth::AuthProvider<fauth::test::User> verifier(fauth::test::ring_config(ring), [](const fauth::TokenPayload&) {
        return std::optional<fauth::test::User>();
    });

    // The issuer rotates: a new key, which now signs.
    issuer_keys.add(Key::from_pem("EdDSA", second.private_pem, "k2")).sign_with("k2");
    issuer_ring->replace(issuer_keys);
    const auto rotated = issuer_codec.issue(TokenType::access, "user-2");
    // The verifier learns k2 on the first token that names it. The last fetch was just now, so
    // the rate limit holds this one back; with the interval passed it goes through.
    // (A failure handed on as a value keeps its kind and reason; the kid and ring UnknownKeyId
    // carried were for the fetch, which is done.)
    try {
        await(verifier.verify_refreshing(rotated));
        ADD_FAILURE() << "a token whose key is still unknown was accepted";
    } catch (const fauth::InvalidToken& e) {
        EXPECT_EQ(e.reason(), "unknown key id");
    }
    EXPECT_EQ(ring->fetches(), 1u) << "rate-limited: no second fetch within the interval";

    auto eager = std::make_shared<JwksKeyRing>(JwksOptions{.url = issuer.url(), .min_refresh_interval = std::chrono::seconds(0)});
    ASSERT_TRUE(eager->fetch_now());
    fauth::AuthProvider<fauth::test::User> eager_verifier(fauth::test::ring_config(eager), [](const fauth::TokenPayload&) {
        return std::optional<fauth::test::User>();
    });
    issuer_keys.add(Key::from_pem("ES256", fauth::test::make_pem_pair("ES256").private_pem, "k3")).sign_with("k3");
    issuer_ring->replace(issuer_keys);
    const auto newest = issuer_codec.issue(TokenType::access, "user-3");
    EXPECT_EQ(await(eager_verifier.verify_refreshing(newest)).sub, "user-3");
    EXPECT_EQ(eager->fetches(), 2u);
    // A kid nobody has costs at most one fetch per call, and is refused.
    EXPECT_THROW(await(eager_verifier.verify_refreshing(newest.substr(0, 3) + "x" + newest.substr(4))), fauth::InvalidToken);
}

// After a key fetch, what follows (the loader here, and a guarded handler after it) runs on one
// of the provider's workers, never on the thread that fetched. (Or on the caller's own thread,
// when the worker has finished before the caller chains to it: Pistache then runs the
// continuation at once.)
TEST_F(JwksTest, ALoaderWaitingForAKeyFetchNeverRunsOnTheFetchingThread) {
    auto ring = std::make_shared<JwksKeyRing>(JwksOptions{.url = issuer.url(), .min_refresh_interval = std::chrono::seconds(0)});
    ASSERT_TRUE(ring->fetch_now());
    std::mutex m;
    std::string loader_thread;
    std::thread::id loader_id;
    fauth::AuthProvider<fauth::test::User> verifier(fauth::test::ring_config(ring), [&](const fauth::TokenPayload& p) {
        char name[16] = {};
        ::pthread_getname_np(::pthread_self(), name, sizeof name);
        std::lock_guard lock(m);
        loader_thread = name;
        loader_id = std::this_thread::get_id();
        return std::optional<fauth::test::User>(fauth::test::User{.id = p.sub});
    });
    issuer_keys.add(Key::from_pem("EdDSA", second.private_pem, "k2")).sign_with("k2");
    issuer_ring->replace(issuer_keys);
    const auto asking = std::this_thread::get_id();
    EXPECT_EQ(await(verifier.resolve_user(issuer_codec.issue(TokenType::access, "user-2"))).id, "user-2");
    EXPECT_EQ(ring->fetches(), 2u);
    std::lock_guard lock(m);
    // Where the fetch's outcome settles (a callback thread), or, when it settled before the
    // request let go of it, the asking thread itself, as after a key already known.
    EXPECT_TRUE(loader_thread == "fauth-callback" || loader_id == asking)
        << "after a key fetch, your code runs on a callback thread, not on " << loader_thread;
    EXPECT_NE(loader_thread, "fauth-jwks");
}

TEST_F(JwksTest, TheCachedKeysKeepWorkingWhileTheIssuerIsDown) {
    auto ring = std::make_shared<JwksKeyRing>(JwksOptions{.url = issuer.url(),
                                                          .min_refresh_interval = std::chrono::seconds(0),
                                                          .fetch = {.timeout = std::chrono::milliseconds(2000)}});
    ASSERT_TRUE(ring->fetch_now());
    const fauth::TokenCodec verifier(fauth::test::ring_config(ring).tokens);
    const auto token = issuer_codec.issue(TokenType::access, "user-1");
    const auto port = issuer.port();
    issuer.stop();
    EXPECT_FALSE(ring->fetch_now()) << "unreachable: false, never an exception";
    EXPECT_EQ(verifier.verify(token, TokenType::access).sub, "user-1") << "the cached key still verifies";
    issuer.start(port);
    ASSERT_EQ(fauth::test::get(issuer.port(), "/.well-known/jwks.json").status, 200);
    EXPECT_TRUE(ring->fetch_now()) << "back again";

    auto broken = std::make_shared<JwksKeyRing>(JwksOptions{.url = issuer.url("/broken.json")});
    EXPECT_FALSE(broken->fetch_now());
    auto missing = std::make_shared<JwksKeyRing>(JwksOptions{.url = issuer.url("/nope.json")});
    EXPECT_FALSE(missing->fetch_now()) << "404";
    EXPECT_THROW(JwksKeyRing(JwksOptions{.url = "http://example.com/jwks"}), fauth::ConfigError) << "plain http, not loopback";
}

// --- Against the independent test identity provider (jwcrypto), over HTTPS ---------------------

namespace {

struct ProviderKeysTest : ::testing::Test {
    static inline std::unique_ptr<fauth::test::TestIdp> idp;
    static void SetUpTestSuite() { idp = std::make_unique<fauth::test::TestIdp>(); }
    static void TearDownTestSuite() { idp.reset(); }

    std::mutex log_mutex;
    std::vector<std::string> logged;
    JwksOptions discovering(const std::string& realm = "test") {
        JwksOptions options{.issuer = idp->issuer(realm)};
        options.fetch.ca_file = idp->ca_file();
        options.log = [this](std::string_view line) {
            std::lock_guard lock(log_mutex);
            logged.emplace_back(line);
        };
        return options;
    }
    std::string log_text() {
        std::lock_guard lock(log_mutex);
        std::string all;
        for (const auto& line : logged) all += line + "\n";
        return all;
    }
    // A token in fauth's own claim shape (the external shapes are a later step), signed by the provider.
    static json claims(const std::string& sub) {
        const auto now =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        return {{"sub", sub},
                {"iat", now},
                {"exp", now + 300},
                {"jti", "0123456789abcdef0123456789abcdef"},
                {"token_type", "access"},
                {"scopes", json::array()}};
    }
    static std::string mint(const std::string& kid, const std::string& alg, json extra = json::object()) {
        json request = {{"kid", kid}, {"alg", alg}, {"claims", claims("user-" + kid)}};
        request.update(extra);
        return idp->mint(request);
    }
};

std::string refusal(const fauth::TokenCodec& codec, const std::string& token) {
    try {
        codec.verify(token, TokenType::access);
        return "accepted";
    } catch (const std::exception& e) {
        return e.what();
    }
}

}  // namespace

TEST_F(ProviderKeysTest, DiscoversTheKeysFromTheIssuerUrlAndVerifiesEveryAlgorithm) {
    auto ring = std::make_shared<JwksKeyRing>(discovering());
    ASSERT_TRUE(ring->fetch_now()) << log_text();
    EXPECT_EQ(ring->jwks_url(), idp->issuer() + "/certs");
    const fauth::TokenCodec verifier(fauth::test::ring_config(ring).tokens);
    for (const auto& [kid, alg] : std::vector<std::pair<std::string, std::string>>{{"rsa1", "RS256"},
                                                                                   {"ps1", "PS256"},
                                                                                   {"ec1", "ES256"},
                                                                                   {"ed1", "EdDSA"},
                                                                                   {"entra", "RS256"}})
        EXPECT_EQ(verifier.verify(mint(kid, alg), TokenType::access).sub, "user-" + kid) << kid << " " << alg;
}

TEST_F(ProviderKeysTest, SkipsAndLogsEveryKeyItCannotUseAndKeepsTheOthers) {
    auto ring = std::make_shared<JwksKeyRing>(discovering());
    ASSERT_TRUE(ring->fetch_now());
    // rsa1, ps1, entra (RS256 only: no alg, and rsa_algorithms is RS256), ec1, ed1.
    EXPECT_EQ(ring->current()->keys().size(), 5u);
    const auto log = log_text();
    for (const auto* expected :
         {"key \"secret\" skipped: kty \"oct\" is not supported", "key \"enc\" skipped: its use is not \"sig\"",
          "key \"odd\" skipped: kty \"XYZ\" is not supported", "key \"weak\" skipped", "2048 bits",
          "key \"e1\" skipped: RSA JWK has an unusable exponent", "key \"k256\" skipped", "key #11 skipped: not a JSON object"})
        EXPECT_NE(log.find(expected), std::string::npos) << expected << "\n" << log;

    // The Entra key verifies PS256 too once the issuer is said to use it.
    auto options = discovering();
    options.rsa_algorithms = {"RS256", "PS256"};
    auto both = std::make_shared<JwksKeyRing>(options);
    ASSERT_TRUE(both->fetch_now());
    EXPECT_EQ(both->current()->keys().size(), 6u);
    const auto entra_ps = mint("entra", "PS256");
    EXPECT_EQ(fauth::TokenCodec(fauth::test::ring_config(both).tokens).verify(entra_ps, TokenType::access).sub, "user-entra");
    EXPECT_EQ(refusal(fauth::TokenCodec(fauth::test::ring_config(ring).tokens), entra_ps),
              "Invalid token: algorithm not allowed");
    EXPECT_THROW(JwksKeyRing(JwksOptions{.url = idp->url("/realms/test/certs"), .rsa_algorithms = {"ES256"}}),
                 fauth::ConfigError);
}

TEST_F(ProviderKeysTest, StringsFromTheKeySetReachTheLogEscapedOnOneLine) {
    auto ring = std::make_shared<JwksKeyRing>(discovering());
    ASSERT_TRUE(ring->fetch_now());
    EXPECT_EQ(ring->current()->keys().size(), 5u);
    std::vector<std::string> lines;
    {
        std::lock_guard lock(log_mutex);
        lines = logged;
    }
    std::string forged;
    for (const auto& line : lines) {
        EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos) << "a log message is one line: " << line;
        if (line.find("key \"forged\"") != std::string::npos) forged = line;
    }
    EXPECT_NE(forged.find(R"(key "forged" skipped: kty "X\n{\"time\":\"2026-12-01T00:00:00.000Z\",\"event\":\"login_success\",)"
                          R"(\"subject\":\"user-123\"}" is not supported)"),
              std::string::npos)
        << forged;
}

TEST_F(ProviderKeysTest, RefusesForgedTokens) {
    auto ring = std::make_shared<JwksKeyRing>(discovering());
    ASSERT_TRUE(ring->fetch_now());
    const fauth::TokenCodec verifier(fauth::test::ring_config(ring).tokens);
    // HS256 "signed" with the RSA public key, the classic confusion.
    EXPECT_EQ(refusal(verifier, mint("rsa1", "HS256", {{"hmac_with_public_of", "rsa1"}})),
              "Invalid token: algorithm not allowed");
    // A key of the attacker's own, under a kid the provider publishes.
    EXPECT_EQ(refusal(verifier, mint("ec1", "ES256", {{"foreign", true}})), "Invalid token: signature mismatch");
    EXPECT_EQ(refusal(verifier, mint("rsa1", "RS256", {{"foreign", true}})), "Invalid token: signature mismatch");
    // The right key, another algorithm than the one it is published for.
    EXPECT_EQ(refusal(verifier, mint("rsa1", "PS256")), "Invalid token: algorithm not allowed");
    // Expired.
    json expired = claims("late");
    expired["exp"] = expired["iat"].get<std::int64_t>() - 3600;
    EXPECT_EQ(refusal(verifier, idp->mint({{"kid", "ec1"}, {"alg", "ES256"}, {"claims", expired}})), "Token expired");
    // A kid nobody publishes.
    EXPECT_THROW(verifier.verify(mint("ec1", "ES256", {{"header", {{"kid", "nobody"}}}}), TokenType::access),
                 fauth::UnknownKeyId);

    // A verifier for one issuer and audience refuses the provider's tokens for anyone else.
    auto config = fauth::test::ring_config(ring);
    config.tokens.issuer = idp->issuer();
    config.tokens.audience = "my-api";
    const fauth::TokenCodec strict(config.tokens);
    const auto with = [&](const std::string& iss, const json& aud) {
        json c = claims("scoped");
        c["iss"] = iss;
        c["aud"] = aud;
        return idp->mint({{"kid", "rsa1"}, {"alg", "RS256"}, {"claims", c}});
    };
    EXPECT_EQ(strict.verify(with(idp->issuer(), "my-api"), TokenType::access).sub, "scoped");
    EXPECT_EQ(strict.verify(with(idp->issuer(), json::array({"other", "my-api"})), TokenType::access).sub, "scoped");
    EXPECT_EQ(refusal(strict, with(idp->issuer(), "other-api")), "Invalid token: audience mismatch");
    EXPECT_EQ(refusal(strict, with(idp->issuer("elsewhere"), "my-api")), "Invalid token: issuer mismatch");
}

TEST_F(ProviderKeysTest, DiscoveryMustNameTheConfiguredIssuerAndAnAcceptableKeyUrl) {
    auto wrong = std::make_shared<JwksKeyRing>(discovering("wrong-issuer"));
    EXPECT_FALSE(wrong->fetch_now());
    EXPECT_EQ(wrong->current()->keys().size(), 0u);
    EXPECT_NE(log_text().find("names issuer"), std::string::npos) << log_text();
    auto plain = std::make_shared<JwksKeyRing>(discovering("plain-jwks"));
    EXPECT_FALSE(plain->fetch_now());
    EXPECT_NE(log_text().find("jwks_uri refused: refusing plain http://"), std::string::npos) << log_text();
    auto downgraded = std::make_shared<JwksKeyRing>(discovering("loopback-http-jwks"));
    EXPECT_FALSE(downgraded->fetch_now());
    EXPECT_NE(log_text().find("an https issuer's keys must be fetched over https"), std::string::npos) << log_text();
    // A jwks_uri on another host is normal (Google's is); only its scheme and trust matter.
    auto elsewhere = std::make_shared<JwksKeyRing>(discovering("cross-origin-jwks"));
    EXPECT_TRUE(elsewhere->fetch_now()) << log_text();
    // An untrusted certificate on the provider: nothing is loaded.
    JwksOptions untrusted{.url = idp->untrusted_url("/realms/test/certs")};
    untrusted.fetch.ca_file = idp->ca_file();
    untrusted.log = [](std::string_view) {};
    EXPECT_FALSE(std::make_shared<JwksKeyRing>(untrusted)->fetch_now());
    EXPECT_THROW(JwksKeyRing(JwksOptions{}), fauth::ConfigError) << "neither url nor issuer";
    EXPECT_THROW(JwksKeyRing(JwksOptions{.issuer = "http://login.example.com"}), fauth::ConfigError);
}

TEST_F(ProviderKeysTest, LearnsARotatedKeyOnceHoweverManyUnknownKidsArrive) {
    auto options = discovering();
    options.min_refresh_interval = std::chrono::seconds(30);
    auto ring = std::make_shared<JwksKeyRing>(options);
    ASSERT_TRUE(ring->fetch_now());
    fauth::AuthProvider<fauth::test::User> verifier(fauth::test::ring_config(ring), [](const fauth::TokenPayload& p) {
        return std::optional<fauth::test::User>(fauth::test::User{.id = p.sub});
    });
    // The first unknown kid after the initial fetch is within the interval: refused without a fetch.
    const auto before = idp->jwks_requests();
    idp->rotate("ec2");
    const auto rotated = mint("ec2", "ES256");
    EXPECT_THROW(await(verifier.resolve_user(rotated)), fauth::InvalidToken);
    EXPECT_EQ(idp->jwks_requests(), before);

    // With the interval passed, a flood of unknown kids from many threads costs one fetch.
    auto eager_options = discovering();
    eager_options.min_refresh_interval = std::chrono::seconds(30);
    auto eager = std::make_shared<JwksKeyRing>(eager_options);  // never fetched: the first asks
    fauth::AuthProvider<fauth::test::User> eager_verifier(fauth::test::ring_config(eager), [](const fauth::TokenPayload& p) {
        return std::optional<fauth::test::User>(fauth::test::User{.id = p.sub});
    });
    const auto start = idp->jwks_requests();
    std::vector<std::thread> flood;
    std::atomic<int> accepted{0};
    for (int i = 0; i < 8; ++i)
        flood.emplace_back([&, i] {
            for (int j = 0; j < 5; ++j) {
                try {
                    const auto token = i == 0 && j == 0
                                           ? rotated
                                           : mint("ec1", "ES256", {{"header", {{"kid", "junk-" + std::to_string(i * 10 + j)}}}});
                    await(eager_verifier.resolve_user(token));
                    ++accepted;
                } catch (const std::exception&) {}
            }
        });
    for (auto& t : flood) t.join();
    EXPECT_EQ(idp->jwks_requests() - start, 1) << "one fetch for 40 tokens naming unknown kids";
    EXPECT_EQ(eager->fetches(), 1u);
    EXPECT_LE(accepted.load(), 1);
    EXPECT_EQ(await(eager_verifier.resolve_user(rotated)).id, "user-ec2") << "the rotated key was learnt";
}

TEST_F(ProviderKeysTest, WhileTheProviderAnswersOnlyErrorsItsCachedKeysKeepWorking) {
    auto options = discovering();
    options.min_refresh_interval = std::chrono::seconds(0);  // every unknown kid may ask
    auto ring = std::make_shared<JwksKeyRing>(options);
    ASSERT_TRUE(ring->fetch_now());
    fauth::AuthProvider<fauth::test::User> verifier(fauth::test::ring_config(ring), [](const fauth::TokenPayload& p) {
        return std::optional<fauth::test::User>(fauth::test::User{.id = p.sub});
    });
    const auto known = mint("ec1", "ES256");
    idp->rotate("ec-outage");
    const auto rotated = mint("ec-outage", "ES256");
    idp->set_down(true);
    struct Restore {
        ~Restore() { idp->set_down(false); }
    } restore;
    EXPECT_FALSE(ring->fetch_now()) << "a 503 loads nothing";
    EXPECT_EQ(await(verifier.resolve_user(known)).id, "user-ec1") << "the cached keys still verify";
    EXPECT_THROW(await(verifier.resolve_user(rotated)), fauth::InvalidToken) << "a key it could not fetch";
    EXPECT_NE(log_text().find("503"), std::string::npos) << log_text();
    idp->set_down(false);
    EXPECT_EQ(await(verifier.resolve_user(rotated)).id, "user-ec-outage") << "learnt once the provider is back";
    EXPECT_EQ(await(verifier.resolve_user(known)).id, "user-ec1");
}

TEST_F(ProviderKeysTest, TokensFauthSignsVerifyInTheIndependentImplementation) {
    for (const std::string alg : {"RS256", "PS256", "ES256", "EdDSA"}) {
        KeySet keys;
        keys.add(Key::generate(alg, "fauth-" + alg)).sign_with("fauth-" + alg);
        const fauth::TokenCodec issuer(fauth::test::ring_config(std::make_shared<KeyRing>(keys)).tokens);
        const auto token = issuer.issue(TokenType::access, "user-1", {"notes:read"});
        const auto verified = idp->verify(token, keys.jwks());
        EXPECT_EQ(verified["sub"], "user-1") << alg;
        EXPECT_EQ(verified["scopes"], json::array({"notes:read"})) << alg;
        // And a tampered one does not.
        auto tampered = token;
        tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
        EXPECT_THROW(idp->verify(tampered, keys.jwks()), std::runtime_error) << alg;
    }
}

TEST_F(ProviderKeysTest, AResourceServerConfiguredWithOnlyTheIssuerUrlAcceptsKeycloakAuth0AndEntraShapes) {
    auto ring = std::make_shared<JwksKeyRing>(discovering());
    const auto iss = idp->issuer();
    auto keycloak = fauth::TrustedIssuer::keycloak(iss, "notes-api", ring, "notes-api");
    keycloak.algorithms = {"RS256", "ES256"};
    fauth::AuthConfig config;  // no secret, no key of its own: it only verifies
    config.tokens.issuers = {keycloak};
    struct Caller {
        std::string id;
        std::vector<std::string> roles, scopes;
    };
    fauth::AuthProvider<Caller> auth(config, [](const fauth::TokenPayload& p) {
        return std::optional<Caller>(Caller{p.sub, p.roles, p.scopes});
    });
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const json shape = {{"iss", iss},
                        {"sub", "kc-user"},
                        {"aud", json::array({"notes-api", "account"})},
                        {"exp", now + 300},
                        {"iat", now},
                        {"typ", "Bearer"},
                        {"azp", "notes-web"},
                        {"realm_access", {{"roles", json::array({"admin"})}}},
                        {"resource_access", {{"notes-api", {{"roles", json::array({"editor"})}}}}},
                        {"scope", "openid notes:read"}};
    // No key is loaded yet: the first token's kid makes the ring discover and fetch.
    const auto user = await(
        auth.resolve_user(idp->mint({{"kid", "rsa1"}, {"alg", "RS256"}, {"claims", shape}, {"header", {{"typ", "at+jwt"}}}})));
    EXPECT_EQ(user.id, "kc-user");
    EXPECT_EQ(user.roles, (std::vector<std::string>{"admin", "editor"}));
    EXPECT_EQ(user.scopes, (std::vector<std::string>{"openid", "notes:read"}));
    const auto token = idp->mint({{"kid", "ec1"}, {"alg", "ES256"}, {"claims", shape}});
    EXPECT_EQ(await(auth.resolve_user(token)).id, "kc-user");
    // Its session is Keycloak's: this service's revocations do not reach it, and logout refuses it.
    await(auth.revoke_all("kc-user"));
    EXPECT_EQ(await(auth.resolve_user(token)).id, "kc-user");
    EXPECT_THROW(await(auth.logout(token)), fauth::InvalidToken);
    auto other = shape;
    other["aud"] = "another-api";
    EXPECT_THROW(await(auth.resolve_user(idp->mint({{"kid", "rsa1"}, {"alg", "RS256"}, {"claims", other}}))),
                 fauth::InvalidToken);
    other = shape;
    other["iss"] = idp->issuer("elsewhere");
    const auto before = idp->jwks_requests();
    EXPECT_THROW(await(auth.resolve_user(
                     idp->mint({{"kid", "rsa1"}, {"alg", "RS256"}, {"claims", other}, {"header", {{"kid", "nobody"}}}}))),
                 fauth::InvalidToken);
    EXPECT_EQ(idp->jwks_requests(), before) << "an unknown issuer costs no fetch";

    // Entra ID publishes RSA keys without alg; its tokens carry roles and scp.
    auto entra_ring = std::make_shared<JwksKeyRing>(discovering());
    fauth::TokenConfig entra_config;
    entra_config.issuers = {fauth::TrustedIssuer::entra(iss, "api://notes", entra_ring)};
    ASSERT_TRUE(entra_ring->fetch_now());
    const fauth::TokenCodec entra(entra_config);
    const json entra_shape = {{"iss", iss},
                              {"sub", "entra-user"},
                              {"aud", "api://notes"},
                              {"exp", now + 300},
                              {"iat", now},
                              {"nbf", now},
                              {"roles", json::array({"Notes.Admin"})},
                              {"scp", "Notes.Read Notes.Write"},
                              {"ver", "2.0"}};
    const auto en = entra.verify(idp->mint({{"kid", "entra"}, {"alg", "RS256"}, {"claims", entra_shape}}), TokenType::access);
    EXPECT_EQ(en.roles, std::vector<std::string>{"Notes.Admin"});
    EXPECT_EQ(en.scopes, (std::vector<std::string>{"Notes.Read", "Notes.Write"}));

    // Auth0: permissions as scopes, roles from a namespaced claim.
    fauth::TokenConfig auth0_config;
    auth0_config.issuers = {
        fauth::TrustedIssuer::auth0(iss, "https://notes.example.com/api", entra_ring, "https://notes.example.com/roles")};
    const fauth::TokenCodec auth0(auth0_config);
    const json auth0_shape = {{"iss", iss},
                              {"sub", "auth0|1"},
                              {"aud", json::array({"https://notes.example.com/api", iss + "/userinfo"})},
                              {"exp", now + 300},
                              {"iat", now},
                              {"scope", "openid"},
                              {"permissions", json::array({"notes:write"})},
                              {"https://notes.example.com/roles", json::array({"editor"})}};
    const auto a0 = auth0.verify(idp->mint({{"kid", "rsa1"}, {"alg", "RS256"}, {"claims", auth0_shape}}), TokenType::access);
    EXPECT_EQ(a0.roles, std::vector<std::string>{"editor"});
    EXPECT_EQ(a0.scopes, (std::vector<std::string>{"openid", "notes:write"}));
}

// A service starts while its provider is down: it listens at once, answers 503 with Retry-After
// to the provider's tokens (not 401: nothing is wrong with them), and serves them once the keys,
// fetched in the background, arrive.
TEST_F(ProviderKeysTest, AServiceListensAtOnceWhileTheProviderIsDownAndServesItsTokensOnceTheKeysArrive) {
    idp->set_down(true);
    struct Restore {
        ~Restore() { idp->set_down(false); }
    } restore;
    auto options = discovering();
    options.min_refresh_interval = std::chrono::seconds(30);  // requests do not fetch: the background does
    options.first_retry = std::chrono::milliseconds(200);
    options.retry_after = std::chrono::seconds(1);
    auto ring = std::make_shared<JwksKeyRing>(options);
    auto trusted = fauth::TrustedIssuer::standard(idp->issuer(), "notes-client", ring);
    trusted.algorithms = {"RS256", "ES256"};
    fauth::AuthConfig config;
    config.tokens.issuers = {trusted};
    fauth::AuthProvider<fauth::test::User> auth(config, [](const fauth::TokenPayload& p) {
        return std::optional<fauth::test::User>(fauth::test::User{.id = p.sub, .permissions = p.scopes});
    });
    using Pistache::Http::Code;
    using Pistache::Http::ResponseWriter;
    using Pistache::Rest::Request;
    Pistache::Rest::Router router;
    fauth::http::Api api(router);
    api.get("/health", fauth::http::Endpoint([](const Request&, ResponseWriter w) {
                fauth::http::send_json(w, Code::Ok, {{"status", "ok"}});
            }));
    api.get("/reports", auth.require_permissions({"write"}, [](const Request&, ResponseWriter w, const fauth::test::User& u) {
        fauth::http::send_json(w, Code::Ok, {{"sub", u.id}});
    }));
    fauth::http::Server server(api, {.port = 0});
    const auto port = server.start();
    ring->fetch_in_background();

    EXPECT_EQ(fauth::test::get(port, "/health").status, 200) << "listening while the provider is down";
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const json access = {{"iss", idp->issuer()}, {"sub", "alice"},   {"aud", "notes-client"}, {"client_id", "notes-client"},
                         {"iat", now},           {"exp", now + 300}, {"jti", "j-1"},          {"scope", "read write"}};
    const auto token = idp->mint({{"kid", "ec1"}, {"alg", "ES256"}, {"claims", access}, {"header", {{"typ", "at+jwt"}}}});
    const auto waiting = fauth::test::get(port, "/reports", token);
    EXPECT_EQ(waiting.status, 503) << waiting.body;
    EXPECT_EQ(json::parse(waiting.body), (json{{"detail", "Service unavailable"}}));
    // The ring's next attempt is at most retry_after (1 s) away.
    EXPECT_EQ(waiting.header("Retry-After"), "1");
    EXPECT_EQ(ring->fetches(), 0u);
    try {
        await(auth.resolve_user(token));
        ADD_FAILURE() << "a token was accepted before any key was loaded";
    } catch (const fauth::Unavailable& e) {
        EXPECT_EQ(e.retry_after(), std::chrono::seconds(1));
        EXPECT_NE(std::string(e.what()).find("no keys loaded yet for issuer " + idp->issuer()), std::string::npos) << e.what();
    }
    // A ring that is not a trusted issuer's, or a key its loaded set lacks, is still a 401 (below).

    idp->set_down(false);
    // No request asks for the keys (the rate limit holds them back): the background retry loads them.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (ring->fetches() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(ring->fetches(), 1u) << log_text();
    EXPECT_EQ(ring->keys_pending(), std::nullopt);
    const auto served = fauth::test::get(port, "/reports", token);
    EXPECT_EQ(served.status, 200) << served.body;
    EXPECT_EQ(json::parse(served.body), (json{{"sub", "alice"}}));
    // Once keys are loaded, a kid the provider does not publish is the token's fault again: 401.
    const auto unknown =
        idp->mint({{"kid", "ec1"}, {"alg", "ES256"}, {"claims", access}, {"header", {{"typ", "at+jwt"}, {"kid", "gone"}}}});
    EXPECT_EQ(fauth::test::get(port, "/reports", unknown).status, 401);
    // The provider's ID token is refused, and a token without the scope is forbidden.
    json id_token = access;
    id_token.erase("scope");
    id_token["nonce"] = "n-1";
    EXPECT_EQ(fauth::test::get(port, "/reports", idp->mint({{"kid", "ec1"}, {"alg", "ES256"}, {"claims", id_token}})).status,
              401);
    json reader = access;
    reader["scope"] = "read";
    EXPECT_EQ(fauth::test::get(port, "/reports",
                               idp->mint({{"kid", "ec1"}, {"alg", "ES256"}, {"claims", reader}, {"header", {{"typ", "at+jwt"}}}}))
                  .status,
              403);
    server.stop();
}

TEST_F(ProviderKeysTest, UntilItsFirstKeySetTheRingRetriesSoonThenLessOften) {
    idp->set_down(true);
    struct Restore {
        ~Restore() { idp->set_down(false); }
    } restore;
    auto options = discovering();
    options.first_retry = std::chrono::milliseconds(100);
    options.retry_after = std::chrono::seconds(30);
    JwksKeyRing ring(options);
    EXPECT_THROW(JwksKeyRing(JwksOptions{.url = idp->url("/realms/test/certs"), .first_retry = std::chrono::milliseconds(0)}),
                 fauth::ConfigError);
    ring.fetch_in_background();
    // 100 ms, 200 ms, 400 ms, 800 ms: five attempts (the first one included) within about 1.5 s,
    // where the usual interval (30 s) would have made one.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    const auto attempts = [&] {
        const auto text = log_text();
        std::size_t n = 0;
        for (auto at = text.find("discovery failed"); at != std::string::npos; at = text.find("discovery failed", at + 1)) ++n;
        return n;
    };
    while (attempts() < 5 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GE(attempts(), 5u) << log_text();
    const auto pending = ring.keys_pending();
    ASSERT_TRUE(pending.has_value());
    EXPECT_GE(*pending, std::chrono::seconds(1));
    EXPECT_LE(*pending, std::chrono::seconds(30));
    idp->set_down(false);
    EXPECT_TRUE(ring.fetch_now()) << log_text();
    EXPECT_EQ(ring.keys_pending(), std::nullopt);
}

TEST_F(ProviderKeysTest, FetchesAndTheKeysAgeAreMeasured) {
    auto registry = std::make_shared<fauth::PrometheusRegistry>();
    auto options = discovering();
    options.metrics = registry;
    auto ring = std::make_shared<JwksKeyRing>(options);
    EXPECT_EQ(registry->exposition().find("fauth_keys_age_seconds{"), std::string::npos) << "no age before the first key set";
    ASSERT_TRUE(ring->fetch_now()) << log_text();
    auto text = registry->exposition();
    EXPECT_NE(text.find("fauth_keys_fetches_total{fauth_fetch_kind=\"discovery\",fauth_result=\"success\"} 1\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("fauth_keys_fetches_total{fauth_fetch_kind=\"jwks\",fauth_result=\"success\"} 1\n"), std::string::npos)
        << text;
    const auto age_line = "fauth_keys_age_seconds{fauth_keys_url=\"" + idp->issuer() + "\"} ";
    const auto at = text.find(age_line);
    ASSERT_NE(at, std::string::npos) << text;
    const double age = std::stod(text.substr(at + age_line.size()));
    EXPECT_GE(age, 0.0);
    EXPECT_LT(age, 60.0);

    idp->set_down(true);
    struct Restore {
        ~Restore() { idp->set_down(false); }
    } restore;
    EXPECT_FALSE(ring->fetch_now());
    text = registry->exposition();
    EXPECT_NE(text.find("fauth_keys_fetches_total{fauth_fetch_kind=\"jwks\",fauth_result=\"failure\"} 1\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find(age_line), std::string::npos) << "the cached keys keep their age" << text;

    ring.reset();
    EXPECT_EQ(registry->exposition().find("fauth_keys_age_seconds{"), std::string::npos) << "a ring gone is no longer observed";
}
