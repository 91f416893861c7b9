/* snn_test_util.h -- the event-driven tests' common run: a scenario
 * through run_scenario with no trace and no report files, every neuron
 * output handed to a recorder. */
#ifndef EVSIM_SNN_TEST_UTIL_H
#define EVSIM_SNN_TEST_UTIL_H

#include <check.h>

#include "run/run.h"

/* Runs path (fn may be NULL: no recorder); fails the test with the
 * run's message unless it succeeds. res is filled: free it. */
static inline void snn_test_run(const char *path, snn_spike_fn fn, void *ctx, run_result *res)
{
    run_options o;
    run_options_default(&o);
    o.on_spike = fn;
    o.spike_ctx = ctx;
    o.json_path = o.text_path = "";
    o.no_trace = true;
    base_error err;
    int rc = run_scenario(path, &o, res, &err);
    ck_assert_msg(rc == 0, "%s: %s", path, err.msg);
}

#endif
