# The instrumented ring (included from scenarios/pthread/CMakeLists.txt): core/ring's spsc_ring in
# its REAL flavour, compiled with the thread-sanitizer instrumentation together with
# ring_frames.cpp (a producer and a consumer thread moving frames through it) and linked with
# ipcsim's instrumentation runtime. The real flavour is used because the sim flavour's atomics call
# the world directly, bypassing the runtime (docs/instrumentation.md, "The instr preset").
#
# pthread_ring_frames is built from core/ring/spsc_ring.cpp as it is. The two memory-order mutants
# of the bug zoo are built from a temporary copy in this build directory: a custom command asks
# tools/mutants/run to apply the mutant's edits (tools/mutants/zoo/<mutant>.toml is the single
# source of truth) to spsc_ring.cpp. They are not part of `all`, so a ring change that makes a
# mutant stale cannot break the build; the `ring_mutant_programs_build` test builds them before
# the tests that run them.

set(IPCSIM_RING_MUTANTS ring_publish_relaxed ring_consume_relaxed)
set(ipcsim_ring_source ${PROJECT_SOURCE_DIR}/core/ring/spsc_ring.cpp)

# The ring program from `ring_source` (the real spsc_ring.cpp or a mutated copy).
function(ipcsim_add_ring_program name ring_source)
  ipcsim_add_instrumented_executable(${name} SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/ring_frames.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/real_flavour_anchor.cpp
    ${ring_source}
    ${PROJECT_SOURCE_DIR}/core/platform/real/clock.cpp
    ${PROJECT_SOURCE_DIR}/core/platform/real/futex.cpp)
  if(TARGET ${name})
    # BEFORE: the runtime brings the sim flavour's include directory; this program is real.
    target_include_directories(${name} BEFORE PRIVATE
      ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/core/platform/real/include)
  endif()
endfunction()

ipcsim_add_ring_program(pthread_ring_frames ${ipcsim_ring_source})

if(NOT TARGET pthread_ring_frames)
  return()
endif()

add_custom_target(ipcsim_ring_mutant_programs)
foreach(mutant ${IPCSIM_RING_MUTANTS})
  set(mutant_file ${PROJECT_SOURCE_DIR}/tools/mutants/zoo/${mutant}.toml)
  set(mutated ${CMAKE_CURRENT_BINARY_DIR}/${mutant}/spsc_ring.cpp)
  add_custom_command(OUTPUT ${mutated}
    COMMAND python3 ${PROJECT_SOURCE_DIR}/tools/mutants/run
            --write-mutated ${mutant} core/ring/spsc_ring.cpp ${mutated}
    DEPENDS ${ipcsim_ring_source} ${mutant_file} ${PROJECT_SOURCE_DIR}/tools/mutants/run
    COMMENT "Applying the mutant ${mutant} to a copy of spsc_ring.cpp"
    VERBATIM)
  ipcsim_add_ring_program(pthread_ring_frames_${mutant} ${mutated})
  set_target_properties(pthread_ring_frames_${mutant} PROPERTIES EXCLUDE_FROM_ALL TRUE)
  add_dependencies(ipcsim_ring_mutant_programs pthread_ring_frames_${mutant})
endforeach()

if(NOT IPCSIM_BUILD_TESTS)
  return()
endif()

# The correct ring passes 200 schedules; each mutant is a race on seed 1 and on every seed of 20
# (each schedule of this program moves frames), naming the frame accesses on both sides.
set(ring_test ${CMAKE_CURRENT_SOURCE_DIR}/ring_frames_test.py)
set(ring_bin $<TARGET_FILE_DIR:pthread_ring_frames>)
add_test(NAME instr_ring_frames
  COMMAND python3 ${ring_test} --program $<TARGET_FILE:pthread_ring_frames> --expect pass
          --seeds 200)
add_test(NAME instr_ring_mutant_programs_build
  COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ipcsim_ring_mutant_programs)
set_tests_properties(instr_ring_mutant_programs_build PROPERTIES
  LABELS "instr;sim" FIXTURES_SETUP ring_mutant_programs)
set_tests_properties(instr_ring_frames PROPERTIES LABELS "instr;sim")
foreach(mutant ${IPCSIM_RING_MUTANTS})
  add_test(NAME instr_ring_frames_${mutant}
    COMMAND python3 ${ring_test} --program ${ring_bin}/pthread_ring_frames_${mutant}
            --expect race --seeds 20)
  set_tests_properties(instr_ring_frames_${mutant} PROPERTIES
    LABELS "instr;sim" FIXTURES_REQUIRED ring_mutant_programs)
endforeach()
