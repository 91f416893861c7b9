/* test_trace_noc.c -- the NoC recorded through its observer: the trace
 * decodes to a router group per router with its counters, one slice per
 * packet, one arrow per multicast delivery; it passes the validator at
 * several loads, both detail levels, a window and JSON; a run traced twice
 * gives the same bytes. */
#include "test_trace_util.h"
#include "noc/trc_noc.h"
#include "trace_noc_driver.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    make_tmpdir(dir, sizeof dir, "evsim_trcn_");
    snprintf(path, sizeof path, "%s/noc.pftrace", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

typedef struct {
    uint64_t sent, end_ps;
    trc_stats st;
} run_info;

static run_info traced_run(const char *p, const drv_config *dc,
                           const trc_options *o)
{
    drv d;
    ck_assert_int_eq(drv_init(&d, dc), 0);
    base_error err;
    trc_writer *w = trc_open(p, o, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    trc_noc *r = trc_noc_new(w, d.n, 100, &err);
    ck_assert_msg(r != NULL, "%s", err.msg);
    run_info ri = {0};
    ri.end_ps = drv_run(&d);
    ck_assert(!d.failed);
    ck_assert_msg(!noc_deadlocked(d.n), "the NoC stopped on a deadlock");
    ri.sent = d.sent;
    ck_assert_int_eq(trc_noc_finish(r, ri.end_ps), 0);
    trc_noc_free(r);
    ck_assert_msg(trc_close_stats(w, ri.end_ps, &ri.st, &err) == 0, "%s",
                  err.msg);
    drv_free(&d);
    return ri;
}

/* 10 % multicast packets to three destinations, at a low load. */
static const drv_config base = {4, 0.05, 1, 0.1, 3, 2000, 1};

static uint64_t find_track(const replay *r, const char *name, uint64_t parent)
{
    for (uint64_t u = 1; u < MAXT; u++)
        if (r->declared[u] && !strcmp(r->track_name[u], name) &&
            r->parent[u] == parent)
            return u;
    return 0;
}

START_TEST(test_noc_trace_holds_what_happened)
{
    trc_options o;
    trc_options_default(&o);
    run_info ri = traced_run(path, &base, &o);
    ck_assert_uint_gt(ri.sent, 500);
    Trcpb__Trace *t = load_trace(path);
    replay *r = malloc(sizeof *r);
    do_replay(t, r);
    ck_assert_msg(r->problems == 0, "%s", r->problem);
    uint64_t top = find_track(r, "NoC 4x4", 0);
    ck_assert_uint_ne(top, 0);
    uint64_t inflight = find_track(r, "packets in flight", top);
    ck_assert(r->is_counter[inflight]);
    ck_assert_double_eq(r->last_counter[inflight], 0); /* drained */
    char name[64];
    for (uint32_t i = 0; i < 16; i++) {
        snprintf(name, sizeof name, "router %u (%u,%u)", i, i % 4, i / 4);
        uint64_t g = find_track(r, name, top);
        ck_assert_msg(g != 0, "no track %s", name);
        uint64_t b = find_track(r, "buffered flits", g);
        ck_assert(r->is_counter[b] && r->counters[b] > 0);
        ck_assert_uint_ne(find_track(r, "eject link", g), 0);
        /* corner routers have two mesh links, the others three or four */
        int links = !!find_track(r, "east link", g) + !!find_track(r, "west link", g) +
                    !!find_track(r, "north link", g) + !!find_track(r, "south link", g);
        ck_assert_int_eq(links, 2 + (i % 4 != 0 && i % 4 != 3) + (i / 4 != 0 && i / 4 != 3));
    }
    /* every packet is one slice on a lane of its source */
    uint64_t by_src = find_track(r, "NoC packets by source", 0);
    int slices = 0;
    for (uint64_t u = 1; u < MAXT; u++)
        if (r->declared[u] && r->parent[u] &&
            r->parent[r->parent[u]] == by_src) {
            slices += r->slices[u];
            ck_assert_int_le(r->max_depth[u], 1);
        }
    ck_assert_int_eq(slices, (int)ri.sent);
    ck_assert_uint_eq(ri.st.slices, ri.sent);
    /* one arrow per multicast destination: 3 per multicast packet */
    ck_assert_int_gt(r->flow_events, 0);
    ck_assert_int_eq(r->flow_events % 3, 0);
    ck_assert_int_eq(r->flow_ends, r->flow_events);
    uint64_t deliv = find_track(r, "NoC multicast deliveries", 0);
    int instants = 0;
    for (uint64_t u = 1; u < MAXT; u++)
        if (r->declared[u] && r->parent[u] == deliv)
            instants += r->instants[u];
    ck_assert_int_eq(instants, r->flow_events);
    free(r);
    trcpb__trace__free_unpacked(t, NULL);
    ck_assert_int_le(run_validator(path), 0);
}
END_TEST

START_TEST(test_noc_loads_and_levels_pass_validator)
{
    static const double rates[] = {0.05, 0.3, 0.6};
    for (int i = 0; i < 3; i++)
        for (int lv = 0; lv < 2; lv++) {
            drv_config dc = base;
            dc.rate = rates[i];
            /* Multicast at every load: the replication tree once
             * deadlocked under contention (fixed in the NoC). */
            dc.mcast_frac = 0.1;
            dc.cycles = 1000;
            trc_options o;
            trc_options_default(&o);
            o.level = lv ? TRC_FULL : TRC_SUMMARY;
            run_info ri = traced_run(path, &dc, &o);
            if (lv)
                ck_assert_uint_eq(ri.st.slices, ri.sent);
            else
                ck_assert_uint_eq(ri.st.slices, 0);
            int rc = run_validator(path);
            ck_assert_msg(rc <= 0, "validator rejects rate %g level %d",
                          rates[i], lv);
            if (rc < 0)
                return;
        }
}
END_TEST

/* A run stopped in the middle (a time limit), with packets still in
 * flight and slices open: the trace closes everything and stays valid. */
START_TEST(test_noc_stopped_run_still_valid)
{
    drv_config dc = base;
    dc.rate = 0.3;
    drv d;
    ck_assert_int_eq(drv_init(&d, &dc), 0);
    trc_options o;
    trc_options_default(&o);
    base_error err;
    trc_writer *w = trc_open(path, &o, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    trc_noc *tn = trc_noc_new(w, d.n, 100, &err);
    ck_assert_msg(tn != NULL, "%s", err.msg);
    kq_schedule_at(d.k, 0, 0, drv_tick, &d, NULL, 0, NULL);
    uint64_t stop_ps = 700 * d.cps;
    ck_assert_int_eq(kq_run(d.k, stop_ps, 0), KQ_RUN_TIME);
    ck_assert_uint_gt(noc_flits_in_flight(d.n), 0);
    ck_assert_int_eq(trc_noc_finish(tn, stop_ps), 0);
    trc_noc_free(tn);
    ck_assert_msg(trc_close(w, stop_ps, &err) == 0, "%s", err.msg);
    drv_free(&d);
    Trcpb__Trace *t = load_trace(path);
    replay *r = malloc(sizeof *r);
    do_replay(t, r);
    ck_assert_msg(r->problems == 0, "%s", r->problem);
    free(r);
    trcpb__trace__free_unpacked(t, NULL);
    ck_assert_int_le(run_validator(path), 0);
}
END_TEST

START_TEST(test_noc_window_and_json_pass_validator)
{
    trc_options o;
    trc_options_default(&o);
    o.from_ps = 500 * 1000;
    o.to_ps = 1500 * 1000;
    traced_run(path, &base, &o);
    Trcpb__Trace *t = load_trace(path);
    replay *r = malloc(sizeof *r);
    do_replay(t, r);
    ck_assert_msg(r->problems == 0, "%s", r->problem);
    ck_assert_uint_ge(r->first_ts, 500);
    ck_assert_uint_le(r->last_ts, 1500);
    free(r);
    trcpb__trace__free_unpacked(t, NULL);
    ck_assert_int_le(run_validator(path), 0);

    char pj[160];
    snprintf(pj, sizeof pj, "%s/noc.json", dir);
    trc_options_default(&o);
    o.format = TRC_JSON;
    traced_run(pj, &base, &o);
    ck_assert_int_le(run_validator(pj), 0);
}
END_TEST

START_TEST(test_noc_same_run_same_bytes)
{
    char p2[160];
    snprintf(p2, sizeof p2, "%s/again.pftrace", dir);
    trc_options o;
    trc_options_default(&o);
    traced_run(path, &base, &o);
    traced_run(p2, &base, &o);
    size_t n1 = 0, n2 = 0;
    unsigned char *a = slurp(path, &n1), *b = slurp(p2, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(a, b, n1) == 0);
    free(a);
    free(b);
}
END_TEST

/* A runner that builds its own NoC: it installs the hook's observer, the
 * trace opens when the NoC attaches it and closes after the run, when the
 * NoC is already freed; an unwritable path, a cancelled run and an
 * observer never installed all leave no file. */
START_TEST(test_noc_hook_opens_and_closes)
{
    trc_noc_hook h;
    trc_noc_hook_init(&h);
    h.req.path = path; /* as --trace PATH --trace-level summary give it */
    h.req.level = TRC_SUMMARY;
    drv d;
    ck_assert_int_eq(drv_init(&d, &base), 0);
    const noc_observer *obs = trc_noc_hook_observer(&h);
    ck_assert_ptr_nonnull(obs);
    noc_set_observer(d.n, obs); /* the runner's part */
    ck_assert(!h.failed);
    uint64_t end = drv_run(&d), cps = noc_cycle_ps(d.n);
    drv_free(&d);
    ck_assert_int_eq(trc_noc_hook_end(&h, end / cps), 0);
    ck_assert(h.done && !h.failed);
    ck_assert_uint_eq(h.st.slices, 0); /* summary */
    ck_assert_uint_gt(h.st.events, 100);
    ck_assert(file_exists(path));
    ck_assert_int_le(run_validator(path), 0);

    char bad[160], tmp[170];
    snprintf(bad, sizeof bad, "%s/no/such/dir.pftrace", dir);
    trc_noc_hook_init(&h);
    h.req.path = bad;
    ck_assert_int_eq(drv_init(&d, &base), 0);
    noc_set_observer(d.n, trc_noc_hook_observer(&h));
    ck_assert(h.failed);
    drv_run(&d); /* the run goes on untraced */
    drv_free(&d);
    ck_assert_int_eq(trc_noc_hook_end(&h, 10), -1);
    ck_assert_ptr_nonnull(strstr(h.err.msg, "cannot write"));

    snprintf(bad, sizeof bad, "%s/cancelled.pftrace", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", bad);
    trc_noc_hook_init(&h);
    h.req.path = bad;
    ck_assert_int_eq(drv_init(&d, &base), 0);
    noc_set_observer(d.n, trc_noc_hook_observer(&h));
    ck_assert(file_exists(tmp));
    drv_free(&d); /* the runner failed and freed its NoC first */
    trc_noc_hook_cancel(&h);
    ck_assert(!file_exists(tmp) && !file_exists(bad));

    trc_noc_hook_init(&h);
    h.req.path = bad;
    ck_assert_ptr_nonnull(trc_noc_hook_observer(&h));
    ck_assert_int_eq(trc_noc_hook_end(&h, 10), -1); /* never installed */
    ck_assert_ptr_nonnull(strstr(h.err.msg, "never attached"));
    ck_assert(!file_exists(bad));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace_noc");
    TCase *tc = tcase_create("noc");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_noc_trace_holds_what_happened);
    tcase_add_test(tc, test_noc_loads_and_levels_pass_validator);
    tcase_add_test(tc, test_noc_stopped_run_still_valid);
    tcase_add_test(tc, test_noc_window_and_json_pass_validator);
    tcase_add_test(tc, test_noc_same_run_same_bytes);
    tcase_add_test(tc, test_noc_hook_opens_and_closes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
