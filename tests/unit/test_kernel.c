/* test_kernel.c -- the event kernel: order, ties, cancellation, limits,
 * errors, pool growth, and a million random events. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "base/rng.h"

/* A log of fired events: each handler appends its payload id and the time
 * it saw. */
typedef struct {
    uint32_t ids[4096];
    uint64_t times[4096];
    size_t n;
} fire_log;

static void log_fire(kq_kernel *k, void *ctx, const void *payload)
{
    fire_log *l = ctx;
    uint32_t id;
    memcpy(&id, payload, sizeof id);
    ck_assert_uint_lt(l->n, 4096);
    l->ids[l->n] = id;
    l->times[l->n] = kq_now(k);
    l->n++;
}

static kq_handle at(kq_kernel *k, fire_log *l, uint64_t t, unsigned prio,
                    uint32_t id)
{
    kq_handle h = 0;
    ck_assert_int_eq(kq_schedule_at(k, t, prio, log_fire, l, &id, sizeof id, &h),
                     KQ_OK);
    ck_assert(h != 0);
    return h;
}

START_TEST(test_order_by_time_then_priority_then_insertion)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    at(k, &l, 30, 0, 1);
    at(k, &l, 10, 5, 2);
    at(k, &l, 10, 1, 3);
    at(k, &l, 20, 0, 4);
    at(k, &l, 10, 1, 5); /* same time and priority as 3: after it */
    at(k, &l, 10, 0, 6);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 0), KQ_RUN_EMPTY);
    uint32_t want[] = {6, 3, 5, 2, 4, 1};
    uint64_t want_t[] = {10, 10, 10, 10, 20, 30};
    ck_assert_uint_eq(l.n, 6);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_uint_eq(l.ids[i], want[i]);
        ck_assert_uint_eq(l.times[i], want_t[i]);
    }
    ck_assert_uint_eq(kq_events_processed(k), 6);
    ck_assert_uint_eq(kq_now(k), 30);
    kq_free(k);
}
END_TEST

START_TEST(test_ties_keep_insertion_order_across_payload_sizes)
{
    /* Small and large payloads live in different pools; ties must still
     * follow insertion order. */
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    for (uint32_t i = 0; i < 100; i++) {
        uint8_t big[KQ_PAYLOAD_MAX] = {0};
        memcpy(big, &i, sizeof i);
        size_t len = (i % 3 == 0) ? sizeof big : sizeof i;
        ck_assert_int_eq(kq_schedule_at(k, 7, 2, log_fire, &l, big, len, NULL),
                         KQ_OK);
    }
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.n, 100);
    for (uint32_t i = 0; i < 100; i++)
        ck_assert_uint_eq(l.ids[i], i);
    kq_free(k);
}
END_TEST

static void copy_payload(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    memcpy(ctx, payload, KQ_PAYLOAD_MAX);
}

START_TEST(test_large_payload_is_copied_intact)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    uint8_t p[KQ_PAYLOAD_MAX];
    for (size_t i = 0; i < sizeof p; i++)
        p[i] = (uint8_t)(i * 7 + 3);
    static uint8_t seen[KQ_PAYLOAD_MAX];
    memset(seen, 0, sizeof seen);
    ck_assert_int_eq(kq_schedule_in(k, 5, 0, copy_payload, seen, p, sizeof p, NULL),
                     KQ_OK);
    memset(p, 0, sizeof p); /* the kernel must hold its own copy */
    kq_run(k, KQ_TIME_MAX, 0);
    for (size_t i = 0; i < sizeof p; i++)
        ck_assert_uint_eq(seen[i], (uint8_t)(i * 7 + 3));
    kq_free(k);
}
END_TEST

START_TEST(test_cancel_head_event)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    kq_handle h = at(k, &l, 1, 0, 1);
    at(k, &l, 2, 0, 2);
    at(k, &l, 3, 0, 3);
    ck_assert_int_eq(kq_cancel(k, h), KQ_OK);
    ck_assert_uint_eq(kq_pending(k), 2);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(l.ids[0], 2);
    ck_assert_uint_eq(l.ids[1], 3);
    ck_assert_uint_eq(kq_events_processed(k), 2);
    kq_free(k);
}
END_TEST

START_TEST(test_cancel_middle_event)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    kq_handle hs[10];
    for (uint32_t i = 0; i < 10; i++)
        hs[i] = at(k, &l, 100 - i, 0, i);
    ck_assert_int_eq(kq_cancel(k, hs[4]), KQ_OK);
    ck_assert_int_eq(kq_cancel(k, hs[4]), KQ_ENOTFOUND); /* twice */
    ck_assert_uint_eq(kq_pending(k), 9);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.n, 9);
    for (size_t i = 0; i < l.n; i++)
        ck_assert_uint_ne(l.ids[i], 4);
    ck_assert_uint_eq(kq_pending(k), 0);
    kq_free(k);
}
END_TEST

START_TEST(test_cancel_already_fired_handle)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    kq_handle h = at(k, &l, 1, 0, 1);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(kq_cancel(k, h), KQ_ENOTFOUND);
    /* The slot is reused by the next event: the old handle must not
     * cancel the new one. */
    at(k, &l, 2, 0, 2);
    ck_assert_int_eq(kq_cancel(k, h), KQ_ENOTFOUND);
    ck_assert_int_eq(kq_cancel(k, 0), KQ_ENOTFOUND);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.n, 2);
    kq_free(k);
}
END_TEST

static void cancel_other(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    ck_assert_int_eq(kq_cancel(k, *(kq_handle *)ctx), KQ_OK);
}

START_TEST(test_handler_cancels_a_later_event)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    kq_handle victim = at(k, &l, 50, 0, 9);
    kq_schedule_at(k, 10, 0, cancel_other, &victim, NULL, 0, NULL);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_uint_eq(kq_events_processed(k), 1);
    kq_free(k);
}
END_TEST

START_TEST(test_time_limit_stops_and_advances_clock)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    at(k, &l, 10, 0, 1);
    at(k, &l, 20, 0, 2);
    at(k, &l, 30, 0, 3);
    ck_assert_int_eq(kq_run(k, 20, 0), KQ_RUN_TIME); /* inclusive limit */
    ck_assert_uint_eq(l.n, 2);
    ck_assert_uint_eq(kq_now(k), 20);
    ck_assert_int_eq(kq_run(k, 25, 0), KQ_RUN_TIME);
    ck_assert_uint_eq(kq_now(k), 25);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 0), KQ_RUN_EMPTY);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_uint_eq(kq_now(k), 30);
    kq_free(k);
}
END_TEST

START_TEST(test_event_limit)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    for (uint32_t i = 0; i < 10; i++)
        at(k, &l, i, 0, i);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 4), KQ_RUN_EVENTS);
    ck_assert_uint_eq(l.n, 4);
    ck_assert_uint_eq(kq_now(k), 3);
    ck_assert_uint_eq(kq_pending(k), 6);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 4), KQ_RUN_EVENTS);
    ck_assert_uint_eq(l.n, 8);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 4), KQ_RUN_EMPTY);
    ck_assert_uint_eq(l.n, 10);
    ck_assert_uint_eq(kq_events_processed(k), 10);
    kq_free(k);
}
END_TEST

static void stopper(kq_kernel *k, void *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    kq_stop(k);
}

START_TEST(test_handler_stop)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    at(k, &l, 1, 0, 1);
    kq_schedule_at(k, 2, 0, stopper, NULL, NULL, 0, NULL);
    at(k, &l, 3, 0, 3);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 0), KQ_RUN_STOPPED);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_uint_eq(kq_now(k), 2);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 0), KQ_RUN_EMPTY);
    ck_assert_uint_eq(l.n, 2);
    kq_free(k);
}
END_TEST

/* A handler that runs up to 5 steps of its own, as the NoC runs a cycle's
 * routers: each step after the first is counted as an event, and it
 * stops between steps when kq_steps_allowed says so. */
typedef struct {
    uint32_t done, allowed_seen[8];
    int stop_after; /* call kq_stop after this step, -1: never */
} batch_state;

static void batch(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    batch_state *b = ctx;
    for (uint32_t i = 0; b->done < 5; i++) {
        if (i > 0) {
            uint64_t left = kq_steps_allowed(k);
            b->allowed_seen[b->done] = left > 99 ? 99 : (uint32_t)left;
            if (!left) { /* the rest later, as their own events would */
                kq_schedule_at(k, kq_now(k), 0, batch, b, NULL, 0, NULL);
                return;
            }
            kq_count_steps(k, 1);
        }
        b->done++;
        if ((int)b->done == b->stop_after)
            kq_stop(k);
    }
}

START_TEST(test_steps_count_as_events_and_obey_limits)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    batch_state b = {.stop_after = -1};
    kq_schedule_at(k, 5, 0, batch, &b, NULL, 0, NULL);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 0), KQ_RUN_EMPTY);
    ck_assert_uint_eq(b.done, 5);
    ck_assert_uint_eq(kq_events_processed(k), 5); /* 1 event + 4 steps */
    ck_assert_uint_eq(b.allowed_seen[1], 99);     /* no limit */

    /* A limit of 3: the handler's own event and 2 steps, then the run
     * returns as after 3 events; the rest waits for the next call. */
    batch_state c = {.stop_after = -1};
    kq_schedule_at(k, 6, 0, batch, &c, NULL, 0, NULL);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 3), KQ_RUN_EVENTS);
    ck_assert_uint_eq(c.done, 3);
    ck_assert_uint_eq(c.allowed_seen[1], 2);
    ck_assert_uint_eq(c.allowed_seen[2], 1);
    ck_assert_uint_eq(kq_events_processed(k), 8);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 0), KQ_RUN_EMPTY);
    ck_assert_uint_eq(c.done, 5);
    ck_assert_uint_eq(kq_events_processed(k), 10);

    /* kq_stop in a step: no further step is allowed. */
    batch_state d = {.stop_after = 2};
    kq_schedule_at(k, 7, 0, batch, &d, NULL, 0, NULL);
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 0), KQ_RUN_STOPPED);
    ck_assert_uint_eq(d.done, 2);
    ck_assert_uint_eq(kq_events_processed(k), 12);
    kq_free(k);
}
END_TEST

START_TEST(test_past_time_and_bad_arguments_are_errors)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    at(k, &l, 100, 0, 1);
    kq_run(k, KQ_TIME_MAX, 0);
    uint32_t id = 2;
    kq_handle h = 12345;
    ck_assert_int_eq(kq_schedule_at(k, 99, 0, log_fire, &l, &id, sizeof id, &h),
                     KQ_EPAST);
    ck_assert_uint_eq(h, 12345); /* untouched on error */
    ck_assert_int_eq(kq_schedule_at(k, 100, 0, log_fire, &l, &id, sizeof id, NULL),
                     KQ_OK); /* "now" is not the past */
    ck_assert_int_eq(kq_schedule_at(k, 200, KQ_PRIO_MAX + 1, log_fire, &l, &id,
                                    sizeof id, NULL), KQ_EPRIO);
    uint8_t big[KQ_PAYLOAD_MAX + 1] = {0};
    ck_assert_int_eq(kq_schedule_at(k, 200, 0, log_fire, &l, big, sizeof big, NULL),
                     KQ_EPAYLOAD);
    ck_assert_int_eq(kq_schedule_in(k, UINT64_MAX, 0, log_fire, &l, &id,
                                    sizeof id, NULL), KQ_EOVERFLOW);
    ck_assert_uint_eq(kq_pending(k), 1);
    ck_assert_str_eq(kq_strerror(KQ_EPAST),
                     "event scheduled before the current simulated time");
    kq_free(k);
}
END_TEST

/* ---- a million random events ---------------------------------------- */

typedef struct {
    uint64_t last_t;
    uint32_t last_prio, last_id;
    uint64_t n;
    int bad;
} sorted_check;

typedef struct {
    uint32_t id;
    uint32_t prio;
} rnd_payload;

static void check_sorted(kq_kernel *k, void *ctx, const void *payload)
{
    sorted_check *c = ctx;
    rnd_payload p;
    memcpy(&p, payload, sizeof p);
    uint64_t t = kq_now(k);
    if (c->n > 0) {
        /* (time, priority, insertion id) must never decrease. */
        if (t < c->last_t)
            c->bad++;
        else if (t == c->last_t && p.prio < c->last_prio)
            c->bad++;
        else if (t == c->last_t && p.prio == c->last_prio && p.id < c->last_id)
            c->bad++;
    }
    c->last_t = t;
    c->last_prio = p.prio;
    c->last_id = p.id;
    c->n++;
}

START_TEST(test_million_random_events_sorted_and_stable)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    sorted_check c = {0};
    rng_stream r;
    rng_seed(&r, 42, 0);
    const uint32_t n = 1000000;
    for (uint32_t i = 0; i < n; i++) {
        /* Few distinct times so ties are common. */
        rnd_payload p = {i, (uint32_t)rng_below(&r, 4)};
        ck_assert_int_eq(kq_schedule_at(k, rng_below(&r, 5000), p.prio,
                                        check_sorted, &c, &p, sizeof p, NULL),
                         KQ_OK);
    }
    ck_assert_uint_eq(kq_pending(k), n);
    ck_assert_uint_eq(kq_peak_pending(k), n);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(c.n, n);
    ck_assert_int_eq(c.bad, 0);
    kq_free(k);
}
END_TEST

static void count_fire(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    (void)payload;
    ++*(uint64_t *)ctx;
}

START_TEST(test_pool_grows_geometrically_and_memory_is_bounded)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    size_t m0 = kq_memory_bytes(k);
    uint64_t fired = 0;
    for (uint32_t i = 0; i < 100000; i++)
        ck_assert_int_eq(kq_schedule_at(k, i, 0, count_fire, &fired, NULL, 0, NULL),
                         KQ_OK);
    size_t m1 = kq_memory_bytes(k);
    ck_assert_uint_gt(m1, m0);
    /* 16-byte heap entry + 32-byte record, at most doubled by growth. */
    ck_assert_uint_le(m1, 2 * 48 * 100000 + m0);
    /* Draining and refilling reuses the pools: no further growth but for
     * the calendar's bucket heads (4 bytes per 2 events at most). */
    kq_run(k, KQ_TIME_MAX, 99999);
    ck_assert_uint_eq(fired, 99999);
    for (uint32_t i = 0; i < 99999; i++)
        kq_schedule_in(k, i, 0, count_fire, &fired, NULL, 0, NULL);
    ck_assert_uint_le(kq_memory_bytes(k), m1 + 4 * (100000 / 2 + 1));
    ck_assert_uint_eq(kq_pending(k), 100000);
    kq_free(k);
}
END_TEST

START_TEST(test_sequence_wraparound_keeps_order)
{
    kq_kernel *k = kq_new_with((kq_queue_kind)_i);
    fire_log l = {0};
    at(k, &l, 10, 1, 0);
    at(k, &l, 10, 1, 1);
    kq_test_set_sequence(k, (1u << 28) - 2);
    at(k, &l, 10, 1, 2);
    at(k, &l, 10, 1, 3); /* last number before the wrap */
    at(k, &l, 10, 1, 4); /* triggers renumbering */
    at(k, &l, 5, 1, 5);
    at(k, &l, 10, 0, 6);
    kq_run(k, KQ_TIME_MAX, 0);
    uint32_t want[] = {5, 6, 0, 1, 2, 3, 4};
    ck_assert_uint_eq(l.n, 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_uint_eq(l.ids[i], want[i]);
    kq_free(k);
}
END_TEST

/* A random mix of schedules (wide and narrow time spreads, ties, far
 * outliers), cancellations and partial runs must fire the same sequence
 * on both queues. */
typedef struct {
    uint64_t hash, n;
} fire_hash;

static void hash_fire(kq_kernel *k, void *ctx, const void *payload)
{
    fire_hash *h = ctx;
    uint32_t id;
    memcpy(&id, payload, sizeof id);
    h->hash = (h->hash ^ id ^ (kq_now(k) << 20)) * 0x100000001b3ull;
    h->n++;
}

static fire_hash run_mix(kq_queue_kind kind, uint64_t seed)
{
    kq_kernel *k = kq_new_with(kind);
    fire_hash h = {14695981039346656037ull, 0};
    rng_stream r;
    rng_seed(&r, seed, 7);
    kq_handle hs[512] = {0};
    uint32_t id = 0;
    for (int round = 0; round < 200; round++) {
        int burst = (int)rng_below(&r, 400);
        for (int i = 0; i < burst; i++) {
            uint64_t dt;
            switch (rng_below(&r, 4)) {
            case 0: dt = rng_below(&r, 3); break;               /* ties */
            case 1: dt = rng_below(&r, 1000000); break;         /* near */
            case 2: dt = rng_below(&r, 1ull << 40); break;      /* far */
            default: dt = (uint64_t)rng_exponential(&r, 5e4); break;
            }
            if (rng_below(&r, 1000) == 0)
                dt = UINT64_MAX - kq_now(k); /* the end of time */
            id++;
            kq_handle hd;
            ck_assert_int_eq(kq_schedule_in(k, dt, (unsigned)rng_below(&r, 3),
                                            hash_fire, &h, &id, sizeof id, &hd),
                             KQ_OK);
            hs[id % 512] = hd;
        }
        for (int i = 0; i < 20; i++)
            kq_cancel(k, hs[rng_below(&r, 512)]);
        kq_run(k, kq_now(k) + rng_below(&r, 2000000), 0);
    }
    ck_assert_int_eq(kq_run(k, KQ_TIME_MAX, 0), KQ_RUN_EMPTY);
    ck_assert_uint_eq(kq_pending(k), 0);
    kq_free(k);
    return h;
}

START_TEST(test_calendar_and_heap_fire_identical_sequences)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        fire_hash a = run_mix(KQ_QUEUE_CALENDAR, seed);
        fire_hash b = run_mix(KQ_QUEUE_HEAP, seed);
        ck_assert_uint_gt(a.n, 10000);
        ck_assert_uint_eq(a.n, b.n);
        ck_assert_uint_eq(a.hash, b.hash);
    }
}
END_TEST

static Suite *kernel_suite(void)
{
    Suite *s = suite_create("kernel");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_order_by_time_then_priority_then_insertion, 0, 2);
    tcase_add_loop_test(tc, test_ties_keep_insertion_order_across_payload_sizes, 0, 2);
    tcase_add_loop_test(tc, test_large_payload_is_copied_intact, 0, 2);
    tcase_add_loop_test(tc, test_cancel_head_event, 0, 2);
    tcase_add_loop_test(tc, test_cancel_middle_event, 0, 2);
    tcase_add_loop_test(tc, test_cancel_already_fired_handle, 0, 2);
    tcase_add_loop_test(tc, test_handler_cancels_a_later_event, 0, 2);
    tcase_add_loop_test(tc, test_time_limit_stops_and_advances_clock, 0, 2);
    tcase_add_loop_test(tc, test_event_limit, 0, 2);
    tcase_add_loop_test(tc, test_handler_stop, 0, 2);
    tcase_add_loop_test(tc, test_steps_count_as_events_and_obey_limits, 0, 2);
    tcase_add_loop_test(tc, test_past_time_and_bad_arguments_are_errors, 0, 2);
    tcase_add_loop_test(tc, test_million_random_events_sorted_and_stable, 0, 2);
    tcase_add_loop_test(tc, test_pool_grows_geometrically_and_memory_is_bounded, 0, 2);
    tcase_add_loop_test(tc, test_sequence_wraparound_keeps_order, 0, 2);
    tcase_add_test(tc, test_calendar_and_heap_fire_identical_sequences);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kernel_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
