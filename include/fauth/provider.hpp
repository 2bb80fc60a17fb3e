// fauth/provider.hpp — AuthProvider<User>: turns credentials into tokens and tokens into users,
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
#include <openssl/rand.h>
#include <pistache/async.h>

#include "fauth/access.hpp"
#include "fauth/config.hpp"
#include "fauth/detail/promise.hpp"
#include "fauth/errors.hpp"
#include "fauth/password.hpp"
#include "fauth/token.hpp"
#include "fauth/user_traits.hpp"
#include "fauth/worker_pool.hpp"

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

}  // namespace detail

/// Authentication for one User type: passwords to users (authenticate), users to tokens (login),
/// tokens to users (resolve_user). Thread-safe; not copyable or movable, because guards refer to it.
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
    AuthProvider(AuthConfig config, UL user_loader)
        : codec_(std::move(config)),
          user_loader_(detail::adapt_loader<User, const TokenPayload&>(std::move(user_loader), "user_loader")),
          pool_(std::make_shared<WorkerPool>(codec_.config().worker_threads, codec_.config().worker_queue_capacity)) {}

    /// A provider with both loaders. Each may return LoadResult<User> or, synchronously,
    /// std::optional<User>. Throws ConfigError for an unusable config or an empty loader.
    template <class UL, class IL>
    AuthProvider(AuthConfig config, UL user_loader, IL identity_loader) : AuthProvider(std::move(config), std::move(user_loader)) {
        identity_loader_ = detail::adapt_loader<User, const std::string&>(std::move(identity_loader), "identity_loader");
        // Unknown identifiers are checked against this hash, so they cost as much as known ones.
        dummy_hash_ = std::make_shared<const std::string>(hash_password(random_password(), codec_.config().bcrypt_cost));
    }

    AuthProvider(const AuthProvider&) = delete;
    AuthProvider& operator=(const AuthProvider&) = delete;

    /// The user whose login name is `identifier` and whose password is `password`.
    /// Rejects with InvalidCredentials (unknown user, wrong password, no password set),
    /// InactiveUser (right password, deactivated user), Unavailable (password queue full) or
    /// InternalError (loader failure). bcrypt runs on the provider's worker pool, never on the
    /// calling thread, and an unknown user costs one bcrypt check too.
    UserPromise authenticate(std::string identifier, std::string password) const {
        static_assert(has_password_hash<User>, "fauth: authenticate needs User::hashed_password or user_traits<User>::hashed_password");
        if (!identity_loader_) return UserPromise::rejected(InternalError("authenticate needs an identity_loader"));
        auto [promise, settler] = detail::Settler<User>::make();
        auto loaded = identity_loader_(identifier);
        loaded.then(
            [settler = settler, pool = pool_, dummy = dummy_hash_, password = std::move(password)](const std::optional<User>& found) mutable {
                auto check = [settler, dummy, password = std::move(password), user = found]() mutable {
                    const auto hash = user ? user_password_hash(*user) : std::nullopt;
                    const bool usable = hash && bcrypt_cost(*hash).has_value();
                    const bool match = verify_password(password, usable ? *hash : *dummy);  // always one bcrypt
                    OPENSSL_cleanse(password.data(), password.size());
                    if (!usable || !match) settler->reject(InvalidCredentials());
                    else if (!user_is_active(*user)) settler->reject(InactiveUser());
                    else settler->resolve(std::move(*user));
                };
                if (!pool->try_submit(std::move(check))) settler->reject(Unavailable("password worker queue is full"));
            },
            [settler = settler](std::exception_ptr e) { settler->reject_from(e, "identity_loader"); });
        return std::move(promise);
    }

    /// A new access and refresh token pair for `sub`, both carrying `scopes` and `extra` claims.
    /// Throws std::invalid_argument if `extra` is not an object or names a registered claim.
    TokenResponse login(std::string sub, std::vector<std::string> scopes = {},
                        nlohmann::json extra = nlohmann::json::object()) const {
        TokenResponse response;
        response.access_token = codec_.issue(TokenType::access, sub, scopes, extra);
        response.refresh_token = codec_.issue(TokenType::refresh, std::move(sub), std::move(scopes), std::move(extra));
        response.expires_in = codec_.config().access_token_ttl.count();
        return response;
    }

    /// The payload of `token` if it is a valid token of `expected` type; throws TokenExpired or
    /// InvalidToken otherwise.
    TokenPayload verify(std::string_view token, TokenType expected = TokenType::access) const {
        return codec_.verify(token, expected);
    }

    /// The active user an access token names. Rejects with InvalidToken or TokenExpired (bad
    /// token; refresh and other token types are never accepted), UserNotFound, InactiveUser, or
    /// InternalError when the user_loader fails.
    UserPromise resolve_user(std::string_view token) const {
        try {
            return load_user(codec_.verify(token, TokenType::access));
        } catch (const TokenExpired& e) {
            return UserPromise::rejected(e);
        } catch (const InvalidToken& e) {
            return UserPromise::rejected(e);
        }
    }

    /// The active user `payload` names, through the user_loader; rejects as resolve_user does.
    UserPromise load_user(const TokenPayload& payload) const {
        auto [promise, settler] = detail::Settler<User>::make();
        user_loader_(payload).then(
            [settler = settler](const std::optional<User>& user) {
                if (!user) settler->reject(UserNotFound());
                else if (!user_is_active(*user)) settler->reject(InactiveUser());
                else settler->resolve(*user);
            },
            [settler = settler](std::exception_ptr e) { settler->reject_from(e, "user_loader"); });
        return std::move(promise);
    }

    /// A bcrypt hash of `password` at the configured cost, computed on the worker pool.
    /// Rejects with Unavailable when the queue is full.
    Pistache::Async::Promise<std::string> hash_password_async(std::string password) const {
        auto [promise, settler] = detail::Settler<std::string>::make();
        auto task = [settler = settler, cost = codec_.config().bcrypt_cost, password = std::move(password)]() mutable {
            try {
                auto hashed = hash_password(password, cost);
                OPENSSL_cleanse(password.data(), password.size());
                settler->resolve(std::move(hashed));
            } catch (...) {
                settler->reject_from(std::current_exception(), "hash_password");
            }
        };
        if (!pool_->try_submit(std::move(task))) settler->reject(Unavailable("password worker queue is full"));
        return std::move(promise);
    }

    /// True when `stored_hash` is below the configured bcrypt cost (or not bcrypt) and should be
    /// replaced after the next successful login.
    bool needs_rehash(std::string_view stored_hash) const noexcept {
        return fauth::needs_rehash(stored_hash, codec_.config().bcrypt_cost);
    }

    /// A password-reset token for `user`, bound to its current password hash: once the password
    /// changes, the token is dead even before it expires.
    std::string create_password_reset_token(const User& user) const {
        const auto hash = user_password_hash(user);
        return codec_.issue(TokenType::password_reset, user_id(user), {},
                            nlohmann::json{{kResetBinding, codec_.fingerprint(hash.value_or(""))}});
    }

    /// The active user a password-reset token was made for, if the password has not changed
    /// since. Rejects with InvalidToken (also "password already changed"), TokenExpired,
    /// UserNotFound, InactiveUser or InternalError.
    UserPromise verify_password_reset_token(std::string_view token) const {
        TokenPayload payload;
        try {
            payload = codec_.verify(token, TokenType::password_reset);
        } catch (const TokenExpired& e) {
            return UserPromise::rejected(e);
        } catch (const InvalidToken& e) {
            return UserPromise::rejected(e);
        }
        const auto bound = payload.extra.find(kResetBinding);
        if (bound == payload.extra.end() || !bound->is_string())
            return UserPromise::rejected(InvalidToken("reset token is not bound to a password"));
        auto [promise, settler] = detail::Settler<User>::make();
        load_user(payload).then(
            [settler = settler, codec = codec_, expected = bound->template get<std::string>()](const User& user) {
                const auto current = codec.fingerprint(user_password_hash(user).value_or(""));
                if (current.size() != expected.size() || CRYPTO_memcmp(current.data(), expected.data(), current.size()) != 0)
                    settler->reject(InvalidToken("password already changed"));
                else settler->resolve(user);
            },
            [settler = settler](std::exception_ptr e) { settler->reject_from(e, "user_loader"); });
        return std::move(promise);
    }

    /// An email-verification token for `user` carrying `email` in its `email` claim; read it back
    /// with verify(token, TokenType::email_verification).extra["email"].
    std::string create_email_verification_token(const User& user, std::string_view email) const {
        return codec_.issue(TokenType::email_verification, user_id(user), {}, nlohmann::json{{"email", email}});
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
    const TokenCodec& tokens() const noexcept { return codec_; }
    /// The validated configuration.
    const AuthConfig& config() const noexcept { return codec_.config(); }

private:
    static constexpr const char* kResetBinding = "pwd_fp";

    static std::string random_password() {
        unsigned char bytes[24];
        if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
        return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
    }

    TokenCodec codec_;
    UserLoader user_loader_;
    IdentityLoader identity_loader_;
    std::shared_ptr<const std::string> dummy_hash_;
    std::shared_ptr<WorkerPool> pool_;  // shared with pending continuations, so it outlives them
};

}  // namespace fauth
