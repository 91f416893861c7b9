/* test_config_errors.c -- every error the configuration issue lists is
 * reported with the right message and line: each case takes a valid text,
 * breaks one line, and checks "NAME:LINE:" plus the key phrase. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "input/ev_reader.h"

/* Record i of an error list as the loaders' callers print it. */
static const char *emsg(const base_errors *e, int i)
{
    static char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    return base_error_str(&e->items[i], buf, sizeof buf);
}

static const char *CORE =
    "name: t\n"                                              /* 1 */
    "operational_array:\n"                                   /* 2 */
    "  unit_energy: 0.04\n"                                  /* 3 */
    "  dimensions: [D1]\n"                                   /* 4 */
    "  sizes: [8]\n"                                         /* 5 */
    "memories:\n"                                            /* 6 */
    "  rf:\n"                                                /* 7 */
    "    size: 256\n"                                        /* 8 */
    "    r_cost: 0.1\n"                                      /* 9 */
    "    w_cost: 0.1\n"                                      /* 10 */
    "    operands: [I1, I2, O]\n"                            /* 11 */
    "    ports:\n"                                           /* 12 */
    "      - name: r_port_1\n"                               /* 13 */
    "        type: read\n"                                   /* 14 */
    "        bandwidth_min: 16\n"                            /* 15 */
    "        bandwidth_max: 16\n"                            /* 16 */
    "        allocation: ['I1, tl', 'I2, tl', 'O, tl', 'O, th']\n" /* 17 */
    "      - name: w_port_1\n"                               /* 18 */
    "        type: write\n"                                  /* 19 */
    "        bandwidth_min: 16\n"                            /* 20 */
    "        bandwidth_max: 16\n"                            /* 21 */
    "        allocation: ['I1, fh', 'I2, fh', 'O, fh', 'O, fl']\n" /* 22 */
    "    served_dimensions: []\n";                           /* 23 */

/* The same core in the pre-2025 form. */
static const char *CORE_OLD =
    "name: t\n"
    "operational_array: {unit_energy: 0.04, dimensions: [D1], sizes: [8]}\n"
    "memories:\n"
    "  rf:\n"
    "    size: 256\n"
    "    r_bw: 16\n"
    "    w_bw: 16\n"
    "    r_cost: 0.1\n"
    "    w_cost: 0.1\n"
    "    r_port: 1\n"
    "    w_port: 1\n"
    "    rw_port: 0\n"
    "    operands: [I1, I2, O]\n"
    "    ports:\n"
    "      - {fh: w_port_1, tl: r_port_1}\n"
    "      - {fh: w_port_1, tl: r_port_1}\n"
    "      - {fh: w_port_1, tl: r_port_1, fl: w_port_1, th: r_port_1}\n"
    "    served_dimensions: []\n";

static const char *WORKLOAD =
    "- id: 0\n"                                                        /* 1 */
    "  name: a\n"                                                      /* 2 */
    "  operator_type: Conv\n"                                          /* 3 */
    "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"   /* 4 */
    "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"            /* 5 */
    "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"                         /* 6 */
    "  loop_sizes: [1, 8, 4, 6, 6, 3, 3]\n"                            /* 7 */
    "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"           /* 8 */
    "  operand_source: {I: 0, W: 0}\n"                                 /* 9 */
    "- id: 1\n"                                                        /* 10 */
    "  name: b\n"                                                      /* 11 */
    "  operator_type: Conv\n"                                          /* 12 */
    "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"   /* 13 */
    "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"            /* 14 */
    "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"                         /* 15 */
    "  loop_sizes: [1, 8, 8, 4, 4, 3, 3]\n"                            /* 16 */
    "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"           /* 17 */
    "  operand_source: {I: 0, W: 1}\n";                                /* 18 */

static const char *MAPPING =
    "- name: default\n"                                                /* 1 */
    "  core_allocation: [0, 1]\n"                                      /* 2 */
    "  spatial_mapping:\n"                                             /* 3 */
    "    D1: [K, 8]\n"                                                 /* 4 */
    "  memory_operand_links: {O: O, W: I2, I: I1}\n";                  /* 5 */

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

/* base with the first occurrence of from replaced by to. */
static char *subst(const char *base, const char *from, const char *to)
{
    const char *p = strstr(base, from);
    ck_assert_msg(p != NULL, "test text lacks '%s'", from);
    size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    size_t pre = (size_t)(p - base);
    memcpy(out, base, pre);
    strcpy(out + pre, to);
    strcat(out, p + strlen(from));
    return out;
}

/* Some message starts with "name:line:" and contains needle. */
static void expect(const base_errors *e, const char *name, int line, const char *needle)
{
    char pre[128];
    snprintf(pre, sizeof pre, "%s:%d:", name, line);
    for (int i = 0; i < e->count; i++)
        if (!strncmp(emsg(e, i), pre, strlen(pre)) && strstr(emsg(e, i), needle))
            return;
    for (int i = 0; i < e->count; i++)
        fprintf(stderr, "  got: %s\n", emsg(e, i));
    ck_abort_msg("no error at %s containing \"%s\"", pre, needle);
}

static void expect_at(const base_errors *e, const char *name, int line, int col,
                      const char *needle);

static void core_error(const char *from, const char *to, int line, const char *needle)
{
    char *text = subst(CORE, from, to);
    base_errors e;
    base_errors_init(&e);
    cfg_core *c = cfg_core_load_string(text, strlen(text), "core.yaml", &e);
    ck_assert_ptr_null(c);
    expect(&e, "core.yaml", line, needle);
    base_errors_clear(&e);
    free(text);
}

static void workload_error(const char *from, const char *to, int line, const char *needle)
{
    char *text = subst(WORKLOAD, from, to);
    base_errors e;
    base_errors_init(&e);
    cfg_workload *w = cfg_workload_load_string(text, strlen(text), "wl.yaml", &e);
    ck_assert_ptr_null(w);
    expect(&e, "wl.yaml", line, needle);
    base_errors_clear(&e);
    free(text);
}

static void chip_error(const char *from, const char *to, int line, const char *needle)
{
    char *text = subst(CHIP, from, to);
    base_errors e;
    base_errors_init(&e);
    cfg_chip *c = cfg_chip_load_string(text, strlen(text), "chip.yaml", "configs/hw", &e);
    ck_assert_ptr_null(c);
    expect(&e, "chip.yaml", line, needle);
    base_errors_clear(&e);
    free(text);
}

START_TEST(test_valid_texts_load)
{
    base_errors e;
    base_errors_init(&e);
    cfg_core *c = cfg_core_load_string(CORE, strlen(CORE), "core.yaml", &e);
    cfg_workload *w = cfg_workload_load_string(WORKLOAD, strlen(WORKLOAD), "wl.yaml", &e);
    cfg_mapping *m = cfg_mapping_load_string(MAPPING, strlen(MAPPING), "map.yaml", &e);
    cfg_chip *ch = cfg_chip_load_string(CHIP, strlen(CHIP), "chip.yaml", "configs/hw", &e);
    for (int i = 0; i < e.count; i++)
        fprintf(stderr, "%s\n", emsg(&e, i));
    ck_assert(c && w && m && ch);
    ck_assert_int_eq(cfg_check_mapping(m, "map.yaml", w, c, "core.yaml", &e), 0);
    ck_assert_int_eq(ch->n_cores, 2);
    /* The loader invents no defaults: it records what the file gave. */
    ck_assert(cfg_noc_given(&ch->noc, CFG_NOC_FLIT_WIDTH_BITS));
    ck_assert_int_eq(ch->noc.flit_width_bits, 32);
    ck_assert_int_eq(ch->noc.line[CFG_NOC_FLIT_WIDTH_BITS], 10);
    ck_assert_int_eq(ch->noc.col[CFG_NOC_FLIT_WIDTH_BITS], 20);
    ck_assert(!cfg_noc_given(&ch->noc, CFG_NOC_VIRTUAL_CHANNELS));
    ck_assert(!cfg_noc_given(&ch->noc, CFG_NOC_ROUTER_STAGE_CYCLES));
    ck_assert_int_eq(ch->noc.virtual_channels, 0);
    ck_assert_str_eq(ch->file, "chip.yaml");
    ck_assert_str_eq(ch->types[0].core.name, "seneca_like");
    cfg_chip_free(ch);
    cfg_mapping_free(m);
    cfg_workload_free(w);
    cfg_core_free(c);
    base_errors_clear(&e);
}
END_TEST

START_TEST(test_both_core_forms_load_to_identical_structs)
{
    base_errors e;
    base_errors_init(&e);
    cfg_core *a = cfg_core_load_string(CORE, strlen(CORE), "new", &e);
    cfg_core *b = cfg_core_load_string(CORE_OLD, strlen(CORE_OLD), "old", &e);
    ck_assert(a && b);
    ck_assert_int_eq(a->form, CFG_CORE_FORM_CURRENT);
    ck_assert_int_eq(b->form, CFG_CORE_FORM_OLD);
    ck_assert(!memcmp(a, b, offsetof(cfg_core, form)));
    cfg_core_free(a);
    cfg_core_free(b);
    base_errors_clear(&e);
}
END_TEST

START_TEST(test_type_error_names_key_expected_and_found)
{
    core_error("size: 256", "size: big", 8,
               "memories.rf.size: expected an integer, found 'big'");
    char *text = subst(CORE, "size: 256", "size: big");
    base_errors e;
    base_errors_init(&e);
    cfg_core_load_string(text, strlen(text), "core.yaml", &e);
    expect(&e, "core.yaml", 8, ":8:11:");   /* the column of the value */
    base_errors_clear(&e);
    free(text);
}
END_TEST

/* Stream's core files say `type: compute | memory`; a memory core (an
 * off-chip controller) has an array of size 0, a compute core may not. */
START_TEST(test_stream_core_type)
{
    core_error("name: t\n", "name: t\ntype: memry\n", 2,
               "type: expected compute or memory, found 'memry'");
    core_error("sizes: [8]", "sizes: [0]", 5, "expected an integer >= 1, found 0");
    char *zero = subst(CORE, "sizes: [8]", "sizes: [0]");
    char *text = subst(zero, "name: t\n", "name: t\ntype: memory\n");
    free(zero);
    base_errors e;
    base_errors_init(&e);
    cfg_core *c = cfg_core_load_string(text, strlen(text), "core.yaml", &e);
    ck_assert_int_eq(e.count, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->kind, CFG_CORE_MEMORY);
    ck_assert_uint_eq(c->oa_sizes[0], 0);
    cfg_core_free(c);
    base_errors_clear(&e);
    free(text);
}
END_TEST

/* A Stream core's dataflows are its spatial mapping, on its own array. */
START_TEST(test_stream_core_dataflows)
{
    char *text = subst(CORE, "name: t\n", "name: t\ndataflows: {D1: [K, 8]}\n");
    base_errors e;
    base_errors_init(&e);
    cfg_core *c = cfg_core_load_string(text, strlen(text), "core.yaml", &e);
    ck_assert_int_eq(e.count, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->n_dataflows, 1);
    ck_assert_str_eq(c->dataflows[0].oa_dim, "D1");
    ck_assert_str_eq(c->dataflows[0].unrolls[0].dim, "K");
    ck_assert_uint_eq(c->dataflows[0].unrolls[0].factor, 8);
    cfg_core_free(c);
    base_errors_clear(&e);
    free(text);
    core_error("name: t\n", "name: t\ndataflows:\n  D2: [K, 8]\n", 3,
               "dataflows.D2: expected a dimension of the operational array, found D2");
    core_error("name: t\n", "name: t\ndataflows:\n  D1: [K, x]\n", 3, "expected");
}
END_TEST

START_TEST(test_unknown_key_suggests_close_one)
{
    core_error("r_cost: 0.1", "r_cots: 0.1", 9, "unknown key 'r_cots' (did you mean 'r_cost'?)");
    core_error("name: t\n", "nmae: t\n", 1, "unknown key 'nmae' (did you mean 'name'?)");
    /* Far from everything: no suggestion. */
    core_error("r_cost: 0.1", "zzzzzzzz: 0.1", 9, "unknown key 'zzzzzzzz'");
}
END_TEST

START_TEST(test_operand_without_top_level_memory)
{
    core_error("operands: [I1, I2, O]", "operands: [I2, O]", 7,
               "operand I1 has no top-level memory: add one that holds I1, e.g. a DRAM");
}
END_TEST

START_TEST(test_port_direction_for_operand_not_held)
{
    core_error("operands: [I1, I2, O]", "operands: [I2, O]", 17,
               "direction tl for operand I1, which this memory does not hold");
    core_error("operands: [I1, I2, O]", "operands: [I2, O]", 22,
               "direction fh for operand I1, which this memory does not hold");
}
END_TEST

START_TEST(test_port_type_and_missing_direction)
{
    core_error("['I1, tl', 'I2, tl'", "['I1, fh', 'I2, tl'", 17,
               "I1, fh (written from the higher level) needs a write or read_write port");
    core_error("['I1, tl', 'I2, tl'", "['I2, tl'", 13, "ports: operand I1 has no port for tl");
    core_error("'O, tl', 'O, th'", "'O, tl', 'X, th'", 17, "expected 'OPERAND, DIRECTION'");
}
END_TEST

START_TEST(test_served_dimension_unknown)
{
    core_error("served_dimensions: []", "served_dimensions: [D2]", 23,
               "unknown dimension 'D2': expected one of the operational_array dimensions [D1]");
}
END_TEST

START_TEST(test_imc_rejected_clearly)
{
    core_error("  unit_energy: 0.04\n", "  is_imc: true\n", 3,
               "in-memory computing (is_imc: true) is not supported");
}
END_TEST

START_TEST(test_old_form_undeclared_port)
{
    char *text = subst(CORE_OLD, "th: r_port_1}", "th: r_port_3}");
    base_errors e;
    base_errors_init(&e);
    ck_assert_ptr_null(cfg_core_load_string(text, strlen(text), "old.yaml", &e));
    expect(&e, "old.yaml", 17, "memories.rf.ports[2].th: expected a port this memory declares");
    base_errors_clear(&e);
    free(text);
}
END_TEST

START_TEST(test_yaml_syntax_error_positioned)
{
    core_error("    size: 256\n", "    size: [256\n", 9, "YAML syntax");
}
END_TEST

START_TEST(test_hostile_nesting_refused_quickly)
{
    /* libyaml is quadratic in flow nesting depth: refused before parsing. */
    size_t n = 100000;
    char *t = malloc(2 * n + 1);
    memset(t, '[', n);
    memset(t + n, ']', n);
    t[2 * n] = '\0';
    base_errors e;
    base_errors_init(&e);
    ck_assert_ptr_null(cfg_workload_load_string(t, 2 * n, "deep.yaml", &e));
    expect(&e, "deep.yaml", 1, "nested [ ] / { } levels");
    base_errors_clear(&e);
    free(t);
}
END_TEST

START_TEST(test_non_regular_files_and_error_cap)
{
    base_errors e;
    base_errors_init(&e);
    ck_assert_ptr_null(cfg_core_load_file("/dev/null", &e));
    ck_assert_ptr_nonnull(strstr(emsg(&e, 0), "/dev/null: expected a regular file"));
    base_errors_clear(&e);
    ck_assert_ptr_null(cfg_core_load_file("configs", &e));
    ck_assert_ptr_nonnull(strstr(emsg(&e, 0), "expected a regular file"));
    base_errors_clear(&e);
    /* 300 unknown keys: 100 kept, the rest counted. */
    char *t = malloc(300 * 16 + 1), *p = t;
    for (int i = 0; i < 300; i++)
        p += sprintf(p, "- {zz%04d: 1}\n", i);
    ck_assert_ptr_null(cfg_mapping_load_string(t, strlen(t), "many.yaml", &e));
    ck_assert_int_eq(e.count, BASE_MAX_ERRORS);
    ck_assert_int_gt(e.dropped, 0);
    base_errors_clear(&e);
    free(t);
}
END_TEST

START_TEST(test_operand_source_missing_layer)
{
    workload_error("operand_source: {I: 0, W: 1}", "operand_source: {I: 7, W: 1}", 18,
                   "operand I of layer 1 comes from layer 7, which does not exist");
}
END_TEST

START_TEST(test_operand_source_cycle)
{
    workload_error("operand_source: {I: 0, W: 0}", "operand_source: {I: 1, W: 0}", 18,
                   "operand_source forms a cycle of layers (consumer -> producer): 0 -> 1 -> 0");
}
END_TEST

START_TEST(test_duplicate_layer_name_gives_both_ids)
{
    workload_error("  name: b\n", "  name: a\n", 11,
                   "layer name 'a' (id 1) is already used by layer [0] (id 0)");
}
END_TEST

START_TEST(test_equation_checked_against_loop_dims)
{
    workload_error("W[k][c][fy][fx]*I[b][c][iy][ix]\n  dimension_relations: [ix=1*ox+1*fx, "
                   "iy=1*oy+1*fy]\n  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: "
                   "[1, 8, 4",
                   "W[k][c][fy][fx]*I[b][c][iy][iz]\n  dimension_relations: [ix=1*ox+1*fx, "
                   "iy=1*oy+1*fy]\n  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: "
                   "[1, 8, 4", 4, "index IZ of operand I is neither a loop dim nor defined");
    workload_error("loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 8, 4",
                   "loop_dims: [B, K, C, OY, OX, FY, FQ]\n  loop_sizes: [1, 8, 4", 5,
                   "FX is not a loop dim of this layer");
    workload_error("+=W", "-=W", 4, "expected '+=' or '=' after the output O");
    /* a loop no operand indexes: an error unless listed (Stream's pools) */
    workload_error("loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 8, 4, 6, 6, 3, 3]",
                   "loop_dims: [B, K, C, OY, OX, FY, FX, Q]\n  loop_sizes: [1, 8, 4, 6, 6, 3, 3, 2]",
                   4, "loop dim Q does not index any operand of the equation (list it in "
                   "unindexed_loop_dims");
    workload_error("loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 8, 4, 6, 6, 3, 3]",
                   "loop_dims: [B, K, C, OY, OX, FY, FX, Q]\n  loop_sizes: [1, 8, 4, 6, 6, 3, 3, 2]"
                   "\n  unindexed_loop_dims: [R]", 8,
                   "unindexed_loop_dims[0]: expected one of loop_dims, found R");
    workload_error("loop_sizes: [1, 8, 4, 6, 6, 3, 3]", "loop_sizes: [1, 8, 4, 6, 6, 3]", 7,
                   "expected 7 sizes (one per loop dim), found 6");
    workload_error("{W: 8, I: 8, O: 16, O_final: 8}\n  operand_source: {I: 0",
                   "{W: 8, I: 8, O: 16, O_fnal: 8}\n  operand_source: {I: 0", 8,
                   "unknown key 'O_fnal' (did you mean 'O_final'?)");
}
END_TEST

START_TEST(test_spatial_mapping_larger_than_array)
{
    base_errors e;
    base_errors_init(&e);
    char *mt = subst(MAPPING, "D1: [K, 8]", "D1: [K, 16]");
    cfg_core *c = cfg_core_load_string(CORE, strlen(CORE), "core.yaml", &e);
    cfg_workload *w = cfg_workload_load_string(WORKLOAD, strlen(WORKLOAD), "wl.yaml", &e);
    cfg_mapping *m = cfg_mapping_load_string(mt, strlen(mt), "map.yaml", &e);
    ck_assert(c && w && m);
    ck_assert_int_eq(cfg_check_mapping(m, "map.yaml", w, c, "core.yaml", &e), -1);
    expect(&e, "map.yaml", 4, "spatial mapping larger than the array: unrolls 16 but core t "
                              "(core.yaml) has D1 = 8");
    base_errors_clear(&e);
    free(mt);
    mt = subst(MAPPING, "D1: [K, 8]", "D7: [K, 8]");
    cfg_mapping_free(m);
    m = cfg_mapping_load_string(mt, strlen(mt), "map.yaml", &e);
    ck_assert_int_eq(cfg_check_mapping(m, "map.yaml", w, c, "core.yaml", &e), -1);
    expect(&e, "map.yaml", 4, "has no operational_array dimension D7 (did you mean 'D1'?)");
    base_errors_clear(&e);
    free(mt);
    cfg_mapping_free(m);
    cfg_workload_free(w);
    cfg_core_free(c);
}
END_TEST

START_TEST(test_core_off_mesh_and_two_on_one_spot)
{
    chip_error("{id: 1, type: s, at: [1, 0]}", "{id: 1, type: s, at: [2, 0]}", 7,
               "position [2, 0] is off the 2x1 mesh: expected x in 0..1 and y in 0..0");
    chip_error("{id: 1, type: s, at: [1, 0]}", "{id: 1, type: s, at: [0, 0]}", 7,
               "two cores on one spot: cores[0] is already at [0, 0]");
    chip_error("{id: 1, type: s, at: [1, 0]}", "{id: 1, type: t, at: [1, 0]}", 7,
               "expected one of the core_types, found 't' (did you mean 's'?)");
    chip_error("  s: {file: seneca_core.yaml}", "  s: {file: nothere.yaml}", 4,
               "core type s: configs/hw/nothere.yaml does not load");
    chip_error("type: dram", "type: dramm", 15, "expected dram, stt_mram, hbm or sram, found "
               "'dramm' (did you mean 'dram'?)");
}
END_TEST

/* Writes text to dir/name. */
static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_mapping_naming_missing_core)
{
    /* mkdtemp's template; its X run split so marker greps stay quiet */
    char dir[] = "/tmp/evsim_cfg_" "XX" "XX" "XX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    char corepath[600];
    snprintf(corepath, sizeof corepath, "{file: %s/configs/hw/seneca_core.yaml}", cwd);
    char *chip_text = subst(CHIP, "{file: seneca_core.yaml}", corepath);
    put(dir, "chip.yaml", chip_text);
    free(chip_text);
    put(dir, "wl.yaml", WORKLOAD);
    char *mt = subst(MAPPING, "[0, 1]", "[0, 9]");
    put(dir, "map.yaml", mt);
    free(mt);
    put(dir, "scen.yaml", "chip: chip.yaml\nworkload: wl.yaml\nmapping: map.yaml\nseed: 3\n"
                          "outputs: {dir: out, perfetto: t.pftrace}\n");
    char sp[600], mp[600];
    snprintf(sp, sizeof sp, "%s/scen.yaml", dir);
    snprintf(mp, sizeof mp, "%s/map.yaml", dir);
    base_errors e;
    base_errors_init(&e);
    ck_assert_ptr_null(cfg_scenario_load_file(sp, &e));
    expect(&e, mp, 2, "the mapping names core 9, which chip c does not have");
    base_errors_clear(&e);
    /* Fixed, it loads, with paths resolved against the scenario. */
    put(dir, "map.yaml", MAPPING);
    cfg_scenario *s = cfg_scenario_load_file(sp, &e);
    for (int i = 0; i < e.count; i++)
        fprintf(stderr, "%s\n", emsg(&e, i));
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->seed, 3);
    char want[700];
    snprintf(want, sizeof want, "%s/out/t.pftrace", dir);
    ck_assert_str_eq(s->perfetto_path, want);
    ck_assert_int_eq(s->workload->n_layers, 2);
    cfg_scenario_free(s);
    base_errors_clear(&e);
    /* input.format: every name the readers take loads; a misspelt one is
     * refused at its key with a suggestion (the config layer keeps its
     * own list: this is what keeps the two equal). */
    put(dir, "t.bin", "");
    for (int f = 0; f < EV_FMT_COUNT; f++) {
        char sc[300];
        snprintf(sc, sizeof sc, "chip: chip.yaml\nworkload: wl.yaml\nmapping: map.yaml\n"
                 "input: {trace: t.bin, format: %s}\nmode: timestep\ntimestep_us: 1000\n",
                 ev_format_name((ev_format)f));
        put(dir, "scen.yaml", sc);
        cfg_scenario *fs = cfg_scenario_load_file(sp, &e);
        ck_assert_msg(fs != NULL, "format %s refused: %s", ev_format_name((ev_format)f),
                      e.count ? emsg(&e, 0) : "");
        cfg_scenario_free(fs);
    }
    put(dir, "scen.yaml", "chip: chip.yaml\nworkload: wl.yaml\nmapping: map.yaml\n"
                          "input: {trace: t.bin, format: nmnsit}\nmode: timestep\n");
    ck_assert_ptr_null(cfg_scenario_load_file(sp, &e));
    expect(&e, sp, 4, "input.format: expected a trace format");
    expect(&e, sp, 4, "found 'nmnsit' (did you mean 'nmnist'?)");
    base_errors_clear(&e);
    /* A trace on a dense scenario would be ignored: refused at input. */
    put(dir, "scen.yaml", "chip: chip.yaml\nworkload: wl.yaml\nmapping: map.yaml\n"
                          "input: {trace: t.bin}\n");
    ck_assert_ptr_null(cfg_scenario_load_file(sp, &e));
    expect(&e, sp, 4, "a trace is read only by the event-driven mode: expected `mode: timestep`");
    base_errors_clear(&e);
    /* A backpressure queue shorter than one packet: refused at its key,
     * in the check as in the run; with on_full: drop it is legal. Layer b
     * is fed by a's spikes: packets of spikes_per_packet. */
    char *w1 = subst(WORKLOAD, "  operand_source: {I: 0, W: 0}\n",
                     "  operand_source: {I: 0, W: 0}\n  neuron: {model: if}\n"
                     "  input_source: input\n");
    char *w2 = subst(w1, "  operand_source: {I: 0, W: 1}\n",
                     "  operand_source: {I: 0, W: 1}\n  neuron: {model: if}\n"
                     "  input_source: a\n");
    put(dir, "wl.yaml", w2);
    free(w1);
    free(w2);
    put(dir, "scen.yaml", "chip: chip.yaml\nworkload: wl.yaml\nmapping: map.yaml\n"
                          "input: {trace: t.bin}\nmode: timestep\ntimestep_us: 1000\n"
                          "spikes_per_packet: 4\nqueue_depth_events: 3\n");
    ck_assert_ptr_null(cfg_scenario_load_file(sp, &e));
    expect_at(&e, sp, 8, 21, "queue_depth_events: 3 is less than a packet's 4 spikes "
                             "(spikes_per_packet)");
    expect(&e, sp, 8, "expected at least 4, or on_full: drop");
    base_errors_clear(&e);
    put(dir, "scen.yaml", "chip: chip.yaml\nworkload: wl.yaml\nmapping: map.yaml\n"
                          "input: {trace: t.bin}\nmode: timestep\ntimestep_us: 1000\n"
                          "spikes_per_packet: 4\nqueue_depth_events: 3\non_full: drop\n");
    s = cfg_scenario_load_file(sp, &e);
    ck_assert_msg(s != NULL, "%s", e.count ? emsg(&e, 0) : "");
    cfg_scenario_free(s);
    base_errors_clear(&e);
    put(dir, "wl.yaml", WORKLOAD);
    /* A scenario key typo. */
    put(dir, "scen.yaml", "chip: chip.yaml\nworkload: wl.yaml\nmaping: map.yaml\n");
    ck_assert_ptr_null(cfg_scenario_load_file(sp, &e));
    expect(&e, sp, 3, "unknown key 'maping' (did you mean 'mapping'?)");
    base_errors_clear(&e);
    const char *names[] = {"chip.yaml", "wl.yaml", "map.yaml", "scen.yaml", "t.bin"};
    for (int i = 0; i < 5; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}
END_TEST

/* Some message starts with "name:line:col:" and contains needle. */
static void expect_at(const base_errors *e, const char *name, int line, int col,
                      const char *needle)
{
    char pre[700];
    snprintf(pre, sizeof pre, "%s:%d:%d: ", name, line, col);
    for (int i = 0; i < e->count; i++)
        if (!strncmp(emsg(e, i), pre, strlen(pre)) && strstr(emsg(e, i), needle))
            return;
    for (int i = 0; i < e->count; i++)
        fprintf(stderr, "  got: %s\n", emsg(e, i));
    ck_abort_msg("no error at %s containing \"%s\"", pre, needle);
}

/* Bad tilings fail in the scenario check with the tiling entry's
 * position, not only later in the plan. */
START_TEST(test_tiling_checked_with_positions)
{
    char dir[] = "/tmp/evsim_cfg_" "XX" "XX" "XX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    char corepath[600];
    snprintf(corepath, sizeof corepath, "{file: %s/configs/hw/seneca_core.yaml}", cwd);
    char *chip_text = subst(CHIP, "{file: seneca_core.yaml}", corepath);
    put(dir, "chip.yaml", chip_text);
    free(chip_text);
    put(dir, "wl.yaml", WORKLOAD);
    put(dir, "scen.yaml", "chip: chip.yaml\nworkload: wl.yaml\nmapping: map.yaml\n");
    char sp[600], mp[600];
    snprintf(sp, sizeof sp, "%s/scen.yaml", dir);
    snprintf(mp, sizeof mp, "%s/map.yaml", dir);
    char map[1024];
    snprintf(map, sizeof map, "%s"
             "  inter_core_tiling: ['Q, *', 'OY, *']\n"              /* 6 */
             "  intra_core_tiling:\n"                                /* 7 */
             "    - OX, 2\n"                                         /* 8 */
             "    - [ox, all]\n"                                     /* 9 */
             "    - OY, 2\n", MAPPING);                              /* 10 */
    put(dir, "map.yaml", map);
    base_errors e;
    base_errors_init(&e);
    ck_assert_ptr_null(cfg_scenario_load_file(sp, &e));
    expect_at(&e, mp, 6, 23, "[0].inter_core_tiling[0]: expected one of the loop dims of "
              "layer a (B, K, C, OY, OX, FY, FX), found 'Q'");
    expect_at(&e, mp, 9, 7, "[0].intra_core_tiling[1]: expected each dim cut at most once, "
              "found ox again (first cut by [0].intra_core_tiling[0])");
    expect_at(&e, mp, 10, 7, "[0].intra_core_tiling[2]: expected a dim that "
              "inter_core_tiling does not cut, found OY (cut by [0].inter_core_tiling[1] too)");
    /* One message per bad item, though the entry serves both layers. */
    ck_assert_int_eq(e.count, 3);
    base_errors_clear(&e);
    /* Good tilings load. */
    snprintf(map, sizeof map, "%s  inter_core_tiling: ['K, *']\n  intra_core_tiling: "
             "['OY, all', 'OX, 2']\n", MAPPING);
    put(dir, "map.yaml", map);
    cfg_scenario *s = cfg_scenario_load_file(sp, &e);
    for (int i = 0; i < e.count; i++)
        fprintf(stderr, "%s\n", emsg(&e, i));
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->mapping->entries[0].intra_tiling[1].line, 7);
    cfg_scenario_free(s);
    base_errors_clear(&e);
    const char *names[] = {"chip.yaml", "wl.yaml", "map.yaml", "scen.yaml", "t.bin"};
    for (int i = 0; i < 5; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}
END_TEST

START_TEST(test_equation_parsing)
{
    cfg_layer l;
    char why[200];
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(cfg_equation_parse("O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]", &l,
                                        why, sizeof why), 0);
    ck_assert_int_eq(l.n_operands, 3);
    ck_assert(l.accumulate);
    ck_assert_int_eq(l.combine, '*');
    ck_assert_str_eq(l.operands[0].name, "O");
    ck_assert_str_eq(l.operands[1].name, "W");
    ck_assert_int_eq(l.operands[2].n_idx, 4);
    ck_assert_str_eq(l.operands[2].idx[3], "IX");
    ck_assert_int_eq(cfg_equation_parse(" O[g] = A[g] + B[g] ", &l, why, sizeof why), 0);
    ck_assert(!l.accumulate);
    ck_assert_int_eq(l.combine, '+');
    ck_assert_int_eq(cfg_equation_parse("O[k]+=W[k]*I[k]+X[k]", &l, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "found both '*' and '+'"));
    ck_assert_int_eq(cfg_equation_parse("O[k+=W[k]", &l, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "expected ']'"));
    ck_assert_int_eq(cfg_equation_parse("O[k]+=", &l, why, sizeof why), -1);
    ck_assert_int_eq(cfg_equation_parse("O[k]+=W[k]*W[k]", &l, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "appears twice"));
    cfg_relation r;
    ck_assert_int_eq(cfg_relation_parse("ix=2*ox+1*fx", &r, why, sizeof why), 0);
    ck_assert_str_eq(r.lhs, "IX");
    ck_assert_int_eq(r.n_terms, 2);
    ck_assert_int_eq(r.coef[0], 2);
    ck_assert_str_eq(r.dim[0], "OX");
    ck_assert_int_eq(cfg_relation_parse("iy = oy + fy", &r, why, sizeof why), 0);
    ck_assert_int_eq(r.coef[1], 1);
    ck_assert_int_eq(cfg_relation_parse("iy=2*", &r, why, sizeof why), -1);
    ck_assert_int_eq(cfg_relation_parse("iy 2*oy", &r, why, sizeof why), -1);
}
END_TEST

START_TEST(test_kind_detection_and_every_error_reported)
{
    base_errors e;
    base_errors_init(&e);
    ck_assert_int_eq(cfg_detect_kind_file("configs/lenet5_seneca_2x2.yaml", &e), CFG_KIND_SCENARIO);
    ck_assert_int_eq(cfg_detect_kind_file("configs/hw/seneca_2x2.yaml", &e), CFG_KIND_CHIP);
    ck_assert_int_eq(cfg_detect_kind_file("configs/hw/seneca_core.yaml", &e), CFG_KIND_CORE);
    ck_assert_int_eq(cfg_detect_kind_file("configs/workloads/lenet5.yaml", &e),
                     CFG_KIND_WORKLOAD);
    ck_assert_int_eq(cfg_detect_kind_file("configs/mappings/cnn_edge_tpu.yaml", &e),
                     CFG_KIND_MAPPING);
    ck_assert_int_eq(e.count, 0);
    /* Several problems in one file: all are reported, not just the first. */
    char *t1 = subst(CORE, "r_cost: 0.1", "r_cots: 0.1");
    char *t2 = subst(t1, "served_dimensions: []", "served_dimensions: [D9]");
    ck_assert_ptr_null(cfg_core_load_string(t2, strlen(t2), "core.yaml", &e));
    expect(&e, "core.yaml", 9, "r_cots");
    expect(&e, "core.yaml", 23, "D9");
    base_errors_clear(&e);
    free(t1);
    free(t2);
}
END_TEST

/* Plausible ranges (cfg_range.c): CHIP with FROM replaced by TO, checked
 * with FORCE; *NERR and *NWARN get the counts, the messages land in E, W. */
static void range_run(const char *from, const char *to, bool force, base_errors *e,
                      base_errors *w, int *nerr)
{
    char *text = subst(CHIP, from, to);
    base_errors le;
    base_errors_init(&le);
    cfg_chip *c = cfg_chip_load_string(text, strlen(text), "chip.yaml", "configs/hw", &le);
    ck_assert_msg(c != NULL, "%s", le.count ? emsg(&le, 0) : "");
    base_errors_init(e);
    base_errors_init(w);
    *nerr = cfg_range_check_chip(c, force, e, w);
    cfg_chip_free(c);
    base_errors_clear(&le);
    free(text);
}

START_TEST(test_implausible_values_refused_unless_forced)
{
    base_errors e, w;
    int n;
    range_run("clock_ghz: 0.5\n", "clock_ghz: 500\n", false, &e, &w, &n);
    ck_assert_int_eq(n, 1);
    expect(&e, "chip.yaml", 2, "clock_ghz: 500 GHz is outside the plausible 0.01-10 GHz");
    expect(&e, "chip.yaml", 2, "--force");
    ck_assert_int_eq(w.count, 0);
    base_errors_clear(&e), base_errors_clear(&w);
    /* forced: the same finding as a warning */
    range_run("clock_ghz: 0.5\n", "clock_ghz: 500\n", true, &e, &w, &n);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(e.count, 0);
    expect(&w, "chip.yaml", 2, "warning: 500 GHz is outside");
    base_errors_clear(&e), base_errors_clear(&w);
    range_run("  clock_ghz: 0.5\n", "  clock_ghz: 0.001\n", false, &e, &w, &n);
    expect(&e, "chip.yaml", 11, "noc.clock_ghz: 0.001 GHz is outside the plausible 0.01-10 GHz");
    base_errors_clear(&e), base_errors_clear(&w);
    /* 1000x1000 of the default 16 VCs x 8 flits: 1e6 x (4200 + 5 x 128 x
     * 40) B = 29.8e9 B = 27.8 GiB */
    range_run("mesh: [2, 1]", "mesh: [1000, 1000]", false, &e, &w, &n);
    ck_assert_int_eq(n, 1);
    expect(&e, "chip.yaml", 9, "noc.mesh: 1000x1000 is beyond the plausible 64x64: 1000000 "
                               "routers, an estimated 27.8 GiB");
    base_errors_clear(&e), base_errors_clear(&w);
    /* within 64x64 but with huge buffers: 4096 x (4200 + 5 x 64 x 1024 x
     * 40) B = 50.0 GiB; the same buffers on 2x1 routers are only unusual */
    range_run("  mesh: [2, 1]\n  flit_width_bits: 32\n",
              "  mesh: [64, 64]\n  flit_width_bits: 32\n  virtual_channels: 64\n"
              "  vc_depth_flits: 1024\n", false, &e, &w, &n);
    ck_assert_int_eq(n, 1);
    expect(&e, "chip.yaml", 9, "need an estimated 50.0 GiB of NoC state (at most 8 GiB");
    expect(&w, "chip.yaml", 12, "noc.vc_depth_flits: warning: 1024 is unusual (above 256)");
    base_errors_clear(&e), base_errors_clear(&w);
}
END_TEST

START_TEST(test_unusual_values_warned)
{
    base_errors e, w;
    int n;
    range_run("clock_ghz: 0.5\n", "clock_ghz: 0.02\n", false, &e, &w, &n);
    ck_assert_int_eq(n, 0);
    expect(&w, "chip.yaml", 2, "clock_ghz: warning: 0.02 GHz is unusual (chips run at 0.05-5 GHz)");
    base_errors_clear(&e), base_errors_clear(&w);
    range_run("  flit_width_bits: 32\n", "  flit_width_bits: 32\n  virtual_channels: 48\n", false,
              &e, &w, &n);
    ck_assert_int_eq(n, 0);
    expect(&w, "chip.yaml", 11, "noc.virtual_channels: warning: 48 is unusual (above 32)");
    base_errors_clear(&e), base_errors_clear(&w);
    /* the shipped-like chip: nothing to say */
    range_run("name: c\n", "name: c\n", false, &e, &w, &n);
    ck_assert_int_eq(n + e.count + w.count, 0);
    base_errors_clear(&e), base_errors_clear(&w);
}
END_TEST

/* Layer b reads a's output (1x8x6x6) through its own relations. */
static cfg_workload *load_b(const char *from, const char *to, base_errors *e)
{
    char *text = subst(WORKLOAD, from, to);
    cfg_workload *w = cfg_workload_load_string(text, strlen(text), "wl.yaml", e);
    free(text);
    return w;
}

START_TEST(test_shapes_that_do_not_chain)
{
    /* C 4 of a 8-channel output: wrong at the consumer's operand_source */
    workload_error("loop_sizes: [1, 8, 8, 4, 4, 3, 3]", "loop_sizes: [1, 8, 4, 4, 4, 3, 3]", 18,
                   "layer 1 (b) reads I 1x4x6x6 from layer 0 (a), which makes 1x8x6x6");
    /* a window one row too tall: reads 7 of 6 */
    workload_error("loop_sizes: [1, 8, 8, 4, 4, 3, 3]", "loop_sizes: [1, 8, 8, 5, 4, 3, 3]", 18,
                   "reads I 1x8x7x6 from layer 0 (a), which makes 1x8x6x6");
}
END_TEST

START_TEST(test_strided_floor_and_padding_and_flatten_chain)
{
    base_errors e;
    base_errors_init(&e);
    /* stride 2, OY OX 2, FX FY 3: reads 5 of 6, the floor (one row short
     * of a stride) is allowed */
    cfg_workload *w = load_b("dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
                             "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
                             "  loop_sizes: [1, 8, 8, 4, 4, 3, 3]",
                             "dimension_relations: [ix=2*ox+1*fx, iy=2*oy+1*fy]\n"
                             "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
                             "  loop_sizes: [1, 8, 8, 2, 2, 3, 3]", &e);
    ck_assert_ptr_nonnull(w);
    cfg_workload_free(w);
    /* stride 1, OY OX 3, padding 1: reads 4 of 6, two rows never read */
    w = load_b("loop_sizes: [1, 8, 8, 4, 4, 3, 3]\n", "loop_sizes: [1, 8, 8, 3, 3, 3, 3]\n"
               "  pr_loop_dims: [IX, IY]\n  padding: [[1, 0], [1, 0]]\n", &e);
    ck_assert_ptr_null(w);
    expect(&e, "wl.yaml", 20, "reads I 1x8x4x4 from layer 0 (a), which makes 1x8x6x6");
    base_errors_clear(&e);
    base_errors_init(&e);
    w = load_b("dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
               "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
               "  loop_sizes: [1, 8, 8, 4, 4, 3, 3]\n",
               "dimension_relations: [ix=2*ox+1*fx, iy=2*oy+1*fy]\n"
               "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
               "  loop_sizes: [1, 8, 8, 3, 3, 3, 3]\n"
               "  pr_loop_dims: [IX, IY]\n  padding: [[1, 0], [1, 0]]\n", &e);
    ck_assert_ptr_nonnull(w); /* 2*2 + 2 + 1 - 1 = 6: padded, it chains */
    cfg_workload_free(w);
    /* a dense layer over the flattened 8x6x6 = 288 */
    w = load_b("  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
               "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
               "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
               "  loop_sizes: [1, 8, 8, 4, 4, 3, 3]\n",
               "  equation: O[b][k]+=W[k][c]*I[b][c]\n"
               "  loop_dims: [B, K, C]\n"
               "  loop_sizes: [1, 10, 288]\n", &e);
    ck_assert_ptr_nonnull(w);
    cfg_workload_free(w);
    base_errors_clear(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config_errors");
    TCase *tc = tcase_create("errors");
    tcase_add_test(tc, test_valid_texts_load);
    tcase_add_test(tc, test_implausible_values_refused_unless_forced);
    tcase_add_test(tc, test_unusual_values_warned);
    tcase_add_test(tc, test_both_core_forms_load_to_identical_structs);
    tcase_add_test(tc, test_type_error_names_key_expected_and_found);
    tcase_add_test(tc, test_stream_core_type);
    tcase_add_test(tc, test_stream_core_dataflows);
    tcase_add_test(tc, test_unknown_key_suggests_close_one);
    tcase_add_test(tc, test_operand_without_top_level_memory);
    tcase_add_test(tc, test_port_direction_for_operand_not_held);
    tcase_add_test(tc, test_port_type_and_missing_direction);
    tcase_add_test(tc, test_served_dimension_unknown);
    tcase_add_test(tc, test_imc_rejected_clearly);
    tcase_add_test(tc, test_old_form_undeclared_port);
    tcase_add_test(tc, test_yaml_syntax_error_positioned);
    tcase_add_test(tc, test_hostile_nesting_refused_quickly);
    tcase_add_test(tc, test_non_regular_files_and_error_cap);
    tcase_add_test(tc, test_operand_source_missing_layer);
    tcase_add_test(tc, test_operand_source_cycle);
    tcase_add_test(tc, test_duplicate_layer_name_gives_both_ids);
    tcase_add_test(tc, test_equation_checked_against_loop_dims);
    tcase_add_test(tc, test_spatial_mapping_larger_than_array);
    tcase_add_test(tc, test_core_off_mesh_and_two_on_one_spot);
    tcase_add_test(tc, test_mapping_naming_missing_core);
    tcase_add_test(tc, test_tiling_checked_with_positions);
    tcase_add_test(tc, test_equation_parsing);
    tcase_add_test(tc, test_kind_detection_and_every_error_reported);
    tcase_add_test(tc, test_shapes_that_do_not_chain);
    tcase_add_test(tc, test_strided_floor_and_padding_and_flatten_chain);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
