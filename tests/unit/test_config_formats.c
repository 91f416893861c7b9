/* test_config_formats.c -- the spellings users write load to the same
 * structs: spatial mappings in list and flow forms, Stream tilings with
 * `*` / `all`, fixed temporal orderings, spiking layers, inline chip
 * cores, and every shipped config. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_sweep.h"
#include "config/config.h"

/* Record i of an error list as the loaders' callers print it. */
static const char *emsg(const base_errors *e, int i)
{
    static char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    return base_error_str(&e->items[i], buf, sizeof buf);
}

static cfg_mapping *map_text(const char *t)
{
    base_errors e;
    base_errors_init(&e);
    cfg_mapping *m = cfg_mapping_load_string(t, strlen(t), "map.yaml", &e);
    for (int i = 0; i < e.count; i++)
        fprintf(stderr, "%s\n", emsg(&e, i));
    base_errors_clear(&e);
    return m;
}

START_TEST(test_spatial_mapping_spellings_agree)
{
    const char *forms[] = {
        "- name: default\n  spatial_mapping:\n    D1:\n      - K, 4\n      - C, 2\n",
        "- name: default\n  spatial_mapping: {D1: ['K, 4', 'C, 2']}\n",
        "- name: default\n  spatial_mapping: {D1: [K, 4, C, 2]}\n",
    };
    cfg_mapping *ref = map_text(forms[0]);
    ck_assert_ptr_nonnull(ref);
    ck_assert_int_eq(ref->entries[0].spatial[0].n_unrolls, 2);
    ck_assert_str_eq(ref->entries[0].spatial[0].unrolls[1].dim, "C");
    ck_assert_uint_eq(ref->entries[0].spatial[0].unrolls[1].factor, 2);
    for (int i = 1; i < 3; i++) {
        cfg_mapping *m = map_text(forms[i]);
        ck_assert_ptr_nonnull(m);
        /* line/col of the D1 key differ between spellings; compare the rest */
        cfg_spatial a = ref->entries[0].spatial[0], b = m->entries[0].spatial[0];
        a.line = b.line = a.col = b.col = 0;
        ck_assert(!memcmp(&a, &b, sizeof a));
        cfg_mapping_free(m);
    }
    cfg_mapping_free(ref);
    /* A single string also works. */
    cfg_mapping *m = map_text("- name: x\n  spatial_mapping: {D2: 'OX, 4'}\n");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->entries[0].spatial[0].oa_dim, "D2");
    ck_assert_uint_eq(m->entries[0].spatial[0].unrolls[0].factor, 4);
    cfg_mapping_free(m);
}
END_TEST

START_TEST(test_stream_tilings_and_allocation)
{
    cfg_mapping *m = map_text("- name: default\n"
                              "  core_allocation: [0, 2, 3]\n"
                              "  core_allocation_is_fixed: true\n"
                              "  intra_core_tiling:\n    - OY, all\n"
                              "  inter_core_tiling:\n    - K, *\n    - [C, 2]\n"
                              "  temporal_ordering: [[OX, 7], [K, '*'], 'FY, 3']\n"
                              "- name: conv1\n  core_allocation: 1\n");
    ck_assert_ptr_nonnull(m);
    const cfg_map_entry *e = &m->entries[0];
    ck_assert_int_eq(e->n_core_alloc, 3);
    ck_assert_int_eq(e->core_alloc[2], 3);
    ck_assert(e->core_alloc_fixed);
    ck_assert_int_eq(e->n_intra, 1);
    ck_assert_uint_eq(e->intra_tiling[0].factor, CFG_FACTOR_ALL);
    ck_assert_int_eq(e->n_inter, 2);
    ck_assert_uint_eq(e->inter_tiling[0].factor, CFG_FACTOR_STAR);
    ck_assert_uint_eq(e->inter_tiling[1].factor, 2);
    ck_assert_int_eq(e->n_order, 3);
    ck_assert_str_eq(e->order[1].dim, "K");
    ck_assert_uint_eq(e->order[1].factor, CFG_FACTOR_STAR);
    ck_assert_uint_eq(e->order[2].factor, 3);
    /* No links given: ZigZag's default. */
    ck_assert(!e->has_links);
    ck_assert_int_eq(e->n_links, 3);
    ck_assert_int_eq(m->entries[1].n_core_alloc, 1);
    ck_assert_int_eq(m->entries[1].core_alloc[0], 1);
    cfg_mapping_free(m);
    /* `all` is not a spatial factor. */
    base_errors e2;
    base_errors_init(&e2);
    const char *bad = "- name: d\n  spatial_mapping: {D1: [K, all]}\n";
    ck_assert_ptr_null(cfg_mapping_load_string(bad, strlen(bad), "m", &e2));
    ck_assert_int_ge(e2.count, 1);
    base_errors_clear(&e2);
}
END_TEST

START_TEST(test_newer_stream_mapping_layout)
{
    const char *t = "layers:\n- name: Conv\n  core_allocation: [[0, 1, 2, 3]]\n"
                    "  inter_core_tiling:\n  - dim: K\n    split: 4\n"
                    "- name: Add\n  core_allocation: [5]\n";
    cfg_mapping *m = map_text(t);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->n_entries, 2);
    ck_assert_int_eq(m->entries[0].n_core_alloc, 4);
    ck_assert_str_eq(m->entries[0].inter_tiling[0].dim, "K");
    ck_assert_uint_eq(m->entries[0].inter_tiling[0].factor, 4);
    cfg_mapping_free(m);
    base_errors e;
    base_errors_init(&e);
    const char *f = "layers:\n- name: Conv\nfused_groups:\n- name: g\n";
    ck_assert_ptr_null(cfg_mapping_load_string(f, strlen(f), "fg.yaml", &e));
    ck_assert_ptr_nonnull(strstr(emsg(&e, 0), "fg.yaml:4:1: fused_groups: layer fusion groups "
                                            "are not supported"));
    base_errors_clear(&e);
}
END_TEST

START_TEST(test_spiking_layers)
{
    base_errors e;
    base_errors_init(&e);
    cfg_workload *w = cfg_workload_load_file("configs/workloads/snn_lenet5_nmnist.yaml", &e);
    ck_assert_ptr_nonnull(w);
    const cfg_layer *l = &w->layers[0];
    ck_assert_int_eq(l->neuron.model, CFG_NEURON_LIF);
    ck_assert_double_eq_tol(l->neuron.leak, 0.1, 1e-12);
    ck_assert_uint_eq(l->neuron.refractory_ps, 1000000);
    ck_assert_str_eq(l->input_source, "input");
    ck_assert_int_eq(l->input_source_layer, -1);
    ck_assert_int_eq(w->layers[1].neuron.model, CFG_NEURON_IF);
    ck_assert_int_eq(w->layers[1].input_source_layer, 0);
    ck_assert_uint_eq(l->sizes[cfg_layer_dim(l, "C")], 2);   /* two polarities */
    ck_assert_int_eq(l->operands[cfg_layer_operand(l, "I")].precision_bits, 1);
    cfg_workload_free(w);
    const char *bad = "- id: 0\n  equation: O[k]+=W[k][c]*I[c]\n  loop_dims: [K, C]\n"
                      "  loop_sizes: [2, 2]\n  operand_precision: {O: 16, W: 8, I: 1}\n"
                      "  neuron: {model: if, threshold: 1, leak: 0.5}\n"
                      "  input_source: nowhere\n";
    ck_assert_ptr_null(cfg_workload_load_string(bad, strlen(bad), "s.yaml", &e));
    bool leak = false, src = false;
    for (int i = 0; i < e.count; i++) {
        leak |= strstr(emsg(&e, i), "s.yaml:6:") && strstr(emsg(&e, i), "does not leak");
        src |= strstr(emsg(&e, i), "s.yaml:7:") && strstr(emsg(&e, i), "found 'nowhere'");
    }
    ck_assert(leak);
    ck_assert(src);
    base_errors_clear(&e);
}
END_TEST

START_TEST(test_chip_with_inline_core)
{
    const char *t =
        "name: one\nclock_ghz: 1\n"
        "core_types:\n  tiny:\n    core:\n      name: tiny\n"
        "      operational_array: {unit_energy: 0.1, dimensions: [D1], sizes: [2]}\n"
        "      memories:\n        m:\n          size: 1024\n          r_cost: 1\n"
        "          w_cost: 1\n          operands: [I1, I2, O]\n          ports:\n"
        "            - {name: rw_port_1, type: read_write, bandwidth_min: 8, "
        "bandwidth_max: 32, allocation: ['I1, fh', 'I1, tl', 'I2, fh', 'I2, tl', "
        "'O, fh', 'O, tl', 'O, fl', 'O, th']}\n"
        "          served_dimensions: [D1]\n"
        "cores: [{type: tiny, at: [0, 0]}]\n"
        "noc: {mesh: [1, 1], flit_width_bits: 16, clock_ghz: 1, energy_per_flit_hop_pj: 1, "
        "energy_per_bit_link_pj: 0.01}\n";
    base_errors e;
    base_errors_init(&e);
    cfg_chip *c = cfg_chip_load_string(t, strlen(t), "one.yaml", NULL, &e);
    for (int i = 0; i < e.count; i++)
        fprintf(stderr, "%s\n", emsg(&e, i));
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->types[0].source, "");
    ck_assert_str_eq(c->types[0].core.name, "tiny");
    ck_assert_uint_eq(c->types[0].core.mems[0].ports[0].bw_max_bits, 32);
    ck_assert_int_eq(c->cores[0].id, 0);
    ck_assert_int_eq(c->n_memories, 0);
    cfg_chip_free(c);
    base_errors_clear(&e);
}
END_TEST

/* Loads every file under dir (recursively) as the kind it is. */
static int load_all(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    char names[64][256];
    int cnt = 0;
    while ((de = readdir(d)) && cnt < 64)
        if (de->d_name[0] != '.')
            snprintf(names[cnt++], sizeof names[0], "%s", de->d_name);
    closedir(d);
    for (int i = 0; i < cnt; i++) {
        char p[1024];
        if (snprintf(p, sizeof p, "%.700s/%.255s", dir, names[i]) >= (int)sizeof p)
            continue;
        size_t len = strlen(p);
        if (len < 5 || strcmp(p + len - 5, ".yaml")) {
            DIR *sub = opendir(p);
            if (sub) {
                closedir(sub);
                n += load_all(p);
            }
            continue;
        }
        base_errors e;
        base_errors_init(&e);
        if (cfg_sweep_is_file(p)) { /* configs/sweeps/: its own loader */
            cfg_sweep *sw = cfg_sweep_load_file(p, &e);
            for (int j = 0; j < e.count; j++)
                fprintf(stderr, "%s\n", emsg(&e, j));
            ck_assert_msg(sw != NULL, "%s (sweep) does not load", p);
            cfg_sweep_free(sw);
            base_errors_clear(&e);
            n++;
            continue;
        }
        cfg_kind k = cfg_detect_kind_file(p, &e);
        void *obj = NULL;
        switch (k) {
        case CFG_KIND_CORE: obj = cfg_core_load_file(p, &e); cfg_core_free(obj); break;
        case CFG_KIND_WORKLOAD: obj = cfg_workload_load_file(p, &e); cfg_workload_free(obj); break;
        case CFG_KIND_MAPPING: obj = cfg_mapping_load_file(p, &e); cfg_mapping_free(obj); break;
        case CFG_KIND_CHIP: obj = cfg_chip_load_file(p, &e); cfg_chip_free(obj); break;
        case CFG_KIND_SCENARIO: obj = cfg_scenario_load_file(p, &e); cfg_scenario_free(obj); break;
        default: break;
        }
        for (int j = 0; j < e.count; j++)
            fprintf(stderr, "%s\n", emsg(&e, j));
        ck_assert_msg(obj != NULL, "%s (%s) does not load", p, cfg_kind_name(k));
        base_errors_clear(&e);
        n++;
    }
    return n;
}

START_TEST(test_every_shipped_config_loads)
{
    ck_assert_int_ge(load_all("configs"), 17);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config_formats");
    TCase *tc = tcase_create("formats");
    tcase_add_test(tc, test_spatial_mapping_spellings_agree);
    tcase_add_test(tc, test_stream_tilings_and_allocation);
    tcase_add_test(tc, test_newer_stream_mapping_layout);
    tcase_add_test(tc, test_spiking_layers);
    tcase_add_test(tc, test_chip_with_inline_core);
    tcase_add_test(tc, test_every_shipped_config_loads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
