# Turns a saved crash input of fuzz_simulation into a trace file afterwards, and checks that the
# command-line tools accept it, for a ctest (docs/fuzzing.md, "From a crash to a trace").
#
#   cmake -DFUZZER=<fuzz_simulation> -DIPCSIM=<ipcsim> -DCRASH_DIR=<dir> -DOUT_DIR=<dir>
#         -P convert_crash.cmake
#
# The fuzzer must run with the environment the crash was found under (IPCSIM_FUZZ_PLANTED,
# IPCSIM_FUZZ_SCENARIO, IPCSIM_FUZZ_CONTINUATION), since the first input byte indexes the scenario
# list that environment selects; the ctest sets it. Steps: run the fuzzer on the newest crash-*
# in CRASH_DIR with IPCSIM_FUZZ_OUT=OUT_DIR (it re-runs the input, reports the finding, writes the
# trace and aborts); then `ipcsim replay <trace>` must exit 1 (the failure reproduces) and
# `ipcsim explain <trace>` must exit 0.

foreach(required FUZZER IPCSIM CRASH_DIR OUT_DIR)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "convert_crash.cmake: -D${required}=... is required")
  endif()
endforeach()

file(GLOB crashes ${CRASH_DIR}/crash-*)
if(NOT crashes)
  message(FATAL_ERROR "no crash-* input in ${CRASH_DIR} (the finding test runs first)")
endif()
list(GET crashes 0 crash)
file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})

set(ENV{IPCSIM_FUZZ_OUT} ${OUT_DIR})
execute_process(COMMAND ${FUZZER} ${crash}
  WORKING_DIRECTORY ${OUT_DIR}
  RESULT_VARIABLE exit_code
  OUTPUT_VARIABLE stdout_text
  ERROR_VARIABLE stderr_text)
set(output "${stdout_text}${stderr_text}")
if(exit_code EQUAL 0 OR NOT output MATCHES "FINDING in ")
  message(FATAL_ERROR "re-running ${crash} reported no finding (exit ${exit_code}):\n${output}")
endif()
file(GLOB traces ${OUT_DIR}/*.trace)
if(NOT traces)
  message(FATAL_ERROR "re-running ${crash} wrote no trace in ${OUT_DIR}:\n${output}")
endif()
list(GET traces 0 trace)
message(STATUS "converted ${crash} -> ${trace}")

execute_process(COMMAND ${IPCSIM} replay ${trace}
  RESULT_VARIABLE replay_code OUTPUT_VARIABLE replay_output ERROR_VARIABLE replay_error)
if(NOT replay_code EQUAL 1)
  message(FATAL_ERROR "ipcsim replay exited ${replay_code}, expected 1 (reproduces):\n"
                      "${replay_output}${replay_error}")
endif()
execute_process(COMMAND ${IPCSIM} explain ${trace}
  RESULT_VARIABLE explain_code OUTPUT_VARIABLE explain_output ERROR_VARIABLE explain_error)
if(NOT explain_code EQUAL 0)
  message(FATAL_ERROR "ipcsim explain exited ${explain_code}, expected 0:\n"
                      "${explain_output}${explain_error}")
endif()
message(STATUS "ipcsim replay: exit 1 (reproduces); ipcsim explain: exit 0")
