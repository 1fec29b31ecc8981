# Builds one target that must fail to link because it mixes the platform flavours.
#   cmake -DBUILD_DIR=<build tree> -DTARGET=<target> -P expect_link_failure.cmake
# Passes only when the build fails AND the linker names the duplicate flavour guard: a build that
# fails for any other reason (a compile error, a missing symbol) proves nothing and fails the test.

foreach(required BUILD_DIR TARGET)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "expect_link_failure.cmake: pass -D${required}=...")
  endif()
endforeach()

execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
  RESULT_VARIABLE build_status
  OUTPUT_VARIABLE build_output
  ERROR_VARIABLE build_output)

if(build_status EQUAL 0)
  message(FATAL_ERROR
    "link guard: ${TARGET} linked, but an executable holding both flavours must not link")
endif()
# GNU ld and gold say "multiple definition of `symbol'", lld says "duplicate symbol: symbol".
set(duplicate_guard
  "(multiple definition of|duplicate symbol)[^\n]*ipcsim_platform_flavour_guard")
if(NOT build_output MATCHES "${duplicate_guard}")
  message(FATAL_ERROR
    "link guard: ${TARGET} failed, but not on ipcsim_platform_flavour_guard:\n${build_output}")
endif()
message(STATUS "link guard: ${TARGET} failed on the duplicate ipcsim_platform_flavour_guard")
