# cmake --install + find_package(recur): librecur.a, the public headers, and a config that
# finds the same dependencies the library was built with.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(RECUR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/recur)
install(TARGETS recur_lib EXPORT recurTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY core/include/recur DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT recurTargets NAMESPACE recur:: DESTINATION ${RECUR_CMAKE_DIR})
configure_package_config_file(cmake/recurConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/recurConfig.cmake
                              INSTALL_DESTINATION ${RECUR_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/recurConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/recurConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/recurConfigVersion.cmake
              cmake/FindCUDNN.cmake
              cmake/FindDNNL.cmake
        DESTINATION ${RECUR_CMAKE_DIR})
