/* test_strm_sched.c -- Stream's classic scheduler (sim/run/strm.h)
 * against Stream itself: the graph of cases c1 (layer by layer) and c3
 * (fused) built from Stream's recorded CNs and costs (strm_ref.h), then
 * latency, the nine energy terms and every CN's start and end compared
 * with what Stream computed. And a small case whose numbers are derived
 * by hand below. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run/strm.h"
#include "strm_ref.h"
#include "test_skip.h"

/* ---- against Stream ------------------------------------------------------ */

static void check_energy(const strm_result *r, const cJSON *ej)
{
    for (int t = 0; t < STRM_N_ENERGY; t++) {
        const char *name = strm_energy_name((strm_energy_term)t);
        double want = sref_num(ej, name), got = r->energy_pj[t];
        double rel = want != 0 ? fabs(got - want) / fabs(want) : 0;
        printf("  %-34s stream %16.2f  evsim %16.2f  (%.4f %%)\n", name, want, got, 100 * rel);
        if (want == 0)
            ck_assert_msg(fabs(got) < 1, "%s: Stream 0, evsim %g pJ", name, got);
        else
            ck_assert_msg(rel <= 0.005, "%s: %.4f %% off", name, 100 * rel);
    }
}

/* The fraction of CNs whose start and end equal Stream's; prints the
 * first mismatches. */
static double cn_match(const strm_graph *g, const strm_result *r, const cJSON *cns)
{
    int same = 0, shown = 0, i = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, cns) {
        double s = sref_num(rec, "start"), e = sref_num(rec, "end");
        if (r->start[i] == s && r->end[i] == e)
            same++;
        else if (shown++ < 8)
            printf("  CN layer %d sub %d core %d: stream [%g, %g], evsim [%g, %g]\n", g->cns[i].layer,
                   g->cns[i].sub_id, g->cns[i].core, s, e, r->start[i], r->end[i]);
        i++;
    }
    return (double)same / (double)g->n_cns;
}

/* The fraction of communication events equal to Stream's, in order
 * (type, sender, receiver, start, end). */
static double event_match(const strm_result *r, const cJSON *evs)
{
    int same = 0, i = 0, shown = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, evs) {
        if (i >= r->n_events)
            break;
        const strm_event *m = &r->events[i];
        const char *ty = cJSON_GetStringValue(cJSON_GetObjectItem(e, "type"));
        bool ok = ty && !strcmp(ty, m->type == STRM_EV_BLOCK ? "block" : "transfer") &&
                  m->sender == (int)sref_num(e, "sender") && m->receiver == (int)sref_num(e, "receiver") &&
                  m->start == sref_num(e, "start") && m->end == sref_num(e, "end");
        if (ok)
            same++;
        else if (shown++ < 5)
            printf("  event %d: stream %s %d->%d [%g, %g], evsim %d->%d [%g, %g]\n", i, ty,
                   (int)sref_num(e, "sender"), (int)sref_num(e, "receiver"), sref_num(e, "start"),
                   sref_num(e, "end"), m->sender, m->receiver, m->start, m->end);
        i++;
    }
    int n = cJSON_GetArraySize(evs);
    return n ? (double)same / n : 1;
}

/* Each top memory's peak, its time, its number of usage steps and the
 * tensors left, against Stream's memory_top_instances (one per core, in
 * core order, as the graph's memories are built). */
static void check_memories(const strm_result *r, const cJSON *insts)
{
    int m = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, insts) {
        ck_assert_int_lt(m, r->n_mems);
        const strm_mem_stats *st = &r->mems[m];
        printf("  memory %d: peak stream %.0f evsim %llu at %g/%g, steps %d/%d, left %d/%d\n", m,
               sref_num(e, "peak_usage_bits"), (unsigned long long)st->peak_bits,
               sref_num(e, "first_peak_at_cycle"), st->first_peak_at, (int)sref_num(e, "n_usage_steps"),
               st->n_steps, (int)sref_num(e, "tensors_left_at_end"), st->tensors_left);
        ck_assert_double_eq((double)st->peak_bits, sref_num(e, "peak_usage_bits"));
        ck_assert_double_eq(st->first_peak_at, sref_num(e, "first_peak_at_cycle"));
        ck_assert_int_eq(st->n_steps, (int)sref_num(e, "n_usage_steps"));
        ck_assert_int_eq(st->tensors_left, (int)sref_num(e, "tensors_left_at_end"));
        m++;
    }
}

static void run_case(const char *name, int want_edges)
{
    strm_graph g;
    cJSON *res = NULL;
    base_error err;
    base_error_clear(&err);
    char buf[1024];
    int rc = sref_build(name, &g, &res, &err);
    ck_assert_msg(rc == 0, "%s: %s", name, base_error_str(&err, buf, sizeof buf));
    const cJSON *r = cJSON_GetObjectItem(res, "results");
    printf("%s: %d CNs, %d dependency edges (Stream %d)\n", name, g.n_cns, g.n_edges,
           (int)sref_num(r, "n_dependency_edges"));
    ck_assert_int_eq(g.n_edges, (int)sref_num(r, "n_dependency_edges"));
    ck_assert_int_eq(g.n_edges, want_edges);
    strm_result out;
    rc = strm_schedule(&g, &out, &err);
    ck_assert_msg(rc == 0, "%s: %s", name, base_error_str(&err, buf, sizeof buf));
    double want = sref_num(r, "latency_cycles");
    double rel = fabs(out.latency_cycles - want) / want;
    printf("  latency: stream %.0f, evsim %.1f (%.4f %%); events: stream %d, evsim %d\n", want,
           out.latency_cycles, 100 * rel, (int)sref_num(r, "n_communication_events"), out.n_events);
    check_energy(&out, cJSON_GetObjectItem(r, "energy_pJ"));
    double m = cn_match(&g, &out, cJSON_GetObjectItem(r, "cns"));
    printf("  CN start/end equal to Stream's: %.2f %% of %d\n", 100 * m, g.n_cns);
    double em = event_match(&out, cJSON_GetObjectItem(r, "communication_events"));
    printf("  communication events equal to Stream's, in order: %.2f %%\n", 100 * em);
    ck_assert_msg(em >= 0.99, "only %.2f %% of the events as in Stream", 100 * em);
    check_memories(&out, cJSON_GetObjectItem(r, "memory_top_instances"));
    ck_assert_msg(rel <= 0.005, "latency %.4f %% off", 100 * rel);
    ck_assert_msg(m >= 0.99, "only %.2f %% of CNs start and end as in Stream", 100 * m);
    strm_result_free(&out);
    strm_graph_free(&g);
    cJSON_Delete(res);
}

START_TEST(test_c1_layer_by_layer_matches_stream)
{
    run_case("c1_resnet18_lbl_rr", 55);
}
END_TEST

START_TEST(test_c3_fused_matches_stream)
{
    run_case("c3_resnet18_fused_rr", 3043);
}
END_TEST

/* ---- a case small enough to follow by hand ------------------------------
 *
 * Cores 0 and 1 (SRAMs: 10 pJ per 64-bit access) and DRAM core 2 (100 pJ
 * per 64-bit access), all on one 64 b/cycle bus. Layer 0: CN a on core 0
 * (weights Wa 640 b, output Oa 1280 b, 100 cycles). Layer 1: CNs b0, b1
 * on core 1 (50 cycles each), both reading Oa, sharing weights Wb (64 b,
 * reuse 2); b1 streams its weights from DRAM (too large: I2, 16 b/cycle,
 * 500 pJ off-chip).
 *  a:  needs Wa; head start ceil(640/64) = 10, from 0: Wa on the bus
 *      [0, 10) (DRAM read 10 x 100 + SRAM write 10 x 10 = 1100 pJ
 *      off-chip); a runs [10, 110). Wa's count drops to 0: gone.
 *  b0: barrier (first CN of layer 1): both cores idle from 110. Needs Oa
 *      (layer 0) then Wb; head start 20 + 1, earliest 110 - 21 = 89. Oa is
 *      available on core 0 from 110: bus [110, 130) (200 + 200 pJ core to
 *      core). Wb is in DRAM since 0: the first gap from 89 is [89, 90)
 *      (100 + 10 pJ off-chip) -- earlier than Oa, a window in the past.
 *      b0 runs [130, 180).
 *  b1: needs Oa only (Wb is streamed), already there. Too large: clear
 *      core 1 but for Oa: Wb goes (DRAM has it), Ob0 is written back
 *      first, from 0 on, so as soon as it is available: bus [180, 182)
 *      (SRAM read 2 x 10 + DRAM write 2 x 100 = 220 pJ eviction). Then the
 *      block: 16 b/cycle from 182 for 50 cycles; b1 runs [182, 232).
 *  No sink write-back: layer 1's b0 has an out-edge (the chain to b1).
 *  Latency 232; energies: on-chip 1000 + 200 + 200, off-chip memory
 *  1100 + 110 + 500 = 1710, eviction 220, core to core 400. */
static strm_tensor hand_tensor(int origin, int op, uint64_t bits, int prio)
{
    strm_tensor t;
    memset(&t, 0, sizeof t);
    t.origin_cn = origin;
    t.mem_op = op;
    t.bits = bits;
    t.base_priority = prio;
    return t;
}

static strm_cn hand_cn(int layer, int sub, int core, double runtime, double onchip)
{
    strm_cn c;
    memset(&c, 0, sizeof c);
    c.layer = layer;
    c.sub_id = sub;
    c.core = core;
    c.runtime_cycles = runtime;
    c.onchip_pj = onchip;
    c.inter_splits = 1;
    c.final_output = true;
    c.tensor[STRM_I1] = c.tensor[STRM_I2] = c.tensor[STRM_O] = -1;
    return c;
}

static void hand_graph(strm_graph *g, strm_mem *mems, strm_core *cores, strm_link *link,
                       strm_route *routes, strm_tensor *ts, strm_cn *cns, strm_edge *es, int *order)
{
    mems[0] = mems[1] = (strm_mem){1000000, 10, 10, 64, 64};
    mems[2] = (strm_mem){1000000000, 100, 100, 64, 64};
    for (int c = 0; c < 3; c++)
        cores[c] = (strm_core){{c, c, c}};
    *link = (strm_link){64, 0};
    for (int i = 0; i < 9; i++)
        routes[i] = (strm_route){i % 4 == 0 ? 0 : 1, {0}};
    ts[0] = hand_tensor(0, STRM_I2, 640, 1);                  /* Wa */
    ts[1] = hand_tensor(0, STRM_O, 1280, STRM_NO_PRIORITY);   /* Oa */
    ts[2] = hand_tensor(1, STRM_I2, 64, 2);                   /* Wb */
    ts[3] = hand_tensor(1, STRM_O, 128, STRM_NO_PRIORITY);    /* Ob0 */
    ts[4] = hand_tensor(2, STRM_O, 128, STRM_NO_PRIORITY);    /* Ob1 */
    cns[0] = hand_cn(0, 0, 0, 100, 1000);
    cns[1] = hand_cn(1, 0, 1, 50, 200);
    cns[2] = hand_cn(1, 1, 1, 50, 200);
    int w[3] = {0, 2, 2}, o[3] = {1, 3, 4};
    for (int i = 0; i < 3; i++) {
        cns[i].tensor[STRM_I2] = w[i];
        cns[i].tensor[STRM_O] = o[i];
        cns[i].n_const = 1;
        cns[i].const_op[0] = STRM_I2;
    }
    cns[2].too_large[STRM_I2] = true;
    cns[2].block_bw_bits[STRM_I2] = 16;
    cns[2].offchip_pj = 500;
    es[0] = (strm_edge){0, 1, STRM_I1, 1280};
    es[1] = (strm_edge){0, 2, STRM_I1, 1280};
    es[2] = (strm_edge){1, 2, STRM_I1, 0};
    for (int i = 0; i < 3; i++)
        order[i] = i;
    *g = (strm_graph){3, mems, 3, cores, 2, 1, link, routes, 5, ts, 3, cns, 3, es, order};
}

START_TEST(test_hand_case_windows_eviction_and_block)
{
    strm_mem mems[3];
    strm_core cores[3];
    strm_link link;
    strm_route routes[9];
    strm_tensor ts[5];
    strm_cn cns[3];
    strm_edge es[3];
    int order[3];
    strm_graph g;
    hand_graph(&g, mems, cores, &link, routes, ts, cns, es, order);
    strm_result r;
    base_error err;
    ck_assert_int_eq(strm_schedule(&g, &r, &err), 0);
    double start[3] = {10, 130, 182}, end[3] = {110, 180, 232};
    for (int i = 0; i < 3; i++) {
        ck_assert_double_eq(r.start[i], start[i]);
        ck_assert_double_eq(r.end[i], end[i]);
    }
    ck_assert_double_eq(r.latency_cycles, 232);
    /* events in the order Stream creates them: Wa, Oa, Wb, Ob0 write-back, block */
    struct { int type, tensor, from, to; double s, e; } ev[5] = {
        {STRM_EV_TRANSFER, 0, 2, 0, 0, 10}, {STRM_EV_TRANSFER, 1, 0, 1, 110, 130},
        {STRM_EV_TRANSFER, 2, 2, 1, 89, 90}, {STRM_EV_TRANSFER, 3, 1, 2, 180, 182},
        {STRM_EV_BLOCK, 2, 2, 1, 182, 232}};
    ck_assert_int_eq(r.n_events, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(r.events[i].type, ev[i].type);
        ck_assert_int_eq(r.events[i].tensor, ev[i].tensor);
        ck_assert_int_eq(r.events[i].sender, ev[i].from);
        ck_assert_int_eq(r.events[i].receiver, ev[i].to);
        ck_assert_double_eq(r.events[i].start, ev[i].s);
        ck_assert_double_eq(r.events[i].end, ev[i].e);
    }
    ck_assert_uint_eq(r.events[4].activity_bits, 16);
    double want[STRM_N_ENERGY] = {1400, 0, 1710, 0, 220, 0, 0, 0, 400};
    for (int t = 0; t < STRM_N_ENERGY; t++)
        ck_assert_msg(fabs(r.energy_pj[t] - want[t]) < 1e-9, "%s: %g, want %g",
                      strm_energy_name((strm_energy_term)t), r.energy_pj[t], want[t]);
    ck_assert_double_eq(r.total_pj, 3730);
    strm_result_free(&r);
}
END_TEST

/* A route of two links (DRAM 2 -> core 1 -> core 0, 64 and 32 b/cycle):
 * the transfer needs both at once, at the slower one's rate. CN b
 * (layer 0, core 1) streams its weights from DRAM and blocks the first
 * link fully over [0, 10). Both layers are sinks (no out-edges), so b's
 * 64-bit output is written to DRAM when it is done: first link [10, 11).
 * CN a (layer 1, core 0) waits for the barrier (cores idle from 10) and
 * fetches its 640 weight bits: the second link is free from 0, the first
 * only from 11, so [11, 31) (640 / 32); a runs [31, 81) and its output
 * goes back over both links at 32 b/cycle, [81, 83). Energies: weights
 * 10 DRAM reads x 100 + 10 SRAM writes x 10 = 1100 off-chip; each sink
 * write-back 10 + 100. */
START_TEST(test_two_link_route_waits_for_both_links)
{
    strm_mem mems[3] = {{1000000, 10, 10, 64, 64}, {1000000, 10, 10, 64, 64},
                        {1000000000, 100, 100, 64, 64}};
    strm_core cores[3] = {{{0, 0, 0}}, {{1, 1, 1}}, {{2, 2, 2}}};
    strm_link links[2] = {{64, 0}, {32, 0}};
    strm_route routes[9];
    memset(routes, 0, sizeof routes);
    routes[2 * 3 + 1] = (strm_route){1, {0}};      /* DRAM -> 1 */
    routes[2 * 3 + 0] = (strm_route){2, {0, 1}};   /* DRAM -> 1 -> 0 */
    routes[1 * 3 + 2] = (strm_route){1, {0}};
    routes[0 * 3 + 2] = (strm_route){2, {1, 0}};
    strm_tensor ts[4] = {hand_tensor(0, STRM_I2, 6400, 1), hand_tensor(0, STRM_O, 64, STRM_NO_PRIORITY),
                         hand_tensor(1, STRM_I2, 640, 1), hand_tensor(1, STRM_O, 64, STRM_NO_PRIORITY)};
    strm_cn cns[2] = {hand_cn(0, 0, 1, 10, 5), hand_cn(1, 0, 0, 50, 7)};
    for (int i = 0; i < 2; i++) {
        cns[i].tensor[STRM_I2] = 2 * i;
        cns[i].tensor[STRM_O] = 2 * i + 1;
        cns[i].n_const = 1;
        cns[i].const_op[0] = STRM_I2;
    }
    cns[0].too_large[STRM_I2] = true;
    cns[0].block_bw_bits[STRM_I2] = 64;
    int order[2] = {0, 1};
    strm_graph g = {3, mems, 3, cores, 2, 2, links, routes, 4, ts, 2, cns, 0, NULL, order};
    strm_result r;
    base_error err;
    ck_assert_int_eq(strm_schedule(&g, &r, &err), 0);
    ck_assert_double_eq(r.start[0], 0);
    ck_assert_double_eq(r.end[0], 10);
    struct { int type, from, to; double s, e; } ev[4] = {
        {STRM_EV_BLOCK, 2, 1, 0, 10}, {STRM_EV_TRANSFER, 1, 2, 10, 11},
        {STRM_EV_TRANSFER, 2, 0, 11, 31}, {STRM_EV_TRANSFER, 0, 2, 81, 83}};
    ck_assert_int_eq(r.n_events, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(r.events[i].type, ev[i].type);
        ck_assert_int_eq(r.events[i].sender, ev[i].from);
        ck_assert_int_eq(r.events[i].receiver, ev[i].to);
        ck_assert_double_eq(r.events[i].start, ev[i].s);
        ck_assert_double_eq(r.events[i].end, ev[i].e);
    }
    ck_assert_int_eq(r.events[1].cause, STRM_CAUSE_SINK);
    ck_assert_uint_eq(r.events[3].activity_bits, 32);
    ck_assert_double_eq(r.start[1], 31);
    ck_assert_double_eq(r.latency_cycles, 83);
    ck_assert_double_eq(r.energy_pj[STRM_E_CN_OFFCHIP_MEMORY], 1100);
    ck_assert_double_eq(r.energy_pj[STRM_E_SINK_MEMORY], 220);
    ck_assert_double_eq(r.energy_pj[STRM_E_CN_ONCHIP], 12);
    strm_result_free(&r);
}
END_TEST

/* A priority order that is not a permutation is refused with a message. */
START_TEST(test_bad_order_is_an_error)
{
    strm_mem mems[3];
    strm_core cores[3];
    strm_link link;
    strm_route routes[9];
    strm_tensor ts[5];
    strm_cn cns[3];
    strm_edge es[3];
    int order[3];
    strm_graph g;
    hand_graph(&g, mems, cores, &link, routes, ts, cns, es, order);
    order[2] = 1;
    strm_result r;
    base_error err;
    base_error_clear(&err);
    ck_assert_int_eq(strm_schedule(&g, &r, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a permutation"));
    strm_result_free(&r);
}
END_TEST

/* Every allocation the scheduler makes may fail: the Nth failing (and
 * every one after it) gives an error and a result that frees cleanly
 * (the ASan pass proves nothing leaks), until a run needs no more. */
START_TEST(test_out_of_memory_is_an_error_at_every_allocation)
{
    strm_mem mems[3];
    strm_core cores[3];
    strm_link link;
    strm_route routes[9];
    strm_tensor ts[5];
    strm_cn cns[3];
    strm_edge es[3];
    int order[3];
    strm_graph g;
    hand_graph(&g, mems, cores, &link, routes, ts, cns, es, order);
    int failures = 0;
    for (long n = 0;; n++) {
        strm_result r;
        base_error err;
        base_error_clear(&err);
        base_alloc_fail_at(n, 1);
        int rc = strm_schedule(&g, &r, &err);
        int injected = base_alloc_injected();
        base_alloc_fail_at(-1, 0);
        strm_result_free(&r);
        if (!injected) {
            ck_assert_int_eq(rc, 0);
            break;
        }
        ck_assert_msg(rc == -1, "allocation %ld failed but the schedule succeeded", n);
        ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
        failures++;
    }
    ck_assert_int_gt(failures, 20);
}
END_TEST

Suite *strm_suite(void);

Suite *strm_suite(void)
{
    Suite *s = suite_create("strm_sched");
    TCase *th = tcase_create("hand");
    tcase_add_test(th, test_hand_case_windows_eviction_and_block);
    tcase_add_test(th, test_two_link_route_waits_for_both_links);
    tcase_add_test(th, test_bad_order_is_an_error);
    tcase_add_test(th, test_out_of_memory_is_an_error_at_every_allocation);
    suite_add_tcase(s, th);
    TCase *tc = tcase_create("stream");
    tcase_set_timeout(tc, 120);
    const char *c1[] = {SREF_DIR "results/c1_resnet18_lbl_rr.json",
                        SREF_DIR "inputs/c1_resnet18_lbl_rr/case.json", NULL};
    const char *c3[] = {SREF_DIR "results/c3_resnet18_fused_rr.json",
                        SREF_DIR "inputs/c3_resnet18_fused_rr/case.json", NULL};
    tcase_add_test_needing_all(tc, test_c1_layer_by_layer_matches_stream, c1);
    tcase_add_test_needing_all(tc, test_c3_fused_matches_stream, c3);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(strm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
