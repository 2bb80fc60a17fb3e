/// @file
/// fauth/http/schemes/api_key.hpp — Scheme::api_key: an API key in its header or query parameter
/// (HttpConfig::api_keys), looked up by AuthProvider::run_key.
#pragma once

#include <string>

#include "fauth/http/scheme.hpp"

namespace fauth::http {

/// An API key (`<prefix>_...`) in ApiKeyTransport::header, or its query_parameter when one is named.
class ApiKeyScheme final : public CredentialScheme {
public:
    /// The scheme reading keys where `settings.api_keys` says.
    explicit ApiKeyScheme(const SchemeSettings& settings);

    Scheme id() const noexcept override { return Scheme::api_key; }
    CredentialKind kind() const noexcept override { return CredentialKind::api_key; }
    /// The header, or the query parameter (both at once, empty, or not a b64token: malformed).
    Credentials read(const Pistache::Http::Request& request) const override;
    /// InvalidApiKey "malformed".
    Failure malformed() const override;
    /// `APIKey header="<header>"`.
    void challenge(Challenge& challenge) const override;
    /// APIKeyHeader.
    void require(nlohmann::json& alternatives) const override;
    /// APIKeyHeader: an apiKey in the header.
    void declare(nlohmann::json& security_schemes) const override;
    /// ConfigError without an api_key_loader, or on a route that wants fresh tokens (a key never is).
    void check_route(const RouteNeeds& needs) const override;

private:
    ApiKeyTransport settings_;
    std::string challenge_;  // `APIKey header="..."`
};

}  // namespace fauth::http
