/* test_cfg_npy.c -- the NPY reader on files built byte by byte here (no
 * numpy needed): every supported dtype, versions 1.0 to 3.0, Fortran
 * order, scale, shape checks, and each kind of bad file with its message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "base/rng.h"
#include "config/cfg_npy.h"
#include "test_skip.h"

/* An NPY image as numpy writes it: magic, version, little-endian header
 * length, the dict padded with spaces to a 64-byte boundary and ended by
 * '\n', then the data. Returns the length. */
static size_t npy_build(unsigned char *out, int major, const char *dict, const void *data,
                        size_t dlen)
{
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t hlen = dl + 1;
    hlen += (64 - (pre + hlen) % 64) % 64;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    for (size_t k = 0; k < pre - 8; k++)
        out[8 + k] = (unsigned char)(hlen >> (8 * k));
    memcpy(out + pre, dict, dl);
    memset(out + pre + dl, ' ', hlen - dl - 1);
    out[pre + hlen - 1] = '\n';
    memcpy(out + pre + hlen, data, dlen);
    return pre + hlen + dlen;
}

static unsigned char buf[4096];

static int parse(size_t len, double scale, cfg_npy *a, base_error *e)
{
    return cfg_npy_parse("w.npy", buf, len, scale, a, e);
}

START_TEST(test_f4_c_order_2x3)
{
    const float v[6] = {1, 2, 3, 4.5f, -5, 6};
    size_t n = npy_build(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                         v, sizeof v);
    ck_assert_uint_eq((n - sizeof v) % 64, 0);
    cfg_npy a;
    base_error e;
    ck_assert_int_eq(parse(n, 1.0, &a, &e), 0);
    ck_assert_uint_eq(a.ndim, 2);
    ck_assert_uint_eq(a.shape[0], 2);
    ck_assert_uint_eq(a.shape[1], 3);
    ck_assert_uint_eq(a.count, 6);
    ck_assert_int_eq(a.dtype, CFG_NPY_F4);
    for (int k = 0; k < 6; k++)
        ck_assert_float_eq(a.data[k], v[k]);
    const uint64_t want[2] = {2, 3}, wrong[2] = {3, 2};
    ck_assert_int_eq(cfg_npy_check_shape(&a, "w.npy", want, 2, &e), 0);
    ck_assert_int_eq(cfg_npy_check_shape(&a, "w.npy", wrong, 2, &e), -1);
    char s[1400];
    ck_assert_str_eq(base_error_str(&e, s, sizeof s), "w.npy: shape (2, 3): expected (3, 2)");
    ck_assert_int_eq(cfg_npy_check_shape(&a, "w.npy", want, 1, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "expected (2,)"));
    cfg_npy_free(&a);
    ck_assert_ptr_null(a.data);
}
END_TEST

START_TEST(test_every_dtype_with_scale)
{
    cfg_npy a;
    base_error e;
    const double d[3] = {0.1, -2.5, 1e10};
    size_t n = npy_build(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}", d,
                         sizeof d);
    ck_assert_int_eq(parse(n, 2.0, &a, &e), 0);
    ck_assert_float_eq(a.data[0], (float)0.2);
    ck_assert_float_eq(a.data[1], -5.0f);
    ck_assert_float_eq(a.data[2], 2e10f);
    cfg_npy_free(&a);
    const signed char i1[4] = {-128, -1, 0, 127};
    n = npy_build(buf, 1, "{'descr': '|i1', 'fortran_order': False, 'shape': (4,)}", i1, 4);
    ck_assert_int_eq(parse(n, 0.5, &a, &e), 0);
    ck_assert_float_eq(a.data[0], -64.0f);
    ck_assert_float_eq(a.data[1], -0.5f);
    ck_assert_float_eq(a.data[3], 63.5f);
    cfg_npy_free(&a);
    const unsigned char u1[2] = {255, 7};
    n = npy_build(buf, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,)}", u1, 2);
    ck_assert_int_eq(parse(n, 1.0, &a, &e), 0);
    ck_assert_float_eq(a.data[0], 255.0f);
    cfg_npy_free(&a);
    /* little-endian on disk whatever the host: bytes written by hand */
    const unsigned char i2[4] = {0x00, 0x80, 0x34, 0x12}; /* -32768, 0x1234 */
    n = npy_build(buf, 1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,)}", i2, 4);
    ck_assert_int_eq(parse(n, 1.0 / 256, &a, &e), 0);
    ck_assert_float_eq(a.data[0], -128.0f);
    ck_assert_float_eq(a.data[1], (float)0x1234 / 256);
    cfg_npy_free(&a);
    const unsigned char i4[4] = {0xfe, 0xff, 0xff, 0xff}; /* -2 */
    n = npy_build(buf, 1, "{'descr': '<i4', 'fortran_order': False, 'shape': ()}", i4, 4);
    ck_assert_int_eq(parse(n, 3.0, &a, &e), 0);
    ck_assert_uint_eq(a.ndim, 0);
    ck_assert_uint_eq(a.count, 1);
    ck_assert_float_eq(a.data[0], -6.0f);
    cfg_npy_free(&a);
}
END_TEST

START_TEST(test_fortran_order_becomes_c_order)
{
    /* a[i][j][k] = 100 i + 10 j + k, shape (2, 3, 4), stored column-major:
     * the first index runs fastest in the file */
    float f[24];
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 2; i++)
                f[i + 2 * (j + 3 * k)] = (float)(100 * i + 10 * j + k);
    size_t n = npy_build(buf, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }",
                         f, sizeof f);
    cfg_npy a;
    base_error e;
    ck_assert_int_eq(parse(n, 1.0, &a, &e), 0);
    ck_assert_int_eq(a.fortran_order, 1);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                ck_assert_float_eq(a.data[(i * 3 + j) * 4 + k], (float)(100 * i + 10 * j + k));
    cfg_npy_free(&a);
    /* 1-d Fortran is C order already */
    n = npy_build(buf, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", f, 12);
    ck_assert_int_eq(parse(n, 1.0, &a, &e), 0);
    ck_assert_float_eq(a.data[2], f[2]);
    cfg_npy_free(&a);
}
END_TEST

START_TEST(test_versions_2_and_3_and_key_order)
{
    const float v[2] = {7, 8};
    for (int major = 2; major <= 3; major++) {
        size_t n = npy_build(buf, major, "{\"shape\": (1, 2), \"fortran_order\": False, "
                                         "\"descr\": \"<f4\"}", v, sizeof v);
        cfg_npy a;
        base_error e;
        ck_assert_int_eq(parse(n, 1.0, &a, &e), 0);
        ck_assert_uint_eq(a.shape[1], 2);
        ck_assert_float_eq(a.data[1], 8.0f);
        cfg_npy_free(&a);
    }
}
END_TEST

/* Each bad input fails with its file name and the given words. */
static void expect_bad(size_t len, const char *words)
{
    cfg_npy a;
    base_error e;
    char s[1400];
    ck_assert_int_eq(parse(len, 1.0, &a, &e), -1);
    ck_assert_ptr_null(a.data);
    base_error_str(&e, s, sizeof s);
    ck_assert_msg(strstr(s, "w.npy: ") == s && strstr(s, words), "message: %s", s);
}

START_TEST(test_bad_files_say_what_and_where)
{
    const float v[6] = {0};
    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    size_t n = npy_build(buf, 1, ok, v, sizeof v);
    expect_bad(n - 1, "truncated: shape (2, 3) of <f4 needs 24 bytes of data, found 23");
    expect_bad(5, "truncated: 5 bytes");
    expect_bad(40, "truncated: header of 118 bytes, found 30");
    buf[1] = 'X';
    expect_bad(n, "not an NPY file");
    npy_build(buf, 1, ok, v, sizeof v);
    buf[6] = 4;
    expect_bad(n, "unsupported NPY version 4.0");
    n = npy_build(buf, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", v, 24);
    expect_bad(n, "unsupported dtype '>f4'");
    n = npy_build(buf, 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", v, 24);
    expect_bad(n, "unsupported dtype '<c8'");
    n = npy_build(buf, 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                  v, 24);
    expect_bad(n, "structured");
    n = npy_build(buf, 1, "{'descr': '<f4', 'fortran_order': False}", v, 24);
    expect_bad(n, "missing key 'shape'");
    n = npy_build(buf, 1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", v, 24);
    expect_bad(n, "fortran_order: expected True or False");
    n = npy_build(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", v, 24);
    expect_bad(n, "unknown key 'x'");
    n = npy_build(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", v, 24);
    expect_bad(n, "shape: expected a tuple");
    n = npy_build(buf, 1, "{'descr': '<f4', 'descr': '<f4', 'shape': (1,)}", v, 24);
    expect_bad(n, "key 'descr' twice");
    n = npy_build(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", v, 24);
    expect_bad(n, "text after the dict");
    n = npy_build(buf, 1, "['descr', '<f4']", v, 24);
    expect_bad(n, "expected a dict");
}
END_TEST

START_TEST(test_read_from_disk_and_missing_file)
{
    char dir[] = "/tmp/evsim-npy-" "XX" "XX" "XX"; /* mkdtemp template */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[600];
    snprintf(path, sizeof path, "%s/w.npy", dir);
    float v[300];
    for (int k = 0; k < 300; k++)
        v[k] = (float)k / 4;
    static unsigned char big[2048];
    size_t n = npy_build(big, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 30), }",
                         v, sizeof v);
    FILE *f = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(big, 1, n, f), n);
    fclose(f);
    cfg_npy a;
    base_error e;
    ck_assert_int_eq(cfg_npy_read(path, 1.0, &a, &e), 0);
    ck_assert_uint_eq(a.count, 300);
    ck_assert_float_eq(a.data[299], 74.75f);
    cfg_npy_free(&a);
    /* out of memory anywhere: an error, nothing leaked (ASan) */
    for (long k = 0; k < 3; k++) {
        base_alloc_fail_at(k, 0);
        int rc = cfg_npy_read(path, 1.0, &a, &e);
        base_alloc_fail_at(-1, 0);
        if (rc == 0)
            cfg_npy_free(&a);
        else
            ck_assert_ptr_nonnull(strstr(e.msg, "out of memory"));
    }
    unlink(path);
    ck_assert_int_eq(cfg_npy_read(path, 1.0, &a, &e), -1);
    char s[1400];
    base_error_str(&e, s, sizeof s);
    ck_assert_ptr_nonnull(strstr(s, path));
    ck_assert_ptr_nonnull(strstr(s, "cannot open: No such file"));
    rmdir(dir);
}
END_TEST

/* Every truncation and a few thousand random byte flips of good files:
 * each parse either succeeds with a consistent array or fails with a
 * message naming the file -- never a crash or an overread (ASan). */
START_TEST(test_mangled_files_fail_cleanly)
{
    static unsigned char good[512];
    const short v[20] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10};
    size_t n = npy_build(good, 1, "{'descr': '<i2', 'fortran_order': True, 'shape': (4, 5), }",
                         v, sizeof v);
    rng_stream r;
    rng_seed(&r, 7, 0);
    int ok = 0, bad = 0;
    for (int trial = 0; trial < 3000 + (int)n; trial++) {
        size_t len = n;
        memcpy(buf, good, n);
        if (trial < (int)n) {
            len = (size_t)trial;
        } else {
            for (int k = 0; k < 1 + (int)rng_below(&r, 3); k++)
                buf[rng_below(&r, n)] = (unsigned char)rng_next(&r);
        }
        cfg_npy a;
        base_error e;
        if (cfg_npy_parse("w.npy", buf, len, 1.0, &a, &e) == 0) {
            size_t count = 1;
            for (uint32_t d = 0; d < a.ndim; d++)
                count *= (size_t)a.shape[d];
            ck_assert_uint_eq(count, a.count);
            cfg_npy_free(&a);
            ok++;
        } else {
            ck_assert_str_eq(e.file, "w.npy");
            ck_assert(e.msg[0] != 0);
            bad++;
        }
    }
    ck_assert_int_gt(ok, 100); /* flips in the data or the padding still parse */
    ck_assert_int_gt(bad, 1000);
}
END_TEST

#define SENSIM_DIR "../shared/reference/snnpeers/sensim_mnist/"

/* Files numpy itself wrote: SENSIM's Keras weights (HWIO) and the output
 * activations its README quotes, read with their shapes checked. */
START_TEST(test_reads_numpy_written_sensim_files)
{
    cfg_npy a;
    base_error e;
    ck_assert_msg(cfg_npy_read(SENSIM_DIR "con1_weights.npy", 1.0, &a, &e) == 0, "%s", e.msg);
    const uint64_t hwio[4] = {3, 3, 1, 8};
    ck_assert_int_eq(cfg_npy_check_shape(&a, "con1_weights.npy", hwio, 4, &e), 0);
    double sum = 0;
    for (size_t k = 0; k < a.count; k++)
        sum += a.data[k] * a.data[k];
    ck_assert(sum > 0); /* real weights, not a zero page */
    cfg_npy_free(&a);
    ck_assert_int_eq(cfg_npy_read(SENSIM_DIR "den1_weights.npy", 1.0, &a, &e), 0);
    const uint64_t dense[2] = {128, 10};
    ck_assert_int_eq(cfg_npy_check_shape(&a, "den1_weights.npy", dense, 2, &e), 0);
    cfg_npy_free(&a);
}
END_TEST

static Suite *npy_suite(void)
{
    Suite *s = suite_create("cfg_npy");
    TCase *t = tcase_create("npy");
    tcase_add_test(t, test_f4_c_order_2x3);
    tcase_add_test(t, test_every_dtype_with_scale);
    tcase_add_test(t, test_fortran_order_becomes_c_order);
    tcase_add_test(t, test_versions_2_and_3_and_key_order);
    tcase_add_test(t, test_bad_files_say_what_and_where);
    tcase_add_test(t, test_read_from_disk_and_missing_file);
    tcase_add_test(t, test_mangled_files_fail_cleanly);
    tcase_add_test_needing(t, test_reads_numpy_written_sensim_files, SENSIM_DIR "con1_weights.npy");
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(npy_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
