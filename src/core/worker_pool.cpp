#include "fauth/core/internal/worker_pool.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>

namespace fauth {

struct WorkerPool::State {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::function<void()>> queue;
    std::deque<std::function<void()>> first;  // Lane::first: taken before any of queue
    std::size_t capacity = 0;
    bool stopping = false;

    void run() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock lock(mutex);
                ready.wait(lock, [this] { return stopping || !queue.empty() || !first.empty(); });
                auto& from = first.empty() ? queue : first;
                if (from.empty()) return;  // stopping, and everything accepted has run
                task = std::move(from.front());
                from.pop_front();
            }
            try {
                task();
            } catch (...) {
                // Documented: tasks must not throw. The worker outlives a faulty one.
            }
        }
    }
};

WorkerPool::WorkerPool(std::size_t threads, std::size_t capacity, int nice, const char* name)
    : state_(std::make_shared<State>()) {
    if (threads == 0 || capacity == 0) throw std::invalid_argument("fauth: a WorkerPool needs threads and capacity");
    if (nice < 0) throw std::invalid_argument("fauth: a WorkerPool cannot raise its priority");
    state_->capacity = capacity;
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i)
        threads_.emplace_back([state = state_, nice, name = std::string(name).substr(0, 15)] {
            ::pthread_setname_np(::pthread_self(), name.c_str());
            if (nice > 0) {
                // Per-thread on Linux (setpriority on the thread id). Lowering priority needs no
                // privilege; if it fails anyway the thread still works, at normal priority.
                const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
                errno = 0;
                const int current = ::getpriority(PRIO_PROCESS, tid);
                if (errno == 0) (void)::setpriority(PRIO_PROCESS, tid, std::min(19, current + nice));
            }
            state->run();
        });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
    }
    state_->ready.notify_all();
    for (auto& t : threads_) {
        // A thread cannot join itself. A task that owned (directly or not) its own pool is a
        // design fault in the caller, not something to paper over with a detached thread.
        if (t.get_id() == std::this_thread::get_id()) {
            std::fputs("fauth: a WorkerPool was destroyed by one of its own tasks; its owner must destroy it\n", stderr);
            std::abort();
        }
        t.join();
    }
}

bool WorkerPool::try_submit(std::function<void()> task, Lane lane) {
    // Once the task is queued it may run, and drop the last owner of this pool, before this call
    // returns: from then on only the shared state (held here) may be touched.
    const auto state = state_;
    {
        std::lock_guard lock(state->mutex);
        if (state->stopping || state->queue.size() + state->first.size() >= state->capacity) return false;
        (lane == Lane::first ? state->first : state->queue).push_back(std::move(task));
    }
    state->ready.notify_one();
    return true;
}

std::size_t WorkerPool::queued() const {
    std::lock_guard lock(state_->mutex);
    return state_->queue.size() + state_->first.size();
}

}  // namespace fauth
