#!/usr/bin/env bash
# fauth's public headers raise no warning in a user's build: every full program of the docs is
# compiled as a user with strict flags would (-Wall -Wextra -Wpedantic -Wshadow -Wconversion,
# -Wmissing-field-initializers included, which the project's own build turns off), and any warning
# located in include/fauth fails the test. Warnings in the program itself are the user's business.
#   header_warnings.sh CXX INCLUDE_DIR PROGRAM.cpp...
set -euo pipefail
cxx=$1 include=$2
shift 2
status=0
for program in "$@"; do
  out=$("$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wnon-virtual-dtor \
        -I"$include" -isystem /usr/include/hiredis "$program" 2>&1) || { printf '%s\n' "$out"; exit 1; }
  if ours=$(printf '%s\n' "$out" | grep -F "$include/fauth/" | grep -F 'warning:'); then
    printf '%s: warnings in fauth'"'"'s headers:\n%s\n' "$program" "$ours"
    status=1
  else
    echo "$program: no warning in fauth's headers"
  fi
done
exit $status
