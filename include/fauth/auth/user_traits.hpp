/// @file
/// fauth/auth/user_traits.hpp — how fauth reads your User type: a customisation point with defaults.
///
/// By default fauth reads the members `id`, `hashed_password`, `is_active`, `roles` and
/// `permissions`, each optional except what a feature needs (authenticate needs a password hash,
/// tokens need an id). When your type names them differently, specialise fauth::user_traits and
/// give just the functions you need; the others keep their defaults:
///
///     template <> struct fauth::user_traits<Account> {
///         static std::string id(const Account& a) { return std::to_string(a.account_no); }
///         static const std::string& hashed_password(const Account& a) { return a.pw; }
///     };
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace fauth {

/// Specialise for your User type to name its fields; any function left out uses the default member.
template <class User>
struct user_traits {};

namespace detail {

template <class T>
std::string to_id_string(const T& value) {
    if constexpr (std::is_integral_v<T>)
        return std::to_string(value);
    else
        return std::string(value);
}

template <class T>
std::optional<std::string> to_optional_string(const T& value) {
    if constexpr (requires {
                      value.has_value();
                      *value;
                  }) {
        if (!value.has_value()) return std::nullopt;
        return to_optional_string(*value);
    } else if constexpr (std::is_pointer_v<T>) {
        if (value == nullptr) return std::nullopt;
        return to_optional_string(std::string_view(value));
    } else {
        std::string s(value);
        if (s.empty()) return std::nullopt;
        return s;
    }
}

template <class Range>
bool contains(const Range& range, std::string_view name) {
    for (const auto& item : range)
        if (std::string_view(item) == name) return true;
    return false;
}

template <class>
inline constexpr bool dependent_false = false;

}  // namespace detail

/// The user's id as a string (the `sub` of its tokens): user_traits<U>::id, else member `id`.
template <class User>
std::string user_id(const User& user) {
    if constexpr (requires { user_traits<User>::id(user); })
        return detail::to_id_string(user_traits<User>::id(user));
    else if constexpr (requires { user.id; })
        return detail::to_id_string(user.id);
    else
        static_assert(detail::dependent_false<User>, "fauth: User has no `id`; specialise fauth::user_traits<User>::id");
}

/// True when fauth can read a password hash from User (needed by authenticate).
template <class User>
inline constexpr bool has_password_hash = requires(const User& u) {
    user_traits<User>::hashed_password(u);
}
|| requires(const User& u) { u.hashed_password; };

/// The stored password hash, or nothing when the user has none (an empty string counts as none).
template <class User>
std::optional<std::string> user_password_hash(const User& user) {
    if constexpr (requires { user_traits<User>::hashed_password(user); })
        return detail::to_optional_string(user_traits<User>::hashed_password(user));
    else if constexpr (requires { user.hashed_password; })
        return detail::to_optional_string(user.hashed_password);
    else
        return std::nullopt;
}

/// Whether the user may use the service: user_traits<U>::is_active, else member `is_active`, else true.
template <class User>
bool user_is_active(const User& user) {
    if constexpr (requires { user_traits<User>::is_active(user); })
        return static_cast<bool>(user_traits<User>::is_active(user));
    else if constexpr (requires { user.is_active; })
        return static_cast<bool>(user.is_active);
    else
        return true;
}

/// True when the user has role `role`: user_traits<U>::roles, else member `roles`, else none.
template <class User>
bool user_has_role(const User& user, std::string_view role) {
    if constexpr (requires { user_traits<User>::roles(user); })
        return detail::contains(user_traits<User>::roles(user), role);
    else if constexpr (requires { user.roles; })
        return detail::contains(user.roles, role);
    else
        return false;
}

/// True when `test(name)` holds for one of the user's permissions: user_traits<U>::permissions,
/// else member `permissions`, else none.
template <class User, class Test>
bool any_user_permission(const User& user, Test test) {
    const auto any = [&](const auto& names) {
        for (const auto& name : names)
            if (test(std::string_view(name))) return true;
        return false;
    };
    if constexpr (requires { user_traits<User>::permissions(user); })
        return any(user_traits<User>::permissions(user));
    else if constexpr (requires { user.permissions; })
        return any(user.permissions);
    else
        return false;
}

/// True when the user has permission `permission` itself (see fauth::grants for wildcards).
template <class User>
bool user_has_permission(const User& user, std::string_view permission) {
    return any_user_permission(user, [&](std::string_view name) { return name == permission; });
}

}  // namespace fauth
