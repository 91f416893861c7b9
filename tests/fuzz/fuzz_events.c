/* fuzz_events.c -- libFuzzer target over every event-trace reader: any
 * byte string, read as each format (and as auto-detected), must end in
 * events, a clean end or an error message -- never a crash, a leak, a
 * hang or undefined behaviour. The readers take a path, so the input is
 * written to an in-memory file. Built and run by `make fuzz-events`
 * (clang), not by `make test`. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "input/ev_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz_events", 0);
        if (fd < 0)
            return 0;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    for (int f = EV_FMT_AUTO; f < EV_FMT_COUNT; f++) {
        ev_reader *r;
        base_error err;
        if (ev_open(&r, path, (ev_format)f, &err))
            continue;
        ev_event buf[64];
        long n;
        uint64_t total = 0;
        while ((n = ev_read(r, buf, 64, &err)) > 0)
            total += (uint64_t)n;
        if (total != ev_get_info(r)->events)
            __builtin_trap();
        ev_close(r);
    }
    return 0;
}
