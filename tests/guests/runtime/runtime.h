/* mipstark guest runtime: the little a freestanding guest needs.
 *
 * Two back ends implement the same calls: sys_zkvm.c uses the zkVM syscalls (hints from the
 * hint stream, public values on fd 13, HALT); sys_linux.c uses Linux o32 calls only, so the same
 * program also runs under qemu-mipsel for differential testing (hints come framed on stdin as
 * a little-endian u32 length followed by the bytes). */
#ifndef MIPSTARK_RUNTIME_H
#define MIPSTARK_RUNTIME_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int size_t;

/* Back-end calls. */
__attribute__((noreturn)) void rt_exit(int code);
void rt_write(int fd, const void *buf, u32 len);
u32 hint_len(void);
void hint_read(void *buf, u32 len);
void *rt_sbrk(u32 bytes);

/* Common helpers (rt_common.c). */
u32 hint_u32(void);
void *malloc(size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
void print_str(const char *s);
void print_u32(u32 v);
void print_hex(const void *buf, u32 len);
void print_kv(const char *key, u32 v); /* "key: 0x........\n" */
void commit(const void *buf, u32 len); /* public values (fd 13) */

#define FD_STDOUT 1
#define FD_PUBLIC 13

#endif
