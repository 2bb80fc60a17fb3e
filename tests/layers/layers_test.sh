#!/usr/bin/env bash
# The layer check (cmake/layers.cmake) passes on the tree as it is and refuses each kind of
# violation, planted in a copy: Pistache in the core, a core header including an auth one, an auth
# source including an http header, a redis source including an http header, libcurl outside the
# oidc layer, Pistache or the auth layer in the oidc layer, the testing kit in http or Redis in
# the testing kit, Pistache's HTTP headers in auth or redis, `namespace http` outside http, a tool
# or an example including a private header of src/, an internal header, another example's file
# or a header of the CLI that is not its kit, a public header including an internal one, an
# internal header including a layer above its own, a header with no layer.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
check() { cmake -DFAUTH_LAYERS_ROOT="$1" -P "$root/cmake/layers.cmake" 2>&1; }
fresh() { rm -rf "$work/tree" && mkdir -p "$work/tree" && cp -r "$root/include" "$root/src" "$root/cli" "$root/examples" "$work/tree/"; }

fresh
check "$work/tree" >/dev/null || { echo "the tree as it is fails the check:"; check "$work/tree"; exit 1; }
echo "clean tree: ok"

# refused FILE LINE EXPECTED: plants LINE at the top of FILE in a fresh copy; the check must fail
# saying EXPECTED.
refused() {
  fresh
  sed -i "1i $2" "$work/tree/$1"
  if out=$(check "$work/tree"); then echo "not refused: '$2' in $1"; exit 1; fi
  # (CMake wraps long messages: compared as one line.)
  grep -qF "$3" <<<"$(tr '\n' ' ' <<<"$out" | tr -s ' ')" || { echo "refused for another reason than '$3': $out"; exit 1; }
  echo "refused: $2 in $1"
}
refused src/core/token.cpp '#include <pistache/async.h>' "uses no Pistache"
refused include/fauth/core/token.hpp '#include "fauth/auth/provider.hpp"' "a layer above it"
refused src/auth/throttle.cpp '#include "fauth/http/guard.hpp"' "a layer above it"
refused src/otel/metrics.cpp '#include "fauth/auth/engine.hpp"' "stands on the core alone"
refused src/http/api.cpp '#include <opentelemetry/metrics/meter.h>' "only the otel layer uses opentelemetry-cpp"
refused src/redis/client.cpp '#include "fauth/http/server.hpp"' "a layer above it"
refused src/http/api.cpp '#include <hiredis/hiredis.h>' "only the redis layer uses hiredis"
refused src/http/api.cpp '#include <curl/curl.h>' "only the oidc layer uses libcurl"
refused src/oidc/fetch.cpp '#include <pistache/async.h>' "uses no Pistache"
refused src/oidc/jwks.cpp '#include "fauth/auth/engine.hpp"' "a layer above it"
refused src/http/api.cpp '#include "fauth/testing.hpp"' "a layer above it"
refused src/testing/testing.cpp '#include "fauth/redis/options.hpp"' "a layer above it"
refused src/auth/engine.cpp '#include <pistache/http.h>' "only the http layer uses Pistache's HTTP headers"
refused include/fauth/auth/config.hpp '#include <pistache/router.h>' "only the http layer uses Pistache's HTTP headers"
refused src/redis/client.cpp '#include <pistache/endpoint.h>' "only the http layer uses Pistache's HTTP headers"
refused include/fauth/auth/engine.hpp 'namespace fauth::http { class Guard; }' "declares names in namespace http"
refused src/core/token.cpp 'namespace http {' "declares names in namespace http"
refused include/fauth/auth/provider.hpp 'namespace http { template <class User> class GuardBuilder; }' "declares names in namespace http"
refused cli/mint.cpp '#include "store.hpp"' "which is not its own"
refused cli/mint.cpp '#include "../src/core/json_object_reader.hpp"' "which is not its own"
refused cli/decode.cpp '#include <fauth/core/json_object_reader.hpp>' "not a public header of fauth"
refused examples/notes_api/main.cpp '#include "json_object_reader.hpp"' "which is not its own"
refused examples/quickstart/main.cpp '#include "store.hpp"' "which is not its own"
refused examples/notes_api/admin/main.cpp '#include "commands.hpp"' "which is not its own"
refused include/fauth/fauth.hpp '#include "fauth/core/internal/ascii.hpp"' "an internal one (not installed)"
refused examples/notes_api/validation.cpp '#include <fauth/core/internal/ascii.hpp>' "not a public header of fauth"
refused src/internal/fauth/core/internal/random.hpp '#include "fauth/auth/engine.hpp"' "a layer above it"
fresh
echo '#pragma once' >"$work/tree/include/fauth/stray.hpp"
if out=$(check "$work/tree"); then echo "a header with no layer was not refused"; exit 1; fi
grep -qF "has no layer" <<<"$out" || { echo "refused for another reason: $out"; exit 1; }
echo "refused: a header with no layer"
