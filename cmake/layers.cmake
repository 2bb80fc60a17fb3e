# The layers of DESIGN.md, checked when the build is configured: a file may include headers of its
# own layer and of the layers below it, never above; the core includes nothing of Pistache. A
# violation stops the configuration with the file and the include that breaks the rule.
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
set(_fauth_layer_order core oidc auth http redis testing)

function(_fauth_header_layer header out)
  if(header MATCHES "^(core|oidc|auth|http|redis)/")
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
  elseif(header STREQUAL "fauth.hpp")
    set(${out} auth PARENT_SCOPE)
  elseif(header MATCHES "^(oidc|http|redis|testing)\\.hpp$")
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# Checks every include of `file`, which belongs to `layer`.
function(_fauth_check_file file layer)
  list(FIND _fauth_layer_order ${layer} own_rank)
  file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*" "\\1" included "${line}")
    if(included MATCHES "^pistache/" AND layer STREQUAL "core")
      message(FATAL_ERROR "layers: ${file} is in the core, which uses no Pistache, but includes <${included}>")
    elseif(included MATCHES "^hiredis/" AND NOT layer STREQUAL "redis")
      message(FATAL_ERROR "layers: ${file} (${layer}) includes <${included}>: only the redis layer uses hiredis")
    elseif(included MATCHES "^curl/" AND NOT layer STREQUAL "oidc")
      message(FATAL_ERROR "layers: ${file} (${layer}) includes <${included}>: only the oidc layer uses libcurl")
    elseif(included MATCHES "^pistache/" AND layer STREQUAL "oidc")
      message(FATAL_ERROR "layers: ${file} is in the oidc layer, which uses no Pistache, but includes <${included}>")
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
foreach(layer IN LISTS _fauth_layer_order)
  file(GLOB _fauth_sources ${FAUTH_LAYERS_ROOT}/src/${layer}/*.cpp ${FAUTH_LAYERS_ROOT}/src/${layer}/*.hpp)
  foreach(source IN LISTS _fauth_sources)
    _fauth_check_file(${source} ${layer})
  endforeach()
endforeach()
