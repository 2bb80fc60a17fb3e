/// @file
/// fauth/core/clock.hpp — the one place fauth reads the time: an injectable clock (so tests move time
/// instead of waiting for it) and the helpers every layer uses to read it.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <string>

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

/// `seconds` since the Unix epoch as an RFC 3339 UTC time, "2026-11-24T09:30:00Z".
inline std::string utc_rfc3339(std::int64_t seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char stamp[32];
    const auto n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(stamp, n);
}

/// Whole microseconds since the Unix epoch by `clock`: the issue time fauth writes beside `iat`,
/// so that revoke_all can tell tokens of the same second apart.
inline std::int64_t unix_microseconds(const Clock& clock = {}) {
    return std::chrono::duration_cast<std::chrono::microseconds>(now(clock).time_since_epoch()).count();
}

/// The whole second (rounded down) that `microseconds` since the epoch fall in.
constexpr std::int64_t second_of(std::int64_t microseconds) noexcept {
    return microseconds / 1'000'000 - (microseconds % 1'000'000 < 0 ? 1 : 0);
}

/// The first microsecond of whole second `seconds` since the epoch (saturating far from any real date).
constexpr std::int64_t microseconds_of(std::int64_t seconds) noexcept {
    constexpr std::int64_t kLimit = 9'000'000'000'000;  // |seconds| beyond this would overflow
    return seconds > kLimit ? kLimit * 1'000'000 : seconds < -kLimit ? -kLimit * 1'000'000 : seconds * 1'000'000;
}

}  // namespace fauth
