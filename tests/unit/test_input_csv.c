/* test_input_csv.c -- the CSV reader (units, exact fractions, bad lines,
 * channel events, header errors), the CSV writer (a lossless round trip
 * of a real trace, no .tmp left behind) and the rate histogram. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/ev_reader.h"
#include "input/ev_stats.h"
#include "input_test_util.h"

static const char *mkfile(const char *name, const char *text)
{
    return input_write(name, text, NULL, 0);
}

typedef input_result result;

static result *run(const char *p)
{
    return input_run(p, EV_FMT_AUTO);
}

START_TEST(test_csv_units_fractions_and_bad_lines)
{
    result *r = run(mkfile("a.csv", "# width=10 height=5\n"
                                    "t_ms,x,y,p\n"
                                    "1.5,1,2,1\n"
                                    "\n"
                                    "# a comment\n"
                                    " 2 , 9 , 4 , 0 \r\n"
                                    "0.000000001,0,0,1\n"  /* 1 ps */
                                    "3,10,0,1\n"           /* x beyond width */
                                    "4,1,1,2\n"            /* polarity 2 */
                                    "5,1,1\n"              /* missing column */
                                    "0.0000000001,0,0,1\n" /* below 1 ps */
                                    "abc,1,1,1\n"
                                    "6,1,1,1")); /* no final newline */
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.format, EV_FMT_CSV);
    ck_assert_uint_eq(r->info.tick_ps, 1000000000);
    ck_assert_uint_eq(r->info.width, 10);
    ck_assert_uint_eq(r->n, 4);
    ck_assert_uint_eq(r->ev[0].t_ps, 1500000000);
    ck_assert_uint_eq(r->ev[0].x, 1);
    ck_assert_uint_eq(r->ev[0].y, 2);
    ck_assert_uint_eq(r->ev[0].polarity, 1);
    ck_assert_uint_eq(r->ev[1].t_ps, 2000000000);
    ck_assert_uint_eq(r->ev[1].x, 9);
    ck_assert_uint_eq(r->ev[1].polarity, 0);
    ck_assert_uint_eq(r->ev[2].t_ps, 1);
    ck_assert_uint_eq(r->ev[3].t_ps, 6000000000);
    ck_assert_uint_eq(r->info.backwards, 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_OUT_OF_BOUNDS], 1);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_BAD_LINE], 4);
    ck_assert_uint_eq(r->first_bad, 9);
}
END_TEST

START_TEST(test_csv_channel_events)
{
    result *r = run(mkfile("c.csv", "t_ns,channel\n5,3\n7,4000000000\n8,-1\n"));
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.channel_events, 1);
    ck_assert_uint_eq(r->n, 2);
    ck_assert_uint_eq(r->ev[0].t_ps, 5000);
    ck_assert_uint_eq(r->ev[0].channel, 3);
    ck_assert_uint_eq(r->ev[0].is_channel, 1);
    ck_assert_uint_eq(r->ev[1].channel, 4000000000u);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_BAD_LINE], 1);
}
END_TEST

/* A last `value` column gives graded events (SENSIM's pixel changes);
 * without it every event's value is 1. */
START_TEST(test_csv_value_column)
{
    result *r = run(mkfile("v.csv", "t_ns,channel,value\n5,3,0.505882353\n6,4,-2.5e-1\n"
                                    "7,5\n8,6,nan\n9,7,1x\n10,8, 3 \n"));
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_int_eq(r->info.has_values, 1);
    ck_assert_uint_eq(r->n, 3);
    ck_assert(r->ev[0].value == 0.505882353);
    ck_assert(r->ev[1].value == -0.25);
    ck_assert_uint_eq(r->ev[2].channel, 8);
    ck_assert(r->ev[2].value == 3.0);
    ck_assert_uint_eq(r->info.skipped[EV_SKIP_BAD_LINE], 3); /* missing, nan, 1x */
    r = run(mkfile("w.csv", "t_us,x,y,p,value\n1,2,3,1,0.125\n2,2,3,0\n"));
    ck_assert_msg(r->status == 0, "%s", r->err.msg);
    ck_assert_uint_eq(r->n, 1);
    ck_assert_uint_eq(r->ev[0].x, 2);
    ck_assert_uint_eq(r->ev[0].polarity, 1);
    ck_assert(r->ev[0].value == 0.125);
    /* --to-csv keeps the values, exactly */
    char out[160];
    snprintf(out, sizeof out, "%s/vv_out.csv", dir);
    ev_reader *a;
    ev_csv_writer *w;
    base_error e;
    ck_assert_int_eq(ev_open(&a, mkfile("vv.csv", "t_ns,channel,value\n5,3,0.1\n6,4,-7.25\n"),
                             EV_FMT_AUTO, &e), 0);
    ck_assert_msg(ev_csvw_open(&w, out, ev_get_info(a), &e) == 0, "%s", e.msg);
    ev_event buf[4];
    long n = ev_read(a, buf, 4, &e);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ev_csvw_write(w, buf, 2, &e), 0);
    ck_assert_int_eq(ev_csvw_commit(w, &e), 0);
    ev_close(a);
    r = run(out);
    ck_assert_uint_eq(r->n, 2);
    ck_assert(r->ev[0].value == 0.1 && r->ev[1].value == -7.25);
    ck_assert_uint_eq(r->ev[1].t_ps, 6000);
    r = run(mkfile("u.csv", "t_us,x,y,p\n1,2,3,1\n"));
    ck_assert_int_eq(r->info.has_values, 0);
    ck_assert(r->ev[0].value == 1.0);
}
END_TEST

START_TEST(test_csv_header_errors)
{
    result *r = run(mkfile("h.csv", "t,x,y,p\n1,1,1,1\n"));
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "time unit") || strstr(r->err.msg, "t_UNIT"), "%s",
                  r->err.msg);
    r = run(mkfile("e.csv", "# only a comment\n"));
    ck_assert_int_eq(r->status, -2);
    ck_assert_msg(strstr(r->err.msg, "no header line"), "%s", r->err.msg);
    r = run(mkfile("x.csv", "t_us,x,y\n"));
    ck_assert_int_eq(r->status, -2);
    /* a body of nothing but bad lines is malformed, not an empty trace */
    r = run(mkfile("b.csv", "t_us,x,y,p\nfoo\nbar\n"));
    ck_assert_int_eq(r->status, -1);
    ck_assert_msg(strstr(r->err.msg, "malformed") && strstr(r->err.msg, "2 bad_line"), "%s",
                  r->err.msg);
}
END_TEST

START_TEST(test_csv_line_too_long)
{
    size_t n = 70 * 1024;
    char *text = malloc(n + 32);
    ck_assert_ptr_nonnull(text);
    strcpy(text, "t_us,x,y,p\n1,");
    memset(text + 13, '1', n);
    strcpy(text + 13 + n, ",1,1\n");
    result *r = run(mkfile("long.csv", text));
    free(text);
    ck_assert_int_eq(r->status, -1);
    ck_assert_msg(strstr(r->err.msg, "line 2 is longer"), "%s", r->err.msg);
}
END_TEST

/* nmnist -> CSV -> reader gives back the same events, and the writer
 * leaves no temporary file. */
START_TEST(test_csv_round_trip_of_real_trace)
{
    const char *src = "traces/nmnist_sample.bin";
    char out[160], tmp[170];
    snprintf(out, sizeof out, "%s/round.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    ev_reader *a, *b;
    base_error err;
    ck_assert_msg(ev_open(&a, src, EV_FMT_AUTO, &err) == 0, "%s", err.msg);
    ev_csv_writer *w;
    ck_assert_msg(ev_csvw_open(&w, out, ev_get_info(a), &err) == 0, "%s", err.msg);
    ck_assert_int_eq(access(tmp, F_OK), 0);
    ev_event buf[256];
    long n;
    while ((n = ev_read(a, buf, 256, &err)) > 0)
        ck_assert_int_eq(ev_csvw_write(w, buf, (size_t)n, &err), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_msg(ev_csvw_commit(w, &err) == 0, "%s", err.msg);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    ev_close(a);

    ck_assert_int_eq(ev_open(&a, src, EV_FMT_AUTO, &err), 0);
    ck_assert_msg(ev_open(&b, out, EV_FMT_AUTO, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(ev_get_info(b)->format, EV_FMT_CSV);
    ck_assert_uint_eq(ev_get_info(b)->width, 34);
    ck_assert_uint_eq(ev_get_info(b)->tick_ps, 1000000);
    ev_event x, y;
    int ka, kb;
    while ((ka = ev_next(a, &x, &err)) == 1) {
        kb = ev_next(b, &y, &err);
        ck_assert_int_eq(kb, 1);
        ck_assert_uint_eq(x.t_ps, y.t_ps);
        ck_assert_uint_eq(x.x, y.x);
        ck_assert_uint_eq(x.y, y.y);
        ck_assert_uint_eq(x.polarity, y.polarity);
    }
    ck_assert_int_eq(ka, 0);
    ck_assert_int_eq(ev_next(b, &y, &err), 0);
    ck_assert_uint_eq(ev_get_info(b)->events, 4325);
    ev_close(a);
    ev_close(b);

    /* abort removes the temporary file and never creates OUT */
    snprintf(out, sizeof out, "%s/aborted.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    ev_info info = {.format = EV_FMT_NMNIST, .tick_ps = 1000000};
    ck_assert_int_eq(ev_csvw_open(&w, out, &info, &err), 0);
    ev_csvw_abort(w);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    ck_assert_int_ne(access(out, F_OK), 0);
}
END_TEST

START_TEST(test_format_time_is_exact)
{
    char b[48];
    ev_format_time(b, 311175000000, 0, 1000000);
    ck_assert_str_eq(b, "311175");
    ev_format_time(b, 1500000, 0, 1000000);
    ck_assert_str_eq(b, "1.5");
    ev_format_time(b, 1, 0, 1000000);
    ck_assert_str_eq(b, "0.000001");
    ev_format_time(b, 0, 0, 1000);
    ck_assert_str_eq(b, "0");
}
END_TEST

START_TEST(test_input_index)
{
    ev_event px = {.x = 33, .y = 2, .polarity = 1}, ch = {.channel = 77, .is_channel = 1};
    ck_assert_uint_eq(ev_input_index(&px, 34), (2 * 34 + 33) * 2 + 1);
    px.polarity = 0;
    ck_assert_uint_eq(ev_input_index(&px, 34), (2 * 34 + 33) * 2);
    ck_assert_uint_eq(ev_input_index(&ch, 34), 77);
}
END_TEST

START_TEST(test_histogram_bins_double_and_keep_counts)
{
    ev_stats s;
    ev_stats_init(&s);
    ev_event e = {0};
    /* 10 events per us for 100 us, then one at 1 s */
    for (uint64_t t = 0; t < 1000; t++) {
        e.t_ps = 5000000 + t * 100000;
        e.polarity = t & 1;
        ev_stats_add(&s, &e, 1);
    }
    ck_assert_uint_eq(s.bin_ps, 4 * EV_HIST_BIN0_PS); /* 100 us fit 32 bins of 4 us */
    ck_assert_uint_eq(s.hist[0], 40);
    e.t_ps = 5000000 + UINT64_C(1000000000000);
    ev_stats_add(&s, &e, 1);
    uint64_t sum = 0;
    for (size_t i = 0; i < EV_HIST_BINS; i++)
        sum += s.hist[i];
    ck_assert_uint_eq(sum, 1001);
    ck_assert_uint_eq(s.bin_ps, (UINT64_C(1) << 15) * EV_HIST_BIN0_PS); /* 2^15 us: 2^5 bins cover 1 s */
    ck_assert_uint_eq(s.hist[0], 1000);
    ck_assert_uint_eq(ev_stats_bins_used(&s), 31);
    ck_assert_uint_eq(s.on, 501); /* the late event kept polarity 1 */
    ck_assert_uint_eq(s.off, 500);
    ck_assert_uint_eq(s.t_first_ps, 5000000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("input_csv");
    TCase *tc = tcase_create("csv");
    tcase_add_test(tc, test_csv_units_fractions_and_bad_lines);
    tcase_add_test(tc, test_csv_channel_events);
    tcase_add_test(tc, test_csv_value_column);
    tcase_add_test(tc, test_csv_header_errors);
    tcase_add_test(tc, test_csv_line_too_long);
    tcase_add_test(tc, test_csv_round_trip_of_real_trace);
    tcase_add_test(tc, test_format_time_is_exact);
    tcase_add_test(tc, test_histogram_bins_double_and_keep_counts);
    tcase_add_test(tc, test_input_index);
    suite_add_tcase(s, tc);
    return input_suite_main(s, "csv");
}
