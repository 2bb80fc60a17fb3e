// Token introspection (RFC 7662, RFC 9701) against a real provider no one here wrote: panva's
// oidc-provider (tests/support/oidc_provider.mjs, over HTTPS with a CA made for the run), which
// issues opaque access tokens, answers introspection in JSON and signed, and revokes tokens.
#include "fauth/oidc/introspection.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include <fauth/core/api_key.hpp>
#include <fauth/core/base64url.hpp>
#include <fauth/core/dpop.hpp>
#include <fauth/fauth.hpp>
#include <fauth/oidc.hpp>

#include "support/await.hpp"

extern char** environ;

namespace {

using fauth::IntrospectedTokens;
using fauth::TokenType;
using fauth::TrustedIssuer;
using fauth::oidc::Introspection;
using fauth::oidc::IntrospectionOptions;
using fauth::oidc::JwksKeyRing;
using fauth::oidc::JwksOptions;
using nlohmann::json;

constexpr const char* kApi = "urn:fauth:test:api";      // opaque tokens, scopes read write
constexpr const char* kOther = "urn:fauth:test:other";  // opaque tokens for another API
constexpr const char* kJwt = "urn:fauth:test:jwt";      // RFC 9068 JWT access tokens

// `node tests/support/oidc_provider.mjs DIR OPTIONS`: runs until its standard input closes.
class NodeProvider {
public:
    NodeProvider() {
        work_ = std::filesystem::temp_directory_path() / ("fauth-op-" + std::to_string(::getpid()));
        const json options = {{"resources",
                               {{kApi, {{"scope", "read write"}, {"format", "opaque"}}},
                                {kOther, {{"scope", "read"}, {"format", "opaque"}}},
                                {kJwt, {{"scope", "read write"}, {"format", "jwt"}}}}}};
        int in[2], out[2];
        if (::pipe(in) != 0 || ::pipe(out) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addclose(&actions, in[1]);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        const auto script =
            (std::filesystem::path(__FILE__).parent_path().parent_path() / "support" / "oidc_provider.mjs").string();
        const auto dir = work_.string();
        const auto text = options.dump();
        char* argv[] = {const_cast<char*>("node"), const_cast<char*>(script.c_str()), const_cast<char*>(dir.c_str()),
                        const_cast<char*>(text.c_str()), nullptr};
        const int rc = posix_spawnp(&pid_, "node", &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        stdin_ = in[1];
        if (rc != 0) throw std::runtime_error("could not start node " + script);
        std::string line;
        char c;
        while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
        ::close(out[0]);
        if (line.empty()) throw std::runtime_error("oidc-provider did not start (npm ci installs it)");
        ready = json::parse(line);
    }
    ~NodeProvider() {
        ::close(stdin_);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        std::error_code ignored;
        std::filesystem::remove_all(work_, ignored);
    }
    json ready;  // {"issuer", "ca", "clients": {"service": {"id", "secret"}, "resource": {...}}}

private:
    std::filesystem::path work_;
    pid_t pid_ = -1;
    int stdin_ = -1;
};

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(size));
    return out;
}

// A loopback port nothing listens on (bound, then closed).
int closed_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
    ::close(s);
    return ntohs(a.sin_port);
}

class IntrospectionTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { op = new NodeProvider(); }
    static void TearDownTestSuite() {
        delete op;
        op = nullptr;
    }
    static inline NodeProvider* op = nullptr;

    std::string issuer() const { return op->ready["issuer"]; }
    fauth::oidc::FetchOptions fetch() const { return {.ca_file = op->ready["ca"].get<std::string>()}; }
    std::string client(const char* name, const char* field) const { return op->ready["clients"][name][field]; }

    // A client-credentials access token of the provider for `resource`.
    std::string token(const char* resource, const std::string& scope = "read") const {
        const auto answer =
            fauth::oidc::post_form(issuer() + "/token", "grant_type=client_credentials&scope=" + scope + "&resource=" + resource,
                                   {"Authorization: Basic " +
                                    base64(client("service", "id") + ":" + client("service", "secret"))},
                                   fetch());
        if (!answer.ok()) throw std::runtime_error("token request: " + answer.describe() + " " + answer.body);
        return json::parse(answer.body)["access_token"];
    }
    // Revokes `token` at the provider (RFC 7009), as the client it was issued to.
    void revoke(const std::string& token) const {
        const auto answer = fauth::oidc::post_form(issuer() + "/token/revocation", "token=" + token,
                                                   {"Authorization: Basic " +
                                                    base64(client("service", "id") + ":" + client("service", "secret"))},
                                                   fetch());
        ASSERT_TRUE(answer.ok()) << answer.describe() << " " << answer.body;
    }

    IntrospectionOptions options() const {
        return {.issuer = issuer(),
                .client_id = client("resource", "id"),
                .client_secret = client("resource", "secret"),
                .fetch = fetch()};
    }
    // An engine trusting the provider (RFC 9068 shape, audience kApi) with `introspection`.
    std::unique_ptr<fauth::Engine> engine(std::shared_ptr<Introspection> introspection,
                                          IntrospectedTokens which = IntrospectedTokens::opaque, std::size_t max_waits = 1024,
                                          const char* audience = kApi) {
        if (!ring) {
            ring = std::make_shared<JwksKeyRing>(JwksOptions{.issuer = issuer(), .rsa_algorithms = {"RS256"}, .fetch = fetch()});
            EXPECT_TRUE(ring->fetch_now());
        }
        auto trusted = TrustedIssuer::standard(issuer(), audience, ring);
        trusted.algorithms = {"ES256", "RS256"};
        trusted.introspection = std::move(introspection);
        trusted.introspected_tokens = which;
        fauth::AuthConfig config;
        config.tokens.issuers = {trusted};
        config.max_key_fetch_waits = max_waits;
        return std::make_unique<fauth::Engine>(config);
    }
    static fauth::Result<fauth::TokenPayload> verify(const fauth::Engine& e, const std::string& token) {
        auto outcome = e.verify(token, TokenType::access);
        if (outcome.ready()) return std::move(outcome.result());
        try {
            return fauth::test::await(std::move(outcome));
        } catch (const fauth::Error& error) {
            return error.failure();
        }
    }

    std::shared_ptr<JwksKeyRing> ring;
};

TEST_F(IntrospectionTest, AnOpaqueTokenIsReadFromTheIssuersAnswerAndCachedUntilAsked) {
    auto introspection = std::make_shared<Introspection>(options());
    auto e = engine(introspection);
    const auto opaque = token(kApi, "read write");
    ASSERT_EQ(opaque.find('.'), std::string::npos) << "an opaque token: " << opaque;

    const auto first = verify(*e, opaque);
    ASSERT_TRUE(first) << first.failure().log;
    EXPECT_EQ(first->sub, client("service", "id")) << "a client acting for itself: client_id stands for sub";
    EXPECT_EQ(first->iss, issuer());
    EXPECT_EQ(first->aud, std::vector<std::string>{kApi});
    EXPECT_EQ(first->scopes, (std::vector<std::string>{"read", "write"})) << "the standard shape reads the scope string";
    EXPECT_TRUE(first->external);
    EXPECT_EQ(first->extra.value("client_id", ""), client("service", "id"));
    EXPECT_GT(first->exp, fauth::unix_seconds());
    EXPECT_EQ(introspection->requests(), 1u);
    EXPECT_EQ(introspection->endpoint(), issuer() + "/token/introspection") << "found by discovery";

    // Asked again: the cache answers, at once (ready, on this thread), the endpoint is not asked.
    auto again = e->verify(opaque, TokenType::access);
    ASSERT_TRUE(again.ready());
    ASSERT_TRUE(again.result());
    EXPECT_EQ(again.result()->sub, first->sub);
    EXPECT_EQ(introspection->requests(), 1u);
    EXPECT_EQ(introspection->cache_size(), 1u);

    // Only as an access token: a trusted issuer's token is never a refresh token.
    auto refresh = e->verify(opaque, TokenType::refresh);
    ASSERT_TRUE(refresh.ready());
    EXPECT_FALSE(refresh.result());
}

TEST_F(IntrospectionTest, IssuersSharingOneIntrospectionEachCheckTheirOwnAudience) {
    // One Introspection (TrustedIssuer::introspection is a shared_ptr, copied with the issuer)
    // behind two policies: one for kApi, one for kOther.
    auto introspection = std::make_shared<Introspection>(options());
    auto for_api = engine(introspection);
    auto for_other = engine(introspection, IntrospectedTokens::opaque, 1024, kOther);

    // Both ask while one request is in flight: each reads the one answer with its own audience.
    const auto racing = token(kApi);
    auto api_first = for_api->verify(racing, TokenType::access);
    auto other_first = for_other->verify(racing, TokenType::access);
    const auto admitted = [](fauth::Outcome<fauth::TokenPayload> o) -> fauth::Result<fauth::TokenPayload> {
        if (o.ready()) return std::move(o.result());
        try {
            return fauth::test::await(std::move(o));
        } catch (const fauth::Error& error) {
            return error.failure();
        }
    };
    const auto api_answer = admitted(std::move(api_first));
    EXPECT_TRUE(api_answer) << api_answer.failure().log;
    const auto other_answer = admitted(std::move(other_first));
    ASSERT_FALSE(other_answer) << "a token for " << kApi << " admitted for " << kOther;
    EXPECT_NE(other_answer.failure().log.find("audience mismatch"), std::string::npos) << other_answer.failure().log;
    EXPECT_EQ(introspection->requests(), 1u) << "one request for both";

    // Cached as admitted for kApi: still refused for kOther, from the cache (nothing asked).
    const auto t = token(kApi);
    ASSERT_TRUE(verify(*for_api, t));
    auto cached = for_other->verify(t, TokenType::access);
    ASSERT_TRUE(cached.ready()) << "the cache answers";
    ASSERT_FALSE(cached.result());
    EXPECT_NE(cached.result().failure().log.find("audience mismatch"), std::string::npos) << cached.result().failure().log;
    EXPECT_TRUE(verify(*for_api, t)) << "and the cached answer still admits it for kApi";
    EXPECT_EQ(introspection->requests(), 2u);

    // The other way round: refused for kApi first, then admitted for kOther.
    const auto other = token(kOther);
    auto refused = verify(*for_api, other);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.failure().log.find("audience mismatch"), std::string::npos);
    EXPECT_TRUE(verify(*for_other, other));
    EXPECT_EQ(introspection->requests(), 3u);
}

TEST_F(IntrospectionTest, InactiveRevokedAndForeignTokensAreRefusedAndTheRefusalIsKeptBriefly) {
    auto introspection = std::make_shared<Introspection>(options());
    auto e = engine(introspection);

    const auto revoked = token(kApi);
    revoke(revoked);
    auto refused = verify(*e, revoked);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.failure().kind, fauth::ErrorKind::invalid_token);
    EXPECT_NE(refused.failure().log.find("token inactive"), std::string::npos) << refused.failure().log;
    EXPECT_EQ(introspection->requests(), 1u);
    // The negative answer is kept (10 s by default): the endpoint is not asked again.
    auto kept = e->verify(revoked, TokenType::access);
    ASSERT_TRUE(kept.ready());
    EXPECT_FALSE(kept.result());
    EXPECT_EQ(introspection->requests(), 1u);

    // A token the provider never issued.
    auto unknown = verify(*e, "not-a-token-the-provider-issued");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.failure().log.find("token inactive"), std::string::npos);

    // Active, but for another API: the audience check refuses it, as for a JWT.
    auto foreign = verify(*e, token(kOther));
    ASSERT_FALSE(foreign);
    EXPECT_EQ(foreign.failure().kind, fauth::ErrorKind::invalid_token);
    EXPECT_NE(foreign.failure().log.find("audience mismatch"), std::string::npos) << foreign.failure().log;
}

TEST_F(IntrospectionTest, ARevokedTokenIsRefusedOnceItsCachedAnswerExpires) {
    auto o = options();
    o.max_ttl = std::chrono::seconds(1);
    auto introspection = std::make_shared<Introspection>(o);
    auto e = engine(introspection);
    const auto t = token(kApi);
    ASSERT_TRUE(verify(*e, t));
    revoke(t);
    EXPECT_TRUE(verify(*e, t)) << "within max_ttl the cached answer stands";
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    auto refused = verify(*e, t);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.failure().log.find("token inactive"), std::string::npos);
    EXPECT_EQ(introspection->requests(), 2u);
}

TEST_F(IntrospectionTest, ManyRequestsForOneTokenMakeOneRequestAndEachGetsTheAnswerOnACallbackThread) {
    auto introspection = std::make_shared<Introspection>(options());
    auto e = engine(introspection);
    const auto t = token(kApi);
    constexpr int kRequests = 32;
    std::vector<fauth::Outcome<fauth::TokenPayload>> outcomes;
    for (int i = 0; i < kRequests; ++i) outcomes.push_back(e->verify(t, TokenType::access));
    std::vector<std::future<std::string>> names;
    for (auto& outcome : outcomes) {
        ASSERT_FALSE(outcome.ready()) << "nothing cached yet: every request waits";
        auto named = std::make_shared<std::promise<std::string>>();
        names.push_back(named->get_future());
        std::move(outcome).then([named](fauth::Result<fauth::TokenPayload> r) {
            char name[16] = {};
            ::pthread_getname_np(::pthread_self(), name, sizeof name);
            named->set_value(r ? std::string(name) : "failed: " + r.failure().log);
        });
    }
    for (auto& name : names) {
        ASSERT_EQ(name.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        EXPECT_EQ(name.get(), "fauth-callback");
    }
    EXPECT_EQ(introspection->requests(), 1u) << "one request in flight per token";
}

TEST_F(IntrospectionTest, WaitingRequestsAreBounded) {
    auto o = options();
    o.max_waiting = 2;
    o.threads = 1;
    auto introspection = std::make_shared<Introspection>(o);
    auto e = engine(introspection);
    const auto t1 = token(kApi), t2 = token(kApi), t3 = token(kApi), t4 = token(kApi), t5 = token(kApi);
    std::vector<fauth::Outcome<fauth::TokenPayload>> waiting;
    waiting.push_back(e->verify(t1, TokenType::access));
    waiting.push_back(e->verify(t2, TokenType::access));
    // The third is refused at once by the introspection (and handed to a callback thread, as
    // every answer of it is).
    auto third = verify(*e, t3);
    ASSERT_FALSE(third);
    EXPECT_EQ(third.failure().kind, fauth::ErrorKind::unavailable);
    EXPECT_NE(third.failure().log.find("too many requests wait for token introspection"), std::string::npos);
    for (auto& w : waiting) EXPECT_TRUE(fauth::test::await(std::move(w)).external);

    // The engine's own bound (max_key_fetch_waits) holds too.
    auto bounded = engine(std::make_shared<Introspection>(options()), IntrospectedTokens::opaque, 1);
    auto one = bounded->verify(t4, TokenType::access);
    auto two = bounded->verify(t5, TokenType::access);
    ASSERT_TRUE(two.ready());
    EXPECT_EQ(two.result().failure().kind, fauth::ErrorKind::unavailable);
    EXPECT_TRUE(fauth::test::await(std::move(one)).external);
}

TEST_F(IntrospectionTest, AnEndpointThatCannotAnswerFailsClosedWithRetryAfter) {
    // Nothing listens there.
    auto o = options();
    o.endpoint = "https://127.0.0.1:" + std::to_string(closed_port()) + "/token/introspection";
    o.retry_after = std::chrono::seconds(7);
    auto down = std::make_shared<Introspection>(o);
    auto e = engine(down);
    auto refused = verify(*e, token(kApi));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.failure().kind, fauth::ErrorKind::unavailable);
    EXPECT_EQ(refused.failure().retry_after, std::chrono::seconds(7));
    EXPECT_EQ(down->cache_size(), 0u) << "a failure to ask is never kept";

    // The endpoint answers, but refuses this service's credentials: not the token's fault either.
    auto wrong = options();
    wrong.client_secret = "not-the-secret";
    auto e2 = engine(std::make_shared<Introspection>(wrong));
    auto unauthorized = verify(*e2, token(kApi));
    ASSERT_FALSE(unauthorized);
    EXPECT_EQ(unauthorized.failure().kind, fauth::ErrorKind::unavailable) << unauthorized.failure().log;
}

TEST_F(IntrospectionTest, ClientSecretPostSendsTheCredentialsInTheForm) {
    // No Authorization header then: only the form's client_id and client_secret authenticate
    // (a wrong secret there is refused, so the form is what the endpoint checked).
    auto o = options();
    o.authentication = fauth::oidc::ClientAuthentication::client_secret_post;
    auto e = engine(std::make_shared<Introspection>(o));
    const auto accepted = verify(*e, token(kApi));
    EXPECT_TRUE(accepted) << accepted.failure().log;
    o.client_secret = "not-the-secret";
    auto e2 = engine(std::make_shared<Introspection>(o));
    auto refused = verify(*e2, token(kApi));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.failure().kind, fauth::ErrorKind::unavailable);
    EXPECT_NE(refused.failure().log.find("answered 401"), std::string::npos) << refused.failure().log;
}

TEST_F(IntrospectionTest, SignedAnswersAreVerifiedWithTheIssuersKeys) {
    auto o = options();
    o.jwt_response = true;
    auto introspection = std::make_shared<Introspection>(o);
    auto e = engine(introspection);
    const auto good = verify(*e, token(kApi, "read write"));
    ASSERT_TRUE(good) << good.failure().log;
    EXPECT_EQ(good->scopes, (std::vector<std::string>{"read", "write"}));
    const auto revoked = token(kApi);
    revoke(revoked);
    auto refused = verify(*e, revoked);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.failure().log.find("token inactive"), std::string::npos) << refused.failure().log;

    // Signed answers checked with keys that are not the issuer's: refused, and not as the token's fault.
    auto other = std::make_shared<fauth::KeyRing>();
    auto trusted = TrustedIssuer::standard(issuer(), kApi, other);
    trusted.algorithms = {"ES256"};
    trusted.introspection = std::make_shared<Introspection>(o);
    fauth::AuthConfig config;
    config.tokens.issuers = {trusted};
    fauth::Engine wrong_keys(config);
    auto unverified = verify(wrong_keys, token(kApi));
    ASSERT_FALSE(unverified);
    EXPECT_EQ(unverified.failure().kind, fauth::ErrorKind::unavailable);
    EXPECT_NE(unverified.failure().log.find("does not verify"), std::string::npos) << unverified.failure().log;
}

TEST_F(IntrospectionTest, JwtsAreVerifiedWithKeysUnlessEveryTokenIsIntrospected) {
    const auto jwt = token(kJwt);
    ASSERT_EQ(std::count(jwt.begin(), jwt.end(), '.'), 2);
    // Its audience is kJwt, not kApi: the keys verify it, and the audience check refuses it.
    auto introspection = std::make_shared<Introspection>(options());
    auto opaque_only = engine(introspection);
    auto local = verify(*opaque_only, jwt);
    ASSERT_FALSE(local);
    EXPECT_NE(local.failure().log.find("audience mismatch"), std::string::npos) << local.failure().log;
    EXPECT_EQ(introspection->requests(), 0u) << "a JWT is verified with the keys";

    // Every token introspected: the endpoint decides (oidc-provider does not introspect the JWT
    // access tokens it signs: to it they are inactive).
    auto all = std::make_shared<Introspection>(options());
    auto every = engine(all, IntrospectedTokens::all);
    auto asked = verify(*every, jwt);
    ASSERT_FALSE(asked);
    EXPECT_NE(asked.failure().log.find("token inactive"), std::string::npos) << asked.failure().log;
    EXPECT_EQ(all->requests(), 1u) << "every token of the issuer is asked about";
    // An opaque token still goes there too.
    EXPECT_TRUE(verify(*every, token(kApi)));
    EXPECT_EQ(all->requests(), 2u);
    // A JWT naming another issuer is not this issuer's to answer for: verified here (and refused).
    EXPECT_EQ(every->codec().verifier().introspected_by(
                  "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2Vsc2V3aGVyZS5leGFtcGxlIn0.c2ln"),
              nullptr);
    EXPECT_NE(every->codec().verifier().introspected_by(jwt), nullptr);
}

TEST_F(IntrospectionTest, EveryTokenIntrospectedStillRequiresAtJwtBeforeAsking) {
    // A JWT of the issuer whose header says typ JWT (an ID token for this API, say): the standard
    // shape requires at+jwt (RFC 9068 section 4), so it is refused here, never asked about.
    const auto jws = [&](const json& header) {
        return fauth::base64url_encode(header.dump()) + "." +
               fauth::base64url_encode(json{{"iss", issuer()}, {"aud", kApi}, {"sub", "someone"}}.dump()) + ".c2ln";
    };
    auto all = std::make_shared<Introspection>(options());
    auto every = engine(all, IntrospectedTokens::all);
    for (const auto& header : {json{{"alg", "RS256"}, {"typ", "JWT"}}, json{{"alg", "RS256"}}}) {
        auto refused = verify(*every, jws(header));
        ASSERT_FALSE(refused) << header.dump();
        EXPECT_EQ(refused.failure().kind, fauth::ErrorKind::invalid_token);
        EXPECT_NE(refused.failure().log.find("at+jwt"), std::string::npos) << refused.failure().log;
    }
    EXPECT_EQ(all->requests(), 0u) << "a JWT without typ at+jwt is never sent to the endpoint";
    EXPECT_NE(every->codec().verifier().introspected_by(jws({{"alg", "RS256"}, {"typ", "at+jwt"}})), nullptr);
}

TEST_F(IntrospectionTest, ReadingAnAnswerKeepsTheDpopBinding) {
    // RFC 9449 section 6.2: a DPoP-bound token's answer has token_type DPoP and cnf.jkt; the
    // binding (cnf) is what the DPoP check reads.
    const std::shared_ptr<const fauth::IssuerPolicy> policy =
        TrustedIssuer::standard(issuer(), kApi, std::make_shared<fauth::KeyRing>());
    const auto p = fauth::read_introspection(*policy, json{{"active", true},
                                                           {"token_type", "DPoP"},
                                                           {"cnf", {{"jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}},
                                                           {"sub", "someone"},
                                                           {"aud", kApi},
                                                           {"exp", fauth::unix_seconds() + 60}});
    const auto* jkt = fauth::dpop_jkt(p);
    ASSERT_NE(jkt, nullptr);
    EXPECT_EQ(*jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
}

TEST_F(IntrospectionTest, OnlyB64TokensAreAskedAboutAndNeverThisServicesApiKeys) {
    auto o = options();
    o.max_entries = 2;
    auto introspection = std::make_shared<Introspection>(o);
    auto e = engine(introspection);

    // This service's own API key sent as a Bearer token by mistake: refused at once, not sent.
    const auto key = fauth::generate_api_key("fauth").key;
    auto mistaken = e->verify(key, TokenType::access);
    ASSERT_TRUE(mistaken.ready());
    ASSERT_FALSE(mistaken.result());
    EXPECT_EQ(mistaken.result().failure().kind, fauth::ErrorKind::invalid_token);
    EXPECT_EQ(mistaken.result().failure().log.find(key), std::string::npos) << "the key is not logged";
    // Not an RFC 6750 b64token, or larger than max_token_bytes: refused, not sent.
    for (const std::string& bad :
         std::vector<std::string>{"two words", "a%20b", "=abc", "tab\there", std::string(8 * 1024 + 1, 'a')}) {
        auto refused = verify(*e, bad);
        ASSERT_FALSE(refused) << bad;
        EXPECT_EQ(refused.failure().kind, fauth::ErrorKind::invalid_token) << bad;
    }
    EXPECT_EQ(introspection->requests(), 0u);
    EXPECT_EQ(introspection->cache_size(), 0u);

    // Tokens the endpoint refuses (inactive) never push an active token's answer out.
    const auto a = token(kApi), b = token(kApi);
    ASSERT_TRUE(verify(*e, a));
    ASSERT_TRUE(verify(*e, b));
    for (int i = 0; i < 4; ++i) EXPECT_FALSE(verify(*e, "never-issued-" + std::to_string(i)));
    EXPECT_EQ(introspection->requests(), 6u);
    EXPECT_EQ(introspection->cache_size(), 4u) << "two active answers, and the last two inactive ones";
    ASSERT_TRUE(verify(*e, a));
    ASSERT_TRUE(verify(*e, b));
    EXPECT_EQ(introspection->requests(), 6u) << "both active answers stayed";
}

TEST_F(IntrospectionTest, TheCacheIsBoundedAndLetsTheLeastRecentlyUsedGo) {
    auto o = options();
    o.max_entries = 2;
    auto introspection = std::make_shared<Introspection>(o);
    auto e = engine(introspection);
    const auto a = token(kApi), b = token(kApi), c = token(kApi);
    ASSERT_TRUE(verify(*e, a));
    ASSERT_TRUE(verify(*e, b));
    ASSERT_TRUE(verify(*e, a));  // a is the most recently used: b goes next
    EXPECT_EQ(introspection->requests(), 2u);
    ASSERT_TRUE(verify(*e, c));
    EXPECT_EQ(introspection->cache_size(), 2u);
    ASSERT_TRUE(verify(*e, a));
    EXPECT_EQ(introspection->requests(), 3u) << "a stayed";
    ASSERT_TRUE(verify(*e, b));
    EXPECT_EQ(introspection->requests(), 4u) << "b was let go";
}

TEST_F(IntrospectionTest, TheConfigurationIsCheckedBeforeAnythingIsFetched) {
    EXPECT_THROW(Introspection({.issuer = issuer(), .client_id = "x", .fetch = fetch()}), fauth::ConfigError)
        << "no client secret";
    EXPECT_THROW(Introspection({.client_id = "x", .client_secret = "y"}), fauth::ConfigError) << "no endpoint nor issuer";
    EXPECT_THROW(Introspection({.endpoint = "http://op.example.com/introspect", .client_id = "x", .client_secret = "y"}),
                 fauth::ConfigError)
        << "plain http to another host";
    EXPECT_THROW(Introspection({.endpoint = issuer(), .client_id = "x", .client_secret = "y", .max_entries = 0}),
                 fauth::ConfigError);

    auto introspection = std::make_shared<Introspection>(options());
    auto keys = std::make_shared<fauth::KeyRing>();
    auto first = TrustedIssuer::standard(issuer(), kApi, keys);
    first.introspection = introspection;
    auto second = TrustedIssuer::standard("https://second.example.com", kApi, keys);
    second.introspection = std::make_shared<Introspection>(
        IntrospectionOptions{.endpoint = "https://second.example.com/introspect", .client_id = "x", .client_secret = "y"});
    fauth::AuthConfig two;
    two.tokens.issuers = {first, second};
    EXPECT_THROW(fauth::Engine{two}, fauth::ConfigError) << "an opaque token names no issuer: one introspects at most";

    auto misdirected = TrustedIssuer::standard("https://second.example.com", kApi, keys);
    misdirected.introspection = introspection;  // discovers the provider's endpoint, not this issuer's
    fauth::AuthConfig mixed;
    mixed.tokens.issuers = {misdirected};
    EXPECT_THROW(fauth::Engine{mixed}, fauth::ConfigError);
    EXPECT_EQ(introspection->requests(), 0u);
}

}  // namespace
