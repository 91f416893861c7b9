/* test_snn_trace.c -- the event-driven run's timeline: the core model's
 * burst-merging rule and queue-depth counter (models/neuron/neu_core.h,
 * on a kernel and writer of their own, times chosen by hand), the layer
 * spike counters of a whole run against its spikes, the input events, the
 * arrows, and the determinism of the bytes. Files are read back with
 * protobuf-c and replayed the way trace_processor does. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neuron/neu_core.h"
#include "run/run.h"
#include "test_trace_util.h"

#define DATA "tests/data/snn/"
#define NS 1000ull

/* ---- reading a trace back ---------------------------------------------- */

typedef struct {
    uint64_t start, end;
    char name[32];
    uint64_t events, packets, sops, step, spikes;
    double busy_ns;
    int flows_in, flows_out;
} slice_rec;

typedef struct {
    uint64_t t;
    double v;
} sample_rec;

#define MAXS 4096

typedef struct {
    slice_rec s[MAXS];
    int n_s;
    sample_rec q[MAXS];
    int n_q;
    int instants;
} track_view;

static uint64_t find_track(const Trcpb__Trace *t, const char *name, uint64_t parent)
{
    for (size_t i = 0; i < t->n_packet; i++) {
        const Trcpb__TracePacket *p = t->packet[i];
        if (p->data_case != TRCPB__TRACE_PACKET__DATA_TRACK_DESCRIPTOR)
            continue;
        const Trcpb__TrackDescriptor *d = p->track_descriptor;
        if (!strcmp(d->name, name) && (!parent || d->parent_uuid == parent))
            return d->uuid;
    }
    return 0;
}

static void put_args(const Trcpb__TrackEvent *e, char *const *keys, slice_rec *r)
{
    for (size_t k = 0; k < e->n_debug_annotations; k++) {
        const Trcpb__DebugAnnotation *a = e->debug_annotations[k];
        const char *key = a->name_iid < MAXI ? keys[a->name_iid] : NULL;
        if (!key)
            continue;
        uint64_t u = a->uint_value;
        if (!strcmp(key, "events")) r->events = u;
        else if (!strcmp(key, "packets")) r->packets = u;
        else if (!strcmp(key, "sops")) r->sops = u;
        else if (!strcmp(key, "step")) r->step = u;
        else if (!strcmp(key, "spikes")) r->spikes = u;
        else if (!strcmp(key, "busy_ns")) r->busy_ns = a->double_value;
    }
}

/* Slices (with their args, BEGIN and END merged), counter samples and
 * instants of track uuid. */
static void view_track(const Trcpb__Trace *t, uint64_t uuid, track_view *v)
{
    char *names[MAXI] = {0}, *keys[MAXI] = {0};
    int stack[16], depth = 0;
    memset(v, 0, sizeof *v);
    for (size_t i = 0; i < t->n_packet; i++) {
        const Trcpb__TracePacket *p = t->packet[i];
        if (p->interned_data) {
            for (size_t k = 0; k < p->interned_data->n_event_names; k++)
                if (p->interned_data->event_names[k]->iid < MAXI)
                    names[p->interned_data->event_names[k]->iid] =
                        p->interned_data->event_names[k]->name;
            for (size_t k = 0; k < p->interned_data->n_debug_annotation_names; k++)
                if (p->interned_data->debug_annotation_names[k]->iid < MAXI)
                    keys[p->interned_data->debug_annotation_names[k]->iid] =
                        p->interned_data->debug_annotation_names[k]->name;
        }
        if (p->data_case != TRCPB__TRACE_PACKET__DATA_TRACK_EVENT ||
            p->track_event->track_uuid != uuid)
            continue;
        const Trcpb__TrackEvent *e = p->track_event;
        if (e->type == TRCPB__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN) {
            ck_assert(v->n_s < MAXS && depth < 16);
            slice_rec *r = &v->s[v->n_s];
            memset(r, 0, sizeof *r);
            r->start = p->timestamp;
            snprintf(r->name, sizeof r->name, "%s",
                     e->name_iid < MAXI && names[e->name_iid] ? names[e->name_iid] : "?");
            put_args(e, keys, r);
            r->flows_out += (int)e->n_flow_ids;
            r->flows_in += (int)e->n_terminating_flow_ids;
            stack[depth++] = v->n_s++;
        } else if (e->type == TRCPB__TRACK_EVENT__TYPE__TYPE_SLICE_END) {
            ck_assert_int_gt(depth, 0);
            slice_rec *r = &v->s[stack[--depth]];
            r->end = p->timestamp;
            put_args(e, keys, r);
            r->flows_in += (int)e->n_terminating_flow_ids;
        } else if (e->type == TRCPB__TRACK_EVENT__TYPE__TYPE_COUNTER) {
            ck_assert(v->n_q < MAXS);
            v->q[v->n_q++] = (sample_rec){p->timestamp, (double)e->counter_value};
        } else if (e->type == TRCPB__TRACK_EVENT__TYPE__TYPE_INSTANT) {
            v->instants++;
        }
    }
    ck_assert_int_eq(depth, 0);
}

/* ---- the core model alone ---------------------------------------------- */

typedef struct {
    int eval;
    uint32_t cycles, spikes;
} work_ev;

typedef struct {
    neu_core *c;
    int failed;
} core_ctx;

static void on_work(kq_kernel *k, void *ctx, const void *payload)
{
    core_ctx *cc = ctx;
    work_ev w;
    memcpy(&w, payload, sizeof w);
    if (w.eval) {
        neu_core_work(cc->c, kq_now(k), w.cycles, 0, 0, w.cycles);
        cc->failed |= neu_core_trace_eval(cc->c, "L", 7, w.spikes, NULL, 0);
        return;
    }
    neu_core_trace_arrive(cc->c, w.spikes);
    neu_core_work(cc->c, kq_now(k), w.cycles, 0, w.cycles, 0);
    cc->failed |= neu_core_trace_integrate(cc->c, w.spikes, NULL, 0);
}

/* Runs works {time ns, eval?, cycles, spikes} on one core (1 ns cycles,
 * gap 100 ns) with a trace at path. */
static void run_core(const char *path, const uint64_t (*works)[4], int n)
{
    base_error err;
    kq_kernel *k = kq_new();
    ck_assert_ptr_nonnull(k);
    trc_options to;
    trc_options_default(&to);
    trc_writer *w = trc_open(path, &to, &err);
    ck_assert_ptr_nonnull(w);
    neu_core_params p = {.name = "core 0", .track_name = "core 0", .cycle_ps = NS,
                         .trace_gap_ps = 100 * NS};
    core_ctx cc = {neu_core_new(k, &p, &err), 0};
    ck_assert_ptr_nonnull(cc.c);
    model_trace mt = {.w = w};
    ck_assert_int_eq(neu_core_ops.attach_trace(cc.c, &mt, &err), 0);
    ck_assert(neu_core_traced(cc.c));
    for (int i = 0; i < n; i++) {
        work_ev we = {(int)works[i][1], (uint32_t)works[i][2], (uint32_t)works[i][3]};
        ck_assert_int_eq(kq_schedule_at(k, works[i][0] * NS, 0, on_work, &cc, &we, sizeof we,
                                        NULL), KQ_OK);
    }
    kq_run(k, KQ_TIME_MAX, UINT64_MAX);
    ck_assert_int_eq(cc.failed, 0);
    model_energy e = {0};
    ck_assert_int_eq(neu_core_ops.finish(cc.c, kq_now(k), &e, &err), 0);
    model_energy_free(&e);
    ck_assert_int_eq(trc_close(w, kq_now(k), &err), 0);
    ck_assert_uint_gt(neu_core_get_stats(cc.c)->trace_events, 0);
    neu_core_ops.destroy(cc.c);
    kq_free(k);
}

/* The rule: integrations starting less than the gap after the previous
 * one ended merge; a burst ends one gap after its last integration when
 * the core goes idle, exactly at that end when an evaluation queued
 * behind it, at the evaluation's booking when that comes within the gap. */
START_TEST(test_bursts_merge_below_the_gap_and_close_as_documented)
{
    static const uint64_t works[][4] = {
        {0, 0, 10, 4},   /* [0, 10] opens burst 1 */
        {50, 0, 10, 2},  /* [50, 60]: gap 40 < 100, joins */
        {55, 0, 20, 3},  /* waits for the core: [60, 80], gap 0, joins */
        {300, 0, 10, 1}, /* [300, 310]: gap 220, burst 2; burst 1 ended at 180 */
        {305, 1, 30, 5}, /* evaluation booked while busy: [310, 340] */
        {400, 0, 5, 1},  /* [400, 405]: burst 3 */
        {450, 1, 10, 0}, /* evaluation booked 45 ns after it: burst 3 ends at 450 */
        {700, 0, 10, 1}, /* [700, 710], then [790, 800]: gap 80, one burst */
        {790, 0, 10, 1},
    };
    char dir[128], path[160];
    make_tmpdir(dir, sizeof dir, "evsim_snn_trace_");
    snprintf(path, sizeof path, "%s/core.pftrace", dir);
    run_core(path, works, sizeof works / sizeof works[0]);
    Trcpb__Trace *t = load_trace(path);
    static track_view v;
    view_track(t, find_track(t, "core 0", 0), &v);
    static const struct {
        uint64_t start, end;
        const char *name;
        uint64_t events, packets, sops;
    } want[] = {
        {0, 180, "integrate", 9, 3, 40}, {300, 310, "integrate", 1, 1, 10},
        {310, 340, "L", 0, 0, 0},        {400, 450, "integrate", 1, 1, 5},
        {450, 460, "L", 0, 0, 0},        {700, 900, "integrate", 2, 2, 20},
    };
    ck_assert_int_eq(v.n_s, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < v.n_s; i++) {
        ck_assert_msg(v.s[i].start == want[i].start && v.s[i].end == want[i].end,
                      "slice %d: [%llu, %llu], want [%llu, %llu]", i,
                      (unsigned long long)v.s[i].start, (unsigned long long)v.s[i].end,
                      (unsigned long long)want[i].start, (unsigned long long)want[i].end);
        ck_assert_str_eq(v.s[i].name, want[i].name);
        ck_assert_uint_eq(v.s[i].events, want[i].events);
        ck_assert_uint_eq(v.s[i].packets, want[i].packets);
        ck_assert_uint_eq(v.s[i].sops, want[i].sops);
    }
    ck_assert(v.s[0].busy_ns == 40.0);
    ck_assert_uint_eq(v.s[2].step, 7);
    ck_assert_uint_eq(v.s[2].spikes, 5);
    trcpb__trace__free_unpacked(t, NULL);
    run_validator(path);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The queue depth counts spikes delivered whose integration has not
 * begun: spikes integrated the instant they arrive never show; three
 * spikes waiting [55, 60) ns are the peak of the window sampled at 100 ns,
 * and the queue is back to 0 at the next sample. */
START_TEST(test_queue_depth_counts_only_spikes_that_wait)
{
    static const uint64_t works[][4] = {
        {0, 0, 10, 4}, {50, 0, 10, 2}, {55, 0, 20, 3}, {300, 0, 10, 1}, {400, 0, 5, 1},
    };
    char dir[128], path[160];
    make_tmpdir(dir, sizeof dir, "evsim_snn_trace_");
    snprintf(path, sizeof path, "%s/q.pftrace", dir);
    run_core(path, works, sizeof works / sizeof works[0]);
    Trcpb__Trace *t = load_trace(path);
    static track_view v;
    view_track(t, find_track(t, "queue depth", find_track(t, "core 0", 0)), &v);
    ck_assert_int_ge(v.n_q, 2);
    ck_assert_uint_eq(v.q[0].t, 100);
    ck_assert(v.q[0].v == 3);
    ck_assert_uint_eq(v.q[1].t, 200);
    ck_assert(v.q[1].v == 0);
    for (int i = 2; i < v.n_q; i++) /* the writer's final sample */
        ck_assert(v.q[i].v == 0);
    trcpb__trace__free_unpacked(t, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- whole runs ---------------------------------------------------------- */

#define NL 3
#define STEPS 32

typedef struct {
    uint64_t spikes[NL][STEPS];
} spikes_rec;

static void on_spike(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron, double v)
{
    (void)neuron;
    spikes_rec *r = ctx;
    if (layer < NL && step < STEPS)
        r->spikes[layer][step] += (uint64_t)v;
}

static void run_traced(const char *scenario, const char *trace, const char *json, bool events,
                       spikes_rec *rec, run_result *res)
{
    run_options o;
    run_options_default(&o);
    o.json_path = json;
    o.text_path = "";
    o.trace.path = trace;
    o.no_trace = trace == NULL;
    o.trace_events = events;
    o.on_spike = rec ? on_spike : NULL;
    o.spike_ctx = rec;
    base_error err;
    ck_assert_msg(run_scenario(scenario, &o, res, &err) == 0, "%s: %s", scenario, err.msg);
    ck_assert(res->snn_res.complete);
}

/* Each layer's counter shows the spikes of each of its steps, in order
 * (every step's sample, also when several steps are evaluated at once);
 * the writer leaves out a sample equal to the one before. Their sum is
 * the report's. */
START_TEST(test_layer_counters_show_every_steps_spikes)
{
    char dir[128], path[160];
    make_tmpdir(dir, sizeof dir, "evsim_snn_trace_");
    snprintf(path, sizeof path, "%s/run.pftrace", dir);
    static spikes_rec rec;
    memset(&rec, 0, sizeof rec);
    run_result res;
    run_traced(DATA "cpd_4_same_step.yaml", path, "", false, &rec, &res);
    uint64_t steps = res.snn_res.steps;
    ck_assert_uint_le(steps, STEPS);
    static const char *const names[NL] = {"conv", "pool", "fc"};
    Trcpb__Trace *t = load_trace(path);
    uint64_t group = find_track(t, "spikes per step", 0);
    ck_assert_uint_ne(group, 0);
    uint64_t total = 0;
    for (int l = 0; l < NL; l++) {
        uint64_t u = find_track(t, names[l], group);
        ck_assert_msg(u != 0, "no counter for layer %s", names[l]);
        static track_view v;
        view_track(t, u, &v);
        double want[STEPS + 1];
        int nw = 0;
        double last = -1; /* the first sample is written, 0 or not */
        for (uint64_t s = 0; s < steps; s++) {
            double x = (double)rec.spikes[l][s];
            total += rec.spikes[l][s];
            if (x != last)
                want[nw++] = x;
            last = x;
        }
        int ng = 0;
        last = -1;
        for (int i = 0; i < v.n_q; i++) {
            if (v.q[i].v == last) /* the writer's final sample */
                continue;
            ck_assert_msg(ng < nw && v.q[i].v == want[ng], "layer %s: sample %d is %g",
                          names[l], i, v.q[i].v);
            last = v.q[i].v;
            ng++;
        }
        ck_assert_int_eq(ng, nw);
        uint64_t sum = 0;
        for (uint64_t s = 0; s < steps; s++)
            sum += rec.spikes[l][s];
        ck_assert_uint_eq(sum, res.snn_res.layers[l].spikes);
    }
    ck_assert_uint_gt(total, 20);
    /* every core has bursts and evaluations on its track */
    for (uint32_t c = 0; c < res.snn_res.n_cores; c++) {
        char name[64];
        snprintf(name, sizeof name, "core %u (%u,%u) seneca", c, c % 2, c / 2);
        static track_view v;
        view_track(t, find_track(t, name, 0), &v);
        int bursts = 0, evals = 0;
        for (int i = 0; i < v.n_s; i++)
            *(strcmp(v.s[i].name, "integrate") ? &evals : &bursts) += 1;
        ck_assert_msg(bursts > 0 && evals > 0, "%s: %d bursts, %d evaluations", name, bursts,
                      evals);
    }
    trcpb__trace__free_unpacked(t, NULL);
    ck_assert_int_ne(run_validator(path), 1);
    run_result_free(&res);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Arrows: every one that starts ends (on the burst a packet of the slice
 * feeds); with trace_events one instant per used input event, each with
 * one arrow (to the first burst integrating it). */
START_TEST(test_input_events_and_arrows)
{
    char dir[128], a[160], b[160];
    make_tmpdir(dir, sizeof dir, "evsim_snn_trace_");
    snprintf(a, sizeof a, "%s/plain.pftrace", dir);
    snprintf(b, sizeof b, "%s/events.pftrace", dir);
    run_result ra, rb;
    run_traced(DATA "cpd_4_same_step.yaml", a, "", false, NULL, &ra);
    run_traced(DATA "cpd_4_same_step.yaml", b, "", true, NULL, &rb);
    Trcpb__Trace *ta = load_trace(a), *tb = load_trace(b);
    ck_assert_uint_eq(find_track(ta, "input events", 0), 0);
    static track_view v;
    uint64_t in = find_track(tb, "input events", 0);
    ck_assert_uint_ne(in, 0);
    view_track(tb, in, &v);
    ck_assert_int_eq(v.instants, (int)rb.snn_res.events_used);
    static replay r;
    do_replay(ta, &r);
    ck_assert_int_eq(r.problems, 0);
    ck_assert_int_gt(r.flow_events, 0);
    int plain_flows = r.flow_events;
    ck_assert_int_eq(r.flow_ends, r.flow_events);
    do_replay(tb, &r);
    ck_assert_int_eq(r.problems, 0);
    ck_assert_int_eq(r.flow_ends, r.flow_events);
    ck_assert_int_eq(r.flow_events, plain_flows + (int)rb.snn_res.events_used);
    trcpb__trace__free_unpacked(ta, NULL);
    trcpb__trace__free_unpacked(tb, NULL);
    ck_assert_int_ne(run_validator(b), 1);
    run_result_free(&ra);
    run_result_free(&rb);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static int same_file(const char *x, const char *y)
{
    size_t nx = 0, ny = 0;
    unsigned char *bx = slurp(x, &nx), *by = slurp(y, &ny);
    int same = bx && by && nx == ny && !memcmp(bx, by, nx);
    free(bx);
    free(by);
    return same;
}

/* Two traced runs write the same bytes; the report is the same with and
 * without the trace. */
START_TEST(test_trace_bytes_are_deterministic_and_change_no_result)
{
    char dir[128], t1[160], t2[160], j0[160], j1[160], j2[160];
    make_tmpdir(dir, sizeof dir, "evsim_snn_trace_");
    snprintf(t1, sizeof t1, "%s/1.pftrace", dir);
    snprintf(t2, sizeof t2, "%s/2.pftrace", dir);
    snprintf(j0, sizeof j0, "%s/0.json", dir);
    snprintf(j1, sizeof j1, "%s/1.json", dir);
    snprintf(j2, sizeof j2, "%s/2.json", dir);
    const char *sc[] = {DATA "cpd_4_same_step.yaml", DATA "cpd_2_next_step.yaml"};
    for (int i = 0; i < 2; i++) {
        run_result r0, r1, r2;
        run_traced(sc[i], NULL, j0, false, NULL, &r0);
        run_traced(sc[i], t1, j1, true, NULL, &r1);
        run_traced(sc[i], t2, j2, true, NULL, &r2);
        ck_assert_msg(same_file(t1, t2), "%s: two runs wrote different traces", sc[i]);
        ck_assert_msg(same_file(j0, j1), "%s: the trace changed the report", sc[i]);
        ck_assert_uint_eq(r0.snn_res.events, r1.snn_res.events);
        ck_assert_uint_eq(r0.snn_res.end_ps, r1.snn_res.end_ps);
        run_result_free(&r0);
        run_result_free(&r1);
        run_result_free(&r2);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *snn_trace_suite(void)
{
    Suite *s = suite_create("snn_trace");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_bursts_merge_below_the_gap_and_close_as_documented);
    tcase_add_test(tc, test_queue_depth_counts_only_spikes_that_wait);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("run");
    tcase_set_timeout(tr, 300);
    tcase_add_test(tr, test_layer_counters_show_every_steps_spikes);
    tcase_add_test(tr, test_input_events_and_arrows);
    tcase_add_test(tr, test_trace_bytes_are_deterministic_and_change_no_result);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(snn_trace_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
