/* test_input.c -- the trace readers on real recordings: the facts listed
 * in ../shared/reference/events/README.md reproduced exactly, the other
 * real files decoded with plausible ranges, the filler-body AEDAT file
 * reported malformed. traces/nmnist_sample.bin ships with the project, so
 * the N-MNIST facts are always checked; the rest SKIP visibly when
 * ../shared is absent. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/ev_reader.h"
#include "test_skip.h"
#include "input/ev_stats.h"

#define REF "../shared/reference/events/"
#define US UINT64_C(1000000)

/* Read a whole file through ev_read, summarising it. Returns the final
 * ev_read status (0 clean end, -1 error). */
static int read_all(const char *path, ev_format fmt, ev_stats *st, ev_info *info, base_error *err)
{
    ev_reader *r;
    ev_stats_init(st);
    if (ev_open(&r, path, fmt, err))
        return -2;
    ev_event buf[500];
    long n;
    while ((n = ev_read(r, buf, 500, err)) > 0)
        ev_stats_add(st, buf, (size_t)n);
    *info = *ev_get_info(r);
    ev_close(r);
    return (int)n;
}

static void check_nmnist(const char *path)
{
    ev_reader *r;
    base_error err;
    ck_assert_msg(ev_open(&r, path, EV_FMT_AUTO, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(ev_get_info(r)->format, EV_FMT_NMNIST);
    static const struct { uint64_t t; uint32_t x, y, p; } first[3] = {
        {654, 7, 15, 1}, {2999, 19, 18, 0}, {3017, 21, 17, 0}};
    ev_event e, last = {0};
    uint64_t n = 0, on = 0;
    int k;
    uint32_t xmax = 0, ymax = 0;
    while ((k = ev_next(r, &e, &err)) == 1) {
        if (n < 3) {
            ck_assert_uint_eq(e.t_ps, first[n].t * US);
            ck_assert_uint_eq(e.x, first[n].x);
            ck_assert_uint_eq(e.y, first[n].y);
            ck_assert_uint_eq(e.polarity, first[n].p);
        }
        on += e.polarity;
        xmax = e.x > xmax ? e.x : xmax;
        ymax = e.y > ymax ? e.y : ymax;
        last = e;
        n++;
    }
    ck_assert_msg(k == 0, "%s", err.msg);
    ck_assert_uint_eq(n, 4325);
    ck_assert_uint_eq(on, 2145);
    ck_assert_uint_eq(n - on, 2180);
    ck_assert_uint_eq(last.t_ps, 311175 * US);
    ck_assert_uint_eq(last.x, 21);
    ck_assert_uint_eq(last.y, 14);
    ck_assert_uint_eq(last.polarity, 1);
    ck_assert_uint_eq(xmax, 33);
    ck_assert_uint_eq(ymax, 33);
    const ev_info *in = ev_get_info(r);
    ck_assert_uint_eq(in->events, 4325);
    ck_assert_uint_eq(in->backwards, 0);
    ck_assert_uint_eq(ev_skipped_total(in), 0);
    ck_assert_uint_eq(in->width, 34);
    ev_close(r);
}

START_TEST(test_nmnist_shipped_trace_facts)
{
    check_nmnist("traces/nmnist_sample.bin");
}
END_TEST

START_TEST(test_nmnist_reference_facts)
{
    check_nmnist(REF "nmnist_sample.bin");
}
END_TEST

START_TEST(test_evt2_reference_facts)
{
    const char *p = REF "prophesee_evt2_sample.raw";
    ev_stats st;
    ev_info in;
    base_error err;
    ck_assert_msg(read_all(p, EV_FMT_AUTO, &st, &in, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(in.format, EV_FMT_EVT2);
    ck_assert_uint_eq(in.width, 640);
    ck_assert_uint_eq(in.height, 480);
    ck_assert_uint_eq(st.events, 539481);
    ck_assert_uint_eq(st.on, 367855);
    ck_assert_uint_eq(st.off, 171626);
    ck_assert_uint_eq(st.t_first_ps, 1317888 * US);
    ck_assert_uint_eq(st.t_last_ps, 1367888 * US);
    ck_assert_uint_eq(st.x_min, 60);
    ck_assert_uint_eq(st.x_max, 599);
    ck_assert_uint_eq(st.y_min, 18);
    ck_assert_uint_eq(st.y_max, 475);
    ck_assert_uint_eq(in.time_records, 3126); /* TIME_HIGH words */
    ck_assert_uint_eq(in.backwards, 0);       /* monotonic, as the README says */
    ck_assert_uint_eq(ev_skipped_total(&in), 0);
}
END_TEST

START_TEST(test_davis346_header_only_has_no_events)
{
    const char *p = REF "davis346_header_only.aedat";
    ev_stats st;
    ev_info in;
    base_error err;
    ck_assert_msg(read_all(p, EV_FMT_AUTO, &st, &in, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(in.format, EV_FMT_AEDAT2_DAVIS);
    ck_assert_uint_eq(in.width, 346);
    ck_assert_uint_eq(in.height, 260);
    ck_assert_uint_eq(in.header_bytes, 599);
    ck_assert_uint_eq(st.events, 0);
    ck_assert_uint_eq(ev_skipped_total(&in), 0);
}
END_TEST

START_TEST(test_dvs128_filler_body_is_malformed)
{
    const char *p = REF "dvs128_header_filler_body.aedat";
    ev_stats st;
    ev_info in;
    base_error err;
    ck_assert_int_eq(read_all(p, EV_FMT_AUTO, &st, &in, &err), -1);
    ck_assert_int_eq(in.format, EV_FMT_AEDAT2_DVS128);
    ck_assert_uint_eq(in.width, 128);
    ck_assert_uint_eq(st.events, 0);
    ck_assert_msg(strstr(err.msg, "malformed") && strstr(err.msg, "ASCII text"), "%s", err.msg);
    ck_assert_uint_eq(in.skipped[EV_SKIP_BAD_ADDRESS], 4); /* 38 body bytes: 4 records */
    ck_assert_uint_eq(in.truncated_bytes, 6);              /* ... and 6 bytes over */
}
END_TEST

/* No facts are published for this file; these values come from decoding
 * it by Prophesee's EVT 3.0 specification, cross-checked against an
 * independent throw-away decoder. The plausibility checks hold whatever
 * the exact values. */
START_TEST(test_evt3_reference_plausible)
{
    const char *p = REF "prophesee_evt3_sample.raw";
    ev_stats st;
    ev_info in;
    base_error err;
    ck_assert_msg(read_all(p, EV_FMT_AUTO, &st, &in, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(in.format, EV_FMT_EVT3);
    ck_assert_uint_eq(in.width, 1280);
    ck_assert_uint_eq(in.height, 720);
    ck_assert_uint_le(st.x_max, 1279);
    ck_assert_uint_le(st.y_max, 719);
    ck_assert_uint_eq(in.backwards, 0);
    ck_assert_uint_eq(ev_skipped_total(&in), 0);
    ck_assert_uint_gt(st.events, 100000);
    ck_assert_uint_lt(st.t_last_ps - st.t_first_ps, 1000 * 1000 * US);
    ck_assert_uint_eq(st.events, 219596);
    ck_assert_uint_eq(st.on, 115532);
    ck_assert_uint_eq(st.t_first_ps, 11718656 * US);
    ck_assert_uint_eq(st.t_last_ps, 11727457 * US);
    ck_assert_uint_eq(in.time_records, 551);
}
END_TEST

START_TEST(test_dat_reference_plausible)
{
    const char *p = REF "ncars_sample.dat";
    ev_stats st;
    ev_info in;
    base_error err;
    ck_assert_msg(read_all(p, EV_FMT_AUTO, &st, &in, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(in.format, EV_FMT_DAT);
    ck_assert_uint_eq(in.header_bytes, 93); /* 91 bytes of '%' lines, type, size */
    ck_assert_uint_eq(in.events * 8 + in.header_bytes, 16165); /* no partial record */
    ck_assert_uint_eq(st.events, 2009);
    ck_assert_uint_eq(in.backwards, 0);
    ck_assert_uint_eq(ev_skipped_total(&in), 0);
    /* N-CARS samples are crops of a 304 x 240 ATIS sensor */
    ck_assert_uint_lt(st.x_max, 304);
    ck_assert_uint_lt(st.y_max, 240);
    ck_assert_uint_lt(st.t_last_ps, 200000 * US);
    ck_assert_uint_gt(st.on, 0);
    ck_assert_uint_gt(st.off, 0);
}
END_TEST

/* ev_next one at a time and ev_read in odd batch sizes see the same
 * stream (the queue behind ev_next must not reorder or lose events). */
START_TEST(test_next_and_read_agree)
{
    const char *p = REF "prophesee_evt3_sample.raw";
    if (access(p, R_OK) != 0) /* the shipped trace is shorter, still real */
        p = "traces/nmnist_sample.bin";
    ev_reader *a, *b;
    base_error err;
    ck_assert_int_eq(ev_open(&a, p, EV_FMT_AUTO, &err), 0);
    ck_assert_int_eq(ev_open(&b, p, EV_FMT_AUTO, &err), 0);
    ev_event e, batch[37];
    uint64_t n = 0;
    long k;
    size_t sizes[] = {37, 1, 16, 20};
    for (int round = 0; (k = ev_read(b, batch, sizes[round % 4], &err)) > 0; round++)
        for (long i = 0; i < k; i++, n++) {
            ck_assert_int_eq(ev_next(a, &e, &err), 1);
            ck_assert_uint_eq(e.t_ps, batch[i].t_ps);
            ck_assert_uint_eq(e.x, batch[i].x);
            ck_assert_uint_eq(e.y, batch[i].y);
            ck_assert_uint_eq(e.polarity, batch[i].polarity);
        }
    ck_assert_int_eq(k, 0);
    ck_assert_int_eq(ev_next(a, &e, &err), 0);
    ck_assert_uint_eq(n, ev_get_info(a)->events);
    ev_close(a);
    ev_close(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("input");
    TCase *tc = tcase_create("real");
    tcase_add_test(tc, test_nmnist_shipped_trace_facts);
    tcase_add_test_needing(tc, test_nmnist_reference_facts, REF "nmnist_sample.bin");
    tcase_add_test_needing(tc, test_evt2_reference_facts, REF "prophesee_evt2_sample.raw");
    tcase_add_test_needing(tc, test_davis346_header_only_has_no_events, REF "davis346_header_only.aedat");
    tcase_add_test_needing(tc, test_dvs128_filler_body_is_malformed, REF "dvs128_header_filler_body.aedat");
    tcase_add_test_needing(tc, test_evt3_reference_plausible, REF "prophesee_evt3_sample.raw");
    tcase_add_test_needing(tc, test_dat_reference_plausible, REF "ncars_sample.dat");
    tcase_add_test(tc, test_next_and_read_agree);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
