# Install rules and the CMake package: find_package(IncursaPlatform) then link incursa::platform.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ${INCURSA_INSTALL_TARGETS}
        EXPORT IncursaPlatformTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT IncursaPlatformTargets
        NAMESPACE incursa::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/IncursaPlatform)

configure_package_config_file(cmake/IncursaPlatformConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/IncursaPlatformConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/IncursaPlatform)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/IncursaPlatformConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/IncursaPlatformConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/IncursaPlatformConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/IncursaPlatform)
