#include "fauth/oidc/fetch.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "fauth/core/errors.hpp"
#include "support/idp.hpp"

using fauth::ConfigError;
using fauth::oidc::fetch;
using fauth::oidc::FetchOptions;

namespace {

struct FetchTest : ::testing::Test {
    static inline std::unique_ptr<fauth::test::TestIdp> idp;
    static void SetUpTestSuite() { idp = std::make_unique<fauth::test::TestIdp>(); }
    static void TearDownTestSuite() { idp.reset(); }
    FetchOptions trusting() const { return FetchOptions{.ca_file = idp->ca_file()}; }
};

}  // namespace

TEST_F(FetchTest, ReadsADocumentOverHttpsFromAServerTheConfiguredCaVouchesFor) {
    const auto result = fetch(idp->url("/realms/test/certs"), trusting());
    ASSERT_TRUE(result.ok()) << result.describe();
    EXPECT_EQ(result.status, 200);
    EXPECT_TRUE(nlohmann::json::parse(result.body).contains("keys"));
    ASSERT_TRUE(result.max_age.has_value());
    EXPECT_EQ(result.max_age->count(), 120) << "Cache-Control: public, max-age=120";
    const auto no_store = fetch(idp->url("/no-cache/certs"), trusting());
    ASSERT_TRUE(no_store.ok());
    EXPECT_EQ(no_store.max_age, std::chrono::seconds(0)) << "no-store: refetch as soon as allowed";
    const auto missing = fetch(idp->url("/nothing-here"), trusting());
    EXPECT_TRUE(missing.error.empty());
    EXPECT_EQ(missing.status, 404);
    EXPECT_FALSE(missing.ok());
}

TEST_F(FetchTest, RefusesCertificatesItCannotVerify) {
    // The system store alone does not know the test CA.
    const auto unknown_ca = fetch(idp->url("/realms/test/certs"), FetchOptions{});
    EXPECT_FALSE(unknown_ca.ok());
    EXPECT_NE(unknown_ca.error.find("certificate"), std::string::npos) << unknown_ca.error;
    // A CA nobody configured.
    const auto rogue = fetch(idp->untrusted_url("/realms/test/certs"), trusting());
    EXPECT_FALSE(rogue.ok());
    EXPECT_NE(rogue.error.find("certificate"), std::string::npos) << rogue.error;
    // The trusted CA, but a certificate for another host name.
    const auto misnamed = fetch(idp->misnamed_url("/realms/test/certs"), trusting());
    EXPECT_FALSE(misnamed.ok());
    EXPECT_NE(misnamed.error.find("127.0.0.1"), std::string::npos) << misnamed.error;
    EXPECT_TRUE(misnamed.body.empty());
    FetchOptions unreadable = trusting();
    unreadable.ca_file = "/nonexistent/ca.pem";
    EXPECT_FALSE(fetch(idp->url("/realms/test/certs"), unreadable).ok());
}

TEST_F(FetchTest, PlainHttpOnlyForLoopbackOrHostsNamedOneByOne) {
    EXPECT_NO_THROW(fauth::oidc::check_fetch_url("http://127.0.0.1:8001/jwks", {}));
    EXPECT_NO_THROW(fauth::oidc::check_fetch_url("http://127.3.4.5/jwks", {}));
    EXPECT_NO_THROW(fauth::oidc::check_fetch_url("http://[::1]:8001/jwks", {}));
    EXPECT_NO_THROW(fauth::oidc::check_fetch_url("http://localhost/jwks", {}));
    EXPECT_NO_THROW(fauth::oidc::check_fetch_url("https://login.example.com/jwks", {}));
    EXPECT_THROW(fauth::oidc::check_fetch_url("http://login.example.com/jwks", {}), ConfigError);
    EXPECT_THROW(fauth::oidc::check_fetch_url("http://localhost.example.com/jwks", {}), ConfigError);
    EXPECT_THROW(fauth::oidc::check_fetch_url("http://128.0.0.1/jwks", {}), ConfigError);
    EXPECT_NO_THROW(fauth::oidc::check_fetch_url("http://keys.internal/jwks", {.http_hosts = {"KEYS.internal"}}));
    EXPECT_THROW(fauth::oidc::check_fetch_url("http://other.internal/jwks", {.http_hosts = {"keys.internal"}}), ConfigError);
    EXPECT_THROW(fauth::oidc::check_fetch_url("ftp://127.0.0.1/jwks", {}), ConfigError);
    EXPECT_THROW(fauth::oidc::check_fetch_url("file:///etc/passwd", {}), ConfigError);
    EXPECT_THROW(fauth::oidc::check_fetch_url("https://user:secret@login.example.com/jwks", {}), ConfigError)
        << "credentials in a URL end up in logs";
    EXPECT_THROW(fauth::oidc::check_fetch_url("not a url", {}), ConfigError);
    EXPECT_THROW(fetch("http://login.example.com/jwks", {}), ConfigError);
}

TEST_F(FetchTest, FollowsRedirectsOnlyWithinTheOrigin) {
    const auto same = fetch(idp->url("/redirect/same-origin"), trusting());
    ASSERT_TRUE(same.ok()) << same.describe();
    EXPECT_TRUE(nlohmann::json::parse(same.body).contains("keys"));
    // localhost and 127.0.0.1 are the same server, but not the same origin.
    const auto other = fetch(idp->url("/redirect/other-origin"), trusting());
    EXPECT_FALSE(other.ok());
    EXPECT_NE(other.error.find("another origin"), std::string::npos) << other.error;
    EXPECT_NE(other.error.find("(\"https://localhost:"), std::string::npos)
        << "the server's Location, quoted and escaped: " << other.error;
    const auto loop = fetch(idp->url("/redirect/loop"), trusting());
    EXPECT_EQ(loop.error, "too many redirects");
}

TEST_F(FetchTest, StopsAtTheSizeLimitTheTimeoutAndWhenCancelled) {
    const auto big = fetch(idp->url("/big"), trusting());  // 2 MiB
    EXPECT_FALSE(big.ok());
    EXPECT_NE(big.error.find("larger than 1048576 bytes"), std::string::npos) << big.error;
    EXPECT_TRUE(big.body.empty());
    auto small = trusting();
    small.max_bytes = 100;
    EXPECT_NE(fetch(idp->url("/realms/test/certs"), small).error.find("larger than 100 bytes"), std::string::npos);

    auto impatient = trusting();
    impatient.timeout = std::chrono::milliseconds(500);
    auto started = std::chrono::steady_clock::now();
    const auto slow = fetch(idp->url("/slow"), impatient);  // the server takes 8 s
    EXPECT_FALSE(slow.ok());
    EXPECT_NE(slow.error.find("Timeout"), std::string::npos) << slow.error;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));

    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cancel = true;
    });
    started = std::chrono::steady_clock::now();
    const auto cancelled = fetch(idp->url("/slow"), trusting(), &cancel);
    canceller.join();
    EXPECT_EQ(cancelled.error, "cancelled");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4)) << "well before the 8 s answer";

    const auto refused = fetch("http://127.0.0.1:1/jwks", {});
    EXPECT_FALSE(refused.ok());
    EXPECT_FALSE(refused.error.empty());
}
