# Runs PROGRAM with ARGS (a ;-list); passes when it exits non-zero and prints exactly one line
# on stderr matching REGEX.
execute_process(COMMAND ${PROGRAM} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(STRIP "${err}" err)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a non-zero exit, got 0; stderr: ${err}")
endif()
if(err MATCHES "\n")
  message(FATAL_ERROR "expected one line on stderr, got:\n${err}")
endif()
if(NOT err MATCHES "${REGEX}")
  message(FATAL_ERROR "stderr '${err}' does not match '${REGEX}'")
endif()
