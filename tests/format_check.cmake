# Fails naming every C++/CUDA source under the project's source folders that clang-format
# (the root .clang-format) would change. Run by the clang_format test.
set(_files)
foreach(_dir apps bench core cpu_reference kernels simt tests)
  file(GLOB_RECURSE _found ${SOURCE_DIR}/${_dir}/*.h ${SOURCE_DIR}/${_dir}/*.cpp
       ${SOURCE_DIR}/${_dir}/*.cu ${SOURCE_DIR}/${_dir}/*.cuh)
  list(APPEND _files ${_found})
endforeach()
list(LENGTH _files _n)

# One call for the whole tree; only when it fails, one call per file to name the culprits.
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${_files} RESULT_VARIABLE _all_rc
                OUTPUT_QUIET ERROR_QUIET)
if(_all_rc EQUAL 0)
  message(STATUS "${_n} files formatted")
  return()
endif()
set(_bad)
foreach(_f ${_files})
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${_f} RESULT_VARIABLE _rc
                  OUTPUT_QUIET ERROR_QUIET)
  if(NOT _rc EQUAL 0)
    file(RELATIVE_PATH _rel ${SOURCE_DIR} ${_f})
    list(APPEND _bad ${_rel})
  endif()
endforeach()
if(NOT _bad)
  message(FATAL_ERROR "clang-format failed on the whole tree (exit ${_all_rc}) but on no single file")
endif()
list(JOIN _bad "\n  " _list)
message(FATAL_ERROR "not formatted (clang-format -i FILE):\n  ${_list}")
