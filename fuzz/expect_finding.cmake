# Runs a libFuzzer target that is expected to find a bug, for a ctest that passes only when it does.
#
#   cmake -DFUZZER=<exe> -DWORK_DIR=<dir> "-DARGS=<arg;arg...>" "-DEXPECT=<text;text...>"
#         -P expect_finding.cmake
#
# Passes when the fuzzer exits with a failure status (a crash: libFuzzer reports a deadly signal)
# and its output contains every EXPECT text. Fails when the fuzzer exits 0 (the bound ran out with
# nothing found), when the output lacks an expected line (a crash of another kind), or when no
# reproducer or trace was saved. WORK_DIR is emptied first, so an earlier run's artefacts cannot
# make it pass.

foreach(required FUZZER WORK_DIR ARGS EXPECT)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "expect_finding.cmake: -D${required}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${FUZZER} ${ARGS}
  WORKING_DIRECTORY ${WORK_DIR}
  RESULT_VARIABLE exit_code
  OUTPUT_VARIABLE stdout_text
  ERROR_VARIABLE stderr_text)
set(output "${stdout_text}${stderr_text}")
file(WRITE ${WORK_DIR}/fuzzer-output.txt "${output}")

if(exit_code EQUAL 0)
  message(FATAL_ERROR "the fuzzer found nothing within its bound (exit 0); output in "
                      "${WORK_DIR}/fuzzer-output.txt")
endif()
if(NOT output MATCHES "libFuzzer: deadly signal")
  message(FATAL_ERROR "the fuzzer failed (exit ${exit_code}) but not with a finding's abort:\n"
                      "${output}")
endif()
foreach(text IN LISTS EXPECT)
  string(FIND "${output}" "${text}" position)
  if(position EQUAL -1)
    message(FATAL_ERROR "the output lacks \"${text}\":\n${output}")
  endif()
endforeach()
file(GLOB reproducers ${WORK_DIR}/crash-*)
if(NOT reproducers)
  message(FATAL_ERROR "libFuzzer saved no crash-* reproducer in ${WORK_DIR}")
endif()

file(GLOB traces ${WORK_DIR}/*.trace)
if(NOT traces)
  message(FATAL_ERROR "the finding wrote no trace file in ${WORK_DIR}")
endif()

string(REGEX MATCH "FINDING[^\n]*" finding "${output}")
list(GET reproducers 0 reproducer)
message(STATUS "found as expected (exit ${exit_code}): ${finding}")
list(GET traces 0 trace)
message(STATUS "reproducer: ${reproducer}")
message(STATUS "trace: ${trace}")
