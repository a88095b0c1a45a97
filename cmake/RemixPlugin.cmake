# remix_add_plugin(<name> <sources>... [OUTPUT_DIR <dir>])
#
# Builds a remix plugin: a MODULE library named <name>.so, linked against the SDK (remix::sdk, which brings
# LibTorch), with hidden visibility so only the entry point is exported. In this repository plugins land in
# build/plugins; out of tree (after `find_package(remix)`) in the current binary folder unless OUTPUT_DIR says
# otherwise. Point remix at that folder with `plugin_paths`, REMIX_PLUGIN_PATH or --plugin-path.
function(remix_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "" ${ARGN})
  if(NOT ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "remix_add_plugin(${name}): no source files")
  endif()
  add_library(${name} MODULE ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE remix::sdk)
  if(ARG_OUTPUT_DIR)
    set(out ${ARG_OUTPUT_DIR})
  elseif(DEFINED REMIX_PLUGIN_OUTPUT_DIR)
    set(out ${REMIX_PLUGIN_OUTPUT_DIR})
  else()
    set(out ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${out}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON)
  # Undefined symbols fail the link, not the load.
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  if(TARGET remix_plugin_pch)
    target_precompile_headers(${name} REUSE_FROM remix_plugin_pch)
  endif()
endfunction()

# remix_add_router_conformance_test(<target> [NAME <test name>] [ARGS <argument>...])
#
# Adds a CTest test that runs the router conformance suite on the router plugin <target> builds:
# `remix conformance <its .so> <ARGS>`, which checks output shapes, padding, gradients, determinism under a seed
# and extreme inputs against the router's declared traits, and fails when any check does. ARGS are the router's
# parameters as key=value and the site's shape (--experts N --top-k K --rank R --lora-alpha A --dim D); call it
# once per configuration worth checking. The test name defaults to <target>.conformance. Call enable_testing()
# first. Out of tree the installed remix runs it (REMIX_EXECUTABLE, set by find_package(remix)).
function(remix_add_router_conformance_test target)
  cmake_parse_arguments(ARG "" "NAME" "ARGS" ${ARGN})
  if(NOT ARG_NAME)
    set(ARG_NAME ${target}.conformance)
  endif()
  if(TARGET remix)
    set(exe $<TARGET_FILE:remix>)
  elseif(DEFINED REMIX_EXECUTABLE)
    set(exe ${REMIX_EXECUTABLE})
  else()
    message(FATAL_ERROR "remix_add_router_conformance_test(${target}): no remix executable (find_package(remix) sets "
                        "REMIX_EXECUTABLE)")
  endif()
  add_test(NAME ${ARG_NAME} COMMAND ${exe} conformance $<TARGET_FILE:${target}> ${ARG_ARGS})
endfunction()
