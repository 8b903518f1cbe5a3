#ifndef GUEST_KECCAK_H
#define GUEST_KECCAK_H
#include "../runtime/runtime.h"
/* Keccak-256 as Ethereum uses it (original padding 0x01, not SHA3's 0x06). */
void keccak256(const u8 *data, u32 len, u8 out[32]);
#endif
