#!/usr/bin/env bash
# Installs fauth into temporary prefixes, then builds and runs a consumer with find_package(fauth)
# and with pkg-config: once for the static library of the build tree under test, and once for a
# shared build (-DBUILD_SHARED_LIBS=ON) of the same sources, whose SONAME is checked too.
#   install_test.sh BUILD_DIR
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
source_root=$(cd "$here/../.." && pwd)
consumer=$here/consumer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check PREFIX KIND: both consumers build against PREFIX and print the subject of a token.
check() {
  local prefix=$1 kind=$2
  cmake -S "$consumer" -B "$work/$kind-cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/$kind-cmake" >/dev/null
  [[ $("$work/$kind-cmake/consumer") == "user-123" ]] || { echo "$kind: find_package consumer failed"; exit 1; }
  echo "$kind: find_package(fauth): ok"
  local libdir
  libdir=$(dirname "$(find "$prefix" -name fauth.pc -path '*pkgconfig*')")/..
  PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config --exists fauth \
    || { echo "$kind: pkg-config cannot find fauth"; exit 1; }
  # shellcheck disable=SC2046
  c++ "$consumer/main.cpp" -o "$work/$kind-pc" \
    $(PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config --cflags --libs fauth)
  [[ $(LD_LIBRARY_PATH="$libdir" "$work/$kind-pc") == "user-123" ]] || { echo "$kind: pkg-config consumer failed"; exit 1; }
  echo "$kind: pkg-config fauth: ok"
}

# Static: the build tree under test.
cmake --install "$build_dir" --prefix "$work/static" >/dev/null
for lib in fauth_core fauth_oidc fauth_auth fauth_http fauth_redis; do
  [[ -n $(find "$work/static" -name "lib$lib.a") ]] || { echo "static: no lib$lib.a installed"; exit 1; }
done
[[ -z $(find "$work/static" -name 'libfauth*.so*') ]] || { echo "static: a shared library was installed"; exit 1; }
# The internal headers (fauth_internal) are not installed, so no consumer can include them.
[[ -z $(find "$work/static" -path '*/internal/*' -o -name ascii.hpp -o -name worker_pool.hpp -o -name hmac.hpp) ]] \
  || { echo "static: an internal header was installed"; exit 1; }
check "$work/static" static

# Shared: the library alone, unoptimised and with clang (only the packaging is under test here, and
# clang's -O0 code generation takes 40% less time than g++'s; the consumers are built with c++).
CC=clang CXX=clang++ cmake -S "$source_root" -B "$work/shared-build" -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O0 \
  -DFAUTH_BUILD_TESTS=OFF -DFAUTH_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$work/shared-build" -j"${JOBS:-2}" >/dev/null
cmake --install "$work/shared-build" --prefix "$work/shared" >/dev/null
version=$(sed -n 's/^project(fauth VERSION \([0-9.]*\).*/\1/p' "$source_root/CMakeLists.txt")
soversion=${version%.*}
for lib in fauth_core fauth_oidc fauth_auth fauth_http fauth_redis; do
  so=$(find "$work/shared" -name "lib$lib.so.$version")
  [[ -n $so ]] || { echo "shared: lib$lib.so.$version not installed"; exit 1; }
  soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
  [[ $soname == "lib$lib.so.$soversion" ]] || { echo "shared: lib$lib SONAME is '$soname', not lib$lib.so.$soversion"; exit 1; }
  [[ -L $(dirname "$so")/lib$lib.so.$soversion && -L $(dirname "$so")/lib$lib.so ]] \
    || { echo "shared: lib$lib.so.$soversion or lib$lib.so link missing"; exit 1; }
done
echo "shared: SONAME libfauth_{core,oidc,auth,http,redis}.so.$soversion: ok"
[[ -z $(find "$work/shared" -name 'libfauth*.a') ]] || { echo "shared: a static library was installed"; exit 1; }
check "$work/shared" shared
# The shared consumer really loads the shared library.
# (It uses tokens only, so the core library is the one it must load.)
# (ldd's output is read whole first: `ldd | grep -q` under pipefail fails whenever grep's early exit
# makes ldd's next write fail with SIGPIPE, as happened once in a fresh-clone run.)
loaded=$(ldd "$work/shared-cmake/consumer")
[[ $loaded == *"libfauth_core.so.$soversion"* ]] || { echo "shared: consumer does not load libfauth_core.so"; exit 1; }
echo "shared: consumer loads libfauth_core.so.$soversion: ok"
