/* zkVM back end: Ziren-compatible syscalls. */
#include "runtime.h"
#include "syscall.h"

#define SYS_HALT 0x00
#define SYS_WRITE 0x02
#define SYS_HINTLEN 0xF0
#define SYS_HINTREAD 0xF1

extern char _end[];
static char *heap_top = _end;

void rt_exit(int code) {
    rt_syscall3(SYS_HALT, code, 0, 0, 0);
    for (;;) {
    }
}

void rt_write(int fd, const void *buf, u32 len) { rt_syscall3(SYS_WRITE, fd, (long)buf, len, 0); }

u32 hint_len(void) { return (u32)rt_syscall3(SYS_HINTLEN, 0, 0, 0, 0); }

void hint_read(void *buf, u32 len) { rt_syscall3(SYS_HINTREAD, (long)buf, len, 0, 0); }

/* The zkVM's memory is all there and zero: the heap is a bump pointer past the image. */
void *rt_sbrk(u32 bytes) {
    char *p = (char *)(((u32)heap_top + 7) & ~7u);
    heap_top = p + bytes;
    return p;
}
