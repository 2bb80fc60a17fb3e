// oidc::RelyingParty against a real OpenID provider no one here wrote: panva's oidc-provider
// (tests/support/oidc_provider.mjs, over HTTPS with a CA made for the run), whose development
// login and consent pages the helper drives (POST /test/code) to hand back the code a browser would
// bring. Providers whose metadata is wrong, or that never answer, are small HTTP servers on
// loopback (tests/support/fake_http_server.hpp). One process starts one provider for every case (WHOLE).
#include "fauth/oidc/relying_party.hpp"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fauth/core/errors.hpp>
#include <fauth/core/keys.hpp>
#include <fauth/oidc/fetch.hpp>
#include <fauth/oidc/login.hpp>

#include "support/fake_http_server.hpp"

extern char** environ;

namespace {

using fauth::ConfigError;
using fauth::ErrorKind;
using fauth::Key;
using fauth::Result;
using fauth::oidc::LoginState;
using fauth::oidc::RelyingParty;
using fauth::oidc::RelyingPartyOptions;
using fauth::oidc::SignedIn;
using fauth::oidc::TokenEndpointAuth;
using fauth::test::FakeServer;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kRedirect = "https://rp.fauth.test/auth/op/callback";
constexpr const char* kPostLogout = "https://rp.fauth.test/signed-out";

// `node tests/support/oidc_provider.mjs DIR OPTIONS` (node found on PATH): runs until its
// standard input closes.
class NodeProvider {
public:
    explicit NodeProvider(const json& options) {
        work_ = std::filesystem::temp_directory_path() / ("fauth-rp-op-" + std::to_string(::getpid()));
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
        if (rc != 0) {
            ::close(out[0]);
            ::close(stdin_);
            throw std::runtime_error("could not start node " + script);
        }
        std::string line;
        char c;
        while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
        ::close(out[0]);
        if (line.empty()) throw std::runtime_error("oidc-provider did not start (npm ci installs it)");
        ready = json::parse(line);
    }
    ~NodeProvider() {
        ::close(stdin_);  // the helper stops when its input closes
        int status = 0;
        ::waitpid(pid_, &status, 0);
        std::error_code ignored;
        std::filesystem::remove_all(work_, ignored);
    }
    NodeProvider(const NodeProvider&) = delete;
    NodeProvider& operator=(const NodeProvider&) = delete;

    json ready;  // {"issuer", "ca", "clients": {"login": {"id", "secret"}, "login-pkjwt": {"id"}, ...}}

private:
    std::filesystem::path work_;
    pid_t pid_ = -1;
    int stdin_ = -1;
};

// What an RP logged.
struct Logs {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::string all() {
        std::lock_guard lock(mutex);
        std::string out;
        for (const auto& line : lines) out += line + "\n";
        return out;
    }
};

fauth::LogSink sink(const std::shared_ptr<Logs>& logs) {
    return [logs](std::string_view line) {
        std::lock_guard lock(logs->mutex);
        logs->lines.emplace_back(line);
    };
}

int hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

std::string decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// The query of `url` as a list of decoded (name, value) pairs, in order.
std::vector<std::pair<std::string, std::string>> query_of(const std::string& url) {
    std::vector<std::pair<std::string, std::string>> out;
    const auto q = url.find('?');
    if (q == std::string::npos) return out;
    std::string_view rest(url);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto part = rest.substr(0, amp);
        const auto eq = part.find('=');
        out.emplace_back(decoded(part.substr(0, eq)), eq == std::string_view::npos ? "" : decoded(part.substr(eq + 1)));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return out;
}

std::optional<std::string> param(const std::string& url, const std::string& name) {
    for (const auto& [n, v] : query_of(url))
        if (n == name) return v;
    return std::nullopt;
}

// `done` of a request: how many times it ran, and what it got the first time.
template <class T>
struct Answer {
    std::mutex mutex;
    std::condition_variable cv;
    int calls = 0;
    std::thread::id thread;
    std::optional<Result<T>> result;

    std::function<void(Result<T>)> callback() {
        return [this](Result<T> r) {
            std::lock_guard lock(mutex);
            if (++calls == 1) {
                result.emplace(std::move(r));
                thread = std::this_thread::get_id();
            }
            cv.notify_all();
        };
    }
    bool wait(std::chrono::milliseconds limit = 15s) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, limit, [&] { return calls > 0; });
    }
};

// A metadata document for an issuer served by `server` (valid unless changed).
json fake_metadata(const FakeServer& server) {
    return {{"issuer", server.url()},
            {"authorization_endpoint", server.url("/authorize")},
            {"token_endpoint", server.url("/token")},
            {"jwks_uri", server.url("/jwks")},
            {"response_types_supported", {"code"}},
            {"code_challenge_methods_supported", {"plain", "S256"}}};
}

class RelyingPartyTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        pkjwt_key = new Key(Key::generate("ES256", "k1"));
        op = new NodeProvider({{"login", {{"redirectUri", kRedirect}, {"postLogoutRedirectUri", kPostLogout}}},
                               {"pkjwtJwk", pkjwt_key->public_jwk()},
                               {"testCodes", true}});
    }
    static void TearDownTestSuite() {
        delete op;
        op = nullptr;
        delete pkjwt_key;
        pkjwt_key = nullptr;
    }
    static inline NodeProvider* op = nullptr;
    static inline Key* pkjwt_key = nullptr;

    static std::string issuer() { return op->ready["issuer"]; }
    static fauth::oidc::FetchOptions fetch() { return {.ca_file = op->ready["ca"].get<std::string>()}; }

    // The provider's `login` client, with client_secret_basic.
    RelyingPartyOptions options() const {
        RelyingPartyOptions o;
        o.name = "op";
        o.issuer = issuer();
        o.client_id = op->ready["clients"]["login"]["id"];
        o.client_secret = op->ready["clients"]["login"]["secret"];
        o.redirect_uri = kRedirect;
        o.post_logout_redirect_uri = kPostLogout;
        o.fetch = fetch();
        o.log = sink(logs);
        return o;
    }
    // The provider's `login-pkjwt` client: private_key_jwt with pkjwt_key.
    RelyingPartyOptions pkjwt_options() const {
        auto o = options();
        o.client_id = op->ready["clients"]["login-pkjwt"]["id"];
        o.client_secret.clear();
        o.authentication = TokenEndpointAuth::private_key_jwt;
        o.signing_key = *pkjwt_key;
        return o;
    }
    // Options for an issuer served by `server` over loopback http.
    RelyingPartyOptions fake_options(const FakeServer& server) const {
        RelyingPartyOptions o;
        o.name = "fake";
        o.issuer = server.url();
        o.client_id = "rp";
        o.client_secret = "a secret";
        o.redirect_uri = kRedirect;
        o.fetch.connect_timeout = 2s;
        o.fetch.timeout = 3s;
        o.log = sink(logs);
        return o;
    }

    // The redirect (with the code) that the provider sends a browser back with once `login` has
    // signed in and consented for `authorize`.
    static std::string callback_for(const std::string& authorize, const std::string& login = "bob@example.com") {
        const json request{{"authorize_url", authorize}, {"login", login}};
        const auto answer = fauth::oidc::post_form(issuer() + "/test/code", request.dump(), {}, fetch());
        if (!answer.ok()) throw std::runtime_error("/test/code: " + answer.describe() + " " + answer.body);
        return json::parse(answer.body)["callback"];
    }

    static Result<SignedIn> redeem(RelyingParty& rp, const std::string& code, const LoginState& login) {
        Answer<SignedIn> answer;
        rp.redeem(code, login, answer.callback());
        if (!answer.wait()) throw std::runtime_error("redeem: no answer in 15 s");
        std::lock_guard lock(answer.mutex);
        EXPECT_EQ(answer.calls, 1);
        return std::move(*answer.result);
    }

    // A sign-in at the provider with `rp`: started, signed in as `login`, its code redeemed.
    struct Flow {
        LoginState login;
        std::string callback;
        Result<SignedIn> signed_in;
    };
    static Flow sign_in(RelyingParty& rp, const std::string& login = "bob@example.com") {
        auto started = rp.start("/notes?x=1");
        if (!started) throw std::runtime_error("start: " + started.failure().log);
        auto [state, url] = std::move(*started);
        const auto callback = callback_for(url, login);
        EXPECT_EQ(param(callback, "state"), state.state);
        auto signed_in = redeem(rp, param(callback, "code").value_or(""), state);
        return {std::move(state), callback, std::move(signed_in)};
    }

    std::shared_ptr<Logs> logs = std::make_shared<Logs>();
};

// ---- 1. Options ----------------------------------------------------------------------------

TEST_F(RelyingPartyTest, OptionsThatCannotWorkAreRefusedWithConfigError) {
    const auto base = [&] {
        auto o = options();
        o.issuer = "https://op.fauth.test";
        return o;
    };
    EXPECT_NO_THROW(RelyingParty{base()});  // the base is valid: each change below is what is refused
    {
        auto o = base();
        o.authentication = TokenEndpointAuth::private_key_jwt;
        o.client_secret.clear();
        o.signing_key = *pkjwt_key;
        EXPECT_NO_THROW(RelyingParty{o});
    }
    const auto refused = [&](const char* what, const std::function<void(RelyingPartyOptions&)>& change, const char* says) {
        auto o = base();
        change(o);
        try {
            RelyingParty rp(std::move(o));
            ADD_FAILURE() << what << ": accepted";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << what << ": " << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << what << ": not a ConfigError: " << e.what();
        }
    };
    refused(
        "empty name", [](auto& o) { o.name.clear(); }, "RelyingPartyOptions");
    refused(
        "name with a slash", [](auto& o) { o.name = "op/x"; }, "RelyingPartyOptions");
    refused(
        "name with a space", [](auto& o) { o.name = "o p"; }, "RelyingPartyOptions");
    refused(
        "name too long", [](auto& o) { o.name = std::string(65, 'a'); }, "RelyingPartyOptions");
    refused(
        "empty issuer", [](auto& o) { o.issuer.clear(); }, "issuer, client_id and redirect_uri are required");
    refused(
        "empty client_id", [](auto& o) { o.client_id.clear(); }, "issuer, client_id and redirect_uri are required");
    refused(
        "empty redirect_uri", [](auto& o) { o.redirect_uri.clear(); }, "issuer, client_id and redirect_uri are required");
    refused(
        "http issuer not loopback", [](auto& o) { o.issuer = "http://op.fauth.test"; }, "'op'.issuer");
    refused(
        "http redirect_uri not loopback", [](auto& o) { o.redirect_uri = "http://rp.fauth.test/cb"; }, "'op'.redirect_uri");
    refused(
        "a secret with none", [](auto& o) { o.authentication = TokenEndpointAuth::none; },
        "client_secret is never sent with this authentication");
    refused(
        "no secret with client_secret_basic", [](auto& o) { o.client_secret.clear(); }, "client_secret is required");
    refused(
        "no secret with client_secret_post",
        [](auto& o) {
            o.authentication = TokenEndpointAuth::client_secret_post;
            o.client_secret.clear();
        },
        "client_secret is required");
    refused(
        "private_key_jwt without a key",
        [](auto& o) {
            o.authentication = TokenEndpointAuth::private_key_jwt;
            o.client_secret.clear();
        },
        "private_key_jwt needs a private signing_key");
    refused(
        "private_key_jwt with an HMAC key",
        [](auto& o) {
            o.authentication = TokenEndpointAuth::private_key_jwt;
            o.client_secret.clear();
            o.signing_key = Key::hmac("HS256", std::string(32, 'k'), "h");
        },
        "private_key_jwt needs a private signing_key");
    refused(
        "private_key_jwt with a public key",
        [](auto& o) {
            o.authentication = TokenEndpointAuth::private_key_jwt;
            o.client_secret.clear();
            o.signing_key = Key::from_jwk(pkjwt_key->public_jwk(), "ES256");
        },
        "private_key_jwt needs a private signing_key");
    refused(
        "a signing key with a secret", [](auto& o) { o.signing_key = *pkjwt_key; },
        "signing_key is used only with private_key_jwt");
    refused(
        "no ID token algorithm", [](auto& o) { o.id_token_algorithms.clear(); }, "id_token_algorithms is empty");
    refused(
        "HS256 for ID tokens",
        [](auto& o) {
            o.id_token_algorithms = {"RS256", "HS256"};
        },
        "HS256 is not accepted");
    refused(
        "none for ID tokens", [](auto& o) { o.id_token_algorithms = {"none"}; }, "none is not accepted");
    refused(
        "a reserved parameter",
        [](auto& o) {
            o.authorization_parameters = {{"state", "x"}};
        },
        "");
    refused(
        "response_mode",
        [](auto& o) {
            o.authorization_parameters = {{"response_mode", "fragment"}};
        },
        "");
    refused(
        "negative max_age", [](auto& o) { o.max_age = std::chrono::seconds(-1); }, "max_age is negative");
    refused(
        "max_waiting 0", [](auto& o) { o.max_waiting = 0; }, "must be positive");
    refused(
        "login_lifetime over an hour", [](auto& o) { o.login_lifetime = 2h; }, "RelyingPartyOptions");
}

// ---- 2. start() --------------------------------------------------------------------------------

TEST_F(RelyingPartyTest, StartBeforeDiscoveryIsUnavailableAndDiscoversInTheBackground) {
    RelyingParty rp(options());
    EXPECT_FALSE(rp.metadata());
    const auto early = rp.start("/notes");
    ASSERT_FALSE(early);
    EXPECT_EQ(early.failure().kind, ErrorKind::unavailable);
    EXPECT_EQ(early.failure().detail, "Sign-in provider unavailable");
    EXPECT_EQ(early.failure().retry_after, 5s);
    // Before discovery, no redemption is even queued.
    Answer<SignedIn> answer;
    rp.redeem("a-code", fauth::oidc::new_login_state("op", "/", 0), answer.callback());
    EXPECT_EQ(answer.calls, 1);
    EXPECT_EQ(answer.thread, std::this_thread::get_id());
    ASSERT_TRUE(answer.result && !*answer.result);
    EXPECT_EQ(answer.result->failure().kind, ErrorKind::unavailable);
    // The refused start asked the RP's thread to discover.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!rp.metadata() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(rp.metadata()) << logs->all();
    EXPECT_EQ(rp.metadata()->issuer, issuer());
    EXPECT_EQ(rp.metadata()->authorization_endpoint, issuer() + "/auth");
    EXPECT_EQ(rp.metadata()->token_endpoint, issuer() + "/token");
    EXPECT_EQ(rp.metadata()->end_session_endpoint, issuer() + "/session/end");
    EXPECT_TRUE(rp.metadata()->sends_issuer_parameter);
}

TEST_F(RelyingPartyTest, StartMakesTheAuthorizationRequest) {
    auto o = options();
    o.max_age = 300s;
    o.authorization_parameters = {{"prompt", "login"}};
    RelyingParty rp(std::move(o));
    ASSERT_TRUE(rp.discover_now()) << logs->all();
    const auto before =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto started = rp.start("/notes?x=1");
    ASSERT_TRUE(started) << started.failure().log;
    const auto& [login, url] = *started;
    EXPECT_EQ(login.provider, "op");
    EXPECT_EQ(login.return_to, "/notes?x=1");
    EXPECT_GE(login.expires_at, before + 600);
    EXPECT_LE(login.expires_at, before + 602);
    EXPECT_EQ(url.rfind(issuer() + "/auth?", 0), 0u) << url;
    const std::vector<std::pair<std::string, std::string>> expected{
        {"response_type", "code"},
        {"client_id", "fauth-login"},
        {"redirect_uri", kRedirect},
        {"scope", "openid email profile"},
        {"state", login.state},
        {"nonce", login.nonce},
        {"code_challenge", fauth::oidc::pkce_challenge(login.code_verifier)},
        {"code_challenge_method", "S256"},
        {"prompt", "login"},
        {"max_age", "300"},
    };
    EXPECT_EQ(query_of(url), expected) << url;
    EXPECT_EQ(login.code_verifier.size(), 43u);
    // Each start is a new sign-in; a return path that leaves the service becomes "/".
    const auto other = rp.start("https://evil.example/");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->first.return_to, "/");
    EXPECT_NE(other->first.state, login.state);
    EXPECT_NE(other->first.nonce, login.nonce);
    EXPECT_NE(other->first.code_verifier, login.code_verifier);
    // Without max_age, none is sent.
    RelyingParty plain(options());
    ASSERT_TRUE(plain.discover_now());
    const auto without = plain.start("/");
    ASSERT_TRUE(without);
    EXPECT_EQ(param(without->second, "max_age"), std::nullopt);
    EXPECT_EQ(param(without->second, "scope"), "openid email profile");
}

TEST_F(RelyingPartyTest, MaxAgeIsNotAlsoAnExtraParameter) {
    // options.max_age is what the ID token's auth_time is checked against; a max_age among the
    // extra parameters is sent as well (twice with options.max_age, which RFC 6749 section 3.1
    // forbids), and alone it is never checked.
    auto o = options();
    o.max_age = 300s;
    o.authorization_parameters = {{"max_age", "60"}};
    EXPECT_THROW(RelyingParty{o}, ConfigError);
    o.max_age.reset();
    EXPECT_THROW(RelyingParty{o}, ConfigError);
}

// ---- 3. Discovery refusals ---------------------------------------------------------------------

TEST_F(RelyingPartyTest, DiscoveryOfAValidFakeProviderSucceeds) {
    FakeServer server;
    server.set("/.well-known/openid-configuration", fake_metadata(server));
    server.set("/jwks", {{"keys", {Key::generate("ES256", "fake").public_jwk()}}});
    RelyingParty rp(fake_options(server));
    EXPECT_TRUE(rp.discover_now()) << logs->all();
    ASSERT_TRUE(rp.metadata());
    EXPECT_EQ(rp.metadata()->end_session_endpoint, "");
    EXPECT_FALSE(rp.metadata()->sends_issuer_parameter);
    EXPECT_TRUE(rp.start("/"));
}

TEST_F(RelyingPartyTest, DiscoveryRefusesMetadataThatIsWrong) {
    FakeServer server;
    server.set("/jwks", {{"keys", {Key::generate("ES256", "fake").public_jwk()}}});
    const auto refused = [&](const char* what, const std::function<void(json&)>& change, const std::string& logged) {
        SCOPED_TRACE(what);
        auto document = fake_metadata(server);
        change(document);
        server.set("/.well-known/openid-configuration", document);
        logs = std::make_shared<Logs>();
        RelyingParty rp(fake_options(server));
        EXPECT_FALSE(rp.discover_now(5s));
        EXPECT_FALSE(rp.metadata());
        const auto started = rp.start("/");
        ASSERT_FALSE(started);
        EXPECT_EQ(started.failure().kind, ErrorKind::unavailable);
        EXPECT_NE(logs->all().find(logged), std::string::npos) << logs->all();
        EXPECT_EQ(rp.end_session_url("hint"), std::nullopt);
    };
    refused(
        "another issuer", [&](json& d) { d["issuer"] = server.url() + "/"; }, "does not name the issuer");
    refused(
        "no issuer", [&](json& d) { d.erase("issuer"); }, "does not name the issuer");
    refused(
        "no PKCE methods", [&](json& d) { d.erase("code_challenge_methods_supported"); },
        "code_challenge_methods_supported does not list S256; refused");
    refused(
        "plain PKCE only", [&](json& d) { d["code_challenge_methods_supported"] = {"plain"}; },
        "code_challenge_methods_supported does not list S256; refused");
    refused(
        "S256 as a string", [&](json& d) { d["code_challenge_methods_supported"] = "S256"; },
        "code_challenge_methods_supported does not list S256; refused");
    refused(
        "no code response type",
        [&](json& d) {
            d["response_types_supported"] = {"id_token", "code id_token"};
        },
        "response_types_supported does not list code; refused");
    refused(
        "no response types", [&](json& d) { d.erase("response_types_supported"); },
        "response_types_supported does not list code; refused");
    refused(
        "no token endpoint", [&](json& d) { d.erase("token_endpoint"); }, "token_endpoint refused: missing");
    refused(
        "no authorization endpoint", [&](json& d) { d.erase("authorization_endpoint"); },
        "authorization_endpoint refused: missing");
    refused(
        "a token endpoint over http elsewhere", [&](json& d) { d["token_endpoint"] = "http://op.fauth.test/token"; },
        "token_endpoint refused");
    refused(
        "an end-session endpoint over http elsewhere",
        [&](json& d) { d["end_session_endpoint"] = "http://op.fauth.test/logout"; }, "end_session_endpoint refused");
    refused(
        "not an object", [&](json& d) { d = json::array({d}); }, "does not name the issuer");
}

// ---- 4. RFC 9207 iss ---------------------------------------------------------------------------

TEST_F(RelyingPartyTest, IssuerParameterOfTheAuthorizationResponse) {
    RelyingParty rp(options());
    ASSERT_TRUE(rp.discover_now()) << logs->all();
    EXPECT_TRUE(rp.check_issuer_parameter(issuer()));
    const auto other = rp.check_issuer_parameter(std::string("https://evil.example"));
    ASSERT_FALSE(other);
    EXPECT_EQ(other.failure().kind, ErrorKind::bad_request);
    EXPECT_EQ(other.failure().detail, "The sign-in could not be completed");
    EXPECT_NE(other.failure().log.find("\"https://evil.example\""), std::string::npos) << other.failure().log;
    const auto slash = rp.check_issuer_parameter(issuer() + "/");
    ASSERT_FALSE(slash);
    EXPECT_EQ(slash.failure().kind, ErrorKind::bad_request);
    // oidc-provider says it sends iss (authorization_response_iss_parameter_supported): an answer
    // without it is not its own.
    const auto absent = rp.check_issuer_parameter(std::nullopt);
    ASSERT_FALSE(absent);
    EXPECT_EQ(absent.failure().kind, ErrorKind::bad_request);
    EXPECT_EQ(absent.failure().detail, "The sign-in could not be completed");

    // A provider that does not say so: an answer without iss is accepted, another issuer is not.
    FakeServer server;
    server.set("/.well-known/openid-configuration", fake_metadata(server));
    server.set("/jwks", {{"keys", {Key::generate("ES256", "fake").public_jwk()}}});
    RelyingParty quiet(fake_options(server));
    ASSERT_TRUE(quiet.discover_now()) << logs->all();
    EXPECT_TRUE(quiet.check_issuer_parameter(std::nullopt));
    EXPECT_TRUE(quiet.check_issuer_parameter(server.url()));
    const auto mixed = quiet.check_issuer_parameter(issuer());
    ASSERT_FALSE(mixed);
    EXPECT_EQ(mixed.failure().kind, ErrorKind::bad_request);
}

// ---- 5. redeem() -------------------------------------------------------------------------------

TEST_F(RelyingPartyTest, RedeemsACodeWithClientSecretBasicOnce) {
    auto o = options();
    o.max_age = 300s;  // oidc-provider then sends auth_time, which is checked
    RelyingParty rp(std::move(o));
    ASSERT_TRUE(rp.discover_now()) << logs->all();
    auto flow = sign_in(rp, "bob@example.com");
    EXPECT_TRUE(rp.check_issuer_parameter(param(flow.callback, "iss")));
    ASSERT_TRUE(flow.signed_in) << flow.signed_in.failure().log;
    const auto& s = *flow.signed_in;
    EXPECT_EQ(s.id_token.issuer, issuer());
    EXPECT_EQ(s.id_token.subject, "bob@example.com");
    EXPECT_EQ(s.id_token.audiences, std::vector<std::string>{"fauth-login"});
    EXPECT_EQ(s.id_token.claims.value("email", ""), "bob@example.com");
    EXPECT_EQ(s.id_token.claims.value("nonce", ""), flow.login.nonce);
    EXPECT_TRUE(s.id_token.claims.contains("auth_time"));
    EXPECT_EQ(std::count(s.raw_id_token.begin(), s.raw_id_token.end(), '.'), 2);
    EXPECT_FALSE(s.access_token.empty());
    EXPECT_EQ(s.refresh_token, "");
    EXPECT_EQ(s.return_to, "/notes?x=1");
    const auto identity = s.identity();
    EXPECT_EQ(identity.issuer, issuer());
    EXPECT_EQ(identity.subject, "bob@example.com");
    EXPECT_EQ(identity.email, "bob@example.com");
    EXPECT_TRUE(identity.email_verified);
    EXPECT_EQ(identity.name, "bob");

    // The same code again: the provider refuses it (invalid_grant).
    const auto again = redeem(rp, param(flow.callback, "code").value(), flow.login);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.failure().kind, ErrorKind::bad_request);
    EXPECT_EQ(again.failure().detail, "The sign-in could not be completed");
    EXPECT_NE(again.failure().log.find("invalid_grant"), std::string::npos) << again.failure().log;
    // A code the provider never issued.
    const auto garbage = redeem(rp, "not-a-code-of-this-provider", flow.login);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.failure().kind, ErrorKind::bad_request);
    EXPECT_EQ(garbage.failure().detail, "The sign-in could not be completed");
    EXPECT_NE(garbage.failure().log.find("invalid_grant"), std::string::npos) << garbage.failure().log;
}

TEST_F(RelyingPartyTest, ACodeRedeemedWithAnotherSignInsVerifierIsRefused) {
    RelyingParty rp(options());
    ASSERT_TRUE(rp.discover_now()) << logs->all();
    const auto first = rp.start("/");
    const auto second = rp.start("/");
    ASSERT_TRUE(first && second);
    const auto callback = callback_for(first->second);
    // The other sign-in's verifier (PKCE) is refused by the provider.
    const auto refused = redeem(rp, param(callback, "code").value(), second->first);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.failure().kind, ErrorKind::bad_request);
    EXPECT_EQ(refused.failure().detail, "The sign-in could not be completed");
}

TEST_F(RelyingPartyTest, AnIdTokenForAnotherNonceIsRefused) {
    RelyingParty rp(options());
    ASSERT_TRUE(rp.discover_now()) << logs->all();
    const auto started = rp.start("/");
    ASSERT_TRUE(started);
    auto url = started->second;
    const auto at = url.find("&nonce=") + 7;
    url.replace(at, url.find('&', at) - at, "a-nonce-the-sign-in-never-made");
    const auto callback = callback_for(url);
    const auto refused = redeem(rp, param(callback, "code").value(), started->first);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.failure().kind, ErrorKind::bad_request);  // invalid_token made a sign-in failure
    EXPECT_EQ(refused.failure().detail, "Invalid ID token");
}

TEST_F(RelyingPartyTest, RedeemsACodeWithPrivateKeyJwt) {
    RelyingParty rp(pkjwt_options());
    ASSERT_TRUE(rp.discover_now()) << logs->all();
    const auto flow = sign_in(rp, "carol@example.com");
    // The provider took our client_assertion (it has only the public key): the client is authenticated.
    ASSERT_TRUE(flow.signed_in) << flow.signed_in.failure().log;
    EXPECT_EQ(flow.signed_in->id_token.subject, "carol@example.com");
    EXPECT_EQ(flow.signed_in->id_token.audiences, std::vector<std::string>{"fauth-login-pkjwt"});
    EXPECT_EQ(flow.signed_in->id_token.claims.value("email", ""), "carol@example.com");
    EXPECT_EQ(flow.signed_in->return_to, "/notes?x=1");

    // Signed with another key, the assertion is refused: the provider checks it.
    auto o = pkjwt_options();
    o.signing_key = Key::generate("ES256", "k1");
    RelyingParty impostor(std::move(o));
    ASSERT_TRUE(impostor.discover_now());
    const auto started = impostor.start("/");
    ASSERT_TRUE(started);
    const auto callback = callback_for(started->second, "carol@example.com");
    const auto refused = redeem(impostor, param(callback, "code").value(), started->first);
    ASSERT_FALSE(refused);
    // This service's credentials are wrong: not the user's sign-in to retry, a 500 to fix.
    EXPECT_EQ(refused.failure().kind, ErrorKind::internal);
    EXPECT_NE(refused.failure().log.find("invalid_client"), std::string::npos) << refused.failure().log;
}

// ---- 6. RP-initiated logout --------------------------------------------------------------------

TEST_F(RelyingPartyTest, EndSessionUrl) {
    RelyingParty rp(options());
    EXPECT_EQ(rp.end_session_url("a.b.c"), std::nullopt);  // before discovery
    ASSERT_TRUE(rp.discover_now()) << logs->all();
    EXPECT_EQ(rp.end_session_url("a b+c/d"), issuer() +
                                                 "/session/end?id_token_hint=a%20b%2Bc%2Fd&client_id=fauth-login"
                                                 "&post_logout_redirect_uri=https%3A%2F%2Frp.fauth.test%2Fsigned-out");
    EXPECT_EQ(rp.end_session_url(""),
              issuer() + "/session/end?client_id=fauth-login&post_logout_redirect_uri=https%3A%2F%2Frp.fauth.test%2Fsigned-out");
    auto o = options();
    o.post_logout_redirect_uri.clear();
    RelyingParty bare(std::move(o));
    ASSERT_TRUE(bare.discover_now());
    EXPECT_EQ(bare.end_session_url("h"), issuer() + "/session/end?id_token_hint=h&client_id=fauth-login");

    // The provider takes the URL with a real ID token: its page asks to confirm the logout.
    const auto flow = sign_in(rp, "dave@example.com");
    ASSERT_TRUE(flow.signed_in) << flow.signed_in.failure().log;
    const auto url = rp.end_session_url(flow.signed_in->raw_id_token);
    ASSERT_TRUE(url);
    EXPECT_EQ(param(*url, "id_token_hint"), flow.signed_in->raw_id_token);
    const auto page = fauth::oidc::fetch(*url, fetch());
    EXPECT_EQ(page.status, 200) << page.describe() << " " << page.body;

    // A provider without an end_session_endpoint: none.
    FakeServer server;
    server.set("/.well-known/openid-configuration", fake_metadata(server));
    server.set("/jwks", {{"keys", {Key::generate("ES256", "fake").public_jwk()}}});
    RelyingParty fake(fake_options(server));
    ASSERT_TRUE(fake.discover_now());
    EXPECT_EQ(fake.end_session_url("h"), std::nullopt);
}

// ---- 7. Stopping -------------------------------------------------------------------------------

TEST_F(RelyingPartyTest, DestructorAnswersEveryWaitingRedemptionUnavailable) {
    FakeServer server;
    FakeServer silent(false);  // the token endpoint: takes the request, never answers
    auto document = fake_metadata(server);
    document["token_endpoint"] = silent.url("/token");
    server.set("/.well-known/openid-configuration", document);
    server.set("/jwks", {{"keys", {Key::generate("ES256", "fake").public_jwk()}}});
    auto o = fake_options(server);
    o.max_waiting = 3;
    o.fetch.timeout = 10s;  // longer than the test waits: only the destructor ends the fetch
    auto rp = std::make_unique<RelyingParty>(std::move(o));
    ASSERT_TRUE(rp->discover_now()) << logs->all();

    std::vector<std::unique_ptr<Answer<SignedIn>>> answers;
    for (std::size_t i = 0; i < 5; ++i) answers.push_back(std::make_unique<Answer<SignedIn>>());
    const auto login = fauth::oidc::new_login_state("fake", "/", 0);
    rp->redeem("code-0", login, answers[0]->callback());
    ASSERT_TRUE(silent.connections(1, 5s));  // the first is under way at the token endpoint
    for (std::size_t i = 1; i <= 3; ++i) rp->redeem("code-" + std::to_string(i), login, answers[i]->callback());
    // Beyond max_waiting: answered at once, on this thread.
    rp->redeem("code-4", login, answers[4]->callback());
    {
        std::lock_guard lock(answers[4]->mutex);
        ASSERT_EQ(answers[4]->calls, 1);
        EXPECT_EQ(answers[4]->thread, std::this_thread::get_id());
        EXPECT_EQ(answers[4]->result->failure().kind, ErrorKind::unavailable);
        EXPECT_EQ(answers[4]->result->failure().log, "too many sign-ins wait for the provider");
    }
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(answers[i]->calls, 0) << i;

    const auto before = std::chrono::steady_clock::now();
    rp.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);  // the fetch under way was cancelled
    for (std::size_t i = 0; i < 5; ++i) {
        SCOPED_TRACE(i);
        std::lock_guard lock(answers[i]->mutex);
        ASSERT_EQ(answers[i]->calls, 1);
        ASSERT_TRUE(answers[i]->result);
        ASSERT_FALSE(*answers[i]->result);
        EXPECT_EQ(answers[i]->result->failure().kind, ErrorKind::unavailable);
        EXPECT_EQ(answers[i]->result->failure().detail, "Sign-in provider unavailable");
        EXPECT_EQ(answers[i]->result->failure().retry_after, 5s);
    }
    EXPECT_NE(answers[0]->result->failure().log.find("token endpoint: "), std::string::npos) << answers[0]->result->failure().log;
    for (std::size_t i = 1; i <= 3; ++i) EXPECT_EQ(answers[i]->result->failure().log, "the relying party stopped") << i;
    EXPECT_EQ(silent.connections(2, 0ms), false);  // nothing but the first reached the endpoint
}

}  // namespace
