/// @file
/// fauth/auth/passkeys.hpp — passkeys (WebAuthn Level 2) as a way to sign in without a password:
/// the credentials a user registered, kept in a store of yours; challenges that are
/// self-authenticating, short-lived and used once; the registration and authentication ceremonies
/// over fauth/auth/webauthn.hpp.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/auth/replay_cache.hpp"
#include "fauth/auth/webauthn.hpp"
#include "fauth/core/outcome.hpp"

namespace fauth {

/// A registered passkey as a PasskeyStore keeps it.
struct Passkey {
    /// The verified credential: its id (raw bytes), COSE public key, algorithm, signature counter, flags.
    webauthn::Credential credential;
    /// The id of the user it signs in (`sub`).
    std::string sub;
    /// The user handle it was registered with (WebAuthn user.id, raw bytes): a sign-in that names
    /// a handle must name this one.
    std::string user_handle;
    /// The name its owner gave it ("laptop"), at most 64 bytes.
    std::string name;
    /// When it was registered, in Unix seconds.
    std::int64_t created_at = 0;
    /// When it last signed in, in Unix seconds, or 0.
    std::int64_t last_used_at = 0;
};

/// Where passkeys are kept: yours (the notes example keeps them in SQLite), or MemoryPasskeyStore.
/// Every operation answers an Outcome, ready or later. record_use must be atomic.
class PasskeyStore {
public:
    /// Destroys the store.
    virtual ~PasskeyStore() = default;
    /// Adds `passkey`: true; false when a passkey with its credential id exists (whoever's).
    virtual Outcome<bool> add(Passkey passkey) const = 0;
    /// The passkey whose credential id is `id` (raw bytes), or nothing.
    virtual Outcome<std::optional<Passkey>> find(std::string id) const = 0;
    /// The passkeys of user `sub`, oldest first.
    virtual Outcome<std::vector<Passkey>> of(std::string sub) const = 0;
    /// Records a sign-in with passkey `id` at `at` (Unix seconds) whose authenticator counted
    /// `sign_count`: true, when the stored counter is 0 and so is `sign_count` (an authenticator
    /// without a counter) or `sign_count` is greater than the stored counter, which becomes it;
    /// false otherwise (a cloned authenticator, or a race with another sign-in), changing nothing.
    virtual Outcome<bool> record_use(std::string id, std::uint32_t sign_count, std::int64_t at) const = 0;
    /// Renames passkey `id` of `sub`: false when `sub` has no such passkey.
    virtual Outcome<bool> rename(std::string sub, std::string id, std::string name) const = 0;
    /// Removes passkey `id` of `sub`: false when `sub` has no such passkey.
    virtual Outcome<bool> remove(std::string sub, std::string id) const = 0;
};

/// A PasskeyStore in this process's memory (tests, a single process): lost on restart.
class MemoryPasskeyStore final : public PasskeyStore {
public:
    /// Adds it unless its id is taken.
    Outcome<bool> add(Passkey passkey) const override;
    /// Finds it.
    Outcome<std::optional<Passkey>> find(std::string id) const override;
    /// The user's, oldest first.
    Outcome<std::vector<Passkey>> of(std::string sub) const override;
    /// Compare-and-set under the store's lock.
    Outcome<bool> record_use(std::string id, std::uint32_t sign_count, std::int64_t at) const override;
    /// Renames it.
    Outcome<bool> rename(std::string sub, std::string id, std::string name) const override;
    /// Removes it.
    Outcome<bool> remove(std::string sub, std::string id) const override;

private:
    mutable std::mutex mutex_;
    mutable std::map<std::string, Passkey, std::less<>> keys_;  // by credential id
};

/// AuthConfig::passkeys: the relying party, where passkeys are kept, how challenges are remembered.
struct PasskeySettings {
    /// Where passkeys are kept; passkeys are off while it is empty.
    std::shared_ptr<PasskeyStore> store;
    /// The relying party: `id` (the site's registrable domain, "example.com", or "localhost"),
    /// the exact origins pages call from ("https://example.com"), the algorithms accepted. User
    /// verification is always required: a passkey sign-in counts as two factors.
    webauthn::RelyingParty relying_party;
    /// The name browsers show for the site ("Notes").
    std::string name;
    /// How long a challenge may be answered: 30 s to 10 min.
    std::chrono::seconds challenge_lifetime = std::chrono::minutes(5);
    /// Where answered challenges are remembered until they expire (each is used once); a
    /// MemoryReplayCache when empty. Share a Redis one between processes behind one site.
    std::shared_ptr<ReplayCache> used_challenges;
    /// The most passkeys one user may register: 1 to 100.
    std::size_t max_per_user = 20;
    /// What challenges are signed with (at least 32 bytes); empty: TokenConfig::secret_key.
    std::string secret;
};

class Engine;

/// What a registration's options say to the browser (PublicKeyCredentialCreationOptionsJSON's
/// parts that vary; http::passkey_registration_options writes the whole).
struct PasskeyRegistrationStart {
    /// The challenge, base64url.
    std::string challenge;
    /// The user handle (WebAuthn user.id), base64url: a keyed digest of the user's id, no PII.
    std::string user_handle;
    /// The credential ids (base64url) the user has already: the browser refuses to register one twice.
    std::vector<std::string> exclude;
};

/// The passkey operations over the engine's settings (AuthConfig::passkeys): made by the Engine
/// when a store is set. Every refusal of what a browser sent is invalid_credentials "Invalid
/// passkey" with the check that failed in its log; bad_request for a name or limit; the stores'
/// failures as they are.
class Passkeys {
public:
    /// Over `engine`'s configuration; `secret` (PasskeySettings::secret or the token secret_key,
    /// at least 32 bytes) keys challenges and user handles. ConfigError for settings out of range.
    Passkeys(const Engine& engine, std::string_view secret);
    /// Wipes the key.
    ~Passkeys();
    Passkeys(const Passkeys&) = delete;
    Passkeys& operator=(const Passkeys&) = delete;

    /// The settings in force.
    const PasskeySettings& settings() const noexcept { return *settings_; }
    /// The user handle of `sub` for a new registration (raw bytes: 32, a keyed digest of the id;
    /// stored with the passkey, so that a later change of key does not matter).
    std::string user_handle(std::string_view sub) const;
    /// A registration's start for `sub`: a challenge bound to `sub`, its handle, its passkeys to exclude.
    Outcome<PasskeyRegistrationStart> start_registration(std::string sub) const;
    /// Checks a registration response for `sub` (clientDataJSON and attestationObject as raw bytes)
    /// against a challenge this service made for `sub` that is live and unused, then stores it
    /// named `name`: the stored passkey. bad_request "Too many passkeys" beyond max_per_user,
    /// "Passkey already registered" for an id the store has.
    Outcome<Passkey> finish_registration(std::string sub, std::string client_data_json, std::string attestation_object,
                                         std::string name) const;
    /// A sign-in's challenge (base64url), bound to no user: any discoverable passkey may answer.
    std::string start_sign_in() const;
    /// Checks a sign-in's assertion (credential id, clientDataJSON, authenticatorData, signature
    /// as raw bytes; `user_handle` as sent, may be empty) against a live, unused sign-in challenge
    /// and the stored passkey, then records its use (the counter must grow): the passkey as stored
    /// before, with the new counter and time.
    Outcome<Passkey> finish_sign_in(std::string credential_id, std::string client_data_json, std::string authenticator_data,
                                    std::string signature, std::string user_handle) const;
    /// The passkeys of `sub`.
    Outcome<std::vector<Passkey>> list(std::string sub) const;
    /// Renames one: false when `sub` has no passkey `id`. bad_request for a name over 64 bytes or with control characters.
    Outcome<bool> rename(std::string sub, std::string id, std::string name) const;
    /// Removes one: false when `sub` has no passkey `id`.
    Outcome<bool> remove(std::string sub, std::string id) const;

private:
    enum class Purpose : unsigned char { registration = 'r', sign_in = 's' };
    std::string challenge(Purpose purpose, std::string_view sub) const;
    std::string mac(std::string_view data) const;                                         // HMAC-SHA-256 under the key
    std::string challenge_mac(std::string_view signed_part, std::string_view sub) const;  // a challenge's 16-byte tag
    Outcome<void> use_challenge(std::string_view raw) const;                              // its nonce, once
    Outcome<std::string> open_challenge(std::string_view client_data_json, Purpose purpose, std::string_view sub) const;

    const Engine* engine_;
    const PasskeySettings* settings_;
    std::shared_ptr<ReplayCache> used_;
    std::array<unsigned char, 32> key_;
};

}  // namespace fauth
