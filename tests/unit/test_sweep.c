/* test_sweep.c -- the sweep's YAML side and its points: key paths find the
 * byte range of their node (also after multi-byte characters, which
 * libyaml counts as one), name the part that does not exist, stop at a
 * file reference; a sweep file's grid, zip and excludes give the points
 * they should; a point's spliced files run the values asked for. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg_sweep.h"
#include "sweep/sweep.h"

static const char *DOC = "# d\xc3\xa9j\xc3\xa0 vu \xe2\x86\x92 (UTF-8 before the nodes)\n"
                         "noc:\n"
                         "  mesh: [2, 2]\n"
                         "  virtual_channels: 2   # comment\n"
                         "memories:\n"
                         "  - {name: dram, type: 'dram'}\n"
                         "chip: hw/x.yaml\n";

static void range_is(const char *key, const char *want, char cls)
{
    cfg_yfound f;
    char msg[256];
    ck_assert_int_eq(cfg_yaml_find(DOC, strlen(DOC), key, &f, msg, sizeof msg), 0);
    ck_assert_int_eq((int)(f.end - f.start), (int)strlen(want));
    ck_assert(!strncmp(DOC + f.start, want, strlen(want)));
    ck_assert_int_eq(f.cls, cls);
    ck_assert(f.splice_ok);
}

START_TEST(test_find_gives_byte_ranges_after_utf8)
{
    range_is("noc.virtual_channels", "2", 'i');
    range_is("noc.mesh", "[2, 2]", '[');
    range_is("noc.mesh[1]", "2", 'i');
    range_is("memories[0].type", "'dram'", 's');
    range_is("memories[0]", "{name: dram, type: 'dram'}", '{');
}
END_TEST

static void missing(const char *key, const char *want)
{
    cfg_yfound f;
    char msg[256];
    ck_assert_int_eq(cfg_yaml_find(DOC, strlen(DOC), key, &f, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, want), "'%s' not in '%s'", want, msg);
}

START_TEST(test_find_names_the_missing_part)
{
    missing("noc.virtual_chanels", "'noc' has no key 'virtual_chanels' (did you mean "
                                   "'virtual_channels'?)");
    missing("nocs.mesh", "the file has no key 'nocs' (did you mean 'noc'?)");
    missing("memories[1].type", "'memories' has 1 entries, [1] names nothing");
    missing("noc[0]", "'noc' is not a list");
    missing("noc.mesh.x", "'noc.mesh' is not a mapping");
}
END_TEST

START_TEST(test_find_stops_at_a_file_reference)
{
    cfg_yfound f;
    char msg[256];
    ck_assert_int_eq(cfg_yaml_find(DOC, strlen(DOC), "chip.noc.mesh", &f, msg, sizeof msg), 1);
    ck_assert_str_eq(f.text, "hw/x.yaml");
    const char *key = "chip.noc.mesh";
    ck_assert_str_eq(key + f.used, "noc.mesh");
    /* the last key's scalar, not a file: found whole */
    ck_assert_int_eq(cfg_yaml_find(DOC, strlen(DOC), "chip", &f, msg, sizeof msg), 0);
}
END_TEST

START_TEST(test_quote_only_what_needs_it)
{
    char b[64];
    cfg_yaml_quote("hbm", b, sizeof b);
    ck_assert_str_eq(b, "hbm");
    cfg_yaml_quote("4", b, sizeof b);     /* a string that would read as a number */
    ck_assert_str_eq(b, "\"4\"");
    cfg_yaml_quote("a: \"b\"", b, sizeof b);
    ck_assert_str_eq(b, "\"a: \\\"b\\\"\"");
}
END_TEST

/* A sweep file in a temporary folder next to a copy-free base: the
 * repository's LeNet-5 scenario, by absolute path. */
static char *write_sweep(char *dir, const char *body)
{
    static char path[600];
    char cwd[400];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "base: %s/configs/lenet5_seneca_2x2.yaml\n%s", cwd, body);
    fclose(f);
    return path;
}

static uint32_t points_of(const char *body, int *nerr)
{
    char dir[] = "/tmp/evsim-sweep-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = write_sweep(dir, body);
    sweep_options o;
    sweep_options_default(&o);
    base_errors e;
    base_errors_init(&e);
    sweep *s = sweep_open(path, &o, &e);
    uint32_t n = s ? sweep_n_points(s) : 0;
    *nerr = e.count;
    sweep_free(s);
    base_errors_clear(&e);
    remove(path);
    rmdir(dir);
    return n;
}

START_TEST(test_grid_zip_and_excludes_count_points)
{
    int ne;
    ck_assert_uint_eq(points_of("parameters:\n  chip.noc.virtual_channels: [1, 2]\n"
                                "  chip.noc.vc_depth_flits: [2, 4, 8]\n", &ne), 6);
    ck_assert_uint_eq(points_of("combine: zip\nparameters:\n  chip.noc.virtual_channels: [1, 2, 4]\n"
                                "  chip.noc.vc_depth_flits: [2, 4, 8]\n", &ne), 3);
    ck_assert_uint_eq(points_of("parameters:\n  chip.noc.virtual_channels: [1, 2]\n"
                                "  chip.noc.vc_depth_flits: [2, 4, 8]\n"
                                "exclude:\n  - {chip.noc.virtual_channels: 1}\n"
                                "  - {chip.noc.virtual_channels: 2, chip.noc.vc_depth_flits: 8}\n",
                                &ne), 2);
    ck_assert_uint_eq(points_of("parameters:\n  chip.noc.virtual_channels: [1]\n"
                                "exclude:\n  - {chip.noc.virtual_channels: 1}\n", &ne), 0);
    ck_assert_int_eq(ne, 1); /* every point excluded: an empty grid */
}
END_TEST

static Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("yaml");
    tcase_add_test(tc, test_find_gives_byte_ranges_after_utf8);
    tcase_add_test(tc, test_find_names_the_missing_part);
    tcase_add_test(tc, test_find_stops_at_a_file_reference);
    tcase_add_test(tc, test_quote_only_what_needs_it);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("points");
    tcase_add_test(tp, test_grid_zip_and_excludes_count_points);
    suite_add_tcase(s, tp);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sweep_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
