/// @file
/// fauth/http/oidc_login.hpp — "Sign in with ...": this service as a backend-for-frontend relying
/// party of OpenID providers. A browser sent to `{prefix}/{name}/login` goes to the provider with
/// an authorization code + PKCE request whose state, nonce and verifier stay sealed in a
/// short-lived HttpOnly cookie; at `{prefix}/{name}/callback` the code is redeemed on the
/// provider's thread, the ID token verified, the external identity mapped to a local user by the
/// application, and fauth's own cookie session started. Provider tokens never reach the page.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/auth/provider.hpp"
#include "fauth/auth/replay_cache.hpp"
#include "fauth/http/api.hpp"
#include "fauth/http/client_address.hpp"
#include "fauth/http/cookies.hpp"
#include "fauth/http/endpoint.hpp"
#include "fauth/http/events.hpp"
#include "fauth/http/login.hpp"
#include "fauth/http/response.hpp"
#include "fauth/oidc/relying_party.hpp"

namespace fauth::http {

/// How the sign-in routes answer a browser and what they share for every provider.
template <class User>
struct OidcSignIn {
    /// The providers offered, each with its own name (RelyingPartyOptions::name).
    std::vector<std::shared_ptr<oidc::RelyingParty>> providers;
    /// Maps an external identity to a local user: find it by its issuer and subject, link it to
    /// an account, or create one (the application decides). It returns std::optional<User>,
    /// Outcome<std::optional<User>> or a promise of one, and runs on a `fauth-callback` thread;
    /// nothing refuses the sign-in (403 "No account for this identity"). Required.
    std::function<Outcome<std::optional<User>>(const oidc::ExternalIdentity&)> identity_loader;
    /// Called once a sign-in has succeeded, with the user and what the provider gave (its refresh
    /// token when RelyingPartyOptions::keep_refresh_token is set): keep there, server-side, what
    /// calling its APIs needs. On a `fauth-callback` thread; what it throws is logged.
    std::function<void(const User&, const oidc::SignedIn&)> on_signed_in;
    /// The secret that seals the sign-in state cookie (at least 32 bytes); the provider's
    /// TokenConfig::secret_key when empty.
    std::string state_secret;
    /// The routes' prefix: `{prefix}/{name}/login`, `{prefix}/{name}/callback` and
    /// `{prefix}/{name}/backchannel-logout`.
    std::string prefix = "/auth";
    /// Where back-channel logout tokens' `jti`s are remembered until they expire, so that a token
    /// is taken once (share one between processes: RedisReplayCache); a MemoryReplayCache when
    /// empty.
    std::shared_ptr<ReplayCache> logout_replay_cache;
};

/// What a callback request brings, once checked: the code to redeem and the sign-in it finishes.
struct CallbackGrant {
    /// The authorization code.
    std::string code;
    /// The sign-in the browser started (opened from its sealed cookie).
    oidc::LoginState login;
};

/// Reads a provider's authorization response at its callback, in order: the query's parameters
/// (percent-decoded, each at most 4,096 bytes; Pistache keeps the first of repeated ones), the
/// sign-in cookie opened with `seal` for the state given (missing, another provider's, changed,
/// expired or another state: "Invalid sign-in state"), RFC 9207's `iss`
/// (RelyingParty::check_issuer_parameter), the provider's `error` ("The sign-in was cancelled or
/// refused at the provider", its code and description logged), then the code. Failures are of
/// kind bad_request.
Result<CallbackGrant> read_callback(const Pistache::Http::Request& request, const oidc::RelyingParty& relying_party,
                                    const oidc::LoginStateSeal& seal, const CookieSettings& cookies, std::int64_t now);

/// The tag a session signed in at `issuer` carries for its `kind` ("sid": the provider's session;
/// "sub": the account there) of `value`: "oidc-{kind}:" and the base64url SHA-256 of the issuer
/// and the value. A back-channel logout ends the sessions of one tag (RevocationStore::end_tagged).
std::string session_tag(std::string_view kind, std::string_view issuer, std::string_view value);

/// The logout token of a back-channel logout request (POST, application/x-www-form-urlencoded,
/// at most 16 KiB, `logout_token` exactly once), or a failure of kind bad_request.
Result<std::string> read_logout_token(const Pistache::Http::Request& request);

/// The tags of the sessions a verified logout token ends: its provider session's ("sid"), and,
/// when it names its account too, that account's sessions whose ID token had no `sid`
/// ("nosid"); without a `sid`, every session of its account there ("sub").
std::vector<std::string> logout_tags(const oidc::LogoutToken& token);

/// The tags a session signed in with `id_token` carries: "sub" always, and "sid" when the ID
/// token names its provider session, else "nosid" (see logout_tags).
std::vector<std::string> sign_in_tags(const oidc::IdToken& id_token);

/// The back-channel logout route of `relying_party` (OpenID Connect Back-Channel Logout 1.0):
/// reads the logout token (read_logout_token), verifies it on the relying party's thread
/// (RelyingParty::verify_logout; 400 "Invalid logout token"), ends the sessions of its tags
/// (logout_tags, RevocationStore::end_tagged; 503 when the store cannot, and the provider may send
/// it again), then takes its `jti` once in `replay` (400 for a token seen before: its sessions
/// were ended again, which is all a replay within its two minutes can do), and answers 200.
Pistache::Rest::Route::Handler backchannel_logout_handler(const Engine& engine, std::shared_ptr<oidc::RelyingParty> relying_party,
                                                          std::shared_ptr<ReplayCache> replay);

/// Answers a back-channel logout (OpenID Connect Back-Channel Logout 1.0 section 2.8): 200 with
/// `Cache-Control: no-store` once `ended` sessions have been ended, else send_failure's answer
/// (400 for a token refused, 503 while the store cannot end them). Logs what happened.
void answer_backchannel_logout(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, std::string_view provider,
                               const Result<std::size_t>& ended) noexcept;

/// True when `request` prefers a page (its Accept names text/html): a browser following a redirect.
bool wants_page(const Pistache::Http::Request& request);

/// Answers a sign-in that did not complete: reported as a security event (bad_request and
/// forbidden ones), the sign-in cookie cleared, then send_failure's answer, or, for a browser
/// (wants_page), the same status with a short page saying the detail and linking to "/".
void refuse_sign_in(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const CookieSettings& cookies,
                    std::string_view provider, const Failure& failure, SecurityEvent event, bool page) noexcept;

/// Starts `tokens`' cookie session (set_session_cookies), clears the sign-in cookie, keeps
/// `sealed_hint` (LoginStateSeal::seal_hint of the ID token) in the hint cookie below `routes`
/// (the provider's routes, for end_session_handler) for the session's lifetime, and sends the
/// browser to `location` (303), reporting login_success for `subject`.
void finish_sign_in(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const CookieSettings& cookies,
                    const TokenCodec& codec, std::string_view provider, const TokenResponse& tokens, const std::string& location,
                    const std::string& routes, std::string sealed_hint, SecurityEvent event, std::string subject) noexcept;

/// RP-initiated logout's route (OpenID Connect RP-Initiated Logout 1.0) of `relying_party`,
/// mounted at `{prefix}/{name}/end-session`: send the browser there once fauth's own session is
/// ended (logout_endpoint). It drops the hint cookie and answers 303 to the provider's
/// end_session_endpoint with the ID token of the sign-in as `id_token_hint` (when its cookie
/// opens), `client_id` and the configured post_logout_redirect_uri; to "/" when the provider has
/// no such endpoint. It changes nothing here, so a link from another site can do no more than
/// any link to the provider's logout page.
Pistache::Rest::Route::Handler end_session_handler(std::shared_ptr<oidc::RelyingParty> relying_party,
                                                   std::shared_ptr<const oidc::LoginStateSeal> seal,
                                                   std::shared_ptr<const HttpConfig> http, std::string routes, LogSink log);
/// The OpenAPI description of a provider's end-session route.
RouteDoc end_session_doc(std::string_view display_name);

/// The login route of `relying_party` under `cookies` (sealing with `seal`): starts a sign-in
/// (RelyingParty::start), sets the sign-in cookie (HttpOnly, SameSite=Lax so that the provider's
/// redirect brings it back, Secure and `__Host-` as the session cookies are, Max-Age the sign-in's
/// lifetime) and answers 302 to the provider. `return_to` (a path of this service) says where
/// the browser goes once signed in. 503 with Retry-After while the provider's metadata is unknown.
Pistache::Rest::Route::Handler sign_in_start_handler(std::shared_ptr<oidc::RelyingParty> relying_party,
                                                     std::shared_ptr<const oidc::LoginStateSeal> seal,
                                                     std::shared_ptr<const HttpConfig> http, LogSink log);

/// The OpenAPI description of the login route of a provider called `display_name`.
RouteDoc sign_in_start_doc(std::string_view display_name);
/// The OpenAPI description of a provider's callback route.
RouteDoc sign_in_callback_doc(std::string_view display_name);
/// The OpenAPI description of a provider's back-channel logout route.
RouteDoc backchannel_logout_doc(std::string_view display_name);

/// Mounts the sign-in routes of every provider of `sign_in` on `api`: GET `{prefix}/{name}/login`
/// (sign_in_start_handler) and GET `{prefix}/{name}/callback`, which, in order: reads the
/// response (read_callback: 400 for a bad state, a mix-up or the provider's error), redeems
/// the code and verifies the ID token (RelyingParty::redeem: 400 for a refused code or ID token,
/// 503 while the provider cannot be reached), maps the identity (identity_loader: 403 for no user
/// or an inactive one), starts the cookie session (the access token is not fresh: no password
/// was checked here) and sends the browser to its return path (303). Every outcome clears the
/// sign-in cookie and is reported as a security event. Throws ConfigError when cookies are not
/// accepted (HttpConfig::cookies), for a provider name used twice, no identity_loader, or no
/// secret to seal with.
template <class User>
void add_oidc_sign_in(Api& api, const AuthProvider<User>& auth, OidcSignIn<User> sign_in) {
    const auto& http = api.config();
    if (!http.cookies.accepts_cookie())
        throw ConfigError("add_oidc_sign_in: a sign-in starts a cookie session; set HttpConfig::cookies.transport");
    if (!sign_in.identity_loader) throw ConfigError("add_oidc_sign_in: identity_loader is required");
    const auto& secret = sign_in.state_secret.empty() ? auth.config().tokens.secret_key : sign_in.state_secret;
    auto seal = std::make_shared<const oidc::LoginStateSeal>(secret);
    auto shared_http = std::make_shared<const HttpConfig>(http);
    auto loader = std::make_shared<const std::function<Outcome<std::optional<User>>(const oidc::ExternalIdentity&)>>(
        std::move(sign_in.identity_loader));
    auto signed_in_hook =
        std::make_shared<const std::function<void(const User&, const oidc::SignedIn&)>>(std::move(sign_in.on_signed_in));
    std::shared_ptr<ReplayCache> replay = sign_in.logout_replay_cache;
    if (!replay) replay = std::make_shared<MemoryReplayCache>();
    std::vector<std::string> names;
    for (const auto& rp : sign_in.providers) {
        if (!rp) throw ConfigError("add_oidc_sign_in: a provider is null");
        const auto& options = rp->options();
        if (std::find(names.begin(), names.end(), options.name) != names.end())
            throw ConfigError("add_oidc_sign_in: two providers are called " + options.name);
        names.push_back(options.name);
        const auto display = options.display_name.empty() ? options.name : options.display_name;
        const auto base = sign_in.prefix + "/" + options.name;
        api.get(base + "/login", Endpoint(sign_in_start_handler(rp, seal, shared_http, auth.config().tokens.log)),
                sign_in_start_doc(display));
        auto callback = [&auth, rp, seal, http = shared_http, loader, signed_in_hook,
                         routes = base](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const AuthConfig& config = auth.config();
            const auto& name = rp->options().name;
            const bool page = wants_page(request);
            auto event = request_event(SecurityEventType::login_failure, request, *http);
            event.identifier = "oidc:" + name;
            // Where the session is opened from, as the list of a user's sessions shows it.
            auto device_base = std::make_shared<const SessionDevice>(
                SessionDevice{throttle_client(client_address(request, *http), http->ipv6_client_prefix),
                              user_agent_of(request),
                              {},
                              "oidc:" + name,
                              {}});
            auto fail = [&](const Failure& failure) {
                refuse_sign_in(writer, config, http->cookies, name, failure, event, page);
            };
            const auto now = fauth::unix_seconds(config.tokens.clock);
            auto grant = read_callback(request, *rp, *seal, http->cookies, now);
            if (!grant) return fail(grant.failure());
            auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
            auto refuse_later = [&config, http, name, shared, page, event](const Failure& failure) {
                refuse_sign_in(*shared, config, http->cookies, name, failure, event, page);
            };
            auto redeem = [&auth, rp, http, name, shared, event, loader, signed_in_hook, refuse_later, device_base, seal, routes,
                           grant = std::make_shared<const CallbackGrant>(std::move(*grant))]() {
                auth.engine()
                    .template off_thread<oidc::SignedIn>(
                        [rp, grant](auto settle) mutable { rp->redeem(grant->code, grant->login, std::move(settle)); })
                    .then([&auth, http, name, shared, event, loader, signed_in_hook, refuse_later, device_base, seal,
                           routes](Result<oidc::SignedIn> redeemed) {
                        if (!redeemed) return refuse_later(redeemed.failure());
                        auto signed_in = std::make_shared<oidc::SignedIn>(std::move(*redeemed));
                        const auto identity = signed_in->identity();
                        auto found = [&]() -> Outcome<std::optional<User>> {
                            try {
                                return (*loader)(identity);
                            } catch (...) {
                                return failure_of(std::current_exception(), "identity_loader");
                            }
                        }();
                        auth.engine().after(std::move(found), [&auth, &config = auth.config(), http, name, shared, event,
                                                               signed_in, signed_in_hook, refuse_later, device_base, seal,
                                                               routes](Result<std::optional<User>> user) {
                            try {  // your code: user_traits, the claims functions
                                if (!user) return refuse_later(user.failure());
                                if (!*user) return refuse_later(Forbidden("No account for this identity").failure());
                                if (!user_is_active(**user)) return refuse_later(InactiveUser().failure());
                                auto device = *device_base;
                                device.tags = sign_in_tags(signed_in->id_token);
                                // The access token is not fresh: no password was checked here.
                                auto opened = auth.open_session(**user, Engine::Proof::none, std::move(device));
                                auth.engine().after(std::move(opened), [&config, &codec = auth.tokens(), http, name, shared,
                                                                        event, signed_in, signed_in_hook, refuse_later, seal,
                                                                        routes,
                                                                        user = std::move(**user)](Result<TokenResponse> tokens) {
                                    if (!tokens) return refuse_later(tokens.failure());
                                    if (*signed_in_hook) {
                                        try {
                                            (*signed_in_hook)(user, *signed_in);
                                        } catch (...) {
                                            write_log(config.tokens.log,
                                                      failure_of(std::current_exception(), "on_signed_in").log);
                                        }
                                    }
                                    try {
                                        finish_sign_in(*shared, config, http->cookies, codec, name, *tokens, signed_in->return_to,
                                                       routes, seal->seal_hint(name, signed_in->raw_id_token), event,
                                                       user_id(user));
                                    } catch (...) {
                                        refuse_later(failure_of(std::current_exception(), "sign-in"));
                                    }
                                });
                            } catch (...) {
                                refuse_later(failure_of(std::current_exception(), "sign-in"));
                            }
                        });
                    });
            };
            // A code redeemed is a login attempt: counted per client as password logins are, so
            // that no client can queue redemptions at the provider without bound.
            auth.engine().after(auth.engine().throttle().hit(instruments::throttle_key(instruments::ThrottleBucket::login_client,
                                                                                       device_base->client),
                                                             config.login_limits.per_client),
                                [redeem, refuse_later](Result<ThrottleDecision> decision) {
                                    if (!decision) return refuse_later(decision.failure());
                                    if (!decision->allowed) return refuse_later(Throttled(decision->retry_after).failure());
                                    redeem();
                                });
        };
        api.get(base + "/callback", Endpoint(std::move(callback)), sign_in_callback_doc(display));
        api.get(base + "/end-session", Endpoint(end_session_handler(rp, seal, shared_http, base, auth.config().tokens.log)),
                end_session_doc(display));

        // Back-channel logout: the provider ends the sessions its user signed out of there.
        api.post(base + "/backchannel-logout", Endpoint(backchannel_logout_handler(auth.engine(), rp, replay)),
                 backchannel_logout_doc(display));
    }
}

}  // namespace fauth::http
