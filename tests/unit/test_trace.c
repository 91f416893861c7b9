/* test_trace.c -- the Perfetto writer: what it writes decodes (with
 * protobuf-c's own unpack) to the tracks, slices, counters, flows and
 * interned names that were written; output is deterministic; an error
 * leaves no file behind. */
#include <signal.h>
#include <sys/resource.h>

#include "test_trace_util.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    make_tmpdir(dir, sizeof dir, "evsim_trc_");
    snprintf(path, sizeof path, "%s/t.pftrace", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

enum { CHIP = 1, CORE0, CORE1, NPE, OCC, UTIL, PKTS, LANE1, LANE2 };

/* Every kind of call once, with overlapping packets on a lane group. */
static void write_sample(const char *p, trc_format fmt)
{
    trc_options o;
    trc_options_default(&o);
    o.format = fmt;
    base_error err;
    trc_writer *w = trc_open(p, &o, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    trc_track chip, core0, core1, npe, occ, util, pkts, l1, l2;
    trc_track_spec s = {"chip", "the whole chip", 0, TRC_SUMMARY};
    ck_assert_int_eq(trc_track_new(w, &s, &chip), 0);
    s = (trc_track_spec){"core 0", NULL, chip, TRC_SUMMARY};
    ck_assert_int_eq(trc_track_new(w, &s, &core0), 0);
    s.name = "core 1";
    ck_assert_int_eq(trc_track_new(w, &s, &core1), 0);
    s = (trc_track_spec){"npe", NULL, core0, TRC_FULL};
    ck_assert_int_eq(trc_track_new(w, &s, &npe), 0);
    trc_counter_spec cb = {TRC_UNIT_BYTES, NULL, "mem"};
    s = (trc_track_spec){"occupancy", NULL, core0, TRC_SUMMARY};
    ck_assert_int_eq(trc_counter_new(w, &s, &cb, &occ), 0);
    trc_counter_spec cp = {TRC_UNIT_NONE, "%", NULL};
    s = (trc_track_spec){"utilisation", NULL, core1, TRC_SUMMARY};
    ck_assert_int_eq(trc_counter_new(w, &s, &cp, &util), 0);
    s = (trc_track_spec){"packets", NULL, chip, TRC_FULL};
    ck_assert_int_eq(trc_lanes_new(w, &s, &pkts), 0);
    ck_assert_uint_eq(chip, CHIP);
    ck_assert_uint_eq(pkts, PKTS);

    trc_name run = trc_intern(w, "run"), cn = trc_intern(w, "cn"),
             spike = trc_intern(w, "spike"), pkt = trc_intern(w, "pkt");
    trc_name ksrc = trc_intern(w, "src"), kratio = trc_intern(w, "ratio"),
             klabel = trc_intern(w, "label");
    ck_assert_uint_eq(trc_intern(w, "cn"), cn);

    uint64_t f1 = trc_flow_new(w), f2 = trc_flow_new(w);
    uint64_t fl[2] = {f1, f2};
    trc_arg args[3] = {trc_arg_int(ksrc, -3), trc_arg_double(kratio, 0.25),
                       trc_arg_str(klabel, "conv \"1\"")};
    trc_extra xa = {args, 3, NULL, 0, NULL, 0};
    trc_extra xf = {NULL, 0, fl, 2, NULL, 0};
    trc_extra xe1 = {NULL, 0, NULL, 0, &f1, 1};
    trc_extra xe2 = {NULL, 0, NULL, 0, &f2, 1};

    ck_assert_int_eq(trc_begin(w, core0, 0, run, NULL), 0);
    ck_assert_int_eq(trc_complete(w, npe, 1000, 3000, cn, &xa), 0);
    ck_assert_int_eq(trc_counter_int(w, occ, 1000, 64), 0);
    ck_assert_int_eq(trc_lane_begin(w, pkts, 1000, pkt, &xf, &l1), 0);
    ck_assert_int_eq(trc_lane_begin(w, pkts, 1500, pkt, NULL, &l2), 0);
    ck_assert_uint_eq(l1, LANE1);
    ck_assert_uint_eq(l2, LANE2);
    ck_assert_int_eq(trc_instant(w, npe, 2000, spike, NULL), 0);
    ck_assert_int_eq(trc_counter_int(w, occ, 2000, 128), 0);
    ck_assert_int_eq(trc_counter_int(w, occ, 2000, 96), 0);
    ck_assert_int_eq(trc_counter_double(w, util, 2000, 0.5), 0);
    ck_assert_int_eq(trc_instant(w, core1, 3000, spike, &xe1), 0);
    ck_assert_int_eq(trc_counter_int(w, occ, 3000, 96), 0);
    ck_assert_int_eq(trc_end(w, l1, 3500, NULL), 0);
    ck_assert_int_eq(trc_complete(w, core1, 4000, 500, cn, &xe2), 0);
    ck_assert_int_eq(trc_end(w, l2, 5000, NULL), 0);
    ck_assert_int_eq(trc_lane_complete(w, pkts, 5000, 1000, pkt, NULL), 0);
    ck_assert_int_eq(trc_end(w, core0, 8000, NULL), 0);
    trc_stats st;
    trc_get_stats(w, &st);
    ck_assert_uint_eq(st.tracks, 9);
    ck_assert_int_eq(trc_close(w, 10000, &err), 0);
}

START_TEST(test_decodes_what_was_written)
{
    write_sample(path, TRC_PERFETTO);
    Trcpb__Trace *t = load_trace(path);
    replay r;
    do_replay(t, &r);
    ck_assert_msg(r.problems == 0, "%s", r.problem);
    ck_assert_str_eq(r.track_name[CHIP], "chip");
    ck_assert_str_eq(r.track_name[LANE2], "packets 2");
    ck_assert_uint_eq(r.parent[CORE1], CHIP);
    ck_assert_uint_eq(r.parent[NPE], CORE0);
    ck_assert_uint_eq(r.parent[LANE1], PKTS);
    ck_assert(r.is_counter[OCC] && r.is_counter[UTIL] && !r.is_counter[NPE]);
    ck_assert_int_eq(r.counter_unit[OCC],
                     TRCPB__COUNTER_DESCRIPTOR__UNIT__UNIT_SIZE_BYTES);
    ck_assert_int_eq(r.slices[CORE0], 1);
    ck_assert_int_eq(r.slices[NPE], 1);
    ck_assert_int_eq(r.instants[NPE], 1);
    ck_assert_int_eq(r.slices[LANE1], 2); /* the last packet reuses lane 1 */
    ck_assert_int_eq(r.slices[LANE2], 1);
    ck_assert_int_eq(r.slices[CORE1], 1);
    ck_assert_int_eq(r.max_depth[LANE1], 1);
    /* 64 @1, 96 @2 (128 at the same time is superseded, the unchanged 96
     * @3 is not repeated), 96 again at the end */
    ck_assert_int_eq(r.counters[OCC], 3);
    ck_assert_double_eq(r.last_counter[OCC], 96);
    ck_assert_int_eq(r.counters[UTIL], 2);
    ck_assert_double_eq(r.last_counter[UTIL], 0.5);
    ck_assert_int_eq(r.flow_events, 2);
    ck_assert_int_eq(r.flow_ends, 2);
    ck_assert_uint_eq(r.first_ts, 0);
    ck_assert_uint_eq(r.last_ts, 10);
    trcpb__trace__free_unpacked(t, NULL);
}
END_TEST

START_TEST(test_names_interned_once_with_flags)
{
    write_sample(path, TRC_PERFETTO);
    Trcpb__Trace *t = load_trace(path);
    replay r;
    do_replay(t, &r);
    ck_assert_msg(r.problems == 0, "%s", r.problem);
    ck_assert_uint_eq(t->packet[0]->sequence_flags, 3);
    int names = 0;
    for (int i = 0; i < MAXI; i++) {
        ck_assert_int_le(r.event_interned_times[i], 1);
        names += r.event_interned_times[i];
    }
    ck_assert_int_eq(names, 4); /* run, cn, spike, pkt */
    /* the complete slice carries its three annotations by interned key */
    int found = 0;
    for (size_t i = 0; i < t->n_packet; i++) {
        Trcpb__TracePacket *p = t->packet[i];
        if (p->data_case != TRCPB__TRACE_PACKET__DATA_TRACK_EVENT ||
            p->track_event->n_debug_annotations != 3)
            continue;
        Trcpb__DebugAnnotation **a = p->track_event->debug_annotations;
        ck_assert_str_eq(r.key_name[a[0]->name_iid], "src");
        ck_assert_int_eq(a[0]->int_value, -3);
        ck_assert_double_eq(a[1]->double_value, 0.25);
        ck_assert_str_eq(a[2]->string_value, "conv \"1\"");
        ck_assert_uint_eq(p->trusted_packet_sequence_id, 1);
        found++;
    }
    ck_assert_int_eq(found, 1);
    trcpb__trace__free_unpacked(t, NULL);
}
END_TEST

START_TEST(test_same_inputs_same_bytes)
{
    char p2[160];
    snprintf(p2, sizeof p2, "%s/u.pftrace", dir);
    write_sample(path, TRC_PERFETTO);
    write_sample(p2, TRC_PERFETTO);
    size_t n1 = 0, n2 = 0;
    unsigned char *a = slurp(path, &n1), *b = slurp(p2, &n2);
    ck_assert_uint_gt(n1, 100);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(a, b, n1) == 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_validator_accepts_both_formats)
{
    char pj[160];
    snprintf(pj, sizeof pj, "%s/t.json", dir);
    write_sample(path, TRC_PERFETTO);
    write_sample(pj, TRC_JSON);
    size_t n;
    char *j = (char *)slurp(pj, &n);
    ck_assert(strncmp(j, "{\"traceEvents\":[", 16) == 0);
    ck_assert_ptr_nonnull(strstr(j, "\"name\":\"thread_name\",\"args\":"
                                    "{\"name\":\"packets / packets 2\"}"));
    ck_assert_ptr_nonnull(strstr(j, "\"label\":\"conv \\\"1\\\"\""));
    free(j);
    int rc = run_validator(path);
    if (rc >= 0) {
        ck_assert_msg(rc == 0, "validator rejects %s (see %s.check)", path, path);
        ck_assert_int_eq(run_validator(pj), 0);
    }
}
END_TEST

static void expect_no_file(void)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert(!file_exists(path));
    ck_assert(!file_exists(tmp));
}

START_TEST(test_error_mid_run_leaves_no_file)
{
    trc_options o;
    trc_options_default(&o);
    base_error err;
    trc_writer *w = trc_open(path, &o, &err);
    trc_track t;
    trc_track_spec s = {"core", NULL, 0, TRC_SUMMARY};
    trc_track_new(w, &s, &t);
    trc_name n = trc_intern(w, "x");
    ck_assert_int_eq(trc_begin(w, t, 5000, n, NULL), 0);
    ck_assert_int_eq(trc_end(w, t, 4000, NULL), -1); /* time went back */
    ck_assert(trc_failed(w));
    ck_assert_int_eq(trc_begin(w, t, 9000, n, NULL), -1); /* sticky */
    ck_assert_int_eq(trc_close(w, 10000, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "time went backwards"));
    expect_no_file();
}
END_TEST

/* A real write error: the file size limit makes write() fail (EFBIG). */
START_TEST(test_io_error_leaves_no_file)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {20000, 20000};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    trc_options o;
    trc_options_default(&o);
    base_error err;
    trc_writer *w = trc_open(path, &o, &err);
    trc_track t;
    trc_track_spec s = {"core", NULL, 0, TRC_SUMMARY};
    trc_track_new(w, &s, &t);
    trc_name n = trc_intern(w, "busy");
    for (uint64_t i = 0; i < 100000 && !trc_failed(w); i++)
        trc_complete(w, t, i * 1000, 500, n, NULL);
    ck_assert_int_eq(trc_close(w, UINT64_MAX - 1, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "writing"));
    expect_no_file();
}
END_TEST

START_TEST(test_abort_removes_tmp)
{
    trc_options o;
    trc_options_default(&o);
    base_error err;
    trc_writer *w = trc_open(path, &o, &err);
    trc_track t;
    trc_track_spec s = {"core", NULL, 0, TRC_SUMMARY};
    trc_track_new(w, &s, &t);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert(file_exists(tmp));
    trc_abort(w);
    expect_no_file();
}
END_TEST

START_TEST(test_overlap_on_one_track_fails)
{
    trc_options o;
    trc_options_default(&o);
    base_error err;
    trc_writer *w = trc_open(path, &o, &err);
    trc_track t;
    trc_track_spec s = {"link", NULL, 0, TRC_SUMMARY};
    trc_track_new(w, &s, &t);
    trc_name n = trc_intern(w, "flit");
    ck_assert_int_eq(trc_complete(w, t, 0, 5000, n, NULL), 0);
    /* starts inside the first but ends after it: cannot nest */
    ck_assert_int_eq(trc_complete(w, t, 1000, 6000, n, NULL), -1);
    ck_assert_int_eq(trc_close(w, 10000, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "do not nest"));
    expect_no_file();
}
END_TEST

START_TEST(test_same_sibling_name_refused)
{
    trc_options o;
    trc_options_default(&o);
    base_error err;
    trc_writer *w = trc_open(path, &o, &err);
    trc_track a, b, c;
    trc_track_spec s = {"router 1", NULL, 0, TRC_SUMMARY};
    ck_assert_int_eq(trc_track_new(w, &s, &a), 0);
    s.parent = a; /* same name under another parent is fine */
    ck_assert_int_eq(trc_track_new(w, &s, &b), 0);
    s.parent = 0;
    ck_assert_int_eq(trc_track_new(w, &s, &c), -1);
    ck_assert_int_eq(trc_close(w, 0, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "already exists"));
    expect_no_file();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("writer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_decodes_what_was_written);
    tcase_add_test(tc, test_names_interned_once_with_flags);
    tcase_add_test(tc, test_same_inputs_same_bytes);
    tcase_add_test(tc, test_validator_accepts_both_formats);
    tcase_add_test(tc, test_error_mid_run_leaves_no_file);
    tcase_add_test(tc, test_io_error_leaves_no_file);
    tcase_add_test(tc, test_abort_removes_tmp);
    tcase_add_test(tc, test_overlap_on_one_track_fails);
    tcase_add_test(tc, test_same_sibling_name_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
