# Install and export: `cmake --install` makes ipcsim usable from another CMake project through
#
#   find_package(ipcsim 0.1 REQUIRED)
#   target_link_libraries(my_test PRIVATE ipcsim::catch2 Catch2::Catch2WithMain)
#
# Exported targets (each also exists as an alias in this build tree, so a project added with
# add_subdirectory uses the same names):
#   ipcsim::platform_real  the seam, Linux flavour (std::atomic, futex(2), std::thread)
#   ipcsim::sim            the seam, simulated flavour: fibers, scheduler, strategies
#   ipcsim::model          reference models and oracles (with ipcsim::wire, their value types)
#   ipcsim::trace          trace files and explain (replay/trace_file.hpp, replay/explain.hpp)
#   ipcsim::catch2         the Catch2 integration (sim/testing/catch2.hpp; implies ipcsim::sim)
#   ipcsim::base           assertions and result<T, E>, used by all of them
#   ipcsim::cli            the `ipcsim` command-line tool (explain a trace file, run scenarios)
#
# Headers keep their paths under <prefix>/include ("core/platform/atomic.hpp", "sim/world.hpp"),
# so code compiles the same against the build tree and the installation. Headers of parts that are
# not exported (replay/shrink.hpp needs the scenario catalog; sim/instr/ is the instrumented-code
# runtime) stay out. The two flavours' private
# headers have the same names (ipcsim_flavour/atomic_impl.hpp), so each goes to its own folder
# under include/ipcsim/flavour/, which only that flavour's target puts on the include path.
#
# The owning CMakeLists files give their include directories as plain source paths; here each is
# wrapped in $<BUILD_INTERFACE:...> and the installed folder added as $<INSTALL_INTERFACE:...>,
# which keeps all install knowledge in this one file.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(IPCSIM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ipcsim)
set(ipcsim_flavour_includedir ${CMAKE_INSTALL_INCLUDEDIR}/ipcsim/flavour)

# ipcsim_export_target(<target> <export name> [INCLUDES <installed include dirs...>])
function(ipcsim_export_target target export_name)
  cmake_parse_arguments(arg "" "" "INCLUDES" ${ARGN})
  get_target_property(build_dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  set(dirs)
  if(build_dirs)
    foreach(dir IN LISTS build_dirs)
      if(dir MATCHES "^\\$<")
        list(APPEND dirs "${dir}")
      else()
        list(APPEND dirs "$<BUILD_INTERFACE:${dir}>")
      endif()
    endforeach()
  endif()
  foreach(dir IN LISTS arg_INCLUDES)
    list(APPEND dirs "$<INSTALL_INTERFACE:${dir}>")
  endforeach()
  set_property(TARGET ${target} PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${dirs}")
  set_property(TARGET ${target} PROPERTY EXPORT_NAME ${export_name})
  add_library(ipcsim::${export_name} ALIAS ${target})
endfunction()

ipcsim_export_target(ipcsim_base base INCLUDES ${CMAKE_INSTALL_INCLUDEDIR})
ipcsim_export_target(ipcsim_platform_real platform_real
  INCLUDES ${CMAKE_INSTALL_INCLUDEDIR} ${ipcsim_flavour_includedir}/real)
ipcsim_export_target(ipcsim_sim sim
  INCLUDES ${CMAKE_INSTALL_INCLUDEDIR} ${ipcsim_flavour_includedir}/sim)
ipcsim_export_target(ipcsim_wire wire)
ipcsim_export_target(ipcsim_model model)
ipcsim_export_target(ipcsim_trace trace)
ipcsim_export_target(ipcsim_catch2 catch2)
set_property(TARGET ipcsim PROPERTY EXPORT_NAME cli)
add_executable(ipcsim::cli ALIAS ipcsim)

install(TARGETS ipcsim_base ipcsim_platform_real ipcsim_sim ipcsim_wire ipcsim_model ipcsim_trace
                ipcsim_catch2 ipcsim
  EXPORT ipcsimTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# ---- headers, paths preserved ----------------------------------------------------------------
set(ipcsim_header_dirs core/platform core/wire sim model replay)
foreach(dir IN LISTS ipcsim_header_dirs)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir}
    FILES_MATCHING PATTERN "*.hpp"
    PATTERN "*_test*" EXCLUDE
    PATTERN "*test_support*" EXCLUDE
    PATTERN "real" EXCLUDE
    PATTERN "include" EXCLUDE
    PATTERN "golden" EXCLUDE
    PATTERN "instr" EXCLUDE
    PATTERN "shrink.hpp" EXCLUDE)
endforeach()
foreach(flavour real sim)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/platform/${flavour}/include/
    DESTINATION ${ipcsim_flavour_includedir}/${flavour})
endforeach()

# ---- package configuration -------------------------------------------------------------------
install(EXPORT ipcsimTargets NAMESPACE ipcsim:: DESTINATION ${IPCSIM_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ipcsimConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ipcsimConfig.cmake
  INSTALL_DESTINATION ${IPCSIM_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_BINDIR)
# 0.x releases may change the API between minor versions, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ipcsimConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/ipcsimConfig.cmake ${PROJECT_BINARY_DIR}/ipcsimConfigVersion.cmake
  DESTINATION ${IPCSIM_INSTALL_CMAKEDIR})

# ---- the example project, built against a temporary installation -----------------------------
# Installs this build into a scratch prefix, then configures and builds docs/examples/
# lockfree_queue against it with find_package(ipcsim), and checks that the fixed queue passes,
# the planted bug is found with a trace, the printed replay command reproduces it and
# `ipcsim explain` reads the trace. It builds only the example (two small test programs).
# Sanitizer builds pass their flags on, since the installed archives need the sanitizer runtime;
# fuzzer builds are left out (their archives need libFuzzer's coverage callbacks).
if(IPCSIM_BUILD_TESTS AND NOT IPCSIM_BUILD_FUZZERS)
  set(ipcsim_example_flags "")
  if(IPCSIM_SANITIZE)
    set(ipcsim_example_flags "-fsanitize=${IPCSIM_SANITIZE} -fno-omit-frame-pointer")
  endif()
  add_test(NAME install_example_lockfree_queue
    COMMAND python3 ${PROJECT_SOURCE_DIR}/docs/examples/check_example.py
            --build-dir ${PROJECT_BINARY_DIR}
            --example ${PROJECT_SOURCE_DIR}/docs/examples/lockfree_queue
            --work-dir ${PROJECT_BINARY_DIR}/install-example
            --cxx-compiler ${CMAKE_CXX_COMPILER}
            "--cxx-flags=${ipcsim_example_flags}")
  set_tests_properties(install_example_lockfree_queue PROPERTIES LABELS "sim;install" TIMEOUT 600)
endif()
