/* Delay slots, branch-likely nullification, and linking branches/jumps. */
#include "../lib/check.h"

int main(void) {
    u32 r, ra;
    /* A taken branch executes its delay slot. */
    __asm__ volatile(".set push\n.set noreorder\n"
                     "li %0, 0\n"
                     "beq $zero, $zero, 1f\n"
                     "addiu %0, %0, 1\n"  /* delay slot: runs */
                     "addiu %0, %0, 100\n" /* skipped */
                     "1: addiu %0, %0, 10\n"
                     ".set pop" : "=&r"(r));
    check("beq delay slot", r, 11);
    /* A not-taken branch-likely nullifies its slot; a taken one runs it. */
    __asm__ volatile(".set push\n.set noreorder\n"
                     "li %0, 0\n"
                     "bnel $zero, $zero, 1f\n"
                     "addiu %0, %0, 1\n"  /* nullified */
                     "addiu %0, %0, 10\n"
                     "beql $zero, $zero, 1f\n"
                     "addiu %0, %0, 100\n" /* runs */
                     "addiu %0, %0, 1000\n"
                     "1:\n"
                     ".set pop" : "=&r"(r));
    check("branch-likely", r, 110);
    /* bal links pc+8; the delay slot sees the new $ra. */
    __asm__ volatile(".set push\n.set noreorder\n"
                     "move $t1, $ra\n"
                     "bal 1f\n"
                     "move %1, $ra\n"
                     "2: b 3f\n"
                     "nop\n"
                     "1: subu %0, $ra, %1\n"
                     "jr $ra\n"
                     "nop\n"
                     "3: move $ra, $t1\n"
                     ".set pop" : "=&r"(r), "=&r"(ra) : : "$t1", "memory");
    check("bal links before delay slot", r, 0);
    /* jalr to a local label through a register. */
    __asm__ volatile(".set push\n.set noreorder\n"
                     "move $t1, $ra\n"
                     "la $t2, 1f\n"
                     "li %0, 0\n"
                     "jalr $t2\n"
                     "addiu %0, %0, 1\n"
                     "b 2f\n"
                     "addiu %0, %0, 4\n"
                     "1: jr $ra\n"
                     "addiu %0, %0, 2\n"
                     "2: move $ra, $t1\n"
                     ".set pop" : "=&r"(r) : : "$t1", "$t2", "memory");
    check("jalr round trip", r, 7);
    /* Signed compare branches at the edges. */
    u32 count = 0;
    i32 vals[] = {(i32)0x80000000, -1, 0, 1, 0x7fffffff};
    for (int i = 0; i < 5; i++) {
        i32 v = (i32)opaque((u32)vals[i]);
        if (v < 0) count += 1;
        if (v <= 0) count += 10;
        if (v > 0) count += 100;
        if (v >= 0) count += 1000;
    }
    check("signed branches", count, 2 * 11 + 10 + 1000 + 2 * 1100);
    /* bltzal links even when not taken. */
    __asm__ volatile(".set push\n.set noreorder\n"
                     "move $t1, $ra\n"
                     "li $t3, 5\n"
                     "bltzal $t3, 1f\n"
                     "nop\n"
                     "1: move %0, $ra\n"
                     "move $ra, $t1\n"
                     ".set pop" : "=&r"(ra) : : "$t1", "$t3", "memory");
    u32 here;
    __asm__ volatile(".set push\n.set noreorder\n"
                     "move $t1, $ra\n"
                     "bal 1f\n"
                     "nop\n"
                     "1: move %0, $ra\n"
                     "move $ra, $t1\n"
                     ".set pop" : "=&r"(here) : : "$t1", "memory");
    check("bltzal links when not taken", ra != 0 && (ra & 3) == 0, 1);
    check("bal target", here != 0, 1);
    return finish();
}
