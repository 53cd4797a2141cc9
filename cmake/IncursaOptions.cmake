# Warnings-as-errors for the project's own targets, and the sanitizer switch.

function(incursa_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()

if(INCURSA_SANITIZE)
  message(STATUS "Sanitizers: ${INCURSA_SANITIZE}")
  add_compile_options(-fsanitize=${INCURSA_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${INCURSA_SANITIZE})
endif()
