/// @file
/// fauth/oidc.hpp — verifying tokens an identity provider issued: its keys fetched over HTTPS
/// (JWK Set, OpenID discovery) with libcurl,
/// or asked about at its introspection endpoint. Link fauth::oidc (fauth::fauth includes it).
#pragma once

#include "fauth/oidc/fetch.hpp"          // fetch: HTTPS GET with trust, time and size limits
#include "fauth/oidc/id_token.hpp"       // verify_id_token, verify_logout_token: what a relying party checks
#include "fauth/oidc/introspection.hpp"  // Introspection: RFC 7662 token introspection, cached
#include "fauth/oidc/issuer.hpp"         // TrustedIssuer: an identity provider whose tokens are accepted
#include "fauth/oidc/jwks.hpp"           // JwksKeyRing
#include "fauth/oidc/login.hpp"          // signing in at a provider: PKCE, the sealed login state
#include "fauth/oidc/relying_party.hpp"  // RelyingParty: sign-in at a provider, code redemption, logout tokens
