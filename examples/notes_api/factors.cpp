#include "factors.hpp"

#include <exception>
#include <type_traits>

#include <fauth/core/errors.hpp>

namespace notes {
namespace {

// `run()`'s answer as a ready Outcome; what it throws (a StoreError) as a Failure.
template <class T, class Run>
fauth::Outcome<T> ready(Run run) noexcept {
    try {
        if constexpr (std::is_void_v<T>) {
            run();
            return {};
        } else {
            return fauth::Result<T>(run());
        }
    } catch (...) {
        return fauth::failure_of(std::current_exception(), "notes store");
    }
}

}  // namespace

fauth::Outcome<std::optional<fauth::TotpFactor>> SqliteSecondFactorStore::totp(std::string sub) const {
    return ready<std::optional<fauth::TotpFactor>>([&] { return store_->totp_factor(sub); });
}

fauth::Outcome<bool> SqliteSecondFactorStore::put_totp(std::string sub, fauth::TotpFactor factor) const {
    return ready<bool>([&] { return store_->put_totp_factor(sub, factor); });
}

fauth::Outcome<bool> SqliteSecondFactorStore::confirm_totp(std::string sub, std::string sealed_secret, std::int64_t step) const {
    return ready<bool>([&] { return store_->confirm_totp_factor(sub, sealed_secret, step); });
}

fauth::Outcome<bool> SqliteSecondFactorStore::use_totp_step(std::string sub, std::int64_t step) const {
    return ready<bool>([&] { return store_->use_totp_step(sub, step); });
}

fauth::Outcome<void> SqliteSecondFactorStore::remove(std::string sub) const {
    return ready<void>([&] { store_->remove_second_factors(sub); });
}

fauth::Outcome<void> SqliteSecondFactorStore::put_recovery_codes(std::string sub, std::vector<std::string> digests) const {
    return ready<void>([&] { store_->put_recovery_codes(sub, digests); });
}

fauth::Outcome<bool> SqliteSecondFactorStore::use_recovery_code(std::string sub, std::string digest) const {
    return ready<bool>([&] { return store_->use_recovery_code(sub, digest); });
}

fauth::Outcome<std::size_t> SqliteSecondFactorStore::recovery_codes_left(std::string sub) const {
    return ready<std::size_t>([&] { return store_->recovery_codes_left(sub); });
}

fauth::Outcome<bool> SqlitePasskeyStore::add(fauth::Passkey passkey) const {
    return ready<bool>([&] { return store_->add_passkey(passkey); });
}

fauth::Outcome<std::optional<fauth::Passkey>> SqlitePasskeyStore::find(std::string id) const {
    return ready<std::optional<fauth::Passkey>>([&] { return store_->passkey(id); });
}

fauth::Outcome<std::vector<fauth::Passkey>> SqlitePasskeyStore::of(std::string sub) const {
    return ready<std::vector<fauth::Passkey>>([&] { return store_->passkeys_of(sub); });
}

fauth::Outcome<bool> SqlitePasskeyStore::record_use(std::string id, std::uint32_t sign_count, std::int64_t at) const {
    return ready<bool>([&] { return store_->record_passkey_use(id, sign_count, at); });
}

fauth::Outcome<bool> SqlitePasskeyStore::rename(std::string sub, std::string id, std::string name) const {
    return ready<bool>([&] { return store_->rename_passkey(sub, id, name); });
}

fauth::Outcome<bool> SqlitePasskeyStore::remove(std::string sub, std::string id) const {
    return ready<bool>([&] { return store_->remove_passkey(sub, id); });
}

}  // namespace notes
