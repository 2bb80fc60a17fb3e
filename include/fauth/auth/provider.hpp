// fauth/auth/provider.hpp — AuthProvider<User>: turns credentials into tokens and tokens into users,
// through two asynchronous loader callbacks you supply.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/crypto.h>
#include <pistache/async.h>

#include "fauth/auth/access.hpp"
#include "fauth/core/config.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/detail/in_flight.hpp"
#include "fauth/auth/detail/promise.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/password.hpp"
#include "fauth/core/random.hpp"
#include "fauth/auth/revocation.hpp"
#include "fauth/auth/throttle.hpp"
#include "fauth/core/token.hpp"
#include "fauth/auth/user_traits.hpp"
#include "fauth/core/worker_pool.hpp"

namespace fauth {

namespace http {
template <class User>
class GuardBuilder;  // fauth/http/guard.hpp: include it to use the guards below
}

/// What a loader resolves to: the user, or nothing when there is no such user.
template <class User>
using LoadResult = Pistache::Async::Promise<std::optional<User>>;

namespace detail {

template <class F>
inline constexpr bool is_nullable_callable = std::is_pointer_v<F> || std::is_member_pointer_v<F>;
template <class R, class... A>
inline constexpr bool is_nullable_callable<std::function<R(A...)>> = true;

// Wraps a loader that returns LoadResult<User> or std::optional<User> (synchronously) into one
// that always returns a promise and never throws: a thrown exception becomes a rejection.
template <class User, class Arg, class F>
std::function<LoadResult<User>(Arg)> adapt_loader(F loader, const char* name) {
    using Result = std::decay_t<std::invoke_result_t<F&, Arg>>;
    static_assert(std::is_same_v<Result, LoadResult<User>> || std::is_convertible_v<Result, std::optional<User>>,
                  "fauth: a loader returns Pistache::Async::Promise<std::optional<User>> or std::optional<User>");
    if constexpr (is_nullable_callable<F>) {
        if (!static_cast<bool>(loader)) throw ConfigError(std::string("AuthProvider: the ") + name + " is empty");
    }
    return [loader = std::move(loader), name](Arg arg) mutable -> LoadResult<User> {
        try {
            if constexpr (std::is_same_v<Result, LoadResult<User>>) return loader(arg);
            else return LoadResult<User>::resolved(std::optional<User>(loader(arg)));
        } catch (...) {
            auto [promise, settler] = Settler<std::optional<User>>::make();
            settler->reject_from(std::current_exception(), name);
            return std::move(promise);
        }
    };
}

// The loader itself when it answers synchronously (returns std::optional<User>), for the
// synchronous path; empty when it returns a promise.
template <class User, class Arg, class F>
std::function<std::optional<User>(Arg)> synchronous_loader(F loader) {
    using Result = std::decay_t<std::invoke_result_t<F&, Arg>>;
    if constexpr (std::is_same_v<Result, LoadResult<User>>) return {};
    else return [loader = std::move(loader)](Arg arg) mutable { return std::optional<User>(loader(arg)); };
}

}  // namespace detail

/// Authentication for one User type: passwords to users (authenticate), users to tokens (login),
/// tokens to users (resolve_user), and sessions that can end (refresh, logout, revoke_all).
/// Thread-safe; not copyable or movable, because guards refer to it. Its destructor waits for the
/// work it has under way on its own threads (password checks, store and key fetches) to finish;
/// an operation still waiting for one of your loaders then completes safely later, holding what
/// it needs. Destroy it after the servers that route to it have stopped, and never from a loader,
/// a handler or a continuation.
template <class User>
class AuthProvider {
public:
    /// The promise every asynchronous operation returns; it rejects with a fauth::Error.
    using UserPromise = Pistache::Async::Promise<User>;
    /// Finds the user a verified token names (by its `sub`).
    using UserLoader = std::function<LoadResult<User>(const TokenPayload&)>;
    /// Finds a user by login name, for authenticate.
    using IdentityLoader = std::function<LoadResult<User>(const std::string&)>;

    /// A provider with only a user loader: it verifies tokens but cannot authenticate passwords.
    /// Throws ConfigError for an unusable config or an empty loader.
    template <class UL>
    AuthProvider(AuthConfig config, UL user_loader) : core_(std::make_shared<Core>(std::move(config))) {
        core_->user_loader = detail::adapt_loader<User, const TokenPayload&>(user_loader, "user_loader");
        core_->user_loader_at_once = detail::synchronous_loader<User, const TokenPayload&>(std::move(user_loader));
    }

    /// A provider with both loaders. Each may return LoadResult<User> or, synchronously,
    /// std::optional<User>. Throws ConfigError for an unusable config or an empty loader.
    template <class UL, class IL>
    AuthProvider(AuthConfig config, UL user_loader, IL identity_loader) : AuthProvider(std::move(config), std::move(user_loader)) {
        core_->identity_loader = detail::adapt_loader<User, const std::string&>(std::move(identity_loader), "identity_loader");
        // Unknown identifiers are checked against this hash, so they cost as much as known ones.
        core_->dummy_hash = std::make_shared<const std::string>(hash_password(random_bytes(24), config_().bcrypt_cost));
    }

    /// Called after a successful login whose stored hash is below the configured bcrypt cost,
    /// with the user, the old hash and a new one of the configured cost (on a password worker
    /// thread): store it, ideally only if the stored hash is still the old one. Failures are
    /// logged and do not affect the login.
    using RehashHandler = std::function<void(const User& user, const std::string& old_hash, const std::string& new_hash)>;

    /// Sets the rehash handler (see RehashHandler). Call before serving: it is not synchronised.
    void on_rehash(RehashHandler handler) { core_->rehash = std::move(handler); }

    AuthProvider(const AuthProvider&) = delete;
    AuthProvider& operator=(const AuthProvider&) = delete;
    /// Waits until the work under way on fauth's threads has finished (no continuation on those
    /// threads can then be using the provider); its threads stop on whichever thread lets go of
    /// its state last, which is never one of them.
    ~AuthProvider() { core_->in_flight.wait_idle(); }

    /// The user whose login name is `identifier` and whose password is `password`.
    /// Rejects with InvalidCredentials (unknown user, wrong password, no password set),
    /// InactiveUser (right password, deactivated user), Unavailable (password queue full) or
    /// InternalError (loader failure). bcrypt runs on the provider's worker pool, never on the
    /// calling thread, and an unknown user costs one bcrypt check too.
    UserPromise authenticate(std::string identifier, std::string password) const {
        static_assert(has_password_hash<User>, "fauth: authenticate needs User::hashed_password or user_traits<User>::hashed_password");
        if (!core_->identity_loader) return UserPromise::rejected(InternalError("authenticate needs an identity_loader"));
        auto [promise, settler] = detail::Settler<User>::make();
        // Waits for your loader (on your thread): it may hold the provider's state.
        core_->identity_loader(identifier).then(
            [settler = settler, core = core_, password = std::move(password)](const std::optional<User>& found) mutable {
                // The task holds what it needs, never the provider's state (which owns the pool).
                auto check = [settler, token = core->in_flight.enter(), dummy = core->dummy_hash, rehash = core->rehash, cost = core->codec.config().bcrypt_cost,
                              config = rehash_log_config(*core), password = std::move(password), user = found]() mutable {
                    const auto hash = user ? user_password_hash(*user) : std::nullopt;
                    const bool usable = hash && bcrypt_cost(*hash).has_value();
                    const bool match = verify_password(password, usable ? *hash : *dummy);  // always one bcrypt
                    // A right password under a hash weaker than the configured cost is hashed
                    // again, while the plain text is still at hand, and handed to the application.
                    std::optional<std::string> upgraded;
                    if (usable && match && rehash && user_is_active(*user) && fauth::needs_rehash(*hash, cost)) {
                        try {
                            upgraded = hash_password(password, cost);
                        } catch (...) {
                            // keep the old hash; the login itself is unaffected
                        }
                    }
                    OPENSSL_cleanse(password.data(), password.size());
                    if (!usable || !match) return settler->reject(InvalidCredentials());
                    if (!user_is_active(*user)) return settler->reject(InactiveUser());
                    if (upgraded) {
                        try {
                            rehash(*user, *hash, *upgraded);
                        } catch (const std::exception& e) {
                            if (config) config->write_log(std::string("password rehash failed: ") + e.what());
                        }
                    }
                    settler->resolve(std::move(*user));
                };

                if (!core->pool.try_submit(std::move(check))) settler->reject(Unavailable("password worker queue is full"));
            },
            [settler = settler](std::exception_ptr e) { settler->reject_from(e, "identity_loader"); });
        return std::move(promise);
    }

    /// A new session for `sub`: an access and a refresh token sharing a fresh family id, both
    /// carrying `scopes` and `extra` claims. Throws std::invalid_argument if `extra` is not an
    /// object or names a registered claim.
    TokenResponse login(std::string sub, std::vector<std::string> scopes = {},
                        nlohmann::json extra = nlohmann::json::object()) const {
        auto access = core_->codec.make_payload(TokenType::access, std::move(sub), std::move(scopes), std::move(extra));
        access.family = random_id();
        return core_->issue_pair(std::move(access));
    }

    /// The payload of `token` if it is a valid token of `expected` type; throws TokenExpired or
    /// InvalidToken otherwise. Revocation is not consulted (see resolve_user and load_user).
    TokenPayload verify(std::string_view token, TokenType expected = TokenType::access) const {
        return core_->codec.verify(token, expected);
    }

    /// verify, for a token whose `kid` the key ring does not know yet: the ring is asked once to
    /// refresh (a JWKS ring fetches its issuer's keys, at a limited rate) and the token is
    /// verified again. Rejects with InvalidToken or TokenExpired.
    Pistache::Async::Promise<TokenPayload> verify_refreshing(std::string token, TokenType expected = TokenType::access) const {
        using Result = Pistache::Async::Promise<TokenPayload>;
        try {
            return Result::resolved(core_->codec.verify(token, expected));
        } catch (const UnknownKeyId& e) {
            const auto& ring = core_->codec.config().keys;
            if (!ring) return Result::rejected(e);
            auto [promise, settler] = detail::Settler<TokenPayload>::make();
            // The fetch settles on the key ring's I/O thread; the token is verified again (and what
            // is chained to it, your loader and handler, runs) on a worker of the provider's pool.
            // The provider waits for both.
            ring->refresh_for(e.kid(), [settler = settler, core = core_.get(), in_flight = core_->in_flight.enter(),
                                        token = std::move(token), expected](bool) {
                auto verify = [settler, core, in_flight, token, expected] {
                    try {
                        settler->resolve(core->codec.verify(token, expected));
                    } catch (...) {
                        settler->reject_from(std::current_exception(), "token");
                    }
                };
                if (!core->pool.try_submit(std::move(verify))) settler->reject(Unavailable("password worker queue is full"));
            });
            return std::move(promise);
        } catch (const TokenExpired& e) {
            return Result::rejected(e);
        } catch (const InvalidToken& e) {
            return Result::rejected(e);
        }
    }

    /// The active user an access token names. Rejects with InvalidToken or TokenExpired (bad
    /// token; refresh and other token types are never accepted; "token revoked"), UserNotFound,
    /// InactiveUser, or InternalError when the user_loader fails.
    UserPromise resolve_user(std::string_view token) const {
        return with_verified<User>(token, TokenType::access, [this](TokenPayload payload) { return load_user(payload); });
    }

    /// The active user a verified token names: the revocation store is asked first (one question
    /// covering the jti, the family and revoke_all), then the user_loader. Rejects as resolve_user.
    UserPromise load_user(const TokenPayload& payload) const {
        auto [promise, settler] = detail::Settler<User>::make();
        const RevocationQuery query{payload.jti, payload.family, payload.sub, payload.iat};
        core_->store->is_revoked(query).then(
            [settler = settler, core = core_.get(), token = core_->in_flight.enter(), payload](bool revoked) {
                if (revoked) return settler->reject(InvalidToken("token revoked"));
                core->load_active(payload, settler);
            },
            [settler = settler](std::exception_ptr e) { settler->reject_from(e, "revocation store"); });
        return std::move(promise);
    }

    /// load_user without a promise, when the store and the user_loader both answer at once (the
    /// memory store and a synchronous loader): calls `on_user(const User&)` or
    /// `on_failure(std::exception_ptr)` (the errors load_user rejects with) on this thread and
    /// returns true. Returns false, having called neither, when one of them would have to wait.
    template <class OnUser, class OnFailure>
    bool load_user_at_once(const TokenPayload& payload, OnUser&& on_user, OnFailure&& on_failure) const {
        if (!core_->user_loader_at_once) return false;
        const auto revoked = core_->store->revoked_at_once({payload.jti, payload.family, payload.sub, payload.iat});
        if (!revoked) return false;
        if (*revoked) {
            on_failure(std::make_exception_ptr(InvalidToken("token revoked")));
            return true;
        }
        std::optional<User> user;
        try {
            user = core_->user_loader_at_once(payload);
        } catch (...) {
            on_failure(detail::concrete_error(std::current_exception(), "user_loader"));
            return true;
        }
        if (auto refused = unusable(user)) on_failure(std::move(refused));
        else on_user(*user);
        return true;
    }

    /// A new token pair for the session of `refresh_token`, keeping its scopes, extra claims and
    /// family; the old refresh token is used up. Presenting a used refresh token again is reuse:
    /// it is refused and its whole family revoked, so a stolen token and every token descending
    /// from it stop working. Rejects with InvalidToken ("refresh token reuse detected", "token
    /// revoked"), TokenExpired, UserNotFound, InactiveUser, Unavailable or InternalError.
    Pistache::Async::Promise<TokenResponse> refresh(std::string_view refresh_token) const {
        return with_verified<TokenResponse>(refresh_token, TokenType::refresh, [this](TokenPayload payload) {
            return refresh_verified(std::move(payload));
        });
    }

    /// Ends the session of `access_token`: the token itself and its refresh family are revoked.
    /// Rejects with InvalidToken or TokenExpired for a bad token, Unavailable when the store
    /// cannot record it.
    Pistache::Async::Promise<void> logout(std::string_view access_token) const {
        return with_verified<void>(access_token, TokenType::access, [this](TokenPayload payload) {
            return logout_verified(std::move(payload));
        });
    }

    /// Ends every session of `sub` (after a password change, say): every token issued before
    /// this second is revoked. Tokens issued later in the same second survive.
    Pistache::Async::Promise<void> revoke_all(std::string sub) const {
        const auto now = core_->now();
        config_().report({.type = SecurityEventType::revoked, .reason = "revoke_all", .subject = sub});
        return core_->tracked(core_->store->revoke_subject(std::move(sub), now, now + config_().refresh_token_ttl.count()), "revocation store");
    }

    /// A bcrypt hash of `password` at the configured cost, computed on the worker pool.
    /// Rejects with Unavailable when the queue is full.
    Pistache::Async::Promise<std::string> hash_password_async(std::string password) const {
        auto [promise, settler] = detail::Settler<std::string>::make();
        auto task = [settler = settler, token = core_->in_flight.enter(), cost = config_().bcrypt_cost, password = std::move(password)]() mutable {
            try {
                auto hashed = hash_password(password, cost);
                OPENSSL_cleanse(password.data(), password.size());
                settler->resolve(std::move(hashed));
            } catch (...) {
                settler->reject_from(std::current_exception(), "hash_password");
            }
        };
        if (!core_->pool.try_submit(std::move(task))) settler->reject(Unavailable("password worker queue is full"));
        return std::move(promise);
    }

    /// True when `stored_hash` is below the configured bcrypt cost (or not bcrypt) and should be
    /// replaced after the next successful login.
    bool needs_rehash(std::string_view stored_hash) const noexcept {
        return fauth::needs_rehash(stored_hash, config_().bcrypt_cost);
    }

    /// A password-reset token for `user`, bound to its current password hash: once the password
    /// changes, the token is dead even before it expires.
    std::string create_password_reset_token(const User& user) const {
        const auto hash = user_password_hash(user);
        return core_->codec.issue(TokenType::password_reset, user_id(user), {},
                                  nlohmann::json{{kResetBinding, core_->codec.fingerprint(hash.value_or(""))}});
    }

    /// The active user a password-reset token was made for, if the password has not changed
    /// since. Rejects with InvalidToken (also "password already changed"), TokenExpired,
    /// UserNotFound, InactiveUser or InternalError.
    UserPromise verify_password_reset_token(std::string_view token) const {
        return with_verified<User>(token, TokenType::password_reset, [this](TokenPayload payload) {
            return reset_user(std::move(payload));
        });
    }

    /// An email-verification token for `user` carrying `email` in its `email` claim; read it back
    /// with verify(token, TokenType::email_verification).extra["email"].
    std::string create_email_verification_token(const User& user, std::string_view email) const {
        return core_->codec.issue(TokenType::email_verification, user_id(user), {}, nlohmann::json{{"email", email}});
    }

    /// Route guards (include fauth/http/guard.hpp). Each returns a fauth::http::Endpoint that
    /// Pistache can route to: it reads `Authorization: Bearer <token>`, resolves the user through
    /// the user_loader without blocking the reactor, and calls `handler(request, writer, user)`;
    /// every failure is answered in FAuth's format (401, 403, 500 or 503 with {"detail": ...}).
    ///
    /// An active user with a valid access token. (Inactive users are refused by every guard.)
    template <class Handler>
    auto require_user(Handler handler) const {
        return http::GuardBuilder<User>::required(*this, {}, std::move(handler));
    }
    /// The same guard as require_user, under FAuth's explicit name.
    template <class Handler>
    auto require_active_user(Handler handler) const {
        return http::GuardBuilder<User>::required(*this, {}, std::move(handler));
    }
    /// An active user with `roles` (all of them, or any with Match::any): else 403 "Missing role: x".
    template <class Handler>
    auto require_roles(std::vector<std::string> roles, Handler handler, Match match = Match::all) const {
        return http::GuardBuilder<User>::required(*this, AccessRule{std::move(roles), match, {}, Match::all}, std::move(handler));
    }
    /// An active user with `permissions`: else 403 "Insufficient permissions: requires x permission".
    template <class Handler>
    auto require_permissions(std::vector<std::string> permissions, Handler handler, Match match = Match::all) const {
        return http::GuardBuilder<User>::required(*this, AccessRule{{}, Match::all, std::move(permissions), match},
                                                  std::move(handler));
    }
    /// An active user meeting `rule` (roles and permissions together).
    template <class Handler>
    auto require_access(AccessRule rule, Handler handler) const {
        return http::GuardBuilder<User>::required(*this, std::move(rule), std::move(handler));
    }
    /// Anyone: `handler(request, writer, const User*)` gets the user of a valid token, or null.
    template <class Handler>
    auto optional_user(Handler handler) const {
        return http::GuardBuilder<User>::optional(*this, std::move(handler));
    }

    /// The token codec (signing and verification) the provider uses.
    const TokenCodec& tokens() const noexcept { return core_->codec; }
    /// The validated configuration.
    const AuthConfig& config() const noexcept { return config_(); }
    /// The revocation store (the configured one, or the in-memory default).
    RevocationStore& revocation_store() const noexcept { return *core_->store; }
    /// Where login attempts are counted (the configured throttle, or the in-memory default).
    Throttle& login_throttle() const noexcept { return *core_->throttle; }
    /// Counts one attempt under `key` in login_throttle(); the provider waits for it (and for what
    /// the caller chains to it) before it is destroyed.
    Pistache::Async::Promise<ThrottleDecision> throttle_login(const std::string& key, const RateLimit& limit) const {
        return core_->tracked(core_->throttle->hit(key, limit), "login throttle");
    }

private:
    static constexpr const char* kResetBinding = "pwd_fp";

    // Everything operations need. Continuations that run on fauth's own threads (store, password
    // and key-fetching threads) point to it without owning it, each holding an in_flight token that
    // the provider's destructor waits for; only continuations waiting for your loaders (which run on
    // your threads) share ownership of it. So it is never destroyed on a thread it owns.
    struct Core : std::enable_shared_from_this<Core> {
        explicit Core(AuthConfig config)
            : codec(std::move(config)),
              store(codec.config().revocation_store
                        ? codec.config().revocation_store
                        : std::make_shared<MemoryRevocationStore>(MemoryRevocationStore::Options{.clock = codec.config().clock})),
              throttle(codec.config().login_throttle
                           ? codec.config().login_throttle
                           : std::make_shared<MemoryThrottle>(MemoryThrottle::Options{.clock = codec.config().clock})),
              pool(codec.config().worker_threads, codec.config().worker_queue_capacity, codec.config().worker_nice, "fauth-password") {}

        TokenCodec codec;
        UserLoader user_loader;
        std::function<std::optional<User>(const TokenPayload&)> user_loader_at_once;  // empty for promise loaders
        IdentityLoader identity_loader;
        std::shared_ptr<const std::string> dummy_hash;
        RehashHandler rehash;
        std::shared_ptr<RevocationStore> store;
        std::shared_ptr<Throttle> throttle;
        WorkerPool pool;
        detail::InFlight in_flight;

        // `promise`, as a promise whose continuations run while this provider waits for them.
        template <class T>
        Pistache::Async::Promise<T> tracked(Pistache::Async::Promise<T> promise, const char* context) const {
            auto [result, settler] = detail::Settler<T>::make();
            auto on_error = [settler = settler, token = in_flight.enter(), context](std::exception_ptr e) {
                settler->reject_from(e, context);
            };
            if constexpr (std::is_void_v<T>)
                promise.then([settler = settler, token = in_flight.enter()] { settler->resolve(); }, on_error);
            else
                promise.then([settler = settler, token = in_flight.enter()](const T& value) { settler->resolve(value); }, on_error);
            return std::move(result);
        }

        std::int64_t now() const {
            return unix_seconds(codec.config().clock);
        }
        // Until when a family revocation must be kept: no token of the family can outlive it.
        std::int64_t family_expiry() const { return now() + codec.config().refresh_token_ttl.count(); }

        // An access/refresh pair from an access payload, in `family` (or the payload's own).
        TokenResponse issue_pair(TokenPayload access, std::string family = {}) const {
            if (!family.empty()) access.family = std::move(family);
            auto refresh = codec.make_payload(TokenType::refresh, access.sub, access.scopes, access.extra);
            refresh.family = access.family;
            TokenResponse response;
            response.access_token = codec.sign(access);
            response.refresh_token = codec.sign(refresh);
            response.expires_in = codec.config().access_token_ttl.count();
            return response;
        }

        // Loads the user `payload` names through the user_loader and settles `settler` with it if
        // it exists and is active.
        void load_active(const TokenPayload& payload, const std::shared_ptr<detail::Settler<User>>& settler) const {
            user_loader(payload).then(
                [settler](const std::optional<User>& user) {
                    if (auto refused = unusable(user)) settler->reject_from(std::move(refused), "user_loader");
                    else settler->resolve(*user);
                },
                [settler](std::exception_ptr e) { settler->reject_from(e, "user_loader"); });
        }

        // A used refresh token came back: revoke its family, tell the logs, refuse.
        template <class Settler>
        void reuse_detected(const TokenPayload& payload, const std::shared_ptr<Settler>& settler,
                            const detail::InFlight::Token& token) const {
            codec.config().report({.type = SecurityEventType::refresh_reuse,
                                   .reason = "refresh token reuse detected; session family revoked",
                                   .subject = payload.sub});
            store->revoke_family(payload.family, family_expiry())
                .then([settler, token]() { settler->reject(InvalidToken("refresh token reuse detected")); },
                      [settler, token](std::exception_ptr e) { settler->reject_from(e, "revocation store"); });
        }
    };

    // refresh, once the refresh token has been verified.
    Pistache::Async::Promise<TokenResponse> refresh_verified(TokenPayload payload) const {
        using Result = Pistache::Async::Promise<TokenResponse>;
        if (payload.family.empty()) return Result::rejected(InvalidToken("refresh token has no session family"));
        auto [promise, settler] = detail::Settler<TokenResponse>::make();
        const RevocationQuery query{payload.jti, payload.family, payload.sub, payload.iat};
        const auto token = core_->in_flight.enter();
        auto on_error = [settler = settler, token](std::exception_ptr e) { settler->reject_from(e, "revocation store"); };
        core_->store->is_revoked(query).then(
            [settler = settler, core = core_.get(), token, payload, on_error](bool revoked) {
                if (revoked) return settler->reject(InvalidToken("token revoked"));
                core->store->mark_used(payload.jti, payload.exp).then(
                    [settler, core, token, payload](bool first_use) {
                        if (!first_use) return core->reuse_detected(payload, settler, token);
                        auto [user, user_settler] = detail::Settler<User>::make();
                        core->load_active(payload, user_settler);
                        // Settled by your user_loader, on your thread: this one may own the state.
                        user.then(
                            [settler, core = core->shared_from_this(), payload](const User&) {
                                try {
                                    settler->resolve(core->issue_pair(core->codec.make_payload(
                                        TokenType::access, payload.sub, payload.scopes, payload.extra), payload.family));
                                } catch (...) {
                                    settler->reject_from(std::current_exception(), "refresh");
                                }
                            },
                            [settler](std::exception_ptr e) { settler->reject_from(e, "user_loader"); });
                    },
                    on_error);
            },
            on_error);
        return std::move(promise);
    }

    // logout, once the access token has been verified.
    Pistache::Async::Promise<void> logout_verified(TokenPayload payload) const {
        auto [promise, settler] = detail::Settler<void>::make();
        const auto token = core_->in_flight.enter();
        auto on_error = [settler = settler, token](std::exception_ptr e) { settler->reject_from(e, "revocation store"); };
        core_->codec.config().report({.type = SecurityEventType::revoked, .reason = "logout", .subject = payload.sub});
        auto revoke_family = [settler = settler, core = core_.get(), token, family = payload.family, on_error]() {
            if (family.empty()) return settler->resolve();
            core->store->revoke_family(family, core->family_expiry()).then([settler, token]() { settler->resolve(); }, on_error);
        };
        core_->store->revoke_token(payload.jti, payload.exp).then(revoke_family, on_error);
        return std::move(promise);
    }

    // verify_password_reset_token, once the token has been verified.
    UserPromise reset_user(TokenPayload payload) const {
        const auto bound = payload.extra.find(kResetBinding);
        if (bound == payload.extra.end() || !bound->is_string())
            return UserPromise::rejected(InvalidToken("reset token is not bound to a password"));
        auto [promise, settler] = detail::Settler<User>::make();
        // Settled by your user_loader, on your thread: this one may own the state.
        load_user(payload).then(
            [settler = settler, core = core_, expected = bound->template get<std::string>()](const User& user) {
                const auto current = core->codec.fingerprint(user_password_hash(user).value_or(""));
                if (current.size() != expected.size() || CRYPTO_memcmp(current.data(), expected.data(), current.size()) != 0)
                    settler->reject(InvalidToken("password already changed"));
                else settler->resolve(user);
            },
            [settler = settler](std::exception_ptr e) { settler->reject_from(e, "user_loader"); });
        return std::move(promise);
    }

    const AuthConfig& config_() const noexcept { return core_->codec.config(); }

    // Why a loaded user cannot be signed in (UserNotFound, InactiveUser), or null when it can.
    static std::exception_ptr unusable(const std::optional<User>& user) {
        if (!user) return std::make_exception_ptr(UserNotFound());
        if (!user_is_active(*user)) return std::make_exception_ptr(InactiveUser());
        return nullptr;
    }

    // `next(payload)` for the verified payload of `token`, or a promise rejected with the reason
    // it is not a valid token of `type` (InvalidToken or TokenExpired).
    template <class T, class Next>
    Pistache::Async::Promise<T> with_verified(std::string_view token, TokenType type, Next next) const {
        TokenPayload payload;
        try {
            payload = core_->codec.verify(token, type);
        } catch (const UnknownKeyId&) {
            auto [promise, settler] = detail::Settler<T>::make();
            verify_refreshing(std::string(token), type)
                .then(
                    [settler = settler, in_flight = core_->in_flight.enter(), next](TokenPayload verified) mutable {
                        auto on_error = [settler](std::exception_ptr e) { settler->reject_from(e, "token"); };
                        if constexpr (std::is_void_v<T>)
                            next(std::move(verified)).then([settler] { settler->resolve(); }, on_error);
                        else
                            next(std::move(verified)).then([settler](const T& value) { settler->resolve(value); }, on_error);
                    },
                    [settler = settler, in_flight = core_->in_flight.enter()](std::exception_ptr e) { settler->reject_from(e, "token"); });
            return std::move(promise);
        } catch (const TokenExpired& e) {
            return Pistache::Async::Promise<T>::rejected(e);
        } catch (const InvalidToken& e) {
            return Pistache::Async::Promise<T>::rejected(e);
        }
        return next(std::move(payload));
    }

    // A copy of the configuration for logging rehash failures, only when there is a rehash handler.
    static std::shared_ptr<const AuthConfig> rehash_log_config(const Core& core) {
        return core.rehash ? std::make_shared<const AuthConfig>(core.codec.config()) : nullptr;
    }


    std::shared_ptr<Core> core_;
};

}  // namespace fauth
