# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAME=symbol -P embed.cmake
# Writes a C++ source defining `const unsigned char NAME[]` with the bytes of INPUT and
# `const size_t NAME##Size` (the compiled BPF object, opened with bpf_object__open_mem).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by embed.cmake; do not edit.\n#include <cstddef>\nextern const unsigned char ${NAME}[];\nextern const size_t ${NAME}Size;\nalignas(8) const unsigned char ${NAME}[] = {\n${bytes}\n};\nconst size_t ${NAME}Size = ${size};\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
