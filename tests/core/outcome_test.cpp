// Outcome and Result (fauth/core/outcome.hpp), Failure and its exception classes (fauth/core/errors.hpp).
#include "fauth/core/outcome.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <typeinfo>

#include "support/allocation_counter.hpp"

namespace {

using fauth::ErrorKind;
using fauth::Failure;
using fauth::Outcome;
using fauth::Result;

Failure refused(std::string log) { return {ErrorKind::invalid_token, "Invalid token", std::move(log)}; }

static_assert(!std::is_copy_constructible_v<Outcome<int>> && std::is_nothrow_move_constructible_v<Outcome<int>>,
              "an outcome is moved, never copied: two copies could each attach a continuation");

TEST(Outcome, AReadyOutcomeRunsItsContinuationInlineWithoutAllocating) {
    int seen = 0;
    {
        fauth::test::AllocationCounter counter;
        Outcome<int> ready(42);
        EXPECT_TRUE(ready.ready());
        std::move(ready).then([&seen](Result<int> r) noexcept { seen = r.ok() ? *r : -1; });
        Outcome<int> failed(refused("x"));  // "x" fits the short-string buffer
        std::move(failed).then([&seen](Result<int> r) noexcept { seen += r.ok() ? 0 : 1; });
        if (fauth::test::AllocationCounter::available()) {
            EXPECT_EQ(counter.count(), 0u);
        }
    }
    EXPECT_EQ(seen, 43);
}

TEST(Outcome, APendingOutcomeRunsItsContinuationWhereItIsSettled) {
    auto [outcome, settle] = Outcome<std::string>::pending();
    EXPECT_FALSE(outcome.ready());
    std::thread::id ran_on;
    std::string got;
    std::move(outcome).then([&](Result<std::string> r) noexcept {
        ran_on = std::this_thread::get_id();
        got = *r;
    });
    EXPECT_TRUE(got.empty()) << "nothing runs before it is settled";
    std::thread settler([settle = settle] { settle(std::string("later")); });
    const auto settler_id = settler.get_id();
    settler.join();
    EXPECT_EQ(got, "later");
    EXPECT_EQ(ran_on, settler_id);
}

TEST(Outcome, SettledBeforeTheContinuationComesItRunsOnTheCallersThread) {
    auto [outcome, settle] = Outcome<int>::pending();
    settle(7);
    settle(8);  // the first result wins
    int got = 0;
    std::move(outcome).then([&](Result<int> r) noexcept { got = *r; });
    EXPECT_EQ(got, 7);
}

TEST(Outcome, ASettleDroppedUnsettledFailsTheOutcome) {
    std::optional<Result<void>> got;
    {
        auto [outcome, settle] = Outcome<void>::pending();
        std::move(outcome).then([&](Result<void> r) noexcept { got.emplace(std::move(r)); });
        auto copy = settle;  // copies settle the same outcome; only the last one's end counts
    }
    ASSERT_TRUE(got.has_value());
    ASSERT_FALSE(got->ok());
    EXPECT_EQ(got->failure().kind, ErrorKind::internal);
    EXPECT_EQ(got->failure().log, "an operation was dropped unanswered");
}

TEST(Outcome, ManyThreadsRaceToSettleOneWins) {
    for (int round = 0; round < 200; ++round) {
        auto [outcome, settle] = Outcome<int>::pending();
        std::atomic<int> calls{0};
        int got = -1;
        std::thread a([s = settle] { s(1); });
        std::thread b([s = settle] { s(2); });
        std::move(outcome).then([&](Result<int> r) noexcept {
            ++calls;
            got = *r;
        });
        a.join();
        b.join();
        EXPECT_EQ(calls.load(), 1);
        EXPECT_TRUE(got == 1 || got == 2);
    }
}

TEST(Failure, EachKindBecomesItsOwnExceptionClassAndBack) {
    const auto round_trip = [](const fauth::Error& original, const std::type_info& type) {
        const Failure failure = original.failure();
        const auto thrown = failure.exception();
        try {
            std::rethrow_exception(thrown);
        } catch (const fauth::Error& e) {
            EXPECT_EQ(typeid(e), type) << original.what();
            EXPECT_EQ(e.kind(), original.kind());
            EXPECT_EQ(e.detail(), original.detail());
            EXPECT_STREQ(e.what(), original.what());
            EXPECT_EQ(e.failure().retry_after, original.failure().retry_after);
        }
    };
    round_trip(fauth::InvalidToken("signature mismatch"), typeid(fauth::InvalidToken));
    round_trip(fauth::InvalidApiKey("revoked"), typeid(fauth::InvalidApiKey));
    round_trip(fauth::TokenExpired(), typeid(fauth::TokenExpired));
    round_trip(fauth::SessionExpired(), typeid(fauth::SessionExpired));
    round_trip(fauth::FreshTokenRequired(), typeid(fauth::FreshTokenRequired));
    round_trip(fauth::InvalidCredentials(), typeid(fauth::InvalidCredentials));
    round_trip(fauth::UserNotFound(), typeid(fauth::UserNotFound));
    round_trip(fauth::InactiveUser(), typeid(fauth::InactiveUser));
    round_trip(fauth::Forbidden("Missing role: admin"), typeid(fauth::Forbidden));
    round_trip(fauth::Throttled(std::chrono::seconds(7)), typeid(fauth::Throttled));
    round_trip(fauth::Unavailable("workers busy", std::chrono::seconds(3)), typeid(fauth::Unavailable));
    round_trip(fauth::InternalError("loader failed"), typeid(fauth::InternalError));

    const fauth::InvalidToken rebuilt(fauth::InvalidToken("token revoked").failure());
    EXPECT_EQ(rebuilt.reason(), "token revoked");
    EXPECT_EQ(fauth::Throttled(fauth::Throttled(std::chrono::seconds(7)).failure()).retry_after(), std::chrono::seconds(7));
}

TEST(Failure, WhatYourCodeThrowsBecomesAFailureOnce) {
    const auto of = [](auto thrown) { return fauth::failure_of(std::make_exception_ptr(thrown), "user_loader"); };
    const Failure inactive = of(fauth::InactiveUser());
    EXPECT_EQ(inactive.kind, ErrorKind::inactive_user);
    EXPECT_EQ(inactive.detail, "Inactive user");
    const Failure odd = of(std::runtime_error("database gone"));
    EXPECT_EQ(odd.kind, ErrorKind::internal);
    EXPECT_EQ(odd.detail, "Internal Server Error");
    EXPECT_EQ(odd.log, "user_loader failed: database gone");
    const Failure strange = of(42);
    EXPECT_EQ(strange.log, "user_loader failed with a non-standard exception");
}

}  // namespace
