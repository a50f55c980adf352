# SPDX-License-Identifier: BSD-3-Clause
# Warning flags for the project's own targets (never for third-party headers, which are SYSTEM).
set(DICOMPIX_WARNING_FLAGS
  -Wall -Wextra -Wpedantic
  -Wconversion        # a byte parser is full of narrowing: make each one explicit
  -Wsign-conversion
  -Wshadow
  -Wnon-virtual-dtor
  -Wold-style-cast
  -Wcast-align
  -Wimplicit-fallthrough
  -Wdouble-promotion
  -Wformat=2
)
# -Wnull-dereference is left out: at -O3 GCC 12 reports std::variant/std::string moves as potential
# null dereferences (false positives that cannot be silenced locally).
if(DICOMPIX_WARNINGS_AS_ERRORS)
  list(APPEND DICOMPIX_WARNING_FLAGS -Werror)
endif()

function(dicompix_set_warnings target)
  target_compile_options(${target} PRIVATE ${DICOMPIX_WARNING_FLAGS})
endfunction()
