/// @file
/// fauth/auth/provider.hpp — AuthProvider<User>: turns credentials into tokens and tokens into users,
/// through two asynchronous loader callbacks you supply.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <pistache/async.h>

#include "fauth/auth/access.hpp"
#include "fauth/auth/principal.hpp"
#include "fauth/core/api_key.hpp"
#include "fauth/auth/detail/promise.hpp"
#include "fauth/auth/engine.hpp"
#include "fauth/auth/guarded_route.hpp"
#include "fauth/auth/revocation.hpp"
#include "fauth/auth/throttle.hpp"
#include "fauth/auth/user_traits.hpp"
#include "fauth/auth/config.hpp"
#include "fauth/core/dpop.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/password.hpp"
#include "fauth/core/token.hpp"

namespace fauth {

/// What a login writes into the tokens besides the user id, computed from the user: for services
/// that verify tokens without access to the user store (see examples/two_services). Refresh
/// computes them again from the freshly loaded user, so a role taken away is gone from the next
/// token pair.
template <class User>
struct LoginClaims {
    /// The token's scopes for `user`.
    std::function<std::vector<std::string>(const User&)> scopes;
    /// Extra claims for `user` (a JSON object; registered claim names are refused).
    std::function<nlohmann::json(const User&)> extra;

    /// The scopes for `user` (none without a scopes function).
    std::vector<std::string> scopes_for(const User& user) const { return scopes ? scopes(user) : std::vector<std::string>{}; }
    /// The extra claims for `user` (none without an extra function).
    nlohmann::json extra_for(const User& user) const { return extra ? extra(user) : nlohmann::json::object(); }
};

/// What a loader resolves to: the user, or nothing when there is no such user.
template <class User>
using LoadResult = Pistache::Async::Promise<std::optional<User>>;

/// Who got through the pipeline (AuthProvider::run, run_key): the active user and what proved
/// who they are. The references are valid during the call that hands it over.
template <class User>
struct Caller {
    /// The user.
    const User& user;
    /// The verified token, or null for an API key.
    const TokenPayload* token = nullptr;
    /// The API key, or null for a token.
    const ApiKey* key = nullptr;
};

namespace detail {

template <class F>
inline constexpr bool is_nullable_callable = std::is_pointer_v<F> || std::is_member_pointer_v<F>;
template <class R, class... A>
inline constexpr bool is_nullable_callable<std::function<R(A...)>> = true;

// A loader that returns a promise (LoadResult<User>), an Outcome<std::optional<User>> or,
// synchronously, std::optional<User>, as one that returns an Outcome and never throws: a thrown
// exception or a rejection becomes its Failure (logged as `name`'s). A synchronous loader's
// outcome is ready: the pipeline goes on on this thread without allocating.
template <class User, class Arg, class F>
std::function<Outcome<std::optional<User>>(Arg)> adapt_loader(F loader, const char* name) {
    using Answer = std::decay_t<std::invoke_result_t<F&, Arg>>;
    static_assert(std::is_same_v<Answer, LoadResult<User>> || std::is_same_v<Answer, Outcome<std::optional<User>>> ||
                      std::is_convertible_v<Answer, std::optional<User>>,
                  "fauth: a loader returns std::optional<User>, Pistache::Async::Promise<std::optional<User>> or "
                  "fauth::Outcome<std::optional<User>>");
    if constexpr (is_nullable_callable<F>) {
        if (!static_cast<bool>(loader)) throw ConfigError(std::string("AuthProvider: the ") + name + " is empty");
    }
    return [loader = std::move(loader), name](Arg arg) mutable -> Outcome<std::optional<User>> {
        try {
            if constexpr (std::is_same_v<Answer, LoadResult<User>>)
                return to_outcome(loader(arg), name);
            else if constexpr (std::is_same_v<Answer, Outcome<std::optional<User>>>)
                return loader(arg);
            else
                return std::optional<User>(loader(arg));
        } catch (...) {
            return failure_of(std::current_exception(), name);
        }
    };
}

// The bind step (AuthProvider::run) of a pipeline that has no request to check a token's holder
// against (resolve_user, load_user, refresh and logout called without a check): a token bound to
// its holder (a DPoP key, a certificate) is refused there, since nothing can prove the holder.
struct NoCheck {
    Outcome<void> operator()(const TokenPayload& token) const {
        if (holder_bound(token)) return InvalidToken("a bound token where no proof or certificate can be checked").failure();
        return {};
    }
};

// What a check returns, as the bind step's outcome: an Outcome<void> as it is, an optional refusal ready.
inline Outcome<void> as_outcome(Outcome<void> outcome) noexcept { return outcome; }
inline Outcome<void> as_outcome(std::optional<Failure> refused) {
    if (refused) return std::move(*refused);
    return {};
}

// One request's way through the pipeline: its finish stays where run put it (on the caller's
// stack) while every step answers at once, and moves to the heap, suspend() first, at the first
// step that must wait.
template <class Finish>
class Journey {
public:
    explicit Journey(Finish& finish) noexcept : finish_(&finish) {}
    Finish& finish() noexcept { return *finish_; }

    // Calls `next(journey, Result<T>)`: now when `outcome` is ready; else once it settles.
    template <class T, class Next>
    void after(Outcome<T> outcome, Next next) {
        if (outcome.ready()) return next(*this, std::move(outcome.result()));
        if (!kept_) {
            if constexpr (requires { finish_->suspend(); }) finish_->suspend();
            kept_ = std::make_shared<Finish>(std::move(*finish_));
            finish_ = kept_.get();
        }
        std::move(outcome).then(
            [journey = *this, next = std::move(next)](Result<T> result) mutable { next(journey, std::move(result)); });
    }

private:
    Finish* finish_;
    std::shared_ptr<Finish> kept_;  // once a step waited
};

}  // namespace detail

/// Authentication for one User type: passwords to users (authenticate), users to tokens (login),
/// tokens to users (resolve_user), and sessions that can end (refresh, logout, revoke_all). A
/// typed façade over fauth::Engine (compiled once); what depends on User is here: the loaders
/// and the pipeline that ends with them.
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
    /// Finds the user a verified token names (by its `sub`), now or later.
    using UserLoader = std::function<Outcome<std::optional<User>>(const TokenPayload&)>;
    /// Finds a user by login name, for authenticate, now or later.
    using IdentityLoader = std::function<Outcome<std::optional<User>>(const std::string&)>;

    /// A provider with only a user loader: it verifies tokens but cannot authenticate passwords.
    /// Throws ConfigError for an unusable config or an empty loader.
    template <class UL>
    AuthProvider(AuthConfig config, UL user_loader) : core_(std::make_shared<Core>(std::move(config))) {
        core_->user_loader = detail::adapt_loader<User, const TokenPayload&>(std::move(user_loader), "user_loader");
    }

    /// A provider with both loaders. Each may return LoadResult<User>, Outcome<std::optional<User>>
    /// or, synchronously, std::optional<User>. Throws ConfigError for an unusable config or an empty loader.
    template <class UL, class IL>
    AuthProvider(AuthConfig config, UL user_loader, IL identity_loader)
        : AuthProvider(std::move(config), std::move(user_loader)) {
        core_->identity_loader = detail::adapt_loader<User, const std::string&>(std::move(identity_loader), "identity_loader");
        core_->prepare_password_checks();
    }

    /// Called after a successful login whose stored hash is below the configured bcrypt cost,
    /// with the user, the old hash and a new one of the configured cost (on a `fauth-callback`
    /// thread): store it, ideally only if the stored hash is still the old one. Failures are
    /// logged and do not affect the login.
    using RehashHandler = std::function<void(const User& user, const std::string& old_hash, const std::string& new_hash)>;

    /// Sets the rehash handler (see RehashHandler). Call before serving: it is not synchronised.
    void on_rehash(RehashHandler handler) { core_->rehash = std::move(handler); }

    /// Sets what sign_in (and so the login endpoint) writes into tokens, and what refresh computes
    /// again from the freshly loaded user (see LoginClaims). Call before serving: it is not
    /// synchronised.
    void set_login_claims(LoginClaims<User> claims) { core_->claims = std::move(claims); }

    /// Finds API keys: `loader(id)` gets a key's lookup part and returns the stored key and its
    /// owner (KeyOwner<User>, one look-up), or nothing when there is no such key; synchronously
    /// (std::optional<KeyOwner<User>>) or as a promise of one. Routes that accept Scheme::api_key
    /// need it. Call before serving: it is not synchronised. Throws ConfigError for an empty loader.
    template <class KL>
    void set_api_key_loader(KL loader) {
        core_->key_loader = detail::adapt_loader<KeyOwner<User>, const std::string&>(std::move(loader), "api_key_loader");
    }
    /// True once set_api_key_loader was called.
    bool accepts_api_keys() const noexcept { return static_cast<bool>(core_->key_loader); }
    /// Called with each API key that authenticated a request, once it matched, on the thread that
    /// then runs the handler: record its last use there (cheaply, e.g., only when the recorded time
    /// is a minute old). An exception it throws is logged; the request goes on. Call before serving.
    void on_api_key_used(std::function<void(const ApiKey&)> hook) { core_->key_used = std::move(hook); }
    /// A new API key with the configured prefix: show `key` once, store `id` and `hash`.
    NewApiKey create_api_key() const { return generate_api_key(config().api_keys.prefix); }

    AuthProvider(const AuthProvider&) = delete;
    AuthProvider& operator=(const AuthProvider&) = delete;
    /// Waits until the work under way on fauth's threads has finished (no continuation on those
    /// threads can then be using the provider); its threads stop on whichever thread lets go of
    /// its state last, which is never one of them.
    ~AuthProvider() { core_->wait_idle(); }

    /// The user whose login name is `identifier` and whose password is `password`.
    /// Rejects with InvalidCredentials (unknown user, wrong password, no password set),
    /// InactiveUser (right password, deactivated user), Unavailable (the password workers are
    /// busy for longer than AuthConfig::max_password_wait, or `client` already has
    /// max_password_checks_per_client checks pending: see Engine::check_password) or
    /// InternalError (loader failure). bcrypt runs on the provider's worker pool, never on the
    /// calling thread, and an unknown user costs the same bcrypt work; the promise settles on a
    /// `fauth-callback` thread (or, should the check finish before the thread that answered your
    /// loader has attached its continuation, on that thread), never on a password worker.
    /// `client` names who asks (the login endpoint gives the client address as throttles count
    /// it); empty: not counted.
    /// `known_device`: the client showed the device cookie of an earlier login as `identifier`,
    /// so its check goes first (Engine::check_password).
    UserPromise authenticate(std::string identifier, std::string password, std::string client = {},
                             bool known_device = false) const {
        static_assert(has_password_hash<User>,
                      "fauth: authenticate needs User::hashed_password or user_traits<User>::hashed_password");
        if (!core_->identity_loader) return UserPromise::rejected(InternalError("authenticate needs an identity_loader"));
        auto [outcome, settle] = Outcome<User>::pending();
        // Settled by your loader, on your thread: the continuation holds the provider's state.
        core_->identity_loader(identifier)
            .then([settle = settle, core = core_, password = std::move(password), client = std::move(client),
                   known_device](Result<std::optional<User>> found) mutable {
                if (!found) return settle(std::move(found).failure());
                auto hash = *found ? user_password_hash(**found) : std::nullopt;
                const bool rehash_wanted = core->rehash && *found && user_is_active(**found);
                // Settled on a fauth-callback thread, which holds the provider's state meanwhile (or
                // here, on your loader's thread, if it settled before this attaches). It holds its
                // own copy of the rehash handler: the provider may be gone by then.
                core->check_password(hash, std::move(password), rehash_wanted, client, known_device)
                    .then([settle, engine = static_cast<const Engine*>(core.get()), rehash = core->rehash,
                           user = std::move(*found), hash](Result<Engine::PasswordCheck> check) {
                        if (!check) return settle(std::move(check).failure());
                        if (!check->match) return settle(InvalidCredentials().failure());
                        if (!user_is_active(*user)) return settle(InactiveUser().failure());
                        if (check->upgraded) {
                            try {
                                rehash(*user, *hash, *check->upgraded);
                            } catch (...) {
                                engine->config().write_log(failure_of(std::current_exception(), "password rehash").log);
                            }
                        }
                        settle(*user);
                    });
            });
        return detail::to_promise(std::move(outcome));
    }

    /// A new session for `user`, whose tokens carry the claims set_login_claims computes for it:
    /// what the login endpoint does once the password is checked. With Proof::password (call it
    /// only then) its access token is fresh (`fresh: true`), which require_fresh_user demands;
    /// with Proof::none (after registration or an e-mail link, say) it is not. With `dpop_jkt`
    /// (the thumbprint of a verified DPoP proof's key), the session is bound to that key (see
    /// Engine::login): refresh then needs a proof by it.
    TokenResponse sign_in(const User& user, Engine::Proof proof = Engine::Proof::password, std::string_view dpop_jkt = {}) const {
        return core_->login(user_id(user), core_->claims.scopes_for(user), core_->claims.extra_for(user), proof, dpop_jkt);
    }

    /// sign_in, recorded in the revocation store's session list first (Engine::open_session): the
    /// outcome settles with the tokens once the record is written (at once for the memory store),
    /// or with the store's failure (Unavailable). Beyond the store's bound of sessions per user,
    /// the user's least recently refreshed session is ended to make room. `device` says where
    /// from (client address, User-Agent, a label, the origin: "password", "oidc:<provider>", and
    /// tags for RevocationStore::end_tagged). With a store that keeps no session list, the tokens
    /// are those of sign_in and nothing is recorded.
    Outcome<TokenResponse> open_session(const User& user, Engine::Proof proof, SessionDevice device,
                                        std::string_view dpop_jkt = {}) const {
        return core_->open_session(user_id(user), core_->claims.scopes_for(user), core_->claims.extra_for(user), proof,
                                   std::move(device), dpop_jkt);
    }

    /// The live sessions of the user whose id is `sub`, the most recently refreshed first: what
    /// each was opened with, when it last refreshed and from where (RevocationStore::sessions_of).
    /// Sessions begun by sign_in or login (not open_session) are not listed. Rejects with
    /// Unavailable, or InternalError for a store that keeps no session list.
    Pistache::Async::Promise<std::vector<SessionRecord>> sessions(std::string sub) const {
        return detail::to_promise(core_->sessions(std::move(sub)));
    }
    /// Ends session `id` (a family id, SessionRecord::id) of `sub`: every token of it is revoked.
    /// Resolves to false when `id` is no live session of `sub`, so a user can never end another's
    /// by id; an admin ending a user's session names that user as `sub`.
    Pistache::Async::Promise<bool> end_session(std::string sub, std::string id) const {
        return detail::to_promise(core_->end_session(std::move(sub), std::move(id)));
    }
    /// Ends every live session of `sub` but `current_id` (the caller's own: its token's family);
    /// resolves to the number ended. Sessions begun without open_session are not reached: revoke_all
    /// ends everything.
    Pistache::Async::Promise<std::size_t> end_other_sessions(std::string sub, std::string current_id) const {
        return detail::to_promise(core_->end_other_sessions(std::move(sub), std::move(current_id)));
    }
    /// Ends every live session carrying `tag` (SessionDevice::tags), whoever's: a back-channel
    /// logout's. Resolves to the number ended.
    Pistache::Async::Promise<std::size_t> end_tagged(std::string tag) const {
        return detail::to_promise(core_->end_tagged(std::move(tag)));
    }

    /// A new session for `sub` that no password check started (after registration or an e-mail
    /// link, say): an access and a refresh token sharing a new family id, both carrying `scopes`
    /// and `extra` claims; the access token is not fresh. Refreshing it computes the claims again
    /// with the functions set_login_claims set (none when it was not called), not from these
    /// arguments. Throws std::invalid_argument if `extra` is not an object or names a registered claim.
    TokenResponse login(std::string sub, std::vector<std::string> scopes = {},
                        nlohmann::json extra = nlohmann::json::object()) const {
        return core_->login(std::move(sub), std::move(scopes), std::move(extra));
    }

    /// The payload of `token` if it is a valid token of `expected` type; throws TokenExpired or
    /// InvalidToken otherwise. Revocation is not consulted (see resolve_user and load_user).
    TokenPayload verify(std::string_view token, TokenType expected = TokenType::access) const {
        return core_->codec().verify(token, expected);
    }

    /// verify, for a token whose `kid` the key ring does not know yet: the ring is asked once to
    /// refresh (a JWKS ring fetches its issuer's keys, at a limited rate) and the token is
    /// verified again. Rejects with InvalidToken or TokenExpired.
    Pistache::Async::Promise<TokenPayload> verify_refreshing(std::string token, TokenType expected = TokenType::access) const {
        return detail::to_promise(core_->verify(token, expected));
    }

    /// The pipeline every way in takes (the guards, optional_user, resolve_user, refresh, logout,
    /// password reset), as one chain: verify `token` as a `type` token (signature first) → the
    /// finish's `bind(const TokenPayload&)` step, if it has one (a scheme's check: CSRF, a DPoP
    /// proof; the Outcome<void> it returns, now or later, refuses the token if it fails) → the revocation store (for a refresh token also its session
    /// lifetime and throttle) → the user_loader → `finish(Result<Caller<User>>)`, called once:
    /// the active user and its token, or the failure (InvalidToken, TokenExpired, SessionExpired,
    /// Throttled, UserNotFound, InactiveUser, Unavailable, InternalError). Each step that
    /// answers at once (the memory store, a synchronous loader) runs on this thread with no
    /// promise and no allocation. At the first that must wait, `finish.suspend()` is called, if it
    /// has one, on this thread (keep there what finish will need, e.g. a copy of the request), and
    /// the rest runs where that step settles: a store's callback thread, a `fauth-callback`
    /// thread after a key fetch, or the thread that settles your loader's promise.
    template <class Finish>
    void run(std::string_view token, TokenType type, Finish finish) const {
        detail::Journey<Finish> journey(finish);
        journey.after(core_->verify(token, type), [core = core_.get(), type](auto& on, Result<TokenPayload> verified) {
            if (!verified) return on.finish()(std::move(verified).failure());
            if constexpr (requires { on.finish().bind(*verified); }) {
                auto bound = bind_step(on.finish(), *verified);
                // A check that waits (a shared replay cache) is work under way: ~AuthProvider waits for it.
                if (!bound.ready())
                    return on.after(core->tracked(std::move(bound)),
                                    [core, type, payload = std::move(*verified)](auto& next, Result<void> answer) mutable {
                                        if (!answer) return next.finish()(std::move(answer).failure());
                                        core->check_and_load(next, payload, type);
                                    });
                if (!bound.result()) return on.finish()(std::move(bound.result()).failure());
            }
            core->check_and_load(on, verified.value(), type);
        });
    }

    /// The pipeline of a request that presents API key `key`: its form (prefix, lookup part) →
    /// the api_key_loader, once, by the lookup part → Engine::check_api_key (its hash in constant
    /// time, revocation, expiry, owner) → the owner active → the on_api_key_used hook →
    /// `finish(Result<Caller<User>>)` (with the key), as run says. Failures: InvalidApiKey,
    /// InactiveUser, InternalError (no api_key_loader, a loader failure).
    template <class Finish>
    void run_key(std::string_view key, Finish finish) const {
        const auto id = api_key_id(key, config().api_keys.prefix);
        if (!id) return finish(InvalidApiKey("malformed").failure());
        if (!core_->key_loader) return finish(InternalError("an API key came, but no api_key_loader is set").failure());
        auto found = core_->key_loader(std::string(*id));
        // Settled by your loader, on your thread: then the continuation holds the provider's
        // state, and its own copy of the key.
        std::shared_ptr<const Core> owner;
        std::shared_ptr<const std::string> kept;
        if (!found.ready()) {
            owner = core_;
            kept = std::make_shared<const std::string>(key);
            key = *kept;
        }
        detail::Journey<Finish> journey(finish);
        journey.after(std::move(found),
                      [core = core_.get(), owner, kept, key](auto& on, Result<std::optional<KeyOwner<User>>> answer) {
                          core->accept_key(on.finish(), key, answer);
                      });
    }

    /// The active user an access token names. Rejects with InvalidToken or TokenExpired (bad
    /// token; refresh and other token types are never accepted; "token revoked"; a token bound to
    /// its holder, a DPoP key or a certificate, which cannot be proved here), UserNotFound,
    /// InactiveUser, or InternalError when the user_loader fails.
    UserPromise resolve_user(std::string_view token) const {
        return detail::to_promise(
            run_then<User>(token, TokenType::access, [](const Caller<User>& caller, const Engine&) { return caller.user; }));
    }

    /// The active user a verified token names: the revocation store is asked first (one question
    /// covering the jti, the family and revoke_all), then the user_loader. Rejects as resolve_user.
    UserPromise load_user(const TokenPayload& payload) const {
        if (auto refused = detail::NoCheck{}(payload); refused.ready() && !refused.result())
            return UserPromise::rejected(InvalidToken(std::move(refused.result()).failure()));
        auto [outcome, settle] = Outcome<User>::pending();
        Then<User, ReturnUser> finish{settle, {}, {}, core_.get()};
        detail::Journey<decltype(finish)> journey(finish);
        TokenPayload kept = payload;
        core_->check_and_load(journey, kept, TokenType::access);
        return detail::to_promise(std::move(outcome));
    }

    /// The active user whose id is `sub`, for a sign-in that proved who they are another way (a
    /// passkey): load_user with a payload naming `sub`, issued now. Rejects as load_user.
    UserPromise load_subject(std::string sub) const {
        TokenPayload payload;
        payload.sub = std::move(sub);
        payload.iat_us = unix_microseconds(config().tokens.clock);
        payload.iat = second_of(payload.iat_us);
        payload.exp = payload.iat + 60;
        payload.jti = random_token_id();
        return load_user(payload);
    }

    /// A new token pair for the session of `refresh_token`: same family and session start, with
    /// the claims of set_login_claims computed again from the user as loaded now; the old refresh
    /// token is used up. Presenting a used refresh token again is reuse: it is refused and its
    /// whole family revoked, so a stolen token and every token descending from it stop working.
    /// Rejects with InvalidToken ("refresh token reuse detected", "token revoked"), TokenExpired,
    /// SessionExpired (the session is older than AuthConfig::session_lifetime), Throttled (the
    /// session's refresh budget is spent), UserNotFound, InactiveUser, Unavailable or InternalError.
    /// `check(const TokenPayload&)` is called once the token is verified, before anything is
    /// counted or written (a refresh by cookie: its CSRF checks); a Failure it returns (an
    /// optional one, or an Outcome<void>, now or later) refuses it.
    /// Without a check, a token bound to its holder (a DPoP key, a certificate) is refused; a check
    /// of yours takes that on (refresh_endpoint's proves the DPoP key).
    /// `client` (the client address as throttles count it; refresh_endpoint gives it) is recorded
    /// as the session's last client, with the time, when the store keeps a session list.
    template <class Check = detail::NoCheck>
    Pistache::Async::Promise<TokenResponse> refresh(std::string_view refresh_token, Check check = {},
                                                    std::string client = {}) const {
        // The claims (your functions) are computed before the token is used up: if they throw, the
        // client may retry with the same token.
        return detail::to_promise(run_then<TokenResponse>(
            refresh_token, TokenType::refresh,
            [claims = core_->claims, client = std::move(client)](const Caller<User>& caller, const Engine& engine) {
                return engine.rotate(*caller.token, claims.scopes_for(caller.user), claims.extra_for(caller.user), client);
            },
            std::move(check)));
    }

    /// Ends the session of `token`, a `type` token (an access token, or the refresh token of a
    /// browser session whose access cookie has expired): its whole family is revoked. Rejects with
    /// InvalidToken or TokenExpired for a bad (or already revoked or used) token, UserNotFound or
    /// InactiveUser, Unavailable when the store cannot record it.
    /// `check` as for refresh (a logout by cookie: its CSRF checks).
    template <class Check = detail::NoCheck>
    Pistache::Async::Promise<void> logout(std::string_view token, TokenType type = TokenType::access, Check check = {}) const {
        return detail::to_promise(run_then<void>(
            token, type, [](const Caller<User>& caller, const Engine& engine) { return engine.end_session(*caller.token); },
            std::move(check)));
    }

    /// Ends every session of `sub` (after a password change, say): every token issued up to the
    /// call, to the microsecond, is revoked; a token this provider issues after it returns is not,
    /// however close in time. "Up to the call" is read on the revocation store's clock (Redis:
    /// `TIME`), or this provider's when later, so that processes sharing a store agree whichever
    /// calls; a token is judged by the clock of the process that issued it (see
    /// RevocationStore::revoke_subject_now). (A token from an older fauth, without `iat_us`,
    /// counts as issued at the start of its second.)
    Pistache::Async::Promise<void> revoke_all(std::string sub) const {
        return detail::to_promise(core_->revoke_all(std::move(sub)));
    }

    /// A bcrypt hash of `password` at the configured cost, computed on the worker pool.
    /// Rejects with Unavailable when the queue is full.
    Pistache::Async::Promise<std::string> hash_password_async(std::string password) const {
        return detail::to_promise(core_->hash_password(std::move(password)));
    }

    /// True when `stored_hash` is below the configured bcrypt cost (or not bcrypt) and should be
    /// replaced after the next successful login.
    bool needs_rehash(std::string_view stored_hash) const noexcept {
        return fauth::needs_rehash(stored_hash, config().bcrypt_cost);
    }

    /// A password-reset token for `user`, bound to its current password hash: once the password
    /// changes, the token is dead even before it expires.
    std::string create_password_reset_token(const User& user) const {
        return core_->password_reset_token(user_id(user), user_password_hash(user).value_or(""));
    }

    /// The active user a password-reset token was made for, if the password has not changed
    /// since. Rejects with InvalidToken (also "password already changed"), TokenExpired,
    /// UserNotFound, InactiveUser or InternalError.
    UserPromise verify_password_reset_token(std::string_view token) const {
        return detail::to_promise(
            run_then<User>(token, TokenType::password_reset,
                           [](const Caller<User>& caller, const Engine& engine) -> Result<User> {
                               if (auto refused =
                                       engine.check_reset_binding(*caller.token, user_password_hash(caller.user).value_or("")))
                                   return std::move(*refused);
                               return caller.user;
                           }));
    }

    /// An email-verification token for `user` carrying `email` in its `email` claim; read it back
    /// with verify(token, TokenType::email_verification).claim("email").
    std::string create_email_verification_token(const User& user, std::string_view email) const {
        return core_->codec().issue(TokenType::email_verification, user_id(user), {}, nlohmann::json{{"email", email}});
    }

    /// Route guards. Each returns a GuardedRoute, which fauth::http::Api (or SecureRouter, or
    /// http::mount) turns into a request handler with its HttpConfig: it reads the request's
    /// credentials (`Authorization: Bearer <token>` by default), resolves the user through the
    /// loaders without blocking the reactor, and calls `handler(request, writer, user)`, where
    /// `user` is `const User&` or `const Principal<User>&`; every failure is answered in FAuth's
    /// format (401, 403, 500 or 503 with {"detail": ...}).
    ///
    /// An active user with a valid access token. (Inactive users are refused by every guard.)
    template <class Handler>
    GuardedRoute<User, Handler> require_user(Handler handler) const {
        return {this, Rule(), false, {}, std::move(handler)};
    }
    /// An active user whose token is fresh (from a password login, not a refresh): else 401
    /// "Fresh token required", challenged with `error="insufficient_user_authentication"` (RFC
    /// 9470). For sensitive actions: changing a password or an e-mail address, deleting an account.
    template <class Handler>
    GuardedRoute<User, Handler> require_fresh_user(Handler handler) const {
        return {this, Rule(), true, {}, std::move(handler)};
    }
    /// An active user with `roles` (all of them, or any with Match::any): else 403 "Missing role: x".
    template <class Handler>
    GuardedRoute<User, Handler> require_roles(std::vector<std::string> roles, Handler handler, Match match = Match::all) const {
        return require_access(AccessRule{std::move(roles), match, {}, Match::all}, std::move(handler));
    }
    /// An active user with `permissions`: else 403 "Insufficient permissions: requires x permission".
    template <class Handler>
    GuardedRoute<User, Handler> require_permissions(std::vector<std::string> permissions, Handler handler,
                                                    Match match = Match::all) const {
        return require_access(AccessRule{{}, Match::all, std::move(permissions), match}, std::move(handler));
    }
    /// An active user meeting `rule` (roles and permissions together, and its `fresh`).
    template <class Handler>
    GuardedRoute<User, Handler> require_access(AccessRule rule, Handler handler) const {
        const bool fresh = rule.fresh;  // the route's, checked apart from the rule's lists
        rule.fresh = false;
        return {this, Rule(std::move(rule)), fresh, {}, std::move(handler)};
    }
    /// An active user meeting `rule` (roles, permissions, scopes, predicates: see fauth::Rule),
    /// authenticated by one of `schemes` in that order (e.g., `{Scheme::bearer, Scheme::api_key}`;
    /// empty: what the http configuration's cookie transport names). The first scheme whose
    /// credentials the request carries decides; bad credentials never fall through to the next. A
    /// rule not met answers 403 with its message (kAccessDenied for a predicate). Mounting it
    /// throws ConfigError for a scheme that cannot be served (api_key without
    /// set_api_key_loader, say).
    template <class Handler>
    GuardedRoute<User, Handler> require(Rule rule, Handler handler, std::vector<Scheme> schemes = {}) const {
        return {this, std::move(rule), false, std::move(schemes), std::move(handler)};
    }
    /// Anyone: `handler(request, writer, const User*)` gets the user of valid credentials, or null.
    template <class Handler>
    GuardedRoute<User, Handler, Presence::optional> optional_user(Handler handler) const {
        return {this, Rule(), false, {}, std::move(handler)};
    }

    /// The engine under this façade: tokens, sessions, stores, password workers.
    const Engine& engine() const noexcept { return *core_; }
    /// The token codec (signing and verification) the provider uses.
    const TokenCodec& tokens() const noexcept { return core_->codec(); }
    /// The validated configuration.
    const AuthConfig& config() const noexcept { return core_->config(); }
    /// The revocation store (the configured one, or the in-memory default).
    RevocationStore& revocation_store() const noexcept { return core_->store(); }
    /// Where login and refresh attempts are counted (the configured throttle, or the in-memory default).
    Throttle& throttle() const noexcept { return core_->throttle(); }
    /// Counts one login or refresh attempt under `key` in throttle(); the provider waits for it (and
    /// for what the caller chains to it) before it is destroyed.
    Pistache::Async::Promise<ThrottleDecision> count_attempt(const std::string& key, const RateLimit& limit) const {
        return detail::to_promise(core_->tracked(core_->throttle().hit(key, limit)));
    }

private:
    // The engine and what depends on User: the loaders. Continuations that run on fauth's own
    // threads point to it without owning it, each holding an in-flight token that the provider's
    // destructor waits for; only continuations waiting for your loaders (which run on your
    // threads) share ownership of it. So it is never destroyed on a thread it owns.
    struct Core : Engine, std::enable_shared_from_this<Core> {
        using Engine::Engine;
        // When a continuation waiting for your loader outlives the provider, the state goes with
        // it, on your thread; work it started on fauth's threads may still use the loaders.
        ~Core() { wait_idle(); }

        UserLoader user_loader;
        IdentityLoader identity_loader;
        RehashHandler rehash;
        LoginClaims<User> claims;
        std::function<Outcome<std::optional<KeyOwner<User>>>(const std::string&)> key_loader;
        std::function<void(const ApiKey&)> key_used;

        // The steps of run after the token's verification: the store, then the user_loader, then
        // the finish. `payload` stays in the caller's frame while the steps answer at once; it is
        // moved into the continuation of the first step that waits.
        template <class Finish>
        void check_and_load(detail::Journey<Finish>& journey, TokenPayload& payload, TokenType type) const {
            auto checked = check(payload, type);
            if (checked.ready()) {
                if (!checked.result()) return journey.finish()(std::move(checked.result()).failure());
                return load(journey, payload);
            }
            journey.after(std::move(checked), [this, payload = std::move(payload)](auto& on, Result<void> answer) mutable {
                if (!answer) return on.finish()(std::move(answer).failure());
                this->load(on, payload);
            });
        }

        // The last step of run: the user_loader, then the finish.
        template <class Finish>
        void load(detail::Journey<Finish>& journey, TokenPayload& payload) const {
            auto loaded = user_loader(payload);
            if (loaded.ready()) return deliver(journey.finish(), loaded.result(), payload);
            // Settled by your user_loader, on your thread: that continuation owns the state.
            // (Empty when the state is being destroyed, which waits for this step to end.)
            auto owner = this->weak_from_this().lock();
            if (!owner) return journey.finish()(Unavailable("shutting down").failure());
            journey.after(std::move(loaded), [owner, payload = std::move(payload)](auto& on, Result<std::optional<User>> user) {
                deliver(on.finish(), user, payload);
            });
        }

        // The finish, with the user the loader found, or why there is none to sign in.
        template <class Finish>
        static void deliver(Finish& finish, Result<std::optional<User>>& user, const TokenPayload& payload) {
            if (!user) return finish(std::move(user).failure());
            if (auto refused = unusable(*user)) return finish(std::move(*refused));
            finish(Caller<User>{**user, &payload, nullptr});
        }

        // The last steps of run_key, once the loader found `found` (or nothing, or failed).
        template <class Finish>
        void accept_key(Finish& finish, std::string_view presented, Result<std::optional<KeyOwner<User>>>& found) const {
            if (!found) return finish(std::move(found).failure());
            const KeyOwner<User>* owner = *found ? &**found : nullptr;
            if (auto refused =
                    check_api_key(presented, owner ? &owner->key : nullptr, owner ? user_id(owner->user) : std::string()))
                return finish(std::move(*refused));
            if (!user_is_active(owner->user)) return finish(InactiveUser().failure());
            if (key_used) {
                try {
                    key_used(owner->key);
                } catch (...) {
                    config().write_log(failure_of(std::current_exception(), "on_api_key_used").log);
                }
            }
            finish(Caller<User>{owner->user, nullptr, &owner->key});
        }
    };

    // A finish for run that settles an Outcome<T> with what `make(caller, engine)` makes of the
    // caller (a T, a Result<T> or an Outcome<T>), or with the failure; `check` is its bind step.
    template <class T, class Make, class Check = detail::NoCheck>
    struct Then {
        Settle<T> settle;
        Make make;
        Check check{};
        const Engine* engine;
        Outcome<void> bind(const TokenPayload& payload) { return detail::as_outcome(check(payload)); }
        void operator()(Result<Caller<User>> caller) {
            if (!caller) return settle(std::move(caller).failure());
            try {
                Outcome<T>(make(*caller, *engine)).then([settle = settle](Result<T> made) { settle(std::move(made)); });
            } catch (...) {
                settle(failure_of(std::current_exception(), "token"));
            }
        }
    };
    // The make of resolve_user and load_user.
    struct ReturnUser {
        User operator()(const Caller<User>& caller, const Engine&) const { return caller.user; }
    };

    // run with a finish that settles the returned outcome (see Then).
    template <class T, class Make, class Check = detail::NoCheck>
    Outcome<T> run_then(std::string_view token, TokenType type, Make make, Check check = {}) const {
        auto [outcome, settle] = Outcome<T>::pending();
        run(token, type, Then<T, Make, Check>{settle, std::move(make), std::move(check), core_.get()});
        return std::move(outcome);
    }

    // The finish's bind step for `payload`: success or its refusal, now or later, or what it throws
    // (a check of yours may) as a refusal.
    template <class Finish>
    static Outcome<void> bind_step(Finish& finish, const TokenPayload& payload) {
        try {
            return finish.bind(payload);
        } catch (...) {
            return failure_of(std::current_exception(), "token check");
        }
    }

    // Why a loaded user cannot be signed in (UserNotFound, InactiveUser), or nothing when it can.
    static std::optional<Failure> unusable(const std::optional<User>& user) {
        if (!user) return UserNotFound().failure();
        if (!user_is_active(*user)) return InactiveUser().failure();
        return std::nullopt;
    }

    std::shared_ptr<Core> core_;
};

}  // namespace fauth
