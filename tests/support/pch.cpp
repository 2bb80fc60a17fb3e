// Compiles the tests' precompiled header once (see tests/CMakeLists.txt).
