#include "fauth/http/jwks.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <mutex>

#include <fauth/http.hpp>

#include "support/await.hpp"
#include "support/http_client.hpp"
#include "support/keys.hpp"
#include "support/user.hpp"

using fauth::Key;
using fauth::KeyRing;
using fauth::KeySet;
using fauth::TokenType;
using fauth::http::JwksKeyRing;
using fauth::test::await;
using nlohmann::json;

namespace {

// A real issuer on a loopback port: publishes its ring's keys and can be stopped and restarted.
class Issuer {
public:
    explicit Issuer(std::shared_ptr<KeyRing> ring) : ring_(std::move(ring)) { start(0); }

    void start(std::uint16_t port) {
        router_ = std::make_unique<Pistache::Rest::Router>();
        api_ = std::make_unique<fauth::http::Api>(*router_, "/login");
        api_->get("/.well-known/jwks.json", fauth::http::jwks_endpoint(ring_));
        api_->get("/.well-known/openid-configuration",
                  fauth::http::discovery_endpoint(ring_, "http://issuer.test", "http://issuer.test/.well-known/jwks.json",
                                                  "http://issuer.test/login"));
        api_->get("/broken.json", [](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter w) {
            w.send(Pistache::Http::Code::Ok, "{\"keys\": [ this is not json");
        });
        server_ = std::make_unique<fauth::http::Server>(*api_, fauth::http::ServerOptions{.port = port});
        port_ = server_->start();
    }
    void stop() { server_.reset(); }
    std::uint16_t port() const { return port_; }
    std::string url(const std::string& path = "/.well-known/jwks.json") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

private:
    std::shared_ptr<KeyRing> ring_;
    std::unique_ptr<Pistache::Rest::Router> router_;
    std::unique_ptr<fauth::http::Api> api_;
    std::unique_ptr<fauth::http::Server> server_;
    std::uint16_t port_ = 0;
};

fauth::AuthConfig ring_config(std::shared_ptr<KeyRing> ring) {
    fauth::AuthConfig c;
    c.keys = std::move(ring);
    return c;
}

struct JwksTest : ::testing::Test {
    fauth::test::PemPair first = fauth::test::make_pem_pair("ES256");
    fauth::test::PemPair second = fauth::test::make_pem_pair("EdDSA");
    KeySet issuer_keys = [&] {
        KeySet s;
        s.add(Key::from_pem("ES256", first.private_pem, "k1")).add(Key::hmac("HS256", std::string(32, 's'), "secret"));
        s.sign_with("k1");
        return s;
    }();
    std::shared_ptr<KeyRing> issuer_ring = std::make_shared<KeyRing>(issuer_keys);
    fauth::TokenCodec issuer_codec{ring_config(issuer_ring)};
    Issuer issuer{issuer_ring};
};

}  // namespace

TEST_F(JwksTest, PublishesOnlyPublicKeysAndADiscoveryDocument) {
    const auto response = fauth::test::get(issuer.port(), "/.well-known/jwks.json");
    ASSERT_EQ(response.status, 200);
    const auto body = json::parse(response.body);
    ASSERT_EQ(body["keys"].size(), 1u) << "the HMAC key is never published";
    EXPECT_EQ(body["keys"][0]["kid"], "k1");
    EXPECT_FALSE(body["keys"][0].contains("d"));
    EXPECT_EQ(response.header("Cache-Control"), "public, max-age=300");
    const auto discovery = json::parse(fauth::test::get(issuer.port(), "/.well-known/openid-configuration").body);
    EXPECT_EQ(discovery["jwks_uri"], "http://issuer.test/.well-known/jwks.json");
    EXPECT_EQ(discovery["id_token_signing_alg_values_supported"], json::array({"ES256"}));
}

TEST_F(JwksTest, AVerifierLoadsTheKeysAndVerifiesWhatTheIssuerSigns) {
    auto ring = std::make_shared<JwksKeyRing>(fauth::http::JwksOptions{.url = issuer.url()});
    EXPECT_EQ(ring->current()->keys().size(), 0u);
    EXPECT_TRUE(await(ring->fetch()));
    EXPECT_EQ(ring->fetches(), 1u);
    const fauth::TokenCodec verifier(ring_config(ring));
    const auto token = issuer_codec.issue(TokenType::access, "user-1");
    EXPECT_EQ(verifier.verify(token, TokenType::access).sub, "user-1");
    EXPECT_THROW(verifier.issue(TokenType::access, "user-1"), std::logic_error) << "a verifier cannot mint";
    // A token MACed with the HMAC key the issuer holds is useless to the verifier: that key was never published.
    fauth::KeySet hmac_only;
    hmac_only.add(Key::hmac("HS256", std::string(32, 's'), "secret")).sign_with("secret");
    const fauth::TokenCodec hmac_issuer(ring_config(std::make_shared<KeyRing>(hmac_only)));
    EXPECT_THROW(verifier.verify(hmac_issuer.issue(TokenType::access, "user-1"), TokenType::access), fauth::UnknownKeyId);
}

TEST_F(JwksTest, AnUnknownKidRefreshesOnceAtALimitedRate) {
    auto ring = std::make_shared<JwksKeyRing>(
        fauth::http::JwksOptions{.url = issuer.url(), .min_refresh_interval = std::chrono::seconds(30)});
    ASSERT_TRUE(await(ring->fetch()));
    fauth::AuthProvider<fauth::test::User> verifier(ring_config(ring), [](const fauth::TokenPayload&) {
        return std::optional<fauth::test::User>();
    });

    // The issuer rotates: a new key, which now signs.
    issuer_keys.add(Key::from_pem("EdDSA", second.private_pem, "k2")).sign_with("k2");
    issuer_ring->replace(issuer_keys);
    const auto rotated = issuer_codec.issue(TokenType::access, "user-2");
    // The verifier learns k2 on the first token that names it. The last fetch was just now, so
    // the rate limit holds this one back; with the interval passed it goes through.
    EXPECT_THROW(await(verifier.verify_refreshing(rotated)), fauth::UnknownKeyId);
    EXPECT_EQ(ring->fetches(), 1u) << "rate-limited: no second fetch within the interval";

    auto eager = std::make_shared<JwksKeyRing>(fauth::http::JwksOptions{.url = issuer.url(), .min_refresh_interval = std::chrono::seconds(0)});
    ASSERT_TRUE(await(eager->fetch()));
    fauth::AuthProvider<fauth::test::User> eager_verifier(ring_config(eager), [](const fauth::TokenPayload&) {
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
    auto ring = std::make_shared<JwksKeyRing>(fauth::http::JwksOptions{.url = issuer.url(), .min_refresh_interval = std::chrono::seconds(0)});
    ASSERT_TRUE(await(ring->fetch()));
    std::mutex m;
    std::string loader_thread;
    std::thread::id loader_id;
    fauth::AuthProvider<fauth::test::User> verifier(ring_config(ring), [&](const fauth::TokenPayload& p) {
        char name[16] = {};
        ::pthread_getname_np(::pthread_self(), name, sizeof name);
        std::lock_guard lock(m);
        loader_thread = name;
        loader_id = std::this_thread::get_id();
        return std::optional<fauth::test::User>(fauth::test::User{.id = p.sub});
    });
    issuer_keys.add(Key::from_pem("EdDSA", second.private_pem, "k2")).sign_with("k2");
    issuer_ring->replace(issuer_keys);
    EXPECT_EQ(await(verifier.resolve_user(issuer_codec.issue(TokenType::access, "user-2"))).id, "user-2");
    EXPECT_EQ(ring->fetches(), 2u);
    std::lock_guard lock(m);
    EXPECT_TRUE(loader_thread == "fauth-password" || loader_id == std::this_thread::get_id()) << loader_thread;
}

TEST_F(JwksTest, TheCachedKeysKeepWorkingWhileTheIssuerIsDown) {
    auto ring = std::make_shared<JwksKeyRing>(fauth::http::JwksOptions{
        .url = issuer.url(), .min_refresh_interval = std::chrono::seconds(0), .timeout = std::chrono::milliseconds(2000)});
    ASSERT_TRUE(await(ring->fetch()));
    const fauth::TokenCodec verifier(ring_config(ring));
    const auto token = issuer_codec.issue(TokenType::access, "user-1");
    const auto port = issuer.port();
    issuer.stop();
    EXPECT_FALSE(await(ring->fetch())) << "unreachable: resolves false, never rejects";
    EXPECT_EQ(verifier.verify(token, TokenType::access).sub, "user-1") << "the cached key still verifies";
    issuer.start(port);
    ASSERT_EQ(fauth::test::get(issuer.port(), "/.well-known/jwks.json").status, 200);
    EXPECT_TRUE(await(ring->fetch())) << "back again";

    auto broken = std::make_shared<JwksKeyRing>(fauth::http::JwksOptions{.url = issuer.url("/broken.json")});
    EXPECT_FALSE(await(broken->fetch()));
    auto missing = std::make_shared<JwksKeyRing>(fauth::http::JwksOptions{.url = issuer.url("/nope.json")});
    EXPECT_FALSE(await(missing->fetch())) << "404";
    EXPECT_THROW(JwksKeyRing(fauth::http::JwksOptions{.url = "https://example.com/jwks"}), fauth::ConfigError);
}
