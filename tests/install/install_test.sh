#!/usr/bin/env bash
# Installs fauth from the build tree into a temporary prefix, then builds and runs a consumer
# with find_package(fauth) and with pkg-config.
set -euo pipefail
build_dir=$1
source_dir=$(cd "$(dirname "$0")" && pwd)/consumer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null

cmake -S "$source_dir" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
[[ $("$work/cmake-build/consumer") == "user-123" ]] || { echo "find_package consumer failed"; exit 1; }
echo "find_package(fauth): ok"

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists fauth || { echo "pkg-config cannot find fauth"; exit 1; }
# shellcheck disable=SC2046
c++ "$source_dir/main.cpp" -o "$work/pc-consumer" $(pkg-config --cflags --libs fauth)
[[ $("$work/pc-consumer") == "user-123" ]] || { echo "pkg-config consumer failed"; exit 1; }
echo "pkg-config fauth: ok"
