#include "fauth/oidc/id_token.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <utility>

#include "../core/json_object_reader.hpp"  // the core's strict JSON reader (UTF-8, no member twice)
#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/jws.hpp"

namespace fauth::oidc {

// A named namespace around the anonymous one: the oidc layer is compiled in unity batches, and
// these helpers must not meet the other files' (login.cpp has a `refused` of its own).
namespace id_token_checks {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTokenBytes = 64 * 1024;         // far above any provider's token; refused unread
constexpr std::int64_t kMaxTime = std::int64_t{1} << 53;  // NumericDates and `now`: JSON's exact integers
constexpr std::int64_t kMaxSpan = std::int64_t{1} << 32;  // leeway and max_age (136 years): no sum overflows
constexpr std::string_view kBackChannelLogout = "http://schemas.openid.net/event/backchannel-logout";

// Why `algorithms` cannot be trusted to pick a provider's signature, or empty when they can:
// asymmetric algorithms fauth verifies, never none, never HMAC (whose key would be the client
// secret: anyone who holds it could make the token).
std::string unsafe_algorithms(const std::vector<std::string>& algorithms) {
    if (algorithms.empty()) return "no algorithm is allowed";
    for (const auto& alg : algorithms) {
        if (ascii_iequals(alg, "none")) return "alg none cannot be allowed";
        if (is_hmac_algorithm(alg)) return "the HMAC algorithm " + alg + " cannot be allowed";
        if (!is_supported_algorithm(alg)) return "unknown algorithm '" + alg + "'";
    }
    return {};
}

// Why the time and spans of a check are unusable, or empty.
std::string unsafe_times(std::int64_t now, std::chrono::seconds leeway) {
    if (now <= 0 || now >= kMaxTime) return "now is not a Unix time in seconds (not set?)";
    if (leeway.count() < 0 || leeway.count() > kMaxSpan) return "leeway is negative or too large";
    return {};
}

Failure unusable_check(std::string_view what, const std::string& why) {
    return Failure{.kind = ErrorKind::internal, .detail = "Internal Server Error", .log = std::string(what) + " check: " + why};
}

// True when `typ` is the media type `name` (RFC 7515 section 4.1.9: any case, "application/" optional).
bool typ_is(std::string_view typ, std::string_view name) {
    constexpr std::string_view kApplication = "application/";
    if (typ.size() > kApplication.size() && ascii_iequals(typ.substr(0, kApplication.size()), kApplication))
        typ.remove_prefix(kApplication.size());
    return ascii_iequals(typ, name);
}

// What a verified JWS says: its header's alg and typ, and its payload as a JSON object.
struct Signed {
    std::string alg;
    std::optional<std::string> typ;
    json claims;
};

// `token` verified with `keys` under `algorithms`, its payload one strict JSON object. Throws InvalidToken.
Signed verified(std::string_view token, const KeySet& keys, const std::vector<std::string>& algorithms) {
    if (token.size() > kMaxTokenBytes) throw InvalidToken("token too large");
    auto jws = verify_jws(token, keys, algorithms);
    Signed out;
    out.alg = jws.key.algorithm();
    if (const auto typ = jws.header.find("typ"); typ != jws.header.end()) {
        if (!typ->is_string()) throw InvalidToken("typ is not a string");
        out.typ = typ->get<std::string>();
    }
    // The core's reader validates every byte (RFC 8259, UTF-8) and refuses a member written
    // twice, which nlohmann would take the last of; nlohmann then builds what the caller reads.
    detail::JsonObjectReader reader(jws.payload, "payload");
    for (detail::JsonMember member; reader.next(member);) {}
    out.claims = json::parse(jws.payload, nullptr, false);
    if (!out.claims.is_object()) throw InvalidToken("payload is not a JSON object fauth can read");
    return out;
}

const json* find(const json& claims, const char* name) {
    const auto found = claims.find(name);
    return found == claims.end() ? nullptr : &*found;
}

// The string claim `name`, required. Throws InvalidToken.
std::string required_string(const json& claims, const char* name) {
    const auto* value = find(claims, name);
    if (value == nullptr) throw InvalidToken(std::string(name) + " is missing");
    if (!value->is_string()) throw InvalidToken(std::string(name) + " is not a string");
    return value->get<std::string>();
}

// The string claim `name` when present. Throws InvalidToken when it is something else.
std::optional<std::string> optional_string(const json& claims, const char* name) {
    const auto* value = find(claims, name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) throw InvalidToken(std::string(name) + " is not a string");
    return value->get<std::string>();
}

// The NumericDate claim `name` (RFC 7519 section 2: seconds, possibly with a fraction, dropped
// here) when present; from 0 to 2^53. Throws InvalidToken when it is something else.
std::optional<std::int64_t> numeric_date(const json& claims, const char* name) {
    const auto* value = find(claims, name);
    if (value == nullptr) return std::nullopt;
    const auto refuse = [&]() -> std::int64_t { throw InvalidToken(std::string(name) + " is not a NumericDate"); };
    if (value->is_number_unsigned()) {
        const auto n = value->get<std::uint64_t>();
        return n <= static_cast<std::uint64_t>(kMaxTime) ? static_cast<std::int64_t>(n) : refuse();
    }
    if (value->is_number_integer()) {
        const auto n = value->get<std::int64_t>();
        return n >= 0 && n <= kMaxTime ? n : refuse();
    }
    if (value->is_number_float()) {
        const auto n = std::floor(value->get<double>());
        return std::isfinite(n) && n >= 0 && n <= static_cast<double>(kMaxTime) ? static_cast<std::int64_t>(n) : refuse();
    }
    return refuse();
}

// The NumericDate claim `name`, required. Throws InvalidToken.
std::int64_t required_date(const json& claims, const char* name) {
    const auto date = numeric_date(claims, name);
    if (!date) throw InvalidToken(std::string(name) + " is missing");
    return *date;
}

// `iss`, which must be `issuer` exactly. Throws InvalidToken.
std::string checked_issuer(const json& claims, const std::string& issuer) {
    auto iss = required_string(claims, "iss");
    if (iss != issuer) throw InvalidToken("iss is another issuer");
    return iss;
}

// `aud` as a list, which must name `client_id`. Throws InvalidToken.
std::vector<std::string> checked_audiences(const json& claims, const std::string& client_id) {
    const auto* aud = find(claims, "aud");
    if (aud == nullptr) throw InvalidToken("aud is missing");
    std::vector<std::string> out;
    if (aud->is_string()) {
        out.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
        for (const auto& item : *aud) {
            if (!item.is_string()) throw InvalidToken("aud is not a string or an array of strings");
            out.push_back(item.get<std::string>());
        }
    } else {
        throw InvalidToken("aud is not a string or an array of strings");
    }
    if (std::find(out.begin(), out.end(), client_id) == out.end()) throw InvalidToken("aud does not name this client");
    return out;
}

// `exp` (when `required`, or present) not passed and `nbf` (when present) reached, at `now` with
// `leeway`. The `exp` read, if any. Throws InvalidToken.
std::optional<std::int64_t> checked_validity(const json& claims, bool required, std::int64_t now, std::int64_t leeway) {
    const auto exp = required ? std::optional(required_date(claims, "exp")) : numeric_date(claims, "exp");
    if (exp && now >= *exp + leeway) throw InvalidToken("expired");
    if (const auto nbf = numeric_date(claims, "nbf"); nbf && now + leeway < *nbf) throw InvalidToken("not valid yet (nbf)");
    return exp;
}

// The left half of the hash of `text` that JWS algorithm `alg` names (OpenID Connect Core 1.0
// section 3.1.3.8: SHA-256 for *256, SHA-384 for *384, SHA-512 for *512 and for EdDSA, whose
// Ed25519 hashes with SHA-512), base64url: an at_hash or c_hash.
std::string half_hash(std::string_view alg, std::string_view text) {
    const EVP_MD* md = nullptr;
    if (alg == "EdDSA" || alg == "Ed25519" || alg.ends_with("512"))
        md = EVP_sha512();
    else if (alg.ends_with("384"))
        md = EVP_sha384();
    else if (alg.ends_with("256"))
        md = EVP_sha256();
    else
        throw InvalidToken("no at_hash is defined for alg " + std::string(alg));
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &size, md, nullptr) != 1)
        throw std::runtime_error("OpenSSL: the at_hash digest failed");
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), size / 2));
}

IdToken read_id_token(std::string_view token, const KeySet& keys, const IdTokenCheck& check) {
    auto jws = verified(token, keys, check.algorithms);
    // A logout token (logout+jwt) or an access token (at+jwt) from the same keys is no ID token.
    if (jws.typ && !typ_is(*jws.typ, "JWT")) throw InvalidToken("typ is not JWT");
    const json& claims = jws.claims;
    const auto leeway = check.leeway.count();
    IdToken out;
    out.issuer = checked_issuer(claims, check.issuer);
    out.audiences = checked_audiences(claims, check.client_id);
    const auto azp = optional_string(claims, "azp");
    if (out.audiences.size() > 1 && !azp) throw InvalidToken("aud has several values and there is no azp");
    if (azp && *azp != check.client_id) throw InvalidToken("azp is another client");
    out.expires_at = *checked_validity(claims, true, check.now, leeway);
    out.issued_at = required_date(claims, "iat");
    if (out.issued_at > check.now + leeway) throw InvalidToken("iat is in the future");
    out.subject = required_string(claims, "sub");
    if (out.subject.empty() || out.subject.size() > 255) throw InvalidToken("sub is empty or longer than 255 bytes");
    const auto nonce = required_string(claims, "nonce");
    if (!equal_in_constant_time(nonce, check.nonce)) throw InvalidToken("nonce does not match");
    if (const auto at_hash = optional_string(claims, "at_hash"); at_hash && !check.access_token.empty()) {
        if (!equal_in_constant_time(*at_hash, half_hash(jws.alg, check.access_token)))
            throw InvalidToken("at_hash does not match the access token");
    }
    out.auth_time = numeric_date(claims, "auth_time");
    if (check.max_age) {
        if (!out.auth_time) throw InvalidToken("max_age was requested and auth_time is missing");
        if (check.now - *out.auth_time > check.max_age->count() + leeway) throw InvalidToken("auth_time is older than max_age");
    }
    out.sid = optional_string(claims, "sid");
    out.acr = optional_string(claims, "acr").value_or("");
    if (const auto* amr = find(claims, "amr"); amr != nullptr) {
        if (!amr->is_array()) throw InvalidToken("amr is not an array of strings");
        for (const auto& item : *amr) {
            if (!item.is_string()) throw InvalidToken("amr is not an array of strings");
            out.amr.push_back(item.get<std::string>());
        }
    }
    out.claims = std::move(jws.claims);
    return out;
}

LogoutToken read_logout_token(std::string_view token, const KeySet& keys, const LogoutTokenCheck& check) {
    auto jws = verified(token, keys, check.algorithms);
    if (jws.typ && !typ_is(*jws.typ, "logout+jwt") && !typ_is(*jws.typ, "JWT"))
        throw InvalidToken("typ is neither logout+jwt nor JWT");
    const json& claims = jws.claims;
    // Section 2.4: a logout token never has a nonce, so that an ID token cannot pass for one.
    if (find(claims, "nonce") != nullptr) throw InvalidToken("a nonce is present (an ID token?)");
    const auto leeway = check.leeway.count();
    const auto max_age = check.max_age.count();
    LogoutToken out;
    out.issuer = checked_issuer(claims, check.issuer);
    checked_audiences(claims, check.client_id);
    out.issued_at = required_date(claims, "iat");
    if (out.issued_at > check.now + leeway) throw InvalidToken("iat is in the future");
    if (out.issued_at < check.now - max_age - leeway) throw InvalidToken("iat is older than max_age");
    const auto exp = checked_validity(claims, false, check.now, leeway);
    out.expires_at = std::min(exp.value_or(out.issued_at + max_age), out.issued_at + max_age) + leeway;
    out.jti = required_string(claims, "jti");
    if (out.jti.empty() || out.jti.size() > 256) throw InvalidToken("jti is empty or longer than 256 bytes");
    const auto* events = find(claims, "events");
    if (events == nullptr) throw InvalidToken("events is missing");
    if (!events->is_object()) throw InvalidToken("events is not an object");
    const auto event = events->find(kBackChannelLogout);
    if (event == events->end()) throw InvalidToken("events has no back-channel logout event");
    if (!event->is_object()) throw InvalidToken("the back-channel logout event is not an object");
    out.subject = optional_string(claims, "sub");
    out.sid = optional_string(claims, "sid");
    if (out.subject && out.subject->empty()) throw InvalidToken("sub is empty");
    if (out.sid && out.sid->empty()) throw InvalidToken("sid is empty");
    if (!out.subject && !out.sid) throw InvalidToken("neither sub nor sid");
    return out;
}

}  // namespace
}  // namespace id_token_checks

Result<IdToken> verify_id_token(std::string_view token, const KeySet& keys, const IdTokenCheck& check) {
    using namespace id_token_checks;
    if (auto why = unsafe_algorithms(check.algorithms); !why.empty()) return unusable_check("ID token", why);
    if (auto why = unsafe_times(check.now, check.leeway); !why.empty()) return unusable_check("ID token", why);
    if (check.issuer.empty() || check.client_id.empty()) return unusable_check("ID token", "no issuer or no client id");
    if (check.nonce.empty()) return unusable_check("ID token", "no nonce (every sign-in sends one)");
    if (check.max_age && (check.max_age->count() < 0 || check.max_age->count() > kMaxSpan))
        return unusable_check("ID token", "max_age is negative or too large");
    try {
        return read_id_token(token, keys, check);
    } catch (const InvalidToken& e) {
        return Failure{.kind = ErrorKind::invalid_token, .detail = "Invalid ID token", .log = "ID token: " + e.reason()};
    } catch (...) {
        return failure_of(std::current_exception(), "verify_id_token");
    }
}

Result<LogoutToken> verify_logout_token(std::string_view token, const KeySet& keys, const LogoutTokenCheck& check) {
    using namespace id_token_checks;
    if (auto why = unsafe_algorithms(check.algorithms); !why.empty()) return unusable_check("logout token", why);
    if (auto why = unsafe_times(check.now, check.leeway); !why.empty()) return unusable_check("logout token", why);
    if (check.issuer.empty() || check.client_id.empty()) return unusable_check("logout token", "no issuer or no client id");
    if (check.max_age.count() < 0 || check.max_age.count() > kMaxSpan)
        return unusable_check("logout token", "max_age is negative or too large");
    try {
        return read_logout_token(token, keys, check);
    } catch (const InvalidToken& e) {
        return Failure{.kind = ErrorKind::invalid_token, .detail = "Invalid logout token", .log = "logout token: " + e.reason()};
    } catch (...) {
        return failure_of(std::current_exception(), "verify_logout_token");
    }
}

}  // namespace fauth::oidc
