/// @file
/// fauth/auth/second_factor.hpp — a second factor after the password: TOTP authenticators
/// (RFC 6238, Google Authenticator and the like) and recovery codes, kept in a store of yours,
/// their secrets sealed; SecondFactors enrols, confirms, checks (throttled, each code once) and
/// removes them.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/auth/throttle.hpp"
#include "fauth/auth/totp.hpp"
#include "fauth/core/outcome.hpp"

namespace fauth {

/// A user's TOTP authenticator as a SecondFactorStore keeps it.
struct TotpFactor {
    /// The secret, sealed (AES-256-GCM under a key derived from the provider's secret_key, the
    /// user's id as associated data): the store never holds it readable, and a row copied to
    /// another user does not open.
    std::string sealed_secret;
    /// Its algorithm, digits and period.
    totp::Parameters parameters;
    /// False from enrolment until a first code confirms it; only a confirmed factor is asked for
    /// at login.
    bool confirmed = false;
    /// The last time step a code was accepted for (-1: none): a code of that step or an earlier
    /// one is never accepted again.
    std::int64_t last_step = -1;
    /// When it was enrolled, in Unix seconds.
    std::int64_t created_at = 0;
};

/// Where second factors are kept: yours (the notes example keeps them in SQLite), or
/// MemorySecondFactorStore. Every operation answers an Outcome: ready, or later from a thread of
/// yours. put_totp, confirm_totp and the two `use_` operations must be atomic (a transaction, a
/// compare-and-set): each code is accepted once however many requests race with it, and a
/// confirmed factor is never overwritten.
class SecondFactorStore {
public:
    /// Destroys the store.
    virtual ~SecondFactorStore() = default;
    /// The TOTP factor of user `sub`, or nothing.
    virtual Outcome<std::optional<TotpFactor>> totp(std::string sub) const = 0;
    /// Writes `factor` (unconfirmed) as the TOTP factor of `sub`, replacing an unconfirmed one:
    /// true; false, changing nothing, when `sub` has a confirmed one.
    virtual Outcome<bool> put_totp(std::string sub, TotpFactor factor) const = 0;
    /// Confirms the unconfirmed factor of `sub` whose sealed secret is `sealed_secret`, with
    /// `step` as its last step: true; false, changing nothing, when there is no such factor (it
    /// was replaced, removed or confirmed meanwhile).
    virtual Outcome<bool> confirm_totp(std::string sub, std::string sealed_secret, std::int64_t step) const = 0;
    /// When `step` is later than the stored last_step of a confirmed factor of `sub`, makes it the
    /// last step and answers true; else false (a code used again, or no factor).
    virtual Outcome<bool> use_totp_step(std::string sub, std::int64_t step) const = 0;
    /// Removes the TOTP factor and the recovery codes of `sub`.
    virtual Outcome<void> remove(std::string sub) const = 0;
    /// Replaces the recovery codes of `sub` with these digests (totp::recovery_code_digest).
    virtual Outcome<void> put_recovery_codes(std::string sub, std::vector<std::string> digests) const = 0;
    /// Removes `digest` from the recovery codes of `sub`: true when it was one of them.
    virtual Outcome<bool> use_recovery_code(std::string sub, std::string digest) const = 0;
    /// How many recovery codes `sub` has left.
    virtual Outcome<std::size_t> recovery_codes_left(std::string sub) const = 0;
};

/// A SecondFactorStore in this process's memory (tests, a single process): lost on restart.
class MemorySecondFactorStore final : public SecondFactorStore {
public:
    /// The factor, or nothing.
    Outcome<std::optional<TotpFactor>> totp(std::string sub) const override;
    /// Writes the factor unless a confirmed one is there.
    Outcome<bool> put_totp(std::string sub, TotpFactor factor) const override;
    /// Compare-and-set under the store's lock.
    Outcome<bool> confirm_totp(std::string sub, std::string sealed_secret, std::int64_t step) const override;
    /// Compare-and-set under the store's lock.
    Outcome<bool> use_totp_step(std::string sub, std::int64_t step) const override;
    /// Removes both.
    Outcome<void> remove(std::string sub) const override;
    /// Replaces the codes.
    Outcome<void> put_recovery_codes(std::string sub, std::vector<std::string> digests) const override;
    /// Removes one under the store's lock.
    Outcome<bool> use_recovery_code(std::string sub, std::string digest) const override;
    /// The count.
    Outcome<std::size_t> recovery_codes_left(std::string sub) const override;

private:
    struct Entry {
        std::optional<TotpFactor> totp;
        std::vector<std::string> recovery;
    };
    mutable std::mutex mutex_;
    mutable std::map<std::string, Entry, std::less<>> users_;
};

/// How many second-factor codes may be tried (429 with Retry-After beyond). Codes are counted
/// before they are checked, so that a guess costs the same whether right or wrong.
struct SecondFactorLimits {
    /// Per client address.
    RateLimit per_client{30, 30.0 / 3600};
    /// Per user and client address: one client guessing one user's codes. Someone who has the
    /// password spends this budget, not the user's own on another device.
    RateLimit per_user_client{5, 5.0 / 3600};
    /// Per user, from every client together (counted only for attempts the two above let
    /// through): with six digits and three steps accepted, about one chance in 700 a day for
    /// guesses spread over many addresses. Its owner is refused too while it is spent.
    RateLimit per_user{20, 20.0 / 3600};
};

/// AuthConfig::second_factor: where factors are kept and how codes look.
struct SecondFactorSettings {
    /// Where factors are kept; second factors are off while it is empty.
    std::shared_ptr<SecondFactorStore> store;
    /// The name authenticator apps show beside the account ("Notes"): the otpauth URI's issuer.
    /// No ':'. Required with a store.
    std::string issuer;
    /// The TOTP parameters of new enrolments (Google Authenticator reads only the defaults).
    totp::Parameters totp;
    /// Time steps accepted either side of now (clock drift): 1 (RFC 6238's recommendation), at most 3.
    int window = 1;
    /// How many recovery codes an enrolment (or a regeneration) gives: 1 to 20.
    std::size_t recovery_codes = 10;
    /// How many codes may be tried.
    SecondFactorLimits limits;
    /// What TOTP secrets are sealed with (at least 32 bytes); empty: TokenConfig::secret_key.
    /// Set it apart from the token key: rotating this secret leaves every enrolled secret
    /// unreadable (its users sign in with a recovery code and enrol again), so it must outlive
    /// token key rotations; and set it when tokens are signed with a key ring and no secret_key.
    std::string sealing_secret;
};

class Engine;

/// True when `sub` has a second factor of any kind: a confirmed TOTP authenticator
/// (AuthConfig::second_factor) or a passkey (AuthConfig::passkeys). Adding or removing a factor
/// then takes a session begun with two factors (http::add_second_factor_routes, add_passkey_routes).
Outcome<bool> has_second_factor(const Engine& engine, std::string sub);

/// A TOTP enrolment just begun: what the user's authenticator app needs. Shown once.
struct TotpEnrolment {
    /// The secret in base32 (to type in by hand).
    std::string secret;
    /// The `otpauth://totp/...` URI the QR code holds.
    std::string uri;
    /// The QR code of the URI, as a standalone SVG document.
    std::string qr_svg;
};

/// Which second factor a code proved.
enum class SecondFactorKind {
    totp,           ///< a code of the user's authenticator
    recovery_code,  ///< one of the user's recovery codes (used up)
};

/// The second-factor operations over the engine's settings (AuthConfig::second_factor): made by
/// the Engine when a store is set. Every failure is a value: invalid_credentials ("Invalid code"),
/// throttled, bad_request ("Authenticator already enrolled", "No authenticator to confirm"), or
/// the store's.
class SecondFactors {
public:
    /// Over `engine`'s configuration and throttle; `secret` (SecondFactorSettings::sealing_secret
    /// or the token secret_key, at least 32 bytes) derives the sealing key (ConfigError otherwise,
    /// or for settings out of range).
    SecondFactors(const Engine& engine, std::string_view secret);
    /// Wipes the sealing key.
    ~SecondFactors();
    SecondFactors(const SecondFactors&) = delete;
    SecondFactors& operator=(const SecondFactors&) = delete;

    /// A new secret for `sub`, stored unconfirmed (replacing an unconfirmed one), with its URI and
    /// QR code naming `account` (the user's login name). bad_request when `sub` has a confirmed one.
    Outcome<TotpEnrolment> enrol(std::string sub, std::string account) const;
    /// Confirms the unconfirmed factor of `sub` with a first `code`: answers the new recovery codes
    /// (shown once; stored as digests). invalid_credentials for a wrong code, bad_request without
    /// an unconfirmed factor. Throttled as check is.
    Outcome<std::vector<std::string>> confirm(std::string sub, std::string code, std::string client) const;
    /// True when `sub` has a confirmed factor: a password login then asks for a code.
    Outcome<bool> enrolled(std::string sub) const;
    /// Checks `code` for `sub`: six (or `digits`) digits are a TOTP code, accepted once, within the
    /// window; anything else is read as a recovery code, used up. Counted first per client and per
    /// user (throttled). invalid_credentials "Invalid code" for anything that does not pass.
    Outcome<SecondFactorKind> check(std::string sub, std::string code, std::string client) const;
    /// New recovery codes for `sub` (the old ones stop working). bad_request without a confirmed factor.
    Outcome<std::vector<std::string>> regenerate_recovery_codes(std::string sub) const;
    /// How many recovery codes `sub` has left.
    Outcome<std::size_t> recovery_codes_left(std::string sub) const;
    /// Removes the factor and the recovery codes of `sub`.
    Outcome<void> remove(std::string sub) const;

    /// The secret `factor` holds for `sub`, or nothing when it does not open (another user's, changed).
    std::optional<std::string> open_secret(const TotpFactor& factor, std::string_view sub) const;

private:
    struct Bucket {
        std::string key;
        const RateLimit* limit;
    };
    Outcome<void> count(const std::string& sub, const std::string& client) const;
    Outcome<void> count_from(std::shared_ptr<const std::array<Bucket, 3>> buckets, std::size_t i) const;
    Outcome<std::vector<std::string>> new_recovery_codes(std::string sub) const;

    const Engine* engine_;
    const SecondFactorSettings* settings_;
    std::array<unsigned char, 32> key_;
};

}  // namespace fauth
