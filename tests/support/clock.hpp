// Test helper: the one clock tests move by hand instead of waiting for time to pass.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include <fauth/core/config.hpp>

namespace fauth::test {

/// A clock that tests move forward with advance(): either the system clock shifted by what was
/// added (the default, for code that also meets real time, such as Redis), or frozen at a start
/// and moved only by advance(). Copies share one state.
class TestClock {
public:
    using time_point = std::chrono::system_clock::time_point;

    /// The system clock, shifted by whatever advance() adds.
    TestClock() = default;
    /// Frozen at `start`; only advance() moves it.
    static TestClock frozen(time_point start) {
        TestClock c;
        c.state_->frozen = true;
        c.state_->start = start;
        return c;
    }

    /// The current time of this clock.
    time_point now() const { return state_->now(); }
    /// The current time in whole seconds since the epoch.
    std::int64_t seconds() const { return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count(); }
    /// Moves this clock (and every copy of it) forward.
    void advance(std::chrono::system_clock::duration by) { state_->offset += by.count(); }
    /// This clock as the Clock a config, a store or a throttle takes.
    Clock clock() const {
        return [state = state_] { return state->now(); };
    }

private:
    struct State {
        std::atomic<std::chrono::system_clock::rep> offset{0};
        bool frozen = false;
        time_point start{};
        time_point now() const {
            return (frozen ? start : std::chrono::system_clock::now()) + std::chrono::system_clock::duration(offset.load());
        }
    };
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace fauth::test
