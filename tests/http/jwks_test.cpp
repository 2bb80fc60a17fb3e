#include "fauth/http/jwks.hpp"

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/issuer.hpp"

using nlohmann::json;
using JwksTest = fauth::test::IssuerFixture;

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
