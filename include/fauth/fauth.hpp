/// @file
/// fauth/fauth.hpp — the whole core of fauth in one include.
#pragma once

#include "fauth/auth/access.hpp"          // role and permission checks
#include "fauth/core/clock.hpp"           // the injectable clock
#include "fauth/auth/config.hpp"          // AuthConfig (and the core's TokenConfig)
#include "fauth/core/keys.hpp"            // signing and verification keys
#include "fauth/core/jws.hpp"             // verifying a bare JWS with a key set
#include "fauth/core/errors.hpp"          // typed errors
#include "fauth/core/password.hpp"        // bcrypt hashing
#include "fauth/auth/guarded_route.hpp"   // GuardedRoute: what the guards return (http mounts them)
#include "fauth/auth/provider.hpp"        // AuthProvider<User>
#include "fauth/auth/revocation.hpp"      // revocation stores (memory; Redis in fauth/redis/revocation_store.hpp)
#include "fauth/auth/second_factor.hpp"   // TOTP authenticators and recovery codes (fauth/auth/totp.hpp)
#include "fauth/core/instruments.hpp"     // fauth's instruments (metrics)
#include "fauth/core/metrics.hpp"         // metrics: instruments and sinks
#include "fauth/core/prometheus.hpp"      // the Prometheus registry
#include "fauth/core/security_event.hpp"  // security events
#include "fauth/auth/throttle.hpp"        // login and refresh throttling
#include "fauth/core/token.hpp"           // tokens: claims, signing, verification
#include "fauth/auth/user_traits.hpp"     // how fauth reads your User type
