#include "fauth/http/schemes/mtls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <pistache/peer.h>

#include "fauth/core/base64url.hpp"
#include "fauth/core/dpop.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/http/client_address.hpp"

namespace fauth::http {

const std::string* certificate_thumbprint(const TokenPayload& token) noexcept {
    const auto cnf = token.extra.find("cnf");
    if (cnf == token.extra.end() || !cnf->is_object()) return nullptr;
    const auto x5t = cnf->find("x5t#S256");
    if (x5t == cnf->end() || !x5t->is_string()) return nullptr;
    return &x5t->get_ref<const std::string&>();
}

std::optional<std::string> parse_client_cert(std::string_view value) {
    value = trim_ows(value);
    // RFC 8941 section 3.3.5: ":" base64 ":", then the item's parameters (";key=value"), ignored.
    if (value.size() < 2 || value.front() != ':') return std::nullopt;
    const auto close = value.find(':', 1);
    if (close == std::string_view::npos) return std::nullopt;
    const auto rest = value.substr(close + 1);
    if (!rest.empty() && rest.front() != ';') return std::nullopt;  // a list (two headers) or trailing bytes
    std::string_view base64 = value.substr(1, close - 1);
    if (base64.empty() || base64.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && base64.ends_with('=')) base64.remove_suffix(1), ++padding;
    // Standard base64 is base64url with two other characters; '-' and '_' are not base64.
    std::string url(base64);
    for (char& ch : url) {
        if (ch == '-' || ch == '_') return std::nullopt;
        if (ch == '+') ch = '-';
        if (ch == '/') ch = '_';
    }
    std::string der;
    if (!base64url_decode(url, der) || der.empty()) return std::nullopt;
    return der;
}

std::string tls_client_certificate(const Pistache::Http::ResponseWriter& response) {
    std::shared_ptr<Pistache::Tcp::Peer> peer;
    try {
        peer = response.peer();  // throws once the connection is gone
    } catch (const std::exception&) {
        return {};
    }
    if (!peer || peer->ssl() == nullptr) return {};
    X509* certificate = SSL_get1_peer_certificate(static_cast<SSL*>(peer->ssl()));
    if (certificate == nullptr) return {};
    std::string der;
    const int size = i2d_X509(certificate, nullptr);
    if (size > 0) {
        der.resize(static_cast<std::size_t>(size));
        auto* out = reinterpret_cast<unsigned char*>(der.data());
        if (i2d_X509(certificate, &out) != size) der.clear();
    }
    X509_free(certificate);
    return der;
}

CertificateBoundScheme::CertificateBoundScheme(std::shared_ptr<const CredentialScheme> inner, const SchemeSettings& settings,
                                               bool require_bound)
    : inner_(std::move(inner)),
      mode_(settings.certificate_binding.mode),
      read_header_(settings.certificate_binding.client_cert_header),
      require_bound_(require_bound && mode_ == CertificateBindingMode::require),
      trusted_proxies_(settings.trusted_proxies) {}

Credentials CertificateBoundScheme::read(const Pistache::Http::Request& request) const {
    auto credentials = inner_->read(request);
    if (credentials.scheme != nullptr) credentials.scheme = this;
    return credentials;
}

void CertificateBoundScheme::require(nlohmann::json& alternatives) const {
    if (!require_bound_) return inner_->require(alternatives);
    auto own = nlohmann::json::array();
    inner_->require(own);
    // An OpenAPI requirement object names schemes that must all be satisfied: the token and mTLS.
    for (auto& alternative : own) {
        alternative[kMutualTlsScheme] = nlohmann::json::array();
        alternatives.push_back(std::move(alternative));
    }
}

void CertificateBoundScheme::declare(nlohmann::json& security_schemes) const {
    inner_->declare(security_schemes);
    if (mode_ == CertificateBindingMode::off) return;
    security_schemes[kMutualTlsScheme] =
        {{"type", "mutualTLS"},
         {"description",
          "The client's TLS certificate. An access token bound to a certificate (RFC 8705: `cnf.x5t#S256`) is taken only "
          "from the client that presents that certificate."}};
}

std::string CertificateBoundScheme::client_certificate(const Pistache::Http::Request& request,
                                                       const Pistache::Http::ResponseWriter* response) const {
    if (read_header_ && is_trusted_proxy(request.address().host(), trusted_proxies_)) {
        if (const auto header = request.headers().tryGetRaw("Client-Cert")) {
            auto der = parse_client_cert(header->value());
            if (!der) throw InvalidToken("malformed Client-Cert header from a trusted proxy");
            return std::move(*der);
        }
    }
    if (response == nullptr) return {};
    return tls_client_certificate(*response);
}

Outcome<void> CertificateBoundScheme::check(const Pistache::Http::Request& request, const TokenPayload& token,
                                            const CheckContext& context) const {
    // RFC 9449 7.2: a DPoP-bound token is good only by the DPoP scheme, whose check verifies the
    // proof by its key; by any other (Bearer, a cookie: stolen from a DPoP client) it is refused.
    if (inner_->id() != Scheme::dpop && dpop_jkt(token) != nullptr)
        return InvalidToken("DPoP-bound token presented without its proof, as " + std::string(scheme_name(inner_->id())))
            .failure();
    const std::string* bound = certificate_thumbprint(token);
    if (bound == nullptr) {
        if (require_bound_) return InvalidToken("token is not certificate-bound").failure();
        return inner_->check(request, token, context);
    }
    if (mode_ == CertificateBindingMode::off)
        return InvalidToken("certificate-bound token without its certificate (certificate binding is off)").failure();
    std::string der;
    try {
        der = client_certificate(request, context.response);
    } catch (const InvalidToken& refused) {
        return refused.failure();
    }
    if (der.empty()) return InvalidToken("certificate-bound token without its certificate").failure();
    if (sha256_base64url(der) != *bound) return InvalidToken("certificate mismatch").failure();
    return inner_->check(request, token, context);
}

}  // namespace fauth::http
