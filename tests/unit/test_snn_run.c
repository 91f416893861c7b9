/* test_snn_run.c -- functional exactness of the event-driven chip run: the
 * output of every neuron in every step from run_scenario (mode: timestep)
 * equals tests/unit/snn_ref.h's plain time-stepped reference, on 1, 2 and
 * 4 cores with different tilings, with same_step and next_step
 * propagation. The reference reads the CSV trace itself and draws the
 * weights with the documented rule (conn_weights_seeded with stream = the
 * layer's index, quantised to the W precision); nothing else of the
 * simulator is used on its side. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "neuron/conn.h"
#include "run/run.h"
#include "snn_ref.h"
#include "snn_test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define DATA "tests/data/snn/"
#define STEPS_MAX 32
#define NL 3

/* The net of cpd.workload.yaml, by hand. */
static const int n_out[NL] = {4 * 6 * 6, 4 * 3 * 3, 10};

typedef struct {
    double *out[NL]; /* [step][neuron] */
    uint64_t calls;
    int bad;
} record;

static void on_spike(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron, double v)
{
    record *r = ctx;
    r->calls++;
    if (layer >= NL || step >= STEPS_MAX || neuron >= (uint32_t)n_out[layer]) {
        r->bad = 1;
        return;
    }
    r->out[layer][step * (uint64_t)n_out[layer] + neuron] += v;
}

static void quant(float *w, size_t n, double scale)
{
    double q = 128, step = scale / q;
    for (size_t i = 0; i < n; i++) {
        double k = nearbyint((double)w[i] / step);
        k = k > q - 1 ? q - 1 : k < -(q - 1) ? -(q - 1) : k;
        w[i] = (float)(k * step);
    }
}

/* Input counts per step from the CSV: x[step][(p * 8 + y) * 8 + x]. */
static int read_events(double *x, int *last_step)
{
    FILE *f = fopen(DATA "events_8x8.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[128];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    unsigned t, ex, ey, p;
    int n = 0;
    while (fscanf(f, "%u,%u,%u,%u", &t, &ex, &ey, &p) == 4) {
        int s = (int)(t / 1000);
        ck_assert_int_lt(s, STEPS_MAX);
        x[s * 128 + (p * 8 + ey) * 8 + ex] += 1;
        *last_step = s;
        n++;
    }
    fclose(f);
    return n;
}

/* The reference's outputs of every layer in every step. */
static void reference(int next_step, double *out[NL], int n_steps)
{
    static double xin[STEPS_MAX * 128];
    memset(xin, 0, sizeof xin);
    int last = 0;
    read_events(xin, &last);
    float w0[4 * 2 * 9], w2[10 * 36];
    ck_assert_int_eq(conn_weights_seeded(w0, 72, 0.8, 0.5, 3, 0, &(base_error){0}), 0);
    ck_assert_int_eq(conn_weights_seeded(w2, 360, 1.0, 1.0, 7, 2, &(base_error){0}), 0);
    quant(w0, 72, 0.5);
    quant(w2, 360, 1.0);
    ref_conn c[NL] = {
        {REF_CONV, 2, 8, 8, 4, 6, 6, 3, 3, 1, 1, 0, 0, 1, 1, 1, w0},
        {REF_SUMPOOL, 4, 6, 6, 4, 3, 3, 2, 2, 2, 2, 0, 0, 1, 1, 1, NULL},
        {REF_DENSE, 36, 1, 1, 10, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, w2}};
    ref_neuron p[NL] = {
        {.model = REF_IF, .thr = 0.5, .subtract = 1},
        {.model = REF_IF, .thr = 1, .multi = 1},
        {.model = REF_LIF, .thr = 0.25, .tau = 4000, .r = 1, .eval_all = 1, .refractory = 1}};
    ref_state st[NL];
    double prev[NL][160] = {{0}};
    for (int l = 0; l < NL; l++)
        ref_state_init(&st[l], &p[l], n_out[l]);
    for (int s = 0; s < n_steps; s++) {
        const double *src = &xin[s * 128];
        for (int l = 0; l < NL; l++) {
            int n_in = l == 0 ? 128 : n_out[l - 1];
            double y[160] = {0}, x[160] = {0};
            uint8_t act[160] = {0}, recv[160] = {0};
            for (int j = 0; j < n_in; j++) {
                x[j] = l == 0 ? src[j] : next_step ? prev[l - 1][j] : out[l - 1][s * n_in + j];
                act[j] = x[j] != 0;
            }
            if (l == 0 && s > last)
                memset(act, 0, sizeof act);
            ref_conn_apply(&c[l], x, act, y, recv);
            ref_layer_step(&p[l], &st[l], y, recv, s, 1000.0, &out[l][s * n_out[l]]);
        }
        for (int l = 0; l < NL; l++)
            memcpy(prev[l], &out[l][s * n_out[l]], sizeof(double) * (size_t)n_out[l]);
    }
    for (int l = 0; l < NL; l++)
        ref_state_free(&st[l]);
}

static void check_scenario(const char *path, int next_step)
{
    record rec = {0};
    double *ref[NL];
    for (int l = 0; l < NL; l++) {
        rec.out[l] = calloc((size_t)STEPS_MAX * n_out[l], sizeof(double));
        ref[l] = calloc((size_t)STEPS_MAX * n_out[l], sizeof(double));
    }
    run_result res;
    snn_test_run(path, on_spike, &rec, &res);
    ck_assert(res.snn_res.complete);
    int n_steps = (int)res.snn_res.steps;
    ck_assert_int_eq(n_steps, 12 + (next_step ? 2 : 0));
    reference(next_step, ref, n_steps);
    uint64_t spikes = 0;
    for (int l = 0; l < NL; l++)
        for (int i = 0; i < n_steps * n_out[l]; i++) {
            ck_assert_msg(rec.out[l][i] == ref[l][i], "%s: layer %d step %d neuron %d: chip %g, "
                          "reference %g", path, l, i / n_out[l], i % n_out[l], rec.out[l][i],
                          ref[l][i]);
            spikes += ref[l][i] != 0;
        }
    ck_assert(!rec.bad);
    ck_assert_uint_gt(spikes, 20); /* the net is not silent */
    ck_assert_uint_gt(res.snn_res.layers[2].spikes, 0);
    run_result_free(&res);
    for (int l = 0; l < NL; l++) {
        free(rec.out[l]);
        free(ref[l]);
    }
}

START_TEST(test_exact_same_step_1_2_4_cores)
{
    check_scenario(DATA "cpd_1_same_step.yaml", 0);
    check_scenario(DATA "cpd_2_same_step.yaml", 0);
    check_scenario(DATA "cpd_4_same_step.yaml", 0);
}
END_TEST

START_TEST(test_exact_next_step_1_2_4_cores)
{
    check_scenario(DATA "cpd_1_next_step.yaml", 1);
    check_scenario(DATA "cpd_2_next_step.yaml", 1);
    check_scenario(DATA "cpd_4_next_step.yaml", 1);
}
END_TEST

/* Mean NoC latency of a run, in cycles. */
static double noc_mean(const run_result *r)
{
    const noc_totals *t = &r->snn_res.noc;
    return t->deliveries ? (double)t->latency_sum_cycles / (double)t->deliveries : 0;
}

/* A 3-event queue (one packet) under backpressure stops the ejection
 * ports of the routers feeding full cores: the packets wait inside the
 * NoC (its mean and max latency rise), the queues never hold more than 3,
 * nothing is lost, and in timestep mode every spike of every step equals
 * the unlimited queue's (and the reference). */
START_TEST(test_backpressure_waits_inside_the_noc)
{
    record big = {0}, small = {0};
    for (int l = 0; l < NL; l++) {
        big.out[l] = calloc((size_t)STEPS_MAX * n_out[l], sizeof(double));
        small.out[l] = calloc((size_t)STEPS_MAX * n_out[l], sizeof(double));
    }
    run_result rb, rs;
    snn_test_run(DATA "cpd_4_same_step.yaml", on_spike, &big, &rb);
    snn_test_run(DATA "cpd_4_same_step_bp3.yaml", on_spike, &small, &rs);
    ck_assert(rb.snn_res.complete && rs.snn_res.complete);
    ck_assert_uint_eq(rs.snn_res.steps, rb.snn_res.steps);
    for (int l = 0; l < NL; l++)
        for (uint64_t i = 0; i < rb.snn_res.steps * (uint64_t)n_out[l]; i++)
            ck_assert_msg(small.out[l][i] == big.out[l][i], "layer %d step %llu neuron %llu",
                          l, (unsigned long long)(i / n_out[l]),
                          (unsigned long long)(i % n_out[l]));
    ck_assert_uint_eq(rs.snn_res.drops, 0);
    ck_assert_uint_eq(rs.snn_res.noc.deliveries, rb.snn_res.noc.deliveries);
    ck_assert_uint_eq(rs.snn_res.spikes_sent, rb.snn_res.spikes_sent);
    uint64_t held = 0, big_held = 0;
    for (uint32_t c = 0; c < rs.snn_res.n_cores; c++) {
        ck_assert_uint_le(rs.snn_res.queues[c].peak, 3);
        ck_assert_uint_eq(rs.snn_res.cores[c].packets_in, rb.snn_res.cores[c].packets_in);
        held += rs.snn_res.queues[c].held_packets;
        big_held += rb.snn_res.queues[c].held_packets;
    }
    ck_assert_uint_gt(held, 50);
    ck_assert_uint_eq(big_held, 0);
    ck_assert_double_gt(noc_mean(&rs), noc_mean(&rb) * 1.05);
    ck_assert_uint_gt(rs.snn_res.noc.latency_max_cycles, rb.snn_res.noc.latency_max_cycles);
    run_result_free(&rb);
    run_result_free(&rs);
    for (int l = 0; l < NL; l++) {
        free(big.out[l]);
        free(small.out[l]);
    }
}
END_TEST

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

/* SQLite's faultsim on the event-driven path: the Nth allocation fails,
 * for every N until a run succeeds; each failing run returns an error,
 * leaves no output and leaks nothing. */
#define SNN_OOM_DENSE 800
#define SNN_OOM_STEP 9
START_TEST(test_every_failed_allocation_fails_the_snn_run_cleanly)
{
    char dir[64] = "/tmp/evsim_test_snn_oom_" "XX" "XX" "XX", /* mkdtemp template */ json[128], text[128], trace[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(json, sizeof json, "%s/r.json", dir);
    snprintf(text, sizeof text, "%s/r.txt", dir);
    snprintf(trace, sizeof trace, "%s/r.pftrace", dir);
    /* Every N up to SNN_OOM_DENSE (loading, planning, building the chip
     * and the trace, the first packets), then every SNN_OOM_STEP-th: past
     * the set-up the run repeats the same few sites, and a leak check
     * after each of ~thousands of runs under ASan costs minutes.
     * EVSIM_OOM_STEP=1 tries every N. */
    const char *st = getenv("EVSIM_OOM_STEP");
    long step = st && atol(st) > 0 ? atol(st) : SNN_OOM_STEP, tried = 0;
    long n = 0;
    for (; n < 100000; n += n < SNN_OOM_DENSE ? 1 : step, tried++) {
        run_options o;
        run_options_default(&o);
        o.json_path = json;
        o.text_path = text;
        o.trace.path = trace;
        run_result res;
        base_error err;
        base_error_clear(&err);
        base_alloc_fail_at(n, 0);
        int rc = run_scenario(DATA "cpd_2_next_step.yaml", &o, &res, &err);
        run_result_free(&res);
        int injected = base_alloc_injected();
        base_alloc_fail_at(-1, 0);
        if (rc == 0 && !injected)
            break;
        ck_assert_msg(rc == -1, "allocation %ld failed but the run reported success", n);
        ck_assert_msg(err.msg[0], "allocation %ld: a failed run without a message", n);
        ck_assert_msg(files_in(dir) == 0, "allocation %ld: a failed run left a file", n);
#ifdef HAVE_LSAN
        /* A leak stays unreachable, so checking every 16th run still
         * catches it (naming a run at most 16 after the one that leaked)
         * at a sixteenth of the cost; the last failing run is checked too. */
        ck_assert_msg(tried % 16 != 0 || __lsan_do_recoverable_leak_check() == 0,
                      "allocation %ld or one of the 15 runs before: a failed run leaked", n);
#endif
    }
#ifdef HAVE_LSAN
    ck_assert_msg(__lsan_do_recoverable_leak_check() == 0, "a failed run leaked");
#endif
    ck_assert_int_gt(n, 100);
    printf("snn oom: %ld values of N tried (every N up to %d, then every %ldth), the run makes "
           "about %ld allocations\n", tried, SNN_OOM_DENSE, step, n);
    ck_assert_int_eq(files_in(dir), 3);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static long slurp(const char *path, char **buf)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s not written", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc((size_t)n + 1);
    ck_assert_int_eq((long)fread(*buf, 1, (size_t)n, f), n);
    fclose(f);
    return n;
}

/* Same scenario twice (4 cores, next_step, a trace with the NoC's tracks):
 * the JSON report, the text report and the trace are byte-identical. */
START_TEST(test_two_runs_give_identical_reports_and_traces)
{
    char dir[64] = "/tmp/evsim_test_snn_det_" "XX" "XX" "XX", /* mkdtemp template */ p[2][3][128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    static const char *const names[3] = {"r.json", "r.txt", "r.pftrace"};
    for (int r = 0; r < 2; r++) {
        for (int k = 0; k < 3; k++)
            snprintf(p[r][k], sizeof p[r][k], "%s/%d%s", dir, r, names[k]);
        run_options o;
        run_options_default(&o);
        o.json_path = p[r][0];
        o.text_path = p[r][1];
        o.trace.path = p[r][2];
        run_result res;
        base_error err;
        ck_assert_msg(run_scenario(DATA "cpd_4_next_step.yaml", &o, &res, &err) == 0, "%s",
                      err.msg);
        run_result_free(&res);
    }
    for (int k = 0; k < 3; k++) {
        char *a, *b;
        long na = slurp(p[0][k], &a), nb = slurp(p[1][k], &b);
        ck_assert_int_gt(na, 100);
        ck_assert_msg(na == nb && memcmp(a, b, (size_t)na) == 0, "%s differs between runs",
                      names[k]);
        free(a);
        free(b);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *snn_run_suite(void)
{
    Suite *s = suite_create("snn_run");
    TCase *tc = tcase_create("exact");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_exact_same_step_1_2_4_cores);
    tcase_add_test(tc, test_exact_next_step_1_2_4_cores);
    tcase_add_test(tc, test_backpressure_waits_inside_the_noc);
    tcase_add_test(tc, test_two_runs_give_identical_reports_and_traces);
    tcase_add_test(tc, test_every_failed_allocation_fails_the_snn_run_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(snn_run_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
