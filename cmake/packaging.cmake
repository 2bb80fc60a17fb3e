# CPack: fauth as three Debian packages, one per install component (the install section of the
# top-level CMakeLists.txt):
#   libfauth      the shared libraries libfauth_{core,oidc,auth,http,redis}.so.X.Y (SONAME
#                 libfauth_*.so.X.Y: the ABI is kept within a minor version while the major is 0)
#   libfauth-dev  headers, static libraries, the .so namelinks, find_package(fauth), fauth.pc
#   fauth-tools   the `fauth` command-line tool, linked against libfauth
# The libraries come from a -DBUILD_SHARED_LIBS=ON build (this tree); the static libraries and
# their export file, fauthTargets-static.cmake, from a second, static build tree of the same
# sources named by FAUTH_PACKAGE_STATIC_BUILD (only its `development` component is taken).
# scripts/package sets this up and runs cpack; `scripts/package --test` installs and checks them.
# The files go under /usr/${CMAKE_INSTALL_LIBDIR}: `lib` when the trees are configured with
# CMake's default prefix, as scripts/build's build/ is (both trees must agree, as the export files
# of the two builds sit side by side).
if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()

set(FAUTH_PACKAGE_STATIC_BUILD "" CACHE PATH
    "A static build tree of these sources whose static libraries libfauth-dev also ships (scripts/package)")
set(FAUTH_PACKAGE_MAINTAINER "Seed c6aaada8 maintainers <maintainers@users.noreply.b-seed-c6aaada8.example>"
    CACHE STRING "The Maintainer field of the Debian packages")
# fauth has no public home page yet: the field is left out until this names one.
set(FAUTH_PACKAGE_HOMEPAGE "" CACHE STRING "The Homepage field of the Debian packages (left out when empty)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fauth)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package's Description starts with its own summary line (CPACK_DEBIAN_<COMPONENT>_DESCRIPTION
# below): CPack's DEB generator prepends CPACK_PACKAGE_DESCRIPTION_SUMMARY to them unless it is
# CPack's default text, so that default is named here (it appears in no package).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_NAME} built using CMake")
set(CPACK_PACKAGE_VENDOR "fauth maintainers")
set(CPACK_PACKAGE_CONTACT "${FAUTH_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${FAUTH_PACKAGE_MAINTAINER}")
if(FAUTH_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${FAUTH_PACKAGE_HOMEPAGE}")
endif()
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_STRIP_FILES ON)  # the program and the shared libraries; static libraries are never stripped
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # NAME_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_COMPONENTS_ALL libraries development tools)
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};fauth;ALL;/")
if(FAUTH_PACKAGE_STATIC_BUILD)
  # An entry's third field names a set of components, CPACK_COMPONENTS_<SET>.
  list(PREPEND CPACK_INSTALL_CMAKE_PROJECTS "${FAUTH_PACKAGE_STATIC_BUILD};fauth;STATIC;/")
  set(CPACK_COMPONENTS_STATIC development)
endif()

# Run-time dependencies of the ELF files from dpkg-shlibdeps; libfauth's own libraries are found in
# this tree (fauth-tools links them), and libfauth declares them in its shlibs file.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/src)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
set(_fauth_exact "libfauth (= ${PROJECT_VERSION})")

set(CPACK_DEBIAN_LIBRARIES_PACKAGE_NAME libfauth)
set(CPACK_DEBIAN_LIBRARIES_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIBRARIES_DESCRIPTION
    "JWT authentication for Pistache REST services (shared libraries)
fauth adds sign-in, tokens (JWT: HS256, RS256, ES256, EdDSA and more), sessions,
API keys, DPoP and mTLS-bound tokens, and OpenID Connect resource-server support
to Pistache REST services. This package holds the shared libraries:
libfauth_core (tokens, keys, passwords), libfauth_oidc (identity providers),
libfauth_auth (access rules, stores), libfauth_http (guards and endpoints for
Pistache) and libfauth_redis (Redis-backed stores).")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libfauth-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
# What the headers include (nlohmann/json, Pistache), what fauthConfig.cmake looks for
# (OpenSSL 3, nlohmann_json, pkg-config modules libpistache, libxcrypt, hiredis, libcurl, libcbor
# and libqrencode) and
# what fauth.pc requires; the static libraries link all of them. GoogleTest only for fauth::testing.
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "${_fauth_exact}, libpistache-dev, nlohmann-json3-dev (>= 3.10), libssl-dev (>= 3.0), libcrypt-dev, libhiredis-dev, libcurl4-openssl-dev | libcurl-dev, libcbor-dev, libqrencode-dev, pkg-config")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SUGGESTS "cmake, libgtest-dev")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
    "JWT authentication for Pistache REST services (development files)
fauth adds sign-in, tokens, sessions, API keys, DPoP and mTLS-bound tokens, and
OpenID Connect resource-server support to Pistache REST services. This package
holds the C++20 headers, the static libraries, the CMake package
find_package(fauth) (targets fauth::fauth, fauth::redis and fauth::testing, on
the shared libraries unless fauth_USE_STATIC_LIBS is ON) and the pkg-config
file fauth.pc.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME fauth-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${_fauth_exact}")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION
    "JWT authentication for Pistache REST services (command-line tool)
The `fauth` command: bcrypt hashes of passwords (hash-password), signed tokens
for local testing (mint) and a token's header and claims, with its signature
and expiry checked (decode).")

include(CPack)
