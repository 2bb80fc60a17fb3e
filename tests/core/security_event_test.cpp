#include "fauth/core/security_event.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

TEST(SecurityEvent, IsOneJsonLineWithOnlyTheFieldsThatApply) {
    fauth::SecurityEvent e{.type = fauth::SecurityEventType::login_failure,
                           .reason = "Invalid credentials",
                           .identifier = "alice",
                           .client = "10.0.0.7",
                           .path = "/login",
                           .time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123))};
    const auto line = fauth::to_json_line(e);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line, R"({"time":"2023-11-14T22:13:20.123Z","event":"login_failure","reason":"Invalid credentials",)"
                    R"("identifier":"alice","client":"10.0.0.7","path":"/login"})");
}

TEST(SecurityEvent, EscapesWhatClientsSend) {
    fauth::SecurityEvent e{.type = fauth::SecurityEventType::throttled, .identifier = "a\"}\n{\"event\":\"login_success\xff"};
    const auto parsed = nlohmann::json::parse(fauth::to_json_line(e));
    EXPECT_EQ(parsed["event"], "throttled") << "a forged field cannot replace the real one";
    EXPECT_EQ(parsed.size(), 3u);
}

TEST(SecurityEvent, NamesEveryType) {
    using T = fauth::SecurityEventType;
    for (auto t :
         {T::login_success, T::login_failure, T::token_refused, T::access_denied, T::refresh_reuse, T::revoked, T::throttled})
        EXPECT_NE(fauth::to_string(t), "unknown");
}

TEST(SecurityEvent, WritesTheTraceIdWhenThereIsOne) {
    fauth::SecurityEvent e{.type = fauth::SecurityEventType::token_refused,
                           .reason = "Invalid token: signature mismatch",
                           .path = "/me",
                           .trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
                           .time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123))};
    EXPECT_EQ(fauth::to_json_line(e),
              R"({"time":"2023-11-14T22:13:20.123Z","event":"token_refused","reason":"Invalid token: signature mismatch",)"
              R"("path":"/me","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"})");
    e.trace_id.clear();
    EXPECT_EQ(nlohmann::json::parse(fauth::to_json_line(e)).count("trace_id"), 0u) << "no trace, no field";
}
