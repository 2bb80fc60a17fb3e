// fauth/http/schemes/dpop.hpp — Scheme::dpop: an access token bound to its holder's key
// (RFC 9449), in `Authorization: DPoP <token>` with a `DPoP: <proof>` header that the holder signs
// for this one request; declared as HTTP `DPoP` in the OpenAPI document.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fauth/auth/replay_cache.hpp"
#include "fauth/core/dpop.hpp"
#include "fauth/http/scheme.hpp"

namespace fauth::http {

/// `Authorization: DPoP <access token>` with its `DPoP` proof.
class DpopScheme final : public CredentialScheme {
public:
    /// The scheme as `settings.dpop` configures it (a replay cache of its own when that names none).
    explicit DpopScheme(const SchemeSettings& settings);

    Scheme id() const noexcept override { return Scheme::dpop; }
    /// The Authorization header: absent without one or with another scheme; malformed for the
    /// DPoP scheme without exactly one well-formed token.
    Credentials read(const Pistache::Http::Request& request) const override;
    /// InvalidToken "malformed Authorization header".
    Failure malformed() const override;
    /// `DPoP algs="..."`, the algorithms a proof may use; with server nonces, the current one
    /// (Challenge::dpop_nonce, by the system clock).
    void challenge(Challenge& challenge) const override;
    /// "DPoP".
    std::string_view challenge_name() const noexcept override { return "DPoP"; }
    /// DPoP.
    void require(nlohmann::json& alternatives) const override;
    /// An HTTP scheme `DPoP`.
    void declare(nlohmann::json& security_schemes) const override;
    /// The token must be bound (`cnf.jkt`: else InvalidToken), and the request's `DPoP` header a
    /// proof (verify_dpop_proof) for this method and URL, for this token (`ath`), by the key the
    /// token is bound to, whose `jti` the replay cache has not seen (InvalidDpopProof otherwise).
    Outcome<void> check(const Pistache::Http::Request& request, const TokenPayload& token,
                        const CheckContext& context) const override;

    /// The URL a proof for `request` must name (htu): the configured origin, or the request's own
    /// (see DpopSettings::origin), then its path.
    std::string request_url(const Pistache::Http::Request& request) const;

private:
    DpopPolicy policy_;
    std::string origin_;
    std::vector<std::string> trusted_proxies_;
    std::shared_ptr<ReplayCache> replay_;
    std::optional<DpopNonces> nonces_;  // when proofs must carry a server nonce
    std::string challenge_;
};

}  // namespace fauth::http
