# Runs one compile-fail test (cmake -P): SOURCE must fail to compile with exactly one error (one
# mistake, one error), and a regex must match within the first 15 lines of the compiler's stderr,
# so that the error a user sees first is the one we meant; with GCC, the line that names a shape or
# contract error must be under 400 bytes after its file name.
#   -DCOMPILER=<c++>  -DSOURCE=<file.cpp>  -DFLAGS_FILE=<flags-CONFIG.cmake>  [-DREGEX_FILE=<file>]
#   [-DCOMPILER_ID=<GNU|Clang>]
# With -DMUST_COMPILE=ON it checks the opposite, with the same flags: SOURCE must compile (the
# device-boundary tests, tests/device/).
# Without REGEX_FILE the regex is SOURCE's first line, `// EXPECT: <regex>` (CMake regex syntax),
# or under clang its second line `// EXPECT-CLANG: <regex>` when there is one: clang prints types
# its own way (`>>`; clang 17+ leaves out defaulted arguments) and shows a rule's text as the pieces
# of `rule_text<...>` (core/module.hpp), so its regex is written separately.
cmake_minimum_required(VERSION 3.25)
set(head_lines 15)

foreach(var COMPILER SOURCE FLAGS_FILE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check.cmake: -D${var}=... is required")
  endif()
endforeach()
include(${FLAGS_FILE})  # TESSERA_CF_{OWN_INCLUDE,INCLUDES,DEFINES,IMPLICIT_INCLUDES}

if(MUST_COMPILE)
  # no regex: the source must compile
elseif(DEFINED REGEX_FILE)
  file(READ ${REGEX_FILE} regex)
else()
  file(READ ${SOURCE} text LIMIT 4096)
  if(NOT text MATCHES "^// EXPECT: ([^\r\n]*)")
    message(FATAL_ERROR "${SOURCE}: the first line must be `// EXPECT: <regex>`")
  endif()
  set(regex "${CMAKE_MATCH_1}")
  if(COMPILER_ID MATCHES "Clang" AND text MATCHES "^[^\r\n]*\r?\n// EXPECT-CLANG: ([^\r\n]*)")
    set(regex "${CMAKE_MATCH_1}")
  endif()
endif()

set(args -std=c++20 -fsyntax-only -fdiagnostics-color=never)
# The compiler's own directories stay out: `-isystem /usr/include` breaks libstdc++'s #include_next.
list(REMOVE_DUPLICATES TESSERA_CF_INCLUDES)
list(REMOVE_ITEM TESSERA_CF_INCLUDES ${TESSERA_CF_IMPLICIT_INCLUDES})
foreach(dir IN LISTS TESSERA_CF_INCLUDES)
  if(dir STREQUAL TESSERA_CF_OWN_INCLUDE)
    list(APPEND args -I${dir})
  else()
    list(APPEND args -isystem ${dir})
  endif()
endforeach()
foreach(def IN LISTS TESSERA_CF_DEFINES)
  list(APPEND args -D${def})
endforeach()

execute_process(COMMAND ${COMPILER} ${args} ${SOURCE}
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(MUST_COMPILE)
  if(NOT result EQUAL 0)
    string(JOIN " " command ${COMPILER} ${args} ${SOURCE})
    string(SUBSTRING "${err}" 0 8000 start)
    message(FATAL_ERROR "${SOURCE} must compile, but does not:\n${command}\n${start}")
  endif()
  return()
endif()
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not.")
endif()

# One mistake, one error: no cascade after the first.
string(REGEX MATCHALL "[^\n]*:[0-9]+:[0-9]+: error: " errors "${err}")
list(LENGTH errors error_count)
if(NOT error_count EQUAL 1)
  string(JOIN " " command ${COMPILER} ${args} ${SOURCE})
  string(SUBSTRING "${err}" 0 6000 start)
  message(NOTICE "${command}\nIts errors begin:\n${start}")
  message(FATAL_ERROR "${SOURCE} failed to compile, as it should, but with ${error_count} errors: "
                      "one mistake must give one error.")
endif()

# The first ${head_lines} lines of stderr.
set(head "")
set(rest "${err}")
foreach(i RANGE 1 ${head_lines})
  string(FIND "${rest}" "\n" nl)
  if(nl EQUAL -1)
    string(APPEND head "${rest}")
    break()
  endif()
  math(EXPR nl "${nl} + 1")
  string(SUBSTRING "${rest}" 0 ${nl} line)
  string(APPEND head "${line}")
  string(SUBSTRING "${rest}" ${nl} -1 rest)
endforeach()

if(NOT head MATCHES "${regex}")
  string(JOIN " " command ${COMPILER} ${args} ${SOURCE})
  message(NOTICE "${command}\nThe first ${head_lines} lines of its errors:\n${head}")
  message(FATAL_ERROR "${SOURCE} failed to compile, as it should, but /${regex}/ is not in the "
                      "first ${head_lines} lines of the errors (above).")
endif()
# GCC prints the error's type whole on one line: it must stay short enough to read (from "In
# instantiation of", as the file name before it depends on where the headers are).
if(COMPILER_ID STREQUAL "GNU")
  string(REGEX MATCH "In instantiation of [^\n]*(shape|contract)_error<[^\n]*" first_line "${head}")
  string(LENGTH "${first_line}" first_length)
  if(first_length GREATER_EQUAL 400)
    message(FATAL_ERROR "${SOURCE}: the error's first line is ${first_length} bytes; keep it under "
                        "400:\n${first_line}")
  endif()
endif()
message(STATUS "${SOURCE}: fails to compile with /${regex}/ in the first ${head_lines} lines")
