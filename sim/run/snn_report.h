/* snn_report.h -- the report of an event-driven run, JSON and text. The
 * JSON keys other tools read: input_events {read, used, skipped{reason:
 * n}}, layers[] {name, spikes, synaptic_ops, neuron_updates},
 * output_spike_counts, predicted_class, energy_total_pj, energy_per_sop_pj,
 * latency_first_output_ps, latency_decision_ps, drops. */
#ifndef EVSIM_SNN_REPORT_H
#define EVSIM_SNN_REPORT_H

#include <stdio.h>

#include "config/config.h"
#include "run/chip_snn.h"
#include "run/snn_plan.h"

int snn_rpt_json(FILE *out, const cfg_scenario *s, const snn_plan *p, const snn_result *r);
int snn_rpt_text(FILE *out, const cfg_scenario *s, const snn_plan *p, const snn_result *r);
/* Writes one of them atomically to path. 0, or -1 with err. */
int snn_rpt_write(const char *path,
                  int (*fn)(FILE *, const cfg_scenario *, const snn_plan *, const snn_result *),
                  const cfg_scenario *s, const snn_plan *p, const snn_result *r,
                  base_error *err);

#endif
