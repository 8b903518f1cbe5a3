/* Bit tricks shared by the kernels. */
#ifndef MIPSTARK_BITS_H
#define MIPSTARK_BITS_H
#include "portable.h"

/* The low `bits` bits of x in reverse order (Plonky3's reverse_bits_len). */
DEVICE u64 bitrev(u64 x, u32 bits) {
    u64 r = 0;
    for (u32 i = 0; i < bits; i++) {
        r = (r << 1) | (x & 1u);
        x >>= 1;
    }
    return r;
}
#endif
