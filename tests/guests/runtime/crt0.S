# Process entry: the kernel (or the emulator) leaves argc at 0($sp), argv at 4($sp).
    .set noreorder
    .text
    .globl __start
    .ent __start
__start:
    lw      $a0, 0($sp)         # argc
    addiu   $a1, $sp, 4         # argv
    li      $t0, -8
    and     $sp, $sp, $t0       # o32 wants 8-byte alignment
    addiu   $sp, $sp, -16       # argument save area for main
    jal     main
    nop
    jal     rt_exit
    move    $a0, $v0
1:  b       1b
    nop
    .end __start
