/// @file
/// fauth/http/jwks.hpp — publishing a key ring's public keys (RFC 7517 JWK Set, plus an
/// OpenID-style discovery document). The ring that verifies with them elsewhere is
/// fauth::oidc::JwksKeyRing (fauth/oidc/jwks.hpp).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "fauth/http/endpoint.hpp"
#include "fauth/core/keys.hpp"

namespace fauth::http {

/// GET handler for the JWK Set of `ring`'s current public keys (HMAC keys are never included).
/// Cache-Control allows caches to keep it for `max_age`.
Endpoint jwks_endpoint(std::shared_ptr<const KeyRing> ring, std::chrono::seconds max_age = std::chrono::minutes(5));

/// GET handler for a minimal OpenID Provider Metadata document naming `issuer`, `jwks_uri`,
/// `token_endpoint` and the algorithms of `ring`'s keys.
Endpoint discovery_endpoint(std::shared_ptr<const KeyRing> ring, std::string issuer, std::string jwks_uri,
                            std::string token_endpoint);

}  // namespace fauth::http
