// Test helper: which sanitizer the test binary was built with, for the few checks that depend on it.
#pragma once

// 1 under ThreadSanitizer (for the preprocessor: see allocation_counter.cpp), else 0.
#if defined(__SANITIZE_THREAD__)
#define FAUTH_TEST_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FAUTH_TEST_THREAD_SANITIZER 1
#endif
#endif
#ifndef FAUTH_TEST_THREAD_SANITIZER
#define FAUTH_TEST_THREAD_SANITIZER 0
#endif

namespace fauth::test {

/// True under ThreadSanitizer, which slows some paths far more than others (5-15x, unevenly):
/// wall-clock comparisons then say nothing about the code, and are made only in the other builds.
inline constexpr bool kThreadSanitizer = FAUTH_TEST_THREAD_SANITIZER == 1;

}  // namespace fauth::test
