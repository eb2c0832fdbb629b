# cmake -DMAP=<linker map> -DTARGET=<library named in it> -DFORBIDDEN=<regex> -P this file
#
# Fails when an input the linker loaded (a GNU ld/gold map's LOAD lines: every file on the link
# line, used or not) matches a forbidden pattern, so what a library drags into its users'
# links is checked on the real link line, not on a reading of CMake files.
if(NOT EXISTS "${MAP}")
  message(FATAL_ERROR "no linker map ${MAP}: build the probe executable first")
endif()
file(STRINGS "${MAP}" loads REGEX "^LOAD ")
if(NOT loads)
  message(FATAL_ERROR "${MAP} lists no LOAD lines: the linker is not GNU ld or gold")
endif()
if(NOT loads MATCHES "lib${TARGET}\\.")
  message(FATAL_ERROR "${MAP} does not load lib${TARGET}: not the probe's map?")
endif()
set(bad "")
foreach(line IN LISTS loads)
  string(REGEX REPLACE "^LOAD +" "" input "${line}")
  get_filename_component(name "${input}" NAME)
  if(name MATCHES "${FORBIDDEN}")
    list(APPEND bad "${input}")
  endif()
endforeach()
if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "linking ${TARGET} loads what it must not (${FORBIDDEN}):\n  ${text}")
endif()
list(LENGTH loads count)
message(STATUS "${TARGET}: ${count} link inputs, none forbidden")
