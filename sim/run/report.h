/* report.h -- what a chip run measured, for people (text) and programs
 * (JSON): latency, energy by component, utilisation per core, NoC
 * statistics, per-layer figures and the loop order chosen for every
 * unique CN. The report only formats; it decides nothing. */
#ifndef EVSIM_REPORT_H
#define EVSIM_REPORT_H

#include <stdio.h>

#include "base/base.h"
#include "config/config.h"
#include "run/chip.h"
#include "run/plan.h"

/* Each returns 0, or -1 when out of memory (the output is then not
 * complete). */
int rpt_text(FILE *out, const cfg_scenario *s, const plan *p, const chip_result *r);
int rpt_json(FILE *out, const cfg_scenario *s, const plan *p, const chip_result *r);

typedef int (*rpt_fn)(FILE *, const cfg_scenario *, const plan *, const chip_result *);

/* Writes with fn into path through base_outfile (PATH.tmp, renamed when
 * complete). 0, or -1 with err (and no file left behind). */
int rpt_write_file(const char *path, rpt_fn fn, const cfg_scenario *s, const plan *p,
                   const chip_result *r, base_error *err);

#endif
