// KeySet (keys chosen by kid, one of them signing) and KeyRing (a key set replaced while serving).
#include "fauth/core/keys.hpp"

#include "fauth/core/errors.hpp"

namespace fauth {

KeySet& KeySet::add(Key key) {
    if (key.kid().empty()) {
        // A public key without a kid (a provider's JWKS may publish one so) verifies only tokens
        // without a kid, and only while it is the one key for their algorithm (select_key).
        if (key.can_sign()) throw ConfigError("a key that signs (or an HMAC key) needs a kid in a KeySet");
        keys_.push_back(std::move(key));
        return *this;
    }
    if (const Key* same = find(key.kid())) {
        // One kid may name one public key for several algorithms (an RSA key published without
        // alg); anything else sharing a kid would make signing and removal ambiguous.
        auto material = [](const Key& k) {
            auto jwk = k.public_jwk();
            jwk.erase("alg");
            return jwk;
        };
        const bool same_public_key = !same->can_sign() && !key.can_sign() && !same->is_symmetric() && !key.is_symmetric() &&
                                     material(*same) == material(key);
        if (!same_public_key || find(key.kid(), key.algorithm()) != nullptr)
            throw ConfigError("KeySet already has a key with kid " + nlohmann::json(key.kid()).dump());
    }
    keys_.push_back(std::move(key));
    return *this;
}

KeySet& KeySet::remove(std::string_view kid) {
    if (kid.empty()) return *this;  // kid-less keys are not named, so never removed by name
    if (kid == signing_kid_) throw ConfigError("key '" + std::string(kid) + "' signs: choose another signing key first");
    std::erase_if(keys_, [&](const Key& k) { return k.kid() == kid; });
    return *this;
}

KeySet& KeySet::sign_with(std::string_view kid) {
    const auto* key = find(kid);
    if (key == nullptr) throw ConfigError("KeySet has no key with kid '" + std::string(kid) + "'");
    if (!key->can_sign()) throw ConfigError("key '" + std::string(kid) + "' is public and cannot sign");
    signing_kid_ = kid;
    return *this;
}

const Key* KeySet::find(std::string_view kid) const noexcept {
    if (kid.empty()) return nullptr;  // an empty kid names no key (kid-less keys are found by algorithm)
    for (const auto& k : keys_)
        if (k.kid() == kid) return &k;
    return nullptr;
}

const Key* KeySet::find(std::string_view kid, std::string_view algorithm) const noexcept {
    if (kid.empty()) return nullptr;
    for (const auto& k : keys_)
        if (k.kid() == kid && k.algorithm() == algorithm) return &k;
    return nullptr;
}

const Key* KeySet::signing_key() const noexcept { return signing_kid_.empty() ? nullptr : find(signing_kid_); }

KeyRing::KeyRing(KeySet keys) : keys_(std::make_shared<const KeySet>(std::move(keys))) {}

std::shared_ptr<const KeySet> KeyRing::current() const {
    std::lock_guard lock(mutex_);
    return keys_;
}

void KeyRing::replace(KeySet keys) {
    auto next = std::make_shared<const KeySet>(std::move(keys));
    std::lock_guard lock(mutex_);
    keys_ = std::move(next);
}

void KeyRing::refresh_for(std::string, std::function<void(bool)> done) { done(false); }

}  // namespace fauth
