// Browser sessions in cookies over real HTTP: the cookies a login sets, guards reading them, CSRF
// (the session-bound token and the Origin/Referer check), refresh and logout by cookie.
#include "fauth/http/cookies.hpp"

#include <gtest/gtest.h>

#include "fauth/core/keys.hpp"
#include "support/http_client.hpp"
#include "support/keys.hpp"
#include "support/test_app.hpp"

using fauth::http::CredentialTransport;
using fauth::test::HttpResponse;
using fauth::test::request;
using fauth::test::TestApp;

namespace {

const std::string kJson = "Content-Type: application/json";
// Where the test app routes refresh and logout with cookies: below the refresh cookie's path.
const std::string kRefresh = "/auth/refresh";
const std::string kLogout = "/auth/logout";

fauth::http::HttpConfig cookie_config(CredentialTransport transport = CredentialTransport::bearer_or_cookie) {
    fauth::http::HttpConfig config;
    config.cookies.transport = transport;
    config.cookies.secure = false;  // the test client speaks plain HTTP
    config.cookies.trusted_origins = {"https://app.example.com"};
    return config;
}

// A browser session: what a cookie login handed over.
struct Session {
    std::string access, refresh, csrf;
    std::string cookie() const { return "Cookie: fauth_access=" + access + "; fauth_csrf=" + csrf; }
    std::string refresh_cookie() const { return "Cookie: fauth_refresh=" + refresh + "; fauth_csrf=" + csrf; }
    std::string csrf_header() const { return "X-CSRF-Token: " + csrf; }
};

HttpResponse cookie_login(std::uint16_t port, const std::string& user = "alice", const std::string& password = "s3cret",
                          std::vector<std::string> headers = {}) {
    headers.push_back(kJson);
    return request(port, "POST", "/session/login", headers, nlohmann::json{{"username", user}, {"password", password}}.dump());
}

Session session_of(const HttpResponse& r) {
    return {r.cookie_value("fauth_access"), r.cookie_value("fauth_refresh"), r.cookie_value("fauth_csrf")};
}

// The reasons of the token_refused events at `path` so far, oldest first.
std::vector<std::string> refused_at(TestApp& app, const std::string& path) {
    std::vector<std::string> reasons;
    for (const auto& e : app.events(fauth::SecurityEventType::token_refused))
        if (e.path == path) reasons.push_back(e.reason);
    return reasons;
}

class CookieSessions : public ::testing::Test {
protected:
    TestApp app{2, TestApp::default_config(), cookie_config()};
    std::uint16_t port = app.port();
    Session alice = session_of(cookie_login(port));
};

}  // namespace

TEST_F(CookieSessions, ALoginSetsTheThreeCookiesAndNoTokenInTheBody) {
    const auto r = cookie_login(port);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.json();
    EXPECT_EQ(body["token_type"], "cookie");
    EXPECT_EQ(body["expires_in"], 900);
    EXPECT_FALSE(body.contains("access_token"));
    EXPECT_FALSE(body.contains("refresh_token"));
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    ASSERT_EQ(r.set_cookies.size(), 4u) << "the three session cookies and the device cookie (HttpConfig::device_cookie)";
    const auto session = session_of(r);
    EXPECT_EQ(body["csrf_token"], session.csrf);
    EXPECT_EQ(r.set_cookie("fauth_access"), "fauth_access=" + session.access + "; Path=/; Max-Age=900; HttpOnly; SameSite=Lax");
    EXPECT_EQ(r.set_cookie("fauth_refresh"),
              "fauth_refresh=" + session.refresh + "; Path=/auth; Max-Age=604800; HttpOnly; SameSite=Lax");
    EXPECT_EQ(r.set_cookie("fauth_csrf"), "fauth_csrf=" + session.csrf + "; Path=/; Max-Age=604800; SameSite=Lax")
        << "readable by the page: no HttpOnly";
    EXPECT_EQ(r.set_cookie("fauth_device"), "fauth_device=" + r.cookie_value("fauth_device") +
                                                "; Path=/session/login; Max-Age=15552000; HttpOnly; SameSite=Strict")
        << "sent back only to the login endpoint that set it";
    const auto access = app.auth().verify(session.access);
    EXPECT_EQ(access.sub, "user-123");
    EXPECT_TRUE(access.fresh) << "a password login";
    EXPECT_EQ(session.csrf, fauth::http::csrf_token(app.auth().tokens(), access.family)) << "bound to the session";
}

TEST(CookieSettings, SecureAndSameSiteStrictAreWrittenAsConfigured) {
    auto config = cookie_config();
    config.cookies.secure = true;
    config.cookies.same_site = fauth::http::SameSite::strict;
    config.cookies.domain = "example.com";
    TestApp app(2, TestApp::default_config(), config);
    const auto r = cookie_login(app.port());
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& line : r.set_cookies) {
        EXPECT_NE(line.find("; Domain=example.com"), std::string::npos) << line;
        EXPECT_NE(line.find("; Secure"), std::string::npos) << line;
        EXPECT_NE(line.find("; SameSite=Strict"), std::string::npos) << line;
    }
    EXPECT_EQ(fauth::http::HttpConfig().cookies.secure, true) << "Secure unless turned off";
}

TEST(CookieSettings, RoutesReadingCookiesNeedTheProvidersSecretKey) {
    // The CSRF token is a digest under secret_key: a provider with only an asymmetric key of its
    // own cannot serve cookies, which mounting a route that reads them says.
    auto config = TestApp::default_config();
    config.tokens.secret_key.clear();
    fauth::KeySet keys;
    keys.add(fauth::Key::from_pem("ES256", fauth::test::make_pem_pair("ES256").private_pem, "k1")).sign_with("k1");
    config.tokens.keys = std::make_shared<fauth::KeyRing>(std::move(keys));
    const fauth::AuthProvider<fauth::test::AppUser> auth{config, [](const fauth::TokenPayload&) {
                                                             return std::optional<fauth::test::AppUser>();
                                                         }};
    const auto handler = [](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter, const fauth::test::AppUser&) {};
    Pistache::Rest::Router router;
    fauth::http::Api api(router, cookie_config());
    try {
        api.get("/me", auth.require_user(handler));
        ADD_FAILURE() << "a cookie route was mounted without a secret_key";
    } catch (const fauth::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("CSRF tokens are bound to the session with secret_key"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(api.post("/session/login", fauth::http::login_endpoint(auth, fauth::http::TokenDelivery::cookies)),
                 fauth::ConfigError);
    EXPECT_THROW(api.post(kRefresh, fauth::http::refresh_endpoint(auth)), fauth::ConfigError);
    EXPECT_THROW(api.post(kLogout, fauth::http::logout_endpoint(auth)), fauth::ConfigError);
    Pistache::Rest::Router bearer_router;
    fauth::http::Api bearer(bearer_router);
    EXPECT_NO_THROW(bearer.get("/me", auth.require_user(handler))) << "usable without cookies";
}

TEST_F(CookieSessions, AReadNeedsOnlyTheCookie) {
    const auto r = request(port, "GET", "/me", {alice.cookie()});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["message"], "Hello alice");
}

TEST_F(CookieSessions, AChangeNeedsTheSessionsOwnCsrfToken) {
    const auto missing = request(port, "POST", "/notes", {alice.cookie()});
    EXPECT_EQ(missing.status, 403) << missing.body;
    EXPECT_EQ(missing.json()["detail"], "CSRF token missing or invalid");
    EXPECT_EQ(request(port, "POST", "/notes", {alice.cookie(), "X-CSRF-Token: " + std::string(22, 'A')}).status, 403);
    // A valid CSRF token of another session (the attacker's own, say) does not fit this one.
    const auto other = session_of(cookie_login(port, "bob", "hunter2"));
    EXPECT_EQ(request(port, "POST", "/notes", {alice.cookie(), other.csrf_header()}).status, 403);
    const auto ok = request(port, "POST", "/notes", {alice.cookie(), alice.csrf_header()});
    EXPECT_EQ(ok.status, 201) << ok.body;
    EXPECT_EQ(ok.json()["owner"], "user-123");
}

TEST(Csrf, EveryMethodButTheSafeOnesNeedsIt) {
    using Pistache::Http::Method;
    for (auto m : {Method::Post, Method::Put, Method::Patch, Method::Delete, Method::Connect})
        EXPECT_TRUE(fauth::http::is_unsafe_method(m)) << Pistache::Http::methodString(m);
    for (auto m : {Method::Get, Method::Head, Method::Options, Method::Trace})
        EXPECT_FALSE(fauth::http::is_unsafe_method(m)) << Pistache::Http::methodString(m);
}

TEST_F(CookieSessions, AForeignOriginIsRefusedEvenWithTheToken) {
    const auto with = [&](const std::string& header) {
        return request(port, "POST", "/notes", {alice.cookie(), alice.csrf_header(), header});
    };
    const auto evil = with("Origin: http://evil.example");
    EXPECT_EQ(evil.status, 403);
    EXPECT_EQ(evil.json()["detail"], "Origin not allowed");
    EXPECT_EQ(with("Origin: null").status, 403);
    EXPECT_EQ(with("Origin: http://127.0.0.1.evil.example").status, 403);
    EXPECT_EQ(with("Referer: http://evil.example/page?x=1").status, 403) << "Referer when there is no Origin";
    const auto own = "http://127.0.0.1:" + std::to_string(port);  // the Host header names the port
    EXPECT_EQ(with("Origin: " + own).status, 201) << "the request's own host";
    EXPECT_EQ(with("Origin: http://127.0.0.1").status, 403) << "the same host on another port is another origin";
    EXPECT_EQ(with("Origin: https://app.example.com").status, 201) << "a trusted origin";
    EXPECT_EQ(with("Origin: HTTPS://APP.EXAMPLE.COM").status, 201) << "origins compare without case";
    EXPECT_EQ(with("Referer: " + own + "/notes/page").status, 201);
}

TEST_F(CookieSessions, TheOwnOriginIsComparedWithItsPortAsABrowserSendsIt) {
    // A browser on a non-default port sends it in Host and in Origin alike.
    const auto host = "127.0.0.1:" + std::to_string(port);
    auto raw = [&](const std::string& origin) {
        return fauth::test::send_raw(port, "POST /notes HTTP/1.1\r\nHost: " + host + "\r\n" + alice.cookie() + "\r\n" +
                                               alice.csrf_header() + "\r\nOrigin: " + origin + "\r\nContent-Length: 0\r\n\r\n");
    };
    EXPECT_EQ(raw("http://" + host).status, 201);
    EXPECT_EQ(raw("http://127.0.0.1").status, 403) << "another port is another origin";
    EXPECT_EQ(raw("http://127.0.0.1:1").status, 403);
}

TEST_F(CookieSessions, RefreshAndLogoutByCookieNeedTheChecksWhateverTheirMethod) {
    // Mounted on GET by mistake, a top-level cross-site navigation (SameSite=Lax sends the cookie)
    // must still not rotate or end the session.
    Pistache::Rest::Router router;
    fauth::http::Api api(router, app.api().config());
    api.get(kRefresh, fauth::http::refresh_endpoint(app.auth()));
    api.get(kLogout, fauth::http::logout_endpoint(app.auth()));
    fauth::http::Server server(api, fauth::http::ServerOptions{.port = 0, .threads = 1});
    const auto other = server.start();
    EXPECT_EQ(request(other, "GET", kRefresh, {alice.refresh_cookie()}).status, 403);
    EXPECT_EQ(request(other, "GET", kLogout, {alice.cookie()}).status, 403);
    EXPECT_EQ(request(port, "GET", "/me", {alice.cookie()}).status, 200) << "nothing was ended";
    EXPECT_EQ(request(port, "POST", kRefresh, {alice.refresh_cookie(), alice.csrf_header()}).status, 200) << "nor used up";
    server.stop();
}

TEST_F(CookieSessions, EveryUnsafeMethodOnAGuardedRouteNeedsTheToken) {
    Pistache::Rest::Router router;
    fauth::http::Api api(router, app.api().config());
    const auto handler = [](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter w, const fauth::test::AppUser&) {
        fauth::http::send_json(w, Pistache::Http::Code::Ok, {{"changed", true}});
    };
    api.put("/thing", app.auth().require_user(handler));
    api.patch("/thing", app.auth().require_user(handler));
    api.del("/thing", app.auth().require_user(handler));
    fauth::http::Server server(api, fauth::http::ServerOptions{.port = 0, .threads = 1});
    const auto other = server.start();
    for (const char* method : {"PUT", "PATCH", "DELETE"}) {
        EXPECT_EQ(request(other, method, "/thing", {alice.cookie()}).status, 403) << method;
        EXPECT_EQ(request(other, method, "/thing", {alice.cookie(), alice.csrf_header()}).status, 200) << method;
    }
    server.stop();
}

TEST_F(CookieSessions, BearerRequestsAreNotSubjectToCsrf) {
    const auto bearer = app.auth().login("user-456").access_token;
    const auto r = request(port, "POST", "/notes", {"Authorization: Bearer " + bearer, "Origin: http://evil.example"});
    EXPECT_EQ(r.status, 201) << "no browser attaches a bearer header on its own: " << r.body;
}

TEST_F(CookieSessions, BadCredentialsInTheHeaderNeverFallThroughToTheCookie) {
    const auto r = request(port, "GET", "/me", {alice.cookie(), "Authorization: Bearer not a token"});
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.json()["detail"], "Invalid token");
    const auto wrong = request(port, "GET", "/me", {alice.cookie(), "Authorization: Bearer forged.token.here"});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.json()["detail"], "Invalid token");
    const auto reasons = refused_at(app, "/me");
    ASSERT_EQ(reasons.size(), 2u);
    EXPECT_EQ(reasons[0], "Invalid token: malformed Authorization header") << "the header's refusal, not the cookie's";
    EXPECT_EQ(reasons[1], "Invalid token: header is not canonical base64url") << "the header's token, not the cookie";
}

TEST_F(CookieSessions, ACookieSentTwiceOrMalformedIsRefused) {
    const auto other = session_of(cookie_login(port, "bob", "hunter2"));
    const auto twice = request(port, "GET", "/me", {"Cookie: fauth_access=" + alice.access + "; fauth_access=" + other.access});
    EXPECT_EQ(twice.status, 401);
    EXPECT_EQ(twice.json()["detail"], "Invalid token");
    EXPECT_EQ(request(port, "GET", "/me", {"Cookie: fauth_access=a\"b"}).status, 401);
    const auto forged = request(port, "GET", "/me", {"Cookie: fauth_access=" + alice.access + "x"});
    EXPECT_EQ(forged.status, 401);
    EXPECT_EQ(forged.json()["detail"], "Invalid token");
    EXPECT_EQ(refused_at(app, "/me"),
              (std::vector<std::string>{"Invalid token: malformed session cookie", "Invalid token: malformed session cookie",
                                        "Invalid token: signature mismatch"}));
    EXPECT_EQ(request(port, "GET", "/me", {"Cookie: other=1"}).json()["detail"], "Not authenticated");
}

TEST_F(CookieSessions, AnOptionalUserIsAnonymousWhenTheCsrfCheckFails) {
    EXPECT_EQ(request(port, "GET", "/maybe", {alice.cookie()}).json()["user"], "alice");
    EXPECT_EQ(request(port, "POST", "/maybe", {alice.cookie()}).json()["user"], nullptr);
    EXPECT_EQ(request(port, "POST", "/maybe", {alice.cookie(), alice.csrf_header()}).json()["user"], "alice");
}

TEST_F(CookieSessions, RefreshByCookieNeedsTheCsrfTokenAndSetsNewCookies) {
    const auto refused = request(port, "POST", kRefresh, {alice.refresh_cookie()});
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_EQ(refused.json()["detail"], "CSRF token missing or invalid");
    EXPECT_EQ(request(port, "POST", kRefresh, {alice.refresh_cookie(), alice.csrf_header(), "Origin: http://evil.example"})
                  .status,
              403);

    const auto r = request(port, "POST", kRefresh, {alice.refresh_cookie(), alice.csrf_header()});
    ASSERT_EQ(r.status, 200) << "the refused attempts did not use the token up: " << r.body;
    const auto next = session_of(r);
    EXPECT_EQ(r.json()["token_type"], "cookie");
    EXPECT_NE(next.access, alice.access);
    EXPECT_NE(next.refresh, alice.refresh);
    EXPECT_EQ(next.csrf, alice.csrf) << "one session, one CSRF token";
    EXPECT_FALSE(app.auth().verify(next.access).fresh);
    EXPECT_EQ(request(port, "GET", "/me", {next.cookie()}).status, 200);

    // The same cookie again at once (a second tab): the same new cookies.
    const auto repeat = request(port, "POST", kRefresh, {alice.refresh_cookie(), alice.csrf_header()});
    ASSERT_EQ(repeat.status, 200) << repeat.body;
    EXPECT_EQ(session_of(repeat).access, next.access);
    EXPECT_EQ(session_of(repeat).refresh, next.refresh);
    ASSERT_EQ(request(port, "POST", kRefresh, {next.refresh_cookie(), next.csrf_header()}).status, 200) << "the session moves on";
    const auto reused = request(port, "POST", kRefresh, {alice.refresh_cookie(), alice.csrf_header()});
    EXPECT_EQ(reused.status, 401);
    EXPECT_EQ(reused.json()["detail"], "Invalid token");
    EXPECT_EQ(refused_at(app, kRefresh), std::vector<std::string>{"Invalid token: refresh token reuse detected"});
    const auto body_refresh = request(port, "POST", kRefresh, {kJson}, nlohmann::json{{"refresh_token", "x"}}.dump());
    EXPECT_EQ(body_refresh.status, 401) << "a body still works as for API clients (and is judged by itself)";
}

TEST_F(CookieSessions, LogoutByCookieNeedsTheCsrfTokenThenClearsTheCookies) {
    EXPECT_EQ(request(port, "POST", kLogout, {alice.cookie()}).status, 403);
    EXPECT_EQ(request(port, "GET", "/me", {alice.cookie()}).status, 200) << "a forged logout ends nothing";
    const auto r = request(port, "POST", kLogout, {alice.cookie(), alice.csrf_header()});
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.set_cookie("fauth_access"), "fauth_access=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    EXPECT_EQ(r.set_cookie("fauth_refresh"), "fauth_refresh=; Path=/auth; Max-Age=0; HttpOnly; SameSite=Lax");
    EXPECT_EQ(r.set_cookie("fauth_csrf"), "fauth_csrf=; Path=/; Max-Age=0; SameSite=Lax");
    EXPECT_EQ(request(port, "GET", "/me", {alice.cookie()}).status, 401) << "the session is over";
    EXPECT_EQ(request(port, "POST", kRefresh, {alice.refresh_cookie(), alice.csrf_header()}).status, 401);
}

TEST_F(CookieSessions, LogoutByTheRefreshCookieWorksAfterTheAccessCookieHasExpired) {
    // What a browser sends to /auth/logout once the access cookie is gone (its Max-Age is the
    // access token's lifetime): the refresh cookie and the CSRF cookie.
    EXPECT_EQ(request(port, "POST", kLogout, {alice.refresh_cookie()}).status, 403) << "the CSRF check applies";
    EXPECT_EQ(request(port, "POST", kLogout, {alice.refresh_cookie(), alice.csrf_header(), "Origin: http://evil.example"}).status,
              403);
    const auto r = request(port, "POST", kLogout, {alice.refresh_cookie(), alice.csrf_header()});
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.set_cookies.size(), 3u) << "the cookies are cleared";
    EXPECT_EQ(request(port, "POST", kRefresh, {alice.refresh_cookie(), alice.csrf_header()}).status, 401) << "the session ended";
    EXPECT_EQ(request(port, "GET", "/me", {alice.cookie()}).status, 401) << "its access token with it";
    const auto again = request(port, "POST", kLogout, {alice.refresh_cookie(), alice.csrf_header()});
    EXPECT_EQ(again.status, 401) << "an ended session cannot be ended twice";
}

TEST_F(CookieSessions, LogoutWithBothCookiesEndsTheSessionOfTheRefreshCookie) {
    const auto bob = session_of(cookie_login(port, "bob", "hunter2"));
    // A planted access cookie (another session's) beside the browser's own refresh cookie.
    const std::string both =
        "Cookie: fauth_access=" + bob.access + "; fauth_refresh=" + alice.refresh + "; fauth_csrf=" + alice.csrf;
    EXPECT_EQ(request(port, "POST", kLogout, {both, alice.csrf_header()}).status, 204);
    EXPECT_EQ(request(port, "GET", "/me", {alice.cookie()}).status, 401);
    EXPECT_EQ(request(port, "GET", "/me", {bob.cookie()}).status, 200) << "the other session goes on";
}

TEST_F(CookieSessions, RefreshAndLogoutAreRoutedOnlyWhereTheRefreshCookieIsSent) {
    Pistache::Rest::Router router;
    fauth::http::Api api(router, app.api().config());
    EXPECT_THROW(api.post("/logout", fauth::http::logout_endpoint(app.auth())), fauth::ConfigError);
    EXPECT_THROW(api.post("/refresh", fauth::http::refresh_endpoint(app.auth())), fauth::ConfigError);
    EXPECT_THROW(api.post("/authx/refresh", fauth::http::refresh_endpoint(app.auth())), fauth::ConfigError);
    EXPECT_NO_THROW(api.post("/auth", fauth::http::refresh_endpoint(app.auth())));
    EXPECT_NO_THROW(api.post("/auth/session/logout", fauth::http::logout_endpoint(app.auth())));
    EXPECT_TRUE(api.routes().size() == 2u) << "nothing was routed by the refused calls";

    TestApp bearer_only;  // no cookies: anywhere goes
    Pistache::Rest::Router other_router;
    fauth::http::Api bearer_api(other_router);
    EXPECT_NO_THROW(bearer_api.post("/logout", fauth::http::logout_endpoint(bearer_only.auth())));
}

TEST(CookiePath, MatchesAsBrowsersDo) {
    using fauth::http::cookie_path_matches;
    EXPECT_TRUE(cookie_path_matches("/auth", "/auth"));
    EXPECT_TRUE(cookie_path_matches("/auth", "/auth/logout"));
    EXPECT_TRUE(cookie_path_matches("/auth/", "/auth/logout"));
    EXPECT_TRUE(cookie_path_matches("/", "/anything"));
    EXPECT_FALSE(cookie_path_matches("/auth", "/authx"));
    EXPECT_FALSE(cookie_path_matches("/auth", "/au"));
    EXPECT_FALSE(cookie_path_matches("/auth/", "/auth"));
    EXPECT_FALSE(cookie_path_matches("", "/auth"));
}

TEST_F(CookieSessions, ALoginFromAForeignOriginSetsNoCookies) {
    const auto r = cookie_login(port, "alice", "s3cret", {"Origin: http://evil.example"});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json()["detail"], "Origin not allowed");
    EXPECT_TRUE(r.set_cookies.empty());
    const auto wrong = cookie_login(port, "alice", "wrong");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_TRUE(wrong.set_cookies.empty());
}

TEST(CookieTransport, CookieOnlyIgnoresTheAuthorizationHeaderAndBearerOnlyIgnoresCookies) {
    TestApp cookie_only(2, TestApp::default_config(), cookie_config(CredentialTransport::cookie));
    const auto session = session_of(cookie_login(cookie_only.port()));
    const auto bearer = cookie_only.auth().login("user-123").access_token;
    EXPECT_EQ(fauth::test::get(cookie_only.port(), "/me", bearer).json()["detail"], "Not authenticated");
    EXPECT_EQ(request(cookie_only.port(), "GET", "/me", {session.cookie(), "Authorization: Bearer garbage"}).status, 200);

    TestApp bearer_only;  // the default
    const auto token = bearer_only.auth().login("user-123").access_token;
    EXPECT_EQ(request(bearer_only.port(), "GET", "/me", {"Cookie: fauth_access=" + token}).json()["detail"], "Not authenticated");
    EXPECT_THROW(bearer_only.api().post("/session/login",
                                        fauth::http::login_endpoint(bearer_only.auth(), fauth::http::TokenDelivery::cookies)),
                 fauth::ConfigError);
}

TEST(DefaultSchemes, EachTransportReadsItsSchemesBearerFirst) {
    using fauth::Scheme;
    using fauth::http::DpopMode;
    const auto schemes_of = [](CredentialTransport transport, DpopMode dpop = DpopMode::off) {
        auto config = cookie_config(transport);
        config.dpop.mode = dpop;
        const auto view = fauth::http::default_schemes(fauth::http::scheme_settings(config));
        return std::vector<Scheme>(view.begin(), view.end());
    };
    EXPECT_EQ(schemes_of(CredentialTransport::bearer), std::vector<Scheme>{Scheme::bearer});
    EXPECT_EQ(schemes_of(CredentialTransport::cookie), std::vector<Scheme>{Scheme::cookie});
    EXPECT_EQ(schemes_of(CredentialTransport::bearer_or_cookie), (std::vector<Scheme>{Scheme::bearer, Scheme::cookie}));
    // DPoP is read after Bearer when allowed, instead of it when required; never without the header.
    EXPECT_EQ(schemes_of(CredentialTransport::bearer, DpopMode::allow), (std::vector<Scheme>{Scheme::bearer, Scheme::dpop}));
    EXPECT_EQ(schemes_of(CredentialTransport::bearer, DpopMode::require), std::vector<Scheme>{Scheme::dpop});
    EXPECT_EQ(schemes_of(CredentialTransport::bearer_or_cookie, DpopMode::allow),
              (std::vector<Scheme>{Scheme::bearer, Scheme::dpop, Scheme::cookie}));
    EXPECT_EQ(schemes_of(CredentialTransport::bearer_or_cookie, DpopMode::require),
              (std::vector<Scheme>{Scheme::dpop, Scheme::cookie}));
    EXPECT_EQ(schemes_of(CredentialTransport::cookie, DpopMode::require), std::vector<Scheme>{Scheme::cookie});
}

TEST(CookieNames, SecureCookiesGetThePrefixThatRefusesPlantedCopies) {
    // Review F17: with Secure cookies (the default), the default names become __Host- (access and
    // CSRF: path "/", no Domain) and __Secure- (refresh, device), so that a sibling subdomain or a
    // plain-HTTP page cannot plant a session in a browser that has none.
    auto config = cookie_config();
    config.cookies.secure = true;
    TestApp app{1, TestApp::default_config(), config};
    const auto& in_force = app.api().config();
    EXPECT_EQ(in_force.cookies.access_cookie, "__Host-fauth_access");
    EXPECT_EQ(in_force.cookies.csrf_cookie, "__Host-fauth_csrf");
    EXPECT_EQ(in_force.cookies.refresh_cookie, "__Secure-fauth_refresh");
    EXPECT_EQ(in_force.device_cookie.name, "__Secure-fauth_device");
    const auto r = request(app.port(), "POST", "/session/login", {kJson}, R"({"username":"alice","password":"s3cret"})");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto access = r.cookie_value("__Host-fauth_access");
    ASSERT_FALSE(access.empty());
    EXPECT_EQ(r.set_cookie("__Host-fauth_access"),
              "__Host-fauth_access=" + access + "; Path=/; Max-Age=900; Secure; HttpOnly; SameSite=Lax");
    EXPECT_NE(r.set_cookie("__Host-fauth_csrf").find("; Path=/; "), std::string::npos);
    EXPECT_NE(r.set_cookie("__Secure-fauth_refresh").find("; Path=/auth; "), std::string::npos);
    EXPECT_EQ(r.set_cookies.size(), 4u);
    EXPECT_EQ(request(app.port(), "GET", "/me", {"Cookie: __Host-fauth_access=" + access}).status, 200);
    EXPECT_EQ(request(app.port(), "GET", "/me", {"Cookie: fauth_access=" + access}).status, 401)
        << "a cookie without the prefix is not the session cookie";

    // Not Secure (plain-HTTP development), a Domain, or a name of the application's own: as set.
    auto plain = cookie_config();
    TestApp without{1, TestApp::default_config(), plain};
    EXPECT_EQ(without.api().config().cookies.access_cookie, "fauth_access");
    auto shared = cookie_config();
    shared.cookies.secure = true;
    shared.cookies.domain = "example.com";
    shared.cookies.csrf_cookie = "app_csrf";
    TestApp with_domain{1, TestApp::default_config(), shared};
    EXPECT_EQ(with_domain.api().config().cookies.access_cookie, "fauth_access") << "__Host- allows no Domain";
    EXPECT_EQ(with_domain.api().config().cookies.refresh_cookie, "__Secure-fauth_refresh");
    EXPECT_EQ(with_domain.api().config().cookies.csrf_cookie, "app_csrf");
}
