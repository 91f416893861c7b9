/* neu_core.h -- the neuron-core model: the work of one core in an
 * event-driven run (integrating incoming spikes into the neuron groups it
 * holds, evaluating them at step boundaries), as a serial unit that is
 * busy for the cycles the mapper gave per synaptic operation and per
 * neuron update. It owns its groups (neuron.h); the run (sim/run/
 * chip_snn.c) drives them and books the work here. Energy items:
 * "compute" (synaptic operations and updates at the mapper's pJ). */
#ifndef EVSIM_NEU_CORE_H
#define EVSIM_NEU_CORE_H

#include <stdint.h>

#include "base/base.h"
#include "kernel/kernel.h"
#include "model.h"
#include "neuron/neuron.h"

typedef struct {
    char name[MODEL_NAME_MAX]; /* "core 0" */
    char track_name[96];       /* "core 0 (0,0) seneca" */
    uint64_t cycle_ps;         /* core clock period */
} neu_core_params;

typedef struct neu_core neu_core;

typedef struct {
    uint64_t busy_ps;
    uint64_t sops, updates;
    uint64_t packets_in;
    uint64_t trace_events;     /* kernel events only the trace needed */
    double energy_pj;
} neu_core_stats;

/* On kernel k (used to put evaluation slices on the trace when they start). */
neu_core *neu_core_new(kq_kernel *k, const neu_core_params *p, base_error *err);
/* Takes ownership of g (freed with the core, also on failure). Returns
 * its index on this core, or -1 (out of memory). */
int neu_core_add_group(neu_core *c, neu_group *g);
neu_group *neu_core_group(const neu_core *c, uint32_t i);
/* Books `cycles` of work (with `pj`) arriving at t_ps: it starts when the
 * core is free and at t_ps at the earliest. Returns when it ends. */
uint64_t neu_core_work(neu_core *c, uint64_t t_ps, double cycles, double pj, uint64_t sops,
                       uint64_t updates);
uint64_t neu_core_free_at(const neu_core *c);
/* With a trace attached: a slice named `label` (interned by the caller's
 * writer, see neu_core_name) on the core's track for the last work
 * booked, written when it starts. 0, or -1 (out of memory in the queue). */
int neu_core_trace_last(neu_core *c, const char *label);
void neu_core_count_packet(neu_core *c);
const neu_core_stats *neu_core_get_stats(const neu_core *c);

extern const model_ops neu_core_ops;

#endif
