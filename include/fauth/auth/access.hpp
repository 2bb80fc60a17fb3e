// fauth/auth/access.hpp — role and permission checks over a user, with FAuth's messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fauth/core/errors.hpp"
#include "fauth/core/token.hpp"
#include "fauth/auth/user_traits.hpp"

namespace fauth {

/// How a list of required roles or permissions is matched.
enum class Match {
    all,  ///< every one is required (the default)
    any,  ///< one of them is enough
};

/// "Missing role: admin" for Match::all (naming the first one missing), or
/// "Missing role: one of admin, editor" for Match::any.
std::string missing_role_message(const std::vector<std::string>& roles, Match match);
/// "Insufficient permissions: requires write permission" for Match::all (the first missing), or
/// "Insufficient permissions: requires one of read, write permission" for Match::any.
std::string missing_permission_message(const std::vector<std::string>& permissions, Match match);

namespace detail {
template <class Pred>
std::optional<std::vector<std::string>> unmet(const std::vector<std::string>& required, Match match, Pred has) {
    if (required.empty()) return std::nullopt;
    if (match == Match::any) {
        for (const auto& r : required)
            if (has(r)) return std::nullopt;
        return required;
    }
    for (const auto& r : required)
        if (!has(r)) return std::vector<std::string>{r};
    return std::nullopt;
}
}  // namespace detail

/// Why `user` lacks `roles`, or nothing when it has them. An empty list requires nothing.
template <class User>
std::optional<std::string> role_denial(const User& user, const std::vector<std::string>& roles, Match match = Match::all) {
    const auto missing = detail::unmet(roles, match, [&](const std::string& r) { return user_has_role(user, r); });
    if (!missing) return std::nullopt;
    return missing_role_message(*missing, match);
}

/// Why `user` lacks `permissions`, or nothing when it has them. An empty list requires nothing.
template <class User>
std::optional<std::string> permission_denial(const User& user, const std::vector<std::string>& permissions,
                                             Match match = Match::all) {
    const auto missing =
        detail::unmet(permissions, match, [&](const std::string& p) { return user_has_permission(user, p); });
    if (!missing) return std::nullopt;
    return missing_permission_message(*missing, match);
}

/// Throws Forbidden unless `user` has `roles` (all of them, or any with Match::any).
template <class User>
void require_roles(const User& user, const std::vector<std::string>& roles, Match match = Match::all) {
    if (auto denial = role_denial(user, roles, match)) throw Forbidden(std::move(*denial));
}

/// Throws Forbidden unless `user` has `permissions` (all of them, or any with Match::any).
template <class User>
void require_permissions(const User& user, const std::vector<std::string>& permissions, Match match = Match::all) {
    if (auto denial = permission_denial(user, permissions, match)) throw Forbidden(std::move(*denial));
}

/// Throws InactiveUser unless `user` is active.
template <class User>
void require_active(const User& user) {
    if (!user_is_active(user)) throw InactiveUser();
}

/// What a route demands of an authenticated user beyond being active.
struct AccessRule {
    /// Roles required (see roles_match); empty means none.
    std::vector<std::string> roles;
    /// Whether every role is needed or any one.
    Match roles_match = Match::all;
    /// Permissions required (see permissions_match); empty means none.
    std::vector<std::string> permissions;
    /// Whether every permission is needed or any one.
    Match permissions_match = Match::all;
    /// Only a fresh token (TokenPayload::fresh: issued by a password login, not by a refresh) is
    /// accepted; others get 401 "Fresh token required". For sensitive actions.
    bool fresh = false;
};

/// Throws FreshTokenRequired when `rule` wants a fresh token and `token` is not one.
inline void require_freshness(const AccessRule& rule, const TokenPayload& token) {
    if (rule.fresh && !token.fresh) throw FreshTokenRequired();
}

/// Throws InactiveUser or Forbidden unless `user` is active and satisfies `rule`.
template <class User>
void require_access(const User& user, const AccessRule& rule) {
    require_active(user);
    require_roles(user, rule.roles, rule.roles_match);
    require_permissions(user, rule.permissions, rule.permissions_match);
}

}  // namespace fauth
