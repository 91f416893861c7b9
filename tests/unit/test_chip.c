/* test_chip.c -- the core model, the plan (layers into costed CNs) and the
 * whole-chip simulation on the shipped default scenario. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/chipsim.h"
#include "core/core.h"
#include "kernel/kernel.h"
#include "run/plan.h"

/* Record i of an error list as the loaders' callers print it. */
static const char *emsg(const base_errors *e, int i)
{
    static char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    return base_error_str(&e->items[i], buf, sizeof buf);
}

/* ---- core model ------------------------------------------------------ */

typedef struct {
    uint32_t started[16], finished[16];
    uint64_t t_start[16], t_end[16];
    int ns, nf;
    core_model *c;
    int resubmit; /* a finished CN 1 submits CN 9 from the callback */
} core_log;

static void on_start(void *ctx, uint32_t core, uint32_t cn, uint64_t t, uint64_t dur)
{
    (void)core;
    (void)dur;
    core_log *l = ctx;
    l->started[l->ns] = cn;
    l->t_start[l->ns++] = t;
}

static void on_finish(void *ctx, uint32_t core, uint32_t cn, uint64_t t)
{
    (void)core;
    core_log *l = ctx;
    l->finished[l->nf] = cn;
    l->t_end[l->nf++] = t;
    if (l->resubmit && cn == 1)
        ck_assert_int_eq(core_submit(l->c, 9, 5), 0);
}

START_TEST(test_core_runs_ready_cns_in_fifo_order_back_to_back)
{
    kq_kernel *k = kq_new();
    core_log l = {.resubmit = 1};
    core_callbacks cb = {on_start, on_finish, &l};
    l.c = core_new(k, 3, &cb);
    ck_assert_int_eq(core_submit(l.c, 1, 100), 0); /* starts at once */
    ck_assert_int_eq(core_submit(l.c, 2, 50), 0);
    ck_assert_int_eq(core_submit(l.c, 3, 10), 0);
    ck_assert_int_eq(l.ns, 1);
    kq_run(k, KQ_TIME_MAX, 0);
    /* 9 was submitted when 1 finished: it queues behind 2 and 3. */
    uint32_t order[] = {1, 2, 3, 9};
    uint64_t ends[] = {100, 150, 160, 165};
    ck_assert_int_eq(l.nf, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(l.finished[i], order[i]);
        ck_assert_uint_eq(l.started[i], order[i]);
        ck_assert_uint_eq(l.t_end[i], ends[i]);
    }
    ck_assert_uint_eq(l.t_start[1], 100); /* no gap between CNs */
    ck_assert_uint_eq(core_busy_ps(l.c), 165);
    ck_assert_uint_eq(core_cns_done(l.c), 4);
    ck_assert_uint_eq(core_peak_ready(l.c), 2);
    core_free(l.c);
    kq_free(k);
}
END_TEST

START_TEST(test_core_idle_gap_is_not_busy_time)
{
    kq_kernel *k = kq_new();
    core_log l = {0};
    core_callbacks cb = {on_start, on_finish, &l};
    l.c = core_new(k, 0, &cb);
    core_submit(l.c, 1, 10);
    kq_run(k, 1000, 0); /* idle until 1000 */
    core_submit(l.c, 2, 10);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.t_start[1], 1000);
    ck_assert_uint_eq(core_busy_ps(l.c), 20);
    core_free(l.c);
    kq_free(k);
}
END_TEST

/* ---- plan and chip run on the default scenario ------------------------ */

static cfg_scenario *load_default(void)
{
    base_errors e;
    base_errors_init(&e);
    cfg_scenario *s = cfg_scenario_load_file("configs/default.yaml", &e);
    if (!s)
        for (int i = 0; i < e.count; i++)
            fprintf(stderr, "%s\n", emsg(&e, i));
    base_errors_clear(&e);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(test_plan_cuts_layers_by_tiling_and_keeps_macs)
{
    cfg_scenario *s = load_default();
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    plan_error pe;
    plan *p = plan_build(s, &o, NULL, &pe);
    ck_assert_msg(p != NULL, "%s", pe.msg);
    ck_assert_uint_eq(p->n_layers, (uint32_t)s->workload->n_layers);
    for (uint32_t l = 0; l < p->n_layers; l++) {
        const plan_layer *pl = &p->layers[l];
        uint64_t macs = 0;
        for (uint32_t i = 0; i < pl->n_parts; i++)
            for (uint32_t c = 0; c < pl->parts[i].n_cns; c++)
                macs += p->cns[pl->parts[i].first_cn + c].macs;
        /* Tiling must neither lose nor invent work. */
        ck_assert_uint_eq(macs, pl->macs);
    }
    /* conv1: K (6) over the 4 allocated cores, OY (28) one row per CN. */
    const plan_layer *conv1 = &p->layers[0];
    ck_assert_str_eq(conv1->split_dim, "K");
    ck_assert_str_eq(conv1->tile_dim, "OY");
    ck_assert_uint_eq(conv1->n_parts, 4);
    for (uint32_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(conv1->parts[i].n_cns, 28);
        for (uint32_t j = 0; j < i; j++)
            ck_assert_uint_ne(conv1->parts[i].core, conv1->parts[j].core);
    }
    ck_assert_uint_eq(conv1->offchip_in_bits, 32 * 32 * 8);
    /* K = 6 over 4 parts: sizes 2, 2, 1, 1, so two distinct CN shapes. */
    ck_assert_uint_eq(p->cns[conv1->parts[0].first_cn].macs, 2 * 28 * 25);
    ck_assert_uint_eq(p->cns[conv1->parts[3].first_cn].macs, 1 * 28 * 25);
    ck_assert_uint_lt(p->unique_cns, p->n_cns / 4);
    /* The SENECA core's top memory ("offchip") holds every operand and the
     * chip has a DRAM: the mapper's energy there is kept apart, not lost. */
    ck_assert(conv1->top_is_offchip);
    for (uint32_t i = 0; i < p->n_cns; i++) {
        const plan_cn *cn = &p->cns[i];
        ck_assert(cn->top_pj > 0);
        ck_assert_double_eq_tol(cn->energy_pj + cn->top_pj, cn->cost->energy_pj,
                                1e-9 * cn->cost->energy_pj);
    }
    plan_free(p);
    cfg_scenario_free(s);
}
END_TEST

/* The default mapping entry (conv layers) of the loaded scenario. */
static cfg_map_entry *default_entry(cfg_scenario *s)
{
    for (int i = 0; i < s->mapping->n_entries; i++)
        if (!strcmp(s->mapping->entries[i].name, "default"))
            return &s->mapping->entries[i];
    ck_abort_msg("no default mapping entry");
    return NULL;
}

START_TEST(test_plan_tiles_over_several_dims_and_refuses_bad_cuts)
{
    cfg_scenario *s = load_default();
    cfg_map_entry *me = default_entry(s);
    ck_assert_int_eq(me->n_intra, 1); /* OY, all */
    me->intra_tiling[1] = (cfg_loop){"OX", 2};
    me->n_intra = 2;
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    plan_error pe;
    plan *p = plan_build(s, &o, NULL, &pe);
    ck_assert_msg(p != NULL, "%s", pe.msg);
    const plan_layer *conv1 = &p->layers[0];
    ck_assert_str_eq(conv1->tile_dim, "OY,OX");
    uint64_t macs = 0;
    for (uint32_t i = 0; i < conv1->n_parts; i++) {
        ck_assert_uint_eq(conv1->parts[i].n_cns, 28 * 2);
        for (uint32_t c = 0; c < conv1->parts[i].n_cns; c++)
            macs += p->cns[conv1->parts[i].first_cn + c].macs;
    }
    ck_assert_uint_eq(macs, conv1->macs);
    /* OX = 28 in two tiles of 14: one row of 14 outputs, K 2 or 1. */
    ck_assert_uint_eq(p->cns[conv1->parts[0].first_cn].macs, 2 * 14 * 25);
    plan_free(p);

    me->intra_tiling[1] = (cfg_loop){"OY", 2};
    ck_assert_ptr_null(plan_build(s, &o, NULL, &pe));
    ck_assert_msg(strstr(pe.msg, "cuts OY twice") != NULL, "%s", pe.msg);
    me->intra_tiling[1] = (cfg_loop){"K", 2};
    ck_assert_ptr_null(plan_build(s, &o, NULL, &pe));
    ck_assert_msg(strstr(pe.msg, "both cut K") != NULL, "%s", pe.msg);
    me->intra_tiling[1] = (cfg_loop){"QQ", 2};
    ck_assert_ptr_null(plan_build(s, &o, NULL, &pe));
    ck_assert_msg(strstr(pe.msg, "names QQ") != NULL, "%s", pe.msg);
    cfg_scenario_free(s);
}
END_TEST

START_TEST(test_chip_run_completes_and_respects_dependencies)
{
    cfg_scenario *s = load_default();
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    plan_error pe;
    plan *p = plan_build(s, &o, NULL, &pe);
    ck_assert_ptr_nonnull(p);
    csim_options co = {0};
    csim_result r;
    csim_error ce;
    ck_assert_msg(csim_run(s, p, &co, &r, &ce) == 0, "%s", ce.msg);
    ck_assert(r.complete);
    ck_assert_uint_eq(r.layers_done, p->n_layers);
    for (uint32_t l = 1; l < p->n_layers; l++) {
        /* Each LeNet layer reads the previous one: it cannot start before
         * that one has finished somewhere, plus the transfer. */
        ck_assert_uint_gt(r.layers[l].start_ps, r.layers[l - 1].start_ps);
        ck_assert_uint_le(r.layers[l - 1].end_ps, r.layers[l].end_ps);
    }
    uint64_t busy = 0, cns = 0;
    for (uint32_t c = 0; c < r.n_cores; c++) {
        busy += r.cores[c].busy_ps;
        cns += r.cores[c].cns;
        ck_assert_uint_le(r.cores[c].busy_ps, r.end_ps);
    }
    uint64_t want = 0;
    for (uint32_t i = 0; i < p->n_cns; i++)
        want += p->cns[i].dur_ps;
    ck_assert_uint_eq(busy, want);
    ck_assert_uint_eq(cns, p->n_cns);
    ck_assert_uint_eq(r.offchip_read_bits, 32 * 32 * 8);
    ck_assert_uint_eq(r.offchip_write_bits, 10 * 8); /* fc3's 10 outputs */
    /* Multicast: every packet reaches at least one core, most several. */
    ck_assert_uint_gt(r.noc.deliveries, r.packets);
    csim_result_free(&r);

    /* A time limit stops the run early and says so. */
    co.max_time_ps = r.end_ps / 2 + 1;
    ck_assert_int_eq(csim_run(s, p, &co, &r, &ce), 0);
    ck_assert(!r.complete);
    ck_assert_str_eq(r.stop_reason, "time limit reached");
    csim_result_free(&r);
    plan_free(p);
    cfg_scenario_free(s);
}
END_TEST

static Suite *chip_suite(void)
{
    Suite *s = suite_create("chip");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_core_runs_ready_cns_in_fifo_order_back_to_back);
    tcase_add_test(tc, test_core_idle_gap_is_not_busy_time);
    tcase_add_test(tc, test_plan_cuts_layers_by_tiling_and_keeps_macs);
    tcase_add_test(tc, test_plan_tiles_over_several_dims_and_refuses_bad_cuts);
    tcase_add_test(tc, test_chip_run_completes_and_respects_dependencies);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(chip_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
