/// @file
/// fauth/http/schemes/bearer.hpp — Scheme::bearer: an access token in `Authorization: Bearer`
/// (RFC 6750), declared as the OAuth2 password flow and HTTP bearer.
#pragma once

#include <string>

#include "fauth/http/scheme.hpp"

namespace fauth::http {

/// `Authorization: Bearer <access token>`.
class BearerScheme final : public CredentialScheme {
public:
    /// The scheme, documented with `settings.token_url` as the password flow's tokenUrl.
    explicit BearerScheme(const SchemeSettings& settings) : token_url_(settings.token_url) {}

    Scheme id() const noexcept override { return Scheme::bearer; }
    /// The Authorization header: absent without one or with another scheme (Basic, ...);
    /// malformed for the Bearer scheme without exactly one well-formed token.
    Credentials read(const Pistache::Http::Request& request) const override;
    /// InvalidToken "malformed Authorization header".
    Failure malformed() const override;
    /// A Bearer challenge.
    void challenge(Challenge& challenge) const override;
    /// OAuth2PasswordBearer, or HTTPBearer.
    void require(nlohmann::json& alternatives) const override;
    /// The password flow (with its tokenUrl) and HTTP bearer (JWT).
    void declare(nlohmann::json& security_schemes) const override;

private:
    std::string token_url_;
};

}  // namespace fauth::http
