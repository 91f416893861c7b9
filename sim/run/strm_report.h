/* strm_report.h -- the reports of a run with `scheduler: stream`: the JSON
 * keys the issue and Stream's users expect (latency_cycles, energy_pj,
 * energy_terms_pj under Stream's nine names, per CN layer, sub id, core,
 * start, end, and its index into cost_table, the plan's unique CN costs
 * with the spatial and temporal mapping ZigZag chose for each), and a
 * text summary with each layer's span and those loop orders. */
#ifndef EVSIM_STRM_REPORT_H
#define EVSIM_STRM_REPORT_H

#include <stdio.h>

#include "base/base.h"
#include "config/config.h"
#include "run/strm.h"
#include "run/strm_plan.h"
#include "run/strm_search.h"
#include "trace/trc.h"

typedef struct {
    const cfg_scenario *s;
    const strm_plan *plan;
    const strm_graph *g;
    const strm_result *r;
    const strm_search_result *search; /* NULL: every core was fixed */
} strm_report;

int strm_rpt_json(FILE *out, const strm_report *rp);
int strm_rpt_text(FILE *out, const strm_report *rp);
/* The schedule as a timeline into w (strm_trace.c). 0, or -1 (the
 * writer failed, or out of memory). */
int strm_trace_write(trc_writer *w, const strm_report *rp);
/* fn's output to path, written whole or not at all. */
int strm_rpt_write(const char *path, int (*fn)(FILE *, const strm_report *),
                   const strm_report *rp, base_error *err);

#endif
