/// @file
/// fauth/http/schemes/dpop.hpp — Scheme::dpop: an access token bound to its holder's key
/// (RFC 9449), in `Authorization: DPoP <token>` with a `DPoP: <proof>` header that the holder signs
/// for this one request; declared as HTTP `DPoP` in the OpenAPI document.
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
    /// `proof` verified for a request of `method` to `url` at `now` (verify_dpop_proof, with `ath`
    /// for `access_token` unless it is empty, and this scheme's nonces), by the key whose
    /// thumbprint is `bound_to` when that is not null, then its `jti` recorded in the replay
    /// cache: the proof, or InvalidDpopProof ("proof key is not the one the token is bound to",
    /// "proof replayed", the check that failed), DpopNonceRequired, or Unavailable when the
    /// replay cache cannot tell. A proof by another key is refused before its `jti` is recorded.
    Outcome<DpopProof> verify_proof(std::string_view proof, std::string_view method, std::string_view url,
                                    std::string_view access_token, const std::string* bound_to,
                                    std::chrono::system_clock::time_point now) const;
    /// Its server nonces, or null when proofs need none.
    const DpopNonces* nonces() const noexcept { return nonces_ ? &*nonces_ : nullptr; }
    /// The keys of recent proofs (see DpopKeyCache).
    DpopKeyCache& key_cache() const noexcept { return keys_; }

private:
    DpopPolicy policy_;
    std::string origin_;
    std::vector<std::string> trusted_proxies_;
    std::shared_ptr<ReplayCache> replay_;
    std::optional<DpopNonces> nonces_;  // when proofs must carry a server nonce
    mutable DpopKeyCache keys_;         // the keys of recent proofs
    std::string challenge_;
};

/// What a token request (a login, a refresh) said about DPoP, read while the request is there:
/// its `DPoP` header and the method and URL a proof for it must name.
struct DpopTokenRequest {
    /// True when the request carried a `DPoP` header.
    bool present = false;
    /// The header's value (the proof).
    std::string proof;
    /// The request's method (`htm`).
    std::string method;
    /// The request's URL (`htu`), as DpopScheme::request_url builds it.
    std::string url;
};

/// The DPoP proofs of token requests (RFC 9449 section 5) at this service's own login and refresh
/// endpoints: a proof names the request's method and URL (as the DPoP scheme builds it behind
/// trusted proxies, or from DpopSettings::origin), carries no `ath` (none is checked: a token
/// request presents no access token), and is used once (DpopSettings::replay_cache, shared with the
/// DPoP scheme). Const and shared by every request to an endpoint.
class DpopTokenProofs {
public:
    /// The proofs as `settings.dpop` judges them.
    explicit DpopTokenProofs(const SchemeSettings& settings);
    /// What `request` says (see DpopTokenRequest).
    DpopTokenRequest read(const Pistache::Http::Request& request) const;
    /// The proof of `request` verified at `now` (verify_dpop_proof), by the key whose thumbprint is
    /// `bound_to` when that is not null, then its `jti` recorded in the replay cache: the proof, or
    /// InvalidDpopProof ("no DPoP header", the check that failed, "proof key is not the one the
    /// token is bound to", "proof replayed"), or Unavailable when the replay cache cannot tell. A
    /// proof by another key is refused before its `jti` is recorded.
    Outcome<DpopProof> verify(const DpopTokenRequest& request, const std::string* bound_to,
                              std::chrono::system_clock::time_point now) const;
    /// The challenge of a refusal: `DPoP algs="..."`, which gets the error.
    Challenge challenge(std::string_view resource_metadata = {}) const;

private:
    DpopScheme scheme_;  // its URL, nonces, key cache and replay cache
};

}  // namespace fauth::http
