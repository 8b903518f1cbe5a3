#!/usr/bin/env bash
# Rebuilds every guest ELF in elf/ from programs/*.c with Debian's mipsel cross gcc.
#
# Each program is built twice:
#   elf/NAME.elf        zkVM runtime (hints from the hint stream, public values on fd 13, HALT)
#   elf/NAME.linux.elf  Linux o32 runtime (hints framed on stdin) that also runs under qemu-mipsel
# The build is reproducible (no build id, fixed paths, sorted inputs): CI rebuilds and diffs.
set -euo pipefail
cd "$(dirname "$0")"
CC=${MIPS_CC:-mipsel-linux-gnu-gcc}
CFLAGS=(-march=mips32r2 -mabi=32 -EL -msoft-float -mno-abicalls -fno-pic -G0 -O2
        -ffreestanding -fno-builtin -fno-stack-protector -fno-asynchronous-unwind-tables
        -fno-ident -ffile-prefix-map="$PWD"=. -Wall -Wextra -Wno-unused-function -Werror)
LDFLAGS=(-nostdlib -static -Wl,--build-id=none -Wl,-z,norelro -Wl,--hash-style=sysv
         -Wl,-z,noexecstack -Wl,-Ttext-segment=0x400000)
out=${1:-elf}
mkdir -p "$out"
common=(runtime/crt0.S runtime/rt_common.c lib/sha256.c lib/keccak.c)
for src in $(ls programs/*.c | LC_ALL=C sort); do
  name=$(basename "$src" .c)
  "$CC" "${CFLAGS[@]}" "${LDFLAGS[@]}" -o "$out/$name.elf" "${common[@]}" runtime/sys_zkvm.c "$src"
  "$CC" "${CFLAGS[@]}" "${LDFLAGS[@]}" -o "$out/$name.linux.elf" "${common[@]}" runtime/sys_linux.c "$src"
done
echo "built $(ls "$out"/*.elf | wc -l) guest ELFs in $out"
