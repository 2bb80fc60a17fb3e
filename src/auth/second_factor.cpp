#include "fauth/auth/second_factor.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "fauth/auth/engine.hpp"
#include "fauth/auth/passkeys.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/instruments.hpp"
#include "fauth/core/internal/aead.hpp"

namespace fauth {
namespace {

constexpr std::size_t kMaxSealedSecret = 512;
constexpr std::size_t kMaxCodeBytes = 64;  // a typed code: digits, or a recovery code with dashes and spaces

// The sealed secret's associated data: the user's id, so that a row copied to another user does not open.
std::string secret_data(std::string_view sub) { return std::string("fauth totp secret v1|").append(sub); }

Failure invalid_code(std::string why) {
    return Failure{ErrorKind::invalid_credentials, "Invalid code", std::string("second factor: ").append(why), {}};
}

Failure bad_request(std::string detail) {
    auto log = std::string("second factor: ").append(detail);
    return Failure{ErrorKind::bad_request, std::move(detail), std::move(log), {}};
}

// True for 6 to 8 ASCII digits: a TOTP code, whatever its factor's digits (anything else is read
// as a recovery code, which is 16 characters).
bool looks_like_totp(std::string_view code) {
    return code.size() >= 6 && code.size() <= 8 &&
           std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Outcome<std::optional<TotpFactor>> MemorySecondFactorStore::totp(std::string sub) const {
    const std::lock_guard lock(mutex_);
    const auto it = users_.find(sub);
    if (it == users_.end()) return std::optional<TotpFactor>();
    return it->second.totp;
}

Outcome<bool> MemorySecondFactorStore::put_totp(std::string sub, TotpFactor factor) const {
    const std::lock_guard lock(mutex_);
    auto& current = users_[std::move(sub)].totp;
    if (current && current->confirmed) return false;
    current = std::move(factor);
    current->confirmed = false;
    current->last_step = -1;
    return true;
}

Outcome<bool> MemorySecondFactorStore::confirm_totp(std::string sub, std::string sealed_secret, std::int64_t step) const {
    const std::lock_guard lock(mutex_);
    const auto it = users_.find(sub);
    if (it == users_.end() || !it->second.totp || it->second.totp->confirmed || it->second.totp->sealed_secret != sealed_secret)
        return false;
    it->second.totp->confirmed = true;
    it->second.totp->last_step = step;
    return true;
}

Outcome<bool> MemorySecondFactorStore::use_totp_step(std::string sub, std::int64_t step) const {
    const std::lock_guard lock(mutex_);
    const auto it = users_.find(sub);
    if (it == users_.end() || !it->second.totp || !it->second.totp->confirmed || step <= it->second.totp->last_step) return false;
    it->second.totp->last_step = step;
    return true;
}

Outcome<void> MemorySecondFactorStore::remove(std::string sub) const {
    const std::lock_guard lock(mutex_);
    users_.erase(sub);
    return {};
}

Outcome<void> MemorySecondFactorStore::put_recovery_codes(std::string sub, std::vector<std::string> digests) const {
    const std::lock_guard lock(mutex_);
    users_[std::move(sub)].recovery = std::move(digests);
    return {};
}

Outcome<bool> MemorySecondFactorStore::use_recovery_code(std::string sub, std::string digest) const {
    const std::lock_guard lock(mutex_);
    const auto it = users_.find(sub);
    if (it == users_.end()) return false;
    auto& codes = it->second.recovery;
    const auto code = std::find(codes.begin(), codes.end(), digest);
    if (code == codes.end()) return false;
    codes.erase(code);
    return true;
}

Outcome<std::size_t> MemorySecondFactorStore::recovery_codes_left(std::string sub) const {
    const std::lock_guard lock(mutex_);
    const auto it = users_.find(sub);
    return it == users_.end() ? std::size_t{0} : it->second.recovery.size();
}

SecondFactors::SecondFactors(const Engine& engine, std::string_view secret)
    : engine_(&engine), settings_(&engine.config().second_factor), key_{} {
    const auto& s = *settings_;
    if (secret.size() < 32) throw ConfigError("second_factor: sealing TOTP secrets needs tokens.secret_key, at least 32 bytes");
    if (s.issuer.empty() || s.issuer.find(':') != std::string::npos)
        throw ConfigError("second_factor.issuer: the name authenticator apps show, without ':'");
    if (s.window < 0 || s.window > 3) throw ConfigError("second_factor.window: 0 to 3 time steps");
    if (s.recovery_codes < 1 || s.recovery_codes > 20) throw ConfigError("second_factor.recovery_codes: 1 to 20");
    totp::validate(s.totp);
    const auto key = aead_key(secret, "fauth totp secret v1");
    std::copy(key.begin(), key.end(), key_.begin());
}

SecondFactors::~SecondFactors() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::optional<std::string> SecondFactors::open_secret(const TotpFactor& factor, std::string_view sub) const {
    return aead_open(key_, secret_data(sub), factor.sealed_secret, kMaxSealedSecret);
}

Outcome<TotpEnrolment> SecondFactors::enrol(std::string sub, std::string account) const {
    auto found = settings_->store->totp(sub);
    return engine_->chain<TotpEnrolment>(
        std::move(found),
        [this, sub, account = std::move(account)](Result<std::optional<TotpFactor>> current) -> Outcome<TotpEnrolment> {
            if (!current) return std::move(current).failure();
            if (*current && (*current)->confirmed) return bad_request("Authenticator already enrolled");
            TotpEnrolment enrolment;
            TotpFactor factor;
            try {
                const auto secret = totp::new_secret();
                enrolment.secret = totp::to_base32(secret);
                enrolment.uri = totp::uri(settings_->issuer, account, secret, settings_->totp);
                enrolment.qr_svg = totp::qr_svg(enrolment.uri);
                factor.sealed_secret = aead_seal(key_, secret_data(sub), secret);
            } catch (const std::invalid_argument&) {
                return bad_request("This account name cannot be enrolled");
            } catch (...) {
                return failure_of(std::current_exception(), "totp enrolment");
            }
            factor.parameters = settings_->totp;
            factor.created_at = unix_seconds(engine_->config().tokens.clock);
            auto put = settings_->store->put_totp(sub, std::move(factor));
            return engine_->chain<TotpEnrolment>(std::move(put),
                                                 [enrolment =
                                                      std::move(enrolment)](Result<bool> done) mutable -> Result<TotpEnrolment> {
                                                     if (!done) return std::move(done).failure();
                                                     if (!*done)
                                                         return bad_request(
                                                             "Authenticator already enrolled");  // confirmed meanwhile
                                                     return std::move(enrolment);
                                                 });
        });
}

Outcome<void> SecondFactors::count(const std::string& sub, const std::string& client) const {
    using instruments::ThrottleBucket;
    const auto& limits = settings_->limits;
    // The buckets in order, each counted only when the ones before let the attempt through.
    auto buckets = std::make_shared<const std::array<Bucket, 3>>(
        std::array<Bucket, 3>{Bucket{instruments::throttle_key(ThrottleBucket::second_factor_client, client), &limits.per_client},
                              Bucket{instruments::throttle_key(ThrottleBucket::second_factor_user_client,
                                                               std::string(sub).append(" ").append(client)),
                                     &limits.per_user_client},
                              Bucket{instruments::throttle_key(ThrottleBucket::second_factor_user, sub), &limits.per_user}});
    return count_from(std::move(buckets), 0);
}

Outcome<void> SecondFactors::count_from(std::shared_ptr<const std::array<Bucket, 3>> buckets, std::size_t i) const {
    if (i == buckets->size()) return {};
    const auto& bucket = (*buckets)[i];
    return engine_->chain<void>(engine_->throttle().hit(bucket.key, *bucket.limit),
                                [this, buckets, i](Result<ThrottleDecision> d) -> Outcome<void> {
                                    if (!d) return std::move(d).failure();
                                    if (!d->allowed)
                                        return Failure{ErrorKind::throttled, "Too many attempts; retry later",
                                                       "second factor: throttled", d->retry_after};
                                    return count_from(buckets, i + 1);
                                });
}

Outcome<std::vector<std::string>> SecondFactors::new_recovery_codes(std::string sub) const {
    std::vector<std::string> codes, digests;
    try {
        codes = totp::new_recovery_codes(settings_->recovery_codes);
        for (const auto& c : codes) digests.push_back(totp::recovery_code_digest(c));
    } catch (...) {
        return failure_of(std::current_exception(), "recovery codes");
    }
    return engine_->chain<std::vector<std::string>>(settings_->store->put_recovery_codes(std::move(sub), std::move(digests)),
                                                    [codes = std::move(codes)](
                                                        Result<void> put) mutable -> Result<std::vector<std::string>> {
                                                        if (!put) return std::move(put).failure();
                                                        return std::move(codes);
                                                    });
}

Outcome<std::vector<std::string>> SecondFactors::confirm(std::string sub, std::string code, std::string client) const {
    if (code.size() > kMaxCodeBytes) return invalid_code("code too long");
    return engine_->chain<std::vector<std::string>>(
        count(sub, client), [this, sub, code = std::move(code)](Result<void> counted) -> Outcome<std::vector<std::string>> {
            if (!counted) return std::move(counted).failure();
            return engine_->chain<std::vector<std::string>>(
                settings_->store->totp(sub),
                [this, sub, code](Result<std::optional<TotpFactor>> found) -> Outcome<std::vector<std::string>> {
                    if (!found) return std::move(found).failure();
                    if (!*found || (*found)->confirmed) return bad_request("No authenticator to confirm");
                    auto factor = std::move(**found);
                    const auto secret = open_secret(factor, sub);
                    if (!secret) return invalid_code("the stored secret does not open");
                    const auto step = totp::match(*secret, code, unix_seconds(engine_->config().tokens.clock), factor.parameters,
                                                  settings_->window);
                    if (!step) return invalid_code("wrong code at confirmation");
                    return engine_->chain<std::vector<std::string>>(
                        settings_->store->confirm_totp(sub, factor.sealed_secret, *step),
                        [this, sub](Result<bool> confirmed) -> Outcome<std::vector<std::string>> {
                            if (!confirmed) return std::move(confirmed).failure();
                            if (!*confirmed) return bad_request("No authenticator to confirm");  // replaced meanwhile
                            return new_recovery_codes(sub);
                        });
                });
        });
}

Outcome<bool> SecondFactors::enrolled(std::string sub) const {
    return engine_->chain<bool>(settings_->store->totp(std::move(sub)),
                                [](Result<std::optional<TotpFactor>> found) -> Result<bool> {
                                    if (!found) return std::move(found).failure();
                                    return *found && (*found)->confirmed;
                                });
}

Outcome<SecondFactorKind> SecondFactors::check(std::string sub, std::string code, std::string client) const {
    if (code.size() > kMaxCodeBytes) return invalid_code("code too long");
    return engine_->chain<SecondFactorKind>(
        count(sub, client), [this, sub, code = std::move(code)](Result<void> counted) -> Outcome<SecondFactorKind> {
            if (!counted) return std::move(counted).failure();
            if (!looks_like_totp(code)) {
                const auto digest = totp::recovery_code_digest(code);
                if (digest.empty()) return invalid_code("neither a TOTP code nor a recovery code");
                return engine_->chain<SecondFactorKind>(settings_->store->use_recovery_code(sub, digest),
                                                        [](Result<bool> used) -> Result<SecondFactorKind> {
                                                            if (!used) return std::move(used).failure();
                                                            if (!*used) return invalid_code("unknown or used recovery code");
                                                            return SecondFactorKind::recovery_code;
                                                        });
            }
            return engine_->chain<SecondFactorKind>(
                settings_->store->totp(sub),
                [this, sub, code](Result<std::optional<TotpFactor>> found) -> Outcome<SecondFactorKind> {
                    if (!found) return std::move(found).failure();
                    if (!*found || !(*found)->confirmed) return invalid_code("no confirmed authenticator");
                    const auto& factor = **found;
                    const auto secret = open_secret(factor, sub);
                    if (!secret) return invalid_code("the stored secret does not open");
                    const auto step = totp::match(*secret, code, unix_seconds(engine_->config().tokens.clock), factor.parameters,
                                                  settings_->window);
                    if (!step) return invalid_code("wrong code");
                    if (*step <= factor.last_step) return invalid_code("code already used");
                    return engine_->chain<SecondFactorKind>(settings_->store->use_totp_step(sub, *step),
                                                            [](Result<bool> used) -> Result<SecondFactorKind> {
                                                                if (!used) return std::move(used).failure();
                                                                if (!*used) return invalid_code("code already used");
                                                                return SecondFactorKind::totp;
                                                            });
                });
        });
}

Outcome<std::vector<std::string>> SecondFactors::regenerate_recovery_codes(std::string sub) const {
    return engine_->chain<std::vector<std::string>>(enrolled(sub),
                                                    [this, sub](Result<bool> enrolled) -> Outcome<std::vector<std::string>> {
                                                        if (!enrolled) return std::move(enrolled).failure();
                                                        if (!*enrolled) return bad_request("No authenticator enrolled");
                                                        return new_recovery_codes(sub);
                                                    });
}

Outcome<std::size_t> SecondFactors::recovery_codes_left(std::string sub) const {
    return engine_->tracked(settings_->store->recovery_codes_left(std::move(sub)));
}

Outcome<void> SecondFactors::remove(std::string sub) const { return engine_->tracked(settings_->store->remove(std::move(sub))); }

Outcome<bool> has_second_factor(const Engine& engine, std::string sub) {
    const auto* passkeys = engine.passkeys();
    const auto passkey = [&engine, passkeys](std::string user) -> Outcome<bool> {
        if (passkeys == nullptr) return false;
        return engine.chain<bool>(passkeys->list(std::move(user)), [](Result<std::vector<Passkey>> keys) -> Result<bool> {
            if (!keys) return std::move(keys).failure();
            return !keys->empty();
        });
    };
    const auto* factors = engine.second_factors();
    if (factors == nullptr) return passkey(std::move(sub));
    return engine.chain<bool>(factors->enrolled(sub), [passkey, sub](Result<bool> enrolled) -> Outcome<bool> {
        if (!enrolled) return std::move(enrolled).failure();
        if (*enrolled) return true;
        return passkey(sub);
    });
}

}  // namespace fauth
