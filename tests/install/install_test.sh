#!/usr/bin/env bash
# Installs the build tree under test (static libraries) into a temporary prefix, then builds and
# runs a consumer against it with find_package(fauth) and with pkg-config. The shared libraries
# (-DBUILD_SHARED_LIBS=ON: their SONAMEs and links, a consumer that loads them) are checked by
# `scripts/package --test`, on the Debian packages that hold them beside the static ones.
#   install_test.sh BUILD_DIR
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
consumer=$here/consumer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# check PREFIX KIND: both consumers build against PREFIX and print the subject of a token.
check() {
  local prefix=$1 kind=$2
  cmake -S "$consumer" -B "$work/$kind-cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/$kind-cmake" >/dev/null
  [[ $("$work/$kind-cmake/consumer") == "user-123" ]] || { echo "$kind: find_package consumer failed"; exit 1; }
  [[ $("$work/$kind-cmake/consumer_layers") == "ok" ]] || { echo "$kind: find_package consumer of the oidc and http layers failed"; exit 1; }
  echo "$kind: find_package(fauth): ok"
  local libdir
  libdir=$(dirname "$(find "$prefix" -name fauth.pc -path '*pkgconfig*')")/..
  PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config --exists fauth \
    || { echo "$kind: pkg-config cannot find fauth"; exit 1; }
  # shellcheck disable=SC2046
  c++ "$consumer/main.cpp" -o "$work/$kind-pc" \
    $(PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config --cflags --libs fauth)
  [[ $(LD_LIBRARY_PATH="$libdir" "$work/$kind-pc") == "user-123" ]] || { echo "$kind: pkg-config consumer failed"; exit 1; }
  # The oidc and http layers, linked statically as fauth.pc says: with `pkg-config --static`.
  # shellcheck disable=SC2046
  c++ "$consumer/layers.cpp" -o "$work/$kind-pc-layers" \
    $(PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config --static --cflags --libs fauth)
  [[ $("$work/$kind-pc-layers") == "ok" ]] || { echo "$kind: pkg-config --static consumer of the oidc and http layers failed"; exit 1; }
  echo "$kind: pkg-config fauth: ok"
}

# Static: the build tree under test.
cmake --install "$build_dir" --prefix "$work/static" >/dev/null
for lib in fauth_core fauth_oidc fauth_auth fauth_http fauth_redis; do
  [[ -n $(find "$work/static" -name "lib$lib.a") ]] || { echo "static: no lib$lib.a installed"; exit 1; }
done
[[ -z $(find "$work/static" -name 'libfauth*.so*') ]] || { echo "static: a shared library was installed"; exit 1; }
# Its export file is the static one, which a shared build installed beside it would not overwrite.
cmake_dir=$(dirname "$(find "$work/static" -name fauthConfig.cmake)")
[[ -f $cmake_dir/fauthTargets-static.cmake && ! -e $cmake_dir/fauthTargets-shared.cmake ]] \
  || { echo "static: fauthTargets-static.cmake (alone) not installed"; exit 1; }
# The internal headers (fauth_internal) are not installed, so no consumer can include them.
[[ -z $(find "$work/static" -path '*/internal/*' -o -name ascii.hpp -o -name worker_pool.hpp -o -name hmac.hpp) ]] \
  || { echo "static: an internal header was installed"; exit 1; }
check "$work/static" static
