/* test_config_zigzag.c -- every hardware, workload and mapping YAML text of
 * ZigZag's reference cases (copied into tests/data/config/zigzag/ from
 * ../shared/reference/zigzag/reference.jsonl) loads, cross-checks, and the
 * cores given in both port forms load to identical structs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_skip.h"
#include "config/config.h"

/* Record i of an error list as the loaders' callers print it. */
static const char *emsg(const base_errors *e, int i)
{
    static char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    return base_error_str(&e->items[i], buf, sizeof buf);
}

#define DIR "tests/data/config/zigzag/"

static void dump_errors(const base_errors *e)
{
    for (int i = 0; i < e->count; i++)
        fprintf(stderr, "  %s\n", emsg(e, i));
}

static cfg_core *load_core(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, DIR "%s", name);
    base_errors e;
    base_errors_init(&e);
    cfg_core *c = cfg_core_load_file(p, &e);
    if (!c)
        dump_errors(&e);
    base_errors_clear(&e);
    return c;
}

/* Same struct up to the `form` field (the last one, see config.h). */
static bool cores_equal(const cfg_core *a, const cfg_core *b)
{
    return !memcmp(a, b, offsetof(cfg_core, form));
}

START_TEST(test_every_reference_case_loads_and_checks)
{
    FILE *f = fopen(DIR "cases.txt", "r");
    ck_assert_msg(f != NULL, "missing " DIR "cases.txt");
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char id[128], hw[256], hw_old[256], wl[256], mp[256], p[512];
        if (sscanf(line, "%127s %255s %255s %255s %255s", id, hw, hw_old, wl, mp) != 5)
            continue;
        base_errors e;
        base_errors_init(&e);
        cfg_core *c = load_core(hw);
        ck_assert_msg(c != NULL, "%s: hardware %s does not load", id, hw);
        if (strcmp(hw_old, "-")) {
            cfg_core *o = load_core(hw_old);
            ck_assert_msg(o != NULL, "%s: old-form hardware %s does not load", id, hw_old);
            ck_assert_int_eq(o->form, CFG_CORE_FORM_OLD);
            ck_assert_int_eq(c->form, CFG_CORE_FORM_CURRENT);
            ck_assert_msg(cores_equal(c, o), "%s: %s and %s differ", id, hw, hw_old);
            cfg_core_free(o);
        }
        snprintf(p, sizeof p, DIR "%s", wl);
        cfg_workload *w = cfg_workload_load_file(p, &e);
        snprintf(p, sizeof p, DIR "%s", mp);
        cfg_mapping *m = cfg_mapping_load_file(p, &e);
        dump_errors(&e);
        ck_assert_msg(w && m, "%s: workload or mapping does not load", id);
        int rc = cfg_check_mapping(m, mp, w, c, hw, &e);
        dump_errors(&e);
        ck_assert_msg(rc == 0, "%s: cross-check failed", id);
        cfg_mapping_free(m);
        cfg_workload_free(w);
        cfg_core_free(c);
        base_errors_clear(&e);
        cases++;
    }
    fclose(f);
    ck_assert_int_eq(cases, 20);
}
END_TEST

START_TEST(test_tpu_like_fields_are_faithful)
{
    cfg_core *c = load_core("zz_tpu_like.hw.yaml");
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->name, "tpu_like");
    ck_assert_int_eq(c->n_mems, 4);
    ck_assert_str_eq(c->mems[0].name, "rf_128B");
    ck_assert_str_eq(c->mems[3].name, "dram");
    ck_assert_uint_eq(c->mems[0].size_bits, 1024);
    ck_assert_uint_eq(c->mems[3].size_bits, 10000000000ULL);
    ck_assert_double_eq_tol(c->mems[2].r_cost_pj, 416.16, 1e-9);
    ck_assert_double_eq_tol(c->mems[2].w_cost_pj, 378.4, 1e-9);
    /* sram_2MB repeats `ports:`; the last one wins, as in PyYAML. */
    const cfg_memory *s = &c->mems[2];
    ck_assert_int_eq(s->n_ports, 2);
    ck_assert_str_eq(s->ports[0].name, "r_port_1");
    ck_assert_int_eq(s->ports[0].type, CFG_PORT_READ);
    ck_assert_uint_eq(s->ports[0].bw_min_bits, 64);
    ck_assert_uint_eq(s->ports[0].bw_max_bits, 2048);
    ck_assert_uint_eq(s->ports[0].alloc_mask,
                      CFG_ALLOC_BIT(CFG_MOP_I1, CFG_DIR_TL) | CFG_ALLOC_BIT(CFG_MOP_O, CFG_DIR_TL) |
                          CFG_ALLOC_BIT(CFG_MOP_O, CFG_DIR_TH));
    ck_assert_int_eq(s->port_of[CFG_MOP_O][CFG_DIR_FL], 1);
    ck_assert_int_eq(s->port_of[CFG_MOP_I2][CFG_DIR_FH], -1);
    ck_assert(s->holds[CFG_MOP_I1] && s->holds[CFG_MOP_O] && !s->holds[CFG_MOP_I2]);
    ck_assert_int_eq(s->n_served, 2);
    ck_assert_int_eq(c->mems[0].n_served, 0);
    ck_assert_int_eq(c->n_oa_dims, 2);
    ck_assert_uint_eq(c->oa_sizes[1], 32);
    ck_assert_double_eq_tol(c->unit_energy_pj, 0.04, 1e-12);
    ck_assert_int_eq(cfg_core_top_memory(c, CFG_MOP_I2), 3);
    ck_assert_int_eq(c->mems[3].ports[0].type, CFG_PORT_READ_WRITE);
    cfg_core_free(c);
}
END_TEST

START_TEST(test_old_form_ports_are_converted)
{
    cfg_core *c = load_core("npe8_rf_sram_dram_fixed.hw_old.yaml");
    ck_assert_ptr_nonnull(c);
    const cfg_memory *dram = &c->mems[2];
    ck_assert_str_eq(dram->name, "dram_inputs_outputs_1GB");
    ck_assert_int_eq(dram->n_ports, 3);   /* r_port_1, r_port_2, w_port_1 */
    ck_assert_str_eq(dram->ports[1].name, "r_port_2");
    ck_assert_str_eq(dram->ports[2].name, "w_port_1");
    ck_assert_int_eq(dram->port_of[CFG_MOP_O][CFG_DIR_TH], 1);
    ck_assert_int_eq(dram->port_of[CFG_MOP_I1][CFG_DIR_TL], 0);
    ck_assert(!dram->holds[CFG_MOP_I2]);
    ck_assert_int_eq(cfg_core_top_memory(c, CFG_MOP_I2), 1);
    ck_assert_int_eq(dram->latency_cycles, 100);
    cfg_core_free(c);
    /* granularity: min_r_granularity becomes bandwidth_min */
    c = load_core("seed_edge_tpu_like.hw_old.yaml");
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->mems[3].ports[0].bw_min_bits, 64);
    ck_assert_uint_eq(c->mems[3].ports[0].bw_max_bits, 2048);
    cfg_core_free(c);
}
END_TEST

START_TEST(test_workload_fields_are_faithful)
{
    base_errors e;
    base_errors_init(&e);
    cfg_workload *w = cfg_workload_load_file(DIR "resnet_conv1_7x7s2.workload.yaml", &e);
    ck_assert_ptr_nonnull(w);
    const cfg_layer *l = &w->layers[0];
    ck_assert_str_eq(l->name, "resnet_conv1_7x7s2");
    ck_assert_int_eq(l->n_dims, 7);
    ck_assert_uint_eq(l->sizes[cfg_layer_dim(l, "K")], 64);
    ck_assert_uint_eq(cfg_layer_macs(l), 1ULL * 64 * 3 * 112 * 112 * 7 * 7);
    ck_assert_int_eq(l->n_relations, 2);
    ck_assert_str_eq(l->relations[0].lhs, "IX");
    ck_assert_int_eq(l->relations[0].coef[0], 2);
    ck_assert_str_eq(l->relations[0].dim[1], "FX");
    ck_assert_int_eq(l->operands[0].precision_bits, 16);
    ck_assert_int_eq(l->operands[0].final_precision_bits, 8);
    int wi = cfg_layer_operand(l, "W");
    ck_assert_int_eq(l->operands[wi].precision_bits, 8);
    ck_assert(l->operands[wi].has_source);
    ck_assert_int_eq(l->operands[wi].source_layer_id, 0);
    cfg_workload_free(w);
    w = cfg_workload_load_file(DIR "resnet_add.workload.yaml", &e);
    ck_assert_ptr_nonnull(w);
    ck_assert(!w->layers[0].accumulate);
    ck_assert_int_eq(w->layers[0].combine, '+');
    cfg_workload_free(w);
    ck_assert_int_eq(e.count, 0);
    base_errors_clear(&e);
}
END_TEST

START_TEST(test_mapping_lookup_by_name_type_default)
{
    base_errors e;
    base_errors_init(&e);
    cfg_mapping *m = cfg_mapping_load_file(DIR "map_zz_tpu_like.mapping.yaml", &e);
    ck_assert_ptr_nonnull(m);
    cfg_layer l;
    memset(&l, 0, sizeof l);
    strcpy(l.name, "mbv2_dw3x3_8b");
    strcpy(l.operator_type, "Conv");
    ck_assert_str_eq(cfg_mapping_find(m, &l)->name, "mbv2_dw3x3_8b");
    strcpy(l.name, "x");
    strcpy(l.operator_type, "Pooling");
    ck_assert_str_eq(cfg_mapping_find(m, &l)->name, "Pooling");
    strcpy(l.operator_type, "Conv");
    const cfg_map_entry *d = cfg_mapping_find(m, &l);
    ck_assert_str_eq(d->name, "default");
    ck_assert_int_eq(d->n_spatial, 2);
    ck_assert_str_eq(d->spatial[1].oa_dim, "D2");
    ck_assert_str_eq(d->spatial[1].unrolls[0].dim, "C");
    ck_assert_uint_eq(d->spatial[1].unrolls[0].factor, 32);
    ck_assert_int_eq(d->n_links, 3);
    ck_assert_str_eq(d->link_operand[1], "W");
    ck_assert_int_eq(d->link_mem[1], CFG_MOP_I2);
    cfg_mapping_free(m);
    base_errors_clear(&e);
}
END_TEST

#define SHARED_JSONL "../shared/reference/zigzag/reference.jsonl"

START_TEST(test_reference_jsonl_is_copied_here)
{
    /* The copies under tests/data must stay those of ../shared; the e2e
     * script config_reference.sh compares them text by text. Here only
     * note visibly when the shared data is absent. */
    FILE *f = fopen(SHARED_JSONL, "r");
    ck_assert_ptr_nonnull(f);
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    ck_assert_int_eq(lines, 20);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config_zigzag");
    TCase *tc = tcase_create("zigzag");
    tcase_add_test(tc, test_every_reference_case_loads_and_checks);
    tcase_add_test(tc, test_tpu_like_fields_are_faithful);
    tcase_add_test(tc, test_old_form_ports_are_converted);
    tcase_add_test(tc, test_workload_fields_are_faithful);
    tcase_add_test(tc, test_mapping_lookup_by_name_type_default);
    tcase_add_test_needing(tc, test_reference_jsonl_is_copied_here, SHARED_JSONL);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
