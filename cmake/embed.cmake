# Writes the bytes of a file as a C array, so a data file becomes part of a binary without any tool beyond
# CMake.  cmake -DIN=FILE -DOUT=FILE.c -DNAME=symbol -P embed.cmake  defines
#   const unsigned char symbol[];  const size_t symbol_len;
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n_hex)
math(EXPR n "${n_hex} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])"
       "\\1\n" hex "${hex}") # 16 bytes a line
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
get_filename_component(from "${IN}" NAME)
file(WRITE "${OUT}.tmp"
     "/* ${from}, embedded by cmake/embed.cmake: generated at build time, do not edit. */\n"
     "#include <stddef.h>\n\nconst unsigned char ${NAME}[${n}] = {\n${hex}};\nconst size_t ${NAME}_len = ${n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
