/* test_chip_trace.c -- what a chip run puts on the timeline at each detail
 * level, read back from a Chrome JSON trace of the shipped LeNet-5
 * scenario (configs/lenet5_seneca_2x2.yaml): the per-core counters hold
 * the values the run's own figures give, the NoC names cores, packets
 * name their data, and the default level leaves the packets out. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "config/config.h"
#include "run/chip.h"
#include "run/plan.h"
#include "trace/trc.h"

#define PATH_DEFAULT "build/test_chip_trace_default.json"
#define PATH_FULL "build/test_chip_trace_full.json"

typedef struct {
    cfg_scenario *s;
    plan *p;
    chip_result r;
    char *text; /* the trace */
} traced_run;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    return b;
}

static void run_traced(traced_run *t, trc_level lv, const char *path)
{
    base_errors e;
    base_errors_init(&e);
    t->s = cfg_scenario_load_file("configs/lenet5_seneca_2x2.yaml", &e);
    ck_assert_ptr_nonnull(t->s);
    base_errors_clear(&e);
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error pe, te, ce;
    ck_assert_ptr_nonnull(t->p = plan_build(t->s, &o, NULL, &pe));
    trc_options to;
    trc_options_default(&to);
    to.format = TRC_JSON;
    to.level = lv;
    chip_options co = {.trace = trc_open(path, &to, &te)};
    ck_assert_ptr_nonnull(co.trace);
    ck_assert_msg(chip_run(t->s, t->p, &co, &t->r, &ce) == 0, "%s", ce.msg);
    ck_assert_int_eq(trc_close(co.trace, t->r.end_ps, &te), 0);
    t->text = slurp(path);
}

static void done(traced_run *t)
{
    free(t->text);
    chip_result_free(&t->r);
    plan_free(t->p);
    cfg_scenario_free(t->s);
}

/* The samples of counter `name` (its "process / track" name in JSON): how
 * many, their max and last value, and sum of value x (next ts - ts), the
 * last one counted over `last_span_us`. */
typedef struct {
    int n;
    double max, last, integral_us;
} series;

static series counter(const char *text, const char *name, double last_span_us)
{
    series s = {0};
    char key[160];
    snprintf(key, sizeof key, "\"name\":\"%s\",\"args\":{\"value\":", name);
    double prev_ts = 0, prev_v = 0;
    for (const char *p = strstr(text, key); p; p = strstr(p + 1, key)) {
        const char *ts = p;
        while (ts > text && strncmp(ts, "\"ts\":", 5))
            ts--;
        double t = atof(ts + 5), v = atof(p + strlen(key));
        if (s.n)
            s.integral_us += prev_v * (t - prev_ts);
        if (!s.n || v > s.max)
            s.max = v;
        prev_ts = t;
        prev_v = v;
        s.last = v;
        s.n++;
    }
    s.integral_us += prev_v * last_span_us;
    return s;
}

START_TEST(test_core_counters_hold_what_the_run_did)
{
    traced_run t;
    run_traced(&t, TRC_DEFAULT, PATH_DEFAULT);
    ck_assert_uint_eq(t.r.w_evictions, 0); /* LeNet's weights all fit: none leave */
    for (uint32_t k = 0; k < t.r.n_cores; k++) {
        /* what was loaded into core k: every part of it that loads */
        uint64_t bits = 0;
        for (uint32_t l = 0; l < t.p->n_layers; l++)
            for (uint32_t i = 0; i < t.p->layers[l].n_parts; i++) {
                const plan_part *pp = &t.p->layers[l].parts[i];
                if (pp->core == k && t.p->layers[l].w_mem != PLAN_NO_MEM && !pp->w_streamed)
                    bits += pp->w_bits;
            }
        char name[128], prefix[64];
        snprintf(prefix, sizeof prefix, "core %u (%u,%u) seneca", k, k % 2, k / 2);
        snprintf(name, sizeof name, "%s / weights held", prefix);
        series w = counter(t.text, name, 0);
        ck_assert_int_gt(w.n, 1);
        ck_assert_uint_eq((uint64_t)w.max, bits / 8);
        snprintf(name, sizeof name, "%s / ready queue", prefix);
        series q = counter(t.text, name, 0);
        ck_assert_uint_eq((uint64_t)q.max, t.r.cores[k].peak_ready);
        ck_assert_int_eq((int)q.last, 0);
        /* inputs and outputs are let go when their parts are done */
        snprintf(name, sizeof name, "%s / inputs held", prefix);
        series in = counter(t.text, name, 0);
        ck_assert(in.max > 0 && in.last == 0);
        snprintf(name, sizeof name, "%s / outputs held", prefix);
        series out = counter(t.text, name, 0);
        ck_assert(out.max > 0 && out.last == 0);
    }
    /* the DRAM's bandwidth in use, over time, is what it read and wrote:
     * Gbit/s x us = kbit; samples every 1000 NoC cycles (2 us) */
    series bw = counter(t.text, "dram bandwidth in use", 2.0);
    double bits = (double)(t.r.offchip_read_bits + t.r.offchip_write_bits);
    ck_assert_msg(bw.integral_us * 1e3 > bits * 0.97 && bw.integral_us * 1e3 < bits * 1.03,
                  "%g kbit in the counter, %g read and written", bw.integral_us, bits / 1e3);
    /* default level: no per-packet tracks; the write-backs are there */
    ck_assert_ptr_null(strstr(t.text, "from core"));
    ck_assert_ptr_nonnull(strstr(t.text, "dram writes"));
    done(&t);
}
END_TEST

START_TEST(test_full_level_names_cores_and_packet_data)
{
    traced_run t;
    run_traced(&t, TRC_FULL, PATH_FULL);
    ck_assert_ptr_nonnull(strstr(t.text, "{\"name\":\"from core 2 / from core 2 1\"}"));
    ck_assert_ptr_nonnull(strstr(t.text, "{\"name\":\"from dram / from dram 1\"}"));
    ck_assert_ptr_nonnull(strstr(t.text, "{\"name\":\"to core 1\"}"));
    ck_assert_ptr_nonnull(strstr(t.text, "\"data\":\"conv1 input\""));
    ck_assert_ptr_nonnull(strstr(t.text, "\"data\":\"conv2 weights\""));
    ck_assert_ptr_nonnull(strstr(t.text, "\"data\":\"pool1\""));
    done(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chip_trace");
    TCase *tc = tcase_create("views");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_core_counters_hold_what_the_run_did);
    tcase_add_test(tc, test_full_level_names_cores_and_packet_data);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
