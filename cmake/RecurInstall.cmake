# cmake --install + find_package(recur): librecur.a (recur::recur, CPU only), the public
# headers, and a config that finds what the library was built with. With CUDA, librecur_cuda.a
# is the component `cuda` (find_package(recur COMPONENTS cuda) -> recur::cuda), in an export
# set of its own: only a consumer that asks for it needs the CUDA toolkit (and cuDNN).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(RECUR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/recur)
install(TARGETS recur_lib EXPORT recurTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY core/include/recur DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT recurTargets NAMESPACE recur:: DESTINATION ${RECUR_CMAKE_DIR})
set(_recur_config_files ${CMAKE_CURRENT_BINARY_DIR}/recurConfig.cmake
                        ${CMAKE_CURRENT_BINARY_DIR}/recurConfigVersion.cmake)
if(RECUR_CUDA)
  install(TARGETS recur_cuda EXPORT recurCudaTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT recurCudaTargets NAMESPACE recur:: DESTINATION ${RECUR_CMAKE_DIR})
  list(APPEND _recur_config_files cmake/FindCUDNN.cmake)
endif()
if(RECUR_ONEDNN)
  list(APPEND _recur_config_files cmake/FindDNNL.cmake)
endif()
configure_package_config_file(cmake/recurConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/recurConfig.cmake
                              INSTALL_DESTINATION ${RECUR_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/recurConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${_recur_config_files} DESTINATION ${RECUR_CMAKE_DIR})
