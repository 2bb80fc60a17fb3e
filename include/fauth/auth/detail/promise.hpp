/// @file
/// fauth/auth/detail/promise.hpp — the edges between fauth's Outcome and Pistache's promises
/// (internal): your loaders may answer with a promise, and fauth's public operations answer with one.
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <pistache/async.h>

#include "fauth/core/errors.hpp"
#include "fauth/core/outcome.hpp"

namespace fauth::detail {

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
    requires(!std::is_void_v<T>) void resolve(U value) noexcept {
        if (done_.exchange(true)) return;
        try {
            resolve_(T(std::move(value)));
        } catch (...) {
            // A continuation of the consumer threw; there is nobody left to tell.
        }
    }

    /// Fulfils a Promise<void>.
    void resolve() noexcept requires std::is_void_v<T> {
        if (done_.exchange(true)) return;
        try {
            resolve_();
        } catch (...) {}
    }

    /// Rejects the promise with `failure`, as the exception class of its kind.
    void reject(const Failure& failure) noexcept {
        if (done_.exchange(true)) return;
        try {
            failure.with_error([this](const auto& error) { reject_(error); });
        } catch (...) {}
    }

    /// Settles the promise with `result`.
    void settle(Result<T> result) noexcept {
        if (!result) return reject(result.failure());
        if constexpr (std::is_void_v<T>)
            resolve();
        else
            resolve(std::move(result).value());
    }

private:
    Settler(Pistache::Async::Resolver resolve, Pistache::Async::Rejection reject)
        : resolve_(std::move(resolve)), reject_(std::move(reject)) {}

    std::atomic<bool> done_{false};
    Pistache::Async::Resolver resolve_;
    Pistache::Async::Rejection reject_;
};

/// `outcome` as a Pistache promise, rejected with the exception class of its failure's kind.
template <class T>
Pistache::Async::Promise<T> to_promise(Outcome<T> outcome) {
    if (outcome.ready()) {
        auto& result = outcome.result();
        if (!result)
            return result.failure().with_error([](const auto& error) { return Pistache::Async::Promise<T>::rejected(error); });
        if constexpr (std::is_void_v<T>)
            return Pistache::Async::Promise<T>::resolved();
        else
            return Pistache::Async::Promise<T>::resolved(std::move(result).value());
    }
    auto [promise, settler] = Settler<T>::make();
    std::move(outcome).then([settler = settler](Result<T> result) { settler->settle(std::move(result)); });
    return std::move(promise);
}

/// `promise` (your code's) as an Outcome: a rejection becomes its Failure (failure_of, `context`
/// naming your code in the log).
template <class T>
Outcome<T> to_outcome(Pistache::Async::Promise<T> promise, const char* context) {
    auto [outcome, settle] = Outcome<T>::pending();
    auto on_failure = [settle = settle, context](std::exception_ptr e) { settle(failure_of(std::move(e), context)); };
    if constexpr (std::is_void_v<T>)
        promise.then([settle = settle] { settle(); }, std::move(on_failure));
    else
        promise.then([settle = settle](const T& value) { settle(value); }, std::move(on_failure));
    return std::move(outcome);
}

}  // namespace fauth::detail
