# ipcsim_add_instrumented_executable(<name> SOURCES <files...> [COMPILER clang|gcc])
#
# Builds an unmodified pthread C/C++ program for the simulator: its sources are compiled with the
# thread-sanitizer instrumentation (-fsanitize=thread -O0 -g; clang also gets
# -mllvm -tsan-instrument-read-before-write=1 so that a read followed by a write of the same
# location keeps both hooks) and the executable is linked WITHOUT the sanitizer runtime, with
# ipcsim_instr_runtime linked whole instead and --export-dynamic so that race reports can name
# functions and globals through dladdr. See docs/instrumentation.md.
#
# COMPILER defaults to the project's compiler. When it names the other one (clang with a g++
# project, or the reverse), or when a source is C (the project enables only C++), the sources are
# compiled by custom commands with clang++-14/clang-14 or g++/gcc and the objects linked by the
# project's toolchain.
#
# Instrumented executables cannot share a process with the ASan/TSan runtimes, so nothing is
# built when IPCSIM_SANITIZE is set.

set(IPCSIM_INSTR_CLANG_FLAGS -fsanitize=thread -O0 -g -mllvm -tsan-instrument-read-before-write=1)
# g++ warns that TSan does not model atomic_thread_fence (-Wtsan); this runtime does, so the
# warning is off.
set(IPCSIM_INSTR_GCC_FLAGS -fsanitize=thread -O0 -g -Wno-tsan)

function(ipcsim_add_instrumented_executable name)
  cmake_parse_arguments(arg "" "COMPILER" "SOURCES" ${ARGN})
  if(IPCSIM_SANITIZE)
    return()
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(native clang)
  else()
    set(native gcc)
  endif()
  if(NOT arg_COMPILER)
    set(arg_COMPILER ${native})
  endif()
  if(arg_COMPILER STREQUAL "clang")
    set(flags ${IPCSIM_INSTR_CLANG_FLAGS})
  elseif(arg_COMPILER STREQUAL "gcc")
    set(flags ${IPCSIM_INSTR_GCC_FLAGS})
  else()
    message(FATAL_ERROR
      "ipcsim_add_instrumented_executable(${name}): COMPILER must be clang or gcc")
  endif()
  # The project enables only C++, so C sources always go through the custom commands.
  set(has_c_sources FALSE)
  foreach(source ${arg_SOURCES})
    if(source MATCHES "\\.c$")
      set(has_c_sources TRUE)
    endif()
  endforeach()
  if(arg_COMPILER STREQUAL native AND NOT has_c_sources)
    add_executable(${name} ${arg_SOURCES})
    target_compile_options(${name} PRIVATE ${flags})
  else()
    _ipcsim_instr_foreign_objects(${name} ${arg_COMPILER} objects ${arg_SOURCES})
    add_executable(${name} ${objects})
    set_target_properties(${name} PROPERTIES LINKER_LANGUAGE CXX)
  endif()
  target_link_libraries(${name} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,ipcsim_instr_runtime>")
  target_link_options(${name} PRIVATE -Wl,--export-dynamic)
endfunction()

# ipcsim_instrument_sources(SOURCES <files...> [COMPILER clang|gcc])
# Adds the instrumentation flags to individual sources of a target that is otherwise built
# normally (a harness that runs instrumented code in-process, like ipcsim-bench-instr). The
# sources must be compiled by the project's compiler; COMPILER only checks that.
function(ipcsim_instrument_sources)
  cmake_parse_arguments(arg "" "COMPILER" "SOURCES" ${ARGN})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(flags ${IPCSIM_INSTR_CLANG_FLAGS})
  else()
    set(flags ${IPCSIM_INSTR_GCC_FLAGS})
  endif()
  set_source_files_properties(${arg_SOURCES} PROPERTIES COMPILE_OPTIONS "${flags}")
endfunction()

# Compiles each source with the other compiler family into ${out_var} (a list of objects).
function(_ipcsim_instr_foreign_objects name compiler out_var)
  set(objects)
  foreach(source ${ARGN})
    get_filename_component(source_path ${source} ABSOLUTE)
    get_filename_component(stem ${source} NAME)
    get_filename_component(extension ${source} LAST_EXT)
    set(object ${CMAKE_CURRENT_BINARY_DIR}/${name}.dir/${stem}.o)
    if(extension STREQUAL ".c")
      set(language_flags -std=c11)
      if(compiler STREQUAL "clang")
        set(driver clang-14)
      else()
        set(driver gcc)
      endif()
    else()
      set(language_flags -std=c++20)
      if(compiler STREQUAL "clang")
        set(driver clang++-14)
      else()
        set(driver g++)
      endif()
    endif()
    if(compiler STREQUAL "clang")
      set(flags ${IPCSIM_INSTR_CLANG_FLAGS})
    else()
      set(flags ${IPCSIM_INSTR_GCC_FLAGS})
    endif()
    add_custom_command(OUTPUT ${object}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/${name}.dir
      COMMAND ${driver} ${language_flags} ${flags} -fPIE -c ${source_path} -o ${object}
      DEPENDS ${source_path}
      COMMENT "Instrumenting ${stem} with ${driver}"
      VERBATIM)
    list(APPEND objects ${object})
  endforeach()
  set(${out_var} ${objects} PARENT_SCOPE)
endfunction()
