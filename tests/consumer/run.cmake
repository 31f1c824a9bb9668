# Builds and runs tests/consumer against this tessera build (cmake -P), in one of two modes:
#   install_find_package  cmake --install TESSERA_BINARY_DIR into WORK_DIR/prefix, then find_package
#   add_subdirectory      the consumer adds TESSERA_SOURCE_DIR as a subdirectory
#   eigen_only            the same without oneDNN, OpenBLAS and OpenMP (the pure-Eigen path)
# Same generator and compiler as the parent build; WORK_DIR is wiped first.
cmake_minimum_required(VERSION 3.25)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    string(JOIN " " command ${ARGN})
    message(FATAL_ERROR "${what} failed (${result}):\n  ${command}\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

if(NOT CONFIG)
  set(CONFIG Release)
endif()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)

set(configure ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${build} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${CONFIG}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(GENERATOR_PLATFORM)
  list(APPEND configure -A ${GENERATOR_PLATFORM})
endif()
if(GENERATOR_TOOLSET)
  list(APPEND configure -T ${GENERATOR_TOOLSET})
endif()
if(MAKE_PROGRAM)
  list(APPEND configure -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()

if(MODE STREQUAL "install_find_package")
  run("install" ${CMAKE_COMMAND} --install ${TESSERA_BINARY_DIR} --config ${CONFIG} --prefix ${prefix})
  run("configure" ${configure} -DCMAKE_PREFIX_PATH=${prefix})
  # Make sure it was the fresh install that was found, not some other tessera on the machine.
  string(FIND "${out}" "tessera found in: ${prefix}/" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the consumer did not find tessera under ${prefix}:\n${out}")
  endif()
elseif(MODE STREQUAL "add_subdirectory")
  run("configure" ${configure} -DTESSERA_SOURCE_DIR=${TESSERA_SOURCE_DIR})
elseif(MODE STREQUAL "eigen_only")
  run("configure" ${configure} -DTESSERA_SOURCE_DIR=${TESSERA_SOURCE_DIR} -DTESSERA_EIGEN_ONLY=ON)
  string(FIND "${out}" "BLAS=OFF oneDNN=OFF OpenMP=OFF" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the Eigen-only consumer still found optional libraries:\n${out}")
  endif()
else()
  message(FATAL_ERROR "run.cmake: unknown MODE '${MODE}'")
endif()

run("build" ${CMAKE_COMMAND} --build ${build} --config ${CONFIG})
find_program(consumer consumer PATHS ${build} ${build}/${CONFIG} NO_DEFAULT_PATH REQUIRED)
run("run" ${consumer})
message(STATUS "consumer (${MODE}) built and ran")
