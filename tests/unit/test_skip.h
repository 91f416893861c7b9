/* test_skip.h -- tests that need files outside the repository (the
 * reference data in ../shared) are added to their suite only when those
 * files are there. Otherwise a "SKIP: test (needs PATH)" line is printed
 * and the test is not run, so Check's "Checks: N" never counts a skipped
 * test as passed; `make test` sums the SKIP lines in its summary. */
#ifndef EVSIM_TEST_SKIP_H
#define EVSIM_TEST_SKIP_H

#include <check.h>
#include <stdio.h>
#include <unistd.h>

/* Adds t to tc if every path in the NULL-terminated list is readable. */
static inline void tcase_add_test_needing_all(TCase *tc, const TTest *t, const char *const *paths)
{
    for (const char *const *p = paths; *p; p++)
        if (access(*p, R_OK) != 0) {
            printf("SKIP: %s (needs %s)\n", t->name, *p);
            return;
        }
    tcase_add_test(tc, t);
}

static inline void tcase_add_test_needing(TCase *tc, const TTest *t, const char *path)
{
    const char *paths[] = {path, NULL};
    tcase_add_test_needing_all(tc, t, paths);
}

#endif
