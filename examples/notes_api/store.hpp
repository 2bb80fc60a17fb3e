// examples/notes_api/store.hpp — the notes application's SQLite database: users, their notes and
// their API keys (stored as fauth makes them: the lookup part and the SHA-256, never the key),
// their second factors (a sealed TOTP secret, recovery code digests) and passkeys.
// Prepared statements only (no SQL is ever built from input), a versioned schema migrated at
// open, WAL mode and a busy timeout so that several processes and threads can write safely.
// Shared by the fauth-notes server and its administration tool, notes-admin (admin/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fauth/auth/passkeys.hpp>
#include <fauth/auth/principal.hpp>
#include <fauth/auth/second_factor.hpp>

struct sqlite3;

namespace notes {

/// A user of the notes application, as fauth reads it (id, hashed_password, is_active, roles).
struct User {
    std::string id;
    std::string email;
    std::string hashed_password;
    bool is_active = true;
    std::vector<std::string> roles;
    /// The e-mail address was proven (a link sent to it came back); unverified users cannot log in.
    bool is_verified = true;
};

/// One note, owned by one user.
struct Note {
    std::int64_t id = 0;
    std::string owner_id;
    std::string title;
    std::string body;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

/// A database failure (cannot open, constraint broken unexpectedly, disk full, ...).
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An email that is already registered.
class DuplicateEmail : public StoreError {
public:
    DuplicateEmail() : StoreError("email already registered") {}
};

/// The database. Thread-safe: one connection, used under a mutex (SQLite serialises writers anyway).
/// A new API key of the notes API: `key` to show once, `record` (its id and hash, never the key) to store.
struct MadeKey {
    std::string key;
    fauth::ApiKey record;
};
/// Makes a key (prefix kApiKeyPrefix) for `owner_id`, created now and expiring after `days` days
/// (0: never). The API and notes-admin both make keys with it.
MadeKey make_api_key(std::string owner_id, std::string name, std::vector<std::string> scopes, int days);

class Store {
public:
    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    explicit Store(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// The schema version after migration.
    int schema_version();

    /// Adds a user with a fresh id (unverified: registered but not yet through the e-mail link),
    /// its address stored as canonical_email says; throws DuplicateEmail.
    User add_user(const std::string& email, const std::string& hashed_password, const std::vector<std::string>& roles = {},
                  bool verified = true);
    /// Replaces a user's password hash if it is still `expected` (so a reset token, bound to the
    /// old hash, works once, and of two changes racing one wins), marking the address verified
    /// too when `verified` (a reset link came back from it); true when it was replaced.
    bool set_password(const std::string& id, const std::string& expected, const std::string& replacement, bool verified);
    /// Marks the address verified if user `id` still has `email`; false otherwise.
    bool verify_email(const std::string& id, const std::string& email);
    /// The user with `id`.
    std::optional<User> user_by_id(const std::string& id);
    /// The user with `email` (compared in canonical_email's form, so case-insensitively).
    std::optional<User> user_by_email(const std::string& email);
    /// The user an OpenID provider's account (`issuer`, `subject`) is linked to. Without one, and
    /// given the address the provider says it verified: a new verified account with that address
    /// and no password, linked to it (under `provider`'s name), unless an account already has the
    /// address (then nothing: its owner signs in with their password).
    std::optional<User> user_by_identity(const std::string& provider, const std::string& issuer, const std::string& subject,
                                         const std::optional<std::string>& verified_email);
    /// Every user, oldest first.
    std::vector<User> users();
    /// Replaces a user's roles; false when there is no such user.
    bool set_roles(const std::string& id, const std::vector<std::string>& roles);
    /// Deactivates a user; false when there is no such user.
    bool deactivate(const std::string& id);
    /// Replaces a user's password hash only if it is still `expected` (a rehash that lost a race
    /// with a password change does nothing); true when it was replaced.
    bool upgrade_hash(const std::string& id, const std::string& expected, const std::string& replacement);

    /// Adds a note owned by `owner_id`.
    Note add_note(const std::string& owner_id, const std::string& title, const std::string& body);
    /// The notes of `owner_id`, newest first.
    std::vector<Note> notes_of(const std::string& owner_id);
    /// Note `id` if `owner_id` owns it (someone else's note is as absent as a missing one).
    std::optional<Note> note(const std::string& owner_id, std::int64_t id);
    /// Updates note `id` of `owner_id`; nothing when absent or someone else's.
    std::optional<Note> update_note(const std::string& owner_id, std::int64_t id, const std::string& title,
                                    const std::string& body);
    /// Deletes note `id` of `owner_id`; false when absent or someone else's.
    bool delete_note(const std::string& owner_id, std::int64_t id);

    /// Stores `key` (its id, hash, owner, name, scopes and expiry; made now) unless its owner
    /// already holds `max_live` keys that are neither revoked nor expired; false then.
    bool add_api_key(const fauth::ApiKey& key, int max_live);
    /// The key whose lookup part is `id` and its owner, in one query (the api_key_loader).
    std::optional<fauth::KeyOwner<User>> api_key(const std::string& id);
    /// The keys of `owner_id` (of everyone when nothing), newest first.
    std::vector<fauth::ApiKey> api_keys(const std::optional<std::string>& owner_id);
    /// Revokes key `id` if `owner_id` owns it (whoever owns it when nothing); false when there is none.
    bool revoke_api_key(const std::string& id, const std::optional<std::string>& owner_id);
    /// Revokes every key of `owner_id`; how many were not revoked yet.
    int revoke_api_keys_of(const std::string& owner_id);
    /// Records `at` as the last use of key `id`.
    void touch_api_key(const std::string& id, std::int64_t at);

    // Second factors (fauth::SecondFactorStore's operations; factors.hpp adapts them). The TOTP
    // secret is stored sealed as fauth seals it; recovery codes as their digests.

    /// The TOTP factor of user `sub`, or nothing.
    std::optional<fauth::TotpFactor> totp_factor(const std::string& sub);
    /// Writes `factor` as the unconfirmed TOTP factor of `sub` unless a confirmed one is there: true when written.
    bool put_totp_factor(const std::string& sub, const fauth::TotpFactor& factor);
    /// Confirms the unconfirmed factor of `sub` sealed as `sealed_secret`, at `step`: true when it was there.
    bool confirm_totp_factor(const std::string& sub, const std::string& sealed_secret, std::int64_t step);
    /// Makes `step` the last step of the confirmed factor of `sub` if it is later than the stored
    /// one, in one statement: true when it was.
    bool use_totp_step(const std::string& sub, std::int64_t step);
    /// Removes the TOTP factor and the recovery codes of `sub`.
    void remove_second_factors(const std::string& sub);
    /// Replaces the recovery codes of `sub` with `digests`.
    void put_recovery_codes(const std::string& sub, const std::vector<std::string>& digests);
    /// Removes `digest` from the recovery codes of `sub`: true when it was one of them.
    bool use_recovery_code(const std::string& sub, const std::string& digest);
    /// How many recovery codes `sub` has left.
    std::size_t recovery_codes_left(const std::string& sub);

    // Passkeys (fauth::PasskeyStore's operations), by credential id (raw bytes).

    /// Adds `passkey` unless its credential id is taken (whoever's): true when added.
    bool add_passkey(const fauth::Passkey& passkey);
    /// The passkey with credential id `id`, or nothing.
    std::optional<fauth::Passkey> passkey(const std::string& id);
    /// The passkeys of `sub`, oldest first.
    std::vector<fauth::Passkey> passkeys_of(const std::string& sub);
    /// Records a sign-in with passkey `id` at `at` whose authenticator counted `sign_count`, in one
    /// statement, when the count grew (or both are 0): true when recorded.
    bool record_passkey_use(const std::string& id, std::uint32_t sign_count, std::int64_t at);
    /// Renames passkey `id` of `sub`: false when `sub` has none such.
    bool rename_passkey(const std::string& sub, const std::string& id, const std::string& name);
    /// Removes passkey `id` of `sub`: false when `sub` has none such.
    bool remove_passkey(const std::string& sub, const std::string& id);

private:
    class Statement;
    void exec(const char* sql);
    void migrate();
    std::mutex mutex_;
    sqlite3* db_ = nullptr;
};

}  // namespace notes
