/* test_base.c -- the base layer: error records and lists, the allocation
 * funnel and its fault hook, growing arrays, atomic output files, JSON
 * output, unit conversions. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

START_TEST(test_error_position_formats)
{
    base_error e;
    char buf[1400];
    base_error_clear(&e);
    ck_assert_int_eq(base_fail(&e, "expected %s, found %d", "a count", -3), -1);
    ck_assert_str_eq(base_error_str(&e, buf, sizeof buf), "expected a count, found -3");
    base_fail_at(&e, "chip.yaml", 12, 5, "noc.vcs: expected 1..64, found %d", 0);
    ck_assert_str_eq(base_error_str(&e, buf, sizeof buf),
                     "chip.yaml:12:5: noc.vcs: expected 1..64, found 0");
    base_fail_at(&e, "x.bin", 0, 0, "truncated");
    ck_assert_str_eq(base_error_str(&e, buf, sizeof buf), "x.bin: truncated");
    /* a new failure forgets the old position */
    base_fail(&e, "plain");
    ck_assert_str_eq(base_error_str(&e, buf, sizeof buf), "plain");
}
END_TEST

START_TEST(test_error_null_record_only_returns_minus_one)
{
    ck_assert_int_eq(base_fail(NULL, "x %d", 1), -1);
    ck_assert_int_eq(base_fail_at(NULL, "f", 1, 2, "x"), -1);
    ck_assert_int_eq(base_fail_prefix(NULL, "p: "), -1);
}
END_TEST

START_TEST(test_error_prefix_keeps_message_and_bounds)
{
    base_error e;
    base_fail(&e, "no mapping entry");
    base_fail_prefix(&e, "layer %s: ", "conv1");
    ck_assert_str_eq(e.msg, "layer conv1: no mapping entry");
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    base_fail(&e, "%s", big);
    base_fail_prefix(&e, "P: ");
    ck_assert_uint_eq(strlen(e.msg), BASE_MSG_MAX - 1);
    ck_assert(!strncmp(e.msg, "P: xxx", 6));
}
END_TEST

START_TEST(test_error_list_keeps_100_counts_rest)
{
    base_errors l;
    base_errors_init(&l);
    base_error e;
    for (int i = 0; i < BASE_MAX_ERRORS + 7; i++) {
        base_fail_at(&e, "f.yaml", (uint32_t)i + 1, 1, "error %d", i);
        base_errors_add(&l, &e);
    }
    ck_assert_int_eq(l.count, BASE_MAX_ERRORS);
    ck_assert_int_eq(l.dropped, 7);
    ck_assert_uint_eq(l.items[41].line, 42);
    ck_assert_str_eq(l.items[41].msg, "error 41");
    base_errors_clear(&l);
    ck_assert_int_eq(l.count, 0);
}
END_TEST

START_TEST(test_alloc_fails_nth_once)
{
    base_alloc_fail_at(2, 0);
    void *a = base_malloc(8), *b = base_calloc(2, 8), *c = base_malloc(8), *d = base_malloc(8);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(c); /* the third call, n = 2 */
    ck_assert_ptr_nonnull(d); /* not sticky: disarmed after one */
    ck_assert(base_alloc_injected());
    ck_assert_uint_eq(base_alloc_calls(), 4);
    base_free(a);
    base_free(b);
    base_free(d);
    base_alloc_fail_at(-1, 0);
}
END_TEST

START_TEST(test_alloc_sticky_fails_every_later_call)
{
    base_alloc_fail_at(0, 1);
    ck_assert_ptr_null(base_malloc(1));
    ck_assert_ptr_null(base_strdup("x"));
    ck_assert_ptr_null(base_realloc(NULL, 4));
    base_alloc_fail_at(-1, 0);
    char *s = base_strdup("back");
    ck_assert_str_eq(s, "back");
    ck_assert(!base_alloc_injected());
    base_free(s);
}
END_TEST

START_TEST(test_aligned_alloc_aligns_and_counts)
{
    void *p = base_aligned_alloc(64, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 64, 0);
    memset(p, 1, 128); /* rounded up to a multiple of the alignment */
    base_free(p);
    ck_assert_ptr_null(base_aligned_alloc(48, 64)); /* not a power of two */
    base_alloc_fail_at(0, 0);
    ck_assert_ptr_null(base_aligned_alloc(64, 64));
    ck_assert(base_alloc_injected());
    base_alloc_fail_at(-1, 0);
}
END_TEST

START_TEST(test_calloc_overflow_refused)
{
    ck_assert_ptr_null(base_calloc(SIZE_MAX / 2, 4));
}
END_TEST

START_TEST(test_grow_doubles_caps_and_survives_failure)
{
    int *a = NULL;
    uint32_t cap = 0;
    ck_assert_int_eq(BASE_GROW(a, cap, 1, 1000), 0);
    ck_assert_uint_eq(cap, 16);
    a[0] = 7;
    ck_assert_int_eq(BASE_GROW(a, cap, 17, 1000), 0);
    ck_assert_uint_eq(cap, 32);
    ck_assert_int_eq(BASE_GROW(a, cap, 600, 1000), 0);
    ck_assert_uint_eq(cap, 1000); /* capped at max */
    ck_assert_int_eq(BASE_GROW(a, cap, 1001, 1000), -1);
    base_alloc_fail_at(0, 0);
    uint32_t cap2 = cap;
    int *keep = a;
    ck_assert_int_eq(BASE_GROW(a, cap2, 1000, 5000), 0); /* no growth needed */
    ck_assert_int_eq(BASE_GROW(a, cap2, 1001, 5000), -1);
    ck_assert_ptr_eq(a, keep);
    ck_assert_uint_eq(cap2, 1000);
    ck_assert_int_eq(a[0], 7);
    base_alloc_fail_at(-1, 0);
    base_free(a);
}
END_TEST

static char dir[64];

static void mkscratch(void)
{
    strcpy(dir, "/tmp/evsim_base_" "XX" "XX" "XX"); /* mkdtemp template */
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

START_TEST(test_outfile_commit_and_abort)
{
    mkscratch();
    char path[128], tmp[160];
    snprintf(path, sizeof path, "%s/r.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    base_outfile o;
    base_error e;
    ck_assert_int_eq(base_out_open(&o, path, "w", &e), 0);
    fputs("{}", o.f);
    ck_assert(exists(tmp) && !exists(path));
    ck_assert_int_eq(base_out_commit(&o, &e), 0);
    ck_assert(exists(path) && !exists(tmp));
    ck_assert_int_eq(base_out_open(&o, path, "w", &e), 0);
    fputs("half", o.f);
    base_out_abort(&o);
    ck_assert(!exists(tmp));
    FILE *f = fopen(path, "r");
    char buf[8] = {0};
    ck_assert(fgets(buf, sizeof buf, f) != NULL);
    fclose(f);
    ck_assert_str_eq(buf, "{}"); /* the old complete file stays */
    base_out_abort(&o); /* harmless twice */
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_outfile_errors_leave_nothing)
{
    base_outfile o;
    base_error e;
    ck_assert_int_eq(base_out_open(&o, "/nonexistent-dir/x.json", "w", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent-dir/x.json.tmp"));
    mkscratch();
    char path[128];
    snprintf(path, sizeof path, "%s/a", dir);
    base_alloc_fail_at(1, 0); /* the tmp name */
    ck_assert_int_eq(base_out_open(&o, path, "w", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "out of memory"));
    base_alloc_fail_at(-1, 0);
    ck_assert_int_eq(rmdir(dir), 0); /* empty: nothing was created */
}
END_TEST

START_TEST(test_json_numbers_keep_format_and_strings_escape)
{
    cJSON *o = cJSON_CreateObject();
    ck_assert_int_eq(base_json_add_num(o, "e", 4.24191e6, "%g"), 0);
    ck_assert_int_eq(base_json_add_num(o, "x", 0.1, "%.17g"), 0);
    ck_assert_int_eq(base_json_add_u64(o, "n", UINT64_MAX), 0);
    ck_assert_int_eq(base_json_add_str(o, "s", "a\"b\\c\x01"), 0);
    ck_assert_int_eq(base_json_add_bool(o, "t", 1), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(base_json_print(f, o, "\n"), 0);
    ck_assert_int_eq(base_json_put_str(f, "tab\there"), 0);
    fclose(f);
    ck_assert_str_eq(buf, "{\"e\":4.24191e+06,\"x\":0.10000000000000001,"
                          "\"n\":18446744073709551615,\"s\":\"a\\\"b\\\\c\\u0001\","
                          "\"t\":true}\n\"tab\\there\"");
    free(buf);
    cJSON_Delete(o);
}
END_TEST

START_TEST(test_json_containers_null_raw_and_quote)
{
    cJSON *o = base_json_object(), *a = base_json_array();
    ck_assert(o && a);
    ck_assert_int_eq(base_json_add_null(o, "z"), 0);
    ck_assert_int_eq(base_json_add_raw(o, "t", "1.500"), 0);
    cJSON_AddItemToArray(a, base_json_u64(7));
    cJSON_AddItemToObject(o, "a", a);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(base_json_print(f, o, ""), 0);
    fclose(f);
    ck_assert_str_eq(buf, "{\"z\":null,\"t\":1.500,\"a\":[7]}");
    free(buf);
    cJSON_Delete(o);
    char *q = base_json_quote("n\nq\"");
    ck_assert_str_eq(q, "\"n\\nq\\\"\"");
    base_free(q);
    base_alloc_fail_at(0, 1);
    ck_assert_ptr_null(base_json_quote("x"));
    ck_assert_ptr_null(base_json_object());
    base_alloc_fail_at(-1, 0);
}
END_TEST

START_TEST(test_json_out_of_memory_is_an_error)
{
    cJSON *o = cJSON_CreateObject();
    base_alloc_fail_at(0, 1);
    ck_assert_int_eq(base_json_add_num(o, "e", 1, "%g"), -1);
    ck_assert_int_eq(base_json_add_str(o, "s", "x"), -1);
    base_alloc_fail_at(-1, 0);
    ck_assert_int_eq(cJSON_GetArraySize(o), 0);
    cJSON_Delete(o);
}
END_TEST

START_TEST(test_units_round_to_nearest_ps)
{
    ck_assert_uint_eq(base_ns_to_ps(50.0), 50000);
    ck_assert_uint_eq(base_ns_to_ps(0.0004), 0);
    ck_assert_uint_eq(base_ns_to_ps(0.0005), 1);   /* half away from zero */
    ck_assert_uint_eq(base_ns_to_ps(1.9999999), 2000);  /* truncation gave 1999 */
    ck_assert_uint_eq(base_us_to_ps(2.5), 2500000);
    ck_assert_uint_eq(base_cycle_ps(1.0), 1000);
    ck_assert_uint_eq(base_cycle_ps(3.0), 333);
    ck_assert_uint_eq(base_cycle_ps(1.5), 667);
    ck_assert_uint_eq(base_cycles_to_ps(1464, 1.5), 976000);
    ck_assert_uint_eq(base_bits_to_ps(256, 12.8), 20000);
    ck_assert_uint_eq(base_bits_to_ps(1, 3.0), 333);
    ck_assert_uint_eq(base_bits_to_ps(2, 3.0), 667);  /* 666.67: truncation gave 666 */
    ck_assert_uint_eq(base_ns_to_ps(-1), 0);
    ck_assert_uint_eq(base_ns_to_ps(1e30), UINT64_MAX);
    ck_assert_uint_eq(base_ps_round(0.0 / 0.0), 0);
}
END_TEST

/* Renaming PATH.tmp onto /dev/null would replace the device for every
 * program on the machine (it happened): a device is written in place. */
START_TEST(test_outfile_writes_devices_in_place)
{
    base_outfile o;
    base_error e;
    ck_assert_int_eq(base_out_open(&o, "/dev/null", "w", &e), 0);
    ck_assert(o.direct);
    fputs("x", o.f);
    ck_assert_int_eq(base_out_commit(&o, &e), 0);
    struct stat st;
    ck_assert_int_eq(stat("/dev/null", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    ck_assert(!exists("/dev/null.tmp"));
    ck_assert_int_eq(base_out_open(&o, "/dev/null", "w", &e), 0);
    base_out_abort(&o);
    ck_assert_int_eq(stat("/dev/null", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
}
END_TEST

static Suite *base_suite(void)
{
    Suite *s = suite_create("base");
    TCase *t = tcase_create("base");
    tcase_add_test(t, test_error_position_formats);
    tcase_add_test(t, test_error_null_record_only_returns_minus_one);
    tcase_add_test(t, test_error_prefix_keeps_message_and_bounds);
    tcase_add_test(t, test_error_list_keeps_100_counts_rest);
    tcase_add_test(t, test_alloc_fails_nth_once);
    tcase_add_test(t, test_alloc_sticky_fails_every_later_call);
    tcase_add_test(t, test_aligned_alloc_aligns_and_counts);
    tcase_add_test(t, test_calloc_overflow_refused);
    tcase_add_test(t, test_grow_doubles_caps_and_survives_failure);
    tcase_add_test(t, test_outfile_commit_and_abort);
    tcase_add_test(t, test_outfile_errors_leave_nothing);
    tcase_add_test(t, test_outfile_writes_devices_in_place);
    tcase_add_test(t, test_json_numbers_keep_format_and_strings_escape);
    tcase_add_test(t, test_json_containers_null_raw_and_quote);
    tcase_add_test(t, test_json_out_of_memory_is_an_error);
    tcase_add_test(t, test_units_round_to_nearest_ps);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(base_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
