// well_known.hpp — where an issuer publishes its metadata: shared by the oidc layer's discovery
// (the JWK Set's URL, the introspection endpoint). Internal to src/oidc.
#pragma once

#include <string>
#include <string_view>

namespace fauth::oidc {

// Where `issuer` publishes its metadata, its trailing slashes removed (the "issuer" in the
// document must still match the configured one exactly). OpenID Connect Discovery appends the
// well-known path to the issuer; RFC 8414 section 3 puts it between the host and the issuer's path.
inline std::string well_known(const std::string& issuer, std::string_view document, bool before_path) {
    std::string base = issuer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    const auto authority = base.find("://");
    const auto path = authority == std::string::npos ? std::string::npos : base.find('/', authority + 3);
    if (!before_path || path == std::string::npos) return base + "/.well-known/" + std::string(document);
    return base.substr(0, path) + "/.well-known/" + std::string(document) + base.substr(path);
}

}  // namespace fauth::oidc
