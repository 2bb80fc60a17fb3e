// examples/notes_api/factors.hpp — fauth's second-factor and passkey stores over the notes
// database (store.hpp's tables): what AuthConfig::second_factor.store and
// AuthConfig::passkeys.store are given. SQLite answers at once, so every Outcome is ready; a
// database failure is a Failure (internal: a 500, details in the log), never a throw.
#pragma once

#include <memory>

#include <fauth/auth/passkeys.hpp>
#include <fauth/auth/second_factor.hpp>

#include "store.hpp"

namespace notes {

/// The TOTP factors and recovery codes of the notes database.
class SqliteSecondFactorStore final : public fauth::SecondFactorStore {
public:
    /// Over `store`.
    explicit SqliteSecondFactorStore(std::shared_ptr<Store> store) : store_(std::move(store)) {}
    /// The factor, or nothing.
    fauth::Outcome<std::optional<fauth::TotpFactor>> totp(std::string sub) const override;
    /// Writes it.
    fauth::Outcome<bool> put_totp(std::string sub, fauth::TotpFactor factor) const override;
    /// One UPDATE ... WHERE confirmed = 0 AND sealed_secret = ?.
    fauth::Outcome<bool> confirm_totp(std::string sub, std::string sealed_secret, std::int64_t step) const override;
    /// One UPDATE ... WHERE last_step < step.
    fauth::Outcome<bool> use_totp_step(std::string sub, std::int64_t step) const override;
    /// Removes the factor and the codes.
    fauth::Outcome<void> remove(std::string sub) const override;
    /// Replaces the codes.
    fauth::Outcome<void> put_recovery_codes(std::string sub, std::vector<std::string> digests) const override;
    /// One DELETE.
    fauth::Outcome<bool> use_recovery_code(std::string sub, std::string digest) const override;
    /// The count.
    fauth::Outcome<std::size_t> recovery_codes_left(std::string sub) const override;

private:
    std::shared_ptr<Store> store_;
};

/// The passkeys of the notes database.
class SqlitePasskeyStore final : public fauth::PasskeyStore {
public:
    /// Over `store`.
    explicit SqlitePasskeyStore(std::shared_ptr<Store> store) : store_(std::move(store)) {}
    /// Adds it unless its id is taken.
    fauth::Outcome<bool> add(fauth::Passkey passkey) const override;
    /// Finds it.
    fauth::Outcome<std::optional<fauth::Passkey>> find(std::string id) const override;
    /// The user's, oldest first.
    fauth::Outcome<std::vector<fauth::Passkey>> of(std::string sub) const override;
    /// One UPDATE ... WHERE the counter grew.
    fauth::Outcome<bool> record_use(std::string id, std::uint32_t sign_count, std::int64_t at) const override;
    /// Renames it.
    fauth::Outcome<bool> rename(std::string sub, std::string id, std::string name) const override;
    /// Removes it.
    fauth::Outcome<bool> remove(std::string sub, std::string id) const override;

private:
    std::shared_ptr<Store> store_;
};

}  // namespace notes
