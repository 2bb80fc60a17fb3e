/// @file
/// fauth/auth/access.hpp — what a route demands of its caller: roles, permissions and scopes
/// (with `*` wildcards), your own predicates, and rules combining them (all_of, any_of, not_),
/// each with FAuth's messages and a description for the OpenAPI document.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "fauth/auth/config.hpp"
#include "fauth/auth/principal.hpp"
#include "fauth/auth/user_traits.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/instruments.hpp"
#include "fauth/core/token.hpp"

namespace fauth {

/// How a list of required roles or permissions is matched.
enum class Match {
    all,  ///< every one is required (the default)
    any,  ///< one of them is enough
};

/// True when a granted scope or permission `held` grants `required`: the same name, or a name
/// with `*` segments as `wildcards` allows (`notes:*` grants `notes:read`, never `notesadmin:read`).
bool grants(std::string_view held, std::string_view required, const Wildcards& wildcards = {}) noexcept;
/// True when one of `held` grants `required` (fauth::grants).
bool scopes_grant(const std::vector<std::string>& held, std::string_view required, const Wildcards& wildcards = {}) noexcept;

/// "Missing role: admin" for Match::all (naming the first one missing), or
/// "Missing role: one of admin, editor" for Match::any.
std::string missing_role_message(const std::vector<std::string>& roles, Match match);
/// "Insufficient permissions: requires write permission" for Match::all (the first missing), or
/// "Insufficient permissions: requires one of read, write permission" for Match::any.
std::string missing_permission_message(const std::vector<std::string>& permissions, Match match);
/// "Insufficient scope: requires notes:write scope", or "... one of a, b scope" for Match::any.
std::string missing_scope_message(const std::vector<std::string>& scopes, Match match);
/// The 403 detail of a rule that is not met when nothing more specific may be said: a failed
/// predicate (unless it names its own message), a `not_`, or an any_of over different kinds.
inline constexpr const char* kAccessDenied = "Access denied";

/// What a route demands of an authenticated user beyond being active, as lists: the simple form,
/// which converts to a Rule.
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

namespace detail {
// A caller as a Rule checks it, without its User type.
struct Subject {
    const void* user;
    const void* principal;  // the Principal<User>, or null for a bare user
    const std::type_info* user_type;
    bool (*has_role)(const void* user, std::string_view role);
    bool (*has_permission)(const void* user, std::string_view permission, const Wildcards& wildcards);
    const std::vector<std::string>* scopes;  // never null
    const ApiKey* key;                       // the API key that authenticated the caller, or null
    const TokenPayload* token = nullptr;     // the verified token, or null (an API key, a bare user)
    std::int64_t now = 0;                    // Unix seconds, for Rule::authenticated_within; 0: the system clock's
};
template <class User>
bool subject_has_role(const void* user, std::string_view role) {
    return user_has_role(*static_cast<const User*>(user), role);
}
template <class User>
bool subject_has_permission(const void* user, std::string_view permission, const Wildcards& wildcards) {
    return any_user_permission(*static_cast<const User*>(user),
                               [&](std::string_view held) { return grants(held, permission, wildcards); });
}
inline const std::vector<std::string> kNoScopes{};
template <class User>
Subject subject_of(const User& user, const Principal<User>* principal, std::int64_t now = 0) noexcept {
    return {&user,
            principal,
            &typeid(User),
            &subject_has_role<User>,
            &subject_has_permission<User>,
            principal ? &principal->scopes : &kNoScopes,
            principal ? principal->key : nullptr,
            principal ? principal->token : nullptr,
            now};
}
}  // namespace detail

/// Why a rule refused a caller: the kind of demand that failed, and the 403 detail.
struct Denial {
    /// A role, a permission, a scope, or else a predicate's (or a negation's, or a mixed any_of's) demand.
    instruments::RuleKind kind;
    /// The 403 detail ("Missing role: admin", a predicate's message, kAccessDenied), or for a
    /// token that must step up (kind authentication) the 401 detail.
    std::string message;
    /// For Rule::acr and Rule::second_factor refusing a token: the `acr` values that would do,
    /// space-separated (RFC 9470's `acr_values`); empty otherwise.
    std::string acr_values;
    /// For Rule::authenticated_within refusing a token: the most its authentication's age may be
    /// (RFC 9470's `max_age`).
    std::optional<std::chrono::seconds> max_age;
    /// True when a token can meet the demand by a new sign-in (a 401 with RFC 9470's
    /// `insufficient_user_authentication`), rather than never (a 403).
    bool step_up() const noexcept { return !acr_values.empty() || max_age.has_value(); }
};

/// A requirement on the caller of a route: a role, a permission, a scope, your own predicate, or
/// all_of / any_of / not_ of other rules. Cheap to copy (it shares its parts); immutable.
/// A rule that is not met answers 403 with the message of what is missing ("Missing role: admin")
/// or kAccessDenied. It is checked after the user is found active.
class Rule {
public:
    /// No requirement beyond an active user.
    Rule() = default;
    /// The lists of `access`, roles first, then permissions, with FAuth's messages. Freshness is a
    /// route's, not a rule's: an `access` with `fresh` set throws ConfigError rather than being
    /// dropped (give it to require_access or RouteOptions, which keep it).
    explicit Rule(const AccessRule& access);

    /// The user has role `name`. Never met by an API key: roles are a person's (guard the routes
    /// keys may call with scopes or permissions).
    static Rule role(std::string name);
    /// The user has permission `name` (wildcards as AuthConfig::wildcards says); for an API key,
    /// its owner has it and the key's scopes grant it too, so that a key never exceeds its scopes.
    static Rule permission(std::string name);
    /// The token or API key carries scope `name` (wildcards as AuthConfig::wildcards says).
    static Rule scope(std::string name);
    /// The token's `acr` (TokenPayload::acr) is one of `accepted`: how its session began was
    /// strong enough. A token that falls short answers 401 "Stronger authentication required"
    /// with RFC 9470's `error="insufficient_user_authentication"` and `acr_values` (the client
    /// signs in again, more strongly); an API key, 403 kAccessDenied. ConfigError for an empty
    /// list or value, or a value with a space or a quote.
    static Rule acr(std::vector<std::string> accepted);
    /// A session this service began with two factors: `acr` kAcrTwoFactors (a password and a code,
    /// or a passkey; see Engine::Proof). A trusted issuer's token never meets it, whatever its
    /// acr says (name that issuer's values with Rule::acr).
    static Rule second_factor();
    /// The token's session began (`auth_time`: its sign-in; a trusted issuer's token must carry
    /// `auth_time`, else it cannot meet it) no more than `max_age` ago. Else 401
    /// "Recent authentication required" with `insufficient_user_authentication` and RFC 9470's
    /// `max_age`; an API key, 403. ConfigError for a negative age.
    static Rule authenticated_within(std::chrono::seconds max_age);
    /// Every one of `rules` (the first unmet one's message).
    static Rule all(std::vector<Rule> rules);
    /// At least one of `rules`. When none is met and one of them a token could meet by signing in
    /// again (a step-up rule), that one's refusal: the 401 that says what the sign-in must bring.
    static Rule any(std::vector<Rule> rules);
    /// `rule` is not met.
    static Rule negation(Rule rule);

    /// `test(principal)` (or `test(user)`) holds for a Principal<User>. `description` says what it
    /// checks, in a few words, in the OpenAPI document; a failure answers 403 kAccessDenied, or
    /// `message` when you give one (never the description). An exception it throws answers 500
    /// (a fauth::Error answers as that error). It is called from every reactor thread at once,
    /// through a const reference: keep it free of unsynchronised state.
    template <class User, class Test>
    static Rule predicate(std::string description, Test test, std::string message = {}) {
        static_assert(std::is_invocable_r_v<bool, const Test&, const Principal<User>&> ||
                          std::is_invocable_r_v<bool, const Test&, const User&>,
                      "fauth: a predicate is callable as const with (const Principal<User>&) or (const User&) and returns bool");
        auto check = [test = std::move(test)](const detail::Subject& subject) -> bool {
            if constexpr (std::is_invocable_r_v<bool, const Test&, const Principal<User>&>) {
                if (subject.principal == nullptr) throw ConfigError("fauth: a predicate needs a principal to check");
                return test(*static_cast<const Principal<User>*>(subject.principal));
            } else {
                return test(*static_cast<const User*>(subject.user));
            }
        };
        return leaf_predicate(std::move(description), std::move(message), std::move(check), typeid(User));
    }

    /// True for the rule that demands nothing.
    bool empty() const noexcept { return !node_; }
    /// What the rule demands, e.g. `role admin and (scope notes:write or owner of the note)`.
    std::string description() const;
    /// The User type of its predicates, or null when it has none.
    const std::type_info* user_type() const noexcept;
    /// Why `subject` does not meet the rule (the 403 detail), or nothing when it does. When what
    /// is missing is a scope (or one of several: the first is named), its name is appended to
    /// `missing_scopes` (when given): RFC 6750's insufficient_scope.
    std::optional<std::string> denial(const detail::Subject& subject, const Wildcards& wildcards,
                                      std::vector<std::string>* missing_scopes = nullptr) const;
    /// denial, with the kind of demand that failed (for metrics: fauth.authorization.refusals).
    std::optional<Denial> refusal(const detail::Subject& subject, const Wildcards& wildcards,
                                  std::vector<std::string>* missing_scopes = nullptr) const;

    /// Its parts (defined in access.cpp).
    struct Node;

private:
    enum class Kind : unsigned char;
    explicit Rule(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
    static Rule leaf(Kind kind, std::string name);
    static Rule leaf_predicate(std::string description, std::string message, std::function<bool(const detail::Subject&)> check,
                               const std::type_info& user_type);
    static Rule combined(Kind kind, std::vector<Rule> rules);
    std::shared_ptr<const Node> node_;
};

/// Rule::role.
inline Rule role(std::string name) { return Rule::role(std::move(name)); }
/// Rule::permission.
inline Rule permission(std::string name) { return Rule::permission(std::move(name)); }
/// Rule::scope.
inline Rule scope(std::string name) { return Rule::scope(std::move(name)); }
/// Every one of the rules.
template <class... R>
Rule all_of(R... rules) {
    return Rule::all({Rule(std::move(rules))...});
}
/// At least one of the rules.
template <class... R>
Rule any_of(R... rules) {
    return Rule::any({Rule(std::move(rules))...});
}
/// The rule is not met. (`not` is a C++ keyword.)
inline Rule not_(Rule rule) { return Rule::negation(std::move(rule)); }
/// Rule::predicate: `test(const Principal<User>&)` or `test(const User&)` holds.
template <class User, class Test>
Rule predicate(std::string description, Test test, std::string message = {}) {
    return Rule::predicate<User>(std::move(description), std::move(test), std::move(message));
}
/// all_of(a, b).
inline Rule operator&&(Rule a, Rule b) { return Rule::all({std::move(a), std::move(b)}); }
/// any_of(a, b).
inline Rule operator||(Rule a, Rule b) { return Rule::any({std::move(a), std::move(b)}); }
/// not_(a).
inline Rule operator!(Rule a) { return Rule::negation(std::move(a)); }

/// Why `principal` does not meet `rule` under `wildcards`, or nothing when it does; the scopes
/// missing, when that is what is missing, appended to `missing_scopes` (see Rule::denial).
template <class User>
std::optional<std::string> denial(const Rule& rule, const Principal<User>& principal, const Wildcards& wildcards = {},
                                  std::vector<std::string>* missing_scopes = nullptr) {
    return rule.denial(detail::subject_of(principal.user, &principal), wildcards, missing_scopes);
}

/// denial, with the kind of demand that failed (see Rule::refusal).
/// `now` (Unix seconds) is the time Rule::authenticated_within judges by; 0: the system clock's.
template <class User>
std::optional<Denial> refusal(const Rule& rule, const Principal<User>& principal, const Wildcards& wildcards = {},
                              std::vector<std::string>* missing_scopes = nullptr, std::int64_t now = 0) {
    return rule.refusal(detail::subject_of(principal.user, &principal, now), wildcards, missing_scopes);
}

/// Throws Forbidden unless `principal` meets `rule` under `wildcards`.
template <class User>
void require(const Rule& rule, const Principal<User>& principal, const Wildcards& wildcards = {}) {
    if (auto why = denial(rule, principal, wildcards)) throw Forbidden(std::move(*why));
}

/// Why `user` lacks `roles`, or nothing when it has them. An empty list requires nothing.
template <class User>
std::optional<std::string> role_denial(const User& user, const std::vector<std::string>& roles, Match match = Match::all) {
    return Rule(AccessRule{roles, match, {}, Match::all}).denial(detail::subject_of<User>(user, nullptr), {});
}

/// Why `user` lacks `permissions` (wildcards as `wildcards` says), or nothing when it has them.
template <class User>
std::optional<std::string> permission_denial(const User& user, const std::vector<std::string>& permissions,
                                             Match match = Match::all, const Wildcards& wildcards = {}) {
    return Rule(AccessRule{{}, Match::all, permissions, match}).denial(detail::subject_of<User>(user, nullptr), wildcards);
}

/// Throws Forbidden unless `user` has `roles` (all of them, or any with Match::any).
template <class User>
void require_roles(const User& user, const std::vector<std::string>& roles, Match match = Match::all) {
    if (auto why = role_denial(user, roles, match)) throw Forbidden(std::move(*why));
}

/// Throws Forbidden unless `user` has `permissions` (all of them, or any with Match::any).
template <class User>
void require_permissions(const User& user, const std::vector<std::string>& permissions, Match match = Match::all) {
    if (auto why = permission_denial(user, permissions, match)) throw Forbidden(std::move(*why));
}

/// Throws InactiveUser unless `user` is active.
template <class User>
void require_active(const User& user) {
    if (!user_is_active(user)) throw InactiveUser();
}

}  // namespace fauth
