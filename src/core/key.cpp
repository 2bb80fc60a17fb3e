// Key: the handle and the HMAC key type (OpenSSL key types are in pkey.cpp, JWKs in jwk.cpp).
#include "fauth/core/keys.hpp"

#include <stdexcept>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "json_writer.hpp"
#include "key_impl.hpp"

namespace fauth {
namespace detail {
namespace {

std::string encoded_header(std::string_view alg, const std::string& kid) {
    std::string header = "{\"alg\":";
    append_json_string(header, alg);
    header += ",\"typ\":\"JWT\"";
    if (!kid.empty()) {
        header += ",\"kid\":";
        append_json_string(header, kid);
    }
    header += '}';
    return base64url_encode(header);
}

// An HMAC key: its inner and outer hash states are computed once and copied per MAC, so that
// signing and verifying allocate nothing.
class HmacKeyImpl final : public KeyImpl {
public:
    HmacKeyImpl(const JwsAlgorithm& alg, std::string_view secret, std::string kid)
        : KeyImpl(alg, std::move(kid)), mac_(alg.digest, secret) {}
    bool can_sign() const noexcept override { return true; }
    nlohmann::json public_jwk() const override { throw std::logic_error("fauth: an HMAC key has no public part"); }
    std::string sign(std::string_view input) const override {
        unsigned char out[kMaxMacSize];
        mac_.compute(input, out);
        return std::string(reinterpret_cast<const char*>(out), mac_.size());
    }
    void append_signature(std::string& token) const override {
        unsigned char out[kMaxMacSize];
        mac_.compute(token, out);
        token += '.';
        base64url_encode(std::string_view(reinterpret_cast<const char*>(out), mac_.size()), token);
    }
    bool verify(std::string_view input, std::string_view signature) const override { return mac_.verify(input, signature); }
    std::size_t mac(std::string_view input, unsigned char* out) const {
        mac_.compute(input, out);
        return mac_.size();
    }

private:
    HmacKey mac_;
};

}  // namespace

KeyImpl::KeyImpl(const JwsAlgorithm& alg, std::string kid, bool declared)
    : alg_(alg), name_(alg.name), kid_(std::move(kid)), header_segment_(encoded_header(alg.name, kid_)), declared_(declared) {}

std::size_t hmac_of(const Key& key, std::string_view input, unsigned char* out) {
    const auto* hmac = dynamic_cast<const HmacKeyImpl*>(&KeyAccess::impl(key));
    if (hmac == nullptr) throw std::logic_error("fauth: " + key.algorithm() + " is not an HMAC key");
    return hmac->mac(input, out);
}

void KeyImpl::append_signature(std::string& token) const {
    const auto signature = sign(token);
    token += '.';
    base64url_encode(signature, token);
}

}  // namespace detail

bool is_supported_algorithm(std::string_view name) noexcept { return detail::find_algorithm(name) != nullptr; }
bool is_hmac_algorithm(std::string_view name) noexcept { return detail::find_hmac_algorithm(name) != nullptr; }

Key Key::hmac(std::string_view algorithm, std::string_view secret, std::string kid) {
    const auto& alg = detail::algorithm_named(algorithm);
    if (alg.family != detail::KeyFamily::hmac)
        throw ConfigError(std::string(alg.name) + " is not an HMAC algorithm: an HMAC secret cannot be used with it");
    if (secret.size() < alg.min_key_bytes)
        throw ConfigError(std::string(alg.name) + " needs a secret of at least " + std::to_string(alg.min_key_bytes) + " bytes");
    return Key(std::make_shared<const detail::HmacKeyImpl>(alg, secret, std::move(kid)));
}

const std::string& Key::algorithm() const noexcept { return impl_->name(); }
const std::string& Key::kid() const noexcept { return impl_->kid(); }
bool Key::can_sign() const noexcept { return impl_->can_sign(); }
bool Key::declares_algorithm() const noexcept { return impl_->declared(); }
bool Key::is_symmetric() const noexcept { return impl_->alg().family == detail::KeyFamily::hmac; }
nlohmann::json Key::public_jwk() const { return impl_->public_jwk(); }
std::string Key::sign(std::string_view input) const { return impl_->sign(input); }
bool Key::verify(std::string_view input, std::string_view signature) const noexcept {
    try {
        return impl_->verify(input, signature);
    } catch (...) {
        return false;
    }
}

}  // namespace fauth
