// examples/notes_api — fauth on a real database: users in SQLite with registration, e-mail
// verification, forgotten and changed passwords, per-user notes, an admin route, a browser page
// that logs in by cookie, and bcrypt hashes upgraded on login. Routes (PolePosition's auth
// workflow, fastapi-users' account flows):
//   POST   /api/v1/auth/register       {"email", "password"}     202 whoever is registered; mails the next step
//   POST   /api/v1/auth/request-verify-token {"email"}          202; mails a verification token again
//   POST   /api/v1/auth/verify         {"token"}                 200; 400 for a bad token
//   POST   /api/v1/auth/forgot-password {"email"}               202; mails a reset token
//   POST   /api/v1/auth/reset-password {"token", "password"}     200; ends every session and API key; 400 for a bad token
//   POST   /api/v1/auth/change-password {"old_password", "new_password"}  a new TokenResponse; ends every other session
//   POST   /api/v1/auth/token          form login (OAuth2 password)  TokenResponse (verified users only)
//   POST   /api/v1/auth/session        the same login for a browser: session cookies
//          (both answer 403 {"detail": "Second factor required", "second_factor_token"} for a user
//          with an authenticator app; the second step posts {"second_factor_token", "code"} to
//   POST   /api/v1/auth/token/second-factor  (a TokenResponse) or .../session/second-factor (cookies))
//   GET    /api/v1/auth/second-factor  {"totp", "recovery_codes_left"}
//   POST   /api/v1/auth/second-factor/totp  a new authenticator: {"secret", "uri", "qr_svg"} (a recent sign-in)
//   POST   /api/v1/auth/second-factor/totp/confirm  {"code"}: {"recovery_codes"}, shown once
//   DELETE /api/v1/auth/second-factor/totp, POST .../recovery-codes  (a sign-in with two factors)
//   POST   /api/v1/auth/passkeys/register/options, /register  a signed-in user adds a passkey (WebAuthn)
//   POST   /api/v1/auth/passkeys/login/options, /login  sign in with a passkey, no user name: session cookies
//   GET    /api/v1/auth/passkeys, PATCH/DELETE /api/v1/auth/passkeys/{id}  my passkeys
//   GET    /api/v1/auth/providers  the OpenID providers one may sign in with (FAUTH_OIDC_ISSUER...)
//   GET    /auth/{name}/login         "Sign in with ...": to the provider, back at /auth/{name}/callback signed in
//   GET    /api/v1/auth/me             any active user               {"id", "email", "roles", "is_verified"}
//   POST   /api/v1/auth/refresh        {"refresh_token"}, or the refresh cookie   TokenResponse or cookies
//   POST   /api/v1/auth/logout         bearer or cookie              204
//   GET    /api/v1/auth/sessions       the caller's sessions: [{"id", "started_at", "last_refreshed_at", "client", ...}]
//   DELETE /api/v1/auth/sessions/{id}  204; 404 for a session that is not the caller's
//   DELETE /api/v1/auth/sessions       ends every session of the caller but the current one: 204
//   POST   /api/v1/keys                {"name", "scopes", "expires_in_days"?}  201 with the API key, shown once
//   GET    /api/v1/keys                the caller's keys (never the key itself)
//   DELETE /api/v1/keys/{id}           204; 404 for a key that is not the caller's
//   GET    /api/v1/notes               the caller's notes
//   POST   /api/v1/notes               {"title", "body"}             201 note
//   GET    /api/v1/notes/{id}          the caller's note, else 404 (never 403: ids do not leak)
//   PUT    /api/v1/notes/{id}          {"title", "body"}             note, else 404
//   DELETE /api/v1/notes/{id}                                        204, else 404
//   GET    /api/v1/notes/export        every note at once: a session begun with two factors (a passkey,
//                                      or a password and a code); else 401 insufficient_user_authentication
//   GET    /api/v1/admin/users         role admin                    [{"id", "email", "roles", "is_active"}]
//   DELETE /api/v1/admin/users/{id}/sessions  role admin             204: every session of that user ends
//   GET    /metrics                    role admin                    fauth's and the example's metrics, Prometheus's format
//   GET    /                           the browser page
// The notes routes and /me take a bearer token, the session cookie or an API key (X-API-Key): a
// key with scope notes:read reads, notes:write writes (notes:* both); a login's tokens carry notes:*.
// Mail (verification and reset tokens) goes to the log: one `mail {...}` line each.
// Addresses have one form (notes::canonical_email): the whole address in lower case (only printable
// ASCII is accepted). It is what is stored, looked up, throttled and logged in with, so addresses
// that differ only in case are one account; mail about an account goes to its stored address,
// never to the spelling a request used.
// Environment: HOST (127.0.0.1), PORT (8000), FAUTH_DB (./notes.db), FAUTH_SECRET_KEY (random when
// unset), FAUTH_BCRYPT_COST (12), FAUTH_THREADS (2), FAUTH_COOKIE_SECURE (1; 0 for plain-HTTP
// development only), FAUTH_PASSKEY_RP_ID (the site's domain: localhost), FAUTH_PASSKEY_ORIGINS
// (the exact origins the page is served from, comma-separated: http://localhost:<port> by default;
// browsers allow WebAuthn over plain HTTP on localhost only).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <iostream>

#include <fauth/http.hpp>

#include "account.hpp"
#include "factors.hpp"
#include "keys.hpp"
#include "sessions.hpp"
#include "sign_in.hpp"
#include "store.hpp"
#include "validation.hpp"

namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using notes::Note;
using notes::User;

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

nlohmann::json to_json(const Note& n) {
    return {{"id", n.id}, {"title", n.title}, {"body", n.body}, {"created_at", n.created_at}, {"updated_at", n.updated_at}};
}

// The note id in the path, or nothing (then the caller answers 404).
std::optional<std::int64_t> note_id(const Request& request) {
    const auto text = request.param(":id").as<std::string>();
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
    return id;
}

// The comma-separated items of `text`, without empty ones.
std::vector<std::string> comma_list(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t start = 0; start <= text.size();) {
        auto end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// A port free on IPv4 `host` now (PORT=0 with passkeys on: the relying party's origin must name
// the port before the server binds it). Another program may take it meanwhile: then start() fails.
std::uint16_t free_port(const std::string& host) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
        throw std::runtime_error("PORT=0 needs an IPv4 HOST, or set FAUTH_PASSKEY_ORIGINS");
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("cannot find a free port");
    socklen_t size = sizeof address;
    const bool found = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                       getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
    close(fd);
    if (!found) throw std::runtime_error("cannot find a free port on " + host);
    return ntohs(address.sin_port);
}

}  // namespace

int main() try {
    fauth::http::block_shutdown_signals();
    auto store = std::make_shared<notes::Store>(env_or("FAUTH_DB", "./notes.db"));
    const std::string host = env_or("HOST", "127.0.0.1");
    auto port = static_cast<std::uint16_t>(std::stoi(env_or("PORT", "8000")));

    fauth::AuthConfig config;
    config.tokens.secret_key = env_or("FAUTH_SECRET_KEY", fauth::random_id() + fauth::random_id());
    config.bcrypt_cost = std::stoi(env_or("FAUTH_BCRYPT_COST", "12"));
    config.api_keys.prefix = notes::kApiKeyPrefix;
    // Two-factor sign-in: an authenticator app (TOTP, its secret sealed in the database) with
    // recovery codes, and passkeys (a passkey alone is two factors: the device and its PIN or
    // biometric). Both kept in the notes database.
    config.second_factor.store = std::make_shared<notes::SqliteSecondFactorStore>(store);
    config.second_factor.issuer = "Notes";
    config.passkeys.store = std::make_shared<notes::SqlitePasskeyStore>(store);
    config.passkeys.name = "Notes";
    config.passkeys.relying_party.id = env_or("FAUTH_PASSKEY_RP_ID", "localhost");
    const auto origins = env_or("FAUTH_PASSKEY_ORIGINS", "");
    if (origins.empty() && port == 0) port = free_port(host);
    config.passkeys.relying_party.origins = comma_list(origins.empty() ? "http://localhost:" + std::to_string(port) : origins);
    // fauth's instruments and the example's own (registrations, mails), served at /metrics.
    const auto metrics = std::make_shared<fauth::PrometheusRegistry>();
    config.tokens.metrics = metrics;
    fauth::http::HttpConfig http;
    http.token_url = "/api/v1/auth/token";
    // API clients send bearer tokens; the browser page holds its session in cookies, whose
    // refresh cookie goes to /api/v1/auth (refresh and logout) only.
    http.cookies.transport = fauth::http::CredentialTransport::bearer_or_cookie;
    http.cookies.refresh_path = "/api/v1/auth";
    http.cookies.secure = env_or("FAUTH_COOKIE_SECURE", "1") != "0";
    fauth::AuthProvider<User>
        auth{config, [store](const fauth::TokenPayload& p) { return store->user_by_id(p.sub); },
             // An address not yet verified cannot log in: it is as unknown (the same answer, the same bcrypt work).
             [store](std::string_view email) {
                 auto user = store->user_by_email(notes::canonical_email(email));
                 return user && user->is_verified ? user : std::nullopt;
             }};
    // Hashes made at a lower cost are upgraded at the next login, unless changed meanwhile.
    auth.on_rehash([store](const User& user, const std::string& old_hash, const std::string& new_hash) {
        store->upgrade_hash(user.id, old_hash, new_hash);
    });

    // A login's tokens may do anything with the user's notes; API keys carry what their owner chose.
    auth.set_login_claims({.scopes = [](const User&) { return std::vector<std::string>{"notes:*"}; }});
    notes::use_store_for_api_keys(auth, store);
    const std::vector<fauth::Scheme> any_scheme = {fauth::Scheme::bearer, fauth::Scheme::cookie, fauth::Scheme::api_key};

    Pistache::Rest::Router router;
    fauth::http::Api api{router, http};

    notes::add_account_routes(api, auth, store, notes::log_mailer());
    api.post("/api/v1/auth/token", fauth::http::login_endpoint(auth));
    api.post("/api/v1/auth/refresh", fauth::http::refresh_endpoint(auth));
    api.post("/api/v1/auth/logout", fauth::http::logout_endpoint(auth));
    api.get("/api/v1/auth/me",
            auth.require(
                {},
                [](const Request&, ResponseWriter w, const User& u) {
                    fauth::http::send_json(w, Code::Ok,
                                           {{"id", u.id},
                                            {"email", u.email},
                                            {"roles", u.roles},
                                            {"is_verified", u.is_verified}});
                },
                any_scheme),
            {.summary = "The current user", .tags = {"Auth"}});
    notes::add_key_routes(api, auth, store);
    notes::add_session_routes(api, auth, store);
    notes::add_sign_in(api, auth, store);

    // The second step of a password login for a user with an authenticator app: for API clients
    // (a TokenResponse) and for the page (the session cookies).
    api.post("/api/v1/auth/token/second-factor", fauth::http::second_factor_login_endpoint(auth),
             {.summary = "Log in, second step: a code", .tags = {"Auth"}});
    api.post("/api/v1/auth/session/second-factor",
             fauth::http::second_factor_login_endpoint(auth, fauth::http::TokenDelivery::cookies),
             {.summary = "Log in a browser, second step: a code", .tags = {"Auth"}});
    const auto email_of = [](const User& u) { return u.email; };
    fauth::http::add_second_factor_routes(api, auth, {.prefix = "/api/v1/auth/second-factor", .account_name = email_of});
    fauth::http::add_passkey_routes(api, auth,
                                    {.prefix = "/api/v1/auth/passkeys",
                                     .delivery = fauth::http::TokenDelivery::cookies,
                                     .user_name = email_of});

    const auto reads = fauth::scope("notes:read");
    const auto writes = fauth::scope("notes:write");
    fauth::http::SecureRouter<User> notes_routes{api,
                                                 auth,
                                                 {.prefix = "/api/v1/notes", .tags = {"Notes"}, .schemes = any_scheme}};
    notes_routes.get("",
                     [store](const Request&, ResponseWriter w, const User& u) {
                         auto list = nlohmann::json::array();
                         for (const auto& n : store->notes_of(u.id)) list.push_back(to_json(n));
                         fauth::http::send_json(w, Code::Ok, list);
                     },
                     {.doc = {.summary = "My notes"}, .require = reads});
    // Every note at once, the step-up example: only for a session begun with two factors.
    notes_routes.get(
        "/export",
        [store](const Request&, ResponseWriter w, const User& u) {
            auto list = nlohmann::json::array();
            for (const auto& n : store->notes_of(u.id)) list.push_back(to_json(n));
            w.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
            fauth::http::send_json(w, Code::Ok, {{"email", u.email}, {"exported_at", fauth::unix_seconds()}, {"notes", list}});
        },
        {.doc = {.summary = "Export all my notes",
                 .description = "Needs a session begun with two factors (a passkey, or a password and a "
                                "code): else 401 with `WWW-Authenticate: Bearer "
                                "error=\"insufficient_user_authentication\", acr_values=...` (RFC 9470)."},
         .require = reads && fauth::Rule::second_factor()});
    notes_routes.post("",
                      [store](const Request& request, ResponseWriter w, const User& u) {
                          const auto body = notes::json_body(request, w);
                          if (!body) return;
                          if (const auto problem = notes::note_problem(*body); !problem.empty())
                              return fauth::http::send_detail(w, Code::Unprocessable_Entity, problem);
                          fauth::http::send_json(w, Code::Created,
                                                 to_json(store->add_note(u.id, (*body)["title"].get<std::string>(),
                                                                         (*body).value("body", ""))));
                      },
                      {.doc = {.summary = "Add a note"}, .require = writes});
    notes_routes.get("/:id",
                     [store](const Request& request, ResponseWriter w, const User& u) {
                         const auto id = note_id(request);
                         const auto found = id ? store->note(u.id, *id) : std::nullopt;
                         if (!found) return fauth::http::send_detail(w, Code::Not_Found, "Note not found");
                         fauth::http::send_json(w, Code::Ok, to_json(*found));
                     },
                     {.doc = {.summary = "One of my notes"}, .require = reads});
    notes_routes.put("/:id",
                     [store](const Request& request, ResponseWriter w, const User& u) {
                         const auto id = note_id(request);
                         if (!id) return fauth::http::send_detail(w, Code::Not_Found, "Note not found");
                         const auto body = notes::json_body(request, w);
                         if (!body) return;
                         if (const auto problem = notes::note_problem(*body); !problem.empty())
                             return fauth::http::send_detail(w, Code::Unprocessable_Entity, problem);
                         const auto updated =
                             store->update_note(u.id, *id, (*body)["title"].get<std::string>(), (*body).value("body", ""));
                         if (!updated) return fauth::http::send_detail(w, Code::Not_Found, "Note not found");
                         fauth::http::send_json(w, Code::Ok, to_json(*updated));
                     },
                     {.doc = {.summary = "Change one of my notes"}, .require = writes});
    notes_routes.del("/:id",
                     [store](const Request& request, ResponseWriter w, const User& u) {
                         const auto id = note_id(request);
                         if (!id || !store->delete_note(u.id, *id))
                             return fauth::http::send_detail(w, Code::Not_Found, "Note not found");
                         w.send(Code::No_Content);
                     },
                     {.doc = {.summary = "Delete one of my notes"}, .require = writes});

    api.get("/api/v1/admin/users",
            auth.require_roles(
                {"admin"},
                [store](const Request&, ResponseWriter w, const User&) {
                    auto list = nlohmann::json::array();
                    for (const auto& u : store->users())
                        list.push_back({{"id", u.id}, {"email", u.email}, {"roles", u.roles}, {"is_active", u.is_active}});
                    fauth::http::send_json(w, Code::Ok, list);
                }),
            {.summary = "Every user", .tags = {"Admin"}});
    notes::add_login_page(api, api.config().cookies.csrf_cookie);
    api.serve_openapi("/openapi.json", {.title = "fauth notes", .version = "1.0.0"});
    // For admins only (the quickstart shows it open): the counts tell how logins and
    // registrations go. A scraper gets an admin's token, or a second Server on an address only it
    // reaches serves them (docs/guides/metrics.md).
    api.get("/metrics", auth.require_roles({"admin"}, fauth::http::metrics_handler(metrics)), {.hidden = true});

    fauth::http::Server server{api, {.host = host, .port = port, .threads = std::stoi(env_or("FAUTH_THREADS", "2"))}};
    std::cout << "fauth notes listening on http://" << host << ":" << server.start() << std::endl;
    fauth::http::wait_for_shutdown_signal();
    server.stop();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "fauth-notes: " << e.what() << std::endl;
    return 1;
}
