// fauth/fauth.hpp — the whole core of fauth in one include.
#pragma once

#include "fauth/access.hpp"       // role and permission checks
#include "fauth/config.hpp"
#include "fauth/keys.hpp"       // AuthConfig
#include "fauth/errors.hpp"       // typed errors
#include "fauth/password.hpp"     // bcrypt hashing
#include "fauth/provider.hpp"     // AuthProvider<User>
#include "fauth/revocation.hpp"   // revocation stores (memory; Redis in fauth/redis_revocation_store.hpp)
#include "fauth/security_event.hpp"  // security events
#include "fauth/throttle.hpp"       // login throttling
#include "fauth/token.hpp"        // tokens: claims, signing, verification
#include "fauth/user_traits.hpp"  // how fauth reads your User type
#include "fauth/worker_pool.hpp"  // the pool bcrypt runs on
