/* kernel.c -- the event queue: an implicit d-ary min-heap of 16-byte keys
 * over two pooled arrays of event records.
 *
 * Why this shape: the heap holds only what ordering needs (time, a packed
 * priority+sequence word, and the record's slot), so a sift step touches
 * one cache line of children (d = 4, 16-byte entries, line-aligned groups).
 * The handler, context and payload sit in a record that is touched twice:
 * when scheduled and when fired. Records come in two sizes so that events
 * with small payloads (the common case) cost 16 + 32 bytes while pending.
 *
 * Ordering word: priority in the top 4 bits, a 28-bit insertion sequence
 * below. When the sequence would wrap, every pending entry is renumbered by
 * rank (which keeps all relative orders, hence the heap, intact), so the
 * order stays total and deterministic for any number of events.
 *
 * Cancellation is lazy: the record is marked (fn = NULL) and counted out of
 * kq_pending() at once; its heap entry is dropped when it reaches the top.
 * A handle is (generation << 32 | slot); the generation changes each time
 * a slot is freed, so a stale handle is recognised. */
#include "kernel.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifndef KQ_D
#define KQ_D 4 /* measured against 2 and 8 in tests/bench/bench_kernel.c */
#endif

#define SEQ_BITS 28u
#define SEQ_LIMIT (1u << SEQ_BITS)
#define LARGE_BIT 0x80000000u
#define NO_SLOT 0xffffffffu
#define MAX_PENDING (SEQ_LIMIT - 1u)

/* Laid out so that, read as one unsigned 128-bit number, an entry orders
 * by (t, key): comparisons are then branch-free. The slot in the low bits
 * never decides, since keys are unique. */
typedef union {
    struct {
        uint32_t slot; /* LARGE_BIT | index, or index into the small pool */
        uint32_t key;  /* prio << 28 | seq */
        uint64_t t;
    } f;
    __uint128_t ord;
} kq_entry;

/* Both record kinds share this prefix. A free record keeps the index of the
 * next free record in its payload: see rec_next(). */
typedef struct {
    kq_handler fn; /* NULL: cancelled, or free */
    void *ctx;
    uint32_t gen;
    uint8_t payload[KQ_PAYLOAD_SMALL];
} kq_small;

typedef struct {
    kq_handler fn;
    void *ctx;
    uint32_t gen;
    uint8_t payload[KQ_PAYLOAD_MAX];
} kq_large;

_Static_assert(sizeof(kq_entry) == 16, "heap entry must stay 16 bytes");
_Static_assert(sizeof(kq_small) == 32, "small record must stay 32 bytes");
_Static_assert(sizeof(kq_large) == 64, "large record must stay 64 bytes");

typedef struct {
    void *recs;     /* kq_small[] or kq_large[] */
    size_t size;    /* bytes per record */
    uint32_t cap;
    uint32_t free;  /* head of the free list, NO_SLOT if none */
} kq_pool;

struct kq_kernel {
    kq_entry *heap;  /* heap[0] is the root; see heap_alloc for alignment */
    void *heap_mem;
    size_t heap_n, heap_cap;
    kq_pool small, large;
    uint64_t now_ps;
    uint64_t processed;
    uint32_t next_seq;
    size_t cancelled_in_heap;
    size_t peak_pending;
    bool stop;
};

/* ---- pools ------------------------------------------------------------ */

/* Records are addressed through their common prefix. */
#define REC(p, i) ((kq_small *)((char *)(p)->recs + (size_t)(i) * (p)->size))

/* A free record's payload holds the next free index. */
static uint32_t rec_next(const kq_small *r)
{
    uint32_t n;
    memcpy(&n, r->payload, sizeof n);
    return n;
}

static void rec_set_next(kq_small *r, uint32_t n)
{
    memcpy(r->payload, &n, sizeof n);
}

static bool pool_grow(kq_pool *p)
{
    uint32_t old = p->cap;
    uint64_t want = old ? (uint64_t)old * 2 : 1024;
    if (want > MAX_PENDING + 1u)
        want = MAX_PENDING + 1u;
    if (want <= old)
        return false;
    void *n = realloc(p->recs, (size_t)want * p->size);
    if (!n)
        return false;
    p->recs = n;
    p->cap = (uint32_t)want;
    /* Thread the new records onto the free list in index order, so slots
     * are handed out deterministically and densely. */
    for (uint32_t i = old; i < p->cap; i++) {
        kq_small *r = REC(p, i);
        r->fn = NULL;
        r->ctx = NULL;
        r->gen = 1;
        rec_set_next(r, i + 1 < p->cap ? i + 1 : p->free);
    }
    p->free = old;
    return true;
}

static void pool_release(kq_pool *p, uint32_t i)
{
    kq_small *r = REC(p, i);
    r->fn = NULL;
    r->gen = r->gen + 1 ? r->gen + 1 : 1;
    rec_set_next(r, p->free);
    p->free = i;
}

static kq_pool *pool_of(kq_kernel *k, uint32_t slot)
{
    return (slot & LARGE_BIT) ? &k->large : &k->small;
}

/* ---- heap ------------------------------------------------------------- */

static inline bool entry_less(const kq_entry *a, const kq_entry *b)
{
    return a->ord < b->ord;
}

/* The array is offset by d-1 entries inside 64-byte-aligned memory so each
 * node's group of children starts on a cache-line boundary. */
static bool heap_grow(kq_kernel *k)
{
    size_t cap = k->heap_cap ? k->heap_cap * 2 : 1024;
    size_t bytes = (cap + KQ_D) * sizeof(kq_entry);
    bytes = (bytes + 63) & ~(size_t)63;
    void *mem = aligned_alloc(64, bytes);
    if (!mem)
        return false;
    kq_entry *h = (kq_entry *)mem + (KQ_D - 1);
    if (k->heap_n)
        memcpy(h, k->heap, k->heap_n * sizeof(kq_entry));
    free(k->heap_mem);
    k->heap_mem = mem;
    k->heap = h;
    k->heap_cap = cap;
    return true;
}

static void heap_push(kq_kernel *k, kq_entry e)
{
    kq_entry *h = k->heap;
    size_t i = k->heap_n++;
    while (i > 0) {
        size_t parent = (i - 1) / KQ_D;
        if (!entry_less(&e, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

/* Remove the root: move the hole down along the smallest children, then
 * place the old last entry where it fits. */
static void heap_pop(kq_kernel *k)
{
    kq_entry *h = k->heap;
    size_t n = --k->heap_n;
    if (n == 0)
        return;
    __uint128_t last = h[n].ord;
    size_t i = 0;
    for (;;) {
        size_t c = i * KQ_D + 1;
        if (c >= n)
            break;
        size_t end = c + KQ_D < n ? c + KQ_D : n;
        size_t best = c;
        __uint128_t bo = h[c].ord;
        for (size_t j = c + 1; j < end; j++) {
            __uint128_t o = h[j].ord;
            best = o < bo ? j : best;
            bo = o < bo ? o : bo;
        }
        if (bo >= last)
            break;
        h[i].ord = bo;
        i = best;
    }
    h[i].ord = last;
}

static int cmp_entry_ptr(const void *a, const void *b)
{
    const kq_entry *x = *(kq_entry *const *)a, *y = *(kq_entry *const *)b;
    if (entry_less(x, y))
        return -1;
    return entry_less(y, x) ? 1 : 0;
}

/* Renumber sequences by rank. Ranks preserve every pairwise order, so the
 * heap needs no repair. Returns false if out of memory. */
static bool renumber(kq_kernel *k)
{
    size_t n = k->heap_n;
    kq_entry **order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return false;
    for (size_t i = 0; i < n; i++)
        order[i] = &k->heap[i];
    qsort(order, n, sizeof *order, cmp_entry_ptr);
    for (size_t i = 0; i < n; i++)
        order[i]->f.key = (order[i]->f.key & ~(SEQ_LIMIT - 1u)) | (uint32_t)i;
    free(order);
    k->next_seq = (uint32_t)n;
    return true;
}

/* ---- public API ------------------------------------------------------- */

kq_kernel *kq_new(void)
{
    kq_kernel *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->small.size = sizeof(kq_small);
    k->large.size = sizeof(kq_large);
    k->small.free = k->large.free = NO_SLOT;
    if (!heap_grow(k) || !pool_grow(&k->small)) {
        kq_free(k);
        return NULL;
    }
    return k;
}

void kq_free(kq_kernel *k)
{
    if (!k)
        return;
    free(k->heap_mem);
    free(k->small.recs);
    free(k->large.recs);
    free(k);
}

kq_err kq_schedule_at(kq_kernel *k, uint64_t time_ps, unsigned prio,
                      kq_handler fn, void *ctx, const void *payload,
                      size_t len, kq_handle *handle_out)
{
    if (time_ps < k->now_ps)
        return KQ_EPAST;
    if (prio > KQ_PRIO_MAX)
        return KQ_EPRIO;
    if (len > KQ_PAYLOAD_MAX)
        return KQ_EPAYLOAD;
    if (k->heap_n >= MAX_PENDING)
        return KQ_EOVERFLOW;
    if (k->heap_n == k->heap_cap && !heap_grow(k))
        return KQ_ENOMEM;
    bool large = len > KQ_PAYLOAD_SMALL;
    kq_pool *p = large ? &k->large : &k->small;
    if (p->free == NO_SLOT && !pool_grow(p))
        return KQ_ENOMEM;
    if (k->next_seq == SEQ_LIMIT && !renumber(k))
        return KQ_ENOMEM;

    uint32_t idx = p->free;
    kq_small *r = REC(p, idx);
    p->free = rec_next(r);
    r->fn = fn;
    r->ctx = ctx;
    if (len)
        memcpy(r->payload, payload, len);
    uint32_t slot = large ? (idx | LARGE_BIT) : idx;
    kq_entry e = {.f = {slot, ((uint32_t)prio << SEQ_BITS) | k->next_seq++,
                        time_ps}};
    heap_push(k, e);

    size_t pending = k->heap_n - k->cancelled_in_heap;
    if (pending > k->peak_pending)
        k->peak_pending = pending;
    if (handle_out)
        *handle_out = ((uint64_t)r->gen << 32) | slot;
    return KQ_OK;
}

kq_err kq_schedule_in(kq_kernel *k, uint64_t delay_ps, unsigned prio,
                      kq_handler fn, void *ctx, const void *payload,
                      size_t len, kq_handle *handle_out)
{
    if (delay_ps > UINT64_MAX - k->now_ps)
        return KQ_EOVERFLOW;
    return kq_schedule_at(k, k->now_ps + delay_ps, prio, fn, ctx, payload,
                          len, handle_out);
}

kq_err kq_cancel(kq_kernel *k, kq_handle h)
{
    uint32_t slot = (uint32_t)h;
    uint32_t gen = (uint32_t)(h >> 32);
    kq_pool *p = pool_of(k, slot);
    uint32_t idx = slot & ~LARGE_BIT;
    if (gen == 0 || idx >= p->cap)
        return KQ_ENOTFOUND;
    kq_small *r = REC(p, idx);
    if (r->gen != gen || r->fn == NULL)
        return KQ_ENOTFOUND;
    r->fn = NULL;
    k->cancelled_in_heap++;
    return KQ_OK;
}

kq_run_result kq_run(kq_kernel *k, uint64_t until_ps, uint64_t max_events)
{
    uint64_t fired = 0;
    union {
        uint8_t bytes[KQ_PAYLOAD_MAX];
        uint64_t align;
    } buf;
    k->stop = false;
    while (k->heap_n) {
        kq_entry top = k->heap[0];
        if (top.f.t > until_ps) {
            k->now_ps = until_ps;
            return KQ_RUN_TIME;
        }
        kq_pool *p = pool_of(k, top.f.slot);
        uint32_t idx = top.f.slot & ~LARGE_BIT;
        kq_small *r = REC(p, idx);
        if (r->fn == NULL) { /* cancelled: drop silently */
            heap_pop(k);
            pool_release(p, idx);
            k->cancelled_in_heap--;
            continue;
        }
        if (max_events && fired >= max_events)
            return KQ_RUN_EVENTS;
        heap_pop(k);
        /* Copy out and free the record before the call: the handler may
         * schedule (and so grow the pool) and usually reuses this slot. */
        kq_handler fn = r->fn;
        void *ctx = r->ctx;
        memcpy(buf.bytes, r->payload,
               p == &k->small ? KQ_PAYLOAD_SMALL : KQ_PAYLOAD_MAX);
        pool_release(p, idx);
        if (k->heap_n) /* the next record is likely cold: fetch it now */
            __builtin_prefetch(REC(pool_of(k, k->heap[0].f.slot),
                                   k->heap[0].f.slot & ~LARGE_BIT));
        k->now_ps = top.f.t;
        k->processed++;
        fired++;
        fn(k, ctx, buf.bytes);
        if (k->stop)
            return KQ_RUN_STOPPED;
    }
    if (until_ps != KQ_TIME_MAX && until_ps > k->now_ps)
        k->now_ps = until_ps;
    return KQ_RUN_EMPTY;
}

void kq_test_set_sequence(kq_kernel *k, uint32_t seq)
{
    if (seq <= SEQ_LIMIT && seq >= k->next_seq)
        k->next_seq = seq;
}

void kq_stop(kq_kernel *k) { k->stop = true; }
uint64_t kq_now(const kq_kernel *k) { return k->now_ps; }
uint64_t kq_events_processed(const kq_kernel *k) { return k->processed; }
size_t kq_peak_pending(const kq_kernel *k) { return k->peak_pending; }

size_t kq_pending(const kq_kernel *k)
{
    return k->heap_n - k->cancelled_in_heap;
}

size_t kq_memory_bytes(const kq_kernel *k)
{
    return k->heap_cap * sizeof(kq_entry) + (size_t)k->small.cap * k->small.size +
           (size_t)k->large.cap * k->large.size;
}

const char *kq_strerror(kq_err e)
{
    switch (e) {
    case KQ_OK: return "ok";
    case KQ_EPAST: return "event scheduled before the current simulated time";
    case KQ_EPRIO: return "event priority out of range (0..15)";
    case KQ_EPAYLOAD: return "event payload larger than 44 bytes";
    case KQ_ENOMEM: return "out of memory growing the event pool";
    case KQ_EOVERFLOW: return "event time overflows, or too many pending events";
    case KQ_ENOTFOUND: return "no such pending event (already fired or cancelled)";
    }
    return "unknown kernel error";
}
