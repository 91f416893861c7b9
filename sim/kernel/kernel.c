/* kernel.c -- the event kernel: pooled event records, the run loop,
 * cancellation and limits. Ordering is kq_queue's job.
 *
 * Why this shape: the queue holds only what ordering needs (time, a packed
 * priority+sequence word, and the record's slot: 16 bytes). The handler,
 * context and payload sit in a record that is touched twice, when
 * scheduled and when fired. Records come in two sizes so that events with
 * small payloads (the common case) cost 32 bytes of record while pending.
 *
 * Ordering word: priority in the top 4 bits, a 28-bit insertion sequence
 * below. When the sequence would wrap, every pending entry is renumbered by
 * rank (which keeps all relative orders, hence the queue, intact), so the
 * order stays total and deterministic for any number of events.
 *
 * Cancellation is lazy: the record is marked (fn = NULL) and counted out of
 * kq_pending() at once; its queue entry is dropped when it reaches the top.
 * A handle is (generation << 32 | slot); the generation changes each time
 * a slot is freed, so a stale handle is recognised. */
#include "base/base.h"
#include "kernel/kernel.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kq_queue.h"

#define SEQ_BITS 28u
#define SEQ_LIMIT (1u << SEQ_BITS)
#define LARGE_BIT 0x80000000u
#define NO_SLOT 0xffffffffu
#define MAX_PENDING (SEQ_LIMIT - 1u)

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

_Static_assert(sizeof(kq_entry) == 16, "queue entry must stay 16 bytes");
_Static_assert(sizeof(kq_small) == 32, "small record must stay 32 bytes");
_Static_assert(sizeof(kq_large) == 64, "large record must stay 64 bytes");

typedef struct {
    void *recs;     /* kq_small[] or kq_large[] */
    size_t size;    /* bytes per record */
    uint32_t cap;
    uint32_t free;  /* head of the free list, NO_SLOT if none */
} kq_pool;

struct kq_kernel {
    kq_queue q;
    kq_pool small, large;
    uint64_t now_ps;
    uint64_t processed;
    uint64_t run_fired, run_max; /* the running kq_run's count and limit
                                  * (0: none), for kq_steps_allowed */
    uint32_t next_seq;
    size_t cancelled_in_queue;
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
    if (old >= MAX_PENDING + 1u ||
        base_grow(&p->recs, &p->cap, old + 1, p->size, MAX_PENDING + 1u))
        return false;
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

/* ---- renumbering ----------------------------------------------------- */

typedef struct {
    uint64_t t;
    uint32_t *key;
} seq_ref;

typedef struct {
    seq_ref *refs;
    size_t n;
} seq_refs;

static void collect_ref(void *arg, uint64_t t, uint32_t *key)
{
    seq_refs *r = arg;
    r->refs[r->n++] = (seq_ref){t, key};
}

static int cmp_ref(const void *a, const void *b)
{
    const seq_ref *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return *x->key < *y->key ? -1 : *x->key > *y->key;
}

/* Renumber sequences by rank. Ranks preserve every pairwise order, so the
 * queue needs no repair. Returns false if out of memory. */
static bool renumber(kq_kernel *k)
{
    seq_refs r = {base_malloc((k->q.n ? k->q.n : 1) * sizeof *r.refs), 0};
    if (!r.refs)
        return false;
    kqq_each(&k->q, collect_ref, &r);
    qsort(r.refs, r.n, sizeof *r.refs, cmp_ref);
    for (size_t i = 0; i < r.n; i++)
        *r.refs[i].key = (*r.refs[i].key & ~(SEQ_LIMIT - 1u)) | (uint32_t)i;
    base_free(r.refs);
    k->next_seq = (uint32_t)r.n;
    return true;
}

/* ---- public API ------------------------------------------------------- */

/* An event is about to reach the head of the queue: fetch its record
 * while the events before it fire. */
static void prefetch_record(void *ctx, uint32_t slot)
{
    kq_kernel *k = ctx;
    __builtin_prefetch(REC(pool_of(k, slot), slot & ~LARGE_BIT));
}

kq_kernel *kq_new_with(kq_queue_kind kind)
{
    kq_kernel *k = base_calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->small.size = sizeof(kq_small);
    k->large.size = sizeof(kq_large);
    k->small.free = k->large.free = NO_SLOT;
    if (!kqq_init(&k->q, kind == KQ_QUEUE_CALENDAR) || !pool_grow(&k->small)) {
        kq_free(k);
        return NULL;
    }
    k->q.soon = prefetch_record;
    k->q.soon_ctx = k;
    return k;
}

kq_kernel *kq_new(void)
{
    return kq_new_with(KQ_QUEUE_CALENDAR);
}

void kq_free(kq_kernel *k)
{
    if (!k)
        return;
    kqq_destroy(&k->q);
    base_free(k->small.recs);
    base_free(k->large.recs);
    base_free(k);
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
    if (k->q.n >= MAX_PENDING)
        return KQ_EOVERFLOW;
    bool large = len > KQ_PAYLOAD_SMALL;
    kq_pool *p = large ? &k->large : &k->small;
    if (p->free == NO_SLOT && !pool_grow(p))
        return KQ_ENOMEM;
    if (k->next_seq == SEQ_LIMIT && !renumber(k))
        return KQ_ENOMEM;

    uint32_t idx = p->free;
    kq_small *r = REC(p, idx);
    uint32_t slot = large ? (idx | LARGE_BIT) : idx;
    kq_entry e = {.f = {slot, ((uint32_t)prio << SEQ_BITS) | k->next_seq,
                        time_ps}};
    if (!kqq_push(&k->q, e))
        return KQ_ENOMEM;
    k->next_seq++;
    p->free = rec_next(r);
    r->fn = fn;
    r->ctx = ctx;
    if (len)
        memcpy(r->payload, payload, len);

    size_t pending = k->q.n - k->cancelled_in_queue;
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
    k->cancelled_in_queue++;
    return KQ_OK;
}

kq_run_result kq_run(kq_kernel *k, uint64_t until_ps, uint64_t max_events)
{
    union {
        uint8_t bytes[KQ_PAYLOAD_MAX];
        uint64_t align;
    } buf;
    k->stop = false;
    k->run_fired = 0;
    k->run_max = max_events;
    for (;;) {
        bool oom;
        const kq_entry *head = kqq_peek(&k->q, &oom);
        if (!head) {
            if (oom)
                return KQ_RUN_NOMEM;
            if (until_ps != KQ_TIME_MAX && until_ps > k->now_ps)
                k->now_ps = until_ps;
            return KQ_RUN_EMPTY;
        }
        kq_entry top = *head;
        if (top.f.t > until_ps) {
            k->now_ps = until_ps;
            return KQ_RUN_TIME;
        }
        kq_pool *p = pool_of(k, top.f.slot);
        uint32_t idx = top.f.slot & ~LARGE_BIT;
        kq_small *r = REC(p, idx);
        if (r->fn == NULL) { /* cancelled: drop silently */
            kqq_pop(&k->q);
            pool_release(p, idx);
            k->cancelled_in_queue--;
            continue;
        }
        if (max_events && k->run_fired >= max_events)
            return KQ_RUN_EVENTS;
        kqq_pop(&k->q);
        /* Copy out and free the record before the call: the handler may
         * schedule (and so grow the pool) and usually reuses this slot. */
        kq_handler fn = r->fn;
        void *ctx = r->ctx;
        memcpy(buf.bytes, r->payload,
               p == &k->small ? KQ_PAYLOAD_SMALL : KQ_PAYLOAD_MAX);
        pool_release(p, idx);
        if (k->q.heap_n) { /* the next record is likely cold: fetch it now */
            uint32_t ns = k->q.heap[0].f.slot;
            __builtin_prefetch(REC(pool_of(k, ns), ns & ~LARGE_BIT));
        }
        k->now_ps = top.f.t;
        k->processed++;
        k->run_fired++;
        fn(k, ctx, buf.bytes);
        if (k->stop)
            return KQ_RUN_STOPPED;
    }
}

void kq_test_set_sequence(kq_kernel *k, uint32_t seq)
{
    if (seq <= SEQ_LIMIT && seq >= k->next_seq)
        k->next_seq = seq;
}

void kq_stop(kq_kernel *k) { k->stop = true; }
uint64_t kq_steps_allowed(const kq_kernel *k)
{
    if (k->stop)
        return 0;
    return k->run_max ? k->run_max - k->run_fired : UINT64_MAX;
}

void kq_count_steps(kq_kernel *k, uint64_t n)
{
    k->processed += n;
    k->run_fired += n;
}
uint64_t kq_now(const kq_kernel *k) { return k->now_ps; }
uint64_t kq_events_processed(const kq_kernel *k) { return k->processed; }
size_t kq_peak_pending(const kq_kernel *k) { return k->peak_pending; }

size_t kq_pending(const kq_kernel *k)
{
    return k->q.n - k->cancelled_in_queue;
}

size_t kq_memory_bytes(const kq_kernel *k)
{
    return kqq_memory_bytes(&k->q) + (size_t)k->small.cap * k->small.size +
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
