// fauth/fauth.hpp — the whole core of fauth in one include.
#pragma once

#include "fauth/access.hpp"       // role and permission checks
#include "fauth/ascii.hpp"        // ASCII case folding
#include "fauth/clock.hpp"        // the injectable clock
#include "fauth/config.hpp"       // AuthConfig
#include "fauth/keys.hpp"         // signing and verification keys
#include "fauth/errors.hpp"       // typed errors
#include "fauth/password.hpp"     // bcrypt hashing
#include "fauth/provider.hpp"     // AuthProvider<User>
#include "fauth/random.hpp"       // random bytes from the system CSPRNG
#include "fauth/revocation.hpp"   // revocation stores (memory; Redis in fauth/redis_revocation_store.hpp)
#include "fauth/security_event.hpp"  // security events
#include "fauth/throttle.hpp"       // login throttling
#include "fauth/token.hpp"        // tokens: claims, signing, verification
#include "fauth/user_traits.hpp"  // how fauth reads your User type
#include "fauth/worker_pool.hpp"  // the pool bcrypt runs on
