#include "fauth/http/trace_context.hpp"

#include <gtest/gtest.h>

#include <string>

using fauth::http::trace_id_of;

namespace {

// The example of the W3C Trace Context recommendation, section 3.2.2.
constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kHeader = std::string("00-") + kTraceId + "-00f067aa0ba902b7-01";

}  // namespace

TEST(TraceContext, AValidHeaderGivesItsTraceId) {
    EXPECT_EQ(trace_id_of(kHeader), kTraceId);
    EXPECT_EQ(trace_id_of(std::string("00-") + kTraceId + "-00f067aa0ba902b7-00"), kTraceId) << "not sampled";
    EXPECT_EQ(trace_id_of(" \t" + kHeader + " "), kTraceId) << "surrounding whitespace is not the value";
}

TEST(TraceContext, UppercaseHexIsRefused) {
    EXPECT_EQ(trace_id_of("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), "");
    EXPECT_EQ(trace_id_of(std::string("00-") + kTraceId + "-00F067AA0BA902B7-01"), "");
    EXPECT_EQ(trace_id_of(std::string("00-") + kTraceId + "-00f067aa0ba902b7-0A"), "");
    EXPECT_EQ(trace_id_of(std::string("0A-") + kTraceId + "-00f067aa0ba902b7-01"), "");
}

TEST(TraceContext, WrongLengthsAreRefused) {
    EXPECT_EQ(trace_id_of(""), "");
    EXPECT_EQ(trace_id_of(kHeader.substr(0, 54)), "") << "one short";
    EXPECT_EQ(trace_id_of(kHeader + "-"), "") << "version 00 is exactly 55 characters";
    EXPECT_EQ(trace_id_of(kHeader + "-abc"), "");
    EXPECT_EQ(trace_id_of(std::string("00-") + kTraceId + "a-00f067aa0ba902b-01"), "") << "fields of the wrong size";
    EXPECT_EQ(trace_id_of(std::string("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-011")), "");
    EXPECT_EQ(trace_id_of(std::string("000-") + kTraceId + "-00f067aa0ba902b7-1"), "");
}

TEST(TraceContext, AllZeroIdsAreRefused) {
    EXPECT_EQ(trace_id_of("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), "");
    EXPECT_EQ(trace_id_of(std::string("00-") + kTraceId + "-0000000000000000-01"), "");
    EXPECT_EQ(trace_id_of("00-00000000000000000000000000000001-0000000000000001-00"), "00000000000000000000000000000001")
        << "zeros elsewhere are fine";
}

TEST(TraceContext, VersionFfIsRefused) {
    EXPECT_EQ(trace_id_of(std::string("ff-") + kTraceId + "-00f067aa0ba902b7-01"), "");
    EXPECT_EQ(trace_id_of(std::string("ff-") + kTraceId + "-00f067aa0ba902b7-01-more"), "");
}

TEST(TraceContext, ALaterVersionIsReadByItsFirst55Characters) {
    const std::string v1 = std::string("01-") + kTraceId + "-00f067aa0ba902b7-01";
    EXPECT_EQ(trace_id_of(v1), kTraceId);
    EXPECT_EQ(trace_id_of(v1 + "-what-version-01-adds"), kTraceId);
    EXPECT_EQ(trace_id_of(std::string("fe-") + kTraceId + "-00f067aa0ba902b7-01-x"), kTraceId);
    EXPECT_EQ(trace_id_of(v1 + "x"), "") << "what follows the 55 characters starts with '-'";
    EXPECT_EQ(trace_id_of(v1 + "0-x"), "");
    EXPECT_EQ(trace_id_of(v1.substr(0, 54)), "") << "never shorter than version 00";
    EXPECT_EQ(trace_id_of(std::string("01-") + kTraceId + "-00f067aa0ba902b7-0g-x"), "") << "its fields still checked";
}

TEST(TraceContext, GarbageIsIgnored) {
    EXPECT_EQ(trace_id_of("garbage"), "");
    EXPECT_EQ(trace_id_of(std::string(55, 'a')), "");
    EXPECT_EQ(trace_id_of(std::string(55, '-')), "");
    EXPECT_EQ(trace_id_of(std::string("00_") + kTraceId + "_00f067aa0ba902b7_01"), "") << "separators are '-'";
    EXPECT_EQ(trace_id_of(std::string("00-") + kTraceId + "-00f067aa0ba902b7-0\xff"), "");
    EXPECT_EQ(trace_id_of(std::string("00-4bf92f3577b34da6a3ce929d0e0e473\0-00f067aa0ba902b7-01", 55)), "");
    EXPECT_EQ(trace_id_of(kHeader + ", " + kHeader), "") << "two headers folded into one";
    EXPECT_EQ(trace_id_of(std::string("00-") + kTraceId + "-00f067aa0ba902b7-01\n"), "");
}
