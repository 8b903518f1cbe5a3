/* Linux back end: o32 calls only, so guests also run under qemu-mipsel. Hints arrive on stdin,
 * each as a little-endian u32 length followed by that many bytes. */
#include "runtime.h"
#include "syscall.h"

#define NR_exit_group 4246
#define NR_read 4003
#define NR_write 4004
#define NR_brk 4045

static u32 pending_len;
static int have_pending;
static char *brk_cur;

void rt_exit(int code) {
    rt_syscall3(NR_exit_group, code, 0, 0, 0);
    for (;;) {
    }
}

void rt_write(int fd, const void *buf, u32 len) {
    const char *p = buf;
    while (len) {
        long err;
        long n = rt_syscall3(NR_write, fd, (long)p, len, &err);
        if (err || n <= 0) return; /* fd 13 does not exist under Linux: drop silently */
        p += n;
        len -= (u32)n;
    }
}

static void read_exact(void *buf, u32 len) {
    char *p = buf;
    while (len) {
        long err;
        long n = rt_syscall3(NR_read, 0, (long)p, len, &err);
        if (err || n <= 0) {
            print_str("hint stream exhausted\n");
            rt_exit(102);
        }
        p += n;
        len -= (u32)n;
    }
}

u32 hint_len(void) {
    if (!have_pending) {
        read_exact(&pending_len, 4);
        have_pending = 1;
    }
    return pending_len;
}

void hint_read(void *buf, u32 len) {
    if (hint_len() != len) {
        print_str("hint length mismatch\n");
        rt_exit(103);
    }
    have_pending = 0;
    read_exact(buf, len);
}

void *rt_sbrk(u32 bytes) {
    long err;
    if (!brk_cur) brk_cur = (char *)rt_syscall3(NR_brk, 0, 0, 0, &err);
    char *p = (char *)(((u32)brk_cur + 7) & ~7u);
    char *want = p + bytes;
    char *got = (char *)rt_syscall3(NR_brk, (long)want, 0, 0, &err);
    if (got != want) {
        print_str("out of memory\n");
        rt_exit(104);
    }
    brk_cur = want;
    return p;
}
