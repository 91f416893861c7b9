/* test_adapt.c -- sim/run's adapters: a chip file's noc: block reaches the
 * NoC model under the same names, keys left out take the model's own
 * defaults, and the model's range check is reported at the key's
 * FILE:LINE:COL. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/adapt.h"

/* Record i of an error list as the loaders' callers print it. */
static const char *emsg(const base_errors *e, int i)
{
    static char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    return base_error_str(&e->items[i], buf, sizeof buf);
}

static const char *CHIP =
    "name: c\n"                                                        /* 1 */
    "clock_ghz: 0.5\n"                                                 /* 2 */
    "core_types:\n"                                                    /* 3 */
    "  s: {file: seneca_core.yaml}\n"                                  /* 4 */
    "cores:\n"                                                         /* 5 */
    "  - {id: 0, type: s, at: [0, 0]}\n"                               /* 6 */
    "  - {id: 1, type: s, at: [1, 0]}\n"                               /* 7 */
    "noc:\n"                                                           /* 8 */
    "  mesh: [2, 1]\n"                                                 /* 9 */
    "  flit_width_bits: 32\n"                                          /* 10 */
    "  clock_ghz: 0.5\n"                                               /* 11 */
    "  energy_per_flit_hop_pj: 3\n"                                    /* 12 */
    "  energy_per_bit_link_pj: 0.1\n"                                  /* 13 */
    "memories:\n"                                                      /* 14 */
    "  - {name: m, type: dram, size_bits: 1024, bandwidth_gbps: 10, latency_ns: 50,\n"
    "     read_energy_pj_per_bit: 10, write_energy_pj_per_bit: 10, at: [1, 0]}\n";

/* CHIP with the first `from` replaced by `to`. */
static char *subst(const char *from, const char *to)
{
    const char *p = strstr(CHIP, from);
    ck_assert_msg(p != NULL, "chip text lacks '%s'", from);
    size_t n = strlen(CHIP) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    ck_assert_ptr_nonnull(out);
    size_t pre = (size_t)(p - CHIP);
    memcpy(out, CHIP, pre);
    strcpy(out + pre, to);
    strcat(out, p + strlen(from));
    return out;
}

/* CHIP with lines added at the end of the noc block (line 14 on). */
static char *with_noc_lines(const char *lines)
{
    char to[1024];
    snprintf(to, sizeof to, "%smemories:\n", lines);
    return subst("memories:\n", to);
}

static cfg_chip *load(const char *text)
{
    base_errors e;
    base_errors_init(&e);
    cfg_chip *c = cfg_chip_load_string(text, strlen(text), "chip.yaml", "configs/hw", &e);
    for (int i = 0; i < e.count; i++)
        fprintf(stderr, "%s\n", emsg(&e, i));
    ck_assert_ptr_nonnull(c);
    base_errors_clear(&e);
    return c;
}

START_TEST(test_keys_left_out_take_the_model_defaults)
{
    cfg_chip *c = load(CHIP);
    noc_config nc, d;
    base_error be;
    ck_assert_int_eq(run_noc_terminals_needed(c), 2); /* core 1 and the DRAM share [1, 0] */
    ck_assert_int_eq(run_adapt_noc(c, run_noc_terminals_needed(c), 9, &nc, &be), 0);
    noc_config_default(&d);
    /* What the file gave ... */
    ck_assert_uint_eq(nc.width, 2);
    ck_assert_uint_eq(nc.height, 1);
    ck_assert_uint_eq(nc.flit_width_bits, 32);
    ck_assert(nc.clock_ghz == 0.5);
    ck_assert(nc.energy_per_flit_hop_pj == 3.0);
    ck_assert(nc.energy_per_bit_link_pj == 0.1);
    ck_assert_uint_eq(nc.terminals_per_router, 2);
    ck_assert_uint_eq(nc.seed, 9);
    /* ... and the model's defaults for the rest. */
    ck_assert_uint_eq(nc.virtual_channels, d.virtual_channels);
    ck_assert_uint_eq(nc.vc_depth_flits, d.vc_depth_flits);
    for (int i = 0; i < NOC_STAGES; i++)
        ck_assert_uint_eq(nc.router_stage_cycles[i], d.router_stage_cycles[i]);
    ck_assert_uint_eq(nc.link_latency_cycles, d.link_latency_cycles);
    ck_assert_uint_eq(nc.credit_delay_cycles, d.credit_delay_cycles);
    ck_assert_uint_eq(nc.multicast_lookup_cycles, d.multicast_lookup_cycles);
    ck_assert_int_eq(nc.routing, d.routing);
    ck_assert_uint_eq(nc.deadlock_cycles, d.deadlock_cycles);
    cfg_chip_free(c);
}
END_TEST

START_TEST(test_every_noc_key_reaches_the_model)
{
    char *text = with_noc_lines("  virtual_channels: 3\n"
                                "  vc_depth_flits: 5\n"
                                "  router_stage_cycles: [2, 1, 3, 1]\n"
                                "  link_latency_cycles: 4\n"
                                "  credit_delay_cycles: 2\n"
                                "  multicast_lookup_cycles: 7\n"
                                "  terminals_per_router: 3\n"
                                "  routing: yx\n"
                                "  deadlock_cycles: 500\n");
    cfg_chip *c = load(text);
    free(text);
    noc_config nc;
    base_error be;
    ck_assert_int_eq(run_adapt_noc(c, run_noc_terminals_needed(c), 1, &nc, &be), 0);
    ck_assert_uint_eq(nc.virtual_channels, 3);
    ck_assert_uint_eq(nc.vc_depth_flits, 5);
    ck_assert_uint_eq(noc_max_multicast_flits(&nc), 5);
    ck_assert_uint_eq(nc.router_stage_cycles[NOC_STAGE_ROUTE], 2);
    ck_assert_uint_eq(nc.router_stage_cycles[NOC_STAGE_SW_ALLOC], 3);
    ck_assert_uint_eq(nc.link_latency_cycles, 4);
    ck_assert_uint_eq(nc.credit_delay_cycles, 2);
    ck_assert_uint_eq(nc.multicast_lookup_cycles, 7);
    ck_assert_uint_eq(nc.terminals_per_router, 3);
    ck_assert_int_eq(nc.routing, NOC_ROUTE_YX);
    ck_assert_uint_eq(nc.deadlock_cycles, 500);
    cfg_chip_free(c);
}
END_TEST

/* One bad value: the adapter fails with "noc.KEY: ..." at the key. */
static void bad(const char *from, const char *to, uint32_t line, uint32_t col,
                const char *msg)
{
    char *text = from ? subst(from, to) : with_noc_lines(to);
    cfg_chip *c = load(text);
    free(text);
    noc_config nc;
    base_error be;
    ck_assert_int_eq(run_adapt_noc(c, run_noc_terminals_needed(c), 1, &nc, &be), -1);
    char buf[2048];
    ck_assert_msg(!strcmp(be.file, "chip.yaml") && be.line == line && be.col == col &&
                  strstr(be.msg, msg) != NULL, "want chip.yaml:%u:%u: %s, got %s", line,
                  col, msg, base_error_str(&be, buf, sizeof buf));
    cfg_chip_free(c);
}

START_TEST(test_model_ranges_reported_at_the_key)
{
    bad(NULL, "  vc_depth_flits: 0\n", 14, 19, "noc.vc_depth_flits: expected 1..4096, found 0");
    bad(NULL, "  virtual_channels: 65\n", 14, 21,
        "noc.virtual_channels: expected 1..64, found 65");
    bad(NULL, "  router_stage_cycles: [1, 1, 0, 1]\n", 14, 24,
        "noc.router_stage_cycles[2]: expected 1..1000000, found 0");
    bad(NULL, "  link_latency_cycles: 0\n", 14, 24, "noc.link_latency_cycles: expected 1..");
    bad(NULL, "  credit_delay_cycles: 1000001\n", 14, 24,
        "noc.credit_delay_cycles: expected 0..1000000, found 1000001");
    bad(NULL, "  deadlock_cycles: 0\n", 14, 20, "noc.deadlock_cycles: expected 1..");
    bad(NULL, "  routing: zigzag\n", 14, 12,
        "noc.routing: expected xy, yx or xyyx, found 'zigzag'");
    bad(NULL, "  terminals_per_router: 1\n", 14, 25,
        "noc.terminals_per_router: expected at least 2 (a core and the memory controllers "
        "that share its router), found 1");
    bad(NULL, "  terminals_per_router: 5\n", 14, 25,
        "noc.terminals_per_router: expected 1..4, found 5");
    bad("  mesh: [2, 1]", "  mesh: [2000, 1]", 9, 9,
        "noc.mesh: expected each side 1..1024, found 2000x1");
    bad("  flit_width_bits: 32", "  flit_width_bits: 0", 10, 20,
        "noc.flit_width_bits: expected 1..");
    bad("  clock_ghz: 0.5\n  energy", "  clock_ghz: 0\n  energy", 11, 14,
        "noc.clock_ghz: expected a clock in (0, 1000] GHz, found 0");
    bad("energy_per_bit_link_pj: 0.1", "energy_per_bit_link_pj: -1", 13, 27,
        "noc.energy_per_bit_link_pj: expected an energy >= 0 pJ, found -1");
    /* A limit of several parameters together: at the noc block. */
    bad("  mesh: [2, 1]", "  mesh: [1024, 1024]\n  virtual_channels: 64\n"
        "  vc_depth_flits: 4096", 9, 3, "noc: a 1024x1024 mesh with 64 VCs x 4096 flits");
}
END_TEST

static Suite *adapt_suite(void)
{
    Suite *s = suite_create("adapt");
    TCase *tc = tcase_create("noc");
    tcase_add_test(tc, test_keys_left_out_take_the_model_defaults);
    tcase_add_test(tc, test_every_noc_key_reaches_the_model);
    tcase_add_test(tc, test_model_ranges_reported_at_the_key);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(adapt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
