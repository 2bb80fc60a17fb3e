#!/usr/bin/env bash
# The C++ sources are formatted as .clang-format says (clang-format 14, Debian's package, which
# scripts/bootstrap installs): this fails with the first lines that are not, so the formatting
# applied once stays applied. Fix a file with `clang-format -i FILE`.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "format_check: clang-format is not installed (scripts/bootstrap test installs it)"; exit 1; }
files=$(git ls-files '*.hpp' '*.cpp' | grep -v '^tests/fuzz/corpus/\|^tests/fuzz/regressions/')
[[ -n $files ]] || { echo "format_check: no sources found (not a git checkout?)"; exit 1; }
# shellcheck disable=SC2086  # one word per file on purpose
clang-format --dry-run --Werror $files 2>&1 | head -40
exit "${PIPESTATUS[0]}"
