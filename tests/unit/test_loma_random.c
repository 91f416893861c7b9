/* test_loma_random.c -- the mapper on a thousand pseudo-random layers
 * and cores (fixed seed, so the run is the same every time): it either
 * maps with self-consistent figures or refuses with a message; never a
 * crash, a hang or a sanitizer report. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "loma/loma.h"

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

static void port(loma_memory *m, bool rd, bool wr, uint64_t bw, uint64_t bwmin)
{
    loma_port *p = &m->port[m->n_ports++];
    snprintf(p->name, sizeof p->name, "p%d", m->n_ports);
    p->can_read = rd;
    p->can_write = wr;
    p->bw_max_bits = bw;
    p->bw_min_bits = bwmin;
}

static void alloc(loma_port *p, int op, int dir)
{
    p->alloc_op[p->n_alloc] = op;
    p->alloc_dir[p->n_alloc++] = dir;
}

/* conv-like layer O[k][ox] += W[k][c][fx] * I[c][ix] with random sizes,
 * strides and precisions */
static void random_layer(loma_layer *l)
{
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "rnd");
    const char *n[4] = {"K", "C", "OX", "FX"};
    const uint64_t choices[] = {1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 28, 30, 64};
    l->n_dims = 4;
    for (int d = 0; d < 4; d++) {
        snprintf(l->dim_name[d], sizeof l->dim_name[d], "%s", n[d]);
        l->dim_size[d] = choices[rnd(sizeof choices / sizeof choices[0])];
    }
    l->relevant[0][0] = l->relevant[0][2] = true;
    l->relevant[1][0] = l->relevant[1][1] = l->relevant[1][3] = true;
    l->relevant[2][1] = true;
    l->n_pr = 1;
    snprintf(l->pr[0].name, sizeof l->pr[0].name, "IX");
    l->pr[0].op = 2;
    l->pr[0].dim_a = 2;
    l->pr[0].dim_b = 3;
    l->pr[0].sa = 1 + rnd(2);
    l->pr[0].sb = 1;
    l->pr[0].total = (l->dim_size[2] - 1) * l->pr[0].sa + l->dim_size[3];
    const unsigned prec[] = {0, 4, 8, 16};
    l->prec_bits[0] = 16 + 8 * rnd(3);
    l->prec_bits[1] = prec[rnd(4)];
    l->prec_bits[2] = 8 * (1 + rnd(2));
    l->prec_final_bits = 8;
    snprintf(l->op_name[0], sizeof l->op_name[0], "O");
    snprintf(l->op_name[1], sizeof l->op_name[1], "W");
    snprintf(l->op_name[2], sizeof l->op_name[2], "I");
}

/* 1-2 OA dims; a register per PE for W and maybe O, a shared buffer for
 * I (and O), a DRAM for all; random sizes, widths and served dims */
static void random_core(loma_core *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "rndcore");
    c->n_oa = 1 + (int)rnd(2);
    for (int o = 0; o < c->n_oa; o++) {
        snprintf(c->oa_name[o], sizeof c->oa_name[o], "D%d", o + 1);
        c->oa_size[o] = 2u << rnd(4);
    }
    c->mac_energy_pj = 0.1;
    bool o_rf = rnd(2);
    int k = 0;
    loma_memory *m = &c->mem[k++];
    snprintf(m->name, sizeof m->name, "rf");
    m->size_bits = 8u << rnd(6);
    m->r_cost_pj = m->w_cost_pj = 0.05;
    m->ops[m->n_ops++] = 1;
    if (o_rf)
        m->ops[m->n_ops++] = 0;
    port(m, true, false, 8u << rnd(3), 8);
    port(m, false, true, 8u << rnd(3), 8);
    alloc(&m->port[0], 1, LOMA_TL);
    alloc(&m->port[1], 1, LOMA_FH);
    if (o_rf) {
        alloc(&m->port[0], 0, LOMA_TL);
        alloc(&m->port[0], 0, LOMA_TH);
        alloc(&m->port[1], 0, LOMA_FH);
        alloc(&m->port[1], 0, LOMA_FL);
    }
    m = &c->mem[k++];
    snprintf(m->name, sizeof m->name, "buf");
    m->size_bits = 1024u << rnd(8);
    m->r_cost_pj = 1;
    m->w_cost_pj = 1.2;
    m->served_mask = rnd(4);
    m->ops[m->n_ops++] = 2;
    m->ops[m->n_ops++] = 0;
    port(m, true, true, 32u << rnd(4), 32);
    alloc(&m->port[0], 2, LOMA_TL);
    alloc(&m->port[0], 2, LOMA_FH);
    alloc(&m->port[0], 0, LOMA_TL);
    alloc(&m->port[0], 0, LOMA_TH);
    alloc(&m->port[0], 0, LOMA_FH);
    alloc(&m->port[0], 0, LOMA_FL);
    m = &c->mem[k++];
    snprintf(m->name, sizeof m->name, "dram");
    m->size_bits = rnd(8) ? 1e12 : 4096;
    m->r_cost_pj = 100;
    m->w_cost_pj = 110;
    m->served_mask = 3;
    for (int op = 0; op < 3; op++)
        m->ops[m->n_ops++] = op;
    port(m, true, true, 64, 64);
    for (int op = 0; op < 3; op++) {
        alloc(&m->port[0], op, LOMA_TL);
        alloc(&m->port[0], op, LOMA_FH);
        if (op == 0) {
            alloc(&m->port[0], op, LOMA_TH);
            alloc(&m->port[0], op, LOMA_FL);
        }
    }
    c->n_mems = k;
}

START_TEST(test_random_layers_map_or_refuse_cleanly)
{
    rng_state = 12345;
    int mapped = 0, refused = 0;
    for (int it = 0; it < 1000; it++) {
        loma_layer l;
        loma_core c;
        loma_spatial sp;
        random_layer(&l);
        random_core(&c);
        memset(&sp, 0, sizeof sp);
        for (int o = 0; o < c.n_oa; o++) {
            if (rnd(4) == 0) {
                sp.free_oa[o] = true;
                continue;
            }
            sp.n_unrolls[o] = 1;
            sp.dim[o][0] = (int)rnd(4);
            sp.factor[o][0] = 1 + rnd((uint32_t)c.oa_size[o]);
        }
        loma_options opt = {.criterion = (loma_criterion)rnd(3), .lpf_limit = 4, .max_orderings = 0, .threads = (int)rnd(3)};
        loma_result r;
        base_error e;
        if (loma_map(&l, &c, &sp, &opt, &r, &e) != 0) {
            ck_assert_msg(strlen(e.msg) > 10, "refusal without a message");
            refused++;
            continue;
        }
        mapped++;
        ck_assert(isfinite(r.energy_pj) && r.energy_pj > 0);
        ck_assert_double_eq_tol(r.energy_pj, r.mac_energy_pj + r.mem_energy_pj,
                                1e-9 * r.energy_pj);
        ck_assert(r.ideal_temporal_cycles >= r.ideal_cycles);
        ck_assert(r.latency0_cycles >= r.ideal_temporal_cycles);
        ck_assert(r.orderings_valid >= 1 && r.orderings_valid <= r.orderings_evaluated);
        for (int op = 0; op < LOMA_N_OPS; op++) {
            double prod = 1;
            for (int lv = 0; lv < r.n_levels[op]; lv++)
                for (int i = 0; i < r.n_loops[op][lv]; i++)
                    prod *= r.loops[op][lv][i].size;
            ck_assert_double_eq(prod, r.ideal_temporal_cycles);
        }
    }
    /* the generator must exercise both outcomes */
    ck_assert_int_gt(mapped, 200);
    ck_assert_int_gt(refused, 20);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loma_random");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_layers_map_or_refuse_cleanly);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
