#include "fauth/core/internal/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

using fauth::WorkerPool;

TEST(WorkerPool, RunsTasksOffTheCallingThread) {
    WorkerPool pool(2, 16);
    std::promise<std::thread::id> ran_on;
    ASSERT_TRUE(pool.try_submit([&] { ran_on.set_value(std::this_thread::get_id()); }));
    auto f = ran_on.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_NE(f.get(), std::this_thread::get_id());
}

TEST(WorkerPool, RefusesWorkBeyondItsCapacity) {
    WorkerPool pool(1, 2);
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::promise<void> started;
    ASSERT_TRUE(pool.try_submit([&started, gate] {
        started.set_value();
        gate.wait();
    }));
    started.get_future().wait();  // the only worker is now busy
    EXPECT_TRUE(pool.try_submit([] {}));
    EXPECT_TRUE(pool.try_submit([] {}));
    EXPECT_EQ(pool.queued(), 2u);
    EXPECT_FALSE(pool.try_submit([] {})) << "queue full";
    release.set_value();
}

TEST(WorkerPool, FinishesAcceptedWorkOnDestruction) {
    std::atomic<int> done{0};
    {
        WorkerPool pool(2, 1000);
        for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.try_submit([&] { ++done; }));
    }
    EXPECT_EQ(done.load(), 500);
}

TEST(WorkerPool, SurvivesATaskThatThrows) {
    WorkerPool pool(1, 4);
    ASSERT_TRUE(pool.try_submit([] { throw std::runtime_error("boom"); }));
    std::promise<void> after;
    ASSERT_TRUE(pool.try_submit([&] { after.set_value(); }));
    EXPECT_EQ(after.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(WorkerPoolDeathTest, DestroyedByItsOwnTaskIsAFaultNotADetachedThread) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            auto pool = std::make_shared<WorkerPool>(1, 4);
            std::promise<void> done;
            auto* raw = pool.get();
            (void)raw->try_submit([p = std::move(pool), &done]() mutable {
                p.reset();  // last owner: the destructor would run on this worker
                done.set_value();
            });
            done.get_future().wait_for(std::chrono::seconds(10));
        },
        "destroyed by one of its own tasks");
}

TEST(WorkerPool, RefusesZeroThreadsOrCapacity) {
    EXPECT_THROW(WorkerPool(0, 1), std::invalid_argument);
    EXPECT_THROW(WorkerPool(1, 0), std::invalid_argument);
}

TEST(WorkerPool, RunsItsThreadsAtTheLowerPriorityAsked) {
    const int base = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
    for (int nice : {0, 7}) {
        fauth::WorkerPool pool(1, 4, nice);
        std::promise<int> seen;
        ASSERT_TRUE(pool.try_submit([&] {
            errno = 0;
            const int p = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
            seen.set_value(errno == 0 ? p : -100);
        }));
        EXPECT_EQ(seen.get_future().get(), std::min(19, base + nice)) << nice;
    }
    EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))), base) << "the caller is untouched";
    EXPECT_THROW(fauth::WorkerPool(1, 1, -1), std::invalid_argument);
}
