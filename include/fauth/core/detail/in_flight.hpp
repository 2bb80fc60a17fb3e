/// @file
/// fauth/core/detail/in_flight.hpp — counts the operations an object has under way, so that its
/// destructor can wait for them instead of letting them own it (internal).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace fauth::detail {

/// Operations under way. Each holds a token from enter() until it has settled; wait_idle() returns
/// once every token is gone. The count lives in state the tokens share, so the last token may be
/// released on any thread, after its owner has stopped waiting, without touching freed memory.
class InFlight {
public:
    /// A token: copies share it, and the operation ends when the last copy is destroyed.
    using Token = std::shared_ptr<const void>;

    /// Starts an operation.
    Token enter() const {
        {
            std::lock_guard lock(state_->mutex);
            ++state_->count;
        }
        return Token(nullptr, [state = state_](const void*) {
            std::lock_guard lock(state->mutex);
            if (--state->count == 0) state->idle.notify_all();
        });
    }

    /// Blocks until no operation is under way.
    void wait_idle() const {
        std::unique_lock lock(state_->mutex);
        state_->idle.wait(lock, [this] { return state_->count == 0; });
    }

private:
    struct State {
        std::mutex mutex;
        std::condition_variable idle;
        std::size_t count = 0;
    };
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace fauth::detail
