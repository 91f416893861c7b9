/* test_onnx.c -- ONNX models in (sim/config/cfg_onnx*.c): Stream's
 * ResNet-18 example (tests/data/onnx/resnet18.onnx) becomes 48 layers
 * numbered as Stream numbers them (the Flatten takes id 47), conv1 with
 * its loop sizes, stride and pads, 1.814 G MACs in Conv and Gemm, the Adds
 * reading two layers, the Gemm reading the pool through the Flatten; the
 * shapes inferred without value_info equal the file's; Debian's
 * pytorch-converted models (groups, dilation, 1-D, pool padding and
 * dilation, Gemm with transB); and every bad input: a missing, empty,
 * truncated or YAML file, a protobuf without a graph, unsupported ops
 * listed with their node names, a 3-D Conv, and each failed allocation. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_onnx.h"
#include "test_skip.h"

#define R18 "tests/data/onnx/resnet18.onnx"
#define FSR "tests/data/onnx/fsrcnn.onnx"
#define PTC "/usr/share/libonnx-testdata/data/pytorch-converted/"

static cfg_workload *load(const char *path, onnx_graph **gout)
{
    base_error e;
    base_error_clear(&e);
    onnx_graph *g = cfg_onnx_load(path, &e);
    ck_assert_msg(g != NULL, "%s", e.msg);
    cfg_workload *w = cfg_onnx_workload(g, &e);
    ck_assert_msg(w != NULL, "%s", e.msg);
    if (gout)
        *gout = g;
    else
        cfg_onnx_free(g);
    return w;
}

static uint64_t dim(const cfg_layer *l, const char *d)
{
    int k = cfg_layer_dim(l, d);
    ck_assert_msg(k >= 0, "layer %s has no dim %s", l->name, d);
    return l->sizes[k];
}

static const cfg_layer *by_name(const cfg_workload *w, const char *name)
{
    for (int i = 0; i < w->n_layers; i++)
        if (!strcmp(w->layers[i].name, name))
            return &w->layers[i];
    ck_abort_msg("no layer %s", name);
    return NULL;
}

static int64_t source(const cfg_layer *l, const char *op)
{
    int o = cfg_layer_operand(l, op);
    ck_assert_int_ge(o, 0);
    return l->operands[o].has_source ? l->operands[o].source_layer_id : -1;
}

START_TEST(test_resnet18_layers_numbered_as_stream)
{
    cfg_workload *w = load(R18, NULL);
    ck_assert_int_eq(w->n_layers, 48);
    ck_assert_str_eq(w->layers[0].name, "/conv1/Conv");
    ck_assert_str_eq(w->layers[1].name, "/relu/Relu");
    ck_assert_str_eq(w->layers[46].name, "/avgpool/GlobalAveragePool");
    ck_assert_int_eq(w->layers[46].id, 46);
    ck_assert_str_eq(w->layers[47].name, "/fc/Gemm");
    ck_assert_int_eq(w->layers[47].id, 48); /* 47 is the Flatten */
    cfg_workload_free(w);
}
END_TEST

START_TEST(test_resnet18_conv1_loops_stride_and_pads)
{
    cfg_workload *w = load(R18, NULL);
    const cfg_layer *l = &w->layers[0];
    ck_assert_uint_eq(dim(l, "K"), 64);
    ck_assert_uint_eq(dim(l, "C"), 3);
    ck_assert_uint_eq(dim(l, "G"), 1);
    ck_assert_uint_eq(dim(l, "OY"), 112);
    ck_assert_uint_eq(dim(l, "OX"), 112);
    ck_assert_uint_eq(dim(l, "FY"), 7);
    ck_assert_uint_eq(dim(l, "FX"), 7);
    ck_assert_int_eq(l->n_relations, 2);
    ck_assert_int_eq(l->relations[0].coef[0], 2); /* ix = 2*ox + 1*fx */
    ck_assert_int_eq(l->relations[0].coef[1], 1);
    ck_assert(l->has_padding && l->has_pr_sizes);
    ck_assert_int_eq(l->padding[0][0], 3);
    ck_assert_int_eq(l->padding[0][1], 3);
    ck_assert_int_eq(l->padding[1][0], 3);
    ck_assert_uint_eq(l->pr_sizes[0], 224);
    const cfg_layer *mp = by_name(w, "/maxpool/MaxPool");
    ck_assert_uint_eq(dim(mp, "OY"), 56);
    ck_assert_uint_eq(dim(mp, "FX"), 3);
    ck_assert_int_eq(mp->padding[0][0], 1);
    const cfg_layer *fc = by_name(w, "/fc/Gemm");
    ck_assert_uint_eq(dim(fc, "C"), 512);
    ck_assert_uint_eq(dim(fc, "K"), 1000);
    ck_assert_uint_eq(dim(fc, "D"), 1);
    uint64_t macs = 0;
    for (int i = 0; i < w->n_layers; i++)
        if (!strcmp(w->layers[i].operator_type, "Conv") ||
            !strcmp(w->layers[i].operator_type, "Gemm"))
            macs += cfg_layer_macs(&w->layers[i]);
    ck_assert_uint_eq(macs, 1814073344ull); /* 1.814 G */
    cfg_workload_free(w);
}
END_TEST

/* With Stream's layer semantics a pool loops over C = K as well (K times
 * the MACs) and an element-wise op is O+=I*W with I its second input. */
START_TEST(test_stream_semantics_pool_c_loop_and_simd_order)
{
    base_error e;
    base_error_clear(&e);
    onnx_graph *g = cfg_onnx_load(R18, &e);
    ck_assert_msg(g != NULL, "%s", e.msg);
    cfg_onnx_options o = {.stream = true};
    cfg_workload *w = cfg_onnx_workload_opt(g, &o, &e);
    ck_assert_msg(w != NULL, "%s", e.msg);
    cfg_onnx_free(g);
    cfg_workload *plain = load(R18, NULL);
    const cfg_layer *mp = by_name(w, "/maxpool/MaxPool"), *mp0 = by_name(plain, "/maxpool/MaxPool");
    ck_assert_uint_eq(dim(mp, "C"), 64);
    ck_assert_int_eq(cfg_layer_dim(mp0, "C"), -1);
    ck_assert_str_eq(mp->dims[4], "C"); /* Stream's order B K OX OY C FX FY */
    ck_assert_uint_eq(cfg_layer_macs(mp), 64 * cfg_layer_macs(mp0));
    const cfg_layer *add = by_name(w, "/layer1/layer1.0/Add");
    ck_assert_str_eq(add->operands[1].name, "I");
    ck_assert_str_eq(add->operands[2].name, "W");
    ck_assert_int_eq(source(add, "W"), 5);
    ck_assert_int_eq(source(add, "I"), 2);
    const cfg_layer *relu = by_name(w, "/relu/Relu");
    ck_assert_str_eq(relu->operands[1].name, "I");
    ck_assert_int_eq(relu->operands[2].n_idx, 0); /* W[]: one constant */
    ck_assert_int_eq(source(relu, "I"), 0);
    cfg_workload_free(plain);
    cfg_workload_free(w);
}
END_TEST

/* Stream's FSRCNN example, 540 rows by 960 columns: OX 540, OY 960 as
 * Stream has them (its `OY, all` makes 960 CNs per layer). */
START_TEST(test_fsrcnn_axes_as_stream)
{
    cfg_workload *w = load(FSR, NULL);
    ck_assert_int_eq(w->n_layers, 8);
    ck_assert_str_eq(w->layers[0].name, "custom_added_Conv1");
    ck_assert_uint_eq(dim(&w->layers[0], "OX"), 540);
    ck_assert_uint_eq(dim(&w->layers[0], "OY"), 960);
    ck_assert_uint_eq(dim(&w->layers[0], "K"), 56);
    ck_assert_uint_eq(dim(&w->layers[0], "FX"), 5);
    cfg_workload_free(w);
}
END_TEST

START_TEST(test_resnet18_producer_edges)
{
    cfg_workload *w = load(R18, NULL);
    const cfg_layer *add = by_name(w, "/layer1/layer1.0/Add");
    ck_assert_int_eq(add->n_operands, 3); /* O, W, I: two inputs */
    ck_assert_int_eq(source(add, "W"), 5);  /* conv2 */
    ck_assert_int_eq(source(add, "I"), 2);  /* the maxpool: the shortcut */
    const cfg_layer *add2 = by_name(w, "/layer2/layer2.0/Add");
    ck_assert_int_eq(source(add2, "W"), 15);
    ck_assert_int_eq(source(add2, "I"), 16); /* the downsample */
    ck_assert_int_eq(source(by_name(w, "/fc/Gemm"), "I"), 46); /* through the Flatten */
    ck_assert_int_eq(source(by_name(w, "/fc/Gemm"), "W"), 48); /* its own: constant */
    ck_assert_int_eq(source(&w->layers[0], "I"), 0);             /* the network input */
    ck_assert_int_eq(source(by_name(w, "/relu/Relu"), "I"), 0);
    cfg_workload_free(w);
}
END_TEST

/* Shapes left out of the file are inferred to the same layers. */
START_TEST(test_inferred_shapes_equal_the_files)
{
    onnx_graph *g;
    cfg_workload *ref = load(_i ? FSR : R18, &g);
    base_error e;
    base_error_clear(&e);
    int cleared = 0;
    for (int v = 0; v < g->n_values; v++) {
        bool in = false;
        for (int k = 0; k < g->n_inputs; k++)
            in |= g->inputs[k] == v;
        if (!in && !g->values[v].initializer) {
            g->values[v].has_shape = false;
            cleared++;
        }
    }
    ck_assert_int_gt(cleared, _i ? 7 : 40);
    cfg_workload *w = cfg_onnx_workload(g, &e);
    ck_assert_msg(w != NULL, "%s", e.msg);
    ck_assert_int_eq(w->n_layers, ref->n_layers);
    for (int i = 0; i < w->n_layers; i++) {
        ck_assert_int_eq(w->layers[i].n_dims, ref->layers[i].n_dims);
        for (int k = 0; k < w->layers[i].n_dims; k++)
            ck_assert_msg(w->layers[i].sizes[k] == ref->layers[i].sizes[k], "%s %s: %llu != %llu",
                          w->layers[i].name, w->layers[i].dims[k],
                          (unsigned long long)w->layers[i].sizes[k],
                          (unsigned long long)ref->layers[i].sizes[k]);
    }
    cfg_workload_free(w);
    cfg_workload_free(ref);
    cfg_onnx_free(g);
}
END_TEST

START_TEST(test_pytorch_conv_groups_dilation_1d)
{
    cfg_workload *w = load(PTC "test_Conv2d_groups/model.onnx", NULL);
    const cfg_layer *l = &w->layers[0]; /* 4 -> 6 channels in 2 groups, kernel 3x2 */
    ck_assert_uint_eq(dim(l, "G"), 2);
    ck_assert_uint_eq(dim(l, "K"), 3);
    ck_assert_uint_eq(dim(l, "C"), 2);
    ck_assert_uint_eq(dim(l, "FX"), 3); /* Stream's axes: X is the height */
    ck_assert_uint_eq(dim(l, "FY"), 2);
    ck_assert_uint_eq(dim(l, "OY"), 4);
    ck_assert_uint_eq(cfg_layer_macs(l), 2 * 6 * 2 * 4 * 4 * 3 * 2);
    ck_assert_int_eq(l->operands[cfg_layer_operand(l, "W")].n_idx, 5); /* W[g][k][c][fy][fx] */
    cfg_workload_free(w);
    w = load(PTC "test_Conv2d_dilated/model.onnx", NULL);
    l = &w->layers[0]; /* 8x8, kernel 3, stride 2, dilation 2, pad 1 */
    ck_assert_uint_eq(dim(l, "OX"), 3);
    ck_assert_int_eq(l->relations[0].coef[0], 2);
    ck_assert_int_eq(l->relations[0].coef[1], 2);
    ck_assert_int_eq(l->padding[1][1], 1);
    cfg_workload_free(w);
    w = load(PTC "test_Conv1d_stride/model.onnx", NULL);
    ck_assert_uint_eq(dim(&w->layers[0], "OY"), 1);
    ck_assert_uint_eq(dim(&w->layers[0], "FY"), 1);
    ck_assert_uint_eq(dim(&w->layers[0], "OX"), 4);
    cfg_workload_free(w);
}
END_TEST

START_TEST(test_pytorch_pool_and_linear)
{
    /* kernel 60x80, stride 10, dilation 10, pads 10 (H) and 20 (W) on 1000x1000 */
    cfg_workload *w = load(PTC "test_MaxPool2d_stride_padding_dilation/model.onnx", NULL);
    const cfg_layer *l = &w->layers[0];
    ck_assert_str_eq(l->operator_type, "MaxPool");
    ck_assert_uint_eq(dim(l, "OX"), 43); /* Stream's axes: X is the height */
    ck_assert_uint_eq(dim(l, "OY"), 25);
    ck_assert_uint_eq(dim(l, "FX"), 60);
    ck_assert_uint_eq(dim(l, "FY"), 80);
    ck_assert_int_eq(l->padding[0][0], 10); /* IX */
    ck_assert_int_eq(l->padding[1][0], 20); /* IY */
    ck_assert_int_eq(l->relations[1].coef[1], 10);
    cfg_workload_free(w);
    w = load(PTC "test_Linear/model.onnx", NULL); /* (4, 10) x (8, 10)^T */
    l = &w->layers[0];
    ck_assert_uint_eq(dim(l, "D"), 4);
    ck_assert_uint_eq(dim(l, "C"), 10);
    ck_assert_uint_eq(dim(l, "K"), 8);
    cfg_workload_free(w);
}
END_TEST

static void expect_fail_bytes(const uint8_t *b, size_t n, const char *what)
{
    base_error e;
    base_error_clear(&e);
    onnx_graph *g = cfg_onnx_load_bytes(b, n, "x.onnx", &e);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(e.msg, what) != NULL, "'%s' lacks '%s'", e.msg, what);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t *b = malloc(1 << 20);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

START_TEST(test_not_onnx_truncated_empty_missing)
{
    base_error e;
    base_error_clear(&e);
    ck_assert_ptr_null(cfg_onnx_load("tests/data/onnx/absent.onnx", &e));
    ck_assert_ptr_nonnull(strstr(e.msg, "cannot open"));
    expect_fail_bytes((const uint8_t *)"", 0, "the file is empty");
    size_t n;
    uint8_t *b = slurp(R18, &n);
    expect_fail_bytes(b, n / 2, "do not parse"); /* truncated */
    expect_fail_bytes(b, n - 3, "do not parse");
    free(b);
    b = slurp("configs/default.yaml", &n);
    expect_fail_bytes(b, n, "not an ONNX model");
    free(b);
    static const uint8_t no_graph[] = {0x08, 0x07}; /* ir_version 7 only */
    expect_fail_bytes(no_graph, sizeof no_graph, "no graph nodes");
}
END_TEST

static void patch(uint8_t *b, size_t n, const char *from, const char *to)
{
    size_t l = strlen(from);
    for (size_t i = 0; i + l <= n; i++)
        if (!memcmp(b + i, from, l))
            memcpy(b + i, to, l);
}

START_TEST(test_unsupported_ops_listed_with_node_names)
{
    size_t n;
    uint8_t *b = slurp(R18, &n);
    patch(b, n, "GlobalAveragePool", "GlobalLpPoolXxxxx"); /* same lengths: still protobuf */
    patch(b, n, "Gemm", "Gemx");
    base_error e;
    base_error_clear(&e);
    onnx_graph *g = cfg_onnx_load_bytes(b, n, "p.onnx", &e);
    free(b);
    ck_assert_msg(g != NULL, "%s", e.msg);
    ck_assert_ptr_null(cfg_onnx_workload(g, &e));
    ck_assert_msg(strstr(e.msg, "unsupported ONNX ops: GlobalLpPoolXxxxx "
                         "(/avgpool/GlobalLpPoolXxxxx); Gemx (/fc/Gemx)"), "%s", e.msg);
    cfg_onnx_free(g);
    b = slurp(R18, &n); /* 17 Relu and 20 Conv nodes: more names than a message holds */
    patch(b, n, "Relu", "Relx");
    patch(b, n, "Conv", "Conx");
    g = cfg_onnx_load_bytes(b, n, "p.onnx", &e);
    free(b);
    ck_assert_ptr_null(cfg_onnx_workload(g, &e));
    ck_assert_msg(strstr(e.msg, "unsupported ONNX ops: Conx (/conv1/Conx, "
                                "/layer1/layer1.0/conv1/Conx, "), "%s", e.msg);
    ck_assert_str_eq(e.msg + strlen(e.msg) - 3, "...");
    cfg_onnx_free(g);
    g = cfg_onnx_load(PTC "test_Conv3d/model.onnx", &e);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_null(cfg_onnx_workload(g, &e));
    ck_assert_msg(strstr(e.msg, "node Conv_0 (Conv): expected an input and an output of rank 4"),
                  "%s", e.msg);
    cfg_onnx_free(g);
}
END_TEST

START_TEST(test_every_failed_allocation_fails_the_load_cleanly)
{
    for (long n = 1; n < 100000; n++) {
        base_alloc_fail_at(n, 0);
        base_error err;
        onnx_graph *g = cfg_onnx_load(R18, &err);
        cfg_workload *w = g ? cfg_onnx_workload(g, &err) : NULL;
        int injected = base_alloc_injected();
        base_alloc_fail_at(0, 0);
        cfg_workload_free(w);
        cfg_onnx_free(g);
        if (!injected) {
            ck_assert_ptr_nonnull(w);
            return;
        }
        ck_assert_msg(w == NULL, "allocation %ld failed, the load succeeded", n);
        n += n > 2000 ? 7 : 0; /* every allocation up to 2000, then every 8th */
    }
    ck_abort_msg("never completed");
}
END_TEST

static Suite *onnx_suite(void)
{
    Suite *s = suite_create("onnx");
    TCase *tc = tcase_create("onnx");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_resnet18_layers_numbered_as_stream);
    tcase_add_test(tc, test_resnet18_conv1_loops_stride_and_pads);
    tcase_add_test(tc, test_resnet18_producer_edges);
    tcase_add_test(tc, test_stream_semantics_pool_c_loop_and_simd_order);
    tcase_add_test(tc, test_fsrcnn_axes_as_stream);
    tcase_add_loop_test(tc, test_inferred_shapes_equal_the_files, 0, 2);
    tcase_add_test_needing(tc, test_pytorch_conv_groups_dilation_1d,
                           PTC "test_Conv2d_groups/model.onnx");
    tcase_add_test_needing(tc, test_pytorch_pool_and_linear, PTC "test_Linear/model.onnx");
    tcase_add_test(tc, test_not_onnx_truncated_empty_missing);
    tcase_add_test_needing(tc, test_unsupported_ops_listed_with_node_names,
                           PTC "test_Conv3d/model.onnx");
    tcase_add_test(tc, test_every_failed_allocation_fails_the_load_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(onnx_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
