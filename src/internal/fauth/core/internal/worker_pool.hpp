// fauth/core/internal/worker_pool.hpp — a fixed set of threads with a bounded queue, for blocking work (bcrypt)
// that must never run on a caller's (Pistache reactor) thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace fauth {

/// Runs tasks on `threads` threads; at most `capacity` tasks wait, further ones are refused.
class WorkerPool {
public:
    /// Starts the threads, each with `nice` added to its nice value (lower CPU priority; Linux
    /// schedules threads individually, elsewhere it may not apply) and named `name` (what top -H
    /// and debuggers show; at most 15 characters are kept). Throws std::invalid_argument if
    /// `threads` or `capacity` is zero or `nice` is negative.
    WorkerPool(std::size_t threads, std::size_t capacity, int nice = 0, const char* name = "fauth-worker");
    /// Runs every task already accepted, then joins the threads. Call it from the owner's thread:
    /// a pool destroyed by one of its own tasks aborts the process (a thread cannot join itself,
    /// and fauth never detaches one).
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Which tasks a free thread takes first.
    enum class Lane {
        normal,  ///< in the order they came
        first,   ///< before every normal task (in the order they came among themselves)
    };
    /// Queues `task` in `lane`; false (and `task` dropped) when the queue (both lanes together)
    /// is full or the pool is stopping. A task must not throw; if it does, the exception is
    /// swallowed so the worker survives.
    bool try_submit(std::function<void()> task, Lane lane = Lane::normal);
    /// Tasks waiting for a thread right now.
    std::size_t queued() const;

private:
    struct State;  // shared with the threads and with try_submit while it wakes one
    std::shared_ptr<State> state_;
    std::vector<std::thread> threads_;
};

}  // namespace fauth
