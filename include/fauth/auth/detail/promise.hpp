// fauth/auth/detail/promise.hpp — settling Pistache promises safely from any thread (internal).
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <pistache/async.h>

#include "fauth/core/errors.hpp"

namespace fauth::detail {

/// Calls `with(error)` with the failure in `cause` as a concrete exception type: fauth errors keep
/// their type and kind; anything else becomes InternalError whose log message starts with `context`.
template <class With>
void with_concrete_error(std::exception_ptr cause, const std::string& context, With&& with) noexcept {
    try {
        std::rethrow_exception(cause);
    } catch (const UnknownKeyId& e) {
        with(e);
    } catch (const InvalidToken& e) {
        with(e);
    } catch (const InvalidApiKey& e) {
        with(e);
    } catch (const TokenExpired& e) {
        with(e);
    } catch (const SessionExpired& e) {
        with(e);
    } catch (const FreshTokenRequired& e) {
        with(e);
    } catch (const InvalidCredentials& e) {
        with(e);
    } catch (const UserNotFound& e) {
        with(e);
    } catch (const InactiveUser& e) {
        with(e);
    } catch (const Forbidden& e) {
        with(e);
    } catch (const Throttled& e) {
        with(e);
    } catch (const Unavailable& e) {
        with(e);
    } catch (const InternalError& e) {
        with(e);
    } catch (const Error& e) {
        with(e);
    } catch (const std::exception& e) {
        with(InternalError(context + " failed: " + e.what()));
    } catch (...) {
        with(InternalError(context + " failed with a non-standard exception"));
    }
}

/// The failure in `cause` as with_concrete_error makes it, ready to hand on.
inline std::exception_ptr concrete_error(std::exception_ptr cause, const std::string& context) noexcept {
    std::exception_ptr out;
    with_concrete_error(std::move(cause), context, [&out](const auto& e) { out = std::make_exception_ptr(e); });
    return out;
}

/// The resolving end of a Promise<T>, shareable across threads; the first settle wins, later ones
/// are ignored, and an exception thrown by a consumer's continuation never escapes into our thread.
template <class T>
class Settler {
public:
    /// A pending promise and the settler that completes it.
    static std::pair<Pistache::Async::Promise<T>, std::shared_ptr<Settler>> make() {
        std::shared_ptr<Settler> settler;
        Pistache::Async::Promise<T> promise([&](Pistache::Async::Resolver& resolve, Pistache::Async::Rejection& reject) {
            settler = std::shared_ptr<Settler>(new Settler(std::move(resolve), std::move(reject)));
        });
        return {std::move(promise), std::move(settler)};
    }

    /// Fulfils the promise with `value`.
    template <class U = T>
        requires(!std::is_void_v<T>)
    void resolve(U value) noexcept {
        if (done_.exchange(true)) return;
        try {
            resolve_(T(std::move(value)));
        } catch (...) {
            // A continuation of the consumer threw; there is nobody left to tell.
        }
    }

    /// Fulfils a Promise<void>.
    void resolve() noexcept
        requires std::is_void_v<T>
    {
        if (done_.exchange(true)) return;
        try {
            resolve_();
        } catch (...) {
        }
    }

    /// Rejects the promise with `error` (a concrete exception type, never an exception_ptr).
    template <class E>
    void reject(E error) noexcept {
        if (done_.exchange(true)) return;
        try {
            reject_(std::move(error));
        } catch (...) {
        }
    }

    /// Rejects with the failure in `cause`: fauth errors keep their type and kind; anything else
    /// becomes InternalError whose log message starts with `context`.
    void reject_from(std::exception_ptr cause, const std::string& context) noexcept {
        with_concrete_error(std::move(cause), context, [this](const auto& e) { this->reject(e); });
    }

private:
    Settler(Pistache::Async::Resolver resolve, Pistache::Async::Rejection reject)
        : resolve_(std::move(resolve)), reject_(std::move(reject)) {}

    std::atomic<bool> done_{false};
    Pistache::Async::Resolver resolve_;
    Pistache::Async::Rejection reject_;
};

}  // namespace fauth::detail
