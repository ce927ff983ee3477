# The dependencies of the Windows cross build (mingw-w64), as the targets the
# project links, in place of the find_package calls of the native build.
#
# Needs ENGINE_SUPERVISOR_CROSS_DEPS: the folder scripts/build-windows.sh fills
# (build-windows/deps), with
#   prefix/lib/libsqlite3.a, prefix/include/sqlite3.h   SQLite amalgamation
#   prefix/lib/libyaml-cpp.a, prefix/include/yaml-cpp   yaml-cpp 0.7 (static)
#   include/                                            symlinks to the Debian
#     headers of boost, spdlog, fmt, nlohmann, CLI, doctest, xxhash.h + a
#     Windows.h shim
#
# Defines: SQLite::SQLite3 Boost::headers spdlog::spdlog fmt::fmt yaml-cpp
#   nlohmann_json::nlohmann_json CLI11::CLI11 doctest::doctest xxHash::headers
#   Threads::Threads
#   es_windows_system (the Win32 import libraries; linked by SQLite::SQLite3 and
#   Boost::headers, so by every target of the project).
# Sets ENGINE_SUPERVISOR_DOCTEST_DISCOVER to OFF (tests run under wine by a
# script, not by doctest_discover_tests) and defines a no-op
# doctest_discover_tests(); find_package(doctest) and include(doctest) are made
# harmless too.

if(TARGET es_windows_system)
  return()
endif()

if(NOT ENGINE_SUPERVISOR_CROSS_DEPS)
  message(FATAL_ERROR "WindowsCrossDeps: set ENGINE_SUPERVISOR_CROSS_DEPS to the folder "
                      "scripts/build-windows.sh builds (build-windows/deps)")
endif()
get_filename_component(_es_deps "${ENGINE_SUPERVISOR_CROSS_DEPS}" ABSOLUTE)
set(_es_prefix "${_es_deps}/prefix")
set(_es_shim "${_es_deps}/include")

foreach(_es_file IN ITEMS
    "${_es_prefix}/lib/libsqlite3.a" "${_es_prefix}/include/sqlite3.h"
    "${_es_prefix}/lib/libyaml-cpp.a" "${_es_prefix}/include/yaml-cpp/yaml.h"
    "${_es_shim}/boost/version.hpp" "${_es_shim}/spdlog/spdlog.h" "${_es_shim}/fmt/format.h"
    "${_es_shim}/nlohmann/json.hpp" "${_es_shim}/CLI/CLI.hpp" "${_es_shim}/doctest/doctest.h"
    "${_es_shim}/xxhash.h" "${_es_shim}/Windows.h")
  if(NOT EXISTS "${_es_file}")
    message(FATAL_ERROR "WindowsCrossDeps: ${_es_file} is missing; run scripts/build-windows.sh --deps-only")
  endif()
endforeach()

# The Win32 libraries that Asio, the platform code and SQLite need.
# NOMINMAX: windows.h's min/max macros break std::min and numeric_limits::max.
# WIN32_LEAN_AND_MEAN: keeps windows.h from pulling in winsock.h, which clashes
# with the winsock2.h Asio includes.
add_library(es_windows_system INTERFACE IMPORTED GLOBAL)
set_target_properties(es_windows_system PROPERTIES
  INTERFACE_COMPILE_DEFINITIONS "NOMINMAX;WIN32_LEAN_AND_MEAN"
  INTERFACE_LINK_LIBRARIES "ws2_32;mswsock;bcrypt;ntdll;advapi32;shell32;user32;rstrtmgr;kernel32")

find_package(Threads REQUIRED)

add_library(SQLite::SQLite3 STATIC IMPORTED GLOBAL)
set_target_properties(SQLite::SQLite3 PROPERTIES
  IMPORTED_LOCATION "${_es_prefix}/lib/libsqlite3.a"
  INTERFACE_INCLUDE_DIRECTORIES "${_es_prefix}/include"
  INTERFACE_LINK_LIBRARIES "Threads::Threads;es_windows_system")

# Header-only libraries, all from the shim folder. Imported targets, so their
# include folder is a system one (-isystem): no -Wshadow etc. from Boost.
add_library(Boost::headers INTERFACE IMPORTED GLOBAL)
set_target_properties(Boost::headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_es_shim}"
  INTERFACE_LINK_LIBRARIES "Threads::Threads;es_windows_system")

# fmt 9 header-only (no libfmt for Windows); Debian's spdlog uses the external fmt
# (tweakme.h defines SPDLOG_FMT_EXTERNAL 1) and is header-only when
# SPDLOG_COMPILED_LIB is not defined.
add_library(fmt::fmt INTERFACE IMPORTED GLOBAL)
set_target_properties(fmt::fmt PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_es_shim}"
  INTERFACE_COMPILE_DEFINITIONS "FMT_HEADER_ONLY=1")

add_library(spdlog::spdlog INTERFACE IMPORTED GLOBAL)
set_target_properties(spdlog::spdlog PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_es_shim}"
  # Wide file names: log folders with non-ASCII names must open on Windows.
  INTERFACE_COMPILE_DEFINITIONS "SPDLOG_FMT_EXTERNAL=1;SPDLOG_WCHAR_FILENAMES=1"
  INTERFACE_LINK_LIBRARIES "fmt::fmt;Threads::Threads;es_windows_system")

# yaml-cpp 0.7: static unless YAML_CPP_DLL is defined, so no define is needed.
add_library(yaml-cpp STATIC IMPORTED GLOBAL)
set_target_properties(yaml-cpp PROPERTIES
  IMPORTED_LOCATION "${_es_prefix}/lib/libyaml-cpp.a"
  INTERFACE_INCLUDE_DIRECTORIES "${_es_prefix}/include")

add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED GLOBAL)
set_target_properties(nlohmann_json::nlohmann_json PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_es_shim}")

add_library(CLI11::CLI11 INTERFACE IMPORTED GLOBAL)
set_target_properties(CLI11::CLI11 PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_es_shim}")

# xxHash is used header-only (XXH_INLINE_ALL): no library to build.
add_library(xxHash::headers INTERFACE IMPORTED GLOBAL)
set_target_properties(xxHash::headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_es_shim}")

add_library(doctest::doctest INTERFACE IMPORTED GLOBAL)
set_target_properties(doctest::doctest PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_es_shim}")

# doctest: the tests run under wine by a script, not through ctest discovery.
set(ENGINE_SUPERVISOR_DOCTEST_DISCOVER OFF)
function(doctest_discover_tests)
endfunction()
# Keep an unguarded find_package(doctest) / include(doctest) harmless: a config
# file that finds the target above, and a doctest module that defines nothing
# (the no-op function stays). Both are generated into the build folder.
set(_es_cmake_shim "${CMAKE_BINARY_DIR}/es-cross-cmake")
file(WRITE "${_es_cmake_shim}/doctestConfig.cmake"
  "# Generated by WindowsCrossDeps.cmake: doctest::doctest is defined there.\n")
file(WRITE "${_es_cmake_shim}/doctest.cmake"
  "# Generated by WindowsCrossDeps.cmake: doctest_discover_tests is a no-op there.\n")
set(doctest_DIR "${_es_cmake_shim}" CACHE PATH "doctest config (cross build shim)" FORCE)
list(APPEND CMAKE_MODULE_PATH "${_es_cmake_shim}")

unset(_es_file)
