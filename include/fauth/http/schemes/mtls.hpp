/// @file
/// fauth/http/schemes/mtls.hpp — certificate-bound access tokens (RFC 8705 section 3): a token
/// whose `cnf.x5t#S256` names a certificate is good only from the client that presented that
/// certificate, on the TLS connection (Pistache's own TLS) or to a trusted TLS-terminating proxy
/// that says so in an RFC 9440 `Client-Cert` header. The binding is a property of the token, not of
/// the way it travels: every token scheme checks it (CertificateBoundScheme wraps each one
/// make_scheme makes), so a token bound to both a certificate and a DPoP key needs both.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/http/scheme.hpp"

namespace fauth::http {

/// The name of the OpenAPI security scheme declared for mutual TLS (OpenAPI 3.1 `mutualTLS`).
inline constexpr const char* kMutualTlsScheme = "mutualTLS";

/// The SHA-256 thumbprint (base64url) of the certificate `token` is bound to (its `cnf.x5t#S256`
/// claim), or null for a token bound to no certificate.
const std::string* certificate_thumbprint(const TokenPayload& token) noexcept;

/// The DER certificate an RFC 9440 `Client-Cert` header value carries: a structured-field byte
/// sequence (`:` standard base64 with padding `:`, parameters after it ignored), or nothing when
/// `value` is not one or carries no bytes.
std::optional<std::string> parse_client_cert(std::string_view value);

/// The DER of the certificate the client presented on the TLS connection `response` answers on;
/// empty over plain HTTP, without a client certificate, or once the connection is gone.
std::string tls_client_certificate(const Pistache::Http::ResponseWriter& response);

/// Another token scheme with the certificate binding checked after its own reading and before its
/// own check: the one place RFC 8705's rule is written. Everything else is the wrapped scheme's
/// (its name, its challenge, its credentials); the OpenAPI document adds `mutualTLS` when binding
/// is on.
class CertificateBoundScheme final : public CredentialScheme {
public:
    /// `inner` under `settings.certificate_binding`; `require_bound`: an unbound token is refused
    /// (CertificateBindingMode::require, for the Authorization header's schemes).
    CertificateBoundScheme(std::shared_ptr<const CredentialScheme> inner, const SchemeSettings& settings, bool require_bound);

    Scheme id() const noexcept override { return inner_->id(); }
    CredentialKind kind() const noexcept override { return inner_->kind(); }
    /// The wrapped scheme's credentials, read by this one (so that its check runs).
    Credentials read(const Pistache::Http::Request& request) const override;
    Failure malformed() const override { return inner_->malformed(); }
    void challenge(Challenge& challenge) const override { inner_->challenge(challenge); }
    std::string_view challenge_name() const noexcept override { return inner_->challenge_name(); }
    /// The wrapped scheme's requirements; with binding required, each one with `mutualTLS` too.
    void require(nlohmann::json& alternatives) const override;
    /// The wrapped scheme's, and `mutualTLS` while binding is on.
    void declare(nlohmann::json& security_schemes) const override;
    void check_route(const RouteNeeds& needs) const override { inner_->check_route(needs); }
    /// A DPoP-bound token (`cnf.jkt`) by any scheme but DPoP is refused; a token bound to a
    /// certificate needs the client's (InvalidToken "certificate-bound token
    /// without its certificate", "certificate mismatch"; "malformed Client-Cert header" from a
    /// trusted proxy); with binding required an unbound token is refused ("token is not
    /// certificate-bound"); then the wrapped scheme's check.
    Outcome<void> check(const Pistache::Http::Request& request, const TokenPayload& token,
                        const CheckContext& context) const override;

    /// The DER of the client certificate of `request` (answered by `response`, null: unknown): a
    /// trusted proxy's Client-Cert header when read, else the TLS connection's; empty without one.
    /// Throws InvalidToken for a trusted proxy's malformed header.
    std::string client_certificate(const Pistache::Http::Request& request, const Pistache::Http::ResponseWriter* response) const;

private:
    std::shared_ptr<const CredentialScheme> inner_;
    CertificateBindingMode mode_;
    bool read_header_;
    bool require_bound_;
    std::vector<std::string> trusted_proxies_;
};

}  // namespace fauth::http
