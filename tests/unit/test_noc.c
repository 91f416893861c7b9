/* test_noc.c -- the NoC model: zero-load timing, statistics, observer,
 * bad input, deadlock detection, determinism, event-driven = stepped.
 * Multicast and routing tables: test_noc_multicast.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "noc/noc.h"
#include "noc/noc_stats.h"
#include "noc/noc_traffic.h"

#include "noc_test_util.h"

static uint64_t one_packet(const noc_config *c, uint32_t src, uint32_t dst,
                           uint32_t flits)
{
    kq_kernel *k = kq_new();
    base_error e;
    noc *n = noc_new(k, c, &e);
    ck_assert_ptr_nonnull(n);
    static sink_log s;
    memset(&s, 0, sizeof s);
    noc_set_sink(n, log_sink, &s);
    noc_packet_req q = {src, 1, &dst, 0, flits, 7};
    ck_assert_int_eq(noc_send(n, &q, NULL, &e), 0);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(s.d[0].dst, dst);
    ck_assert_int_eq(s.d[0].tag, 7);
    ck_assert_int_eq(s.d[0].last, 1);
    uint64_t lat = (s.d[0].delivered_ps - s.d[0].created_ps) / noc_cycle_ps(n);
    ck_assert_uint_eq(noc_flits_in_flight(n), 0);
    noc_free(n);
    kq_free(k);
    return lat;
}

START_TEST(test_zero_load_latency_per_hop_default_router)
{
    noc_config c;
    noc_config_default(&c);
    c.width = 8;
    c.height = 8;
    /* 7, 12, ... for 1 flit; +3 for 4 flits; every hop count on 8x8. */
    for (uint32_t h = 0; h <= 14; h++) {
        uint32_t dx = h < 7 ? h : 7, dy = h - dx;
        for (uint32_t L = 1; L <= 4; L += 3) {
            uint64_t lat = one_packet(&c, term(&c, 0, 0), term(&c, dx, dy), L);
            ck_assert_uint_eq(lat, t0(&c, h, L));
        }
    }
    ck_assert_uint_eq(t0(&c, 0, 1), 7);
    ck_assert_uint_eq(t0(&c, 6, 1), 37);
}
END_TEST

START_TEST(test_zero_load_latency_other_pipeline)
{
    noc_config c;
    noc_config_default(&c);
    c.width = 5;
    c.height = 3;
    c.router_stage_cycles[NOC_STAGE_ROUTE] = 2;
    c.router_stage_cycles[NOC_STAGE_VC_ALLOC] = 0;
    c.router_stage_cycles[NOC_STAGE_SW_ALLOC] = 1;
    c.router_stage_cycles[NOC_STAGE_XBAR] = 2;
    c.link_latency_cycles = 3;
    c.terminals_per_router = 2;
    for (uint32_t L = 1; L <= 5; L++) {
        uint64_t lat = one_packet(&c, term(&c, 4, 2) + 1, term(&c, 0, 0), L);
        ck_assert_uint_eq(lat, t0(&c, 6, L));
    }
    /* Two terminals of one router talk through its switch only. */
    ck_assert_uint_eq(one_packet(&c, 0, 1, 2), t0(&c, 0, 2));
}
END_TEST

/* Stages above one cycle: BookSim's 6-cycle router (2,1,1,2), a 3-cycle
 * crossbar, slow routing and a 2-cycle switch allocation, on every hop
 * count of a 6x1 line and packets of 1..5 flits. The figures a wrong
 * batch rule would miss: with 2,1,1,2 a 4-flit packet over 3 hops takes
 * 1 + 1 + 4 x 6 + 3 + 1 + 3 + 1 = 34 cycles (the first body flit waits
 * once for the crossbar); with 1,1,2,1 a 5-flit packet 0 hops 16. */
START_TEST(test_zero_load_latency_multi_cycle_stages)
{
    static const uint32_t st[][4] = {{2, 1, 1, 2}, {1, 1, 1, 3}, {3, 1, 1, 3},
                                     {2, 2, 1, 1}, {1, 1, 2, 1}, {2, 1, 3, 1}};
    noc_config c;
    noc_config_default(&c);
    c.width = 6;
    c.height = 1;
    for (size_t k = 0; k < sizeof st / sizeof st[0]; k++) {
        memcpy(c.router_stage_cycles, st[k], sizeof st[k]);
        for (uint32_t h = 0; h <= 5; h++)
            for (uint32_t L = 1; L <= 5; L++)
                ck_assert_msg(one_packet(&c, term(&c, 0, 0), term(&c, h, 0), L) == t0(&c, h, L),
                              "stages %u,%u,%u,%u, %u hops, %u flits: %llu, T0 %llu", st[k][0],
                              st[k][1], st[k][2], st[k][3], h, L,
                              (unsigned long long)one_packet(&c, term(&c, 0, 0), term(&c, h, 0), L),
                              (unsigned long long)t0(&c, h, L));
    }
    memcpy(c.router_stage_cycles, st[0], sizeof st[0]);
    ck_assert_uint_eq(t0(&c, 3, 4), 34);
    ck_assert_uint_eq(one_packet(&c, term(&c, 0, 0), term(&c, 3, 0), 4), 34);
    memcpy(c.router_stage_cycles, st[4], sizeof st[4]);
    ck_assert_uint_eq(one_packet(&c, term(&c, 0, 0), term(&c, 0, 0), 5), 16);
}
END_TEST

START_TEST(test_clock_converts_to_ps)
{
    noc_config c;
    noc_config_default(&c);
    c.clock_ghz = 2.0;
    kq_kernel *k = kq_new();
    noc *n = noc_new(k, &c, NULL);
    ck_assert_uint_eq(noc_cycle_ps(n), 500);
    noc_free(n);
    kq_free(k);
}
END_TEST

START_TEST(test_payload_bits_make_flits)
{
    noc_config c;
    noc_config_default(&c);
    c.flit_width_bits = 32;
    kq_kernel *k = kq_new();
    noc *n = noc_new(k, &c, NULL);
    static sink_log s;
    memset(&s, 0, sizeof s);
    noc_set_sink(n, log_sink, &s);
    uint32_t d = 3;
    noc_packet_req q = {0, 1, &d, 65, 0, 0}; /* 65 bits -> 3 flits */
    ck_assert_int_eq(noc_send(n, &q, NULL, NULL), 0);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(s.d[0].flits, 3);
    noc_free(n);
    kq_free(k);
}
END_TEST

START_TEST(test_bad_config_and_requests_rejected)
{
    noc_config c;
    base_error e;
    noc_config_default(&c);
    const char *param = "";
    ck_assert_int_eq(noc_config_check(&c, &param, &e), 0);
    ck_assert_ptr_null(param);
    c.width = 0;
    ck_assert_int_eq(noc_config_check(&c, &param, &e), -1);
    ck_assert_str_eq(param, "mesh");
    ck_assert_ptr_nonnull(strstr(e.msg, "mesh"));
    /* Each check names its parameter, as the chip file and evsim noc do. */
    noc_config_default(&c);
    c.vc_depth_flits = 0;
    ck_assert_int_eq(noc_config_check(&c, &param, &e), -1);
    ck_assert_str_eq(param, "vc_depth_flits");
    ck_assert_str_eq(e.msg, "vc_depth_flits: expected 1..4096, found 0");
    noc_config_default(&c);
    c.virtual_channels = 0;
    ck_assert_int_eq(noc_config_check(&c, &param, &e), -1);
    ck_assert_str_eq(param, "virtual_channels");
    noc_config_default(&c);
    c.link_latency_cycles = 0;
    ck_assert_int_eq(noc_config_check(&c, &param, &e), -1);
    ck_assert_str_eq(param, "link_latency_cycles");
    noc_config_default(&c);
    c.router_stage_cycles[NOC_STAGE_SW_ALLOC] = 0;
    ck_assert_int_eq(noc_config_check(&c, &param, &e), -1);
    ck_assert_str_eq(param, "router_stage_cycles[2]");
    noc_config_default(&c);
    c.credit_delay_cycles = 2000000;
    ck_assert_int_eq(noc_config_check(&c, &param, &e), -1);
    ck_assert_str_eq(param, "credit_delay_cycles");
    noc_config_default(&c);
    c.routing = (noc_routing)7;
    ck_assert_int_eq(noc_config_check(&c, &param, &e), -1);
    ck_assert_str_eq(param, "routing");
    /* The multicast limit is the model's: one VC buffer. */
    noc_config_default(&c);
    c.vc_depth_flits = 5;
    ck_assert_uint_eq(noc_max_multicast_flits(&c), 5);
    noc_routing r;
    ck_assert_int_eq(noc_routing_parse("yx", &r), 0);
    ck_assert_int_eq(r, NOC_ROUTE_YX);
    ck_assert_str_eq(noc_routing_name(NOC_ROUTE_XYYX), "xyyx");
    ck_assert_int_eq(noc_routing_parse("zigzag", &r), -1);
    noc_config_default(&c);
    c.clock_ghz = 0.0;
    kq_kernel *k0 = kq_new();
    ck_assert_ptr_null(noc_new(k0, &c, &e));
    ck_assert_ptr_null(noc_new(NULL, &c, &e));
    kq_free(k0);

    noc_config_default(&c);
    kq_kernel *k = kq_new();
    noc *n = noc_new(k, &c, &e);
    uint32_t d[2] = {16, 3};
    noc_packet_req q = {0, 1, d, 0, 1, 0};
    ck_assert_int_eq(noc_send(n, &q, NULL, &e), -1); /* outside 4x4 */
    ck_assert_ptr_nonnull(strstr(e.msg, "16"));
    q.src = 99;
    q.dst = &d[1];
    ck_assert_int_eq(noc_send(n, &q, NULL, &e), -1);
    q.src = 0;
    q.flits = 0;
    ck_assert_int_eq(noc_send(n, &q, NULL, &e), -1); /* no size */
    uint32_t dup[2] = {3, 3};
    noc_packet_req m = {0, 2, dup, 0, 1, 0};
    ck_assert_int_eq(noc_send(n, &m, NULL, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "twice"));
    noc_packet_req z = {0, 0, dup, 0, 1, 0};
    ck_assert_int_eq(noc_send(n, &z, NULL, &e), -1);
    ck_assert_uint_eq(noc_flits_in_flight(n), 0);
    noc_free(n);
    kq_free(k);
}
END_TEST

START_TEST(test_traffic_rejects_bad_rate_and_pattern)
{
    noc_traffic_config t;
    base_error e;
    noc_traffic_default(&t);
    t.rate = 0.0;
    ck_assert_int_eq(noc_traffic_check(&t, &e), -1);
    t.rate = 1.5;
    ck_assert_int_eq(noc_traffic_check(&t, &e), -1);
    t.rate = 0.1;
    t.packet_flits = 0;
    ck_assert_int_eq(noc_traffic_check(&t, &e), -1);
    t.packet_flits = 1;
    t.pattern = NOC_TRAFFIC_TRANSPOSE;
    t.net.width = 4;
    t.net.height = 2;
    ck_assert_int_eq(noc_traffic_check(&t, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "square"));
}
END_TEST

START_TEST(test_deadlock_detected_with_routers)
{
    /* Mixing XY and YX routes over shared single-flit VCs closes cycles of
     * channel dependencies: the run must stop and name the routers. */
    noc_traffic_config t;
    noc_traffic_default(&t);
    t.net.routing = NOC_ROUTE_XYYX;
    t.net.virtual_channels = 1;
    t.net.vc_depth_flits = 1;
    t.net.deadlock_cycles = 200;
    t.packet_flits = 4;
    t.rate = 0.9;
    t.seed = 3;
    noc_traffic_result r;
    base_error e;
    ck_assert_int_eq(noc_traffic_run(&t, &r, &e), 0);
    ck_assert_int_eq(r.deadlock, 1);
    ck_assert_int_eq(r.stable, 0);
    ck_assert_uint_gt(r.n_deadlock_routers, 1);
    for (uint32_t i = 0; i < r.n_deadlock_routers && i < 64; i++)
        ck_assert_uint_lt(r.deadlock_routers[i], 16);

    /* XY routing on the same starved buffers never deadlocks. */
    t.net.routing = NOC_ROUTE_XY;
    t.rate = 0.2;
    ck_assert_int_eq(noc_traffic_run(&t, &r, &e), 0);
    ck_assert_int_eq(r.deadlock, 0);
}
END_TEST

/* A burst from every terminal of a 4x4 mesh (many routers run in the
 * same cycles, from one kernel event per cycle: models/noc/noc_step.c) run
 * once without a limit and once 7 events at a time: the same deliveries
 * at the same times in the same order and the same event count, and no
 * call fires more than its 7 (a cycle's routers count one event each and
 * stop at the limit, as their own events did). */
static uint64_t burst_run(sink_log *s, uint64_t chunk)
{
    noc_config c;
    noc_config_default(&c);
    kq_kernel *k = kq_new();
    noc *n = noc_new(k, &c, NULL);
    memset(s, 0, sizeof *s);
    noc_set_sink(n, log_sink, s);
    for (uint32_t src = 0; src < 16; src++)
        for (uint32_t j = 0; j < 3; j++) {
            uint32_t d = (src * 7 + j * 5 + 3) % 16;
            noc_packet_req q = {src, 1, &d, 0, 1 + j, src * 3 + j};
            ck_assert_int_eq(noc_send(n, &q, NULL, NULL), 0);
        }
    kq_run_result r;
    do {
        uint64_t before = kq_events_processed(k);
        r = kq_run(k, KQ_TIME_MAX, chunk);
        ck_assert(chunk == 0 || kq_events_processed(k) - before <= chunk);
        ck_assert(r == KQ_RUN_EMPTY || r == KQ_RUN_EVENTS);
    } while (r == KQ_RUN_EVENTS);
    uint64_t events = kq_events_processed(k);
    noc_free(n);
    kq_free(k);
    return events;
}

START_TEST(test_event_limit_splits_a_cycle_exactly)
{
    static sink_log a, b;
    uint64_t ea = burst_run(&a, 0), eb = burst_run(&b, 7);
    ck_assert_int_eq(a.n, 48);
    ck_assert_int_eq(b.n, 48);
    ck_assert_uint_eq(ea, eb);
    for (int i = 0; i < a.n; i++) {
        ck_assert_uint_eq(a.d[i].tag, b.d[i].tag);
        ck_assert_uint_eq(a.d[i].delivered_ps, b.d[i].delivered_ps);
    }
    /* More events than deliveries: routers ran, one event each. */
    ck_assert_uint_gt(ea, 48 * 4);
}
END_TEST

START_TEST(test_same_seed_same_result)
{
    noc_traffic_config t;
    noc_traffic_default(&t);
    t.net.width = 5;
    t.net.height = 3;
    t.rate = 0.3;
    t.packet_flits = 3;
    t.measure_cycles = 3000;
    noc_traffic_result a, b;
    ck_assert_int_eq(noc_traffic_run(&t, &a, NULL), 0);
    ck_assert_int_eq(noc_traffic_run(&t, &b, NULL), 0);
    ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
    t.seed = 2;
    ck_assert_int_eq(noc_traffic_run(&t, &b, NULL), 0);
    ck_assert(a.mean_latency_cycles != b.mean_latency_cycles);
}
END_TEST

START_TEST(test_stats_links_and_routers)
{
    noc_config c;
    noc_config_default(&c);
    kq_kernel *k = kq_new();
    noc *n = noc_new(k, &c, NULL);
    /* 4x4: 2*2*4*3 = 48 mesh links, 16 injection + 16 ejection. */
    ck_assert_uint_eq(noc_link_count(n), 80);
    noc_link_stat ls;
    ck_assert_int_eq(noc_link_describe(n, 80, &ls), -1);
    noc_router_stat rs;
    ck_assert_int_eq(noc_router_stats(n, 16, &rs), -1);
    ck_assert_int_eq(noc_router_stats(n, 5, &rs), 0);
    ck_assert_uint_eq(rs.x, 1);
    ck_assert_uint_eq(rs.y, 1);
    /* 20 packets into one ejection port queue up: peaks are recorded. */
    static sink_log s;
    memset(&s, 0, sizeof s);
    noc_set_sink(n, log_sink, &s);
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t d = 5;
        noc_packet_req q = {i, 1, &d, 0, 4, 0};
        ck_assert_int_eq(noc_send(n, &q, NULL, NULL), 0);
    }
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(s.n, 16);
    ck_assert_int_eq(noc_router_stats(n, 5, &rs), 0);
    ck_assert_uint_gt(rs.buffer_peak_flits, 4);
    ck_assert_uint_eq(rs.flits_switched, 64);
    noc_totals t;
    noc_get_totals(n, &t);
    ck_assert_uint_eq(t.flits_ejected, 64);
    ck_assert_uint_eq(t.flits_injected, 64);
    ck_assert_uint_gt(t.latency_max_cycles, t.latency_min_cycles);
    noc_stats_reset(n);
    noc_get_totals(n, &t);
    ck_assert_uint_eq(t.flits_ejected, 0);
    noc_free(n);
    kq_free(k);
}
END_TEST

typedef struct {
    const noc *n;
    uint64_t created, delivered, finished, hops, occ_sum;
} trace_log;

static void t_attached(void *ctx, const noc *n) { ((trace_log *)ctx)->n = n; }
static void t_created(void *ctx, const noc_packet_info *p)
{
    (void)p;
    ((trace_log *)ctx)->created++;
}
static void t_hop(void *ctx, const noc_flit_hop *h)
{
    trace_log *t = ctx;
    noc_link_stat ls;
    ck_assert_int_eq(noc_link_describe(t->n, h->link, &ls), 0);
    ck_assert_uint_eq(ls.from_router, h->from_router);
    ck_assert_uint_eq(ls.to_router, h->to_router);
    ck_assert_uint_gt(h->arrive_ps, h->depart_ps);
    t->hops++;
}
static void t_delivered(void *ctx, uint64_t id, uint32_t d, uint64_t t,
                        uint64_t l)
{
    (void)id;
    (void)d;
    ck_assert_uint_ge(t, l);
    ((trace_log *)ctx)->delivered++;
}
static void t_finished(void *ctx, uint64_t id, uint64_t t, uint64_t l)
{
    (void)id;
    (void)t;
    (void)l;
    ((trace_log *)ctx)->finished++;
}

START_TEST(test_observer_on_traffic_run)
{
    static trace_log tl;
    memset(&tl, 0, sizeof tl);
    noc_observer ob = {0};
    ob.ctx = &tl;
    ob.attached = t_attached;
    ob.packet_created = t_created;
    ob.flit_hop = t_hop;
    ob.packet_delivered = t_delivered;
    ob.packet_finished = t_finished;
    noc_traffic_config t;
    noc_traffic_default(&t);
    t.net.width = 3;
    t.net.height = 2;
    t.measure_cycles = 2000;
    t.rate = 0.2;
    t.packet_flits = 2;
    t.observer = &ob;
    noc_traffic_result r;
    ck_assert_int_eq(noc_traffic_run(&t, &r, NULL), 0);
    ck_assert(r.stable);
    ck_assert_ptr_nonnull(tl.n);
    ck_assert_uint_gt(tl.created, r.measured_packets);
    ck_assert_uint_eq(tl.delivered, tl.finished); /* unicast */
    ck_assert_uint_ge(tl.created, tl.delivered);
    /* every switched flit plus every injection is one hop report */
    ck_assert_uint_ge(tl.hops, r.flit_router_hops);
}
END_TEST

START_TEST(test_event_driven_equals_cycle_stepped)
{
    /* Sleeping routers until their next flit is usable must not change a
     * single result: compare with every router running every cycle. */
    noc_traffic_config t;
    noc_traffic_default(&t);
    t.net.width = 4;
    t.net.height = 3;
    t.net.terminals_per_router = 2;
    t.net.virtual_channels = 2;
    t.net.vc_depth_flits = 3;
    t.net.router_stage_cycles[NOC_STAGE_ROUTE] = 2;
    t.net.link_latency_cycles = 2;
    t.packet_flits = 3;
    t.measure_cycles = 3000;
    for (int i = 0; i < 3; i++) {
        t.rate = 0.05 + 0.2 * i;
        noc_traffic_result a, b;
        t.net.cycle_stepped = 0;
        ck_assert_int_eq(noc_traffic_run(&t, &a, NULL), 0);
        t.net.cycle_stepped = 1;
        ck_assert_int_eq(noc_traffic_run(&t, &b, NULL), 0);
        ck_assert_uint_gt(b.events, a.events);
        a.events = b.events = 0;
        ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
    }
}
END_TEST

/* Ejection backpressure: terminal 0 refuses packets until cycle 2000. */
typedef struct {
    noc *n;
    int blocked, refusals;
    uint64_t injected_at_1500, in_flight_at_1500;
    int delivered_at_1500, deadlocked_at_1500;
    sink_log *s;
} gate_ctx;

static int gate_fn(void *ctx, uint32_t dst, uint64_t tag)
{
    (void)tag;
    gate_ctx *g = ctx;
    ck_assert_uint_eq(dst, 0);
    g->refusals += g->blocked;
    return !g->blocked;
}

static void gate_look(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    (void)payload;
    gate_ctx *g = ctx;
    noc_totals t;
    noc_get_totals(g->n, &t);
    g->injected_at_1500 = t.flits_injected;
    g->in_flight_at_1500 = noc_flits_in_flight(g->n);
    g->delivered_at_1500 = g->s->n;
    g->deadlocked_at_1500 = noc_deadlocked(g->n);
}

static void gate_open(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    (void)payload;
    gate_ctx *g = ctx;
    g->blocked = 0;
    noc_eject_resume(g->n, 0);
}

/* A blocked terminal backs the network up: its flits wait in the routers,
 * the credits run out and the sender's injection stops (most of the 800
 * flits are still in the source queue); far longer than deadlock_cycles
 * is not a deadlock; after the resume everything arrives, once each. */
START_TEST(test_blocked_ejection_backs_the_network_up)
{
    noc_config c;
    noc_config_default(&c);
    c.width = c.height = 2;
    c.deadlock_cycles = 200;
    kq_kernel *k = kq_new();
    base_error e;
    noc *n = noc_new(k, &c, &e);
    ck_assert_ptr_nonnull(n);
    static sink_log s;
    memset(&s, 0, sizeof s);
    noc_set_sink(n, log_sink, &s);
    gate_ctx g = {n, 1, 0, 0, 0, 0, 0, &s};
    ck_assert_int_eq(noc_set_eject_gate(n, gate_fn, &g), 0);
    uint32_t dst = term(&c, 0, 0);
    for (uint64_t i = 0; i < 200; i++) {
        noc_packet_req q = {term(&c, 1, 1), 1, &dst, 0, 4, i};
        ck_assert_int_eq(noc_send(n, &q, NULL, &e), 0);
    }
    uint64_t cy = noc_cycle_ps(n);
    ck_assert_int_eq(kq_schedule_at(k, 1500 * cy, 9, gate_look, &g, NULL, 0, NULL), KQ_OK);
    ck_assert_int_eq(kq_schedule_at(k, 2000 * cy, 9, gate_open, &g, NULL, 0, NULL), KQ_OK);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(g.delivered_at_1500, 0);
    ck_assert_int_eq(g.deadlocked_at_1500, 0);
    ck_assert_uint_eq(g.in_flight_at_1500, 800);
    /* what two routers' input VCs on the path hold: 16 VCs x 8 flits each
     * at the source's injection port and the two mesh inputs on the way */
    ck_assert_uint_le(g.injected_at_1500, 3 * 16 * 8);
    ck_assert_uint_gt(g.injected_at_1500, 16 * 8);
    ck_assert_int_eq(g.refusals, 1);
    ck_assert_int_eq(noc_deadlocked(n), 0);
    ck_assert_int_eq(s.n, 200);
    ck_assert_uint_eq(noc_flits_in_flight(n), 0);
    for (int i = 0; i < MAXD; i++)
        ck_assert_uint_ge(s.d[i].delivered_ps, 2000 * cy);
    noc_free(n);
    kq_free(k);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("noc");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_zero_load_latency_per_hop_default_router);
    tcase_add_test(tc, test_zero_load_latency_other_pipeline);
    tcase_add_test(tc, test_zero_load_latency_multi_cycle_stages);
    tcase_add_test(tc, test_clock_converts_to_ps);
    tcase_add_test(tc, test_payload_bits_make_flits);
    tcase_add_test(tc, test_bad_config_and_requests_rejected);
    tcase_add_test(tc, test_traffic_rejects_bad_rate_and_pattern);
    tcase_add_test(tc, test_deadlock_detected_with_routers);
    tcase_add_test(tc, test_same_seed_same_result);
    tcase_add_test(tc, test_stats_links_and_routers);
    tcase_add_test(tc, test_observer_on_traffic_run);
    tcase_add_test(tc, test_event_driven_equals_cycle_stepped);
    tcase_add_test(tc, test_event_limit_splits_a_cycle_exactly);
    tcase_add_test(tc, test_blocked_ejection_backs_the_network_up);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
