#include "fauth/core/security_event.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "fauth/core/clock.hpp"

namespace fauth {

std::string_view to_string(SecurityEventType type) noexcept {
    switch (type) {
        case SecurityEventType::login_success: return "login_success";
        case SecurityEventType::login_failure: return "login_failure";
        case SecurityEventType::token_refused: return "token_refused";
        case SecurityEventType::access_denied: return "access_denied";
        case SecurityEventType::refresh_reuse: return "refresh_reuse";
        case SecurityEventType::revoked: return "revoked";
        case SecurityEventType::throttled: return "throttled";
        case SecurityEventType::second_factor_required: return "second_factor_required";
    }
    return "unknown";
}

std::string to_json_line(const SecurityEvent& event) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(event.time.time_since_epoch()).count();
    auto stamp = utc_rfc3339(ms / 1000);
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03d", static_cast<int>(ms % 1000));
    stamp.insert(stamp.size() - 1, millis);
    nlohmann::ordered_json line;
    line["time"] = stamp;
    line["event"] = to_string(event.type);
    for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"reason", event.reason},
                                      {"subject", event.subject},
                                      {"identifier", event.identifier},
                                      {"client", event.client},
                                      {"path", event.path},
                                      {"trace_id", event.trace_id}})
        if (!value.empty()) line[name] = value;
    // Whatever a client sent (an identifier, a path) is escaped; invalid UTF-8 is replaced.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace fauth
