# CMake toolchain file: cross-build for 64-bit Windows with Debian's mingw-w64
# (the -posix thread model, so std::thread/std::mutex work), run under wine.
#
#   cmake -S . -B build-windows/project \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
#     -DENGINE_SUPERVISOR_CROSS_DEPS=$PWD/build-windows/deps -DCMAKE_BUILD_TYPE=Release
#
# scripts/build-windows.sh installs the compilers and builds the dependencies.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_es_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_es_triple}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_es_triple}-g++-posix)
set(CMAKE_RC_COMPILER ${_es_triple}-windres)
set(CMAKE_AR ${_es_triple}-ar CACHE FILEPATH "mingw-w64 ar")
set(CMAKE_RANLIB ${_es_triple}-ranlib CACHE FILEPATH "mingw-w64 ranlib")

# The dependencies built by scripts/build-windows.sh (deps/prefix holds
# libsqlite3.a, libyaml-cpp.a and their headers). try_compile projects re-read
# this file, so the variable is forwarded to them.
if(NOT ENGINE_SUPERVISOR_CROSS_DEPS)
  get_filename_component(ENGINE_SUPERVISOR_CROSS_DEPS
    "${CMAKE_CURRENT_LIST_DIR}/../build-windows/deps" ABSOLUTE)
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ENGINE_SUPERVISOR_CROSS_DEPS)

set(CMAKE_FIND_ROOT_PATH /usr/${_es_triple} "${ENGINE_SUPERVISOR_CROSS_DEPS}/prefix")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Windows 10 API level; the same on every translation unit.
set(CMAKE_C_FLAGS_INIT "-D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00")
set(CMAKE_CXX_FLAGS_INIT "-D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00")

# Self-contained binaries: libgcc, libstdc++ and winpthread linked statically,
# so the .exe files need no mingw DLL next to them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")

# Lets CMake (add_test, try_run) run the .exe files through wine.
find_program(ES_WINE NAMES wine wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(ES_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/env WINEDEBUG=-all ${ES_WINE})
endif()
