// fauth/core/clock.hpp — the one place fauth reads the time: an injectable clock (so tests move time
// instead of waiting for it) and the helpers every layer uses to read it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace fauth {

/// The clock tokens are issued and checked against; injectable so tests can move time.
using Clock = std::function<std::chrono::system_clock::time_point()>;

/// The time by `clock`, or by the system clock when `clock` is empty.
inline std::chrono::system_clock::time_point now(const Clock& clock = {}) {
    return clock ? clock() : std::chrono::system_clock::now();
}

/// Whole seconds since the Unix epoch by `clock` (the system clock when empty), as JWT claims count.
inline std::int64_t unix_seconds(const Clock& clock = {}) {
    return std::chrono::duration_cast<std::chrono::seconds>(now(clock).time_since_epoch()).count();
}

/// Whole microseconds since the Unix epoch by `clock`: the issue time fauth writes beside `iat`,
/// so that revoke_all can tell tokens of the same second apart.
inline std::int64_t unix_microseconds(const Clock& clock = {}) {
    return std::chrono::duration_cast<std::chrono::microseconds>(now(clock).time_since_epoch()).count();
}

}  // namespace fauth
