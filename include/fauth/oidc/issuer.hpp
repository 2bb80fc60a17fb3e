/// @file
/// fauth/oidc/issuer.hpp — identity providers whose access tokens a service accepts beside its own
/// (a resource server's trust): each chosen by the token's `iss`, verified with its own keys and
/// algorithms, and read in its own claim shape (Keycloak, Auth0, Microsoft Entra ID, Cognito...).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fauth/core/policy.hpp"

namespace fauth {

namespace oidc {
class Introspection;
}

/// A path to a value inside a token's claims, one member name per step: {"realm_access", "roles"}.
/// (A list, not a dotted string: Auth0's namespaced claims are URLs full of dots.)
using ClaimPath = std::vector<std::string>;

/// An identity provider whose access tokens are accepted (its IssuerPolicy). A token is routed to it when its `iss`
/// equals `issuer` exactly; a token naming an issuer nobody configured is refused before any key
/// is looked up or fetched. Its tokens need `sub` and `exp`, and an audience of this API; `jti`
/// and `token_type` are optional (an external token is only ever an access token). Unless
/// `accept_tokens_without_at_jwt` is set (the presets set it), a token's header must say
/// `typ: at+jwt` (RFC 9068): the provider's ID tokens are signed by the same keys and may name
/// this API as their audience, and nothing else tells them apart. Its sessions
/// are its issuer's: the revocation store is not consulted for it, and logout refuses it. Its
/// `sub` is unique only within that issuer: a user_loader serving several issuers (or them and
/// this service's own users) keys users by TokenPayload::iss and sub together.
struct TrustedIssuer {
    /// Its `iss`, exactly as its tokens carry it, e.g. "https://keycloak.example.com/realms/main".
    std::string issuer;
    /// This API's identifiers: the token's audience (string or array) must hold one. Required.
    std::vector<std::string> audiences;
    /// The claim holding the audience: "aud", or "client_id" for Cognito's access tokens.
    std::string audience_claim = "aud";
    /// Its keys, usually an oidc::JwksKeyRing (with its issuer URL, discovery finds them). Required.
    std::shared_ptr<KeyRing> keys;
    /// The algorithms its tokens may use with keys whose JWK names no `alg`; a key whose JWK
    /// declares its `alg` verifies that one, listed or not (RFC 8725 section 3.1). Each key still
    /// verifies only its own algorithm.
    std::vector<std::string> algorithms{"RS256"};
    /// Where its scopes are: space-separated strings (RFC 9068 `scope`, Entra's `scp`) or arrays
    /// (Auth0's `permissions`). They fill TokenPayload::scopes; a claim named `scopes` counts only
    /// when a path names it.
    std::vector<ClaimPath> scope_claims{{"scope"}, {"scp"}};
    /// Where its roles are (arrays of strings, or one string); they fill TokenPayload::roles.
    std::vector<ClaimPath> role_claims;
    /// The opt-out of the `typ: at+jwt` requirement: when true, tokens whose header says `typ: JWT`
    /// or no `typ` are accepted too. Set it only when something else tells the provider's access
    /// tokens from its ID tokens: `required_claims` (Keycloak, Cognito), an audience its ID tokens
    /// never carry (Auth0, Entra ID), or a `token_type` the provider always writes (fauth).
    bool accept_tokens_without_at_jwt = false;
    /// When set, the token's `azp` (authorized party: the client it was issued to) must equal it.
    std::optional<std::string> authorized_party;
    /// Claims that must hold exactly these string values, e.g., {"typ", "Bearer"} for Keycloak or
    /// {"token_use", "access"} for Cognito: what tells the provider's access tokens from its ID
    /// tokens, which are signed by the same keys and may name the same audience.
    std::map<std::string, std::string> required_claims;
    /// Its token introspection (RFC 7662; fauth/oidc/introspection.hpp), when some of its tokens
    /// are checked at its introspection endpoint instead of with `keys` (which still verify its
    /// JWTs, and its signed RFC 9701 answers): `introspected_tokens` says which. The answer is
    /// read in this issuer's claim shape and checked as its JWTs are (read_introspection). One
    /// issuer of a configuration at most has one: opaque tokens name no issuer.
    std::shared_ptr<oidc::Introspection> introspection;
    /// Which tokens go to `introspection`: opaque ones only (not a compact JWS: the default), or
    /// every token of this issuer (its JWTs too, chosen by their `iss`).
    IntrospectedTokens introspected_tokens = IntrospectedTokens::opaque;

    /// Throws ConfigError naming what is missing or wrong (no issuer, no audience, no keys, an
    /// algorithm fauth does not verify or an HMAC one, a claim path into a claim fauth reads
    /// itself: sub, exp, iat, nbf, jti, token_type, iss, aud; white space around the issuer; keys
    /// from an oidc::JwksKeyRing that discovers another issuer's; an introspection that discovers
    /// another issuer's endpoint). Nothing is fetched: call it
    /// (or make the AuthProvider, which calls it) before the keys are loaded.
    void validate() const;

    /// This issuer as the policy TokenConfig::issuers holds, so that `config.issuers =
    /// {TrustedIssuer::keycloak(...)}` reads as it says. A copy: later changes to this one do not reach it.
    operator std::shared_ptr<const IssuerPolicy>() const;

    /// Any provider that issues RFC 9068 JWT access tokens (the standard profile; use it for every
    /// provider not listed below): the header must say `typ: at+jwt` (or `application/at+jwt`),
    /// so the provider's ID tokens are refused even when their audience is this API; scopes from
    /// `scope` (a space-separated string, "read write"); roles from `roles` (RFC 9068 section
    /// 2.2.3.1, an array or one string; add `groups` or `entitlements` to role_claims if the
    /// provider writes those). Algorithms RS256 unless you set more.
    static TrustedIssuer standard(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys);
    /// Keycloak's access tokens. Roles of the realm (`realm_access.roles`) and, when `client` is
    /// given, that client's roles (`resource_access.<client>.roles`); scopes from `scope`; `typ`
    /// "Bearer" (the claim, which tells its access tokens: any header `typ` is accepted).
    static TrustedIssuer keycloak(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys,
                                  std::string client = {});
    /// Auth0: scopes from `scope` and RBAC `permissions`; roles from the namespaced claim an Action
    /// adds (e.g., "https://example.com/roles"), when given. Auth0's issuer ends with a slash. Any
    /// header `typ` is accepted: its ID tokens' audience is the client id, never the API's.
    static TrustedIssuer auth0(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys,
                               std::string roles_claim = {});
    /// Microsoft Entra ID (v2.0 tokens): app roles from `roles`, delegated scopes from `scp`. Use
    /// the API's own App ID URI or client id as `audience`, never the signing-in app's: Entra's ID
    /// tokens carry that one as their `aud` (which is what tells them apart: any header `typ` is
    /// accepted).
    static TrustedIssuer entra(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys);
    /// Amazon Cognito access tokens: the app client id in `client_id` (they carry no `aud`),
    /// groups from `cognito:groups` as roles, scopes from `scope`; `token_use` "access" (which
    /// tells them: any header `typ` is accepted).
    static TrustedIssuer cognito(std::string issuer, std::string client_id, std::shared_ptr<KeyRing> keys);
};

}  // namespace fauth
