/* test_oom.c -- fault injection in the manner of SQLite's faultsim: run a
 * whole job with the Nth allocation failing (base_alloc_fail_at), for
 * N = 0, 1, 2, ... until a run makes every allocation it needs. Each
 * failing run must return an error (not crash), leave no output behind
 * (neither OUT nor OUT.tmp), and leak nothing.
 *
 * Leaks are checked during the sweep, not only at exit: in the ASan build
 * (`make test` runs every unit test under ASan too) LeakSanitizer's
 * recoverable check runs after every 16th attempt and the last, so a leak
 * is pinned to within 16 values of the N that caused it. The plain build cannot see leaks; it still checks the
 * errors and the files.
 *
 * oom_loop() is the reusable part: a job is an attempt function (0 on
 * success, -1 with an error) and a check of what a failed attempt may
 * leave, both over one context. Jobs: `evsim events --to-csv` on a real
 * recording, the config loaders on configs/lenet5_seneca_2x2.yaml, and the whole
 * LeNet-5 scenario through run_scenario (load, plan, chip, trace,
 * reports). */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "config/config.h"
#include "input/ev_reader.h"
#include "input/ev_stats.h"
#include "run/run.h"

#if defined(__SANITIZE_ADDRESS__)
#define OOM_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OOM_LSAN 1
#endif
#endif
#ifdef OOM_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* No job of ours gets near this many allocations; a loop that does has
 * stopped making progress. */
#define OOM_MAX_N 200000

static char dir[64];

/* Whether the leak checker runs here: only in a sanitizer build, and not
 * when the environment switched it off (which would void the test). */
static int leak_checking(void)
{
#ifdef OOM_LSAN
    const char *a = getenv("ASAN_OPTIONS"), *l = getenv("LSAN_OPTIONS");
    ck_assert_msg(!(a && strstr(a, "detect_leaks=0")) && !(l && strstr(l, "detect_leaks=0")),
                  "leak detection is switched off in the environment");
    return 1;
#else
    return 0;
#endif
}

static int leaked(void)
{
#ifdef OOM_LSAN
    return __lsan_do_recoverable_leak_check();
#else
    return 0;
#endif
}

typedef struct {
    long tried;     /* values of N run, the successful one included */
    long failed;    /* runs that returned an error */
    long tolerated; /* runs that met a failure and still succeeded */
} oom_counts;

/* Runs attempt(ctx) with allocation N failing (once, or from N on when
 * sticky) for N = 0, 1, ... until a run succeeds without meeting an
 * injected failure. After each failed run check_clean(ctx) asserts what
 * must not be left; after every run, no leak. Prints and returns the
 * counts. */
/* As oom_loop, but past the first `dense` values N goes up by `step`. */
static oom_counts oom_loop_step(const char *what, int sticky, long dense, long step,
                                int (*attempt)(void *ctx), void (*check_clean)(void *ctx),
                                void *ctx)
{
    oom_counts c = {0, 0, 0};
    int lsan = leak_checking();
    for (long n = 0;; n += n < dense ? 1 : step) {
        ck_assert_msg(n < OOM_MAX_N, "%s: still failing at N = %ld", what, n);
        base_alloc_fail_at(n, sticky);
        int rc = attempt(ctx);
        int injected = base_alloc_injected();
        base_alloc_fail_at(-1, 0);
        c.tried++;
        /* A leak stays unreachable, so a check every 16th run (and after
         * the last) still catches it, naming a run at most 15 later, at a
         * sixteenth of LeakSanitizer's cost. */
        int last = rc == 0 && !injected;
        ck_assert_msg((c.tried % 16 != 0 && !last) || !leaked(),
                      "%s: leak after allocation %ld failed%s (or one of the 15 before)", what, n,
                      sticky ? " (sticky)" : "");
        if (last)
            break;
        if (rc == 0) {
            c.tolerated++;
            continue;
        }
        ck_assert_msg(injected, "%s: failed at N = %ld without an injected failure", what, n);
        c.failed++;
        check_clean(ctx);
    }
    char how[96] = "";
    if (step > 1)
        snprintf(how, sizeof how, " (every N up to %ld, then every %ldth)", dense, step);
    printf("oom: %s%s: %ld values of N tried%s, %ld failed cleanly, %ld failures tolerated; "
           "leaks %s\n",
           what, sticky ? " (sticky)" : "", c.tried, how, c.failed, c.tolerated,
           lsan ? "checked by LeakSanitizer after every 16th run and the last" : "not checked (no ASan)");
    return c;
}

/* Every N: 0, 1, 2, ... */
static oom_counts oom_loop(const char *what, int sticky, int (*attempt)(void *ctx),
                           void (*check_clean)(void *ctx), void *ctx)
{
    return oom_loop_step(what, sticky, 0, 1, attempt, check_clean, ctx);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* ---- evsim events FILE --to-csv OUT ----------------------------------- */

typedef struct {
    const char *src;
    char out[128], tmp[160];
    base_error err;
} csv_job;

#define BATCH_EVENTS 4096 /* as sim/cli/cli_events.c */

/* The library calls `evsim events --to-csv` makes, in its order. */
static int csv_attempt(void *ctx)
{
    csv_job *j = ctx;
    base_error_clear(&j->err);
    remove(j->out); /* a run that tolerated a failure left it */
    ev_reader *r;
    if (ev_open(&r, j->src, EV_FMT_AUTO, &j->err))
        return -1;
    ev_csv_writer *w = NULL;
    if (ev_csvw_open(&w, j->out, ev_get_info(r), &j->err)) {
        ev_close(r);
        return -1;
    }
    ev_event *batch = base_malloc(BATCH_EVENTS * sizeof *batch);
    ev_stats st;
    ev_stats_init(&st);
    long n = -1;
    if (!batch)
        base_fail(&j->err, "out of memory");
    else
        while ((n = ev_read(r, batch, BATCH_EVENTS, &j->err)) > 0) {
            ev_stats_add(&st, batch, (size_t)n);
            if (ev_csvw_write(w, batch, (size_t)n, &j->err)) {
                n = -1;
                break;
            }
        }
    base_free(batch);
    if (n < 0) {
        ev_csvw_abort(w);
        ev_close(r);
        return -1;
    }
    int rc = ev_csvw_commit(w, &j->err);
    ev_close(r);
    return rc;
}

static void csv_check_clean(void *ctx)
{
    csv_job *j = ctx;
    ck_assert_msg(j->err.msg[0], "a failed conversion says nothing");
    ck_assert_msg(!exists(j->out), "%s left behind after: %s", j->out, j->err.msg);
    ck_assert_msg(!exists(j->tmp), "%s left behind after: %s", j->tmp, j->err.msg);
}

static char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void csv_job_init(csv_job *j, const char *name)
{
    memset(j, 0, sizeof *j);
    j->src = "traces/nmnist_sample.bin";
    snprintf(j->out, sizeof j->out, "%s/%s", dir, name);
    snprintf(j->tmp, sizeof j->tmp, "%s.tmp", j->out);
}

static void run_csv(int sticky)
{
    csv_job j;
    csv_job_init(&j, "ref.csv");
    ck_assert_msg(csv_attempt(&j) == 0, "%s", j.err.msg);
    size_t ref_len, got_len;
    char *ref = slurp(j.out, &ref_len);
    csv_job_init(&j, sticky ? "sticky.csv" : "once.csv");
    oom_counts c = oom_loop("events --to-csv traces/nmnist_sample.bin", sticky, csv_attempt,
                            csv_check_clean, &j);
    ck_assert_int_gt(c.failed, 0);
    ck_assert_int_eq(c.tolerated, 0); /* every failure is an error */
    /* the run that succeeded wrote what a run without the hook writes */
    char *got = slurp(j.out, &got_len);
    ck_assert_uint_eq(got_len, ref_len);
    ck_assert(memcmp(got, ref, ref_len) == 0);
    free(got);
    free(ref);
}

START_TEST(test_events_to_csv_nth_allocation_fails_once)
{
    run_csv(0);
}
END_TEST

START_TEST(test_events_to_csv_nth_and_later_allocations_fail)
{
    run_csv(1);
}
END_TEST

/* ---- the config loaders: configs/lenet5_seneca_2x2.yaml ------------------------- */

typedef struct {
    const char *path;
    base_errors errs;
} cfg_job;

static int cfg_attempt(void *ctx)
{
    cfg_job *j = ctx;
    base_errors_clear(&j->errs);
    cfg_scenario *s = cfg_scenario_load_file(j->path, &j->errs);
    if (!s)
        return -1;
    cfg_scenario_free(s);
    return 0;
}

/* A clean error: something recorded, and what was recorded says why
 * (when the record itself could not be stored, it is counted). */
static void cfg_check_clean(void *ctx)
{
    cfg_job *j = ctx;
    ck_assert_msg(j->errs.count + j->errs.dropped > 0, "a failed load recorded no error");
    int oom = j->errs.dropped > 0;
    char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    for (int i = 0; i < j->errs.count; i++)
        oom |= strstr(j->errs.items[i].msg, "out of memory") != NULL;
    ck_assert_msg(oom, "a failed allocation reported as: %s",
                  base_error_str(&j->errs.items[0], buf, sizeof buf));
    base_errors_clear(&j->errs);
}

static void run_cfg(int sticky)
{
    cfg_job j = {"configs/lenet5_seneca_2x2.yaml", {0}};
    base_errors_init(&j.errs);
    oom_counts c = oom_loop("load configs/lenet5_seneca_2x2.yaml", sticky, cfg_attempt, cfg_check_clean, &j);
    ck_assert_int_gt(c.failed, 0);
    /* a failure may not be skipped: the checks it would have made are lost */
    ck_assert_int_eq(c.tolerated, 0);
    ck_assert_int_eq(j.errs.count, 0);
    base_errors_clear(&j.errs);
}

START_TEST(test_config_load_nth_allocation_fails_once)
{
    run_cfg(0);
}
END_TEST

START_TEST(test_config_load_nth_and_later_allocations_fail)
{
    run_cfg(1);
}
END_TEST

/* ---- the LeNet-5 scenario through run_scenario ------------------------ */

typedef struct {
    char json[128], text[128], trace[128];
    base_error err;
} run_job;

/* Files in dir besides the reader job's (the run's only output place). */
static int run_files(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));)
        n += !strncmp(e->d_name, "r.", 2);
    closedir(d);
    return n;
}

static int run_attempt(void *ctx)
{
    run_job *j = ctx;
    base_error_clear(&j->err);
    remove(j->json); /* a run that tolerated a failure left them */
    remove(j->text);
    remove(j->trace);
    run_options o;
    run_options_default(&o);
    o.json_path = j->json;
    o.text_path = j->text;
    o.trace.path = j->trace;
    run_result res;
    int rc = run_scenario("configs/lenet5_seneca_2x2.yaml", &o, &res, &j->err);
    run_result_free(&res);
    return rc;
}

static void run_check_clean(void *ctx)
{
    run_job *j = ctx;
    ck_assert_msg(j->err.msg[0], "a failed run without a message");
    ck_assert_msg(run_files() == 0, "a failed run left a file after: %s", j->err.msg);
}

/* The run makes ~8200 allocations. The first OOM_RUN_DENSE (loading,
 * planning, building the chip and the trace, the first events) each get
 * their own run; past them the run repeats the same few sites (packets,
 * routes, trace buffers, CN slices), so every OOM_RUN_STEP-th is tried: a
 * full sweep takes ~5 min plain and far longer under ASan, too long for
 * `make test` on a shared machine. EVSIM_OOM_STEP=1 runs every N. */
#define OOM_RUN_DENSE 1000
#define OOM_RUN_STEP 17
static long run_step(void)
{
    const char *s = getenv("EVSIM_OOM_STEP");
    long v = s ? atol(s) : 0;
    return v > 0 ? v : OOM_RUN_STEP;
}

START_TEST(test_lenet5_scenario_nth_allocation_fails_once)
{
    run_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.json, sizeof j.json, "%s/r.json", dir);
    snprintf(j.text, sizeof j.text, "%s/r.txt", dir);
    snprintf(j.trace, sizeof j.trace, "%s/r.pftrace", dir);
    oom_counts c = oom_loop_step("run_scenario configs/lenet5_seneca_2x2.yaml", 0, OOM_RUN_DENSE, run_step(),
                                 run_attempt, run_check_clean, &j);
    ck_assert_int_gt(c.failed, 0);
    ck_assert_int_eq(c.tolerated, 0);
    ck_assert_int_eq(run_files(), 3); /* the run that succeeded wrote all */
}
END_TEST

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/evsim_test_oom_" "XX" "XX" "XX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("oom");
    TCase *t = tcase_create("fault injection");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, test_events_to_csv_nth_allocation_fails_once);
    tcase_add_test(t, test_events_to_csv_nth_and_later_allocations_fail);
    tcase_add_test(t, test_config_load_nth_allocation_fails_once);
    tcase_add_test(t, test_config_load_nth_and_later_allocations_fail);
    tcase_add_test(t, test_lenet5_scenario_nth_allocation_fails_once);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return failed ? 1 : 0;
}
