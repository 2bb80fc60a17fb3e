#include "fauth/oidc/issuer.hpp"

#include <algorithm>
#include <span>

#include "fauth/core/claims.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/oidc/introspection.hpp"
#include "fauth/oidc/jwks.hpp"

namespace fauth {
namespace {

using nlohmann::json;

// The value at `path` in `claims`, or null.
const json* at_path(const json& claims, const ClaimPath& path) {
    const json* node = &claims;
    for (const auto& step : path) {
        if (!node->is_object()) return nullptr;
        const auto it = node->find(step);
        if (it == node->end()) return nullptr;
        node = &*it;
    }
    return node;
}

std::string path_name(const ClaimPath& path) {
    std::string name;
    for (const auto& step : path) name += (name.empty() ? "" : ".") + step;
    return name;
}

// Appends the strings at `path` (a space-separated string when `split`, one string otherwise, or
// an array of strings) to `out`, skipping repeats.
void append_claim_strings(const json& claims, const ClaimPath& path, bool split, std::vector<std::string>& out) {
    const json* value = at_path(claims, path);
    if (value == nullptr) return;
    const auto add = [&](std::string item) {
        if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) out.push_back(std::move(item));
    };
    if (value->is_string()) {
        const auto& text = value->get_ref<const std::string&>();
        if (!split) return add(text);
        std::size_t start = 0;
        while (start <= text.size()) {
            const auto space = text.find(' ', start);
            add(text.substr(start, space == std::string::npos ? std::string::npos : space - start));
            if (space == std::string::npos) break;
            start = space + 1;
        }
        return;
    }
    if (!value->is_array()) throw InvalidToken(path_name(path) + " is not a string or a list of strings");
    for (const auto& item : *value) {
        if (!item.is_string()) throw InvalidToken(path_name(path) + " is not a list of strings");
        add(item.get<std::string>());
    }
}

// True when `claims` has member `name` holding exactly the string `value`.
bool claim_equals(const json& claims, const std::string& name, const std::string& value) {
    const auto claim = claims.find(name);
    return claim != claims.end() && claim->is_string() && claim->get_ref<const std::string&>() == value;
}

// True when one of `token_audiences` is among `accepted`.
bool shares_one(const std::vector<std::string>& token_audiences, std::span<const std::string> accepted) {
    for (const auto& a : token_audiences)
        if (std::find(accepted.begin(), accepted.end(), a) != accepted.end()) return true;
    return false;
}

// A TrustedIssuer as the core calls it.
class TrustedIssuerPolicy final : public IssuerPolicy {
public:
    explicit TrustedIssuerPolicy(TrustedIssuer trusted) : t_(std::move(trusted)) {}
    const std::string& issuer() const noexcept override { return t_.issuer; }
    const std::shared_ptr<KeyRing>& keys() const noexcept override { return t_.keys; }
    bool allows(std::string_view algorithm) const noexcept override {
        return std::find(t_.algorithms.begin(), t_.algorithms.end(), algorithm) != t_.algorithms.end();
    }
    bool requires_at_jwt() const noexcept override { return !t_.accept_tokens_without_at_jwt; }
    std::optional<std::chrono::seconds> keys_pending() const override {
        // Only a ring that fetches can be waiting for its keys; a fixed one has what it has.
        if (const auto* jwks = dynamic_cast<const oidc::JwksKeyRing*>(t_.keys.get())) return jwks->keys_pending();
        return std::nullopt;
    }
    void validate() const override { t_.validate(); }
    std::optional<IntrospectedTokens> introspects() const noexcept override {
        if (!t_.introspection) return std::nullopt;
        return t_.introspected_tokens;
    }
    std::optional<Result<TokenPayload>> introspected(std::string_view token) const override {
        if (!t_.introspection) return std::nullopt;
        return t_.introspection->cached(token, *this);
    }
    void introspect(std::string token, std::function<void(Result<TokenPayload>)> done) const override {
        if (!t_.introspection) return IssuerPolicy::introspect(std::move(token), std::move(done));
        t_.introspection->ask(std::move(token), *this, std::move(done));
    }

    void admit(TokenPayload& p) const override {
        for (const auto& path : t_.scope_claims) append_claim_strings(p.extra, path, true, p.scopes);
        for (const auto& path : t_.role_claims) append_claim_strings(p.extra, path, false, p.roles);
        std::vector<std::string> from_claim;  // Cognito's client_id, say
        const bool in_aud = t_.audience_claim == "aud";
        if (!in_aud) append_claim_strings(p.extra, {t_.audience_claim}, false, from_claim);
        if (!shares_one(in_aud ? p.aud : from_claim, t_.audiences)) throw InvalidToken("audience mismatch");
        for (const auto& [name, value] : t_.required_claims)
            if (!claim_equals(p.extra, name, value)) throw InvalidToken(name + " is not " + value);
        if (t_.authorized_party && !claim_equals(p.extra, "azp", *t_.authorized_party))
            throw InvalidToken("authorized party mismatch");
    }

private:
    TrustedIssuer t_;
};

}  // namespace

void TrustedIssuer::validate() const {
    const std::string who = "TrustedIssuer " + (issuer.empty() ? std::string("(no issuer)") : issuer);
    if (issuer.empty()) throw ConfigError("TrustedIssuer.issuer is empty: set it to the iss of the provider's tokens");
    if (issuer.find_first_of(" \t\r\n") != std::string::npos)
        throw ConfigError(who + ": TrustedIssuer.issuer holds white space; it must be the tokens' iss exactly");
    if (audiences.empty())
        throw ConfigError(who +
                          ": no audience. A resource server must say which audience its tokens are for "
                          "(the API identifier registered at the provider), or it would accept tokens "
                          "meant for any other application of that provider");
    for (const auto& audience : audiences)
        if (audience.empty()) throw ConfigError(who + ": an audience is empty");
    if (audience_claim.empty()) throw ConfigError(who + ": audience_claim is empty");
    if (!keys) throw ConfigError(who + ": no keys (an oidc::JwksKeyRing with the provider's URL finds them)");
    if (const auto* jwks = dynamic_cast<const oidc::JwksKeyRing*>(keys.get());
        jwks != nullptr && jwks->options().url.empty() && jwks->options().issuer != issuer)
        // Discovery accepts only a document naming the ring's issuer: these keys would never be
        // the ones that sign this issuer's tokens.
        throw ConfigError(who + ": TrustedIssuer.keys discovers the keys of " + jwks->options().issuer +
                          ", another issuer (JwksOptions.issuer must equal TrustedIssuer.issuer)");
    if (algorithms.empty()) throw ConfigError(who + ": no algorithm is allowed");
    for (const auto& name : algorithms) {
        if (!is_supported_algorithm(name)) throw ConfigError(who + ": algorithm " + name + " is not supported");
        if (is_hmac_algorithm(name))
            throw ConfigError(who + ": " + name +
                              " is an HMAC algorithm; an external issuer's tokens are verified with its public keys");
    }
    // Claims fauth reads itself never reach the claim paths: naming one would silently match
    // nothing. (The issuer's other claims, `scopes` or `auth_time` say, are read as its paths say.)
    const auto reserved = [](const std::string& name) { return is_read_from_external_tokens(name); };
    if (audience_claim != "aud" && reserved(audience_claim))
        throw ConfigError(who + ": audience_claim " + audience_claim + " is a claim fauth reads itself");
    for (const auto* paths : {&scope_claims, &role_claims})
        for (const auto& path : *paths) {
            if (path.empty()) throw ConfigError(who + ": a claim path is empty");
            if (reserved(path.front()))
                throw ConfigError(who + ": claim path " + path.front() + " is a claim fauth reads itself");
        }
    for (const auto& [name, value] : required_claims)
        if (name.empty() || reserved(name))
            throw ConfigError(who + ": required claim '" + name + "' cannot be required this way");
    if (authorized_party && authorized_party->empty()) throw ConfigError(who + ": authorized_party is set but empty");
    if (introspection && introspection->options().endpoint.empty() && introspection->options().issuer != issuer)
        throw ConfigError(who + ": TrustedIssuer.introspection discovers the endpoint of " + introspection->options().issuer +
                          ", another issuer (IntrospectionOptions.issuer must equal TrustedIssuer.issuer)");
}

TrustedIssuer::operator std::shared_ptr<const IssuerPolicy>() const { return std::make_shared<const TrustedIssuerPolicy>(*this); }

TrustedIssuer TrustedIssuer::standard(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys) {
    TrustedIssuer t{.issuer = std::move(issuer), .audiences = {std::move(audience)}, .keys = std::move(keys)};
    t.scope_claims = {{"scope"}};            // RFC 9068 section 2.2.3: a space-separated string
    t.role_claims = {{"roles"}};             // RFC 9068 section 2.2.3.1 (RFC 7643's roles attribute)
    t.accept_tokens_without_at_jwt = false;  // section 4: typ at+jwt, so an ID token never passes for one
    return t;
}

TrustedIssuer TrustedIssuer::keycloak(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys,
                                      std::string client) {
    TrustedIssuer t{.issuer = std::move(issuer), .audiences = {std::move(audience)}, .keys = std::move(keys)};
    t.scope_claims = {{"scope"}};
    t.role_claims = {{"realm_access", "roles"}};
    t.required_claims = {{"typ", "Bearer"}};  // Keycloak's ID tokens say "ID"
    t.accept_tokens_without_at_jwt = true;    // its access tokens' header says typ JWT
    if (!client.empty()) t.role_claims.push_back({"resource_access", std::move(client), "roles"});
    return t;
}

TrustedIssuer TrustedIssuer::auth0(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys,
                                   std::string roles_claim) {
    TrustedIssuer t{.issuer = std::move(issuer), .audiences = {std::move(audience)}, .keys = std::move(keys)};
    t.scope_claims = {{"scope"}, {"permissions"}};
    t.accept_tokens_without_at_jwt = true;  // the audience (the API, never a client id) tells its access tokens
    if (!roles_claim.empty()) t.role_claims = {{std::move(roles_claim)}};
    return t;
}

TrustedIssuer TrustedIssuer::entra(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys) {
    TrustedIssuer t{.issuer = std::move(issuer), .audiences = {std::move(audience)}, .keys = std::move(keys)};
    t.scope_claims = {{"scp"}};
    t.role_claims = {{"roles"}};
    t.accept_tokens_without_at_jwt = true;  // the audience (the API, never the signing-in app) tells its access tokens
    return t;
}

TrustedIssuer TrustedIssuer::cognito(std::string issuer, std::string client_id, std::shared_ptr<KeyRing> keys) {
    TrustedIssuer t{.issuer = std::move(issuer), .audiences = {std::move(client_id)}, .keys = std::move(keys)};
    t.audience_claim = "client_id";
    t.required_claims = {{"token_use", "access"}};  // its ID tokens say "id"
    t.accept_tokens_without_at_jwt = true;
    t.scope_claims = {{"scope"}};
    t.role_claims = {{"cognito:groups"}};
    return t;
}

}  // namespace fauth
