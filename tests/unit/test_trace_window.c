/* test_trace_window.c -- what the writer leaves out or reshapes: the time
 * window, detail levels, cycle time, ENDs queued for the future, lanes,
 * and flows whose other end is not in the file. */
#include "test_trace_util.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    make_tmpdir(dir, sizeof dir, "evsim_trcw_");
    snprintf(path, sizeof path, "%s/t.pftrace", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static trc_writer *open_with(const trc_options *o)
{
    base_error err;
    trc_writer *w = trc_open(path, o, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    return w;
}

static trc_track track(trc_writer *w, const char *name, trc_track parent,
                       trc_level lv)
{
    trc_track t;
    trc_track_spec s = {name, NULL, parent, lv};
    ck_assert_int_eq(trc_track_new(w, &s, &t), 0);
    return t;
}

static void close_ok(trc_writer *w, uint64_t end_ps)
{
    base_error err;
    ck_assert_msg(trc_close(w, end_ps, &err) == 0, "%s", err.msg);
}

static void expect_valid(void)
{
    int rc = run_validator(path);
    ck_assert_msg(rc <= 0, "validator rejects %s", path);
}

/* Count events of one type carrying annotation `key` on track u. */
static int with_key(const Trcpb__Trace *t, const replay *r, uint64_t u,
                    int type, const char *key)
{
    int n = 0;
    for (size_t i = 0; i < t->n_packet; i++) {
        const Trcpb__TracePacket *p = t->packet[i];
        if (p->data_case != TRCPB__TRACE_PACKET__DATA_TRACK_EVENT ||
            p->track_event->track_uuid != u ||
            (int)p->track_event->type != type)
            continue;
        for (size_t k = 0; k < p->track_event->n_debug_annotations; k++)
            if (!strcmp(r->key_name[p->track_event->debug_annotations[k]->name_iid],
                        key))
                n++;
    }
    return n;
}

START_TEST(test_window_keeps_inside_and_cuts_edges)
{
    trc_options o;
    trc_options_default(&o);
    o.from_ps = 2000;
    o.to_ps = 6000;
    trc_writer *w = open_with(&o);
    trc_track a = track(w, "a", 0, TRC_SUMMARY), b = track(w, "b", 0, TRC_SUMMARY);
    trc_track c;
    trc_track_spec cs = {"c", NULL, 0, TRC_SUMMARY};
    ck_assert_int_eq(trc_counter_new(w, &cs, NULL, &c), 0);
    trc_name n = trc_intern(w, "work");
    uint64_t f1 = trc_flow_new(w), f2 = trc_flow_new(w);
    trc_extra s1 = {NULL, 0, &f1, 1, NULL, 0}, e1 = {NULL, 0, NULL, 0, &f1, 1};
    trc_extra s2 = {NULL, 0, &f2, 1, NULL, 0}, e2 = {NULL, 0, NULL, 0, &f2, 1};
    trc_instant(w, a, 500, n, NULL);             /* before: dropped */
    trc_begin(w, a, 1000, n, &s1);                /* re-begun at 2 */
    trc_counter_int(w, c, 1000, 5);               /* shown from 2 */
    trc_complete(w, a, 2500, 1000, n, NULL);
    trc_end(w, a, 3000, NULL);
    trc_counter_int(w, c, 4000, 7);
    trc_instant(w, b, 4000, n, &e1);              /* start not in file */
    trc_begin(w, b, 5000, n, &s2);                /* cut at 6 */
    trc_instant(w, a, 7000, n, &e2);              /* after: dropped */
    trc_counter_int(w, c, 7000, 9);
    trc_end(w, b, 8000, NULL);
    ck_assert(!trc_failed(w));
    close_ok(w, 9000);

    Trcpb__Trace *t = load_trace(path);
    replay r;
    do_replay(t, &r);
    ck_assert_msg(r.problems == 0, "%s", r.problem);
    ck_assert_uint_eq(r.first_ts, 2);
    ck_assert_uint_eq(r.last_ts, 6);
    ck_assert_int_eq(r.slices[a], 2);
    ck_assert_int_eq(r.instants[a], 0);
    ck_assert_int_eq(r.slices[b], 1);
    ck_assert_int_eq(r.instants[b], 1);
    ck_assert_int_eq(with_key(t, &r, a, 1, "begun_before_window"), 1);
    ck_assert_int_eq(with_key(t, &r, b, 2, "cut_at_trace_end"), 1);
    ck_assert_int_eq(r.counters[c], 3); /* 5 @2, 7 @4, 7 @6 */
    ck_assert_double_eq(r.last_counter[c], 7);
    /* f1's end is dropped (its start is not in the file); f2's start is
     * closed on the "trace end" marker */
    ck_assert_int_eq(r.flow_events, 1);
    ck_assert_int_eq(r.flow_ends, 1);
    ck_assert_str_eq(r.track_name[c + 1], "(trace end)");
    trcpb__trace__free_unpacked(t, NULL);
    expect_valid();
}
END_TEST

START_TEST(test_summary_leaves_out_full_tracks)
{
    trc_options o;
    trc_options_default(&o);
    o.level = TRC_SUMMARY;
    trc_writer *w = open_with(&o);
    trc_track core = track(w, "core", 0, TRC_SUMMARY);
    trc_track npe = track(w, "npe", core, TRC_FULL);
    trc_track sub = track(w, "sub", npe, TRC_SUMMARY); /* inherits full */
    trc_name n = trc_intern(w, "x");
    trc_begin(w, core, 0, n, NULL);
    trc_complete(w, npe, 0, 1000, n, NULL);
    trc_instant(w, sub, 500, n, NULL);
    trc_end(w, core, 2000, NULL);
    close_ok(w, 2000);
    Trcpb__Trace *t = load_trace(path);
    replay r;
    do_replay(t, &r);
    ck_assert_msg(r.problems == 0, "%s", r.problem);
    ck_assert(r.declared[core] && !r.declared[npe] && !r.declared[sub]);
    ck_assert_int_eq(r.slices[core], 1);
    trcpb__trace__free_unpacked(t, NULL);
}
END_TEST

START_TEST(test_cycles_shown_as_ns)
{
    trc_options o;
    trc_options_default(&o);
    o.cycle_ps = 2000; /* 500 MHz */
    trc_writer *w = open_with(&o);
    trc_track a = track(w, "a", 0, TRC_SUMMARY);
    trc_name n = trc_intern(w, "x");
    trc_complete(w, a, 10000, 6000, n, NULL);
    close_ok(w, 20000);
    Trcpb__Trace *t = load_trace(path);
    replay r;
    do_replay(t, &r);
    ck_assert_uint_eq(r.first_ts, 5);
    ck_assert_uint_eq(r.last_ts, 8); /* the END, 3 cycles later */
    trcpb__trace__free_unpacked(t, NULL);
}
END_TEST

START_TEST(test_end_in_the_future_is_queued)
{
    trc_options o;
    trc_options_default(&o);
    trc_writer *w = open_with(&o);
    trc_track a = track(w, "a", 0, TRC_SUMMARY), b = track(w, "b", 0, TRC_SUMMARY);
    trc_name n = trc_intern(w, "hop");
    trc_begin(w, a, 0, n, NULL);
    ck_assert_int_eq(trc_end_at(w, a, 5000), 0);
    trc_instant(w, a, 3000, n, NULL); /* still inside the queued slice */
    trc_complete(w, b, 4000, 2000, n, NULL);
    ck_assert_int_eq(trc_end(w, a, 5000, NULL), -1); /* already ending */
    base_error err;
    ck_assert_int_eq(trc_close(w, 7000, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "no open slice"));
}
END_TEST

START_TEST(test_end_at_orders_output)
{
    trc_options o;
    trc_options_default(&o);
    trc_writer *w = open_with(&o);
    trc_track a = track(w, "a", 0, TRC_SUMMARY), b = track(w, "b", 0, TRC_SUMMARY);
    trc_name n = trc_intern(w, "hop");
    trc_begin(w, a, 0, n, NULL);
    trc_end_at(w, a, 5000);
    trc_instant(w, a, 3000, n, NULL);
    trc_complete(w, b, 4000, 2000, n, NULL);
    trc_begin(w, a, 5000, n, NULL); /* after the queued END: a sibling */
    trc_end(w, a, 5500, NULL);
    close_ok(w, 7000);
    Trcpb__Trace *t = load_trace(path);
    replay r;
    do_replay(t, &r);
    ck_assert_msg(r.problems == 0, "%s", r.problem);
    ck_assert_int_eq(r.slices[a], 2);
    ck_assert_int_eq(r.max_depth[a], 1);
    ck_assert_int_eq(r.instants[a], 1);
    ck_assert_int_eq(r.slices[b], 1);
    trcpb__trace__free_unpacked(t, NULL);
    expect_valid();
}
END_TEST

START_TEST(test_lanes_take_the_lowest_free)
{
    trc_options o;
    trc_options_default(&o);
    trc_writer *w = open_with(&o);
    trc_track g;
    trc_track_spec s = {"pkts", NULL, 0, TRC_SUMMARY};
    ck_assert_int_eq(trc_lanes_new(w, &s, &g), 0);
    trc_name n = trc_intern(w, "p");
    trc_track l[4];
    trc_lane_begin(w, g, 0, n, NULL, &l[0]);
    trc_lane_begin(w, g, 1000, n, NULL, &l[1]);
    trc_lane_begin(w, g, 2000, n, NULL, &l[2]);
    trc_end(w, l[1], 3000, NULL);
    trc_lane_begin(w, g, 3000, n, NULL, &l[3]);
    ck_assert_uint_eq(l[3], l[1]);
    ck_assert_uint_ne(l[0], l[1]);
    ck_assert_uint_ne(l[2], l[1]);
    /* lane 1 freed, then taken by a slice begun on it directly: the next
     * lane slice must not land on it, and gets a new lane 4 */
    trc_end(w, l[0], 3500, NULL);
    trc_begin(w, l[0], 3600, n, NULL);
    trc_track l4;
    trc_lane_begin(w, g, 3700, n, NULL, &l4);
    ck_assert_uint_ne(l4, l[0]);
    ck_assert_uint_ne(l4, l[1]);
    ck_assert_uint_ne(l4, l[2]);
    /* freed lanes come back lowest first */
    trc_end(w, l[2], 3800, NULL);
    trc_end(w, l[0], 3800, NULL);
    trc_track l5;
    trc_lane_begin(w, g, 3900, n, NULL, &l5);
    ck_assert_uint_eq(l5, l[0]);
    ck_assert(!trc_failed(w));
    ck_assert_int_eq(trc_begin(w, g, 4000, n, NULL), -1); /* group row */
    base_error err;
    ck_assert_int_eq(trc_close(w, 5000, &err), -1);
}
END_TEST

START_TEST(test_open_slices_closed_at_end)
{
    trc_options o;
    trc_options_default(&o);
    trc_writer *w = open_with(&o);
    trc_track a = track(w, "a", 0, TRC_SUMMARY);
    trc_name n = trc_intern(w, "x");
    trc_begin(w, a, 0, n, NULL);
    trc_begin(w, a, 1000, n, NULL);
    trc_complete(w, a, 2000, 99000, n, NULL);
    close_ok(w, 3000);
    Trcpb__Trace *t = load_trace(path);
    replay r;
    do_replay(t, &r);
    ck_assert_msg(r.problems == 0, "%s", r.problem);
    ck_assert_int_eq(r.slices[a], 3);
    ck_assert_int_eq(with_key(t, &r, a, 2, "cut_at_trace_end"), 3);
    ck_assert_uint_eq(r.last_ts, 3);
    trcpb__trace__free_unpacked(t, NULL);
}
END_TEST

START_TEST(test_bad_options_refused)
{
    trc_options o;
    trc_options_default(&o);
    o.from_ps = 5;
    o.to_ps = 4;
    base_error err;
    ck_assert_ptr_null(trc_open(path, &o, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "window"));
    trc_options_default(&o);
    ck_assert_ptr_null(trc_open("/nonexistent-dir/x.pftrace", &o, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot write"));
    trc_level lv;
    ck_assert_int_eq(trc_level_parse("full", &lv), 0);
    ck_assert_int_eq(lv, TRC_FULL);
    ck_assert_int_eq(trc_level_parse("verbose", &lv), -1);
}
END_TEST

/* A trace request (what --trace* options give) resolved against a model
 * clock of 2 ns: cycles scale by the clock, times with a unit do not. */
START_TEST(test_request_resolves_against_the_clock)
{
    trc_request r;
    base_error e;
    trc_options o;
    trc_request_init(&r);
    ck_assert_ptr_null(r.path);
    ck_assert_uint_eq(r.sample_cycles, 0); /* the model's own period (100) */
    ck_assert_int_eq(trc_request_options(&r, 2000, &o, &e), 0);
    ck_assert_uint_eq(o.from_ps, 0);
    ck_assert_uint_eq(o.to_ps, UINT64_MAX);
    ck_assert_uint_eq(o.cycle_ps, 0);
    r.from = (trc_time){500, 0, true};        /* cycles */
    r.to = (trc_time){2.5, 1000000, true};    /* 2.5us */
    ck_assert_int_eq(trc_request_options(&r, 2000, &o, &e), 0);
    ck_assert_uint_eq(o.from_ps, 1000000);
    ck_assert_uint_eq(o.to_ps, 2500000);
    ck_assert_int_eq(o.format, TRC_PERFETTO);
    r.to = (trc_time){1, 1000, true};         /* 1ns: before from */
    ck_assert_int_eq(trc_request_options(&r, 2000, &o, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "earlier"));
    r.to = (trc_time){9, 1000000, true};
    r.cycles = true;
    r.level = TRC_SUMMARY;
    ck_assert_int_eq(trc_request_options(&r, 2000, &o, &e), 0);
    ck_assert_uint_eq(o.cycle_ps, 2000);
    ck_assert_int_eq(o.level, TRC_SUMMARY);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace_window");
    TCase *tc = tcase_create("filters");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_window_keeps_inside_and_cuts_edges);
    tcase_add_test(tc, test_summary_leaves_out_full_tracks);
    tcase_add_test(tc, test_cycles_shown_as_ns);
    tcase_add_test(tc, test_end_in_the_future_is_queued);
    tcase_add_test(tc, test_end_at_orders_output);
    tcase_add_test(tc, test_lanes_take_the_lowest_free);
    tcase_add_test(tc, test_open_slices_closed_at_end);
    tcase_add_test(tc, test_bad_options_refused);
    tcase_add_test(tc, test_request_resolves_against_the_clock);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
