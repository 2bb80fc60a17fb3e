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

# Layer of each public header (include/fauth/...); a header not listed here is refused, so that a
# new one must be given a layer.
set(_fauth_layer_order core auth http redis)
set(_fauth_layer_core
  ascii.hpp base64url.hpp clock.hpp config.hpp errors.hpp keys.hpp password.hpp random.hpp
  security_event.hpp token.hpp worker_pool.hpp detail/in_flight.hpp)
set(_fauth_layer_auth
  access.hpp user_traits.hpp provider.hpp revocation.hpp throttle.hpp detail/promise.hpp fauth.hpp)
set(_fauth_layer_redis redis.hpp redis_revocation_store.hpp redis_throttle.hpp)
# http: http.hpp and everything under http/.

function(_fauth_header_layer header out)
  if(header STREQUAL "http.hpp" OR header MATCHES "^http/")
    set(${out} http PARENT_SCOPE)
    return()
  endif()
  foreach(layer core auth redis)
    if(header IN_LIST _fauth_layer_${layer})
      set(${out} ${layer} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
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
    elseif(included MATCHES "^fauth/(.+)$")
      _fauth_header_layer(${CMAKE_MATCH_1} their)
      if(their STREQUAL "")
        message(FATAL_ERROR "layers: ${included} (included by ${file}) has no layer: add it to cmake/layers.cmake")
      endif()
      list(FIND _fauth_layer_order ${their} their_rank)
      # redis sits beside http, on auth: neither may include the other.
      if(their_rank GREATER own_rank OR (layer STREQUAL "redis" AND their STREQUAL "http"))
        message(FATAL_ERROR "layers: ${file} (${layer}) includes ${included} (${their}), a layer above it")
      endif()
    endif()
  endforeach()
endfunction()

file(GLOB_RECURSE _fauth_headers RELATIVE ${FAUTH_LAYERS_ROOT}/include/fauth ${FAUTH_LAYERS_ROOT}/include/fauth/*.hpp)
foreach(header IN LISTS _fauth_headers)
  _fauth_header_layer(${header} layer)
  if(layer STREQUAL "")
    message(FATAL_ERROR "layers: include/fauth/${header} has no layer: add it to cmake/layers.cmake")
  endif()
  _fauth_check_file(${FAUTH_LAYERS_ROOT}/include/fauth/${header} ${layer})
endforeach()
foreach(layer core auth http)
  file(GLOB _fauth_sources ${FAUTH_LAYERS_ROOT}/src/${layer}/*.cpp ${FAUTH_LAYERS_ROOT}/src/${layer}/*.hpp)
  foreach(source IN LISTS _fauth_sources)
    _fauth_check_file(${source} ${layer})
  endforeach()
endforeach()
file(GLOB _fauth_sources ${FAUTH_LAYERS_ROOT}/src/stores/*.cpp ${FAUTH_LAYERS_ROOT}/src/stores/*.hpp)
foreach(source IN LISTS _fauth_sources)
  _fauth_check_file(${source} redis)
endforeach()
