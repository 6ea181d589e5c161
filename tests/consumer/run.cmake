# Installs the already-built recur into a scratch prefix, then configures, builds and runs
# tests/consumer against it with find_package(recur): first the CPU-only consumer, with the
# CUDA toolkit, cuDNN and fmt made unfindable (it must need none of them) and checked not to
# link libcublas or libcudnn; then, where recur was built with CUDA (WITH_CUDA), the consumer
# of the cuda component (configured, built, and run: it only lists the backends, no GPU needed).
set(_work ${BINARY_DIR}/consumer-test)
file(REMOVE_RECURSE ${_work})
function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "step failed (${_rc}): ${ARGN}\n${_out}\n${_err}")
  endif()
  message(STATUS "${_out}")
  set(_step_out "${_out}" PARENT_SCOPE)
endfunction()
set(_configure -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${_work}/prefix -DCMAKE_BUILD_TYPE=Release
               "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
run_step(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${_work}/prefix)

run_step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${_work}/cpu ${_configure}
         -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON -DCMAKE_DISABLE_FIND_PACKAGE_CUDNN=ON
         -DCMAKE_DISABLE_FIND_PACKAGE_fmt=ON)
run_step(${CMAKE_COMMAND} --build ${_work}/cpu)
run_step(${_work}/cpu/consumer)
find_program(_readelf readelf REQUIRED)
run_step(${_readelf} -d ${_work}/cpu/consumer)
if(_step_out MATCHES "libcublas|libcudnn|libcudart")
  message(FATAL_ERROR "the CPU-only consumer links CUDA libraries:\n${_step_out}")
endif()

if(WITH_CUDA)
  run_step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${_work}/cuda ${_configure}
           -DRECUR_CONSUMER_CUDA=ON)
  run_step(${CMAKE_COMMAND} --build ${_work}/cuda)
  run_step(${_work}/cuda/consumer)
  run_step(${_work}/cuda/consumer_cuda)
endif()
