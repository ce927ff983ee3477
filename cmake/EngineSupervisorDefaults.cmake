# Per-target build flags: warnings, -Werror under an option, sanitizers.
# Applied to every target of ours by engine_supervisor_defaults(target),
# never through global CMAKE_CXX_FLAGS.

option(ENGINE_SUPERVISOR_WERROR "Treat warnings as errors (CI turns this on)" OFF)
option(ENGINE_SUPERVISOR_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(ENGINE_SUPERVISOR_BUILD_FUZZERS
       "Build the libFuzzer targets (tests/fuzz/), everything with ASan and UBSan; clang only" OFF)

if(ENGINE_SUPERVISOR_BUILD_FUZZERS AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "ENGINE_SUPERVISOR_BUILD_FUZZERS needs clang (libFuzzer): "
                      "configure with CXX=clang++, as tests/fuzz/run_fuzzers.sh does")
endif()

function(engine_supervisor_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${ENGINE_SUPERVISOR_WERROR}>:/WX>)
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Wformat=2
      $<$<BOOL:${ENGINE_SUPERVISOR_WERROR}>:-Werror>)
  endif()
  # The fuzzers are built under ASan and UBSan too, with libFuzzer's coverage
  # instrumentation in every target of ours; only the fuzz targets link
  # libFuzzer itself (-fsanitize=fuzzer, tests/fuzz/CMakeLists.txt).
  if((ENGINE_SUPERVISOR_SANITIZE OR ENGINE_SUPERVISOR_BUILD_FUZZERS) AND NOT MSVC)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined
      $<$<BOOL:${ENGINE_SUPERVISOR_BUILD_FUZZERS}>:-fsanitize=fuzzer-no-link>)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# The test executables are compiled in batches of files (a unity build) when
# ENGINE_SUPERVISOR_UNITY_TESTS is on, as CI does (scripts/test.sh): each
# test file's optimised code is mostly doctest's and the fixtures' inline
# templates, compiled once per batch instead of once per file, which halves
# the suites' build, CI's largest cost. Off by default, so that editing one
# test recompiles one file.
option(ENGINE_SUPERVISOR_UNITY_TESTS "Build the test executables as unity batches" OFF)
function(engine_supervisor_unity_tests target)
  if(ENGINE_SUPERVISOR_UNITY_TESTS)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    # doctest's main must see DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN before any
    # other file of its batch includes doctest.
    set_source_files_properties(${PROJECT_SOURCE_DIR}/tests/test_main.cpp TARGET_DIRECTORY ${target}
                                PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  endif()
endfunction()
