/// @file
/// fauth/oidc/login.hpp — the first half of signing in at an OpenID provider as a relying party
/// (authorization code flow with PKCE, RFC 7636 S256, OpenID Connect Core 1.0 section 3.1): the
/// request that sends the browser to the provider, and what the browser must bring back, sealed
/// into a short-lived cookie so that the service keeps no state per sign-in started. Link
/// fauth::oidc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fauth/core/outcome.hpp"

namespace fauth::oidc {

/// RFC 7636's S256 code challenge of `verifier`: base64url(SHA-256(verifier)), without padding.
std::string pkce_challenge(std::string_view verifier);

/// What a sign-in started in one browser must find again at its callback. Only `state`, `nonce`
/// and the challenge of `code_verifier` go to the provider in the browser's request; the
/// verifier itself goes to the provider with the code, and is otherwise kept encrypted
/// (LoginStateSeal).
struct LoginState {
    /// The provider's name in this service (its path segment in `/auth/{provider}/...`).
    std::string provider;
    /// The `state` parameter: 128 random bits, base64url; the callback must bring it back.
    std::string state;
    /// The `nonce` the ID token must carry: 128 random bits, base64url.
    std::string nonce;
    /// The PKCE code verifier: 256 random bits, base64url (43 characters).
    std::string code_verifier;
    /// Where the browser goes once signed in: a path of this service ("/" and printable ASCII,
    /// not "//" or "/\" at its start, no backslash, at most 1,024 bytes).
    std::string return_to;
    /// When it stops being accepted, in Unix seconds.
    std::int64_t expires_at = 0;
};

/// A LoginState for `provider` (1 to 64 of A-Z, a-z, 0-9, '.', '_', '-') with a new random state,
/// nonce and code verifier (the system CSPRNG), accepted until `now` + `lifetime` (more than 0,
/// at most an hour; ConfigError otherwise). A `return_to` that is no path of this service (see
/// LoginState::return_to: another host, a scheme, control characters) becomes "/", so that no
/// link can make the sign-in an open redirect.
LoginState new_login_state(std::string provider, std::string return_to, std::int64_t now,
                           std::chrono::seconds lifetime = std::chrono::minutes(10));

/// Seals login states into cookie values and opens them again: the state as JSON, encrypted and
/// authenticated with AES-256-GCM (a random 96-bit IV; the provider's name as associated data)
/// under a key derived from the secret given (HMAC-SHA-256 of a label, so that the same secret may
/// also sign tokens), base64url(IV, ciphertext, tag). The verifier and nonce are not readable by
/// whoever sees the cookie.
class LoginStateSeal {
public:
    /// `secret`: at least 32 bytes (ConfigError otherwise).
    explicit LoginStateSeal(std::string_view secret);
    /// Wipes the key.
    ~LoginStateSeal();
    /// Takes `other`'s key (`other` is then unusable).
    LoginStateSeal(LoginStateSeal&& other) noexcept;
    /// Takes `other`'s key (`other` is then unusable).
    LoginStateSeal& operator=(LoginStateSeal&& other) noexcept;

    /// `state` sealed: a cookie value (base64url, nothing to escape; under 2 KiB). Throws
    /// std::invalid_argument for a provider name or return path new_login_state would not make.
    std::string seal(const LoginState& state) const;
    /// The state `sealed` holds, when it opens under this key for `provider` (at most 4,096
    /// bytes), its state equals `state_parameter` (constant time), and `now` is before its expiry,
    /// which is at most an hour away. Otherwise a failure of kind bad_request, detail "Invalid
    /// sign-in state", whose log says which check failed; never an exception for what a browser
    /// sent. A state may be opened more than once until it expires: the callback clears its
    /// cookie, and the provider takes each code once.
    Result<LoginState> open(std::string_view sealed, std::string_view provider, std::string_view state_parameter,
                            std::int64_t now) const;

    /// An ID token sealed for provider `name` under the same key (another associated data: never
    /// opened as a login state), to keep as the `id_token_hint` of RP-initiated logout in an
    /// HttpOnly cookie that no script, and no one who sees it, can read. Empty for an ID token over
    /// 2,800 bytes (its cookie would pass the 4,096 bytes browsers keep): the logout goes without a
    /// hint then. Throws std::invalid_argument for a name new_login_state would refuse.
    std::string seal_hint(std::string_view name, std::string_view id_token) const;
    /// The ID token seal_hint sealed for `name`, or nothing (another key or provider, changed).
    std::optional<std::string> open_hint(std::string_view sealed, std::string_view name) const;

private:
    struct Impl;
    std::unique_ptr<const Impl> impl_;
};

/// The URL that starts the sign-in at the provider: `authorization_endpoint` (from its discovery
/// document) with response_type=code, client_id, redirect_uri, scope (`scopes`, "openid" first
/// whether listed or not), state, nonce, code_challenge (S256 of the verifier) and
/// code_challenge_method=S256, then `extra` parameters (prompt, login_hint, max_age, acr_values,
/// ...), each form-encoded; joined with "&" to a query the endpoint already has, a fragment
/// dropped. ConfigError for an empty endpoint, client id or redirect URI, a scope that is empty or
/// holds a space, or an extra parameter that is empty or one fauth sets (or response_mode,
/// request, request_uri, which would change the flow).
std::string authorization_url(std::string_view authorization_endpoint, std::string_view client_id, std::string_view redirect_uri,
                              const std::vector<std::string>& scopes, const LoginState& login,
                              const std::vector<std::pair<std::string, std::string>>& extra = {});

}  // namespace fauth::oidc
