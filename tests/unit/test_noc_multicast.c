/* test_noc_multicast.c -- multicast on the NoC: the copy tree is the
 * union of the XY paths, each destination gets the packet exactly once,
 * energy counts one copy per branch; routing tables keyed by source. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "noc/noc.h"
#include "noc/noc_stats.h"

#include "noc_test_util.h"

typedef struct {
    /* flits per (link, flit index): a flit must cross a link at most once */
    int hop[4096][8];
    int mesh_hops, inj, ej;
    int created, injected, delivered, finished;
    uint32_t occ_events;
} obs_log;

static void o_created(void *ctx, const noc_packet_info *p)
{
    (void)p;
    ((obs_log *)ctx)->created++;
}
static void o_injected(void *ctx, uint64_t id, uint32_t src, uint64_t t)
{
    (void)id;
    (void)src;
    (void)t;
    ((obs_log *)ctx)->injected++;
}
static void o_hop(void *ctx, const noc_flit_hop *h)
{
    obs_log *o = ctx;
    if (h->link < 4096 && h->flit < 8)
        o->hop[h->link][h->flit]++;
}
static void o_occ(void *ctx, uint32_t r, uint32_t p, uint32_t f, uint64_t t)
{
    (void)r;
    (void)p;
    (void)f;
    (void)t;
    ((obs_log *)ctx)->occ_events++;
}
static void o_delivered(void *ctx, uint64_t id, uint32_t d, uint64_t t,
                        uint64_t l)
{
    (void)id;
    (void)d;
    (void)t;
    (void)l;
    ((obs_log *)ctx)->delivered++;
}
static void o_finished(void *ctx, uint64_t id, uint64_t t, uint64_t l)
{
    (void)id;
    (void)t;
    (void)l;
    ((obs_log *)ctx)->finished++;
}

/* XY tree edges: the union of the dimension-order paths. */
static int tree_links(const noc_config *c, uint32_t sx, uint32_t sy,
                      const uint32_t (*d)[2], int nd, uint8_t *used)
{
    int cnt = 0;
    for (int i = 0; i < nd; i++) {
        uint32_t x = sx, y = sy;
        while (x != d[i][0] || y != d[i][1]) {
            uint32_t r = y * c->width + x, p;
            if (x < d[i][0]) {
                p = 0;
                x++;
            } else if (x > d[i][0]) {
                p = 1;
                x--;
            } else if (y < d[i][1]) {
                p = 2;
                y++;
            } else {
                p = 3;
                y--;
            }
            if (!used[r * 4 + p]++)
                cnt++;
        }
    }
    return cnt;
}

START_TEST(test_multicast_tree_each_destination_once)
{
    noc_config c;
    noc_config_default(&c);
    c.width = 6;
    c.height = 5;
    c.energy_per_flit_hop_pj = 2.0;
    c.energy_per_bit_link_pj = 0.5;
    c.flit_width_bits = 32;
    const uint32_t d[][2] = {{5, 0}, {5, 4}, {0, 4}, {1, 1}, {3, 0},
                             {3, 3}, {2, 0}, {0, 0}};
    const int nd = 8;
    uint32_t dst[8];
    for (int i = 0; i < nd; i++)
        dst[i] = term(&c, d[i][0], d[i][1]);
    const uint32_t flits = 3;

    kq_kernel *k = kq_new();
    noc *n = noc_new(k, &c, NULL);
    static sink_log s;
    static obs_log o;
    memset(&s, 0, sizeof s);
    memset(&o, 0, sizeof o);
    noc_set_sink(n, log_sink, &s);
    noc_observer ob = {0};
    ob.ctx = &o;
    ob.packet_created = o_created;
    ob.packet_injected = o_injected;
    ob.flit_hop = o_hop;
    ob.buffer_occupancy = o_occ;
    ob.packet_delivered = o_delivered;
    ob.packet_finished = o_finished;
    noc_set_observer(n, &ob);
    noc_packet_req q = {term(&c, 2, 1), nd, dst, 0, flits, 0};
    ck_assert_int_eq(noc_send(n, &q, NULL, NULL), 0);
    kq_run(k, KQ_TIME_MAX, 0);

    /* Every destination exactly once, one "last". */
    ck_assert_int_eq(s.n, nd);
    for (int i = 0; i < nd; i++)
        ck_assert_int_eq(s.per_dst[dst[i]], 1);
    ck_assert_int_eq(s.lasts, 1);
    ck_assert_int_eq(o.created, 1);
    ck_assert_int_eq(o.injected, 1);
    ck_assert_int_eq(o.delivered, nd);
    ck_assert_int_eq(o.finished, 1);
    ck_assert_uint_gt(o.occ_events, 0);

    /* Tree shape: exactly the links of the union of XY paths, each flit
     * crossing each of them exactly once (a copy per branch, no more). */
    static uint8_t used[6 * 5 * 4];
    memset(used, 0, sizeof used);
    int edges = tree_links(&c, 2, 1, d, nd, used);
    int mesh_links_used = 0;
    for (uint32_t l = 0; l < noc_link_count(n); l++) {
        noc_link_stat ls;
        ck_assert_int_eq(noc_link_describe(n, l, &ls), 0);
        if (ls.kind == NOC_LINK_MESH) {
            int want = used[ls.from_router * 4 + ls.out_port] ? 1 : 0;
            for (uint32_t f = 0; f < flits; f++)
                ck_assert_int_eq(o.hop[l][f], want);
            mesh_links_used += want;
            ck_assert_uint_eq(ls.flits, want * flits);
        } else if (ls.kind == NOC_LINK_EJECT) {
            int want = 0;
            for (int i = 0; i < nd; i++)
                want |= dst[i] == ls.terminal;
            ck_assert_uint_eq(ls.flits, want * flits);
        } else {
            ck_assert_uint_eq(ls.flits, ls.terminal == q.src ? flits : 0);
        }
    }
    ck_assert_int_eq(mesh_links_used, edges);

    /* Energy: one copy per branch -- each tree edge and each ejection
     * switches every flit once in a router; links carry it once. */
    noc_totals t;
    noc_get_totals(n, &t);
    ck_assert_uint_eq(t.flit_link_hops, (uint64_t)edges * flits);
    ck_assert_uint_eq(t.flit_router_hops, (uint64_t)(edges + nd) * flits);
    ck_assert_double_eq_tol(t.link_energy_pj, edges * flits * 32 * 0.5, 1e-9);
    ck_assert_double_eq_tol(t.router_energy_pj, (edges + nd) * flits * 2.0,
                            1e-9);
    ck_assert_uint_eq(t.deliveries, nd);
    ck_assert_uint_eq(t.packets_finished, 1);
    ck_assert_uint_eq(noc_flits_in_flight(n), 0);
    noc_free(n);
    kq_free(k);
}
END_TEST

START_TEST(test_multicast_latency_each_branch_is_its_own_path)
{
    /* With no other traffic, each destination gets the packet as fast as
     * a unicast would, except where branches leaving one router contend
     * for its input: the replication costs at most one cycle per branch
     * sharing that input. */
    noc_config c;
    noc_config_default(&c);
    c.width = 4;
    c.height = 4;
    uint32_t dst[3] = {term(&c, 3, 0), term(&c, 0, 3), term(&c, 3, 3)};
    kq_kernel *k = kq_new();
    noc *n = noc_new(k, &c, NULL);
    static sink_log s;
    memset(&s, 0, sizeof s);
    noc_set_sink(n, log_sink, &s);
    noc_packet_req q = {term(&c, 0, 0), 3, dst, 0, 1, 0};
    ck_assert_int_eq(noc_send(n, &q, NULL, NULL), 0);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(s.n, 3);
    for (int i = 0; i < 3; i++) {
        uint32_t h = noc_hops(n, q.src, s.d[i].dst);
        uint64_t lat = (s.d[i].delivered_ps - s.d[i].created_ps) / 1000;
        ck_assert_uint_ge(lat, t0(&c, h, 1));
        ck_assert_uint_le(lat, t0(&c, h, 1) + 2);
    }
    noc_free(n);
    kq_free(k);
}
END_TEST

START_TEST(test_routing_table_keyed_spikes)
{
    noc_config c;
    noc_config_default(&c);
    c.multicast_lookup_cycles = 3;
    kq_kernel *k = kq_new();
    base_error e;
    noc *n = noc_new(k, &c, &e);
    static sink_log s;
    memset(&s, 0, sizeof s);
    noc_set_sink(n, log_sink, &s);
    uint32_t set1[2] = {5, 10}, set2[1] = {15};
    ck_assert_int_eq(noc_table_set(n, 42, set1, 2, &e), 0);
    ck_assert_int_eq(noc_table_set(n, 7, set2, 1, &e), 0);
    ck_assert_int_eq(noc_table_set(n, 42, set2, 1, &e), 0); /* replace */
    ck_assert_int_eq(noc_send_keyed(n, 0, 99, 8, 0, NULL, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "99"));
    ck_assert_int_eq(noc_send_keyed(n, 0, 42, 8, 1, NULL, &e), 0);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(s.d[0].dst, 15);
    uint64_t lat = (s.d[0].delivered_ps - s.d[0].created_ps) / 1000;
    ck_assert_uint_eq(lat, t0(&c, 6, 1) + 3);
    noc_free(n);
    kq_free(k);
}
END_TEST

typedef struct {
    uint8_t got[300][40];
    int last[300];
} stress_log;

static void stress_sink(void *ctx, const noc_delivery *d)
{
    stress_log *s = ctx;
    ck_assert_uint_lt(d->packet_id, 300);
    s->got[d->packet_id][d->dst]++;
    s->last[d->packet_id] += d->last;
}

START_TEST(test_multicast_under_contention_delivers_each_once)
{
    /* 300 packets, unicast and multicast (up to 12 destinations, source
     * included sometimes), 1..5 flits, all queued at once on a 5x4 mesh
     * with 2 terminals per router, YX routing and tight buffers (2 VCs of
     * 5 flits): the network drains and every (packet, destination)
     * arrives once. (Failed before branches stopped at their packet's
     * tail: a branch ahead of its siblings sent the next packet's flits
     * under the old copy.) */
    noc_config c;
    noc_config_default(&c);
    c.width = 5;
    c.height = 4;
    c.terminals_per_router = 2;
    c.virtual_channels = 2;
    c.vc_depth_flits = 5;
    c.routing = NOC_ROUTE_YX;
    kq_kernel *k = kq_new();
    base_error e;
    noc *n = noc_new(k, &c, &e);
    ck_assert_ptr_nonnull(n);
    static stress_log s;
    memset(&s, 0, sizeof s);
    noc_set_sink(n, stress_sink, &s);
    static uint32_t want[300][12];
    static uint32_t nwant[300];
    uint64_t x = 12345;
    for (int p = 0; p < 300; p++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t src = (uint32_t)(x >> 33) % 40;
        uint32_t nd = 1 + (uint32_t)(x >> 20) % 12;
        uint8_t used[40] = {0};
        uint32_t k2 = 0;
        while (k2 < nd) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            uint32_t d = (uint32_t)(x >> 33) % 40;
            if (used[d]++)
                continue;
            want[p][k2++] = d;
        }
        nwant[p] = nd;
        noc_packet_req q = {src, nd, want[p], 0, 1 + (uint32_t)(x >> 40) % 5,
                            (uint64_t)p};
        uint64_t id;
        ck_assert_int_eq(noc_send(n, &q, &id, &e), 0);
        ck_assert_uint_eq(id, (uint64_t)p);
    }
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_int_eq(noc_deadlocked(n), 0);
    ck_assert_uint_eq(noc_flits_in_flight(n), 0);
    for (int p = 0; p < 300; p++) {
        int total = 0;
        for (uint32_t d = 0; d < 40; d++)
            total += s.got[p][d];
        ck_assert_int_eq(total, (int)nwant[p]);
        for (uint32_t i = 0; i < nwant[p]; i++)
            ck_assert_int_eq(s.got[p][want[p][i]], 1);
        ck_assert_int_eq(s.last[p], 1);
    }
    noc_totals t;
    noc_get_totals(n, &t);
    ck_assert_uint_eq(t.packets_finished, 300);
    noc_free(n);
    kq_free(k);
}
END_TEST

START_TEST(test_multicast_longer_than_vc_buffer_rejected)
{
    noc_config c;
    noc_config_default(&c);
    c.vc_depth_flits = 4;
    kq_kernel *k = kq_new();
    base_error e;
    noc *n = noc_new(k, &c, &e);
    uint32_t d[2] = {3, 12};
    noc_packet_req q = {0, 2, d, 0, 5, 0};
    ck_assert_int_eq(noc_send(n, &q, NULL, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "longer than a VC buffer"));
    q.flits = 4;
    ck_assert_int_eq(noc_send(n, &q, NULL, &e), 0);
    q.n_dst = 1;
    q.flits = 50; /* unicast: wormhole, any length */
    ck_assert_int_eq(noc_send(n, &q, NULL, &e), 0);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(noc_flits_in_flight(n), 0);
    noc_free(n);
    kq_free(k);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("noc_multicast");
    TCase *tc = tcase_create("multicast");
    tcase_add_test(tc, test_multicast_tree_each_destination_once);
    tcase_add_test(tc, test_multicast_latency_each_branch_is_its_own_path);
    tcase_add_test(tc, test_routing_table_keyed_spikes);
    tcase_add_test(tc, test_multicast_under_contention_delivers_each_once);
    tcase_add_test(tc, test_multicast_longer_than_vc_buffer_rejected);
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
