#include "fauth/http/schemes/dpop.hpp"

#include "fauth/core/errors.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/random.hpp"
#include "fauth/http/bearer.hpp"
#include "fauth/http/client_address.hpp"
#include "fauth/http/cookies.hpp"
#include "fauth/http/openapi.hpp"

namespace fauth::http {

namespace {

// The last value of a comma-separated forwarding header (the one the trusted proxy nearest to
// this service wrote: values to its left are whatever came before it, the client's included),
// trimmed; empty without one.
std::string last_forwarded(const Pistache::Http::Request& request, const std::string& name) {
    const auto raw = request.headers().tryGetRaw(name);
    if (!raw) return {};
    const std::string value = raw->value();
    const auto comma = value.rfind(',');
    return std::string(
        trim_ows(comma == std::string::npos ? std::string_view(value) : std::string_view(value).substr(comma + 1)));
}

}  // namespace

DpopScheme::DpopScheme(const SchemeSettings& settings)
    : policy_(settings.dpop.policy),
      origin_(settings.dpop.origin),
      trusted_proxies_(settings.trusted_proxies),
      replay_(settings.dpop.replay_cache ? settings.dpop.replay_cache : std::make_shared<MemoryReplayCache>()) {
    // The scheme made without in_force (mount's own configuration) gets a key of its own.
    if (settings.dpop.nonce_lifetime > std::chrono::seconds(0))
        nonces_.emplace(settings.dpop.nonce_secret.empty() ? random_bytes(32) : settings.dpop.nonce_secret,
                        settings.dpop.nonce_lifetime);
    challenge_ = "DPoP algs=\"";
    for (std::size_t i = 0; i < policy_.algorithms.size(); ++i) challenge_ += (i ? " " : "") + policy_.algorithms[i];
    challenge_ += '"';
}

Credentials DpopScheme::read(const Pistache::Http::Request& request) const {
    const auto header = request.headers().tryGet<Pistache::Http::Header::Authorization>();
    if (!header) return {};
    const std::string value = header->value();  // by value: keep it alive while it is parsed
    auto dpop = parse_authorization(std::string_view(value), "dpop");
    switch (dpop.status) {
        case BearerCredentials::Status::absent: return {};
        case BearerCredentials::Status::malformed: return {Credentials::Status::malformed, {}, this};
        case BearerCredentials::Status::present: break;
    }
    return {Credentials::Status::present, std::move(dpop.token), this};
}

Failure DpopScheme::malformed() const { return InvalidToken("malformed Authorization header").failure(); }

void DpopScheme::challenge(Challenge& challenge) const {
    challenge.add(challenge_);
    if (nonces_) challenge.dpop_nonce = nonces_->current(std::chrono::system_clock::now());
}

void DpopScheme::require(nlohmann::json& alternatives) const { alternatives.push_back({{kDpopScheme, nlohmann::json::array()}}); }

void DpopScheme::declare(nlohmann::json& security_schemes) const {
    security_schemes[kDpopScheme] =
        {{"type", "http"},
         {"scheme", "DPoP"},
         {"description",
          "An access token bound to the client's key (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` header "
          "holding a proof the client signs for each request."}};
}

std::string DpopScheme::request_url(const Pistache::Http::Request& request) const {
    std::string url;
    if (!origin_.empty()) {
        url = origin_;
    } else {
        std::string scheme = "http", host = requested_host(request);
        if (is_trusted_proxy(request.address().host(), trusted_proxies_)) {
            if (auto proto = ascii_lower(last_forwarded(request, "X-Forwarded-Proto")); proto == "https" || proto == "http")
                scheme = std::move(proto);
            if (auto forwarded = last_forwarded(request, "X-Forwarded-Host"); !forwarded.empty()) host = std::move(forwarded);
        }
        url = scheme + "://" + host;
    }
    url += request.resource();
    return url;
}

Outcome<void> DpopScheme::check(const Pistache::Http::Request& request, const TokenPayload& token,
                                const CheckContext& context) const {
    const std::string* bound = dpop_jkt(token);
    if (bound == nullptr) return InvalidToken("token is not DPoP-bound, but came with the DPoP scheme").failure();
    const auto proof_header = request.headers().tryGetRaw("DPoP");
    if (!proof_header) return InvalidDpopProof("no DPoP header").failure();
    const std::string proof = proof_header->value();
    const auto authorization = request.headers().tryGet<Pistache::Http::Header::Authorization>();
    const std::string presented = authorization ? authorization->value() : std::string();
    const auto token_text = parse_authorization(std::string_view(presented), "dpop");
    // The token read again, for `ath`: never an empty one, which would skip that check.
    if (token_text.status != BearerCredentials::Status::present) return malformed();
    return without_value(verify_proof(proof, Pistache::Http::methodString(request.method()), request_url(request),
                                      token_text.token, bound, context.codec.config().now()));
}

Outcome<DpopProof> DpopScheme::verify_proof(std::string_view proof, std::string_view method, std::string_view url,
                                            std::string_view access_token, const std::string* bound_to,
                                            std::chrono::system_clock::time_point now) const {
    auto verified = verify_dpop_proof(proof, {method, url, access_token, {}, nonces(), &keys_}, policy_, now);
    if (!verified) return std::move(verified).failure();
    if (bound_to != nullptr && verified->jkt != *bound_to)
        return InvalidDpopProof("proof key is not the one the token is bound to").failure();
    auto used = replay_->first_use(verified->jkt + ':' + verified->jti, policy_.max_age + policy_.leeway);
    return chain<DpopProof>(std::move(used), [proof = std::move(*verified)](Result<void> first) mutable -> Result<DpopProof> {
        if (!first) return std::move(first).failure();
        return std::move(proof);
    });
}

DpopTokenProofs::DpopTokenProofs(const SchemeSettings& settings) : scheme_(settings) {}

DpopTokenRequest DpopTokenProofs::read(const Pistache::Http::Request& request) const {
    DpopTokenRequest out;
    const auto header = request.headers().tryGetRaw("DPoP");
    if (!header) return out;
    out.present = true;
    out.proof = header->value();
    out.method = Pistache::Http::methodString(request.method());
    out.url = scheme_.request_url(request);
    return out;
}

Outcome<DpopProof> DpopTokenProofs::verify(const DpopTokenRequest& request, const std::string* bound_to,
                                           std::chrono::system_clock::time_point now) const {
    if (!request.present) return InvalidDpopProof("no DPoP header").failure();
    // A token request presents no access token: no ath is asked for (RFC 9449 section 5). With
    // server nonces, a token request needs one too (section 8): a proof made ahead of time (by a
    // script that ran in the page once) is refused.
    return scheme_.verify_proof(request.proof, request.method, request.url, {}, bound_to, now);
}

Challenge DpopTokenProofs::challenge(std::string_view resource_metadata) const {
    Challenge challenge(true, resource_metadata);
    challenge.bearer = false;
    challenge.presented_by = scheme_.challenge_name();
    scheme_.challenge(challenge);
    return challenge;
}

}  // namespace fauth::http
