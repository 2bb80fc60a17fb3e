#include "fauth/http/jwks.hpp"

#include <algorithm>

#include "fauth/http/response.hpp"

namespace fauth::http {

Endpoint jwks_endpoint(std::shared_ptr<const KeyRing> ring, std::chrono::seconds max_age) {
    Endpoint endpoint([ring, max_age](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
        writer.headers().add<Pistache::Http::Header::CacheControl>(
            std::vector<Pistache::Http::CacheDirective>{Pistache::Http::CacheDirective(Pistache::Http::CacheDirective::Public),
                                                        Pistache::Http::CacheDirective(Pistache::Http::CacheDirective::MaxAge,
                                                                                       max_age)});
        send_json(writer, Pistache::Http::Code::Ok, ring->current()->jwks());
    });
    endpoint.doc.summary = "The public keys that verify this service's tokens (JWK Set, RFC 7517)";
    endpoint.doc.tags = {"Keys"};
    return endpoint;
}

Endpoint discovery_endpoint(std::shared_ptr<const KeyRing> ring, std::string issuer, std::string jwks_uri,
                            std::string token_endpoint) {
    Endpoint endpoint([=](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
        auto algorithms = nlohmann::json::array();
        for (const auto& key : ring->current()->keys())
            if (!key.is_symmetric() && std::find(algorithms.begin(), algorithms.end(), key.algorithm()) == algorithms.end())
                algorithms.push_back(key.algorithm());
        send_json(writer, Pistache::Http::Code::Ok,
                  {{"issuer", issuer},
                   {"jwks_uri", jwks_uri},
                   {"token_endpoint", token_endpoint},
                   {"id_token_signing_alg_values_supported", algorithms},
                   {"token_endpoint_auth_methods_supported", {"none"}},
                   {"grant_types_supported", {"password", "refresh_token"}}});
    });
    endpoint.doc.summary = "OpenID-style provider metadata: where the keys and the token endpoint are";
    endpoint.doc.tags = {"Keys"};
    return endpoint;
}

}  // namespace fauth::http
