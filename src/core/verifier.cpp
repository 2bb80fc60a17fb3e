#include "fauth/core/verifier.hpp"

#include <algorithm>
#include <array>
#include <new>
#include <span>

#include "claims_codec.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "jws.hpp"

namespace fauth {
namespace {

// Key ring verification: the header's kid selects the key for the header's alg, and that key
// checks the signature. A trusted issuer's (`policy`) token without kid is verified by the ring's
// only key for its alg (this service's own tokens always name their key); its key verifies an
// algorithm it declares (RFC 8725 section 3.1) or, declaring none, one the policy allows; never an
// HMAC one. A kid the ring lacks throws UnknownKeyId naming the ring, so that the caller can
// refresh it (not for an algorithm no key of an issuer can have).
void verify_with_ring(const detail::JoseHeader& header, const std::shared_ptr<KeyRing>& ring, const IssuerPolicy* policy,
                      const detail::CompactJws& jws) {
    if (policy == nullptr && !header.has_kid) throw InvalidToken("token has no kid");
    if (policy != nullptr && header.has_kid && (!is_supported_algorithm(header.alg) || is_hmac_algorithm(header.alg)))
        throw InvalidToken("algorithm not allowed");
    const auto keys = ring->current();
    const Key* key = detail::select_key(*keys, header, [policy](const Key& k) {
        return policy == nullptr || (!k.is_symmetric() && (k.declares_algorithm() || policy->allows(k.algorithm())));
    });
    if (key == nullptr) throw UnknownKeyId(header.kid, ring);
    detail::verify_signature(*key, jws);
}

// True when one of `token_audiences` is `accepted`.
bool has_audience(const std::vector<std::string>& token_audiences, const std::string& accepted) {
    return std::find(token_audiences.begin(), token_audiences.end(), accepted) != token_audiences.end();
}

// True when `type`, an introspection answer's token_type, names an access token: RFC 6749's
// Bearer, RFC 9449's DPoP, Hydra's access_token, RFC 8693's URI (in any case).
bool access_token_type(std::string_view type) {
    for (const std::string_view accepted :
         {"bearer", "dpop", "access_token", "n_a", "urn:ietf:params:oauth:token-type:access_token"})
        if (ascii_iequals(type, accepted)) return true;
    return false;
}

// True when `text` is one RFC 6750 b64token (A-Z a-z 0-9 - . _ ~ + /, at least one, then any
// '='): the only Bearer values sent to an introspection endpoint. (fauth::http::is_b64token
// checks the Authorization header; the core cannot use it.)
bool is_b64token(std::string_view text) noexcept {
    const auto allowed = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
               c == '~' || c == '+' || c == '/';
    };
    std::size_t i = 0;
    while (i < text.size() && allowed(text[i])) ++i;
    if (i == 0) return false;
    return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(), [](char c) { return c == '='; });
}

// The introspecting issuer among `issuers`, or null; ConfigError when two introspect.
const IssuerPolicy* introspecting_issuer(const std::vector<std::shared_ptr<const IssuerPolicy>>& issuers) {
    const IssuerPolicy* found = nullptr;
    for (const auto& issuer : issuers) {
        if (!issuer->introspects()) continue;
        if (found != nullptr)
            throw ConfigError("TokenConfig.issuers: " + found->issuer() + " and " + issuer->issuer() +
                              " both introspect; an opaque token names no issuer, so one at most may");
        found = issuer.get();
    }
    return found;
}

}  // namespace

TokenPayload read_introspection(const IssuerPolicy& issuer, const nlohmann::json& answer) {
    if (!answer.is_object()) throw InvalidToken("introspection answer is not a JSON object");
    const auto active = answer.find("active");
    if (active == answer.end() || !active->is_boolean()) throw InvalidToken("introspection answer has no active boolean");
    if (!active->get<bool>()) throw InvalidToken("token inactive");
    nlohmann::json claims = answer;
    claims.erase("active");
    if (const auto type = claims.find("token_type"); type != claims.end()) {
        if (!type->is_string() || !access_token_type(type->get_ref<const std::string&>()))
            throw InvalidToken("introspected token_type is not an access token's");
        claims.erase(type);
    }
    if (const auto iss = claims.find("iss"); iss != claims.end()) {
        if (!iss->is_string() || iss->get_ref<const std::string&>() != issuer.issuer()) throw InvalidToken("issuer mismatch");
    } else {
        claims["iss"] = issuer.issuer();  // the endpoint is the issuer's own
    }
    if (!claims.contains("sub")) {
        // A client acting for itself (client credentials): RFC 9068 section 2.2 names the client.
        const auto client = claims.find("client_id");
        if (client == claims.end() || !client->is_string()) throw InvalidToken("introspected token has no sub nor client_id");
        claims["sub"] = client->get<std::string>();
    }
    auto p = detail::read_claims(claims.dump(), detail::ClaimShape::external);
    issuer.admit(p);
    return p;
}

std::optional<Result<TokenPayload>> IssuerPolicy::introspected(std::string_view) const { return std::nullopt; }

void IssuerPolicy::introspect(std::string, std::function<void(Result<TokenPayload>)> done) const {
    done(InvalidToken("issuer " + issuer() + " has no introspection").failure());
}

Verifier::Verifier(const TokenConfig& config) : Verifier((config.validate(), config), AlreadyValidated{}) {}

Verifier::Verifier(const TokenConfig& config, AlreadyValidated)
    : max_token_bytes_(config.max_token_bytes),
      issuers_(config.issuers),
      ring_(config.keys),
      issuer_(config.issuer),
      audience_(config.audience),
      leeway_(config.leeway),
      clock_(config.clock),
      checks_(config.claim_checks),
      introspecting_(introspecting_issuer(issuers_)) {
    if (!config.secret_key.empty()) secret_ = Key::hmac(config.algorithm, config.secret_key);
}

Verifier& Verifier::with_claim(std::string name, nlohmann::json value) {
    if (is_registered_claim(name))
        throw ConfigError("Verifier::with_claim: " + name + " is a claim fauth checks itself; use with_check");
    auto reason = name + " is not " + value.dump();
    return with_check({std::move(reason), [name = std::move(name), value = std::move(value)](const TokenPayload& p) {
                           const auto claim = p.extra.find(name);
                           return claim != p.extra.end() && *claim == value;
                       }});
}

Verifier& Verifier::with_check(ClaimCheck check) {
    if (!check.accepts) throw ConfigError("Verifier::with_check: the check '" + check.reason + "' has no function");
    checks_.push_back(std::move(check));
    return *this;
}

TokenPayload Verifier::verify(std::string_view token, TokenType expected) const {
    if (token.empty()) throw InvalidToken("empty token");
    if (token.size() > max_token_bytes_) throw InvalidToken("token too large");
    const auto jws = detail::split_compact(token);

    // Decoded segments go to the stack when they fit (every ordinary token), else to the heap.
    std::array<char, 2048> local;
    std::string heap;
    const auto decode = [&](std::string_view b64, const char* what) {
        const std::size_t need = base64url_decoded_size(b64.size());
        char* out = local.data();
        if (need > local.size()) {
            heap.resize(need);
            out = heap.data();
        }
        const auto size = base64url_decode(b64, out, need);
        if (!size) throw InvalidToken(std::string(what) + " is not canonical base64url");
        return std::string_view(out, *size);
    };

    // A trusted issuer's token is chosen by its claimed `iss`, before any key is looked at.
    const IssuerPolicy* external = nullptr;
    if (!issuers_.empty()) {
        const auto iss = detail::claimed_issuer(decode(jws.payload_b64, "payload"));
        for (const auto& trusted : issuers_)
            if (iss && *iss == trusted->issuer()) external = trusted.get();
        // Not a trusted issuer's: it must be this service's own (its issuer, or none when it names
        // none), or nothing is looked up for it. (Without keys of its own, it is refused below.)
        if (external == nullptr && iss && (!issuer_ || *iss != *issuer_)) throw InvalidToken("unknown issuer");
    }

    // The signature, through the one key the token's issuer and header select, before anything
    // in the payload is trusted.
    if (external != nullptr) {
        const auto header = detail::read_header(decode(jws.header_b64, "header"), {});
        if (external->requires_at_jwt() && !header.at_jwt) throw InvalidToken("typ must be at+jwt");
        verify_with_ring(header, external->keys(), external, jws);
    } else if (ring_) {
        verify_with_ring(detail::read_header(decode(jws.header_b64, "header"), {}), ring_, nullptr, jws);
    } else {
        if (!secret_) throw InvalidToken("unknown issuer");  // only trusted issuers' tokens are verified here
        // Header: the bytes the key writes pass without parsing; anything else is decoded and
        // must still name exactly the key's algorithm.
        if (!detail::is_own_header(*secret_, jws.header_b64))
            detail::read_header(decode(jws.header_b64, "header"), secret_->algorithm());
        detail::verify_signature(*secret_, jws);
    }

    auto p = detail::read_claims(decode(jws.payload_b64, "payload"),
                                 external != nullptr ? detail::ClaimShape::external : detail::ClaimShape::own);
    if (external != nullptr) {
        if (expected != TokenType::access)
            throw InvalidToken("a token from " + external->issuer() + " is an access token, never a " +
                               std::string(to_string(expected)) + " token");
        external->admit(p);
    } else {
        if (p.token_type != expected)
            throw InvalidToken(std::string(to_string(p.token_type)) + " token used where " + std::string(to_string(expected)) +
                               " token is required");
        if (issuer_ && p.iss != issuer_) throw InvalidToken("issuer mismatch");
        if (audience_) {
            if (!has_audience(p.aud, *audience_)) throw InvalidToken("audience mismatch");
        } else if (!p.aud.empty()) {
            // RFC 7519 section 4.1.3: a recipient that is not among the audiences must reject.
            throw InvalidToken("token has an audience and none is configured");
        }
    }

    check_times_and_claims(p);
    return p;
}

const IssuerPolicy* Verifier::introspected_by(std::string_view token) const noexcept {
    // Only a value of the form RFC 6750 allows is ever sent to the issuer (never a secret typed
    // into the wrong header, nor garbage that only fills the cache); verify refuses the rest.
    if (introspecting_ == nullptr || token.size() > max_token_bytes_ || !is_b64token(token)) return nullptr;
    if (std::count(token.begin(), token.end(), '.') != 2) return introspecting_;  // opaque: no iss to read
    if (introspecting_->introspects() != IntrospectedTokens::all) return nullptr;
    try {
        const auto jws = detail::split_compact(token);
        const auto decoded = [](std::string_view b64) -> std::optional<std::string> {
            std::string out(base64url_decoded_size(b64.size()), '\0');
            const auto size = base64url_decode(b64, out.data(), out.size());
            if (!size) return std::nullopt;
            out.resize(*size);
            return out;
        };
        const auto payload = decoded(jws.payload_b64);
        if (!payload) return nullptr;  // verify refuses it
        const auto iss = detail::claimed_issuer(*payload);
        if (!iss || *iss != introspecting_->issuer()) return nullptr;
        // Its JWTs pass the header check they would pass here (RFC 9068 section 4: typ at+jwt,
        // so that an ID token for this API is never taken for an access token, whatever the
        // endpoint says of it): one that fails it is not asked about, and verify refuses it.
        if (introspecting_->requires_at_jwt()) {
            const auto header = decoded(jws.header_b64);
            if (!header || !detail::read_header(*header, {}).at_jwt) return nullptr;
        }
        return introspecting_;
    } catch (...) {
        return nullptr;  // not a JWS verify accepts: verify says why
    }
}

TokenPayload Verifier::admit_introspected(TokenPayload payload) const {
    check_times_and_claims(payload);
    return payload;
}

void Verifier::check_times_and_claims(const TokenPayload& p) const {
    const std::int64_t now = unix_seconds(clock_);
    const std::int64_t leeway = leeway_.count();
    if (p.nbf && now + leeway < *p.nbf) throw InvalidToken("token not yet valid");
    if (p.iat > now + leeway) throw InvalidToken("token issued in the future");
    if (now >= p.exp + leeway) throw TokenExpired();

    for (const auto& check : checks_) {
        bool accepted = false;
        try {
            accepted = check.accepts(p);
        } catch (const InvalidToken&) {
            throw;
        } catch (const std::bad_alloc&) {
            throw;
        } catch (...) {
            // a check that fails in any other way refuses: below
        }
        if (!accepted) throw InvalidToken(check.reason);
    }
}

}  // namespace fauth
