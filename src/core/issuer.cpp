#include "fauth/core/issuer.hpp"

#include "algorithm.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/token.hpp"

namespace fauth {

void TrustedIssuer::validate() const {
    const std::string who = "TrustedIssuer " + (issuer.empty() ? std::string("(no issuer)") : issuer);
    if (issuer.empty()) throw ConfigError("TrustedIssuer.issuer is empty: set it to the iss of the provider's tokens");
    if (audiences.empty())
        throw ConfigError(who + ": no audience. A resource server must say which audience its tokens are for "
                                "(the API identifier registered at the provider), or it would accept tokens "
                                "meant for any other application of that provider");
    for (const auto& audience : audiences)
        if (audience.empty()) throw ConfigError(who + ": an audience is empty");
    if (audience_claim.empty()) throw ConfigError(who + ": audience_claim is empty");
    if (!keys) throw ConfigError(who + ": no keys (an oidc::JwksKeyRing with the provider's URL finds them)");
    if (algorithms.empty()) throw ConfigError(who + ": no algorithm is allowed");
    for (const auto& name : algorithms) {
        const auto* alg = detail::find_algorithm(name);
        if (alg == nullptr) throw ConfigError(who + ": algorithm " + name + " is not supported");
        if (alg->family == detail::KeyFamily::hmac)
            throw ConfigError(who + ": " + name + " is an HMAC algorithm; an external issuer's tokens are verified with its public keys");
    }
    // Claims fauth reads itself never reach the claim paths: naming one would silently match
    // nothing. (A trusted issuer's `scopes` and `fam` are read as its paths say.)
    const auto reserved = [](const std::string& name) {
        return is_registered_claim(name) && name != "scopes" && name != "fam";
    };
    if (audience_claim != "aud" && reserved(audience_claim))
        throw ConfigError(who + ": audience_claim " + audience_claim + " is a claim fauth reads itself");
    for (const auto* paths : {&scope_claims, &role_claims})
        for (const auto& path : *paths) {
            if (path.empty()) throw ConfigError(who + ": a claim path is empty");
            if (reserved(path.front())) throw ConfigError(who + ": claim path " + path.front() + " is a claim fauth reads itself");
        }
    for (const auto& [name, value] : required_claims)
        if (name.empty() || reserved(name)) throw ConfigError(who + ": required claim '" + name + "' cannot be required this way");
    if (authorized_party && authorized_party->empty()) throw ConfigError(who + ": authorized_party is set but empty");
}

TrustedIssuer TrustedIssuer::keycloak(std::string issuer, std::string audience, std::shared_ptr<KeyRing> keys,
                                      std::string client) {
    TrustedIssuer t{.issuer = std::move(issuer), .audiences = {std::move(audience)}, .keys = std::move(keys)};
    t.scope_claims = {{"scope"}};
    t.role_claims = {{"realm_access", "roles"}};
    t.required_claims = {{"typ", "Bearer"}};  // Keycloak's ID tokens say "ID"
    t.accept_tokens_without_at_jwt = true;     // its access tokens' header says typ JWT
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
