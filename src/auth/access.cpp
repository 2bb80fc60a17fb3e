#include "fauth/auth/access.hpp"

namespace fauth {
namespace {

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

// The next `separator`-separated part of `text` (consumed); `last` tells whether it was the last one.
std::string_view next_part(std::string_view& text, char separator, bool& last) noexcept {
    const auto at = text.find(separator);
    last = at == std::string_view::npos;
    const auto part = text.substr(0, at);
    text = last ? std::string_view() : text.substr(at + 1);
    return part;
}

}  // namespace

bool scopes_grant(const std::vector<std::string>& held, std::string_view required, const Wildcards& wildcards) noexcept {
    for (const auto& h : held)
        if (grants(h, required, wildcards)) return true;
    return false;
}

enum class Rule::Kind : unsigned char { role, permission, scope, predicate, all, any, negation, acr, age };

std::string_view scheme_name(Scheme scheme) noexcept {
    switch (scheme) {
        case Scheme::bearer: return "bearer";
        case Scheme::cookie: return "cookie";
        case Scheme::api_key: return "api_key";
        case Scheme::dpop: return "dpop";
    }
    return "bearer";
}

bool grants(std::string_view held, std::string_view required, const Wildcards& wildcards) noexcept {
    if (held == required) return true;
    if (held == "*") return wildcards.everything;
    if (!wildcards.segments) return false;
    for (bool first = true;; first = false) {
        bool held_last = false, required_last = false;
        const auto h = next_part(held, ':', held_last);
        const auto r = next_part(required, ':', required_last);
        if (h == "*") {
            if (r.empty()) return false;                       // a wildcard stands for a name, never for nothing
            if (first && !wildcards.everything) return false;  // `*:read` would grant every resource
        } else if (h != r) {
            return false;  // exact per segment: no prefix matching
        }
        if (held_last || required_last) return held_last && required_last;  // one segment per `*`
    }
}

// fauth.scheme's values are Scheme's, in its order (the guard records a Scheme as one).
static_assert(static_cast<int>(Scheme::bearer) == static_cast<int>(instruments::SchemeValue::bearer) &&
              static_cast<int>(Scheme::cookie) == static_cast<int>(instruments::SchemeValue::cookie) &&
              static_cast<int>(Scheme::api_key) == static_cast<int>(instruments::SchemeValue::api_key) &&
              static_cast<int>(Scheme::dpop) == static_cast<int>(instruments::SchemeValue::dpop));

std::string missing_role_message(const std::vector<std::string>& roles, Match match) {
    if (match == Match::any && roles.size() > 1) return "Missing role: one of " + joined(roles);
    return "Missing role: " + (roles.empty() ? std::string() : roles.front());
}

std::string missing_permission_message(const std::vector<std::string>& permissions, Match match) {
    if (match == Match::any && permissions.size() > 1)
        return "Insufficient permissions: requires one of " + joined(permissions) + " permission";
    return "Insufficient permissions: requires " + (permissions.empty() ? std::string() : permissions.front()) + " permission";
}

std::string missing_scope_message(const std::vector<std::string>& scopes, Match match) {
    if (match == Match::any && scopes.size() > 1) return "Insufficient scope: requires one of " + joined(scopes) + " scope";
    return "Insufficient scope: requires " + (scopes.empty() ? std::string() : scopes.front()) + " scope";
}

struct Rule::Node {
    Kind kind;
    // acr: the values accepted, space-separated (as acr_values says them); age: the max_age.
    std::string name;                                   // the role, permission or scope; a predicate's description
    std::string message;                                // a predicate's own 403 detail, when the app gave one
    std::function<bool(const detail::Subject&)> check;  // a predicate's test
    const std::type_info* user_type = nullptr;          // of the predicates in it
    std::vector<Rule> children;
    std::int64_t max_age = 0;  // age: in seconds
    bool own_only = false;     // acr: only this service's own tokens can meet it (second_factor)
};

Rule Rule::leaf(Kind kind, std::string name) {
    if (name.empty()) throw ConfigError("fauth: a rule names an empty role, permission or scope");
    return Rule(std::make_shared<const Node>(Node{kind, std::move(name), {}, {}, nullptr, {}}));
}

Rule::Rule(const AccessRule& access) {
    if (access.fresh)
        throw ConfigError(
            "fauth: an AccessRule with fresh cannot become a Rule, which has no freshness: pass it to "
            "require_access or a route's options, or ask for fresh beside the rule");
    std::vector<Rule> parts;
    const auto add = [&parts](Kind kind, const std::vector<std::string>& names, Match match) {
        std::vector<Rule> each;
        for (const auto& n : names) each.push_back(leaf(kind, n));
        if (!each.empty()) parts.push_back(match == Match::any ? Rule::any(std::move(each)) : Rule::all(std::move(each)));
    };
    add(Kind::role, access.roles, access.roles_match);
    add(Kind::permission, access.permissions, access.permissions_match);
    *this = Rule::all(std::move(parts));
}

Rule Rule::role(std::string name) { return leaf(Kind::role, std::move(name)); }
Rule Rule::permission(std::string name) { return leaf(Kind::permission, std::move(name)); }
Rule Rule::scope(std::string name) { return leaf(Kind::scope, std::move(name)); }
Rule Rule::acr(std::vector<std::string> accepted) {
    if (accepted.empty()) throw ConfigError("fauth: Rule::acr needs at least one acr value");
    std::string values;
    for (const auto& value : accepted) {
        if (value.empty() || value.find_first_of(" \"\\") != std::string::npos)
            throw ConfigError("fauth: an acr value is not empty and has no space, quote or backslash");
        if (!values.empty()) values.push_back(' ');
        values += value;
    }
    return Rule(std::make_shared<const Node>(Node{Kind::acr, std::move(values), {}, {}, nullptr, {}}));
}

Rule Rule::second_factor() {
    return Rule(
        std::make_shared<const Node>(Node{Kind::acr, std::string(kAcrTwoFactors), {}, {}, nullptr, {}, 0, /*own_only=*/true}));
}

Rule Rule::authenticated_within(std::chrono::seconds max_age) {
    if (max_age.count() < 0) throw ConfigError("fauth: Rule::authenticated_within needs an age of 0 or more");
    return Rule(
        std::make_shared<const Node>(Node{Kind::age, std::to_string(max_age.count()), {}, {}, nullptr, {}, max_age.count()}));
}

Rule Rule::all(std::vector<Rule> rules) { return combined(Kind::all, std::move(rules)); }
Rule Rule::any(std::vector<Rule> rules) { return combined(Kind::any, std::move(rules)); }

Rule Rule::negation(Rule rule) {
    if (rule.empty()) throw ConfigError("fauth: not_ of the empty rule would refuse everyone");
    const auto* type = rule.user_type();
    return Rule(std::make_shared<const Node>(Node{Kind::negation, {}, {}, {}, type, {std::move(rule)}}));
}

Rule Rule::leaf_predicate(std::string description, std::string message, std::function<bool(const detail::Subject&)> check,
                          const std::type_info& user_type) {
    if (description.empty()) throw ConfigError("fauth: a predicate needs a description (it appears in the OpenAPI document)");
    return Rule(std::make_shared<const Node>(
        Node{Kind::predicate, std::move(description), std::move(message), std::move(check), &user_type, {}}));
}

Rule Rule::combined(Kind kind, std::vector<Rule> rules) {
    std::vector<Rule> kept;
    const std::type_info* type = nullptr;
    for (auto& r : rules) {
        if (r.empty()) {
            // The empty rule is met by everyone: all_of drops it, any_of of it is met by everyone.
            if (kind == Kind::any) return Rule();
            continue;
        }
        if (const auto* t = r.user_type()) {
            if (type != nullptr && *type != *t) throw ConfigError("fauth: a rule combines predicates over different User types");
            type = t;
        }
        kept.push_back(std::move(r));
    }
    if (kept.empty()) return Rule();
    if (kept.size() == 1) return std::move(kept.front());
    return Rule(std::make_shared<const Node>(Node{kind, {}, {}, {}, type, std::move(kept)}));
}

const std::type_info* Rule::user_type() const noexcept { return node_ ? node_->user_type : nullptr; }

std::string Rule::description() const {
    if (!node_) return {};
    const auto part = [](const Rule& r) {
        const auto kind = r.node_->kind;
        std::string text = r.description();
        if (kind == Kind::all || kind == Kind::any) text.insert(0, 1, '(').push_back(')');
        return text;
    };
    switch (node_->kind) {
        case Kind::role: return "role " + node_->name;
        case Kind::permission: return "permission " + node_->name;
        case Kind::scope: return "scope " + node_->name;
        case Kind::predicate: return node_->name;
        case Kind::acr: return "acr " + node_->name;
        case Kind::age: return "signed in within " + node_->name + " s";
        case Kind::negation: return "not " + part(node_->children.front());
        case Kind::all:
        case Kind::any: {
            std::string out;
            for (const auto& c : node_->children)
                out += (out.empty() ? "" : (node_->kind == Kind::all ? " and " : " or ")) + part(c);
            return out;
        }
    }
    return {};
}

std::optional<std::string> Rule::denial(const detail::Subject& subject, const Wildcards& wildcards,
                                        std::vector<std::string>* missing_scopes) const {
    auto why = refusal(subject, wildcards, missing_scopes);
    if (!why) return std::nullopt;
    return std::move(why->message);
}

std::optional<Denial> Rule::refusal(const detail::Subject& subject, const Wildcards& wildcards,
                                    std::vector<std::string>* missing_scopes) const {
    using instruments::RuleKind;
    if (!node_) return std::nullopt;
    const Node& n = *node_;
    switch (n.kind) {
        case Kind::role:
            if (subject.key == nullptr && subject.has_role(subject.user, n.name)) return std::nullopt;
            return Denial{RuleKind::role, missing_role_message({n.name}, Match::all)};
        case Kind::permission:
            if (subject.has_permission(subject.user, n.name, wildcards) &&
                (subject.key == nullptr || scopes_grant(subject.key->scopes, n.name, wildcards)))
                return std::nullopt;
            return Denial{RuleKind::permission, missing_permission_message({n.name}, Match::all)};
        case Kind::scope:
            if (scopes_grant(*subject.scopes, n.name, wildcards)) return std::nullopt;
            if (missing_scopes != nullptr) missing_scopes->push_back(n.name);
            return Denial{RuleKind::scope, missing_scope_message({n.name}, Match::all)};
        case Kind::acr: {
            if (subject.token != nullptr && !subject.token->acr.empty() && !(n.own_only && subject.token->external)) {
                std::string_view values = n.name;
                for (bool last = false; !last;)
                    if (next_part(values, ' ', last) == subject.token->acr) return std::nullopt;
            }
            if (subject.token == nullptr) return Denial{RuleKind::authentication, std::string(kAccessDenied)};
            return Denial{RuleKind::authentication, "Stronger authentication required", n.name};
        }
        case Kind::age: {
            const std::int64_t max_age = n.max_age;
            if (subject.token != nullptr) {
                const auto now = subject.now != 0 ? subject.now : unix_seconds();
                // A trusted issuer's session began at its `auth_time` (OpenID Connect), which its
                // tokens carry as an extra claim; one without it cannot say, and must step up.
                std::optional<std::int64_t> started;
                if (!subject.token->external)
                    started = second_of(subject.token->session_started_us());
                else if (const auto* at = subject.token->claim("auth_time"); at != nullptr && at->is_number())
                    started = at->is_number_integer() ? at->get<std::int64_t>() : static_cast<std::int64_t>(at->get<double>());
                if (started && now - *started <= max_age) return std::nullopt;
                return Denial{RuleKind::authentication, "Recent authentication required", {}, std::chrono::seconds(max_age)};
            }
            return Denial{RuleKind::authentication, std::string(kAccessDenied)};
        }
        case Kind::predicate:
            if (n.check(subject)) return std::nullopt;
            return Denial{RuleKind::predicate, n.message.empty() ? std::string(kAccessDenied) : n.message};
        case Kind::negation:
            if (n.children.front().refusal(subject, wildcards)) return std::nullopt;
            return Denial{RuleKind::predicate, std::string(kAccessDenied)};
        case Kind::all:
            for (const auto& c : n.children)
                if (auto why = c.refusal(subject, wildcards, missing_scopes)) return why;
            return std::nullopt;
        case Kind::any: {
            std::optional<Denial> step_up;
            for (const auto& c : n.children) {
                auto why = c.refusal(subject, wildcards);
                if (!why) return std::nullopt;
                if (!step_up && why->step_up()) step_up = std::move(why);
            }
            // A new sign-in could meet one of them: say what it must bring (RFC 9470's 401)
            // rather than refuse for good.
            if (step_up) return step_up;
            // One of a list of one kind: FAuth's "one of" message; else nothing more specific.
            const Kind first = n.children.front().node_->kind;
            std::vector<std::string> names;
            for (const auto& c : n.children) {
                if (c.node_->kind != first || (first != Kind::role && first != Kind::permission && first != Kind::scope))
                    return Denial{RuleKind::predicate, std::string(kAccessDenied)};
                names.push_back(c.node_->name);
            }
            if (first == Kind::role) return Denial{RuleKind::role, missing_role_message(names, Match::any)};
            if (first == Kind::permission) return Denial{RuleKind::permission, missing_permission_message(names, Match::any)};
            // One of them is enough: RFC 6750's `scope` lists what is needed, so the first is named.
            if (missing_scopes != nullptr) missing_scopes->push_back(names.front());
            return Denial{RuleKind::scope, missing_scope_message(names, Match::any)};
        }
    }
    return Denial{RuleKind::predicate, std::string(kAccessDenied)};
}

}  // namespace fauth
