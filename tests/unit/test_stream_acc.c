/* test_stream_acc.c -- Stream accelerator files read as they are: the
 * cores and their kinds, the off-chip core, which connection serves each
 * ordered pair (the bus wins when listed last, the links when it comes
 * first: c7), and every bad input with its message and line:col. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "test_skip.h"

#define C1 "tests/data/stream/c1_resnet18_lbl_rr/"
#define REF "../shared/reference/stream/inputs/"
#define REF_C4 REF "c4_fsrcnn_fused_eyeriss_dual/eyeriss_like_dual_core.yaml"
#define REF_C7 REF "c7_resnet18_fused_rr_links/tpu_like_quad_core_links_win.yaml"

static const char *emsg(const base_errors *e, int i)
{
    static char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    return base_error_str(&e->items[i], buf, sizeof buf);
}

/* True when some error of e contains every one of the NULL-ended parts. */
static bool has_error(const base_errors *e, const char *const *parts)
{
    for (int i = 0; i < e->count; i++) {
        bool all = true;
        for (const char *const *p = parts; *p && all; p++)
            all = strstr(emsg(e, i), *p) != NULL;
        if (all)
            return true;
    }
    return false;
}

static void dump(const base_errors *e)
{
    for (int i = 0; i < e->count; i++)
        fprintf(stderr, "  %s\n", emsg(e, i));
}

#define ck_error(e, ...)                                                        \
    do {                                                                        \
        const char *const parts_[] = {__VA_ARGS__, NULL};                       \
        if (!has_error((e), parts_))                                            \
            dump(e);                                                            \
        ck_assert_msg(has_error((e), parts_), "expected error: %s", parts_[0]); \
    } while (0)

static cfg_chip *load(const char *path)
{
    base_errors e;
    base_errors_init(&e);
    cfg_chip *c = cfg_chip_load_file(path, &e);
    if (!c)
        dump(&e);
    base_errors_clear(&e);
    ck_assert_ptr_nonnull(c);
    return c;
}

static const char *type_of(const cfg_chip *c, int64_t id)
{
    int i = cfg_chip_find_core(c, id);
    ck_assert_int_ge(i, 0);
    return c->types[c->cores[i].type].name;
}

/* The pair's connection: its type and bandwidth, "none" when absent. */
static void ck_conn(const cfg_chip *c, int64_t a, int64_t b, cfg_conn_type type, double bw)
{
    const cfg_conn *k = cfg_chip_conn_of(c, a, b);
    ck_assert_msg(k != NULL, "no connection %lld -> %lld", (long long)a, (long long)b);
    ck_assert_msg(k->type == type && k->bandwidth == bw, "%lld -> %lld: %s of %g bits/cycle",
                  (long long)a, (long long)b, k->type == CFG_CONN_BUS ? "bus" : "link",
                  k->bandwidth);
}

static void ck_tpu_quad_cores(const cfg_chip *c)
{
    ck_assert(c->stream_form);
    ck_assert_int_eq(c->n_cores, 7);
    ck_assert_int_eq(c->n_types, 7);   /* each core a type of its own */
    for (int id = 0; id < 4; id++)
        ck_assert_str_eq(type_of(c, id), "tpu_like");
    ck_assert_str_eq(type_of(c, 4), "pooling");
    ck_assert_str_eq(type_of(c, 5), "simd");
    ck_assert_str_eq(type_of(c, 6), "offchip");
    ck_assert_int_eq(c->offchip_core_id, 6);
    ck_assert_int_eq(c->types[c->cores[cfg_chip_find_core(c, 6)].type].core.kind, CFG_CORE_MEMORY);
    ck_assert_int_eq(c->types[c->cores[cfg_chip_find_core(c, 0)].type].core.kind, CFG_CORE_COMPUTE);
    ck_assert_int_eq(c->n_conns, 13);
    ck_assert(c->clock_ghz == CFG_STREAM_CLOCK_GHZ);
    ck_assert_int_eq(c->clock_line, 0);
}

START_TEST(test_c1_copy_bus_last_serves_every_pair)
{
    cfg_chip *c = load(C1 "tpu_like_quad_core.yaml");
    ck_tpu_quad_cores(c);
    ck_assert_str_eq(c->name, "tpu_like_quad_core");
    ck_assert_str_eq(c->types[0].source, C1 "cores/tpu_like.yaml");
    ck_assert_int_eq(c->conns[0].type, CFG_CONN_LINK);
    ck_assert_int_eq(c->conns[0].n_cores, 2);
    ck_assert(c->conns[0].bandwidth == 32);
    ck_assert_int_eq(c->conns[12].type, CFG_CONN_BUS);
    ck_assert_int_eq(c->conns[12].n_cores, 7);
    /* The bus, listed last, replaces every link (semantics.md 1.1). */
    for (int a = 0; a < 7; a++)
        for (int b = 0; b < 7; b++)
            if (a != b)
                ck_assert_ptr_eq(cfg_chip_conn_of(c, a, b), &c->conns[12]);
    ck_assert_ptr_null(cfg_chip_conn_of(c, 2, 2));
    ck_assert_ptr_null(cfg_chip_conn_of(c, 0, 7));
    cfg_chip_free(c);
}
END_TEST

START_TEST(test_c1_shared_reference_reads_the_same)
{
    cfg_chip *a = load(REF "c1_resnet18_lbl_rr/tpu_like_quad_core.yaml");
    cfg_chip *b = load(C1 "tpu_like_quad_core.yaml");
    ck_tpu_quad_cores(a);
    ck_assert_int_eq(a->n_conns, b->n_conns);
    for (int i = 0; i < a->n_conns; i++)
        ck_assert_mem_eq(&a->conns[i], &b->conns[i], sizeof a->conns[i]);
    for (int i = 0; i < a->n_types; i++)
        ck_assert_mem_eq(&a->types[i].core, &b->types[i].core, sizeof a->types[i].core);
    cfg_chip_free(a);
    cfg_chip_free(b);
}
END_TEST

START_TEST(test_c7_bus_first_links_win_their_pairs)
{
    cfg_chip *c = load(REF_C7);
    ck_tpu_quad_cores(c);
    ck_assert_int_eq(c->conns[0].type, CFG_CONN_BUS);
    /* Listed pairs keep their 32-bit links, both directions. */
    const int links[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {0, 4}, {1, 4}, {2, 4}, {3, 4},
                            {0, 5}, {1, 5}, {2, 5}, {3, 5}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        ck_conn(c, links[i][0], links[i][1], CFG_CONN_LINK, 32);
        ck_conn(c, links[i][1], links[i][0], CFG_CONN_LINK, 32);
    }
    /* The rest: DRAM <-> any core, 0<->2, 1<->3, 4<->5 on the bus. */
    for (int a = 0; a < 6; a++) {
        ck_conn(c, a, 6, CFG_CONN_BUS, 128);
        ck_conn(c, 6, a, CFG_CONN_BUS, 128);
    }
    ck_conn(c, 0, 2, CFG_CONN_BUS, 128);
    ck_conn(c, 3, 1, CFG_CONN_BUS, 128);
    ck_conn(c, 5, 4, CFG_CONN_BUS, 128);
    ck_assert_ptr_eq(cfg_chip_conn_of(c, 4, 5), &c->conns[0]);
    cfg_chip_free(c);
}
END_TEST

START_TEST(test_c4_eyeriss_dual)
{
    cfg_chip *c = load(REF_C4);
    ck_assert_int_eq(c->n_cores, 5);
    ck_assert_str_eq(type_of(c, 0), "eyeriss_like");
    ck_assert_str_eq(type_of(c, 1), "eyeriss_like");
    ck_assert_str_eq(type_of(c, 4), "offchip");
    ck_assert_int_eq(c->offchip_core_id, 4);
    ck_assert_int_eq(c->n_conns, 6);
    /* Flow-style entries ({type: link, ...}) too; the bus, last, wins. */
    ck_assert_int_eq(c->conns[1].type, CFG_CONN_LINK);
    ck_assert_int_eq(c->conns[1].cores[1], 2);
    ck_conn(c, 0, 1, CFG_CONN_BUS, 128);
    ck_conn(c, 3, 1, CFG_CONN_BUS, 128);
    cfg_chip_free(c);
}
END_TEST

/* A small accelerator over c1's core files; each bad case edits it. */
static const char *ACC =
    "name: small\n"                                          /* 1 */
    "cores:\n"                                               /* 2 */
    "  0: tpu_like.yaml\n"                                   /* 3 */
    "  1: tpu_like\n"                                        /* 4: no extension */
    "  2: cores/offchip.yaml\n"                              /* 5: a path */
    "offchip_core_id: 2\n"                                   /* 6 */
    "unit_energy_cost: 0.5\n"                                /* 7 */
    "clock_ghz: 0.8\n"                                       /* 8 */
    "core_connectivity:\n"                                   /* 9 */
    "  - {type: link, cores: [0, 1], bandwidth: 32, unit_energy_cost: 0.1}\n" /* 10 */
    "  - type: bus\n"                                        /* 11 */
    "    cores: [0, 1, 2]\n"                                 /* 12 */
    "    bandwidth: 64\n"                                    /* 13 */
    "core_memory_sharing: []\n";                             /* 14 */

/* ACC with line n (1-based) replaced by repl (several lines allowed). */
static char *edit(int n, const char *repl)
{
    static char out[4096];
    const char *p = ACC;
    out[0] = '\0';
    for (int line = 1; *p; line++) {
        const char *e = strchr(p, '\n');
        size_t len = (size_t)(e - p) + 1;
        if (line == n)
            strcat(out, repl);
        else
            strncat(out, p, len);
        p += len;
    }
    return out;
}

static cfg_chip *load_text(const char *text, base_errors *e)
{
    base_errors_init(e);
    return cfg_chip_load_string(text, strlen(text), "acc.yaml", C1, e);
}

START_TEST(test_small_accelerator_defaults_and_lookup)
{
    base_errors e;
    cfg_chip *c = load_text(ACC, &e);
    if (!c)
        dump(&e);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->types[0].source, C1 "cores/tpu_like.yaml");
    ck_assert_str_eq(c->types[1].source, C1 "cores/tpu_like.yaml");
    ck_assert_str_eq(c->types[2].source, C1 "cores/offchip.yaml");
    ck_assert(c->clock_ghz == 0.8);
    ck_assert_int_eq(c->clock_line, 8);
    ck_assert(c->unit_energy_cost_pj == 0.5);
    ck_assert(c->conns[0].unit_energy_pj == 0.1);   /* its own */
    ck_assert(c->conns[1].unit_energy_pj == 0.5);   /* the file's default */
    ck_assert_int_eq(c->conns[1].line, 11);
    ck_assert_int_eq(c->conns[1].col, 5);
    ck_conn(c, 0, 1, CFG_CONN_BUS, 64);
    ck_conn(c, 2, 0, CFG_CONN_BUS, 64);
    cfg_chip_free(c);
    base_errors_clear(&e);
}
END_TEST

static void ck_bad(int line, const char *repl, const char *pos, const char *what)
{
    base_errors e;
    cfg_chip *c = load_text(edit(line, repl), &e);
    ck_assert_ptr_null(c);
    ck_error(&e, pos, what);
    base_errors_clear(&e);
}

START_TEST(test_offchip_core_errors)
{
    ck_bad(6, "offchip_core_id: 0\n", "acc.yaml:6:18: offchip_core_id: ",
           "expected a memory core (a core file with type: memory), found core 0 (tpu_like), "
           "a compute core");
    ck_bad(6, "offchip_core_id: 5\n", "acc.yaml:6:18: offchip_core_id: ",
           "expected one of the ids under cores (0..2), found 5");
    ck_bad(6, "", "acc.yaml:1:1: ", "missing top-level key 'offchip_core_id'");
}
END_TEST

START_TEST(test_connectivity_errors)
{
    ck_bad(12, "    cores: [0, 1, 7]\n", "acc.yaml:12:19: core_connectivity[1].cores[2]: ",
           "expected a core id under cores (0..2), found '7'");
    ck_bad(10, "  - {type: link, cores: [0, 1, 2], bandwidth: 32}\n",
           "acc.yaml:10:25: core_connectivity[0].cores: ",
           "expected the 2 cores of a link, found 3 (a bus joins more)");
    ck_bad(10, "  - {cores: [1], bandwidth: 32}\n", "acc.yaml:10:13: core_connectivity[0].cores: ",
           "expected the 2 cores of a link, found 1");
    ck_bad(11, "  - type: ring\n", "acc.yaml:11:11: core_connectivity[1].type: ",
           "expected link or bus, found 'ring'");
    ck_bad(13, "    bandwith: 64\n", "acc.yaml:13:5: core_connectivity[1].bandwith: ",
           "unknown key 'bandwith' (did you mean 'bandwidth'?)");
    ck_bad(13, "    bandwidth: 0\n", "acc.yaml:13:16: core_connectivity[1].bandwidth: ",
           "expected a bandwidth > 0 (bits per cycle), found 0");
    ck_bad(13, "    bandwidth: -3\n", "acc.yaml:13:16: core_connectivity[1].bandwidth: ",
           "expected a number in [0, ");
}
END_TEST

START_TEST(test_key_and_sharing_errors)
{
    ck_bad(7, "unit_energy_cots: 0.5\n", "acc.yaml:7:1: unit_energy_cots: ",
           "unknown key 'unit_energy_cots' (did you mean 'unit_energy_cost'?)");
    ck_bad(14, "core_memory_sharing: ['0, 1']\n", "acc.yaml:14:22: core_memory_sharing: ",
           "evsim does not model memory shared between cores: expected an empty list or no "
           "key, found 1 group");
    ck_bad(14, "core_coordinates: {0: [0, 0]}\n", "acc.yaml:14:1: core_coordinates: ",
           "a key of Stream versions after cb9dfc52 that evsim does not read");
    ck_bad(4, "  0: simd.yaml\n", "acc.yaml:4:3: cores.0: ", "core id 0 is given twice");
    ck_bad(4, "  3: simd.yaml\n", "acc.yaml:4:3: cores: ", "expected an integer in 0..2, found 3");
}
END_TEST

START_TEST(test_missing_core_file_says_where_it_looked)
{
    ck_bad(4, "  1: tpu_lik.yaml\n", "acc.yaml:4:6: cores.1: ",
           "core file 'tpu_lik.yaml' not found: looked for " C1 "cores/tpu_lik.yaml, " C1
           "tpu_lik.yaml");
    ck_bad(5, "  2: hw/offchip.yaml\n", "acc.yaml:5:6: cores.2: ",
           "core file 'hw/offchip.yaml' not found: looked for " C1 "hw/offchip.yaml");
}
END_TEST

/* The placement on evsim's mesh (cfg_stream_place.c): 6 compute cores on
 * 3x2 row by row, the off-chip core as the DRAM (64-bit port at 1 GHz,
 * 1000 pJ per 64-bit access) and on top of every core, the 128-bit bus
 * as the flit. */
START_TEST(test_c1_placed_on_a_mesh)
{
    cfg_chip *c = load(C1 "tpu_like_quad_core.yaml");
    base_errors e;
    base_errors_init(&e);
    cfg_chip *p = cfg_stream_place(c, &e);
    if (!p)
        dump(&e);
    ck_assert_ptr_nonnull(p);
    ck_assert(!p->stream_form);
    ck_assert_int_eq(p->n_cores, 6);
    ck_assert_int_eq(p->noc.mesh_w, 3);
    ck_assert_int_eq(p->noc.mesh_h, 2);
    const int at[6][2] = {{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1}, {2, 1}};
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(p->cores[i].id, i);
        ck_assert_int_eq(p->cores[i].x, at[i][0]);
        ck_assert_int_eq(p->cores[i].y, at[i][1]);
    }
    ck_assert_str_eq(p->types[p->cores[4].type].name, "pooling");
    ck_assert_int_eq(p->noc.flit_width_bits, 128);
    ck_assert(cfg_noc_given(&p->noc, CFG_NOC_MESH));
    ck_assert_int_eq(p->n_memories, 1);
    const cfg_offchip *m = &p->memories[0];
    ck_assert_str_eq(m->name, "dram");
    ck_assert_uint_eq(m->size_bits, 10000000000ull);
    ck_assert(m->bandwidth_gbps == 64);
    ck_assert(m->latency_ns == 1);
    ck_assert(m->read_energy_pj_per_bit == 1000.0 / 64);
    ck_assert_int_eq(m->x, 0);
    ck_assert_int_eq(m->y, 0);
    const cfg_core *k = &p->types[p->cores[0].type].core;
    ck_assert_int_eq(k->n_mems, 4);   /* tpu_like's 3, then the DRAM */
    ck_assert_str_eq(k->mems[3].name, "dram");
    ck_assert_int_eq(k->mems[3].n_served, 2);
    ck_assert_int_eq(cfg_core_top_memory(k, CFG_MOP_I2), 3);
    cfg_chip_free(p);
    cfg_chip_free(c);
    base_errors_clear(&e);
}
END_TEST

/* A scenario over the c1 copy, its mapping edited at one line. */
static cfg_scenario *load_scenario(const char *extra, const char *map_from, const char *map_to,
                                   base_errors *e)
{
    char dir[] = "/tmp/test_stream_acc_XXXXXX", cwd[1024], p[1200], buf[65536];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    FILE *in = fopen(C1 "mapping_resnet18_rr_fixed.yaml", "r");
    ck_assert_ptr_nonnull(in);
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    buf[n] = '\0';
    fclose(in);
    snprintf(p, sizeof p, "%s/map.yaml", dir);
    FILE *out = fopen(p, "w");
    char *hit = map_from ? strstr(buf, map_from) : NULL;
    if (hit) {
        fwrite(buf, 1, (size_t)(hit - buf), out);
        fputs(map_to, out);
        fputs(hit + strlen(map_from), out);
    } else {
        fputs(buf, out);
    }
    fclose(out);
    snprintf(p, sizeof p, "%s/s.yaml", dir);
    out = fopen(p, "w");
    fprintf(out, "name: c1\nchip: %s/" C1 "tpu_like_quad_core.yaml\nworkload: %s/" C1
            "resnet18.onnx\nmapping: map.yaml\nmode: lbl\n%s", cwd, cwd, extra);
    fclose(out);
    base_errors_init(e);
    cfg_scenario *s = cfg_scenario_load_file(p, e);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    return s;
}

START_TEST(test_scenario_scheduler_and_allocation)
{
    base_errors e;
    cfg_scenario *s = load_scenario("", NULL, NULL, &e);
    if (!s)
        dump(&e);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->scheduler, CFG_SCHED_EVSIM);
    ck_assert(s->chip->stream_form);
    cfg_scenario_free(s);
    base_errors_clear(&e);

    s = load_scenario("scheduler: stream\n", NULL, NULL, &e);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->scheduler, CFG_SCHED_STREAM);
    ck_assert_int_eq(s->scheduler_line, 6);
    ck_assert_int_eq(s->scheduler_col, 12);
    cfg_scenario_free(s);
    base_errors_clear(&e);

    s = load_scenario("scheduler: steam\n", NULL, NULL, &e);
    ck_assert_ptr_null(s);
    ck_error(&e, "s.yaml:6:12: scheduler: ",
             "expected evsim or stream, found 'steam' (did you mean 'stream'?)");
    base_errors_clear(&e);

    /* /relu/Relu on core 9, which the accelerator lacks (line 11). */
    s = load_scenario("", "core_allocation: [1]", "core_allocation: [9]", &e);
    ck_assert_ptr_null(s);
    ck_error(&e, "map.yaml:11:20: [2].core_allocation: ",
             "the mapping names core 9, which chip tpu_like_quad_core does not have (core ids "
             "0..6)");
    base_errors_clear(&e);
}
END_TEST

static Suite *stream_acc_suite(void)
{
    Suite *s = suite_create("stream_acc");
    TCase *tc = tcase_create("stream_acc");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_c1_copy_bus_last_serves_every_pair);
    tcase_add_test_needing(tc, test_c1_shared_reference_reads_the_same,
                           REF "c1_resnet18_lbl_rr/tpu_like_quad_core.yaml");
    tcase_add_test_needing(tc, test_c7_bus_first_links_win_their_pairs, REF_C7);
    tcase_add_test_needing(tc, test_c4_eyeriss_dual, REF_C4);
    tcase_add_test(tc, test_small_accelerator_defaults_and_lookup);
    tcase_add_test(tc, test_offchip_core_errors);
    tcase_add_test(tc, test_connectivity_errors);
    tcase_add_test(tc, test_key_and_sharing_errors);
    tcase_add_test(tc, test_missing_core_file_says_where_it_looked);
    tcase_add_test(tc, test_scenario_scheduler_and_allocation);
    tcase_add_test(tc, test_c1_placed_on_a_mesh);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stream_acc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
