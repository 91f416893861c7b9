/* alloc.c -- the allocation funnel and its fault-injection hook; see
 * base.h. The hook follows SQLite's faultsim: a countdown armed by a
 * test, after which one (or every) allocation returns NULL. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* The only process-wide mutable state outside main.c (see base.h). */
static _Atomic int fail_armed;
static _Atomic long fail_countdown;
static _Atomic int fail_sticky;
static _Atomic int fail_now;      /* sticky and hit: every call fails */
static _Atomic int fail_happened;
static _Atomic uint64_t alloc_calls;

void base_alloc_fail_at(long n, int sticky)
{
    atomic_store(&fail_armed, 0);
    atomic_store(&fail_now, 0);
    atomic_store(&fail_happened, 0);
    atomic_store(&alloc_calls, 0);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&fail_countdown, n);
    atomic_store(&fail_armed, n >= 0);
}

uint64_t base_alloc_calls(void)
{
    return atomic_load(&alloc_calls);
}

int base_alloc_injected(void)
{
    return atomic_load(&fail_happened);
}

/* Whether this allocation is to fail. */
static int inject(void)
{
    atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed);
    if (!atomic_load_explicit(&fail_armed, memory_order_relaxed))
        return 0;
    if (atomic_load(&fail_now))
        return 1;
    if (atomic_fetch_sub(&fail_countdown, 1) != 0)
        return 0;
    atomic_store(&fail_happened, 1);
    if (atomic_load(&fail_sticky))
        atomic_store(&fail_now, 1);
    else
        atomic_store(&fail_armed, 0);
    return 1;
}

void *base_malloc(size_t n)
{
    return inject() ? NULL : malloc(n ? n : 1);
}

void *base_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return inject() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *base_realloc(void *p, size_t n)
{
    return inject() ? NULL : realloc(p, n ? n : 1);
}

char *base_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = base_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void *base_aligned_alloc(size_t align, size_t n)
{
    if (!align || (align & (align - 1)) || n > SIZE_MAX - align)
        return NULL;
    n = (n ? n + align - 1 : align) & ~(align - 1);
    return inject() ? NULL : aligned_alloc(align, n);
}

void base_free(void *p)
{
    free(p);
}

int base_grow(void **arr, uint32_t *cap, uint32_t need, size_t elem, uint32_t max_elems)
{
    if (need <= *cap)
        return 0;
    if (need > max_elems)
        return -1;
    uint64_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    if (c > max_elems)
        c = max_elems;
    if (elem && c > SIZE_MAX / elem)
        return -1;
    void *n = base_realloc(*arr, (size_t)c * elem);
    if (!n)
        return -1;
    *arr = n;
    *cap = (uint32_t)c;
    return 0;
}
