// Test helper: counts the heap allocations a thread makes (global operator new is replaced in
// allocation_counter.cpp, linked only into the test binaries that use this).
#pragma once

#include <cstddef>

namespace fauth::test {

/// Counts operator new calls and OpenSSL's allocations (OPENSSL_malloc, OPENSSL_realloc) on the
/// constructing thread until count() is read or it is destroyed.
class AllocationCounter {
public:
    AllocationCounter();
    ~AllocationCounter();
    AllocationCounter(const AllocationCounter&) = delete;
    AllocationCounter& operator=(const AllocationCounter&) = delete;
    /// Allocations on this thread since construction.
    std::size_t count() const;
    /// False where allocations cannot be counted (under ThreadSanitizer, which owns operator new).
    static bool available();
};

}  // namespace fauth::test
