# The layers of docs/architecture.md, checked when the build is configured: a file may include headers of its
# own layer and of the layers below it, never above; the core includes nothing of Pistache and
# only the http layer (and what stands on it) Pistache's HTTP headers; only the http layer
# declares names in `namespace http`. The command-line tools (cli/) and the examples (examples/)
# use fauth's public headers only, and their own files. A violation stops the configuration with
# the file and the include that breaks the rule.
#
# Also a script: cmake -DFAUTH_LAYERS_ROOT=DIR -P cmake/layers.cmake checks the tree at DIR
# (tests/layers/layers_test.sh shows it refuses what it should).
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST), also when run as a script
if(NOT DEFINED FAUTH_LAYERS_ROOT)
  set(FAUTH_LAYERS_ROOT ${PROJECT_SOURCE_DIR})
endif()

# The layer of a public header is its directory: include/fauth/<layer>/..., mirroring src/<layer>/.
# The umbrella headers at the top belong to the layer they gather: fauth.hpp (core and auth),
# oidc.hpp, http.hpp, redis.hpp, testing.hpp. Anything else is refused, so that every new header is given a layer.
# oidc (fetching keys and provider metadata with libcurl) stands on the core alone.
# testing (the kit for users' test suites, fauth/testing.hpp) stands on http.
# otel (the OpenTelemetry adapter, built when opentelemetry-cpp is found) stands on the core alone:
# last in the order so that no other layer includes it, and it includes the core only.
set(_fauth_layer_order core oidc auth http redis testing otel)

function(_fauth_header_layer header out)
  if(header MATCHES "^(core|oidc|auth|http|redis|otel)/")
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
  elseif(header STREQUAL "fauth.hpp")
    set(${out} auth PARENT_SCOPE)
  elseif(header MATCHES "^(oidc|http|redis|testing)\\.hpp$")
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# Pistache's promise type is all that auth (and redis, on it) may use of Pistache: its HTTP
# headers (http.h, router.h, endpoint.h, ...) belong to the http layer and what stands on it.
set(_fauth_pistache_outside_http pistache/async.h)

# Checks every include of `file`, which belongs to `layer`.
function(_fauth_check_file file layer)
  list(FIND _fauth_layer_order ${layer} own_rank)
  string(FIND "${file}" "${FAUTH_LAYERS_ROOT}/include/" in_include)  # 0: a public header
  if(NOT layer STREQUAL "http")
    file(STRINGS ${file} declared REGEX "^[ \t]*namespace[ \t]+(fauth::)?http([^A-Za-z0-9_]|$)")
    if(declared)
      message(FATAL_ERROR "layers: ${file} (${layer}) declares names in namespace http: only the http layer does")
    endif()
  endif()
  file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*" "\\1" included "${line}")
    if(included MATCHES "^pistache/" AND layer STREQUAL "core")
      message(FATAL_ERROR "layers: ${file} is in the core, which uses no Pistache, but includes <${included}>")
    elseif(included MATCHES "^pistache/" AND layer MATCHES "^(auth|redis)$" AND NOT included IN_LIST _fauth_pistache_outside_http)
      message(FATAL_ERROR "layers: ${file} (${layer}) includes <${included}>: only the http layer uses Pistache's HTTP headers (${layer} may use <pistache/async.h>, its promise type)")
    elseif(included MATCHES "^hiredis/" AND NOT layer STREQUAL "redis")
      message(FATAL_ERROR "layers: ${file} (${layer}) includes <${included}>: only the redis layer uses hiredis")
    elseif(included MATCHES "^opentelemetry/" AND NOT layer STREQUAL "otel")
      message(FATAL_ERROR "layers: ${file} (${layer}) includes <${included}>: only the otel layer uses opentelemetry-cpp")
    elseif(included MATCHES "^curl/" AND NOT layer STREQUAL "oidc")
      message(FATAL_ERROR "layers: ${file} (${layer}) includes <${included}>: only the oidc layer uses libcurl")
    elseif(included MATCHES "^pistache/" AND layer MATCHES "^(oidc|otel)$")
      message(FATAL_ERROR "layers: ${file} is in the ${layer} layer, which uses no Pistache, but includes <${included}>")
    elseif(included MATCHES "^fauth/[a-z]+/internal/" AND in_include EQUAL 0)
      message(FATAL_ERROR "layers: ${file} is a public header but includes ${included}, an internal one (not installed)")
    elseif(included MATCHES "^fauth/(.+)$")
      _fauth_header_layer(${CMAKE_MATCH_1} their)
      if(their STREQUAL "")
        message(FATAL_ERROR "layers: ${included} (included by ${file}) has no layer: put it under include/fauth/<layer>/")
      endif()
      list(FIND _fauth_layer_order ${their} their_rank)
      # redis sits beside http, on auth: neither may include the other (nor may the testing kit use redis).
      if(their_rank GREATER own_rank OR (layer STREQUAL "redis" AND their STREQUAL "http")
         OR (layer STREQUAL "testing" AND their STREQUAL "redis"))
        message(FATAL_ERROR "layers: ${file} (${layer}) includes ${included} (${their}), a layer above it")
      elseif(layer STREQUAL "otel" AND NOT their MATCHES "^(core|otel)$")
        message(FATAL_ERROR "layers: ${file} (otel) includes ${included} (${their}): the otel layer stands on the core alone")
      endif()
    endif()
  endforeach()
endfunction()

file(GLOB_RECURSE _fauth_headers RELATIVE ${FAUTH_LAYERS_ROOT}/include/fauth ${FAUTH_LAYERS_ROOT}/include/fauth/*.hpp)
foreach(header IN LISTS _fauth_headers)
  _fauth_header_layer(${header} layer)
  if(layer STREQUAL "")
    message(FATAL_ERROR "layers: include/fauth/${header} has no layer: put it under include/fauth/<layer>/")
  endif()
  _fauth_check_file(${FAUTH_LAYERS_ROOT}/include/fauth/${header} ${layer})
endforeach()
# The internal headers (the fauth_internal target, src/internal/fauth/<layer>/internal/) are checked
# as their layer's.
file(GLOB_RECURSE _fauth_internal_headers RELATIVE ${FAUTH_LAYERS_ROOT}/src/internal/fauth
     ${FAUTH_LAYERS_ROOT}/src/internal/fauth/*.hpp)
foreach(header IN LISTS _fauth_internal_headers)
  _fauth_header_layer(${header} layer)
  if(layer STREQUAL "" OR NOT header MATCHES "^[a-z]+/internal/")
    message(FATAL_ERROR "layers: src/internal/fauth/${header} has no layer: put it under src/internal/fauth/<layer>/internal/")
  endif()
  _fauth_check_file(${FAUTH_LAYERS_ROOT}/src/internal/fauth/${header} ${layer})
endforeach()
foreach(layer IN LISTS _fauth_layer_order)
  file(GLOB _fauth_sources ${FAUTH_LAYERS_ROOT}/src/${layer}/*.cpp ${FAUTH_LAYERS_ROOT}/src/${layer}/*.hpp)
  foreach(source IN LISTS _fauth_sources)
    _fauth_check_file(${source} ${layer})
  endforeach()
endforeach()

# The tools and the examples stand where a user's code stands: on fauth's public headers (those
# under include/fauth) and on their own files, found beside the including file or in their home
# (cli/, examples/<name>/). An example's tool may use the CLI's kit (cli/args.hpp, cli/io.hpp:
# argument parsing and password prompts, the fauth_cli_kit target); nothing reaches into src/ or
# into another example.
set(_fauth_cli_kit args.hpp io.hpp)
function(_fauth_check_user_file file home may_use_kit)
  get_filename_component(dir ${file} DIRECTORY)
  file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*([<\"])([^>\"]+)[>\"].*" "\\1;\\2" parsed "${line}")
    list(GET parsed 0 delimiter)
    list(GET parsed 1 included)
    if(included MATCHES "^fauth/")
      if(NOT EXISTS ${FAUTH_LAYERS_ROOT}/include/${included})
        message(FATAL_ERROR "layers: ${file} includes ${included}, which is not a public header of fauth (include/fauth/)")
      endif()
    elseif(delimiter STREQUAL "\"")
      set(found "")
      foreach(base ${dir} ${home})
        if(found STREQUAL "" AND EXISTS ${base}/${included})
          get_filename_component(found ${base}/${included} REALPATH)
        endif()
      endforeach()
      get_filename_component(real_home ${home} REALPATH)
      string(FIND "${found}" "${real_home}/" at)
      if(NOT at EQUAL 0 AND NOT (may_use_kit AND included IN_LIST _fauth_cli_kit AND EXISTS ${FAUTH_LAYERS_ROOT}/cli/${included}))
        message(FATAL_ERROR "layers: ${file} includes \"${included}\", which is not its own (${home}): tools and examples use fauth's public headers and their own files")
      endif()
    endif()
  endforeach()
endfunction()

file(GLOB_RECURSE _fauth_cli_files ${FAUTH_LAYERS_ROOT}/cli/*.cpp ${FAUTH_LAYERS_ROOT}/cli/*.hpp)
foreach(source IN LISTS _fauth_cli_files)
  _fauth_check_user_file(${source} ${FAUTH_LAYERS_ROOT}/cli FALSE)
endforeach()
file(GLOB _fauth_examples LIST_DIRECTORIES true ${FAUTH_LAYERS_ROOT}/examples/*)
foreach(example IN LISTS _fauth_examples)
  if(IS_DIRECTORY ${example})
    file(GLOB_RECURSE _fauth_example_files ${example}/*.cpp ${example}/*.hpp)
    foreach(source IN LISTS _fauth_example_files)
      _fauth_check_user_file(${source} ${example} TRUE)
    endforeach()
  endif()
endforeach()
