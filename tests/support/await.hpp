// Test helper: wait for a Pistache promise with a deadline, so a hang fails a test instead of CI.
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

namespace fauth::test {

/// The outcome of a settled promise: its value, or the exception it was rejected with.
template <class T>
struct Outcome {
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;  // `true` for a fulfilled Promise<void>
    std::exception_ptr error;
    std::thread::id settled_on;
};

/// Waits up to `timeout` for `promise`; throws std::runtime_error if it is still pending then.
template <class T>
Outcome<T> settle(Pistache::Async::Promise<T>& promise, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    struct Shared {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        Outcome<T> outcome;
    };
    auto shared = std::make_shared<Shared>();
    auto fulfil = [shared](auto value) {
        std::lock_guard lock(shared->m);
        shared->outcome.value = std::move(value);
        shared->outcome.settled_on = std::this_thread::get_id();
        shared->done = true;
        shared->cv.notify_all();
    };
    auto on_value = [&] {
        if constexpr (std::is_void_v<T>) return [fulfil]() { fulfil(true); };
        else return [fulfil](const T& v) { fulfil(v); };
    }();
    promise.then(
        on_value,
        [shared](std::exception_ptr e) {
            std::lock_guard lock(shared->m);
            shared->outcome.error = e;
            shared->outcome.settled_on = std::this_thread::get_id();
            shared->done = true;
            shared->cv.notify_all();
        });
    std::unique_lock lock(shared->m);
    if (!shared->cv.wait_for(lock, timeout, [&] { return shared->done; }))
        throw std::runtime_error("promise still pending after the deadline");
    return shared->outcome;
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

}  // namespace fauth::test
