#include "sign_in.hpp"

#include <cstdlib>
#include <iostream>

namespace notes {
namespace {

std::string env(const char* name, std::string fallback = {}) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

void add_sign_in(fauth::http::Api& api, const Auth& auth, std::shared_ptr<Store> store) {
    auto providers = nlohmann::json::array();
    if (const auto issuer = env("FAUTH_OIDC_ISSUER"); !issuer.empty()) {
        fauth::oidc::RelyingPartyOptions options;
        options.name = env("FAUTH_OIDC_NAME", "oidc");
        options.display_name = env("FAUTH_OIDC_DISPLAY_NAME", options.name);
        options.issuer = issuer;
        options.client_id = env("FAUTH_OIDC_CLIENT_ID");
        options.client_secret = env("FAUTH_OIDC_CLIENT_SECRET");
        if (options.client_secret.empty()) options.authentication = fauth::oidc::TokenEndpointAuth::none;
        options.redirect_uri = env("FAUTH_OIDC_REDIRECT_URI");
        options.post_logout_redirect_uri = env("FAUTH_OIDC_POST_LOGOUT_REDIRECT_URI");
        options.fetch.ca_file = env("FAUTH_OIDC_CA_FILE");
        auto relying_party = std::make_shared<fauth::oidc::RelyingParty>(std::move(options));
        // Serve at once; sign-ins answer 503 until the provider has been reached.
        relying_party->discover_in_background();
        providers.push_back({{"name", relying_party->options().name},
                             {"display_name", relying_party->options().display_name},
                             {"login_url", "/auth/" + relying_party->options().name + "/login"}});
        fauth::http::add_oidc_sign_in<User>(api, auth,
                                            {.providers = {relying_party},
                                             .identity_loader =
                                                 [store](const fauth::oidc::ExternalIdentity& identity) -> std::optional<User> {
                                                 const auto email =
                                                     identity.email && identity.email_verified ? identity.email : std::nullopt;
                                                 return store->user_by_identity(identity.provider, identity.issuer,
                                                                                identity.subject, email);
                                             }});
    }
    api.get("/api/v1/auth/providers",
            [providers](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
                fauth::http::send_json(writer, Pistache::Http::Code::Ok, providers);
            },
            {.summary = "The identity providers one may sign in with", .tags = {"Auth"}});
}

}  // namespace notes
