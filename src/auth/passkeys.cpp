#include "fauth/auth/passkeys.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "fauth/auth/engine.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/aead.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "fauth/core/internal/random.hpp"

namespace fauth {
namespace {

// A challenge: purpose (1 byte), expiry (8, big-endian Unix seconds), nonce (16), MAC (16) over
// the rest and the user's id (empty for a sign-in).
constexpr std::size_t kNonceBytes = 16;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kSignedBytes = 1 + 8 + kNonceBytes;
constexpr std::size_t kChallengeBytes = kSignedBytes + kMacBytes;
constexpr std::size_t kMaxName = 64;

Failure passkey_refused(std::string why) {
    return Failure{ErrorKind::invalid_credentials, "Invalid passkey", std::string("passkey: ").append(why), {}};
}

Failure passkey_bad_request(const char* detail) {
    return Failure{ErrorKind::bad_request, detail, std::string("passkey: ").append(detail), {}};
}

bool valid_name(std::string_view name) {
    return name.size() <= kMaxName &&
           std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

Outcome<bool> MemoryPasskeyStore::add(Passkey passkey) const {
    const std::lock_guard lock(mutex_);
    auto id = passkey.credential.id;
    return keys_.emplace(std::move(id), std::move(passkey)).second;
}

Outcome<std::optional<Passkey>> MemoryPasskeyStore::find(std::string id) const {
    const std::lock_guard lock(mutex_);
    const auto it = keys_.find(id);
    if (it == keys_.end()) return std::optional<Passkey>();
    return std::optional<Passkey>(it->second);
}

Outcome<std::vector<Passkey>> MemoryPasskeyStore::of(std::string sub) const {
    const std::lock_guard lock(mutex_);
    std::vector<Passkey> out;
    for (const auto& [id, key] : keys_)
        if (key.sub == sub) out.push_back(key);
    std::stable_sort(out.begin(), out.end(), [](const Passkey& a, const Passkey& b) { return a.created_at < b.created_at; });
    return out;
}

Outcome<bool> MemoryPasskeyStore::record_use(std::string id, std::uint32_t sign_count, std::int64_t at) const {
    const std::lock_guard lock(mutex_);
    const auto it = keys_.find(id);
    if (it == keys_.end()) return false;
    auto& stored = it->second.credential.sign_count;
    if (!(sign_count > stored || (sign_count == 0 && stored == 0))) return false;
    stored = sign_count;
    it->second.last_used_at = at;
    return true;
}

Outcome<bool> MemoryPasskeyStore::rename(std::string sub, std::string id, std::string name) const {
    const std::lock_guard lock(mutex_);
    const auto it = keys_.find(id);
    if (it == keys_.end() || it->second.sub != sub) return false;
    it->second.name = std::move(name);
    return true;
}

Outcome<bool> MemoryPasskeyStore::remove(std::string sub, std::string id) const {
    const std::lock_guard lock(mutex_);
    const auto it = keys_.find(id);
    if (it == keys_.end() || it->second.sub != sub) return false;
    keys_.erase(it);
    return true;
}

Passkeys::Passkeys(const Engine& engine, std::string_view secret)
    : engine_(&engine), settings_(&engine.config().passkeys), used_(settings_->used_challenges), key_{} {
    const auto& s = *settings_;
    if (secret.size() < 32)
        throw ConfigError("passkeys: challenges need tokens.secret_key (or passkeys.secret), at least 32 bytes");
    if (s.relying_party.id.empty()) throw ConfigError("passkeys.relying_party.id: the site's domain is required");
    if (s.relying_party.origins.empty()) throw ConfigError("passkeys.relying_party.origins: at least one origin is required");
    if (s.relying_party.algorithms.empty()) throw ConfigError("passkeys.relying_party.algorithms: at least one algorithm");
    if (s.name.empty()) throw ConfigError("passkeys.name: the name browsers show is required");
    if (s.challenge_lifetime < std::chrono::seconds(30) || s.challenge_lifetime > std::chrono::minutes(10))
        throw ConfigError("passkeys.challenge_lifetime: 30 s to 10 min");
    if (s.max_per_user < 1 || s.max_per_user > 100) throw ConfigError("passkeys.max_per_user: 1 to 100");
    if (!used_) used_ = std::make_shared<MemoryReplayCache>(MemoryReplayCache::Options{.clock = engine.config().tokens.clock});
    const auto key = aead_key(secret, "fauth passkeys v1");
    std::copy(key.begin(), key.end(), key_.begin());
}

Passkeys::~Passkeys() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string Passkeys::mac(std::string_view data) const {
    const detail::HmacKey hmac("SHA256", std::string_view(reinterpret_cast<const char*>(key_.data()), key_.size()));
    unsigned char out[32];
    hmac.compute(data, out);
    return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string Passkeys::challenge_mac(std::string_view signed_part, std::string_view sub) const {
    return mac(std::string(signed_part).append("|").append(sub)).substr(0, kMacBytes);
}

Outcome<void> Passkeys::use_challenge(std::string_view raw) const {
    auto used =
        used_->first_use(base64url_encode(raw.substr(9, kNonceBytes)), settings_->challenge_lifetime + std::chrono::seconds(1));
    return engine_->chain<void>(std::move(used), [](Result<void> first) -> Result<void> {
        if (first || first.failure().kind != ErrorKind::invalid_dpop_proof) return first;
        return passkey_refused("challenge already answered");  // the cache's replay refusal, in a passkey's words
    });
}

std::string Passkeys::user_handle(std::string_view sub) const { return mac(std::string("user handle|").append(sub)); }

std::string Passkeys::challenge(Purpose purpose, std::string_view sub) const {
    std::string bytes(kChallengeBytes, '\0');
    bytes[0] = static_cast<char>(purpose);
    auto expiry =
        static_cast<std::uint64_t>(unix_seconds(engine_->config().tokens.clock) + settings_->challenge_lifetime.count());
    for (int i = 8; i >= 1; --i, expiry >>= 8) bytes[static_cast<std::size_t>(i)] = static_cast<char>(expiry & 0xff);
    const auto nonce = random_bytes(kNonceBytes);
    std::copy(nonce.begin(), nonce.end(), bytes.begin() + 9);
    const auto tag = challenge_mac(std::string_view(bytes).substr(0, kSignedBytes), sub);
    std::copy(tag.begin(), tag.end(), bytes.begin() + kSignedBytes);
    return bytes;
}

Outcome<std::string> Passkeys::open_challenge(std::string_view client_data_json, Purpose purpose, std::string_view sub) const {
    if (client_data_json.size() > webauthn::kMaxClientDataJson) return passkey_refused("clientDataJSON too long");
    const auto data = nlohmann::json::parse(client_data_json.begin(), client_data_json.end(), nullptr, false);
    if (!data.is_object()) return passkey_refused("clientDataJSON is not a JSON object");
    const auto it = data.find("challenge");
    if (it == data.end() || !it->is_string()) return passkey_refused("clientDataJSON has no challenge");
    std::string bytes;
    if (!base64url_decode(it->get_ref<const std::string&>(), bytes) || bytes.size() != kChallengeBytes)
        return passkey_refused("not a challenge of this service");
    if (!equal_in_constant_time(challenge_mac(std::string_view(bytes).substr(0, kSignedBytes), sub),
                                std::string_view(bytes).substr(kSignedBytes)))
        return passkey_refused("challenge not made by this service for this user");
    if (bytes[0] != static_cast<char>(purpose)) return passkey_refused("challenge made for the other ceremony");
    std::uint64_t expiry = 0;
    for (std::size_t i = 1; i <= 8; ++i) expiry = (expiry << 8) | static_cast<unsigned char>(bytes[i]);
    if (static_cast<std::int64_t>(expiry) <= unix_seconds(engine_->config().tokens.clock))
        return passkey_refused("challenge expired");
    return bytes;
}

Outcome<PasskeyRegistrationStart> Passkeys::start_registration(std::string sub) const {
    PasskeyRegistrationStart start{base64url_encode(challenge(Purpose::registration, sub)),
                                   base64url_encode(user_handle(sub)),
                                   {}};
    return engine_->chain<PasskeyRegistrationStart>(settings_->store->of(std::move(sub)),
                                                    [start = std::move(start)](Result<std::vector<Passkey>> keys) mutable
                                                    -> Result<PasskeyRegistrationStart> {
                                                        if (!keys) return std::move(keys).failure();
                                                        for (const auto& k : *keys)
                                                            start.exclude.push_back(base64url_encode(k.credential.id));
                                                        return std::move(start);
                                                    });
}

// The challenge is used up once everything else passed (a refused answer leaves it to the page
// that asked), and before anything is stored: of two answers to one challenge, one is stored.
Outcome<Passkey> Passkeys::finish_registration(std::string sub, std::string client_data_json, std::string attestation_object,
                                               std::string name) const {
    if (!valid_name(name)) return passkey_bad_request("A passkey's name is at most 64 bytes, without control characters");
    auto opened = open_challenge(client_data_json, Purpose::registration, sub);
    if (!opened.result()) return std::move(opened.result()).failure();
    const auto raw = std::move(*opened.result());
    auto rp = settings_->relying_party;
    rp.require_user_verification = true;
    auto verified = webauthn::verify_registration(rp, raw, client_data_json, attestation_object);
    if (!verified) return std::move(verified).failure();
    Passkey passkey{std::move(*verified),
                    sub,
                    user_handle(sub),
                    std::move(name),
                    unix_seconds(engine_->config().tokens.clock),
                    0};
    auto counted = settings_->store->of(sub);
    return engine_->chain<Passkey>(
        std::move(counted),
        [this, raw, passkey = std::move(passkey)](Result<std::vector<Passkey>> keys) mutable -> Outcome<Passkey> {
            if (!keys) return std::move(keys).failure();
            if (keys->size() >= settings_->max_per_user) return passkey_bad_request("Too many passkeys");
            auto used = use_challenge(raw);
            return engine_->chain<Passkey>(std::move(used),
                                           [this, passkey = std::move(passkey)](Result<void> first) mutable -> Outcome<Passkey> {
                                               if (!first) return std::move(first).failure();
                                               return engine_->chain<Passkey>(settings_->store->add(passkey),
                                                                              [passkey](
                                                                                  Result<bool> added) mutable -> Result<Passkey> {
                                                                                  if (!added) return std::move(added).failure();
                                                                                  if (!*added)
                                                                                      return passkey_bad_request(
                                                                                          "Passkey already registered");
                                                                                  return std::move(passkey);
                                                                              });
                                           });
        });
}

std::string Passkeys::start_sign_in() const { return base64url_encode(challenge(Purpose::sign_in, {})); }

Outcome<Passkey> Passkeys::finish_sign_in(std::string credential_id, std::string client_data_json, std::string authenticator_data,
                                          std::string signature, std::string user_handle) const {
    if (credential_id.empty() || credential_id.size() > webauthn::kMaxCredentialId)
        return passkey_refused("credential id length");
    auto opened = open_challenge(client_data_json, Purpose::sign_in, {});
    if (!opened.result()) return std::move(opened.result()).failure();
    auto raw = std::move(*opened.result());
    return engine_->chain<Passkey>(
        settings_->store->find(credential_id),
        [this, raw = std::move(raw), client_data_json = std::move(client_data_json),
         authenticator_data = std::move(authenticator_data), signature = std::move(signature),
         user_handle = std::move(user_handle)](Result<std::optional<Passkey>> found) -> Outcome<Passkey> {
            if (!found) return std::move(found).failure();
            if (!*found) return passkey_refused("unknown credential");
            auto passkey = std::move(**found);
            // A discoverable credential names its user: it must be the passkey's owner's handle.
            if (!user_handle.empty() && !equal_in_constant_time(user_handle, passkey.user_handle))
                return passkey_refused("user handle is not the passkey owner's");
            auto rp = settings_->relying_party;
            rp.require_user_verification = true;
            auto asserted =
                webauthn::verify_assertion(rp, raw, passkey.credential, client_data_json, authenticator_data, signature);
            if (!asserted) return std::move(asserted).failure();
            const auto count = asserted->sign_count;
            passkey.credential.backed_up = asserted->backed_up;
            auto used = use_challenge(raw);
            return engine_->chain<Passkey>(
                std::move(used), [this, count, passkey = std::move(passkey)](Result<void> first) mutable -> Outcome<Passkey> {
                    if (!first) return std::move(first).failure();
                    const auto now = unix_seconds(engine_->config().tokens.clock);
                    auto recorded = settings_->store->record_use(passkey.credential.id, count, now);
                    return engine_->chain<Passkey>(std::move(recorded),
                                                   [count, now,
                                                    passkey = std::move(passkey)](Result<bool> ok) mutable -> Result<Passkey> {
                                                       if (!ok) return std::move(ok).failure();
                                                       if (!*ok)
                                                           return passkey_refused(
                                                               "signature counter did not increase: cloned authenticator?");
                                                       passkey.credential.sign_count = count;
                                                       passkey.last_used_at = now;
                                                       return std::move(passkey);
                                                   });
                });
        });
}

Outcome<std::vector<Passkey>> Passkeys::list(std::string sub) const {
    return engine_->tracked(settings_->store->of(std::move(sub)));
}

Outcome<bool> Passkeys::rename(std::string sub, std::string id, std::string name) const {
    if (!valid_name(name)) return passkey_bad_request("A passkey's name is at most 64 bytes, without control characters");
    return engine_->tracked(settings_->store->rename(std::move(sub), std::move(id), std::move(name)));
}

Outcome<bool> Passkeys::remove(std::string sub, std::string id) const {
    return engine_->tracked(settings_->store->remove(std::move(sub), std::move(id)));
}

}  // namespace fauth
