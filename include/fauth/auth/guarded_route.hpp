/// @file
/// fauth/auth/guarded_route.hpp — GuardedRoute: a route guarded by an AuthProvider (who may call
/// it, and the handler), described without HTTP. AuthProvider's require_user and friends return
/// one; the http layer turns it into a request handler once it knows how requests carry
/// credentials (fauth/http/guard.hpp: Api, SecureRouter, mount).
#pragma once

#include <vector>

#include "fauth/auth/access.hpp"
#include "fauth/auth/principal.hpp"

namespace fauth {

template <class User>
class AuthProvider;  // fauth/auth/provider.hpp

/// Whether a guarded route needs an authenticated caller.
enum class Presence {
    required,  ///< an active user meeting the rule, else 401 or 403
    optional,  ///< anyone: the handler gets the user, or null when the caller is not (usably) authenticated
};

/// A route guarded by `provider`: `handler` is called with the request, the writer and the user
/// (`const User&` or `const Principal<User>&`; `const User*` when presence is optional) once the
/// caller is authenticated by one of `schemes` and meets `rule`.
template <class User, class Handler, Presence P = Presence::required>
struct GuardedRoute {
    /// Whether the caller must be authenticated.
    static constexpr Presence presence = P;
    /// The provider that resolves the caller; it must outlive every server that routes to it.
    const AuthProvider<User>* provider;
    /// What is demanded of the caller.
    Rule rule;
    /// Only a fresh token (from a password login) is accepted.
    bool fresh = false;
    /// The schemes accepted, in the order they are read; empty: those the http configuration's
    /// cookie transport names.
    std::vector<Scheme> schemes;
    /// The handler.
    Handler handler;
};

}  // namespace fauth
