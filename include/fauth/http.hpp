/// @file
/// fauth/http.hpp — fauth on Pistache: guards, the login endpoint, SecureRouter, OpenAPI and
/// Swagger UI, and a server helper. Includes the core (fauth/fauth.hpp) and the key fetching of
/// fauth/oidc.hpp too.
#pragma once

#include "fauth/fauth.hpp"
#include "fauth/oidc.hpp"                    // JwksKeyRing: an identity provider's keys
#include "fauth/http/api.hpp"                // Api: routes + OpenAPI + Swagger UI
#include "fauth/http/bearer.hpp"             // Authorization header parsing
#include "fauth/http/client_address.hpp"     // the client address (trusted proxies)
#include "fauth/http/config.hpp"             // HttpConfig: token URL, cookies, API key transport, proxies
#include "fauth/http/cookies.hpp"            // browser sessions in cookies, CSRF
#include "fauth/http/endpoint.hpp"           // Endpoint, RouteDoc, Access
#include "fauth/http/events.hpp"             // security events about requests
#include "fauth/http/guard.hpp"              // require_user, require_roles, optional_user, ...
#include "fauth/http/jwks.hpp"               // JWK Set and discovery endpoints
#include "fauth/http/login.hpp"              // login_endpoint
#include "fauth/http/metrics.hpp"            // serving a PrometheusRegistry (/metrics)
#include "fauth/http/oidc_login.hpp"         // "Sign in with ...": OpenID Connect login, a cookie session
#include "fauth/http/openapi.hpp"            // the OpenAPI 3.1 document builder
#include "fauth/http/passkeys.hpp"           // passkeys: registration, a sign-in without a password
#include "fauth/http/resource_metadata.hpp"  // RFC 9728 protected resource metadata
#include "fauth/http/response.hpp"           // errors to responses, JSON helpers
#include "fauth/http/scheme.hpp"             // CredentialScheme: one type per way in (schemes/)
#include "fauth/http/second_factor.hpp"      // a login's second step; enrolling an authenticator app
#include "fauth/http/secure_router.hpp"      // SecureRouter<User>
#include "fauth/http/security_context.hpp"   // SecurityContext<User>
#include "fauth/http/server.hpp"             // Server, shutdown signals
#include "fauth/http/session.hpp"            // refresh_endpoint, logout_endpoint
#include "fauth/http/token_request.hpp"      // login and refresh body parsing
#include "fauth/http/trace_context.hpp"      // W3C traceparent: the trace id in security events
