# Helpers shared by every layer's CMakeLists.

# ipcsim_add_test(<name> FLAVOUR real|sim LABELS <labels...> SOURCES <files...> [LIBS <libs...>])
# One Catch2 executable, linked with Catch2WithMain, whose test cases are registered with ctest
# under the given labels (Catch2 2.13 does not turn [tags] into labels, so each executable holds
# one kind of test). FLAVOUR picks the platform the test links against.
function(ipcsim_add_test name)
  cmake_parse_arguments(arg "" "FLAVOUR" "LABELS;SOURCES;LIBS" ${ARGN})
  if(NOT IPCSIM_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${arg_SOURCES})
  if(arg_FLAVOUR STREQUAL "sim")
    target_link_libraries(${name} PRIVATE ipcsim_sim)
  elseif(arg_FLAVOUR STREQUAL "real")
    target_link_libraries(${name} PRIVATE ipcsim_platform_real)
  else()
    message(FATAL_ERROR "ipcsim_add_test(${name}): FLAVOUR must be real or sim")
  endif()
  target_link_libraries(${name} PRIVATE ${arg_LIBS} Catch2::Catch2WithMain)
  catch_discover_tests(${name} TEST_PREFIX "${name}:" PROPERTIES LABELS "${arg_LABELS}")
endfunction()

# ipcsim_add_dual_library(<name> SOURCES <files...> [DEPS <part names...>] [LIBS <libs...>])
# Builds <name>_real (linked to ipcsim_platform_real) and <name>_sim (linked to ipcsim_sim) from
# the same sources. DEPS are other dual libraries by base name; each flavour links the same flavour
# of them. LIBS are flavour-free libraries (ipcsim_wire, msgpackc-cxx, ...).
function(ipcsim_add_dual_library name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS;LIBS" ${ARGN})
  foreach(flavour real sim)
    if(flavour STREQUAL "real")
      set(platform ipcsim_platform_real)
    else()
      set(platform ipcsim_sim)
    endif()
    add_library(${name}_${flavour} STATIC ${arg_SOURCES})
    target_link_libraries(${name}_${flavour} PUBLIC ${platform} ${arg_LIBS})
    foreach(dep ${arg_DEPS})
      target_link_libraries(${name}_${flavour} PUBLIC ${dep}_${flavour})
    endforeach()
  endforeach()
endfunction()
