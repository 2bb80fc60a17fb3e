// DPoP (RFC 9449) for fauth's own sessions, over real HTTP on loopback: a login with a proof gets
// a token pair bound to the proof's key (`cnf.jkt`, token_type DPoP); refresh needs a proof by
// that key, before the refresh token is used up; the new pair keeps the binding; logout takes the
// bound access token with its proof; cookies ignore DPoP and refuse a bound token. Proofs are
// made with fauth's signing code and, in one flow, by jwcrypto (tests/support/jose_sign.py).
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <thread>

#include <fauth/core/base64url.hpp>
#include <fauth/core/dpop.hpp>
#include <fauth/core/keys.hpp>

#include "support/dpop.hpp"
#include "support/keys.hpp"
#include "support/test_app.hpp"

using fauth::http::DpopMode;
using fauth::test::LaterReplayCache;
using fauth::test::TestApp;
using Holder = fauth::test::DpopHolder;

namespace {

const std::string kJson = "Content-Type: application/json";

fauth::http::HttpConfig dpop_http(DpopMode mode = DpopMode::allow) {
    fauth::http::HttpConfig http;
    http.dpop.mode = mode;
    http.dpop.policy.algorithms = {"ES256", "EdDSA"};
    return http;
}

struct App : TestApp {
    explicit App(fauth::http::HttpConfig http = dpop_http()) : TestApp(2, default_config(), std::move(http)) {}
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port()) + path; }
    // POST /login as alice, with `headers`.
    fauth::testing::Response login(const std::vector<std::string>& headers = {}) {
        return client().post("/login", {{"username", "alice"}, {"password", "s3cret"}}, headers);
    }
    fauth::testing::Response refresh(const std::string& token, const std::vector<std::string>& headers = {}) {
        return client().post("/refresh", {{"refresh_token", token}}, headers);
    }
    fauth::testing::Response me_dpop(const std::string& access, Holder& holder) {
        return client().get("/me", {"Authorization: DPoP " + access, "DPoP: " + holder.proof("GET", url("/me"), access)});
    }
    // The key `token` (a `type` token) is bound to, or "" when it is bound to none.
    std::string bound_key(const std::string& token, fauth::TokenType type = fauth::TokenType::access) {
        const auto payload = auth().verify(token, type);
        const auto* jkt = fauth::dpop_jkt(payload);
        return jkt ? *jkt : std::string();
    }
};

const char* const kDpopChallenge = R"(DPoP error="invalid_dpop_proof", algs="ES256 EdDSA")";

// A refusal of a token request's proof, as fauth answers it: 401 {"detail": "Invalid DPoP proof"}
// with the DPoP challenge carrying the error.
::testing::AssertionResult proof_refused(const fauth::testing::Response& r) {
    if (r.status != 401) return ::testing::AssertionFailure() << "status " << r.status << ": " << r.body;
    if (r.json() != nlohmann::json{{"detail", "Invalid DPoP proof"}}) return ::testing::AssertionFailure() << r.body;
    if (r.header("WWW-Authenticate") != kDpopChallenge)
        return ::testing::AssertionFailure() << "WWW-Authenticate: " << r.header("WWW-Authenticate");
    return ::testing::AssertionSuccess();
}

}  // namespace

TEST(DpopSession, ALoginWithAProofGetsAPairBoundToItsKey) {
    App app;
    Holder holder;
    const auto r = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["token_type"], "DPoP") << "RFC 9449 section 5.1";
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    const auto access = r.json()["access_token"].get<std::string>();
    const auto refresh = r.json()["refresh_token"].get<std::string>();
    EXPECT_EQ(app.bound_key(access), holder.jkt);
    EXPECT_EQ(app.bound_key(refresh, fauth::TokenType::refresh), holder.jkt) << "the refresh token is bound too";
    EXPECT_TRUE(app.auth().verify(access).fresh) << "a password login all the same";

    // The bound access token works with a proof, never as Bearer.
    const auto me = app.me_dpop(access, holder);
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(me.json()["message"], "Hello alice");
    const auto as_bearer = app.client().with_bearer(access).get("/me");
    EXPECT_EQ(as_bearer.status, 401);
    EXPECT_EQ(as_bearer.json()["detail"], "Invalid token");
    Holder thief;
    EXPECT_EQ(app.me_dpop(access, thief).status, 401) << "nor with a proof by another key";

    // Without a proof nothing changes: a bearer pair.
    const auto plain = app.login();
    ASSERT_EQ(plain.status, 200) << plain.body;
    EXPECT_EQ(plain.json()["token_type"], "bearer");
    EXPECT_EQ(app.bound_key(plain.json()["access_token"].get<std::string>()), "");
    EXPECT_EQ(app.client().with_bearer(plain.json()["access_token"].get<std::string>()).get("/me").status, 200);
}

TEST(DpopSession, ALoginWithABadProofIsRefusedBeforeThePasswordCheck) {
    App app;
    Holder holder;
    const auto url = app.url("/login");
    EXPECT_TRUE(proof_refused(app.login({"DPoP: " + holder.proof("POST", app.url("/refresh"))}))) << "another URL";
    EXPECT_TRUE(proof_refused(app.login({"DPoP: " + holder.proof("GET", url)}))) << "another method";
    EXPECT_TRUE(proof_refused(app.login({"DPoP: not.a.proof"})));
    EXPECT_TRUE(proof_refused(app.login({"DPoP: "})));
    const auto proof = holder.proof("POST", url);
    ASSERT_EQ(app.login({"DPoP: " + proof}).status, 200);
    EXPECT_TRUE(proof_refused(app.login({"DPoP: " + proof}))) << "a proof is used once";
    // Each refused proof is a failed login attempt in the security events, with its reason.
    std::vector<std::string> reasons;
    for (const auto& e : app.events(fauth::SecurityEventType::login_failure)) reasons.push_back(e.reason);
    ASSERT_EQ(reasons.size(), 5u);
    EXPECT_EQ(reasons[0], "invalid DPoP proof: htu mismatch");
    EXPECT_EQ(reasons[4], "invalid DPoP proof: proof replayed");
    // A good proof with a wrong password is the password's refusal.
    const auto wrong =
        app.client().post("/login", {{"username", "alice"}, {"password", "nope"}}, {"DPoP: " + holder.proof("POST", url)});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.json()["detail"], "Invalid credentials");
}

TEST(DpopSession, RefreshNeedsAProofByTheSameKeyAndKeepsTheBinding) {
    App app;
    Holder holder, thief;
    const auto login = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    ASSERT_EQ(login.status, 200) << login.body;
    const auto refresh_token = login.json()["refresh_token"].get<std::string>();
    const auto url = app.url("/refresh");

    // A stolen refresh token is useless: without a proof, with the thief's, with one for another
    // URL or method, or with an access token's hash in place of none.
    EXPECT_TRUE(proof_refused(app.refresh(refresh_token)));
    EXPECT_TRUE(proof_refused(app.refresh(refresh_token, {"DPoP: " + thief.proof("POST", url)})));
    EXPECT_TRUE(proof_refused(app.refresh(refresh_token, {"DPoP: " + holder.proof("POST", app.url("/login"))})));
    EXPECT_TRUE(proof_refused(app.refresh(refresh_token, {"DPoP: " + holder.proof("PUT", url)})));
    // None of that used the token up, revoked the session or counted as reuse.
    EXPECT_TRUE(app.events(fauth::SecurityEventType::refresh_reuse).empty());
    EXPECT_EQ(app.me_dpop(login.json()["access_token"].get<std::string>(), holder).status, 200);

    // Its holder refreshes with a proof: a new pair, bound to the same key.
    const auto proof = holder.proof("POST", url);
    const auto next = app.refresh(refresh_token, {"DPoP: " + proof});
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(next.json()["token_type"], "DPoP");
    const auto access = next.json()["access_token"].get<std::string>();
    const auto next_refresh = next.json()["refresh_token"].get<std::string>();
    EXPECT_EQ(app.bound_key(access), holder.jkt);
    EXPECT_EQ(app.bound_key(next_refresh, fauth::TokenType::refresh), holder.jkt);
    EXPECT_EQ(app.me_dpop(access, holder).status, 200);
    EXPECT_EQ(app.client().with_bearer(access).get("/me").status, 401);

    // The proof was used once: replayed with the next refresh token, it is refused, and that token
    // is still its holder's.
    EXPECT_TRUE(proof_refused(app.refresh(next_refresh, {"DPoP: " + proof})));
    const auto third = app.refresh(next_refresh, {"DPoP: " + holder.proof("POST", url)});
    ASSERT_EQ(third.status, 200) << third.body;
    EXPECT_EQ(app.bound_key(third.json()["access_token"].get<std::string>()), holder.jkt);

    // Refused proofs are refusals in the security events, with their reasons.
    std::vector<std::string> reasons;
    for (const auto& e : app.events(fauth::SecurityEventType::token_refused))
        if (e.path == "/refresh") reasons.push_back(e.reason);
    ASSERT_EQ(reasons.size(), 5u);
    EXPECT_EQ(reasons[0], "invalid DPoP proof: no DPoP header");
    EXPECT_EQ(reasons[1], "invalid DPoP proof: proof key is not the one the token is bound to");
    EXPECT_EQ(reasons[4], "invalid DPoP proof: proof replayed");
}

TEST(DpopSession, LoginClaimsComputedAgainDoNotUndoTheBinding) {
    App app;
    // The claims of a refresh are computed again from the user; even ones naming a `cnf` of their
    // own keep the session's key.
    app.auth().set_login_claims({.scopes = {}, .extra = [](const fauth::test::AppUser&) {
                                     return nlohmann::json{{"cnf", {{"jkt", "not-the-key"}, {"x5t#S256", "abc"}}}};
                                 }});
    Holder holder;
    const auto login = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    ASSERT_EQ(login.status, 200) << login.body;
    const auto payload = app.auth().verify(login.json()["access_token"].get<std::string>());
    EXPECT_EQ(payload.extra["cnf"], (nlohmann::json{{"jkt", holder.jkt}, {"x5t#S256", "abc"}}));
    const auto next =
        app.refresh(login.json()["refresh_token"].get<std::string>(), {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(app.bound_key(next.json()["refresh_token"].get<std::string>(), fauth::TokenType::refresh), holder.jkt);
    // Without a proof the application's claims are its own business.
    const auto plain = app.login();
    EXPECT_EQ(plain.json()["token_type"], "bearer");
    EXPECT_EQ(app.bound_key(plain.json()["access_token"].get<std::string>()), "not-the-key");
}

TEST(DpopSession, LogoutTakesTheBoundAccessTokenWithItsProof) {
    App app;
    Holder holder;
    const auto login = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    ASSERT_EQ(login.status, 200) << login.body;
    const auto access = login.json()["access_token"].get<std::string>();
    const auto url = app.url("/logout");
    // As Bearer, without a proof, or with a proof by another key: refused, and the session lives.
    EXPECT_EQ(app.client().with_bearer(access).post("/logout").status, 401);
    EXPECT_EQ(app.client().request("POST", "/logout", {"Authorization: DPoP " + access}).status, 401);
    Holder thief;
    EXPECT_EQ(app.client()
                  .request("POST", "/logout", {"Authorization: DPoP " + access, "DPoP: " + thief.proof("POST", url, access)})
                  .status,
              401);
    EXPECT_EQ(app.me_dpop(access, holder).status, 200);
    const auto out =
        app.client().request("POST", "/logout", {"Authorization: DPoP " + access, "DPoP: " + holder.proof("POST", url, access)});
    EXPECT_EQ(out.status, 204) << out.body;
    EXPECT_EQ(app.me_dpop(access, holder).status, 401) << "the session is over";
    const auto refresh =
        app.refresh(login.json()["refresh_token"].get<std::string>(), {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    EXPECT_EQ(refresh.status, 401);
    EXPECT_EQ(refresh.json()["detail"], "Invalid token");
}

TEST(DpopSession, RequiredModeRefusesALoginOrABodyRefreshWithoutABinding) {
    App app(dpop_http(DpopMode::require));
    EXPECT_TRUE(proof_refused(app.login()));
    Holder holder;
    const auto login = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    ASSERT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(login.json()["token_type"], "DPoP");
    // A pair the application made without a proof cannot be refreshed in a body.
    const auto unbound = app.auth().login("user-123");
    const auto r = app.refresh(unbound.refresh_token, {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json()["detail"], "Invalid token");
    const auto bound =
        app.refresh(login.json()["refresh_token"].get<std::string>(), {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    EXPECT_EQ(bound.status, 200) << bound.body;
}

TEST(DpopSession, WithServerNoncesTheTokenEndpointsWantOneToo) {
    auto http = dpop_http();
    http.dpop.nonce_lifetime = std::chrono::seconds(300);
    App app(http);
    Holder holder;
    const auto asked = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    EXPECT_EQ(asked.status, 401) << asked.body;
    EXPECT_EQ(asked.header("WWW-Authenticate"), R"(DPoP error="use_dpop_nonce", algs="ES256 EdDSA")");
    const auto nonce = asked.header("DPoP-Nonce");
    ASSERT_FALSE(nonce.empty()) << "a proof made ahead of time is refused, with the nonce to use";
    const auto login = app.login({"DPoP: " + holder.proof("POST", app.url("/login"), {}, nonce)});
    ASSERT_EQ(login.status, 200) << login.body;
    const auto refresh_token = login.json()["refresh_token"].get<std::string>();
    const auto no_nonce = app.refresh(refresh_token, {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    EXPECT_EQ(no_nonce.status, 401);
    EXPECT_EQ(no_nonce.header("WWW-Authenticate"), R"(DPoP error="use_dpop_nonce", algs="ES256 EdDSA")");
    EXPECT_EQ(no_nonce.header("DPoP-Nonce"), nonce);
    const auto refreshed = app.refresh(refresh_token, {"DPoP: " + holder.proof("POST", app.url("/refresh"), {}, nonce)});
    EXPECT_EQ(refreshed.status, 200) << refreshed.body << " (the refused proof left the refresh token usable)";
}

TEST(DpopSession, WithDpopOffTheLoginIgnoresTheHeaderButABoundTokenStillNeedsItsKey) {
    App app(dpop_http(DpopMode::off));
    Holder holder;
    // RFC 9449 section 5: a server that does not do DPoP issues bearer tokens, and says so.
    const auto login = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    ASSERT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(login.json()["token_type"], "bearer");
    EXPECT_EQ(app.bound_key(login.json()["access_token"].get<std::string>()), "");
    // A session bound earlier (DPoP was on then) is still refreshed only with its key's proof.
    const auto bound =
        app.auth().engine().login("user-123", {}, nlohmann::json::object(), fauth::Engine::Proof::none, holder.jkt);
    EXPECT_EQ(bound.token_type, "DPoP");
    EXPECT_TRUE(proof_refused(app.refresh(bound.refresh_token)));
    const auto next = app.refresh(bound.refresh_token, {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(next.json()["token_type"], "DPoP");
    // An unbound refresh token with a proof: the proof is ignored, the pair stays unbound.
    const auto plain =
        app.refresh(login.json()["refresh_token"].get<std::string>(), {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    ASSERT_EQ(plain.status, 200) << plain.body;
    EXPECT_EQ(plain.json()["token_type"], "bearer");
}

TEST(DpopSession, CookieSessionsIgnoreDpopAndRefuseABoundToken) {
    auto http = dpop_http();
    http.cookies.transport = fauth::http::CredentialTransport::bearer_or_cookie;
    http.cookies.secure = false;  // the test client speaks plain HTTP
    App app(std::move(http));
    Holder holder;
    // A browser login: the DPoP header is not read, the cookies hold an unbound pair.
    const auto browser = app.client().post("/session/login", {{"username", "alice"}, {"password", "s3cret"}},
                                           {"DPoP: " + holder.proof("POST", app.url("/session/login"))});
    ASSERT_EQ(browser.status, 200) << browser.body;
    EXPECT_EQ(browser.json()["token_type"], "cookie");
    const auto cookie_access = browser.cookie_value("fauth_access");
    EXPECT_EQ(app.bound_key(cookie_access), "");
    EXPECT_EQ(app.client().get("/me", {"Cookie: fauth_access=" + cookie_access}).status, 200);

    // A bound access token put into the access cookie (stolen from a DPoP client): refused, as
    // a cookie carries no proof.
    const auto login = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    ASSERT_EQ(login.status, 200) << login.body;
    const auto bound = login.json()["access_token"].get<std::string>();
    const auto stolen = app.client().get("/me", {"Cookie: fauth_access=" + bound});
    EXPECT_EQ(stolen.status, 401);
    EXPECT_EQ(stolen.json()["detail"], "Invalid token");
    // And a bound refresh token in the refresh cookie, with the session's CSRF token and a proof.
    const auto csrf = fauth::http::csrf_token(app.auth().tokens(), app.auth().verify(bound).family);
    const auto refresh_token = login.json()["refresh_token"].get<std::string>();
    const auto by_cookie =
        app.client().request("POST", "/auth/refresh",
                             {"Cookie: fauth_refresh=" + refresh_token + "; fauth_csrf=" + csrf, "X-CSRF-Token: " + csrf,
                              "DPoP: " + holder.proof("POST", app.url("/auth/refresh"))});
    EXPECT_EQ(by_cookie.status, 401) << by_cookie.body;
    // In a body, with its proof, it is refreshed.
    const auto by_body = app.client().post("/auth/refresh", {{"refresh_token", refresh_token}},
                                           {"DPoP: " + holder.proof("POST", app.url("/auth/refresh"))});
    EXPECT_EQ(by_body.status, 200) << by_body.body;
}

TEST(DpopSession, ProofsMadeByJwcrypto) {
    App app;
    const auto proof_claims = [&](const std::string& jti, const std::string& path) {
        return nlohmann::json{
            {"jti", jti},
            {"htm", "POST"},
            {"htu", app.url(path)},
            {"iat",
             std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()}}
            .dump();
    };
    const nlohmann::json header = {{"typ", "dpop+jwt"}, {"jwk", "$jwk"}, {"kid", nullptr}};
    nlohmann::json private_header = header;
    private_header["jwk"] = "$private_jwk";
    const auto made =
        fauth::test::jwcrypto({{"keys",
                                {{{"kid", "p256"}, {"kty", "EC"}, {"crv", "P-256"}, {"alg", "ES256"}},
                                 {{"kid", "ed"}, {"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "EdDSA"}}}},
                               {"tokens",
                                {{{"kid", "p256"}, {"header", header}, {"payload", proof_claims("jc-1", "/login")}},
                                 {{"kid", "p256"}, {"header", header}, {"payload", proof_claims("jc-2", "/refresh")}},
                                 {{"kid", "p256"}, {"header", header}, {"payload", proof_claims("jc-3", "/refresh")}},
                                 {{"kid", "ed"}, {"header", header}, {"payload", proof_claims("jc-4", "/refresh")}},
                                 {{"kid", "ed"}, {"header", private_header}, {"payload", proof_claims("jc-5", "/login")}}}}});
    const auto& proofs = made["tokens"];
    auto p256 = made["jwks"]["keys"][0];
    p256.erase("kid");
    p256.erase("alg");
    const auto jkt = fauth::jwk_thumbprint(p256);

    const auto login = app.login({"DPoP: " + proofs[0].get<std::string>()});
    ASSERT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(login.json()["token_type"], "DPoP");
    EXPECT_EQ(app.bound_key(login.json()["access_token"].get<std::string>()), jkt);
    const auto refresh_token = login.json()["refresh_token"].get<std::string>();
    // A proof by another of the client's keys (Ed25519) is refused; the P-256 one is taken.
    EXPECT_TRUE(proof_refused(app.refresh(refresh_token, {"DPoP: " + proofs[3].get<std::string>()})));
    const auto next = app.refresh(refresh_token, {"DPoP: " + proofs[1].get<std::string>()});
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(app.bound_key(next.json()["refresh_token"].get<std::string>(), fauth::TokenType::refresh), jkt);
    EXPECT_EQ(app.refresh(next.json()["refresh_token"].get<std::string>(), {"DPoP: " + proofs[2].get<std::string>()}).status,
              200);
    // A proof whose header holds the private key is refused.
    EXPECT_TRUE(proof_refused(app.login({"DPoP: " + proofs[4].get<std::string>()})));
}

TEST(DpopSession, ARepeatWithinTheGraceGetsTheSameBoundPair) {
    App app;
    Holder holder;
    const auto login = app.login({"DPoP: " + holder.proof("POST", app.url("/login"))});
    ASSERT_EQ(login.status, 200) << login.body;
    const auto token = login.json()["refresh_token"].get<std::string>();
    const auto first = app.refresh(token, {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    ASSERT_EQ(first.status, 200) << first.body;
    // A second tab, or a retry after a lost answer: a new proof, the same pair, still bound.
    const auto again = app.refresh(token, {"DPoP: " + holder.proof("POST", app.url("/refresh"))});
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.json()["access_token"], first.json()["access_token"]);
    EXPECT_EQ(again.json()["token_type"], "DPoP");
    EXPECT_EQ(app.bound_key(again.json()["access_token"].get<std::string>()), holder.jkt);
}

TEST(DpopSession, TheOpenApiDocumentSaysTheProofHeaderAndTheTokenType) {
    App app;
    const auto doc = app.client().get("/openapi.json").json();
    EXPECT_EQ(doc["components"]["schemas"]["TokenResponse"]["properties"]["token_type"]["enum"],
              nlohmann::json({"bearer", "DPoP"}));
    for (const char* path : {"/login", "/refresh"}) {
        const auto& params = doc["paths"][path]["post"]["parameters"];
        ASSERT_EQ(params.size(), 1u) << path;
        EXPECT_EQ(params[0]["name"], "DPoP");
        EXPECT_EQ(params[0]["in"], "header");
        EXPECT_EQ(params[0]["required"], false);
    }
    EXPECT_EQ(doc["paths"]["/login"]["post"]["responses"]["401"]["description"], "Invalid credentials, or an invalid DPoP proof");
}

TEST(DpopSession, AReplayCacheThatAnswersLaterHoldsTheLoginAndTheRefresh) {
    auto cache = std::make_shared<LaterReplayCache>();
    auto http = dpop_http();
    http.dpop.replay_cache = cache;
    App app(std::move(http));
    Holder holder, thief;
    const auto proof = holder.proof("POST", app.url("/login"));
    const auto login = app.login({"DPoP: " + proof});
    ASSERT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(app.bound_key(login.json()["access_token"].get<std::string>()), holder.jkt);
    EXPECT_TRUE(proof_refused(app.login({"DPoP: " + proof}))) << "replayed, said later";
    const auto token = login.json()["refresh_token"].get<std::string>();
    const auto refresh_proof = holder.proof("POST", app.url("/refresh"));
    const auto next = app.refresh(token, {"DPoP: " + refresh_proof});
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(app.bound_key(next.json()["refresh_token"].get<std::string>(), fauth::TokenType::refresh), holder.jkt);
    const auto next_token = next.json()["refresh_token"].get<std::string>();
    EXPECT_TRUE(proof_refused(app.refresh(next_token, {"DPoP: " + refresh_proof}))) << "replayed, said later";
    EXPECT_TRUE(proof_refused(app.refresh(next_token, {"DPoP: " + thief.proof("POST", app.url("/refresh"))})));
    EXPECT_EQ(app.refresh(next_token, {"DPoP: " + holder.proof("POST", app.url("/refresh"))}).status, 200)
        << "still its holder's";
}
