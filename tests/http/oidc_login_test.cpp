// add_oidc_sign_in over real HTTP with two providers at once, "alpha" and "beta", each a small
// HTTP server on loopback (tests/support/fake_http_server.hpp) serving its discovery document and
// keys: every route answers for its own provider only, and a sign-in begun at one cannot finish at
// the other.
#include "fauth/http/oidc_login.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fauth/core/errors.hpp>
#include <fauth/core/keys.hpp>
#include <fauth/http.hpp>
#include <fauth/testing.hpp>

#include "support/fake_http_server.hpp"
#include "support/redis_server.hpp"  // free_port
#include "support/user.hpp"

namespace {

using fauth::ConfigError;
using fauth::oidc::RelyingParty;
using fauth::oidc::RelyingPartyOptions;
using fauth::test::FakeServer;
using fauth::test::free_port;
using fauth::test::User;
using fauth::testing::refused;
using nlohmann::json;

json metadata(const FakeServer& server, bool end_session) {
    json doc = {{"issuer", server.url()},
                {"authorization_endpoint", server.url("/authorize")},
                {"token_endpoint", server.url("/token")},
                {"jwks_uri", server.url("/jwks")},
                {"code_challenge_methods_supported", {"S256"}},
                {"response_types_supported", {"code"}},
                {"authorization_response_iss_parameter_supported", true}};
    if (end_session) doc["end_session_endpoint"] = server.url("/logout");
    return doc;
}

fauth::http::HttpConfig cookie_http() {
    fauth::http::HttpConfig http;
    http.cookies.transport = fauth::http::CredentialTransport::bearer_or_cookie;
    http.cookies.secure = false;  // plain HTTP here
    return http;
}

fauth::AuthConfig auth_config() {
    fauth::AuthConfig config;
    config.tokens.secret_key = "oidc-login-test-secret-32-bytes!!";
    config.bcrypt_cost = 4;
    return config;
}

// The value of query parameter `name` in `url` (form-decoded), or nullopt.
std::optional<std::string> param(const std::string& url, const std::string& name) {
    const auto query = url.find('?');
    if (query == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view(url).substr(query + 1);
    while (!rest.empty()) {
        const auto end = rest.find('&');
        const auto pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) != name) continue;
        std::string out;
        if (eq != std::string_view::npos && !fauth::http::form_decode(pair.substr(eq + 1), out)) return std::nullopt;
        return out;
    }
    return std::nullopt;
}

// `text` percent-encoded for a query (RFC 3986 unreserved characters kept).
std::string percent_encoded(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// No identity maps to a user here: these cases never reach the identity loader.
fauth::Outcome<std::optional<User>> nobody(const fauth::oidc::ExternalIdentity&) { return std::optional<User>{}; }

// A fauth server on loopback with the sign-in routes of alpha and beta mounted, both discovered.
struct TwoProviders {
    // alpha has an end_session_endpoint; beta has one unless `beta_ends_sessions` is false.
    explicit TwoProviders(bool beta_ends_sessions = true) {
        alpha_server.set("/.well-known/openid-configuration", metadata(alpha_server, true));
        alpha_server.set("/jwks", {{"keys", {fauth::Key::generate("ES256", "alpha-key").public_jwk()}}});
        beta_server.set("/.well-known/openid-configuration", metadata(beta_server, beta_ends_sessions));
        beta_server.set("/jwks", {{"keys", {fauth::Key::generate("ES256", "beta-key").public_jwk()}}});
        alpha = std::make_shared<RelyingParty>(options("alpha", alpha_server));
        beta = std::make_shared<RelyingParty>(options("beta", beta_server));
        if (!alpha->discover_now() || !beta->discover_now()) throw std::runtime_error("discovery failed");
        fauth::http::add_oidc_sign_in<User>(api, auth, {.providers = {alpha, beta}, .identity_loader = nobody});
        server = std::make_unique<fauth::http::Server>(api, fauth::http::ServerOptions{.port = port, .threads = 1});
        server->start();
    }

    RelyingPartyOptions options(const std::string& name, const FakeServer& fake) const {
        RelyingPartyOptions o;
        o.name = name;
        o.issuer = fake.url();
        o.client_id = name + "-client";
        o.client_secret = name + "-client-secret";
        o.redirect_uri = "http://127.0.0.1:" + std::to_string(port) + "/auth/" + name + "/callback";
        return o;
    }

    fauth::testing::Client client() const { return fauth::testing::Client(port); }

    const std::uint16_t port = free_port();
    FakeServer alpha_server, beta_server;
    std::shared_ptr<RelyingParty> alpha, beta;
    fauth::AuthProvider<User> auth{auth_config(), [](const fauth::TokenPayload&) { return std::optional<User>{}; }};
    Pistache::Rest::Router router;
    fauth::http::Api api{router, cookie_http()};
    std::unique_ptr<fauth::http::Server> server;
};

// A sign-in begun at `name`: the sign-in cookie's value and the state sent to the provider.
struct Started {
    fauth::testing::Response response;
    std::string cookie;
    std::string state;
};

Started start(const TwoProviders& app, const std::string& name) {
    auto r = app.client().get("/auth/" + name + "/login?return_to=/x");
    const auto cookie = r.cookie_value("fauth_oidc_" + name);
    const auto state = param(r.header("Location"), "state").value_or("");
    return {std::move(r), cookie, state};
}

}  // namespace

// a. Each login route sends the browser to its own provider, with its own sign-in cookie.
TEST(OidcSignIn, EachLoginGoesToItsOwnProviderWithItsOwnCookie) {
    TwoProviders app;
    for (const auto* provider : {&app.alpha_server, &app.beta_server}) {
        const std::string name = provider == &app.alpha_server ? "alpha" : "beta";
        const std::string other = name == "alpha" ? "beta" : "alpha";
        const auto other_url = (name == "alpha" ? app.beta_server : app.alpha_server).url("/authorize");
        const auto started = start(app, name);
        const auto& r = started.response;
        ASSERT_EQ(r.status, 302) << name << ": " << r.body;
        const auto location = r.header("Location");
        EXPECT_EQ(location.rfind(provider->url("/authorize") + "?", 0), 0u) << location;
        EXPECT_EQ(location.find(other_url), std::string::npos) << location;
        EXPECT_EQ(param(location, "client_id"), name + "-client");
        EXPECT_EQ(param(location, "redirect_uri"),
                  "http://127.0.0.1:" + std::to_string(app.port) + "/auth/" + name + "/callback");
        EXPECT_EQ(param(location, "response_type"), "code");
        EXPECT_EQ(param(location, "code_challenge_method"), "S256");
        EXPECT_FALSE(started.state.empty());
        EXPECT_EQ(r.header("Cache-Control"), "no-store");
        const auto line = r.set_cookie("fauth_oidc_" + name);
        ASSERT_FALSE(started.cookie.empty()) << line;
        EXPECT_EQ(line.rfind("fauth_oidc_" + name + "=" + started.cookie, 0), 0u) << line;
        EXPECT_NE(line.find("; HttpOnly"), std::string::npos) << line;
        EXPECT_NE(line.find("; SameSite=Lax"), std::string::npos) << line;
        EXPECT_NE(line.find("; Path=/"), std::string::npos) << line;
        EXPECT_NE(line.find("; Max-Age=600"), std::string::npos) << line;
        EXPECT_EQ(line.find("Secure"), std::string::npos) << line;
        EXPECT_EQ(r.set_cookie("fauth_oidc_" + other), "") << "only its own provider's cookie";
        EXPECT_EQ(r.set_cookies.size(), 1u);
    }
}

// b. alpha's sealed state, brought to beta's callback under beta's cookie name, is refused.
TEST(OidcSignIn, AStateSealedForOneProviderIsRefusedAtTheOther) {
    TwoProviders app;
    const auto started = start(app, "alpha");
    ASSERT_EQ(started.response.status, 302);
    const auto r = app.client().get("/auth/beta/callback?code=c0de&state=" + percent_encoded(started.state) +
                                        "&iss=" + percent_encoded(app.beta_server.url()),
                                    {"Cookie: fauth_oidc_beta=" + started.cookie});
    EXPECT_TRUE(refused(r, 400, "Invalid sign-in state"));
    const auto line = r.set_cookie("fauth_oidc_beta");
    EXPECT_EQ(line.rfind("fauth_oidc_beta=;", 0), 0u) << line;
    EXPECT_NE(line.find("Max-Age=0"), std::string::npos) << line;
    EXPECT_EQ(r.set_cookie("fauth_oidc_alpha"), "");
}

// c. A response at alpha's callback naming beta as its issuer (RFC 9207: a mix-up) is refused,
// though its state and cookie are alpha's own.
TEST(OidcSignIn, AnotherProvidersIssuerAtTheCallbackIsAMixUp) {
    TwoProviders app;
    const auto started = start(app, "alpha");
    ASSERT_EQ(started.response.status, 302);
    const auto r = app.client().get("/auth/alpha/callback?code=c0de&state=" + percent_encoded(started.state) +
                                        "&iss=" + percent_encoded(app.beta_server.url()),
                                    {"Cookie: fauth_oidc_alpha=" + started.cookie});
    EXPECT_TRUE(refused(r, 400, "The sign-in could not be completed"));
    EXPECT_NE(r.set_cookie("fauth_oidc_alpha").find("Max-Age=0"), std::string::npos) << r.set_cookie("fauth_oidc_alpha");
    // The control: the same response with a state the cookie was not sealed for is another refusal.
    const auto other = app.client().get("/auth/alpha/callback?code=c0de&state=x" + percent_encoded(started.state) +
                                            "&iss=" + percent_encoded(app.beta_server.url()),
                                        {"Cookie: fauth_oidc_alpha=" + started.cookie});
    EXPECT_TRUE(refused(other, 400, "Invalid sign-in state"));
}

// d. What cannot work is refused when the routes are mounted.
TEST(OidcSignIn, UnusableConfigurationsThrowConfigError) {
    TwoProviders app;
    const auto throws = [&](const char* what, fauth::http::HttpConfig http, fauth::http::OidcSignIn<User> sign_in,
                            const std::string& says) {
        Pistache::Rest::Router router;
        fauth::http::Api api(router, std::move(http));
        try {
            fauth::http::add_oidc_sign_in<User>(api, app.auth, std::move(sign_in));
            ADD_FAILURE() << what << ": accepted";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << what << ": " << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << what << ": not a ConfigError: " << e.what();
        }
    };
    auto twin = std::make_shared<RelyingParty>(app.options("alpha", app.beta_server));
    throws("two providers called alpha", cookie_http(), {.providers = {app.alpha, twin}, .identity_loader = nobody},
           "two providers are called alpha");
    throws("bearer only", fauth::http::HttpConfig{}, {.providers = {app.alpha}, .identity_loader = nobody},
           "HttpConfig::cookies.transport");
    throws("no identity_loader", cookie_http(), {.providers = {app.alpha, app.beta}}, "identity_loader is required");
    // The control: the same providers, cookies accepted and a loader, are mounted.
    Pistache::Rest::Router router;
    fauth::http::Api api(router, cookie_http());
    EXPECT_NO_THROW(
        fauth::http::add_oidc_sign_in<User>(api, app.auth, {.providers = {app.alpha, app.beta}, .identity_loader = nobody}));
}

// e. RP-initiated logout goes to the provider's end_session_endpoint, or to "/" without one.
TEST(OidcSignIn, EndSessionGoesToItsOwnProvidersLogoutPage) {
    TwoProviders app(false);
    const auto r = app.client().get("/auth/alpha/end-session");
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.header("Location"), app.alpha_server.url("/logout") + "?client_id=alpha-client")
        << "no hint cookie: no id_token_hint";
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    const auto hint = r.set_cookie("fauth_oidc_hint_alpha");
    EXPECT_NE(hint.find("Max-Age=0"), std::string::npos) << hint;
    EXPECT_NE(hint.find("Path=/auth/alpha"), std::string::npos) << hint;
    const auto none = app.client().get("/auth/beta/end-session");
    ASSERT_EQ(none.status, 303) << none.body;
    EXPECT_EQ(none.header("Location"), "/");
}

// f. A back-channel logout whose logout token is not a JWS, or that is not a form, is refused.
TEST(OidcSignIn, BackchannelLogoutRefusesWhatIsNotALogoutToken) {
    TwoProviders app;
    const auto r = app.client().request("POST", "/auth/beta/backchannel-logout",
                                        {"Content-Type: application/x-www-form-urlencoded"}, "logout_token=not-a-jws");
    EXPECT_TRUE(refused(r, 400, "Invalid logout token"));
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    const auto as_json = app.client().request("POST", "/auth/beta/backchannel-logout", {"Content-Type: application/json"},
                                              R"({"logout_token":"not-a-jws"})");
    EXPECT_TRUE(refused(as_json, 400, "Invalid logout token"));
}

// g. The OpenAPI document lists the four routes of each provider under "Sign-in".
TEST(OidcSignIn, OpenApiListsEveryProvidersRoutes) {
    TwoProviders app;
    const auto doc = app.api.openapi({});
    int found = 0;
    for (const char* name : {"alpha", "beta"}) {
        const std::string base = std::string("/auth/") + name;
        for (const auto& [path, method] :
             std::vector<std::pair<std::string, std::string>>{{base + "/login", "get"},
                                                              {base + "/callback", "get"},
                                                              {base + "/end-session", "get"},
                                                              {base + "/backchannel-logout", "post"}}) {
            ASSERT_TRUE(doc["paths"].contains(path)) << path;
            ASSERT_TRUE(doc["paths"][path].contains(method)) << path << " " << method;
            EXPECT_EQ(doc["paths"][path][method]["tags"], json::array({"Sign-in"})) << path;
            ++found;
        }
    }
    EXPECT_EQ(found, 8);
    int sign_in_routes = 0;
    for (const auto& [path, item] : doc["paths"].items())
        for (const auto& [method, operation] : item.items())
            if (operation.is_object() && operation.contains("tags") && operation["tags"] == json::array({"Sign-in"}))
                ++sign_in_routes;
    EXPECT_EQ(sign_in_routes, 8);
}
