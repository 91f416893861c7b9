/* report.h -- what a chip run measured, for people (text) and programs
 * (JSON): latency, energy by component, utilisation per core, NoC
 * statistics, per-layer figures and the loop order chosen for every
 * unique CN. The report only formats; it decides nothing. */
#ifndef EVSIM_REPORT_H
#define EVSIM_REPORT_H

#include <stdio.h>

#include "config/config.h"
#include "run/chip.h"
#include "run/plan.h"

void rpt_text(FILE *out, const cfg_scenario *s, const plan *p, const chip_result *r);
void rpt_json(FILE *out, const cfg_scenario *s, const plan *p, const chip_result *r);

/* Writes with fn into path via path.tmp, renamed when complete. 0, or -1
 * with a message in err (and no file left behind). */
int rpt_write_file(const char *path,
                   void (*fn)(FILE *, const cfg_scenario *, const plan *, const chip_result *),
                   const cfg_scenario *s, const plan *p, const chip_result *r,
                   char *err, size_t err_len);

#endif
