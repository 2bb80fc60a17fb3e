/// @file
/// fauth/oidc/relying_party.hpp — this service as an OpenID Connect relying party of one provider
/// (Keycloak, Entra ID, Google, oidc-provider...): its metadata found by discovery, the request
/// that sends a browser there (authorization code + PKCE S256, login.hpp), the code redeemed at
/// its token endpoint over libcurl (a client secret, `private_key_jwt` or a public client), the ID
/// token verified with its published keys (id_token.hpp), RP-initiated logout's URL, and its
/// back-channel logout tokens verified. Its fetches run on one thread it owns. Link fauth::oidc.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/core/clock.hpp"
#include "fauth/core/config.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/outcome.hpp"
#include "fauth/oidc/fetch.hpp"
#include "fauth/oidc/id_token.hpp"
#include "fauth/oidc/login.hpp"

namespace fauth::oidc {

class JwksKeyRing;

/// How this service authenticates at the provider's token endpoint (OpenID Connect Core 1.0
/// section 9).
enum class TokenEndpointAuth {
    /// `Authorization: Basic` with the form-encoded client id and secret.
    client_secret_basic,
    /// `client_id` and `client_secret` in the form.
    client_secret_post,
    /// A JWT signed with RelyingPartyOptions::signing_key (RFC 7523 section 2.2), no secret sent.
    private_key_jwt,
    /// A public client: only `client_id` (PKCE is what binds the code to this service).
    none,
};

/// One provider a service's users may sign in with.
struct RelyingPartyOptions {
    /// Its name in this service: the path segment of `/auth/{name}/...`, 1 to 64 of A-Z, a-z,
    /// 0-9, '.', '_', '-'. Required.
    std::string name;
    /// What a page calls it ("Sign in with ..."); the name when empty.
    std::string display_name;
    /// Its issuer, exactly as its ID tokens' `iss`; its metadata is read from
    /// {issuer}/.well-known/openid-configuration and must name it. Required.
    std::string issuer;
    /// This service's client id there. Required.
    std::string client_id;
    /// How this service authenticates at the token endpoint.
    TokenEndpointAuth authentication = TokenEndpointAuth::client_secret_basic;
    /// The client secret (client_secret_basic, client_secret_post).
    std::string client_secret;
    /// The private key whose public JWK the provider has (private_key_jwt); its kid is sent.
    std::optional<Key> signing_key;
    /// The callback URL registered at the provider, absolute (https://, or http:// on loopback),
    /// e.g., "https://app.example.com/auth/keycloak/callback". Required.
    std::string redirect_uri;
    /// Scopes asked for ("openid" is always sent first).
    std::vector<std::string> scopes{"openid", "email", "profile"};
    /// More parameters of the authorization request (prompt, login_hint, acr_values, ...).
    std::vector<std::pair<std::string, std::string>> authorization_parameters;
    /// When set, sent as `max_age`, and the ID token's `auth_time` must be no older.
    std::optional<std::chrono::seconds> max_age;
    /// The algorithms its ID tokens and logout tokens may be signed with (never HMAC nor none).
    std::vector<std::string> id_token_algorithms{"RS256", "ES256"};
    /// Keep the provider's refresh token (SignedIn::refresh_token) to call its APIs later;
    /// otherwise it is dropped at once.
    bool keep_refresh_token = false;
    /// Where the provider sends the browser after RP-initiated logout (registered there); empty:
    /// the provider decides.
    std::string post_logout_redirect_uri;
    /// How long a sign-in started may take to come back (at most an hour).
    std::chrono::seconds login_lifetime = std::chrono::minutes(10);
    /// Clock skew allowed on the provider's times.
    std::chrono::seconds leeway = std::chrono::seconds(60);
    /// How old a back-channel logout token's `iat` may be.
    std::chrono::seconds logout_token_max_age = std::chrono::minutes(2);
    /// Requests waiting for the provider at most (code redemptions, logout tokens); more are
    /// answered Unavailable at once.
    std::size_t max_waiting = 256;
    /// How requests are made: trusted CAs, plain-http hosts, timeouts, size limit.
    FetchOptions fetch;
    /// What "now" is (the system clock when empty).
    fauth::Clock clock;
    /// Where failed fetches and refused answers are reported (standard error when empty).
    LogSink log;
};

/// What discovery found of the provider (OpenID Connect Discovery 1.0).
struct ProviderMetadata {
    /// Its issuer (equal to RelyingPartyOptions::issuer).
    std::string issuer;
    /// Where the browser is sent to sign in.
    std::string authorization_endpoint;
    /// Where codes are redeemed.
    std::string token_endpoint;
    /// RP-initiated logout's endpoint; empty when it has none.
    std::string end_session_endpoint;
    /// It sends `iss` with its authorization responses (RFC 9207), which must then match.
    bool sends_issuer_parameter = false;
};

/// An external identity as a provider vouched for it: what the application's loader maps to a
/// local user (find, link or create). Key users by `issuer` and `subject` together, never by
/// `email` alone: another provider, or another account at the same one, may claim the address.
struct ExternalIdentity {
    /// The provider's name in this service (RelyingPartyOptions::name).
    std::string provider;
    /// The ID token's `iss`.
    std::string issuer;
    /// The ID token's `sub`: unique and stable within `issuer`.
    std::string subject;
    /// The `email` claim, when the ID token has one.
    std::optional<std::string> email;
    /// The `email_verified` claim (false when absent).
    bool email_verified = false;
    /// The `name` claim, or empty.
    std::string name;
    /// The whole verified ID token payload.
    nlohmann::json claims;
};

/// What a redeemed sign-in yields. Provider tokens stay on the server: nothing here is meant for
/// the browser.
struct SignedIn {
    /// The verified ID token.
    IdToken id_token;
    /// The ID token as the provider sent it (the `id_token_hint` of RP-initiated logout).
    std::string raw_id_token;
    /// The provider's access token (for its userinfo endpoint or APIs).
    std::string access_token;
    /// The provider's refresh token, when keep_refresh_token is set and it gave one.
    std::string refresh_token;
    /// Where the browser goes now (LoginState::return_to).
    std::string return_to;
    /// The provider's name in this service (RelyingPartyOptions::name).
    std::string provider;
    /// The identity, for the application's loader.
    ExternalIdentity identity() const;
};

/// One provider, as a relying party. Thread-safe. The constructor starts its thread
/// (`fauth-oidc-rp`) and its key ring's; the destructor cancels a fetch under way, answers every
/// waiting request Unavailable and joins them. Discovery runs on first need or with discover_now;
/// until it has succeeded, sign-ins are answered Unavailable.
class RelyingParty {
public:
    /// Checks the options (ConfigError names what is wrong: no name, issuer, client id or
    /// redirect URI; a URL that is neither https:// nor loopback; a secret for a method that sends
    /// none or none for one that does; a signing key that cannot sign; an HMAC or unknown
    /// algorithm; bad bounds) and starts the thread. Nothing is fetched yet.
    explicit RelyingParty(RelyingPartyOptions options);
    ~RelyingParty();
    RelyingParty(const RelyingParty&) = delete;
    RelyingParty& operator=(const RelyingParty&) = delete;

    /// Reads the provider's metadata and keys now, waiting at most `wait`: true once both are
    /// here. The metadata must name the configured issuer, list S256 among its
    /// code_challenge_methods_supported (PKCE is never left out) and `code` among its
    /// response_types_supported, and its endpoints must be https:// (or loopback).
    bool discover_now(std::chrono::milliseconds wait = std::chrono::seconds(10));
    /// Starts discovery on the thread and returns at once.
    void discover_in_background();
    /// The metadata, once discovery has succeeded.
    std::optional<ProviderMetadata> metadata() const;
    /// The options it was made with.
    const RelyingPartyOptions& options() const noexcept { return options_; }
    /// Its key ring (the provider's JWK Set).
    const std::shared_ptr<JwksKeyRing>& keys() const noexcept { return keys_; }

    /// A new sign-in: its state (new_login_state) and the URL that sends the browser to the
    /// provider. Unavailable (Retry-After) until discovery has succeeded, which it then starts.
    Result<std::pair<LoginState, std::string>> start(std::string return_to) const;
    /// RFC 9207: the `iss` of an authorization response (nullopt when it had none) is this
    /// provider's, and present when the provider says it sends one. Otherwise a failure of kind
    /// bad_request (another provider's answer sent here: a mix-up attack).
    Result<void> check_issuer_parameter(const std::optional<std::string>& iss) const;
    /// Redeems `code` for `login` (opened from its sealed cookie) at the token endpoint, with the
    /// PKCE verifier, and verifies the ID token (verify_id_token: issuer, audience = client id,
    /// azp, nonce = login's, at_hash, auth_time against max_age; its key fetched once more when it
    /// names one the ring has not seen; unavailable while none has been loaded). `done` runs once, on this object's thread, or at once on
    /// this thread when refused at once (beyond max_waiting, or before discovery). Failures:
    /// bad_request (the provider refused the code: reused, expired, or for another client),
    /// invalid_token (the ID token), unavailable (the provider cannot be reached or answered
    /// something unusable). `done` must not own this object.
    void redeem(std::string code, LoginState login, std::function<void(Result<SignedIn>)> done);
    /// Verifies a back-channel logout token (verify_logout_token against this provider's issuer,
    /// client id and keys); `done` as for redeem. Its `jti` is not remembered here: the caller
    /// keeps a replay cache.
    void verify_logout(std::string token, std::function<void(Result<LogoutToken>)> done);
    /// The URL of RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the
    /// end_session_endpoint with id_token_hint, client_id and post_logout_redirect_uri when
    /// configured; nullopt when the provider has none (or discovery has not succeeded).
    std::optional<std::string> end_session_url(std::string_view id_token_hint) const;

private:
    struct Job {
        std::function<void()> run;
        std::function<void()> cancel;  // answers the request Unavailable when the thread stops first
    };
    bool enqueue(Job job);
    void run();
    bool discover();
    // `verify(keys)` with the ring's keys; when it fails, once more after the ring has fetched
    // (a key the provider has just added; the ring limits how often it fetches).
    template <class T, class Verify>
    Result<T> with_keys(const Verify& verify);
    Result<SignedIn> redeem_now(const std::string& code, const LoginState& login);
    std::string client_assertion(const std::string& audience) const;
    std::int64_t now() const;
    void log(const std::string& message) const noexcept;

    const RelyingPartyOptions options_;
    std::shared_ptr<JwksKeyRing> keys_;
    mutable std::mutex mutex_;
    mutable std::condition_variable wake_;
    std::deque<Job> queue_;
    std::optional<ProviderMetadata> metadata_;                    // guarded by mutex_
    mutable bool discovery_wanted_ = false;                       // guarded by mutex_
    std::chrono::steady_clock::time_point retry_discovery_at_{};  // after a failure; guarded by mutex_
    bool stopping_ = false;
    std::atomic<bool> cancel_{false};
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace fauth::oidc
