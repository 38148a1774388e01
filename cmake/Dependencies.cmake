# Every third-party dependency of dicomlake is found here, and only here. Modules link the
# imported targets by name (see src/CMakeLists.txt for who uses what).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)                 # libfmt-dev
find_package(nlohmann_json 3.10 REQUIRED)  # nlohmann-json3-dev
find_package(CLI11 REQUIRED)               # libcli11-dev
find_package(LibArchive REQUIRED)          # libarchive-dev
find_package(DCMTK REQUIRED)               # libdcmtk-dev (3.6.7; dictionary in /usr/share/libdcmtk17)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)  # libxxhash-dev
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)  # libdeflate-dev
pkg_check_modules(TESSERACT REQUIRED IMPORTED_TARGET tesseract)  # libtesseract-dev (burned-in text)
pkg_check_modules(FREETYPE REQUIRED IMPORTED_TARGET freetype2)  # libfreetype-dev (test-set text)
pkg_check_modules(OPENJPEG REQUIRED IMPORTED_TARGET libopenjp2)  # libopenjp2-7-dev (2.5: HTJ2K)
find_package(ZLIB REQUIRED)                # zlib1g-dev (deflated data sets, hashed inflated)
find_package(CURL REQUIRED)                # libcurl4-openssl-dev (pull from DICOMweb)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # libcpp-httplib-dev (STOW-RS, DICOMweb)
find_package(PNG REQUIRED)                 # libpng-dev (PNG previews)
find_package(JPEG REQUIRED)                # libjpeg62-turbo-dev (rendered images of serve)

# DuckDB: not packaged by Debian 12. scripts/setup fetches 1.4.4 from the npm registry into
# .deps/duckdb; -DDUCKDB_DIR=<prefix> (with lib/ and include/) or a system libduckdb also work.
set(DUCKDB_DIR "${PROJECT_SOURCE_DIR}/.deps/duckdb" CACHE PATH "Prefix holding lib/libduckdb.so and include/duckdb.h")
find_library(DUCKDB_LIBRARY NAMES duckdb HINTS "${DUCKDB_DIR}/lib" "${DUCKDB_DIR}")
find_path(DUCKDB_INCLUDE_DIR duckdb.h HINTS "${DUCKDB_DIR}/include" "${DUCKDB_DIR}")
if(NOT DUCKDB_LIBRARY OR NOT DUCKDB_INCLUDE_DIR)
  message(FATAL_ERROR "DuckDB not found: run scripts/setup, or pass -DDUCKDB_DIR=<prefix>")
endif()
add_library(duckdb::duckdb SHARED IMPORTED)
set_target_properties(duckdb::duckdb PROPERTIES
  IMPORTED_LOCATION "${DUCKDB_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${DUCKDB_INCLUDE_DIR}")
get_filename_component(DUCKDB_LIBRARY_DIR "${DUCKDB_LIBRARY}" DIRECTORY)
# Binaries find libduckdb.so next to where it was found, wherever the build tree is.
set(CMAKE_BUILD_RPATH "${DUCKDB_LIBRARY_DIR}")
set(CMAKE_INSTALL_RPATH "${DUCKDB_LIBRARY_DIR}")

if(DICOMLAKE_BUILD_TESTS)
  find_package(GTest REQUIRED)             # libgtest-dev, libgmock-dev
endif()
