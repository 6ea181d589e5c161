# ctest -R fuzz_checkpoint: builds tests/fuzz with CLANG into BINARY_DIR and runs the fuzzer
# for SECONDS seconds, starting from the committed corpus (copied, so that what the fuzzer adds
# stays out of the tree). Fails on any crash, leak, sanitizer report or timeout.
foreach(v CLANG SOURCE_DIR BINARY_DIR SECONDS)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run.cmake needs -D${v}=...")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR}
                        -DCMAKE_CXX_COMPILER=${CLANG} -DCMAKE_BUILD_TYPE=RelWithDebInfo
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the fuzz target failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} -j2 RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the fuzz target failed")
endif()
file(REMOVE_RECURSE ${BINARY_DIR}/corpus)
file(COPY ${SOURCE_DIR}/corpus/ DESTINATION ${BINARY_DIR}/corpus)
execute_process(COMMAND ${BINARY_DIR}/fuzz_checkpoint -max_total_time=${SECONDS} -timeout=10
                        -rss_limit_mb=2048 -print_final_stats=1 ${BINARY_DIR}/corpus
                WORKING_DIRECTORY ${BINARY_DIR} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the fuzzer found a failure (exit ${rc}); the input is in ${BINARY_DIR}")
endif()
