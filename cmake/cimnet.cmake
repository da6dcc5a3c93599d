# Helpers shared by every folder's CMakeLists.txt.

# Our own code is warning-free: -Wall -Wextra -Werror (third-party headers are
# included as system headers so their warnings do not count).
# GCC 12's -Wrestrict misfires inside libstdc++'s std::string concatenation
# at -O2/-O3 (GCC bug 105329), so it is off for GCC only.
function(cimnet_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror
                         $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
endfunction()

# cimnet_add_test(NAME LABELS label... SOURCES src... LIBS lib...)
# One GoogleTest executable registered as one ctest test. The test runs with
# CIMNET_SHARED_DIR pointing at ../shared and its working directory set to a
# scratch folder inside the build tree.
function(cimnet_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "LABELS;SOURCES;LIBS;ARGS" ${ARGN})
  find_package(GTest REQUIRED)
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  cimnet_warnings(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/bin)
  add_test(NAME ${name} COMMAND ${name} ${T_ARGS})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "CIMNET_SHARED_DIR=${CIMNET_SHARED_DIR};CIMNET_BIN_DIR=${CMAKE_BINARY_DIR}/bin;CIMNET_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()

# cimnet_add_fuzzer(NAME SOURCES src... LIBS lib... CORPUS dir... [SECONDS n])
# A libFuzzer target (only with clang and CIMNET_FUZZ) plus a ctest smoke run
# labelled `fuzz` that fuzzes for a few seconds from the seed corpus.
function(cimnet_add_fuzzer name)
  cmake_parse_arguments(F "" "SECONDS" "SOURCES;LIBS;CORPUS" ${ARGN})
  if(NOT CIMNET_FUZZ OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    return()
  endif()
  if(NOT F_SECONDS)
    set(F_SECONDS 20)
  endif()
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  cimnet_warnings(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/bin)
  add_test(NAME ${name}_smoke
           COMMAND ${CMAKE_SOURCE_DIR}/tests/run-fuzzer $<TARGET_FILE:${name}> ${F_SECONDS} ${F_CORPUS})
  set_tests_properties(${name}_smoke PROPERTIES LABELS fuzz TIMEOUT 300
    ENVIRONMENT "CIMNET_SHARED_DIR=${CIMNET_SHARED_DIR}")
endfunction()

# Adds every direct sub-folder of the current source folder that has a
# CMakeLists.txt (tests/ and bench/ mirror the source tree this way).
function(cimnet_add_child_folders)
  file(GLOB children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child ${children})
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child}
       AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
