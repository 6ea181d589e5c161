# Installs the already-built recur into a scratch prefix, then configures, builds and runs
# tests/consumer against it with find_package(recur).
set(_work ${BINARY_DIR}/consumer-test)
file(REMOVE_RECURSE ${_work})
function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "step failed (${_rc}): ${ARGN}\n${_out}\n${_err}")
  endif()
  message(STATUS "${_out}")
endfunction()
run_step(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${_work}/prefix)
run_step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${_work}/build -G ${GENERATOR}
         -DCMAKE_PREFIX_PATH=${_work}/prefix -DCMAKE_BUILD_TYPE=Release
         "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
run_step(${CMAKE_COMMAND} --build ${_work}/build)
run_step(${_work}/build/consumer)
