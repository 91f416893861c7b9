/* The one option parser (sim/cli/cli_opt.c): values into the table's
 * pointers, usage errors as exit status 2, help from the table with the
 * defaults read from the structs, and the shared --trace* options. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

typedef struct {
    bool flag;
    uint64_t count;
    uint32_t small;
    int lpf;
    double rate;
    const char *path;
    trc_time t;
} opts_t;

static opts_t V;
static const char *POS[2];
static int NPOS;
static cli_opt T[8];
static cli_spec S;

static void setup(void)
{
    V = (opts_t){.count = 7, .small = 3, .lpf = 6, .rate = 0.25};
    const cli_opt t[8] = {
        {.name = "flag", .short_name = 'f', .kind = CLI_FLAG, .ptr = &V.flag, .help = "a flag"},
        {.name = "count", .kind = CLI_U64, .ptr = &V.count, .arg = "N", .help = "a count"},
        {.name = "small", .kind = CLI_U32, .ptr = &V.small, .arg = "N", .help = "small"},
        {.name = "lpf", .kind = CLI_INT, .ptr = &V.lpf, .arg = "N", .min = 1, .max = 12,
         .help = "ranged"},
        {.name = "rate", .kind = CLI_DOUBLE, .ptr = &V.rate, .arg = "R", .help = "a rate"},
        {.name = "path", .kind = CLI_STR, .ptr = &V.path, .arg = "FILE", .help = "a file"},
        {.name = "at", .kind = CLI_TIME, .ptr = &V.t, .arg = "T", .help = "a time"},
        {.name = NULL}};
    memcpy(T, t, sizeof t);
    S = (cli_spec){.cmd = "test", .synopsis = "usage: test [options] [X]\n", .tables = {T},
                   .pos = POS, .max_pos = 1, .n_pos = &NPOS};
}

/* cli_parse over "test" and the arguments up to NULL. */
static int parse_args(const char *first, ...)
{
    char *argv[32] = {"test"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    return cli_parse(&S, argc, argv);
}
#define PARSE(...) parse_args(__VA_ARGS__, (const char *)NULL)

START_TEST(test_values_go_where_the_table_says)
{
    ck_assert_int_eq(PARSE("-f", "--count", "12", "--small", "4", "--lpf", "12", "--rate",
                           "0.5", "--path", "a.txt", "--at", "2.5us", "x"), 0);
    ck_assert(V.flag);
    ck_assert_uint_eq(V.count, 12);
    ck_assert_uint_eq(V.small, 4);
    ck_assert_int_eq(V.lpf, 12);
    ck_assert_double_eq(V.rate, 0.5);
    ck_assert_str_eq(V.path, "a.txt");
    ck_assert(V.t.set && V.t.unit_ps == 1000000 && V.t.v == 2.5);
    ck_assert_int_eq(NPOS, 1);
    ck_assert_str_eq(POS[0], "x");
    /* "--" ends the options */
    ck_assert_int_eq(PARSE("--", "--flag"), 0);
    ck_assert_str_eq(POS[0], "--flag");
}
END_TEST

START_TEST(test_usage_errors_are_status_2)
{
    ck_assert_int_eq(PARSE("--bogus"), 2);
    ck_assert_int_eq(PARSE("--count"), 2);         /* missing value */
    ck_assert_int_eq(PARSE("--count", "-1"), 2);
    ck_assert_int_eq(PARSE("--count", "12x"), 2);
    ck_assert_int_eq(PARSE("--small", "4294967296"), 2);
    ck_assert_int_eq(PARSE("--lpf", "13"), 2);     /* out of range */
    ck_assert_int_eq(PARSE("--lpf", "0"), 2);
    ck_assert_int_eq(PARSE("--rate", "fast"), 2);
    ck_assert_int_eq(PARSE("--at", "3 furlongs"), 2);
    ck_assert_int_eq(PARSE("x", "y"), 2);          /* one positional at most */
    ck_assert_int_eq(V.lpf, 6);                    /* bad values change nothing */
}
END_TEST

START_TEST(test_help_shows_the_structs_defaults)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    V.lpf = 9; /* what the struct starts from is what the help says */
    cli_help(f, &S);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "usage: test"));
    ck_assert_ptr_nonnull(strstr(buf, "--lpf N"));
    ck_assert_ptr_nonnull(strstr(buf, "ranged (default 9)"));
    ck_assert_ptr_nonnull(strstr(buf, "a rate (default 0.25)"));
    ck_assert_ptr_null(strstr(buf, "a flag (default"));
    ck_assert_ptr_nonnull(strstr(buf, "-f, --flag"));
    free(buf);
    /* --help anywhere wins, before any value is stored */
    ck_assert_int_eq(PARSE("--lpf", "3", "--help"), 1);
    ck_assert_int_eq(V.lpf, 9);
}
END_TEST

START_TEST(test_trace_options_fill_a_request)
{
    trc_request r;
    trc_request_init(&r);
    cli_opt tr[CLI_TRACE_OPTS];
    cli_trace_opts(&r, tr);
    S.tables[1] = tr;
    ck_assert_int_eq(PARSE("--trace", "a.pftrace", "--trace-from", "500", "--trace-to", "2us",
                           "--trace-level", "summary", "--trace-sample", "250",
                           "--trace-cycles"), 0);
    ck_assert_str_eq(r.path, "a.pftrace");
    ck_assert_int_eq(r.format, TRC_PERFETTO);
    ck_assert(r.from.set && r.from.unit_ps == 0 && r.from.v == 500);
    ck_assert(r.to.set && r.to.unit_ps == 1000000);
    ck_assert_int_eq(r.level, TRC_SUMMARY);
    ck_assert_uint_eq(r.sample_cycles, 250);
    ck_assert(r.cycles);
    trc_options o;
    base_error e;
    ck_assert_int_eq(trc_request_options(&r, 2000, &o, &e), 0);
    ck_assert_uint_eq(o.from_ps, 1000000);
    ck_assert_int_eq(PARSE("--trace-json", "b.json"), 2); /* one of the two */
    trc_request_init(&r);
    ck_assert_int_eq(PARSE("--trace-json", "b.json"), 0);
    ck_assert_int_eq(r.format, TRC_JSON);
    ck_assert_int_eq(PARSE("--trace-sample", "0"), 2);
    ck_assert_int_eq(PARSE("--trace-level", "verbose"), 2);
    S.tables[1] = NULL;
}
END_TEST

START_TEST(test_parse_u64_takes_plain_decimals_only)
{
    uint64_t v = 5;
    ck_assert_int_eq(cli_parse_u64("18446744073709551615", &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(cli_parse_u64("18446744073709551616", &v), -1);
    ck_assert_int_eq(cli_parse_u64("", &v), -1);
    ck_assert_int_eq(cli_parse_u64("-1", &v), -1);
    ck_assert_int_eq(cli_parse_u64("+1", &v), -1);
    ck_assert_int_eq(cli_parse_u64(" 1", &v), -1);
    ck_assert_int_eq(cli_parse_u64("1 ", &v), -1);
    ck_assert_uint_eq(v, UINT64_MAX);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("options");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_values_go_where_the_table_says);
    tcase_add_test(tc, test_usage_errors_are_status_2);
    tcase_add_test(tc, test_help_shows_the_structs_defaults);
    tcase_add_test(tc, test_trace_options_fill_a_request);
    tcase_add_test(tc, test_parse_u64_takes_plain_decimals_only);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
