# Per-target build flags: warnings, -Werror under an option, sanitizers.
# Applied to every target of ours by engine_supervisor_defaults(target),
# never through global CMAKE_CXX_FLAGS.

option(ENGINE_SUPERVISOR_WERROR "Treat warnings as errors (CI turns this on)" OFF)
option(ENGINE_SUPERVISOR_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

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
  if(ENGINE_SUPERVISOR_SANITIZE AND NOT MSVC)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
