#include "runtime.h"

u32 hint_u32(void) {
    u32 v = 0;
    if (hint_len() != 4) {
        print_str("hint_u32: next hint buffer is not 4 bytes\n");
        rt_exit(101);
    }
    hint_read(&v, 4);
    return v;
}

void *malloc(size_t n) {
    return rt_sbrk((n + 7) & ~7u);
}

void *memcpy(void *dst, const void *src, size_t n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    u8 *d = dst;
    const u8 *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    u8 *d = dst;
    while (n--) *d++ = (u8)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

void print_str(const char *s) { rt_write(FD_STDOUT, s, strlen(s)); }

void print_u32(u32 v) {
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    print_str(buf + i);
}

void print_hex(const void *p, u32 len) {
    static const char digits[] = "0123456789abcdef";
    const u8 *b = p;
    char out[64];
    u32 n = 0;
    for (u32 i = 0; i < len; i++) {
        out[n++] = digits[b[i] >> 4];
        out[n++] = digits[b[i] & 15];
        if (n == sizeof out) {
            rt_write(FD_STDOUT, out, n);
            n = 0;
        }
    }
    rt_write(FD_STDOUT, out, n);
}

void print_kv(const char *key, u32 v) {
    u8 be[4] = {(u8)(v >> 24), (u8)(v >> 16), (u8)(v >> 8), (u8)v};
    print_str(key);
    print_str(": 0x");
    print_hex(be, 4);
    print_str("\n");
}

void commit(const void *buf, u32 len) { rt_write(FD_PUBLIC, buf, len); }
