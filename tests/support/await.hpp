// Test helper: wait for a Pistache promise or a fauth::Outcome with a deadline, so a hang fails a
// test instead of CI.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include <pistache/async.h>

#include "fauth/core/outcome.hpp"

namespace fauth::test {

/// The outcome of a settled promise: its value, or the exception it was rejected with.
template <class T>
struct Outcome {
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;  // `true` for a fulfilled Promise<void>
    std::exception_ptr error;
    std::thread::id settled_on;
};

namespace await_detail {
// Where a continuation leaves the outcome for the waiting test.
template <class T>
struct Waiter {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    Outcome<T> outcome;
    // A fauth::Outcome's failure, kept as a value: the waiting thread makes the exception itself.
    // (An exception made on the settling thread and released there after the waiting thread read
    // it is ordered only by exception_ptr's count inside uninstrumented libstdc++, which
    // ThreadSanitizer cannot see.)
    std::optional<Failure> failure;

    template <class Set>
    void finish(Set set) {
        std::lock_guard lock(m);
        set(outcome);
        outcome.settled_on = std::this_thread::get_id();
        done = true;
        cv.notify_all();
    }
    Outcome<T> wait(std::chrono::milliseconds timeout) {
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, timeout, [&] { return done; }))
            throw std::runtime_error("promise still pending after the deadline");
        return outcome;
    }
    std::optional<Failure> take_failure() {
        std::lock_guard lock(m);
        return std::move(failure);
    }
};
}  // namespace await_detail

/// Waits up to `timeout` for `promise`; throws std::runtime_error if it is still pending then.
template <class T>
Outcome<T> settle(Pistache::Async::Promise<T>& promise, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto waiter = std::make_shared<await_detail::Waiter<T>>();
    auto on_value = [&] {
        if constexpr (std::is_void_v<T>)
            return [waiter] { waiter->finish([](auto& o) { o.value = true; }); };
        else
            return [waiter](const T& v) { waiter->finish([&v](auto& o) { o.value = v; }); };
    }();
    promise.then(on_value, [waiter](std::exception_ptr e) { waiter->finish([&e](auto& o) { o.error = e; }); });
    return waiter->wait(timeout);
}

/// Waits up to `timeout` for `outcome`; throws std::runtime_error if it is still pending then. A
/// failure comes back as the exception of its kind (Failure::exception). A ready outcome is read
/// at once, allocating nothing for a success (tests count the allocations of what they await).
template <class T>
Outcome<T> settle(fauth::Outcome<T> outcome, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto read = [](fauth::Result<T> result, Outcome<T>& o) {
        if (!result)
            o.error = result.failure().exception();
        else if constexpr (std::is_void_v<T>)
            o.value = true;
        else
            o.value = std::move(result).value();
        o.settled_on = std::this_thread::get_id();
    };
    if (outcome.ready()) {
        Outcome<T> settled;
        read(std::move(outcome.result()), settled);
        return settled;
    }
    auto waiter = std::make_shared<await_detail::Waiter<T>>();
    std::move(outcome).then([waiter, read](fauth::Result<T> result) noexcept {
        waiter->finish([&](Outcome<T>& o) {
            if (result) return read(std::move(result), o);
            waiter->failure = std::move(result).failure();
            o.settled_on = std::this_thread::get_id();
        });
    });
    auto settled = waiter->wait(timeout);
    if (auto failure = waiter->take_failure()) settled.error = failure->exception();
    return settled;
}

/// The value of `promise`; rethrows its rejection.
template <class T>
T await(Pistache::Async::Promise<T>& promise) {
    auto outcome = settle(promise);
    if (outcome.error) std::rethrow_exception(outcome.error);
    if constexpr (!std::is_void_v<T>) return std::move(*outcome.value);
}

template <class T>
T await(Pistache::Async::Promise<T>&& promise) {
    return await(promise);
}

/// The value of `outcome`; throws its failure as the exception of its kind.
template <class T>
T await(fauth::Outcome<T> outcome) {
    auto settled = settle(std::move(outcome));
    if (settled.error) std::rethrow_exception(settled.error);
    if constexpr (!std::is_void_v<T>) return std::move(*settled.value);
}

}  // namespace fauth::test
