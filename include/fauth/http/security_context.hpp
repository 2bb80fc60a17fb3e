/// @file
/// fauth/http/security_context.hpp — the authenticated user and token of the request being
/// handled, reachable from any code the handler calls (services, repositories), as
/// pico-client-auth's SecurityContext is.
#pragma once

#include <string_view>

#include "fauth/core/errors.hpp"
#include "fauth/core/token.hpp"
#include "fauth/auth/access.hpp"
#include "fauth/auth/principal.hpp"
#include "fauth/auth/user_traits.hpp"

namespace fauth::http {

/// The security context of the handler running on this thread. A guard sets it for exactly the
/// duration of the handler call; outside it (and in work the handler hands to other threads) it is
/// empty, so copy what asynchronous work needs before the handler returns.
template <class User>
class SecurityContext {
    struct Frame {
        const User* user = nullptr;
        const TokenPayload* token = nullptr;
        const ApiKey* key = nullptr;
    };

public:
    /// The authenticated user, or null outside a guarded handler (or for an anonymous caller).
    static const User* user() noexcept { return frame_.user; }
    /// The verified token's claims, or null when there is no authenticated user or an API key
    /// authenticated it.
    static const TokenPayload* token() noexcept { return frame_.token; }
    /// The API key that authenticated the user, or null (no user, or a token).
    static const ApiKey* key() noexcept { return frame_.key; }
    /// The authenticated user; throws fauth::InternalError when called outside a guarded handler.
    static const User& require() {
        if (frame_.user == nullptr) throw InternalError("SecurityContext::require() called outside a guarded handler");
        return *frame_.user;
    }
    /// True when there is an authenticated user with `role`, by token (as Rule::role: a key has no roles).
    static bool has_role(std::string_view role) {
        return frame_.user != nullptr && frame_.key == nullptr && user_has_role(*frame_.user, role);
    }
    /// True when there is an authenticated user with `permission` (exactly that name), and, for
    /// an API key, the key's scopes grant it (as Rule::permission, with the default wildcards).
    static bool has_permission(std::string_view permission) {
        return frame_.user != nullptr && user_has_permission(*frame_.user, permission) &&
               (frame_.key == nullptr || scopes_grant(frame_.key->scopes, permission));
    }

    /// Sets the context for its lifetime and restores the previous one after (nesting is safe).
    class Scope {
    public:
        /// Makes `user`, `token` and `key` (any may be null) the current context.
        Scope(const User* user, const TokenPayload* token, const ApiKey* key = nullptr) noexcept : saved_(frame_) {
            frame_ = {user, token, key};
        }
        ~Scope() { frame_ = saved_; }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        Frame saved_;
    };

private:
    static inline thread_local Frame frame_{};
};

}  // namespace fauth::http
