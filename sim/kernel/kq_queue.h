/* kq_queue.h -- the kernel's pending-event queue (internal to the kernel).
 *
 * It orders 16-byte entries (time, key, slot) by (time, key); the kernel
 * gives every entry a unique key, so the order is total. Two backends
 * share this interface:
 *   - a 4-ary min-heap alone (KQ_QUEUE_HEAP), and
 *   - the same heap in front of a one-rung calendar (the default): the
 *     heap holds only the earliest time bucket, later events wait unsorted
 *     in buckets of a power-of-two width, and events past the last bucket
 *     in an overflow list that is re-bucketed when the buckets run out.
 *     Each event is moved a bounded number of times, so a push and a pop
 *     cost O(1) amortised instead of O(log n), and the heap stays small
 *     enough to live in cache.
 * tests/bench/bench_kernel.c measures both. */
#ifndef EVSIM_KQ_QUEUE_H
#define EVSIM_KQ_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Laid out so that, read as one unsigned 128-bit number, an entry orders
 * by (t, key): heap comparisons are then branch-free. */
typedef union {
    struct {
        uint32_t slot; /* the kernel's record; never decides the order */
        uint32_t key;
        uint64_t t;
    } f;
    __uint128_t ord;
} kq_entry;

/* A calendar entry: an event waiting in a bucket or in the overflow. */
typedef struct {
    uint64_t t;
    uint32_t key;
    uint32_t slot;
    uint32_t next; /* next node in the same list, or KQQ_NIL */
} kqq_node;

#define KQQ_NIL 0xffffffffu
#define KQQ_OVERFLOW_CHAINS 8

typedef struct {
    /* the front heap: heap[0] is the minimum */
    kq_entry *heap;
    void *heap_mem;
    size_t heap_n, heap_cap;

    /* the calendar; all heap entries have t < horizon, bucket b holds
     * [base + (b << shift), base + ((b + 1) << shift)), buckets below `cur`
     * are empty, and the overflow holds t >= base + (nb << shift). */
    bool calendar;
    uint64_t horizon, base;
    unsigned shift;
    uint32_t *bucket; /* list heads */
    size_t nb, nb_cap, cur;
    uint32_t overflow[KQQ_OVERFLOW_CHAINS]; /* round-robin, see rebuild */
    size_t overflow_n;
    uint64_t overflow_min, overflow_max;

    kqq_node *nodes;
    uint32_t nodes_cap, nodes_free;

    size_t n; /* entries in total */

    /* Told the slot of each event moved into the heap: it will fire soon,
     * so the owner can start fetching its record (optional). */
    void (*soon)(void *ctx, uint32_t slot);
    void *soon_ctx;
} kq_queue;

/* `calendar` false selects the plain heap. */
bool kqq_init(kq_queue *q, bool calendar);
void kqq_destroy(kq_queue *q);

/* False when out of memory (the queue is unchanged). */
bool kqq_push(kq_queue *q, kq_entry e);

/* The minimum entry, or NULL if the queue is empty. May move events from
 * the calendar into the heap; *oom is set if that ran out of memory. */
const kq_entry *kqq_peek(kq_queue *q, bool *oom);

/* Remove the entry kqq_peek returned. */
void kqq_pop(kq_queue *q);

/* Call fn on every entry (any order); fn may change `key` provided the
 * relative order of all entries is kept. */
void kqq_each(kq_queue *q, void (*fn)(void *arg, uint64_t t, uint32_t *key),
              void *arg);

size_t kqq_memory_bytes(const kq_queue *q);

#endif
