/* kq_queue.c -- a 4-ary heap, optionally in front of a one-rung calendar.
 * See kq_queue.h for the invariants. */
#include "base/base.h"
#include "kernel/kq_queue.h"

#include <stdlib.h>
#include <string.h>

#define D 4 /* measured against 2 and 8: 4 was fastest at every size */

/* Target events per calendar bucket when (re)building it: small buckets
 * keep the front heap tiny, large ones cut the scanning of empty ones. */
#ifndef BUCKET_TARGET
#define BUCKET_TARGET 2
#endif
#ifndef PREFETCH_BUCKETS
#define PREFETCH_BUCKETS 4
#endif
#ifndef HEAP_LOOKAHEAD
#define HEAP_LOOKAHEAD 32 /* events kept in the heap when more wait */
#endif

/* ---- the front heap --------------------------------------------------- */

/* The array is offset by D-1 entries inside 64-byte-aligned memory so each
 * node's group of D children starts on a cache-line boundary. */
static bool heap_grow(kq_queue *q, size_t need)
{
    size_t cap = q->heap_cap ? q->heap_cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap == q->heap_cap)
        return true;
    size_t bytes = (cap + D) * sizeof(kq_entry);
    bytes = (bytes + 63) & ~(size_t)63;
    void *mem = base_aligned_alloc(64, bytes);
    if (!mem)
        return false;
    kq_entry *h = (kq_entry *)mem + (D - 1);
    if (q->heap_n)
        memcpy(h, q->heap, q->heap_n * sizeof(kq_entry));
    base_free(q->heap_mem);
    q->heap_mem = mem;
    q->heap = h;
    q->heap_cap = cap;
    return true;
}

static void heap_push(kq_queue *q, kq_entry e)
{
    kq_entry *h = q->heap;
    size_t i = q->heap_n++;
    while (i > 0) {
        size_t parent = (i - 1) / D;
        if (e.ord >= h[parent].ord)
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

/* Remove the root: move the hole down along the smallest children, then
 * place the old last entry where it fits. Child selection uses
 * conditional moves; the branch on `last` is well predicted. */
static void heap_pop(kq_queue *q)
{
    kq_entry *h = q->heap;
    size_t n = --q->heap_n;
    if (n == 0)
        return;
    __uint128_t last = h[n].ord;
    size_t i = 0;
    for (;;) {
        size_t c = i * D + 1;
        if (c >= n)
            break;
        size_t end = c + D < n ? c + D : n;
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

/* ---- calendar nodes --------------------------------------------------- */

static bool nodes_grow(kq_queue *q)
{
    uint32_t old = q->nodes_cap;
    if (old >= KQQ_NIL - 1 || BASE_GROW(q->nodes, q->nodes_cap, old + 1, KQQ_NIL - 1))
        return false;
    kqq_node *n = q->nodes;
    for (uint32_t i = old; i < q->nodes_cap; i++) {
        n[i].slot = KQQ_NIL; /* marks a free node for kqq_each */
        n[i].next = i + 1 < q->nodes_cap ? i + 1 : q->nodes_free;
    }
    q->nodes_free = old;
    return true;
}

static void node_release(kq_queue *q, uint32_t i)
{
    q->nodes[i].slot = KQQ_NIL;
    q->nodes[i].next = q->nodes_free;
    q->nodes_free = i;
}

/* Put e at the front of list *head. */
static bool list_push(kq_queue *q, uint32_t *head, kq_entry e)
{
    if (q->nodes_free == KQQ_NIL && !nodes_grow(q))
        return false;
    uint32_t i = q->nodes_free;
    kqq_node *nd = &q->nodes[i];
    q->nodes_free = nd->next;
    nd->t = e.f.t;
    nd->key = e.f.key;
    nd->slot = e.f.slot;
    nd->next = *head;
    *head = i;
    return true;
}

/* Move every event of bucket `b` into the heap. On failure the events
 * not yet moved stay in the bucket, so nothing is lost. */
static bool load_bucket(kq_queue *q, size_t b)
{
    uint32_t i = q->bucket[b];
    while (i != KQQ_NIL) {
        if (q->heap_n == q->heap_cap && !heap_grow(q, q->heap_n + 1)) {
            q->bucket[b] = i;
            return false;
        }
        kqq_node *nd = &q->nodes[i];
        uint32_t next = nd->next;
        __builtin_prefetch(&q->nodes[next == KQQ_NIL ? i : next]);
        kq_entry e = {.f = {nd->slot, nd->key, nd->t}};
        heap_push(q, e);
        if (q->soon)
            q->soon(q->soon_ctx, nd->slot);
        node_release(q, i);
        i = next;
    }
    q->bucket[b] = KQQ_NIL;
    return true;
}

/* Spread the overflow over a fresh set of buckets starting at its
 * minimum, with a power-of-two width so a bucket index is a shift. */
static bool rebuild(kq_queue *q)
{
    uint64_t span = q->overflow_max - q->overflow_min; /* + 1 below */
    size_t want = q->overflow_n / BUCKET_TARGET + 1;
    unsigned shift = 0;
    while (shift < 63 && (span >> shift) >= want)
        shift++;
    size_t nb = (size_t)(span >> shift) + 1;
    if (nb > q->nb_cap) {
        uint32_t *b = base_realloc(q->bucket, nb * sizeof *b);
        if (!b)
            return false;
        q->bucket = b;
        q->nb_cap = nb;
    }
    for (size_t i = 0; i < nb; i++)
        q->bucket[i] = KQQ_NIL;
    q->base = q->overflow_min;
    q->shift = shift;
    q->nb = nb;
    q->cur = 0;
    q->horizon = q->base;
    /* Relink the overflow's nodes into the buckets: no allocation. The
     * overflow is several chains walked in turn, so the cache misses of
     * their scattered nodes overlap instead of following one another. */
    for (int live = 1; live;) {
        live = 0;
        for (int c = 0; c < KQQ_OVERFLOW_CHAINS; c++) {
            uint32_t i = q->overflow[c];
            if (i == KQQ_NIL)
                continue;
            live = 1;
            kqq_node *nd = &q->nodes[i];
            q->overflow[c] = nd->next;
            uint32_t *head = &q->bucket[(nd->t - q->base) >> shift];
            nd->next = *head;
            *head = i;
        }
    }
    q->overflow_n = 0;
    return true;
}

/* ---- interface -------------------------------------------------------- */

bool kqq_init(kq_queue *q, bool calendar)
{
    memset(q, 0, sizeof *q);
    q->calendar = calendar;
    q->nodes_free = KQQ_NIL;
    for (int c = 0; c < KQQ_OVERFLOW_CHAINS; c++)
        q->overflow[c] = KQQ_NIL;
    return heap_grow(q, 256);
}

void kqq_destroy(kq_queue *q)
{
    base_free(q->heap_mem);
    base_free(q->bucket);
    base_free(q->nodes);
    memset(q, 0, sizeof *q);
}

bool kqq_push(kq_queue *q, kq_entry e)
{
    uint64_t t = e.f.t;
    /* Buckets below `cur` were loaded already; t >= horizon implies an
     * index >= cur except when the horizon saturated at UINT64_MAX. */
    size_t b = 0;
    bool to_heap = !q->calendar || t < q->horizon;
    if (!to_heap) {
        b = (size_t)((t - q->base) >> q->shift);
        to_heap = b < q->cur;
    }
    if (to_heap) {
        if (q->heap_n == q->heap_cap && !heap_grow(q, q->heap_n + 1))
            return false;
        heap_push(q, e);
    } else if (b < q->nb) {
        if (!list_push(q, &q->bucket[b], e))
            return false;
    } else {
        if (!list_push(q, &q->overflow[q->overflow_n % KQQ_OVERFLOW_CHAINS], e))
            return false;
        if (q->overflow_n == 0 || t < q->overflow_min)
            q->overflow_min = t;
        if (q->overflow_n == 0 || t > q->overflow_max)
            q->overflow_max = t;
        q->overflow_n++;
    }
    q->n++;
    return true;
}

const kq_entry *kqq_peek(kq_queue *q, bool *oom)
{
    *oom = false;
    /* Keep a few buckets' worth of events in the heap, not just one: their
     * records are fetched as they enter (see load_bucket), and this gives
     * the fetches time to land before the events fire. Loading the next
     * bucket early is always sound: everything in it is at or after the
     * horizon, which then moves past it. */
    while (q->heap_n < HEAP_LOOKAHEAD && q->n > q->heap_n) {
        if (q->cur < q->nb) {
            /* Bucket lists are short chains of scattered nodes: start
             * fetching the next buckets' first nodes now, so their
             * misses overlap instead of following one another. */
            for (size_t j = q->cur + 1; j <= q->cur + PREFETCH_BUCKETS && j < q->nb; j++)
                if (q->bucket[j] != KQQ_NIL)
                    __builtin_prefetch(&q->nodes[q->bucket[j]]);
            if (q->bucket[q->cur] != KQQ_NIL && !load_bucket(q, q->cur)) {
                *oom = true;
                return NULL;
            }
            q->cur++;
            /* The last bucket may end past UINT64_MAX: saturate. */
            if (q->cur > (UINT64_MAX - q->base) >> q->shift)
                q->horizon = UINT64_MAX;
            else
                q->horizon = q->base + ((uint64_t)q->cur << q->shift);
        } else if (q->heap_n > 0) {
            break; /* the rest waits in the overflow, after the heap */
        } else if (!rebuild(q)) {
            *oom = true;
            return NULL;
        }
    }
    return q->heap_n ? &q->heap[0] : NULL;
}

void kqq_pop(kq_queue *q)
{
    heap_pop(q);
    q->n--;
}

void kqq_each(kq_queue *q, void (*fn)(void *arg, uint64_t t, uint32_t *key),
              void *arg)
{
    for (size_t i = 0; i < q->heap_n; i++)
        fn(arg, q->heap[i].f.t, &q->heap[i].f.key);
    for (uint32_t i = 0; i < q->nodes_cap; i++)
        if (q->nodes[i].slot != KQQ_NIL)
            fn(arg, q->nodes[i].t, &q->nodes[i].key);
}

size_t kqq_memory_bytes(const kq_queue *q)
{
    return q->heap_cap * sizeof(kq_entry) +
           (size_t)q->nodes_cap * sizeof(kqq_node) +
           q->nb_cap * sizeof(uint32_t);
}
