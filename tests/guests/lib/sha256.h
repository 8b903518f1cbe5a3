#ifndef GUEST_SHA256_H
#define GUEST_SHA256_H
#include "../runtime/runtime.h"
void sha256(const u8 *data, u32 len, u8 out[32]);
#endif
