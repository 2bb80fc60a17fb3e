/// @file
/// fauth/core/outcome.hpp — what fauth's steps return: a value or a Failure (Result), now or later
/// (Outcome). A step that answers at once costs no allocation and runs its continuation inline;
/// one that waits (a Redis store, a promise loader, a key fetch) settles it from another thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "fauth/core/errors.hpp"

namespace fauth {

/// A value of T (nothing, for void) or the Failure that stands in its place.
template <class T>
class Result {
public:
    /// What a Result<void> holds when it succeeded.
    using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

    /// A success (of Result<void>).
    Result() requires std::is_void_v<T> : value_(std::in_place) {}
    /// A success holding `value`.
    template <class U = Value>
    requires(!std::is_void_v<T> && std::is_constructible_v<Value, U&&> && !std::is_same_v<std::decay_t<U>, Failure> &&
             !std::is_same_v<std::decay_t<U>, Result>) Result(U&& value)  // NOLINT: implicit, so that a step may return its value
        : value_(std::in_place, std::forward<U>(value)) {}
    /// A failure.
    Result(Failure failure)  // NOLINT: implicit, so that a step may return its failure
        : failure_(std::move(failure)) {}

    /// True for a success.
    bool ok() const noexcept { return value_.has_value(); }
    /// True for a success.
    explicit operator bool() const noexcept { return ok(); }
    /// The value of a success.
    Value& value() & { return *value_; }
    /// The value of a success.
    const Value& value() const& { return *value_; }
    /// The value of a success, moved out.
    Value&& value() && { return *std::move(value_); }
    /// The value of a success.
    Value& operator*() & { return value(); }
    /// The value of a success.
    const Value& operator*() const& { return value(); }
    /// A member of the value of a success.
    Value* operator->() { return &value(); }
    /// A member of the value of a success.
    const Value* operator->() const { return &value(); }
    /// The failure of a failed result.
    const Failure& failure() const& { return failure_; }
    /// The failure of a failed result, moved out.
    Failure&& failure() && { return std::move(failure_); }

private:
    // Two members rather than a std::variant: g++ 12 reports moves of a variant holding a Failure
    // as reads of uninitialised memory (-Wmaybe-uninitialized), and an empty Failure costs nothing.
    std::optional<Value> value_;
    Failure failure_;
};

template <class T>
class Settle;

namespace detail {
// What a pending Outcome and its Settle share: the result or the continuation, whichever came first.
template <class T>
class OutcomeState {
public:
    void then(std::function<void(Result<T>)> next) {
        std::unique_lock lock(mutex_);
        if (result_) {
            auto result = std::move(*result_);
            result_.reset();
            lock.unlock();
            run(next, std::move(result));
            return;
        }
        next_ = std::move(next);
    }
    void settle(Result<T> result) noexcept {
        std::unique_lock lock(mutex_);
        if (settled_) return;
        settled_ = true;
        if (!next_) {
            result_.emplace(std::move(result));
            return;
        }
        auto next = std::move(next_);
        next_ = nullptr;
        lock.unlock();
        run(next, std::move(result));
    }

private:
    // A continuation must not throw; if one does anyway, it has nobody left to tell (the settling
    // thread is a store's or a worker's), and the process goes on.
    static void run(std::function<void(Result<T>)>& next, Result<T> result) noexcept {
        try {
            next(std::move(result));
        } catch (...) {}
    }

    std::mutex mutex_;
    bool settled_ = false;
    std::optional<Result<T>> result_;      // settled before a continuation came
    std::function<void(Result<T>)> next_;  // came before the result
};

// Settles its state with an internal failure if every Settle let go of it unsettled, so that
// a continuation is never left waiting.
template <class T>
struct SettleLink {
    explicit SettleLink(std::shared_ptr<OutcomeState<T>> s) : state(std::move(s)) {}
    SettleLink(const SettleLink&) = delete;
    SettleLink& operator=(const SettleLink&) = delete;
    std::shared_ptr<OutcomeState<T>> state;
    ~SettleLink() { state->settle(Failure{ErrorKind::internal, "Internal Server Error", "an operation was dropped unanswered"}); }
};
}  // namespace detail

/// A Result<T> now (ready) or later (pending). `then` runs its continuation inline when the
/// outcome is ready, and otherwise on the thread that settles it. Move-only; `then` once.
template <class T>
class [[nodiscard]] Outcome {
public:
    /// A ready success (of Outcome<void>).
    Outcome() requires std::is_void_v<T> : state_(std::in_place_index<0>) {}
    /// A ready result: a value or a failure.
    template <class U>
    requires std::is_constructible_v<Result<T>, U &&> &&
        (!std::is_same_v<std::decay_t<U>, Outcome>)
            Outcome(U&& result)  // NOLINT: implicit, so that a step may return its value or failure
        : state_(std::in_place_index<0>, std::forward<U>(result)) {}

    /// Moves the result, or the claim on a pending one (an outcome is moved, never copied).
    Outcome(Outcome&&) noexcept = default;
    /// Moves the result, or the claim on a pending one, into this outcome.
    Outcome& operator=(Outcome&&) noexcept = default;
    Outcome(const Outcome&) = delete;
    Outcome& operator=(const Outcome&) = delete;

    /// A pending outcome and what settles it (from any thread; the first result wins).
    static std::pair<Outcome, Settle<T>> pending();

    /// True when the result is here: `then` will run its continuation inline.
    bool ready() const noexcept { return state_.index() == 0; }
    /// The result of a ready outcome.
    Result<T>& result() { return std::get<0>(state_); }

    /// Calls `next(Result<T>)` with the result: now when it is ready, else when it settles.
    /// `next` must not throw (what it throws on a settling thread is dropped).
    template <class Next>
    void then(Next&& next) && {
        if (ready()) return std::forward<Next>(next)(std::move(std::get<0>(state_)));
        std::get<1>(state_)->then(std::function<void(Result<T>)>(std::forward<Next>(next)));
    }

private:
    explicit Outcome(std::shared_ptr<detail::OutcomeState<T>> state) : state_(std::in_place_index<1>, std::move(state)) {}

    std::variant<Result<T>, std::shared_ptr<detail::OutcomeState<T>>> state_;
};

/// Settles a pending Outcome<T>. Copies settle the same outcome; the first result wins. When the
/// last copy goes without settling it, the outcome fails (internal: "dropped unanswered").
template <class T>
class Settle {
public:
    /// Settles with `result` (a value or a Failure), running the continuation on this thread if
    /// it is already there.
    void operator()(Result<T> result) const noexcept { link_->state->settle(std::move(result)); }
    /// Settles Outcome<void> with success.
    void operator()() const noexcept requires std::is_void_v<T> { link_->state->settle(Result<T>()); }

private:
    friend class Outcome<T>;
    explicit Settle(std::shared_ptr<detail::OutcomeState<T>> state)
        : link_(std::make_shared<detail::SettleLink<T>>(std::move(state))) {}

    std::shared_ptr<detail::SettleLink<T>> link_;
};

template <class T>
std::pair<Outcome<T>, Settle<T>> Outcome<T>::pending() {
    auto state = std::make_shared<detail::OutcomeState<T>>();
    return {Outcome(state), Settle<T>(state)};
}

/// What `step(Result<T>)` makes of the result of `outcome` (an `Outcome<U>`, or a value or a
/// Failure that makes one): at once, with no allocation, when `outcome` is ready; otherwise an
/// outcome settled once both have answered. `step` must not throw. (Engine::chain is this, with
/// the wait counted as the engine's work under way.)
template <class U, class T, class Step>
Outcome<U> chain(Outcome<T> outcome, Step step) {
    if (outcome.ready()) return Outcome<U>(step(std::move(outcome.result())));
    auto [next, settle] = Outcome<U>::pending();
    std::move(outcome).then([settle = settle, step = std::move(step)](Result<T> result) mutable {
        Outcome<U>(step(std::move(result))).then([settle](Result<U> out) { settle(std::move(out)); });
    });
    return std::move(next);
}

/// `outcome` without its value: success or its failure, now or later.
template <class T>
Outcome<void> without_value(Outcome<T> outcome) {
    return chain<void>(std::move(outcome), [](Result<T> result) -> Result<void> {
        if (!result) return std::move(result).failure();
        return {};
    });
}

}  // namespace fauth
