/* kernel.h -- the discrete-event kernel: a deterministic priority queue of
 * events over simulated time in picoseconds.
 *
 * An event is (time_ps, priority, insertion sequence, handler, ctx,
 * payload). Events fire in the total order (time, priority, sequence), so
 * two runs with the same inputs process the same events in the same order.
 * Lower priority values fire first among events at the same time.
 *
 * The payload is copied into the event (up to KQ_PAYLOAD_MAX bytes), so
 * scheduling never allocates once the pool has grown to the working size.
 * Payloads of at most KQ_PAYLOAD_SMALL bytes use a denser pool.
 *
 * The kernel knows nothing of cores, memories or packets: models register
 * nothing, they just schedule handlers with a context pointer. */
#ifndef EVSIM_KERNEL_H
#define EVSIM_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define KQ_PAYLOAD_SMALL 12 /* bytes stored in a 32-byte record */
#define KQ_PAYLOAD_MAX 44   /* bytes stored in a 64-byte record */
#define KQ_PRIO_MAX 15      /* priorities are 0..KQ_PRIO_MAX */
#define KQ_TIME_MAX UINT64_MAX

typedef struct kq_kernel kq_kernel;

/* A handler gets the kernel (to read the time and schedule more events),
 * the context it was scheduled with, and a pointer to a copy of the payload
 * it was scheduled with (never NULL; valid only during the call; bytes past
 * the scheduled length are unspecified). */
typedef void (*kq_handler)(kq_kernel *k, void *ctx, const void *payload);

/* Identifies one scheduled event for cancellation; 0 is never valid. */
typedef uint64_t kq_handle;

typedef enum {
    KQ_OK = 0,
    KQ_EPAST,     /* time earlier than the current simulated time */
    KQ_EPRIO,     /* priority above KQ_PRIO_MAX */
    KQ_EPAYLOAD,  /* payload longer than KQ_PAYLOAD_MAX */
    KQ_ENOMEM,    /* the event pool could not grow */
    KQ_EOVERFLOW, /* time + delay overflows, or too many pending events */
    KQ_ENOTFOUND  /* cancel: the event already fired or was cancelled */
} kq_err;

/* Why kq_run returned. */
typedef enum {
    KQ_RUN_EMPTY,     /* no events left */
    KQ_RUN_TIME,      /* next event is later than the time limit */
    KQ_RUN_EVENTS,    /* the event-count limit was reached */
    KQ_RUN_STOPPED,   /* a handler called kq_stop */
    KQ_RUN_NOMEM      /* the queue could not grow while reorganising; the
                       * order of what is left is no longer guaranteed, so
                       * the run must end (free the kernel) */
} kq_run_result;

/* The queue behind the kernel; both give the same order (see kq_queue.h).
 * kq_new() uses the calendar, the faster one in tests/bench. */
typedef enum { KQ_QUEUE_CALENDAR, KQ_QUEUE_HEAP } kq_queue_kind;

kq_kernel *kq_new(void);
kq_kernel *kq_new_with(kq_queue_kind kind);
void kq_free(kq_kernel *k);

/* Schedule at an absolute time, or after a delay from now. `handle_out`
 * may be NULL. `payload` may be NULL when `len` is 0. */
kq_err kq_schedule_at(kq_kernel *k, uint64_t time_ps, unsigned prio,
                      kq_handler fn, void *ctx, const void *payload,
                      size_t len, kq_handle *handle_out);
kq_err kq_schedule_in(kq_kernel *k, uint64_t delay_ps, unsigned prio,
                      kq_handler fn, void *ctx, const void *payload,
                      size_t len, kq_handle *handle_out);

/* Cancel a pending event. KQ_ENOTFOUND if it already fired or was already
 * cancelled. O(1): the queue entry is dropped lazily when it surfaces, but
 * kq_pending() no longer counts it. */
kq_err kq_cancel(kq_kernel *k, kq_handle h);

/* Fire events in order until the queue is empty, the next event is later
 * than `until_ps` (the clock then advances to until_ps, unless
 * until_ps == KQ_TIME_MAX), `max_events` have fired in this call (0 means
 * no limit), or a handler calls kq_stop. */
kq_run_result kq_run(kq_kernel *k, uint64_t until_ps, uint64_t max_events);

/* Ask the running kq_run to return after the current handler. */
void kq_stop(kq_kernel *k);

/* For a handler that runs several model steps itself, each of which
 * would otherwise be an event of its own (the NoC steps every router woken
 * for a cycle from one event): kq_steps_allowed is how many more steps it
 * may run now -- 0 once kq_stop was called, else what the running kq_run's
 * event limit leaves (UINT64_MAX without one) -- and kq_count_steps counts
 * n steps as fired events. So event counts, limits and stops come out as
 * with one event per step; the handler's own event counts as its first. */
uint64_t kq_steps_allowed(const kq_kernel *k);
void kq_count_steps(kq_kernel *k, uint64_t n);
uint64_t kq_now(const kq_kernel *k);
uint64_t kq_events_processed(const kq_kernel *k);
size_t kq_pending(const kq_kernel *k);      /* scheduled, not cancelled */
size_t kq_peak_pending(const kq_kernel *k);
size_t kq_memory_bytes(const kq_kernel *k); /* queue + pools, allocated */

const char *kq_strerror(kq_err e);

/* For tests only: make the next insertion sequence number `seq` (below
 * 2^28), so the wrap-around renumbering can be exercised quickly. */
void kq_test_set_sequence(kq_kernel *k, uint32_t seq);

#endif
