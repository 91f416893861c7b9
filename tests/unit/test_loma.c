/* test_loma.c -- the LOMA mapper on a small hand-built conv layer and core:
 * search size (distinct multiset permutations, lpf merging, bound),
 * consistency of the result, the criteria, the cost cache, and the errors
 * for bad input. Exactness against ZigZag is checked end to end by
 * tests/e2e/loma_reference.sh. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "loma/loma.h"

enum { K = 0, C = 1, OX = 2, FX = 3 };

static void add_port(loma_memory *m, const char *name, bool rd, bool wr, uint64_t bw, int op0,
                     int d0, int op1, int d1)
{
    loma_port *p = &m->port[m->n_ports++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->can_read = rd;
    p->can_write = wr;
    p->bw_min_bits = bw;
    p->bw_max_bits = bw;
    p->alloc_op[p->n_alloc] = op0;
    p->alloc_dir[p->n_alloc++] = d0;
    if (op1 >= 0) {
        p->alloc_op[p->n_alloc] = op1;
        p->alloc_dir[p->n_alloc++] = d1;
    }
}

/* O[k][ox] += W[k][c][fx] * I[c][ix], ix = ox + fx; K4 C2 OX4 FX3. */
static void make_layer(loma_layer *l)
{
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "small_conv");
    l->n_dims = 4;
    const char *names[4] = {"K", "C", "OX", "FX"};
    const uint64_t sizes[4] = {4, 2, 4, 3};
    for (int d = 0; d < 4; d++) {
        snprintf(l->dim_name[d], sizeof l->dim_name[d], "%s", names[d]);
        l->dim_size[d] = sizes[d];
    }
    snprintf(l->op_name[0], sizeof l->op_name[0], "O");
    snprintf(l->op_name[1], sizeof l->op_name[1], "W");
    snprintf(l->op_name[2], sizeof l->op_name[2], "I");
    l->relevant[LOMA_OP_O][K] = l->relevant[LOMA_OP_O][OX] = true;
    l->relevant[LOMA_OP_W][K] = l->relevant[LOMA_OP_W][C] = l->relevant[LOMA_OP_W][FX] = true;
    l->relevant[LOMA_OP_I][C] = true;
    l->n_pr = 1;
    snprintf(l->pr[0].name, sizeof l->pr[0].name, "IX");
    l->pr[0].op = LOMA_OP_I;
    l->pr[0].dim_a = OX;
    l->pr[0].dim_b = FX;
    l->pr[0].sa = 1;
    l->pr[0].sb = 1;
    l->pr[0].total = 6;
    l->prec_bits[LOMA_OP_O] = 16;
    l->prec_bits[LOMA_OP_W] = 8;
    l->prec_bits[LOMA_OP_I] = 8;
    l->prec_final_bits = 8;
}

/* A 4-PE array: a weight register per PE, a buffer for I and O shared
 * over the array, a DRAM for everything. */
static void make_core(loma_core *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "tiny");
    c->n_oa = 1;
    snprintf(c->oa_name[0], sizeof c->oa_name[0], "D1");
    c->oa_size[0] = 4;
    c->mac_energy_pj = 0.5;
    c->n_mems = 3;
    loma_memory *rf = &c->mem[0], *buf = &c->mem[1], *dram = &c->mem[2];
    snprintf(rf->name, sizeof rf->name, "w_rf");
    rf->size_bits = 64;
    rf->r_cost_pj = rf->w_cost_pj = 0.1;
    rf->n_ops = 1;
    rf->ops[0] = LOMA_OP_W;
    add_port(rf, "r_port_1", true, false, 8, LOMA_OP_W, LOMA_TL, -1, 0);
    add_port(rf, "w_port_1", false, true, 8, LOMA_OP_W, LOMA_FH, -1, 0);
    snprintf(buf->name, sizeof buf->name, "buf");
    buf->size_bits = 4096;
    buf->r_cost_pj = buf->w_cost_pj = 2;
    buf->n_ops = 2;
    buf->ops[0] = LOMA_OP_I;
    buf->ops[1] = LOMA_OP_O;
    buf->served_mask = 1;
    add_port(buf, "r_port_1", true, false, 64, LOMA_OP_I, LOMA_TL, LOMA_OP_O, LOMA_TL);
    buf->port[0].alloc_op[2] = LOMA_OP_O;
    buf->port[0].alloc_dir[2] = LOMA_TH;
    buf->port[0].n_alloc = 3;
    add_port(buf, "w_port_1", false, true, 64, LOMA_OP_I, LOMA_FH, LOMA_OP_O, LOMA_FH);
    buf->port[1].alloc_op[2] = LOMA_OP_O;
    buf->port[1].alloc_dir[2] = LOMA_FL;
    buf->port[1].n_alloc = 3;
    snprintf(dram->name, sizeof dram->name, "dram");
    dram->size_bits = 1e9;
    dram->r_cost_pj = 100;
    dram->w_cost_pj = 120;
    dram->n_ops = 3;
    dram->ops[0] = LOMA_OP_I;
    dram->ops[1] = LOMA_OP_W;
    dram->ops[2] = LOMA_OP_O;
    dram->served_mask = 1;
    loma_port *p = &dram->port[dram->n_ports++];
    snprintf(p->name, sizeof p->name, "rw_port_1");
    p->can_read = p->can_write = true;
    p->bw_min_bits = p->bw_max_bits = 32;
    for (int op = 0; op < LOMA_N_OPS; op++)
        for (int d = 0; d < LOMA_N_DIRS; d++) {
            if (op != LOMA_OP_O && (d == LOMA_FL || d == LOMA_TH))
                continue;
            p->alloc_op[p->n_alloc] = op;
            p->alloc_dir[p->n_alloc++] = d;
        }
}

static void make_spatial(loma_spatial *s, uint64_t k_unroll)
{
    memset(s, 0, sizeof *s);
    s->n_unrolls[0] = 1;
    s->dim[0][0] = K;
    s->factor[0][0] = k_unroll;
}

static loma_layer L;
static loma_core CO;
static loma_spatial SP;
static loma_result R;
static base_error E;

static void setup(void)
{
    make_layer(&L);
    make_core(&CO);
    make_spatial(&SP, 4);
}

START_TEST(test_maps_small_conv_consistently)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), 0);
    /* temporal loops left: C2, OX 2*2, FX3 -> 4!/2! distinct orderings */
    ck_assert_uint_eq(R.orderings_evaluated, 12);
    ck_assert_uint_eq(R.orderings_skipped, 0);
    ck_assert_double_eq(R.mac_count, 96);
    ck_assert_double_eq(R.ideal_cycles, 24);
    ck_assert_double_eq(R.ideal_temporal_cycles, 24);
    ck_assert(R.latency_cycles >= R.ideal_temporal_cycles);
    ck_assert_double_eq_tol(R.mac_energy_pj, 48, 1e-9);
    ck_assert_double_eq_tol(R.energy_pj, R.mac_energy_pj + R.mem_energy_pj, 1e-6);
    /* each operand's levels hold every temporal loop exactly once */
    for (int op = 0; op < LOMA_N_OPS; op++) {
        double prod = 1;
        for (int lv = 0; lv < R.n_levels[op]; lv++)
            for (int i = 0; i < R.n_loops[op][lv]; i++)
                prod *= R.loops[op][lv][i].size;
        ck_assert_double_eq(prod, 24);
    }
    ck_assert_int_eq(R.n_levels[LOMA_OP_W], 2);
    ck_assert_int_eq(R.n_levels[LOMA_OP_O], 2);
    ck_assert_int_eq(R.n_spatial, 1);
    ck_assert_double_eq(R.sp_loop[0].size, 4);
}
END_TEST

START_TEST(test_lpf_limit_merges_smallest_factors)
{
    /* limit 3: OX's two 2s merge into one 4 -> 3! orderings */
    ck_assert_uint_eq(loma_count_orderings(&L, &CO, &SP, 3), 6);
    /* a limit below the number of temporal dims is raised to it */
    ck_assert_uint_eq(loma_count_orderings(&L, &CO, &SP, 1), 6);
    ck_assert_uint_eq(loma_count_orderings(&L, &CO, &SP, 6), 12);
}
END_TEST

START_TEST(test_huge_lpf_count_is_bounded)
{
    /* 2^30 on one dim: 30 prime factors, more than the set keeps */
    L.dim_size[C] = 1u << 30;
    CO.mem[2].size_bits = 1e15;
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 24, .max_orderings = 1000, .threads = 0};
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), 0);
    ck_assert_uint_eq(R.orderings_evaluated, 1000);
    ck_assert_uint_gt(R.orderings_skipped, 0);
    double prod = 1;
    for (int i = 0; i < R.n_order; i++)
        prod *= R.order[i].size;
    ck_assert_double_eq(prod, (double)(1u << 30) * 4 * 3); /* C * OX * FX */
}
END_TEST

START_TEST(test_search_bound_reports_skipped)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 5, .threads = 0};
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), 0);
    ck_assert_uint_eq(R.orderings_evaluated, 5);
    ck_assert_uint_eq(R.orderings_skipped, 7);
}
END_TEST

START_TEST(test_energy_criterion_never_costs_more_energy)
{
    loma_options ol = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0}, oe = {.criterion = LOMA_CRIT_ENERGY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    loma_result re;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &ol, &R, &E), 0);
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &oe, &re, &E), 0);
    ck_assert(re.energy_pj <= R.energy_pj);
    ck_assert(R.latency_cycles <= re.latency_cycles);
}
END_TEST

START_TEST(test_same_inputs_same_result)
{
    loma_options o = {.criterion = LOMA_CRIT_EDP, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    loma_result r2;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), 0);
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &r2, &E), 0);
    R.wall_s = r2.wall_s = 0;
    ck_assert(!memcmp(&R, &r2, sizeof R));
}
END_TEST

START_TEST(test_threads_give_the_same_result)
{
    loma_options o1 = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 8, .max_orderings = 0, .threads = 1}, o3 = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 8, .max_orderings = 0, .threads = 3};
    loma_result r3;
    /* more orderings (C 2*3, OX 2*2*3, FX 5: 6!/2! = 360), so the work is
     * really split */
    L.dim_size[C] = 6;
    L.dim_size[OX] = 12;
    L.dim_size[FX] = 5;
    L.pr[0].total = 16;
    CO.mem[0].size_bits = 1024;
    CO.mem[1].size_bits = 1 << 16;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o1, &R, &E), 0);
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o3, &r3, &E), 0);
    ck_assert_uint_gt(R.orderings_evaluated, 200);
    R.wall_s = r3.wall_s = 0;
    ck_assert(!memcmp(&R, &r3, sizeof R));
}
END_TEST

START_TEST(test_cache_maps_each_shape_once)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    loma_cache *c = loma_cache_new();
    const loma_result *a, *b;
    ck_assert_ptr_null(loma_cache_get(c, &L, 0, &SP, &o));
    ck_assert_int_eq(loma_cache_map(c, &L, &CO, 0, &SP, &o, &a, &E), 0);
    ck_assert_int_eq(loma_cache_map(c, &L, &CO, 0, &SP, &o, &b, &E), 0);
    ck_assert_ptr_eq(a, b);
    ck_assert_uint_eq(loma_cache_count(c), 1);
    ck_assert_uint_eq(loma_cache_hits(c), 1);
    /* another core type or another shape is another entry */
    ck_assert_int_eq(loma_cache_map(c, &L, &CO, 1, &SP, &o, &b, &E), 0);
    L.dim_size[K] = 8;
    ck_assert_int_eq(loma_cache_map(c, &L, &CO, 0, &SP, &o, &b, &E), 0);
    ck_assert_uint_eq(loma_cache_count(c), 3);
    /* leaving the array dim to the mapper is another key too */
    loma_spatial fr = SP;
    fr.free_oa[0] = true; /* same unroll fields, but free: must not hit */
    ck_assert_ptr_null(loma_cache_get(c, &L, 0, &fr, &o));
    ck_assert_double_eq(b->mac_count, 192);
    loma_cache_free(c);
}
END_TEST

START_TEST(test_cache_persists_across_runs)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    char path[] = "build/test_loma_cache.bin";
    loma_cache *a = loma_cache_new();
    const loma_result *r;
    ck_assert_int_eq(loma_cache_map(a, &L, &CO, 0, &SP, &o, &r, &E), 0);
    double lat = r->latency_cycles;
    ck_assert_int_eq(loma_cache_save(a, path, &E), 0);
    loma_cache_free(a);
    loma_cache *b = loma_cache_new();
    ck_assert_int_eq(loma_cache_load(b, path, &E), 0);
    ck_assert_uint_eq(loma_cache_count(b), 1);
    r = loma_cache_get(b, &L, 0, &SP, &o);
    ck_assert_ptr_nonnull(r);
    ck_assert_double_eq(r->latency_cycles, lat);
    loma_cache_free(b);
    /* a file that is not a cache is refused */
    FILE *f = fopen(path, "wb");
    fputs("not a cache", f);
    fclose(f);
    b = loma_cache_new();
    ck_assert_int_eq(loma_cache_load(b, path, &E), -1);
    ck_assert_ptr_nonnull(strstr(E.msg, "not an evsim mapping cache"));
    loma_cache_free(b);
    remove(path);
}
END_TEST

START_TEST(test_zero_sized_loop_is_an_error)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    L.dim_size[C] = 0;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), -1);
    ck_assert_ptr_nonnull(strstr(E.msg, "small_conv"));
    ck_assert_ptr_nonnull(strstr(E.msg, "size 0"));
}
END_TEST

START_TEST(test_zero_precision_output_is_an_error)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    L.prec_final_bits = 0;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), -1);
    ck_assert_ptr_nonnull(strstr(E.msg, "operand O"));
}
END_TEST

START_TEST(test_spatial_beyond_array_is_an_error)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    make_spatial(&SP, 8);
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), -1);
    ck_assert_ptr_nonnull(strstr(E.msg, "exceeds the array"));
}
END_TEST

START_TEST(test_spatial_beyond_layer_dim_is_clipped)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    L.dim_size[K] = 3; /* ZigZag reduces the unroll to the dim's size */
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), 0);
    ck_assert_double_eq(R.sp_loop[0].size, 3);
}
END_TEST

START_TEST(test_layer_too_big_for_top_memory_is_an_error)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    CO.mem[2].size_bits = 100; /* dram cannot hold the whole layer */
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), -1);
    ck_assert_ptr_nonnull(strstr(E.msg, "small_conv"));
    ck_assert_ptr_nonnull(strstr(E.msg, "dram"));
    ck_assert_ptr_nonnull(strstr(E.msg, "operand"));
}
END_TEST

START_TEST(test_missing_port_direction_names_operand_and_level)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    CO.mem[0].n_ports = 1; /* the weight RF loses its write port (fh) */
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), -1);
    ck_assert_ptr_nonnull(strstr(E.msg, "operand W"));
    ck_assert_ptr_nonnull(strstr(E.msg, "w_rf"));
    ck_assert_ptr_nonnull(strstr(E.msg, "fh"));
}
END_TEST

START_TEST(test_free_oa_dim_generates_candidates)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    memset(&SP, 0, sizeof SP);
    SP.free_oa[0] = true;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), 0);
    ck_assert_int_eq(R.n_spatial_candidates, LOMA_SPATIAL_CANDIDATES);
    /* the best candidates fill the 4-PE array */
    ck_assert_int_eq(R.n_spatial, 1);
    ck_assert_double_eq(R.sp_loop[0].size, 4);
    ck_assert_double_eq(R.spatial_utilization, 1);
    /* a fixed K unroll is one of the candidates, so the free search is
     * never worse than it */
    loma_result fixed;
    make_spatial(&SP, 4);
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &fixed, &E), 0);
    ck_assert(R.latency_cycles <= fixed.latency_cycles);
}
END_TEST

START_TEST(test_mixed_unrolling_on_one_array_dim)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    memset(&SP, 0, sizeof SP);
    SP.n_unrolls[0] = 2; /* D1: [K, 2], [C, 2] */
    SP.dim[0][0] = K;
    SP.factor[0][0] = 2;
    SP.dim[0][1] = C;
    SP.factor[0][1] = 2;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), 0);
    ck_assert_int_eq(R.n_spatial, 2);
    ck_assert_double_eq(R.spatial_utilization, 1);
    ck_assert_double_eq(R.ideal_temporal_cycles, 24); /* K2 OX4 FX3 left */
}
END_TEST

START_TEST(test_fixed_ordering_costs_that_ordering)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &o, &R, &E), 0);
    /* the searched winner, given back as a fixed order, costs the same */
    loma_order ord = {0};
    for (int i = 0; i < R.n_order; i++) {
        ord.dim[i] = R.order[i].dim;
        ord.size[i] = (uint64_t)R.order[i].size;
    }
    ord.n = R.n_order;
    loma_result f;
    ck_assert_int_eq(loma_map_ordering(&L, &CO, &SP, &ord, &f, &E), 0);
    ck_assert_uint_eq(f.orderings_evaluated, 1);
    ck_assert_double_eq(f.latency_cycles, R.latency_cycles);
    ck_assert_double_eq(f.energy_pj, R.energy_pj);
    /* size 0 = the rest of the dim */
    loma_order rest = {3, {C, OX, FX}, {0, 0, 0}};
    ck_assert_int_eq(loma_map_ordering(&L, &CO, &SP, &rest, &f, &E), 0);
    ck_assert_double_eq(f.ideal_temporal_cycles, 24);
    /* an ordering that does not divide or does not cover is refused */
    loma_order bad = {2, {C, OX}, {3, 0}};
    ck_assert_int_eq(loma_map_ordering(&L, &CO, &SP, &bad, &f, &E), -1);
    ck_assert_ptr_nonnull(strstr(E.msg, "does not divide"));
    loma_order part = {2, {C, OX}, {2, 4}};
    ck_assert_int_eq(loma_map_ordering(&L, &CO, &SP, &part, &f, &E), -1);
    ck_assert_ptr_nonnull(strstr(E.msg, "FX uncovered"));
}
END_TEST

/* loma_cost: a fixed ordering goes through the cache under its own key,
 * so a search for the same shape is not served its cost (nor the other
 * way round), and a cached result carries the same notes as a fresh one. */
START_TEST(test_cost_caches_fixed_orderings_apart_from_searches)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    loma_order rest = {3, {C, OX, FX}, {0, 0, 0}};
    loma_cache *c = loma_cache_new();
    loma_job search = {.layer = &L, .core = &CO, .core_id = 0, .sp = &SP, .opt = &o};
    loma_job fixed = search;
    fixed.order = &rest;
    loma_costed a, b, f, g;
    ck_assert_int_eq(loma_cost(c, &search, NULL, &a, &E), 0);
    ck_assert_int_eq(loma_cost(c, &fixed, NULL, &f, &E), 0);
    ck_assert(!a.from_cache && !f.from_cache);
    ck_assert_ptr_ne(a.r, f.r);
    ck_assert_uint_eq(f.r->orderings_evaluated, 1);
    ck_assert_uint_eq(loma_cache_count(c), 2);
    /* the search options do not change a fixed ordering's cost: found */
    loma_options e = {.criterion = LOMA_CRIT_ENERGY, .lpf_limit = 4, .max_orderings = 0, .threads = 0};
    fixed.opt = &e;
    ck_assert_int_eq(loma_cost(c, &fixed, NULL, &g, &E), 0);
    ck_assert(g.from_cache);
    ck_assert_ptr_eq(g.r, f.r);
    ck_assert_int_eq(loma_cost(c, &search, NULL, &b, &E), 0);
    ck_assert(b.from_cache);
    ck_assert_ptr_eq(b.r, a.r);
    ck_assert(!memcmp(&a.notes, &b.notes, sizeof a.notes));
    /* without a cache the result lands in the caller's own */
    loma_result own;
    ck_assert_int_eq(loma_cost(NULL, &fixed, &own, &g, &E), 0);
    ck_assert_ptr_eq(g.r, &own);
    ck_assert_double_eq(own.latency_cycles, f.r->latency_cycles);
    loma_cache_free(c);
}
END_TEST

/* A partial ordering is noted and searched; an unroll larger than the
 * layer dim is noted with what was used. */
START_TEST(test_cost_notes)
{
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    L.dim_size[K] = 3; /* the unroll of 4 is reduced to 3 */
    loma_job job = {.layer = &L, .core = &CO, .sp = &SP, .opt = &o, .order_partial = true};
    loma_costed c;
    ck_assert_int_eq(loma_cost(NULL, &job, &R, &c, &E), 0);
    ck_assert(c.notes.order_not_applied);
    ck_assert_int_eq(c.notes.n_reduced, 1);
    ck_assert_uint_eq(c.notes.reduced[0].asked, 4);
    ck_assert_double_eq(c.notes.reduced[0].used_max, 3);
    char buf[512];
    bool warn;
    ck_assert_int_eq(loma_note_text(&c.notes, 0, &L, &CO, buf, sizeof buf, &warn), 1);
    ck_assert_ptr_nonnull(strstr(buf, "not applied"));
    ck_assert_int_eq(loma_note_text(&c.notes, 1, &L, &CO, buf, sizeof buf, &warn), 1);
    ck_assert_ptr_nonnull(strstr(buf, "reduced to"));
    ck_assert(!warn);
    ck_assert_int_eq(loma_note_text(&c.notes, 2, &L, &CO, buf, sizeof buf, &warn), 0);
    /* merged over CNs: one line, with the range used */
    loma_notes m = c.notes;
    loma_notes other = c.notes;
    other.reduced[0].used_min = other.reduced[0].used_max = 1;
    loma_notes_merge(&m, &other);
    ck_assert_int_eq(m.n_reduced, 1);
    ck_assert_double_eq(m.reduced[0].used_min, 1);
    ck_assert_int_eq(loma_note_text(&m, 1, &L, &CO, buf, sizeof buf, &warn), 1);
    ck_assert_ptr_nonnull(strstr(buf, "reduced to 1.."));
}
END_TEST

/* ---- ZigZag on ports with bandwidth_min < bandwidth_max and a K that
 * does not divide the array: LeNet's fc2 (120 -> 84, 16 bit) on the
 * 8-NPE core of the reference (inputMem / sram / dram, all served over
 * D1), its sram ports 16..128 bits, its dram ports 8..32. K 84 on 8 PEs
 * runs 11 temporal steps, 84 / 11 = 7.64 per PE. Figures of ZigZag
 * 3d12a96e (the reference's version), run on this case: 4,779 cycles
 * (1,320 temporal + 3,000 stall on dram r_port_2, W's reads; sram w_port_1
 * -150; on-loading 420, off-loading 39), 3,675,391.4 pJ. Its allocator
 * keeps all of W's C loops in the sram: those slices tie in exact
 * arithmetic, and the tie goes to the last one only with ZigZag's
 * rounding of the fractional sizes (evsim had 4,699: only C 2 there). */

static void npe8_port(loma_memory *m, const char *name, bool rd, uint64_t bmin, uint64_t bmax,
                      int op0, int d0, int op1, int d1)
{
    loma_port *p = &m->port[m->n_ports++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->can_read = rd;
    p->can_write = !rd;
    p->bw_min_bits = bmin;
    p->bw_max_bits = bmax;
    p->alloc_op[p->n_alloc] = op0;
    p->alloc_dir[p->n_alloc++] = d0;
    if (op1 >= 0) {
        p->alloc_op[p->n_alloc] = op1;
        p->alloc_dir[p->n_alloc++] = d1;
    }
}

static void npe8_mem(loma_memory *m, const char *name, double bits, double r, double w, int nops,
                     const int *ops)
{
    snprintf(m->name, sizeof m->name, "%s", name);
    m->size_bits = bits;
    m->r_cost_pj = r;
    m->w_cost_pj = w;
    m->n_ops = nops;
    for (int i = 0; i < nops; i++)
        m->ops[i] = ops[i];
    m->served_mask = 1;
}

static void make_npe8_core(loma_core *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "npe8_bwmin");
    c->n_oa = 1;
    snprintf(c->oa_name[0], sizeof c->oa_name[0], "D1");
    c->oa_size[0] = 8;
    c->mac_energy_pj = 0.04;
    c->n_mems = 3;
    const int O = LOMA_OP_O, W = LOMA_OP_W, I = LOMA_OP_I;
    loma_memory *in = &c->mem[0], *sram = &c->mem[1], *dram = &c->mem[2];
    npe8_mem(in, "inputMem_16KB", 131072, 10.5, 12.8, 1, (int[]){I});
    npe8_port(in, "r_port_1", true, 128, 128, I, LOMA_TL, -1, 0);
    npe8_port(in, "w_port_1", false, 128, 128, I, LOMA_FH, -1, 0);
    npe8_mem(sram, "sram_16KB", 131072, 10.5, 12.8, 2, (int[]){W, O});
    npe8_port(sram, "r_port_1", true, 16, 128, W, LOMA_TL, -1, 0);
    npe8_port(sram, "r_port_2", true, 16, 128, O, LOMA_TL, O, LOMA_TH);
    npe8_port(sram, "w_port_1", false, 16, 128, W, LOMA_FH, -1, 0);
    npe8_port(sram, "w_port_2", false, 16, 128, O, LOMA_FH, O, LOMA_FL);
    npe8_mem(dram, "dram", 1e10, 700, 750, 3, (int[]){I, W, O});
    npe8_port(dram, "r_port_1", true, 8, 32, I, LOMA_TL, -1, 0);
    npe8_port(dram, "r_port_2", true, 8, 32, W, LOMA_TL, -1, 0);
    npe8_port(dram, "r_port_3", true, 8, 32, O, LOMA_TL, O, LOMA_TH);
    npe8_port(dram, "w_port_1", false, 8, 32, I, LOMA_FH, -1, 0);
    npe8_port(dram, "w_port_2", false, 8, 32, W, LOMA_FH, -1, 0);
    npe8_port(dram, "w_port_3", false, 8, 32, O, LOMA_FH, O, LOMA_FL);
}

/* O[k] += W[k][c] * I[c]: K 84, C 120, 16 bit throughout. */
static void make_fc2_layer(loma_layer *l)
{
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "lenet_fc2_16b");
    l->n_dims = 2;
    snprintf(l->dim_name[0], sizeof l->dim_name[0], "K");
    snprintf(l->dim_name[1], sizeof l->dim_name[1], "C");
    l->dim_size[0] = 84;
    l->dim_size[1] = 120;
    snprintf(l->op_name[0], sizeof l->op_name[0], "O");
    snprintf(l->op_name[1], sizeof l->op_name[1], "W");
    snprintf(l->op_name[2], sizeof l->op_name[2], "I");
    l->relevant[LOMA_OP_O][0] = true;
    l->relevant[LOMA_OP_W][0] = l->relevant[LOMA_OP_W][1] = true;
    l->relevant[LOMA_OP_I][1] = true;
    for (int op = 0; op < LOMA_N_OPS; op++)
        l->prec_bits[op] = 16;
    l->prec_final_bits = 16;
}

START_TEST(test_zigzag_bw_min_and_fractional_unroll)
{
    loma_layer fc;
    loma_core npe;
    loma_spatial sp;
    make_fc2_layer(&fc);
    make_npe8_core(&npe);
    make_spatial(&sp, 8);
    sp.dim[0][0] = 0; /* K */
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6, .max_orderings = 0, .threads = 0};
    ck_assert_msg(loma_map(&fc, &npe, &sp, &o, &R, &E) == 0, "%s", E.msg);
    ck_assert_double_eq(R.ideal_temporal_cycles, 1320);
    ck_assert_double_eq(R.stall_cycles, 3000);
    ck_assert_double_eq(R.onload_cycles, 420);
    ck_assert_double_eq(R.offload_cycles, 39);
    ck_assert_double_eq(R.latency_cycles, 4779);
    ck_assert_double_eq_tol(R.energy_pj, 3675391.4, 0.05);
}
END_TEST

/* Stream's objective on a mapping, recomputed from the result's own
 * bandwidths: the top level's (the DRAM's) use by the ops in mask, in
 * port widths (32 bits), times the latency truncated. */
static double stream_objective_of(const loma_result *r, unsigned mask)
{
    double used = 0, bw[LOMA_N_DIRS];
    for (int op = 0; op < LOMA_N_OPS; op++) {
        if (!(mask & (1u << op)))
            continue;
        loma_inst_bandwidth(r, &CO, op, r->n_levels[op] - 1, 1, bw);
        for (int d = 0; d < LOMA_N_DIRS; d++)
            used += bw[d];
    }
    return mask ? ceil(used / 32) * trunc(r->latency_cycles) : trunc(r->latency_cycles);
}

START_TEST(test_stream_criterion_first_minimum_of_bandwidth_times_latency)
{
    loma_options lat = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    loma_options st = {.criterion = LOMA_CRIT_STREAM, .lpf_limit = 6, .broadcast_op = -1};
    loma_result a, b, c;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &lat, &a, &E), 0);
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &st, &b, &E), 0);
    /* no DRAM operands: the latency truncated, the first mapping reaching
     * it winning (no energy tie-break) */
    ck_assert_double_eq(b.objective, trunc(b.latency_cycles));
    ck_assert_double_eq(trunc(b.latency_cycles), trunc(a.latency_cycles));
    ck_assert_uint_le(b.chosen_index, a.chosen_index);
    st.dram_ops = 1u << LOMA_OP_O | 1u << LOMA_OP_W | 1u << LOMA_OP_I;
    ck_assert_int_eq(loma_map(&L, &CO, &SP, &st, &c, &E), 0);
    ck_assert_double_eq(c.objective, stream_objective_of(&c, st.dram_ops));
    ck_assert_double_le(c.objective, stream_objective_of(&a, st.dram_ops));
    ck_assert_str_eq(loma_criterion_name(LOMA_CRIT_STREAM), "stream");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loma");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_maps_small_conv_consistently);
    tcase_add_test(tc, test_lpf_limit_merges_smallest_factors);
    tcase_add_test(tc, test_search_bound_reports_skipped);
    tcase_add_test(tc, test_huge_lpf_count_is_bounded);
    tcase_add_test(tc, test_energy_criterion_never_costs_more_energy);
    tcase_add_test(tc, test_same_inputs_same_result);
    tcase_add_test(tc, test_threads_give_the_same_result);
    tcase_add_test(tc, test_cache_maps_each_shape_once);
    tcase_add_test(tc, test_cache_persists_across_runs);
    tcase_add_test(tc, test_zero_sized_loop_is_an_error);
    tcase_add_test(tc, test_zero_precision_output_is_an_error);
    tcase_add_test(tc, test_spatial_beyond_array_is_an_error);
    tcase_add_test(tc, test_spatial_beyond_layer_dim_is_clipped);
    tcase_add_test(tc, test_layer_too_big_for_top_memory_is_an_error);
    tcase_add_test(tc, test_missing_port_direction_names_operand_and_level);
    tcase_add_test(tc, test_free_oa_dim_generates_candidates);
    tcase_add_test(tc, test_mixed_unrolling_on_one_array_dim);
    tcase_add_test(tc, test_fixed_ordering_costs_that_ordering);
    tcase_add_test(tc, test_cost_caches_fixed_orderings_apart_from_searches);
    tcase_add_test(tc, test_cost_notes);
    tcase_add_test(tc, test_zigzag_bw_min_and_fractional_unroll);
    tcase_add_test(tc, test_stream_criterion_first_minimum_of_bandwidth_times_latency);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
