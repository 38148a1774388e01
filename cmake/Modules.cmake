# dicomlake_module(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...] [TESTS ...])
# One folder of src/ = one static library `dicomlake_<name>`. DEPS are public dependencies
# (other modules, or third-party targets whose types appear in headers: none, by the house
# rules); PRIVATE_DEPS are third-party targets used only inside .cc files. TESTS are *_test.cc
# files beside the code; they are linked into one test binary per module.
function(dicomlake_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS;TESTS" ${ARGN})
  add_library(dicomlake_${name} STATIC ${M_SOURCES})
  target_include_directories(dicomlake_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dicomlake_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  if(DICOMLAKE_BUILD_TESTS AND M_TESTS)
    add_executable(${name}_test ${M_TESTS})
    target_link_libraries(${name}_test PRIVATE dicomlake_${name} dicomlake_testing ${M_PRIVATE_DEPS}
                          GTest::gtest GTest::gtest_main GTest::gmock)
    gtest_discover_tests(${name}_test DISCOVERY_TIMEOUT 60
                         PROPERTIES ENVIRONMENT "DICOMLAKE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()
