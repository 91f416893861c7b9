/* test_chip.c -- the core model, the plan (layers into costed CNs) and the
 * whole-chip simulation on the shipped LeNet-5 scenario (configs/lenet5_seneca_2x2.yaml). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "run/chip.h"
#include "core/core.h"
#include "kernel/kernel.h"
#include "run/plan.h"
#include "trace/trc.h"

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
        ck_assert_int_eq(core_submit(l->c, 9, 5, 0.0), 0);
}

START_TEST(test_core_runs_ready_cns_in_fifo_order_back_to_back)
{
    kq_kernel *k = kq_new();
    core_log l = {.resubmit = 1};
    core_callbacks cb = {.started = on_start, .finished = on_finish, .ctx = &l};
    l.c = core_new(k, &(core_params){.id = 3, .cb = cb});
    ck_assert_int_eq(core_submit(l.c, 1, 100, 0.0), 0); /* starts at once */
    ck_assert_int_eq(core_submit(l.c, 2, 50, 0.0), 0);
    ck_assert_int_eq(core_submit(l.c, 3, 10, 0.0), 0);
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
    core_callbacks cb = {.started = on_start, .finished = on_finish, .ctx = &l};
    l.c = core_new(k, &(core_params){.id = 0, .cb = cb});
    core_submit(l.c, 1, 10, 0.0);
    kq_run(k, 1000, 0); /* idle until 1000 */
    core_submit(l.c, 2, 10, 0.0);
    kq_run(k, KQ_TIME_MAX, 0);
    ck_assert_uint_eq(l.t_start[1], 1000);
    ck_assert_uint_eq(core_busy_ps(l.c), 20);
    core_free(l.c);
    kq_free(k);
}
END_TEST

/* ---- plan and chip run on the LeNet-5 scenario ------------------------ */

static cfg_scenario *load_default(void)
{
    base_errors e;
    base_errors_init(&e);
    cfg_scenario *s = cfg_scenario_load_file("configs/lenet5_seneca_2x2.yaml", &e);
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
    base_error pe;
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
     * chip has a DRAM, but LeNet-5's CNs fit the core: the mapper costs
     * no CN on that level (the run moves the data itself), and each CN's
     * energy is the mapper's plus the fills of the memory data lands in:
     * conv1's input rows written, its output read out, its weights once. */
    ck_assert(conv1->top_is_offchip);
    for (uint32_t i = 0; i < p->n_cns; i++) {
        const plan_cn *cn = &p->cns[i];
        const loma_result *r = cn->cost;
        for (int op = 0; op < LOMA_N_OPS; op++)
            if (r->n_levels[op] > 0)
                ck_assert_int_lt(r->mem_of[op][r->n_levels[op] - 1],
                                 p->layers[cn->layer].core.n_mems - 1);
        ck_assert(cn->top_pj == 0);
        double fills = cn->fill_pj[0] + cn->fill_pj[1] + cn->fill_pj[2];
        ck_assert_double_eq_tol(cn->energy_pj, r->energy_pj + fills, 1e-9 * cn->energy_pj);
    }
    const plan_cn *c0 = &p->cns[conv1->parts[0].first_cn], *c1 = c0 + 1;
    ck_assert(c0->fill_pj[LOMA_OP_W] > 0 && c1->fill_pj[LOMA_OP_W] == 0);
    ck_assert(c0->fill_pj[LOMA_OP_I] > 0 && c0->fill_pj[LOMA_OP_O] > 0);
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
    me->intra_tiling[1] = (cfg_loop){.dim = "OX", .factor = 2};
    me->n_intra = 2;
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error pe;
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

    me->intra_tiling[1] = (cfg_loop){.dim = "OY", .factor = 2};
    ck_assert_ptr_null(plan_build(s, &o, NULL, &pe));
    ck_assert_msg(strstr(pe.msg, "cuts OY twice") != NULL, "%s", pe.msg);
    me->intra_tiling[1] = (cfg_loop){.dim = "K", .factor = 2};
    ck_assert_ptr_null(plan_build(s, &o, NULL, &pe));
    ck_assert_msg(strstr(pe.msg, "both cut K") != NULL, "%s", pe.msg);
    me->intra_tiling[1] = (cfg_loop){.dim = "QQ", .factor = 2};
    ck_assert_ptr_null(plan_build(s, &o, NULL, &pe));
    ck_assert_msg(strstr(pe.msg, "names QQ") != NULL, "%s", pe.msg);
    cfg_scenario_free(s);
}
END_TEST

#define LENET_WEIGHT_BITS 491760u

START_TEST(test_chip_run_completes_and_respects_dependencies)
{
    cfg_scenario *s = load_default();
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error pe;
    plan *p = plan_build(s, &o, NULL, &pe);
    ck_assert_ptr_nonnull(p);
    chip_options co = {0};
    chip_result r;
    base_error ce;
    ck_assert_msg(chip_run(s, p, &co, &r, &ce) == 0, "%s", ce.msg);
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
    /* The 32x32 input, and every weight once: 61,470 8-bit weights
     * (conv1 6x1x5x5, conv2 16x6x5x5, fc1 120x400, fc2 84x120, fc3 10x84),
     * each part's loaded into its core from the DRAM. */
    ck_assert_uint_eq(LENET_WEIGHT_BITS, 8 * (150 + 2400 + 48000 + 10080 + 840));
    ck_assert_uint_eq(r.offchip_read_bits, 32 * 32 * 8 + LENET_WEIGHT_BITS);
    ck_assert_uint_eq(r.w_load_bits, LENET_WEIGHT_BITS);
    ck_assert_uint_eq(r.w_evictions, 0); /* 400 to 12,000 bits a part: all fit */
    ck_assert_uint_eq(r.offchip_write_bits, 10 * 8); /* fc3's 10 outputs */
    /* Multicast: every packet reaches at least one core, most several. */
    ck_assert_uint_gt(r.noc.deliveries, r.packets);
    chip_result_free(&r);

    /* A time limit stops the run early and says so. */
    co.max_time_ps = r.end_ps / 2 + 1;
    ck_assert_int_eq(chip_run(s, p, &co, &r, &ce), 0);
    ck_assert(!r.complete);
    ck_assert_str_eq(r.stop_reason, "time limit reached");
    chip_result_free(&r);
    plan_free(p);
    cfg_scenario_free(s);
}
END_TEST

static double energy_of(const chip_result *r, const char *model, const char *component)
{
    double pj = 0;
    for (uint32_t i = 0; i < r->energy.n; i++)
        if (!strcmp(r->energy.items[i].model, model) &&
            !strcmp(r->energy.items[i].component, component))
            pj += r->energy.items[i].pj;
    return pj;
}

/* Every model gives its items: one "compute" per core (its CNs' energy,
 * which the layers add up to), the NoC's two, the memory's three. */
START_TEST(test_chip_energy_items_come_from_every_model)
{
    cfg_scenario *s = load_default();
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error pe;
    plan *p = plan_build(s, &o, NULL, &pe);
    ck_assert_ptr_nonnull(p);
    chip_options co = {0};
    chip_result r;
    base_error ce;
    ck_assert_msg(chip_run(s, p, &co, &r, &ce) == 0, "%s", ce.msg);
    ck_assert_uint_eq(r.energy.n, 4 + 3 + 2);
    const char *order[] = {"compute", "compute", "compute", "compute", "offchip_read",
                           "offchip_write", "offchip_static", "noc_router", "noc_link"};
    for (uint32_t i = 0; i < r.energy.n; i++)
        ck_assert_str_eq(r.energy.items[i].component, order[i]);
    ck_assert_str_eq(r.energy.items[0].model, "core 0");
    double layers = 0;
    for (uint32_t l = 0; l < r.n_layers; l++)
        layers += r.layers[l].energy_pj;
    ck_assert_double_eq_tol(model_energy_sum(&r.energy, "compute"), layers, 1e-9 * layers);
    ck_assert_double_eq_tol(energy_of(&r, "dram", "offchip_read"),
                            (8192 + LENET_WEIGHT_BITS) * 10.9, 1e-6);
    ck_assert_double_eq_tol(energy_of(&r, "dram", "offchip_write"), 80 * 11.7, 1e-6);
    ck_assert_double_eq_tol(energy_of(&r, "dram", "offchip_static"),
                            20 * 1e-3 * (double)r.end_ps, 1e-6);
    ck_assert_double_eq(energy_of(&r, "noc", "noc_router"), r.noc.router_energy_pj);
    chip_result_free(&r);

    /* Stopped at 1 ns, before the DRAM's 50 ns latency: nothing was read,
     * so nothing is paid for reading (it used to be the whole input). */
    co.max_time_ps = 1000;
    ck_assert_int_eq(chip_run(s, p, &co, &r, &ce), 0);
    ck_assert(!r.complete);
    ck_assert_uint_eq(r.offchip_read_bits, 0);
    ck_assert_double_eq(energy_of(&r, "dram", "offchip_read"), 0.0);
    chip_result_free(&r);
    plan_free(p);
    cfg_scenario_free(s);
}
END_TEST

/* Every listed memory is a model on its own terminal: the input can come
 * from, and the outputs go to, any of them; the others only leak. */
START_TEST(test_chip_reads_and_writes_any_listed_memory)
{
    cfg_scenario *s = load_default();
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error pe;
    plan *p = plan_build(s, &o, NULL, &pe);
    ck_assert_ptr_nonnull(p);
    cfg_offchip *keep = s->chip->memories;
    cfg_offchip mems[3] = {keep[0], keep[0], keep[0]};
    snprintf(mems[1].name, sizeof mems[1].name, "sram");
    mems[1].x = mems[1].y = 1; /* at core 3's router */
    mems[1].latency_ns = 10;
    mems[1].read_energy_pj_per_bit = 1.0;
    mems[1].write_energy_pj_per_bit = 2.0;
    mems[1].static_power_mw = 0;
    snprintf(mems[2].name, sizeof mems[2].name, "mram"); /* a second one at (0,0) */
    s->chip->memories = mems;
    s->chip->n_memories = 3;
    chip_options co = {.input_memory = 1, .output_memory = 2};
    chip_result r, r0;
    base_error ce;
    ck_assert_msg(chip_run(s, p, &co, &r, &ce) == 0, "%s", ce.msg);
    ck_assert(r.complete);
    /* the weights stay in the DRAM the plan placed them in */
    ck_assert_double_eq_tol(energy_of(&r, "dram", "offchip_read"), LENET_WEIGHT_BITS * 10.9,
                            1e-6);
    ck_assert_double_eq(energy_of(&r, "dram", "offchip_write"), 0.0);
    ck_assert_double_eq_tol(energy_of(&r, "sram", "offchip_read"), 8192 * 1.0, 1e-9);
    ck_assert_double_eq(energy_of(&r, "sram", "offchip_write"), 0.0);
    ck_assert_double_eq_tol(energy_of(&r, "mram", "offchip_write"), 80 * 11.7, 1e-6);
    ck_assert_uint_eq(r.offchip_read_bits, 8192 + LENET_WEIGHT_BITS);
    ck_assert_uint_eq(r.offchip_write_bits, 80);
    co.input_memory = co.output_memory = 0;
    ck_assert_msg(chip_run(s, p, &co, &r0, &ce) == 0, "%s", ce.msg);
    /* 10 ns instead of 50 before the first packet: conv1 starts earlier. */
    ck_assert_uint_lt(r.layers[0].start_ps, r0.layers[0].start_ps);
    chip_result_free(&r);
    chip_result_free(&r0);

    co.input_memory = 3;
    ck_assert_int_eq(chip_run(s, p, &co, &r, &ce), -1);
    ck_assert_msg(strstr(ce.msg, "out of range") != NULL, "%s", ce.msg);
    s->chip->memories = keep;
    s->chip->n_memories = 1;
    plan_free(p);
    cfg_scenario_free(s);
}
END_TEST

/* Out of memory anywhere in a chip run -- from its first allocation to
 * its last, one at a time and every one after it -- is an error with a
 * message, never a crash or a leak (ASan's leak check in `make test`).
 * With a trace, a failure the run can do without (one arrow fewer) may
 * also end in success. Returns how many allocations the run makes. */
#define CHIP_OOM_DENSE 1200
#define CHIP_OOM_STEP 7
static int fail_every_allocation(const cfg_scenario *s, const plan *p, int traced)
{
    chip_result r;
    base_error ce;
    int n, tried = 0;
    /* Every N up to CHIP_OOM_DENSE (set-up: models, routes, trace tracks),
     * then every CHIP_OOM_STEP-th: the rest repeats the same few sites
     * (packets, CN slices, trace buffers) thousands of times, and the
     * ASan pass of a full sweep took two minutes. */
    for (n = 0; n < 100000; n += n < CHIP_OOM_DENSE ? 1 : CHIP_OOM_STEP, tried++) {
        chip_options co = {0};
        base_error te;
        trc_options to;
        trc_options_default(&to);
        if (traced)
            ck_assert_ptr_nonnull(co.trace = trc_open("build/test_chip_oom.pftrace", &to, &te));
        base_alloc_fail_at(n, 1);
        int rc = chip_run(s, p, &co, &r, &ce);
        int injected = base_alloc_injected();
        base_alloc_fail_at(-1, 0);
        trc_abort(co.trace);
        if (rc == 0) {
            chip_result_free(&r);
            if (!injected)
                break;
            continue;
        }
        ck_assert_msg(ce.msg[0] != '\0', "allocation %d: no message", n);
        ck_assert_ptr_null(r.layers);
    }
    ck_assert_int_lt(n, 100000);
    printf("chip oom%s: %d values of N tried (every N up to %d, then every %dth) of about %d "
           "allocations\n", traced ? " (traced)" : "", tried + 1, CHIP_OOM_DENSE, CHIP_OOM_STEP, n);
    return n;
}

START_TEST(test_chip_run_fails_cleanly_at_every_allocation)
{
    cfg_scenario *s = load_default();
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error pe;
    plan *p = plan_build(s, &o, NULL, &pe);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_gt(fail_every_allocation(s, p, 0), 10);
    ck_assert_int_gt(fail_every_allocation(s, p, 1), 10);
    ck_assert_int_ne(access("build/test_chip_oom.pftrace", F_OK), 0); /* never left */
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
    tcase_add_test(tc, test_chip_energy_items_come_from_every_model);
    tcase_add_test(tc, test_chip_reads_and_writes_any_listed_memory);
    tcase_add_test(tc, test_chip_run_fails_cleanly_at_every_allocation);
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
