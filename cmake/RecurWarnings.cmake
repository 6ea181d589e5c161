# Warnings on for C++ and CUDA host code; the build is expected to be warning-free.
add_library(recur_warnings INTERFACE)
target_compile_options(recur_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow=local -Wno-unused-parameter>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra --expt-relaxed-constexpr>)
