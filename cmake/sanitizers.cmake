# SPDX-License-Identifier: BSD-3-Clause
set(DICOMPIX_SANITIZER_FLAGS "")
if(DICOMPIX_ENABLE_ASAN)
  list(APPEND DICOMPIX_SANITIZER_FLAGS -fsanitize=address -fno-omit-frame-pointer)
endif()
if(DICOMPIX_ENABLE_UBSAN)
  # Undefined behaviour is a bug: stop at the first report so tests fail.
  list(APPEND DICOMPIX_SANITIZER_FLAGS -fsanitize=undefined -fno-sanitize-recover=undefined)
endif()
if(DICOMPIX_SANITIZER_FLAGS)
  add_compile_options(${DICOMPIX_SANITIZER_FLAGS})
  add_link_options(${DICOMPIX_SANITIZER_FLAGS})
  # libstdc++'s own bounds checks catch what sanitizers cannot see inside containers.
  add_compile_definitions(_GLIBCXX_ASSERTIONS)
endif()
