#include "fauth/core/dpop.hpp"

#include <algorithm>
#include <array>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "fauth/core/keys.hpp"
#include "json_object_reader.hpp"
#include "jws.hpp"

namespace fauth {

namespace {

// The members of a JSON object, validated strictly (grammar, UTF-8, no key twice), as a DOM.
nlohmann::json strict_object(std::string_view base64, const char* what) {
    std::string text;
    if (!base64url_decode(base64, text)) throw InvalidDpopProof(std::string(what) + " is not canonical base64url");
    try {
        detail::JsonObjectReader reader(text, what);
        detail::JsonMember member;
        while (reader.next(member)) {}
    } catch (const InvalidToken& e) {
        throw InvalidDpopProof(e.reason());
    }
    return nlohmann::json::parse(text);
}

const std::string& string_member(const nlohmann::json& object, const char* name, const char* missing) {
    const auto it = object.find(name);
    if (it == object.end() || !it->is_string()) throw InvalidDpopProof(missing);
    return it->get_ref<const std::string&>();
}

constexpr bool is_unreserved(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Appends `part` with its percent-encodings normalized (RFC 3986 6.2.2.1-2); false for a bad one.
bool append_normalized(std::string_view part, std::string& out) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (std::size_t i = 0; i < part.size(); ++i) {
        if (part[i] != '%') {
            out += part[i];
            continue;
        }
        if (i + 2 >= part.size()) return false;
        const int high = hex_value(part[i + 1]), low = hex_value(part[i + 2]);
        if (high < 0 || low < 0) return false;
        const char c = static_cast<char>(high * 16 + low);
        if (is_unreserved(c)) {
            out += c;
        } else {
            out += '%';
            out += kHex[high];
            out += kHex[low];
        }
        i += 2;
    }
    return true;
}

}  // namespace

DpopNonces::DpopNonces(std::string_view secret, std::chrono::seconds lifetime) : lifetime_(lifetime) {
    if (secret.size() < 16) throw ConfigError("DPoP nonces need a secret of at least 16 bytes");
    if (lifetime <= std::chrono::seconds(0)) throw ConfigError("DPoP nonces need a positive lifetime");
    key_ = std::make_shared<const detail::HmacKey>("SHA256", secret);
}

std::int64_t DpopNonces::window_at(std::chrono::system_clock::time_point now) const {
    return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() / lifetime_.count();
}

std::string DpopNonces::of_window(std::int64_t window) const {
    const std::string text = std::to_string(window);
    std::array<unsigned char, detail::kMaxMacSize> mac{};
    key_->compute("fauth-dpop-nonce:" + text, mac.data());
    return text + '.' + base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), 16));
}

std::string DpopNonces::current(std::chrono::system_clock::time_point now) const { return of_window(window_at(now)); }

bool DpopNonces::valid(std::string_view nonce, std::chrono::system_clock::time_point now) const {
    const auto window = window_at(now);
    for (const auto w : {window, window - 1})
        if (equal_in_constant_time(nonce, of_window(w))) return true;
    return false;
}

DpopKeyCache::DpopKeyCache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::optional<Key> DpopKeyCache::find(std::string_view id) const {
    std::lock_guard lock(mutex_);
    const auto it = keys_.find(std::string(id));
    if (it == keys_.end()) return std::nullopt;
    return it->second;
}

void DpopKeyCache::add(std::string id, Key key) {
    std::lock_guard lock(mutex_);
    if (keys_.contains(id)) return;
    while (keys_.size() >= capacity_) {
        keys_.erase(order_.front());
        order_.pop_front();
    }
    order_.push_back(id);
    keys_.emplace(std::move(id), std::move(key));
}

const std::string* dpop_jkt(const TokenPayload& token) noexcept {
    const auto cnf = token.extra.find("cnf");
    if (cnf == token.extra.end() || !cnf->is_object()) return nullptr;
    const auto jkt = cnf->find("jkt");
    if (jkt == cnf->end() || !jkt->is_string()) return nullptr;
    return &jkt->get_ref<const std::string&>();
}

bool holder_bound(const TokenPayload& token) noexcept {
    const auto cnf = token.extra.find("cnf");
    return cnf != token.extra.end() && cnf->is_object() && (cnf->contains("jkt") || cnf->contains("x5t#S256"));
}

std::string sha256_base64url(std::string_view data) {
    const auto digest = sha256(data);
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string jwk_thumbprint(const nlohmann::json& jwk) {
    if (!jwk.is_object()) throw InvalidDpopProof("jwk is not an object");
    if (jwk.contains("d") || jwk.contains("p") || jwk.contains("k")) throw InvalidDpopProof("jwk holds a private key");
    const auto& kty = string_member(jwk, "kty", "jwk has no kty");
    // RFC 7638 section 3.2: the required members only, in lexicographic order, no whitespace.
    nlohmann::json required;
    if (kty == "RSA") {
        required = {{"e", string_member(jwk, "e", "RSA jwk lacks e")},
                    {"kty", kty},
                    {"n", string_member(jwk, "n", "RSA jwk lacks n")}};
    } else if (kty == "EC") {
        required = {{"crv", string_member(jwk, "crv", "EC jwk lacks crv")},
                    {"kty", kty},
                    {"x", string_member(jwk, "x", "EC jwk lacks x")},
                    {"y", string_member(jwk, "y", "EC jwk lacks y")}};
    } else if (kty == "OKP") {
        required = {{"crv", string_member(jwk, "crv", "OKP jwk lacks crv")},
                    {"kty", kty},
                    {"x", string_member(jwk, "x", "OKP jwk lacks x")}};
    } else {
        throw InvalidDpopProof("jwk kty is not RSA, EC or OKP");
    }
    return sha256_base64url(required.dump());  // nlohmann's object keys are sorted
}

std::optional<std::string> normalized_htu(std::string_view url) {
    const auto colon = url.find("://");
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string scheme = ascii_lower(url.substr(0, colon));
    if (scheme != "https" && scheme != "http") return std::nullopt;
    std::string_view rest = url.substr(colon + 3);
    rest = rest.substr(0, std::min(rest.find('?'), rest.find('#')));
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    std::string_view host = authority, port;
    const auto port_colon = authority.rfind(':');
    if (port_colon != std::string_view::npos && authority.find(']', port_colon) == std::string_view::npos) {
        host = authority.substr(0, port_colon);
        port = authority.substr(port_colon + 1);
        if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
        while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    }
    if (host.empty()) return std::nullopt;
    std::string out = scheme + "://";
    if (!append_normalized(ascii_lower(host), out)) return std::nullopt;
    if (!port.empty() && !(scheme == "https" && port == "443") && !(scheme == "http" && port == "80")) {
        out += ':';
        out += port;
    }
    if (!append_normalized(path, out)) return std::nullopt;
    return out;
}

Result<DpopProof> verify_dpop_proof(std::string_view proof, const DpopRequest& request, const DpopPolicy& policy,
                                    std::chrono::system_clock::time_point now) {
    try {
        if (proof.empty()) throw InvalidDpopProof("no DPoP proof");
        if (proof.size() > policy.max_proof_bytes) throw InvalidDpopProof("proof too large");
        detail::CompactJws jws;
        try {
            jws = detail::split_compact(proof);
        } catch (const InvalidToken& e) {
            throw InvalidDpopProof(e.reason());
        }
        const auto header = strict_object(jws.header_b64, "header");
        if (!header.is_object()) throw InvalidDpopProof("header is not an object");
        if (header.contains("crit")) throw InvalidDpopProof("crit header parameters are not supported");
        if (string_member(header, "typ", "typ is not dpop+jwt") != "dpop+jwt") throw InvalidDpopProof("typ is not dpop+jwt");
        const auto& alg = string_member(header, "alg", "header has no alg");
        if (is_hmac_algorithm(alg) || ascii_iequals(alg, "none") ||
            std::find(policy.algorithms.begin(), policy.algorithms.end(), alg) == policy.algorithms.end())
            throw InvalidDpopProof("algorithm not allowed");
        const auto jwk_it = header.find("jwk");
        if (jwk_it == header.end() || !jwk_it->is_object()) throw InvalidDpopProof("header has no jwk");
        if (jwk_it->contains("alg") && (*jwk_it)["alg"] != alg) throw InvalidDpopProof("jwk alg is not the header's");
        DpopProof verified;
        verified.jkt = jwk_thumbprint(*jwk_it);
        // A key seen before (same algorithm and thumbprint: the same public key) is not parsed
        // again; a JWK with `use` or `key_ops` always is, so that those are judged every time.
        std::optional<Key> key;
        std::string cache_id;
        if (request.keys != nullptr && !jwk_it->contains("use") && !jwk_it->contains("key_ops")) {
            cache_id = alg + ' ' + verified.jkt;
            key = request.keys->find(cache_id);
        }
        if (!key) {
            try {
                key = Key::from_jwk(*jwk_it, alg);
            } catch (const ConfigError& e) {
                throw InvalidDpopProof(std::string("unusable jwk: ") + e.what());
            }
            if (!cache_id.empty()) request.keys->add(std::move(cache_id), *key);
        }
        try {
            detail::verify_signature(*key, jws);
        } catch (const InvalidToken& e) {
            throw InvalidDpopProof(e.reason());
        }

        const auto claims = strict_object(jws.payload_b64, "payload");
        if (!claims.is_object()) throw InvalidDpopProof("payload is not an object");
        verified.jti = string_member(claims, "jti", "no jti");
        if (verified.jti.empty() || verified.jti.size() > 256) throw InvalidDpopProof("jti is empty or too long");
        if (string_member(claims, "htm", "no htm") != request.method) throw InvalidDpopProof("htm mismatch");
        const auto htu = normalized_htu(string_member(claims, "htu", "no htu"));
        const auto expected = normalized_htu(request.url);
        if (!htu || !expected || *htu != *expected) throw InvalidDpopProof("htu mismatch");
        const auto iat = claims.find("iat");
        if (iat == claims.end() || !iat->is_number()) throw InvalidDpopProof("no iat");
        const double issued = iat->get<double>();
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
        if (issued > static_cast<double>(seconds + policy.leeway.count())) throw InvalidDpopProof("iat in the future");
        if (issued < static_cast<double>(seconds - policy.max_age.count())) throw InvalidDpopProof("proof too old");
        verified.iat = static_cast<std::int64_t>(issued);
        if (!request.access_token.empty()) {
            if (string_member(claims, "ath", "no ath") != sha256_base64url(request.access_token))
                throw InvalidDpopProof("ath mismatch");
        }
        if (request.nonces != nullptr) {
            const auto nonce = claims.find("nonce");
            if (nonce == claims.end() || !nonce->is_string() || !request.nonces->valid(nonce->get_ref<const std::string&>(), now))
                throw DpopNonceRequired(nonce == claims.end() ? "no nonce" : "stale or unknown nonce");
        }
        if (!request.nonce.empty()) {
            const auto nonce = claims.find("nonce");
            if (nonce == claims.end() || !nonce->is_string() || nonce->get_ref<const std::string&>() != request.nonce)
                throw InvalidDpopProof("nonce mismatch");
        }
        return verified;
    } catch (const Error& e) {
        return e.failure();
    } catch (const nlohmann::json::exception& e) {
        return InvalidDpopProof(std::string("unreadable: ") + e.what()).failure();
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        return InvalidDpopProof(e.what()).failure();
    }
}

}  // namespace fauth
