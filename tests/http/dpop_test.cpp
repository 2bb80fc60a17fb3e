// DPoP-bound tokens (RFC 9449) end to end: Scheme::dpop on a real Pistache server on loopback,
// the Bearer scheme refusing bound tokens, challenges, insufficient_scope, the OpenAPI document,
// RFC 9728 metadata, and a replay cache that answers later (the pipeline's bind step waits).
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <thread>

#include <fauth/http.hpp>
#include <fauth/testing.hpp>

#include "fauth/core/base64url.hpp"
#include "fauth/core/dpop.hpp"
#include "support/dpop.hpp"

using fauth::Scheme;
using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;

namespace {

using fauth::test::LaterReplayCache;
using Holder = fauth::test::DpopHolder;

struct Member {
    std::string id;
    bool is_active = true;
};

fauth::AuthConfig make_config() {
    fauth::AuthConfig c;
    c.tokens.secret_key = "dpop-test-secret-of-at-least-32-bytes";
    c.bcrypt_cost = 4;
    c.tokens.log = [](std::string_view) {};
    return c;
}

struct App {
    explicit App(fauth::http::HttpConfig http)
        : auth(make_config(), [](const fauth::TokenPayload& p) { return std::optional<Member>(Member{p.sub}); }),
          api(router, std::move(http)) {
        const auto whoami = [](const Request&, ResponseWriter w, const fauth::Principal<Member>& p) {
            fauth::http::send_json(w, Code::Ok, {{"id", p.user.id}, {"scheme", fauth::scheme_name(p.scheme)}});
        };
        api.get("/me", auth.require(fauth::Rule(), whoami));
        api.get("/reports", auth.require(fauth::scope("write"), whoami));
        api.serve_openapi("/openapi.json", {.title = "dpop", .version = "1"});
        api.serve_resource_metadata({.resource = "http://127.0.0.1", .authorization_servers = {}});
    }
    // An access token for `sub` with `scopes`, bound to `jkt` when given.
    std::string token(const std::string& sub, std::vector<std::string> scopes = {"read"}, const std::string& jkt = {}) {
        nlohmann::json extra = nlohmann::json::object();
        if (!jkt.empty()) extra["cnf"] = {{"jkt", jkt}};
        return auth.tokens().issue(fauth::TokenType::access, sub, std::move(scopes), std::move(extra));
    }
    fauth::AuthProvider<Member> auth;
    Pistache::Rest::Router router;
    fauth::http::Api api;
};

fauth::http::HttpConfig dpop_config(fauth::http::DpopMode mode = fauth::http::DpopMode::allow) {
    fauth::http::HttpConfig http;
    http.dpop.mode = mode;
    http.dpop.policy.algorithms = {"ES256", "EdDSA"};
    return http;
}

std::string url(const fauth::testing::TestServer& server, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(server.port()) + path;
}

}  // namespace

TEST(Dpop, ABoundTokenWithAProofByItsKeyIsAccepted) {
    App app(dpop_config());
    fauth::testing::TestServer server(app.api);
    Holder holder;
    const auto token = app.token("m-1", {"read"}, holder.jkt);
    const auto ok =
        server.client().get("/me", {"Authorization: DPoP " + token, "DPoP: " + holder.proof("GET", url(server, "/me"), token)});
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.json()["scheme"], "dpop");
    // Another request, another proof: each proof once.
    EXPECT_EQ(server.client()
                  .get("/me", {"Authorization: DPoP " + token, "DPoP: " + holder.proof("GET", url(server, "/me"), token)})
                  .status,
              200);
    // An unbound token still works as Bearer.
    EXPECT_EQ(server.client().with_bearer(app.token("m-1")).get("/me").status, 200);
}

TEST(Dpop, EachWayOfMisusingABoundTokenIsRefused) {
    App app(dpop_config());
    fauth::testing::TestServer server(app.api);
    Holder holder, thief;
    const auto token = app.token("m-1", {"read"}, holder.jkt);
    const auto client = server.client();
    const auto dpop_401 = [](const fauth::testing::Response& r, const char* error) {
        EXPECT_EQ(r.status, 401) << r.body;
        EXPECT_EQ(r.header("WWW-Authenticate"), std::string("Bearer, DPoP error=\"") + error + "\", algs=\"ES256 EdDSA\"");
    };
    // As Bearer, it is refused: stolen alone, it is useless.
    const auto as_bearer = client.with_bearer(token).get("/me");
    EXPECT_EQ(as_bearer.status, 401);
    EXPECT_EQ(as_bearer.header("WWW-Authenticate"), "Bearer error=\"invalid_token\", DPoP algs=\"ES256 EdDSA\"");
    EXPECT_EQ(as_bearer.json()["detail"], "Invalid token");
    // Without a proof, with one for another route or method, by another key, or twice.
    dpop_401(client.get("/me", {"Authorization: DPoP " + token}), "invalid_dpop_proof");
    dpop_401(client.get("/me", {"Authorization: DPoP " + token, "DPoP: " + holder.proof("GET", url(server, "/reports"), token)}),
             "invalid_dpop_proof");
    dpop_401(client.get("/me", {"Authorization: DPoP " + token, "DPoP: " + holder.proof("POST", url(server, "/me"), token)}),
             "invalid_dpop_proof");
    dpop_401(client.get("/me", {"Authorization: DPoP " + token, "DPoP: " + thief.proof("GET", url(server, "/me"), token)}),
             "invalid_dpop_proof");
    dpop_401(client.get("/me", {"Authorization: DPoP " + token, "DPoP: " + holder.proof("GET", url(server, "/me"), "other")}),
             "invalid_dpop_proof");
    const auto proof = holder.proof("GET", url(server, "/me"), token);
    EXPECT_EQ(client.get("/me", {"Authorization: DPoP " + token, "DPoP: " + proof}).status, 200);
    const auto replayed = client.get("/me", {"Authorization: DPoP " + token, "DPoP: " + proof});
    dpop_401(replayed, "invalid_dpop_proof");
    EXPECT_EQ(replayed.json()["detail"], "Invalid DPoP proof");
    // An unbound token is not a DPoP token, whatever proof comes with it.
    const auto unbound = app.token("m-1");
    dpop_401(client.get("/me", {"Authorization: DPoP " + unbound, "DPoP: " + holder.proof("GET", url(server, "/me"), unbound)}),
             "invalid_token");
    // A malformed DPoP header value.
    dpop_401(client.get("/me", {"Authorization: DPoP a b"}), "invalid_token");
}

TEST(Dpop, RequiredModeTakesNothingButBoundTokens) {
    App app(dpop_config(fauth::http::DpopMode::require));
    fauth::testing::TestServer server(app.api);
    const auto bearer = server.client().with_bearer(app.token("m-1")).get("/me");
    EXPECT_EQ(bearer.status, 401);
    EXPECT_EQ(bearer.json()["detail"], "Not authenticated");
    EXPECT_EQ(bearer.header("WWW-Authenticate"), "DPoP algs=\"ES256 EdDSA\"");
    Holder holder;
    const auto token = app.token("m-1", {"read"}, holder.jkt);
    EXPECT_EQ(server.client()
                  .get("/me", {"Authorization: DPoP " + token, "DPoP: " + holder.proof("GET", url(server, "/me"), token)})
                  .status,
              200);
    // RFC 9728: the metadata says bound tokens are required, and with which proof algorithms.
    const auto metadata = server.client().get("/.well-known/oauth-protected-resource").json();
    EXPECT_EQ(metadata["dpop_bound_access_tokens_required"], true);
    EXPECT_EQ(metadata["dpop_signing_alg_values_supported"], nlohmann::json({"ES256", "EdDSA"}));
}

TEST(Dpop, AMissingScopeSaysInsufficientScopeOnThePresentedScheme) {
    App app(dpop_config());
    fauth::testing::TestServer server(app.api);
    const auto bearer = server.client().with_bearer(app.token("m-1", {"read"})).get("/reports");
    EXPECT_EQ(bearer.status, 403);
    EXPECT_EQ(bearer.json()["detail"], "Insufficient scope: requires write scope");
    EXPECT_EQ(bearer.header("WWW-Authenticate"),
              "Bearer error=\"insufficient_scope\", scope=\"write\", DPoP algs=\"ES256 EdDSA\"");
    Holder holder;
    const auto token = app.token("m-1", {"read"}, holder.jkt);
    const auto dpop = server.client().get("/reports", {"Authorization: DPoP " + token,
                                                       "DPoP: " + holder.proof("GET", url(server, "/reports"), token)});
    EXPECT_EQ(dpop.status, 403);
    EXPECT_EQ(dpop.header("WWW-Authenticate"),
              "Bearer, DPoP error=\"insufficient_scope\", scope=\"write\", algs=\"ES256 EdDSA\"");
    EXPECT_EQ(server.client().with_bearer(app.token("m-1", {"write"})).get("/reports").status, 200);
}

TEST(Dpop, TheUrlAProofNamesIsTheOneClientsReach) {
    // Behind a trusted proxy that terminates TLS: the proof names https and the public host.
    auto http = dpop_config();
    http.trusted_proxies = {"127.0.0.1"};
    App proxied(http);
    fauth::testing::TestServer server(proxied.api);
    Holder holder;
    const auto token = proxied.token("m-1", {"read"}, holder.jkt);
    const std::vector<std::string> forwarded = {"X-Forwarded-Proto: https", "X-Forwarded-Host: api.example.com"};
    auto headers = forwarded;
    headers.push_back("Authorization: DPoP " + token);
    headers.push_back("DPoP: " + holder.proof("GET", "https://api.example.com/me", token));
    EXPECT_EQ(server.client().get("/me", headers).status, 200);
    // A list: the value the nearest proxy wrote (the last) counts, never one the client put first.
    const auto listed = [&](const std::string& hosts, const std::string& htu) {
        return server.client()
            .get("/me", {"X-Forwarded-Proto: https", "X-Forwarded-Host: " + hosts, "Authorization: DPoP " + token,
                         "DPoP: " + holder.proof("GET", htu, token)})
            .status;
    };
    EXPECT_EQ(listed("evil.example, api.example.com", "https://api.example.com/me"), 200);
    EXPECT_EQ(listed("api.example.com, evil.example", "https://api.example.com/me"), 401);
    // Not trusted: the forwarding headers are ignored, and the proof names another URL.
    App direct(dpop_config());
    fauth::testing::TestServer other(direct.api);
    const auto direct_token = direct.token("m-1", {"read"}, holder.jkt);
    headers = forwarded;
    headers.push_back("Authorization: DPoP " + direct_token);
    headers.push_back("DPoP: " + holder.proof("GET", "https://api.example.com/me", direct_token));
    EXPECT_EQ(other.client().get("/me", headers).status, 401);
    // A configured origin is what proofs must name, whatever the Host header says.
    auto fixed = dpop_config();
    fixed.dpop.origin = "https://api.example.com";
    App configured(fixed);
    fauth::testing::TestServer third(configured.api);
    const auto fixed_token = configured.token("m-1", {"read"}, holder.jkt);
    EXPECT_EQ(third.client()
                  .get("/me", {"Authorization: DPoP " + fixed_token,
                               "DPoP: " + holder.proof("GET", "https://api.example.com/me", fixed_token)})
                  .status,
              200);
    EXPECT_EQ(third.client()
                  .get("/me",
                       {"Authorization: DPoP " + fixed_token, "DPoP: " + holder.proof("GET", url(third, "/me"), fixed_token)})
                  .status,
              401);
}

TEST(Dpop, AReplayCacheThatAnswersLaterHoldsTheRequestUntilItDoes) {
    auto http = dpop_config();
    auto cache = std::make_shared<LaterReplayCache>();
    http.dpop.replay_cache = cache;
    App app(http);
    fauth::testing::TestServer server(app.api);
    Holder holder;
    const auto token = app.token("m-1", {"read"}, holder.jkt);
    const auto proof = holder.proof("GET", url(server, "/me"), token);
    const auto first = server.client().get("/me", {"Authorization: DPoP " + token, "DPoP: " + proof});
    EXPECT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.json()["id"], "m-1");
    const auto second = server.client().get("/me", {"Authorization: DPoP " + token, "DPoP: " + proof});
    EXPECT_EQ(second.status, 401);
    EXPECT_EQ(second.json()["detail"], "Invalid DPoP proof");
}

TEST(Dpop, WithServerNoncesAProofNeedsTheNonceThe401Gave) {
    auto http = dpop_config();
    http.dpop.nonce_lifetime = std::chrono::seconds(300);
    App app(http);
    fauth::testing::TestServer server(app.api);
    Holder holder;
    const auto token = app.token("m-1", {"read"}, holder.jkt);
    // The first proof has no nonce: 401 use_dpop_nonce, with one to use.
    const auto asked =
        server.client().get("/me", {"Authorization: DPoP " + token, "DPoP: " + holder.proof("GET", url(server, "/me"), token)});
    EXPECT_EQ(asked.status, 401);
    EXPECT_EQ(asked.header("WWW-Authenticate"), "Bearer, DPoP error=\"use_dpop_nonce\", algs=\"ES256 EdDSA\"");
    EXPECT_EQ(asked.json()["detail"], "DPoP nonce required");
    const auto nonce = asked.header("DPoP-Nonce");
    ASSERT_FALSE(nonce.empty());
    // Retried with it: accepted.
    const auto retried = server.client().get("/me", {"Authorization: DPoP " + token,
                                                     "DPoP: " + holder.proof("GET", url(server, "/me"), token, nonce)});
    EXPECT_EQ(retried.status, 200) << retried.body;
    // A made-up nonce is refused the same way; a 401 without any token gives a nonce too.
    const auto made_up = server.client().get("/me", {"Authorization: DPoP " + token,
                                                     "DPoP: " + holder.proof("GET", url(server, "/me"), token, "1.xyz")});
    EXPECT_EQ(made_up.status, 401);
    EXPECT_EQ(made_up.header("DPoP-Nonce"), nonce);
    EXPECT_EQ(server.client().get("/me").header("DPoP-Nonce"), nonce);
}

TEST(Dpop, TheOpenApiDocumentDeclaresTheScheme) {
    App app(dpop_config());
    fauth::testing::TestServer server(app.api);
    const auto doc = server.client().get("/openapi.json").json();
    EXPECT_EQ(doc["components"]["securitySchemes"]["DPoP"]["type"], "http");
    EXPECT_EQ(doc["components"]["securitySchemes"]["DPoP"]["scheme"], "DPoP");
    const auto& security = doc["paths"]["/me"]["get"]["security"];
    EXPECT_NE(std::find(security.begin(), security.end(), nlohmann::json{{"DPoP", nlohmann::json::array()}}), security.end());
}

TEST(Dpop, AnUnusablePolicyIsAConfigError) {
    auto http = dpop_config();
    http.dpop.policy.algorithms = {"HS256"};
    EXPECT_THROW(fauth::http::in_force(http), fauth::ConfigError);
    http = dpop_config();
    http.dpop.origin = "https://api.example.com/path";
    EXPECT_THROW(fauth::http::in_force(http), fauth::ConfigError);
    http = dpop_config();
    http.dpop.policy.max_age = std::chrono::seconds(0);
    EXPECT_THROW(fauth::http::in_force(http), fauth::ConfigError);
    http = dpop_config();
    http.dpop.origin = "https://api.example.com";
    EXPECT_NO_THROW(fauth::http::in_force(http));
}
