/* Fault injection as SQLite's faultsim does it: the default scenario run
 * through run_scenario (load, plan, chip run, trace, reports) with the Nth
 * allocation through the base funnel failing, for N = 0, 1, 2, ... until a
 * run succeeds. Every failing run returns an error with a message, leaves
 * no output file, and (under ASan/LSan, `make test`'s second pass) leaks
 * nothing.
 *
 * The test covers what allocates through the funnel (base_malloc & co.):
 * as more of the tree moves to it, the same loop reaches more failure
 * paths, with no change here. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

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

#define MAX_N 200000 /* a run with more allocations than this is a bug here */

static char dir[64];

/* Files in dir (the run's only output place). */
static int files_in_dir(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* One run with allocation n failing (n < 0: none); its status. */
static int run_failing_at(long n, base_error *err)
{
    char json[128], text[128], trace[128];
    snprintf(json, sizeof json, "%s/r.json", dir);
    snprintf(text, sizeof text, "%s/r.txt", dir);
    snprintf(trace, sizeof trace, "%s/r.pftrace", dir);
    run_options o;
    run_options_default(&o);
    o.json_path = json;
    o.text_path = text;
    o.trace.path = trace;
    run_result res;
    base_alloc_fail_at(n, 0);
    int rc = run_scenario("configs/default.yaml", &o, &res, err);
    run_result_free(&res);
    base_alloc_fail_at(-1, 0);
    return rc;
}

START_TEST(test_every_failed_allocation_fails_the_run_cleanly)
{
    snprintf(dir, sizeof dir, "/tmp/evsim_test_oom_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    long n = 0;
    for (; n < MAX_N; n++) {
        base_error err;
        base_error_clear(&err);
        int rc = run_failing_at(n, &err);
        if (rc == 0 && !base_alloc_injected())
            break; /* past the last allocation: the run is whole */
        ck_assert_msg(rc == -1, "allocation %ld failed but the run reported success", n);
        ck_assert_msg(err.msg[0], "allocation %ld: a failed run without a message", n);
        ck_assert_msg(files_in_dir() == 0, "allocation %ld: a failed run left a file", n);
#ifdef HAVE_LSAN
        ck_assert_msg(__lsan_do_recoverable_leak_check() == 0,
                      "allocation %ld: the failed run leaked", n);
#endif
    }
    printf("oom: %ld allocations made to fail, each failing the run cleanly\n", n);
    ck_assert_int_lt(n, MAX_N);
    ck_assert_int_gt(n, 0); /* some allocation was made to fail */
    ck_assert_int_eq(files_in_dir(), 3); /* the run that succeeded wrote all */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("run_scenario");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_every_failed_allocation_fails_the_run_cleanly);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
