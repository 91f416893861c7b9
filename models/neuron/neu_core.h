/* neu_core.h -- the neuron-core model: the work of one core in an
 * event-driven run (integrating incoming spikes into the neuron groups it
 * holds, evaluating them at step boundaries), as a serial unit that is
 * busy for the cycles the mapper gave per synaptic operation and per
 * neuron update. It owns its groups (neuron.h); the run (sim/run/
 * chip_snn.c) drives them and books the work here. Energy items:
 * "compute" (synaptic operations and updates at the mapper's pJ). */
#ifndef EVSIM_NEU_CORE_H
#define EVSIM_NEU_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "kernel/kernel.h"
#include "model.h"
#include "neuron/neuron.h"

typedef struct {
    char name[MODEL_NAME_MAX]; /* "core 0" */
    char track_name[96];       /* "core 0 (0,0) seneca" */
    uint64_t cycle_ps;         /* core clock period */
    uint64_t trace_gap_ps;     /* bursts: integrations less apart merge (0: 1 ps) */
} neu_core_params;

typedef struct neu_core neu_core;

typedef struct {
    uint64_t busy_ps;
    uint64_t sops, updates;
    uint64_t packets_in;
    uint64_t trace_events;     /* kernel events only the trace needed */
    double energy_pj;
} neu_core_stats;

/* On kernel k (the trace's writes wait there for their time). */
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

/* ---- the timeline (all no-ops without a trace attached) ----------------
 * The core's track shows its work: "integrate" bursts and one slice per
 * evaluation. A burst merges consecutive integrations while each starts
 * less than trace_gap_ps after the previous one ended and no evaluation
 * came between; it opens at its first integration's start and closes at
 * its last one's end when an evaluation booked while the core was busy
 * follows it, else when the core has been idle for the gap or an
 * evaluation is booked, whichever comes first (so it may end up to one
 * gap after its last integration). Its args, on its END: events (spikes
 * integrated), packets, sops, busy_ns (time the core worked in it).
 * The child counter "queue depth" is the number of spikes delivered to
 * the core (neu_core_trace_arrive) whose integration has not begun (the
 * start of the work booked for them), sampled at most once per gap as the
 * peak since the previous sample. Each call returns 0, or -1 when out of
 * memory (the trace is then unusable). */
bool neu_core_traced(const neu_core *c);
/* Kernel events the trace has scheduled and not yet had (so a run can
 * tell a queue holding only those from one with work left). */
uint32_t neu_core_trace_pending(const neu_core *c);
/* `spikes` were delivered to the core now. */
void neu_core_trace_arrive(neu_core *c, uint32_t spikes);
/* The last work booked integrates `spikes` of those delivered; the flows
 * given (arrows from the slices that sent them) end on its burst. */
int neu_core_trace_integrate(neu_core *c, uint32_t spikes, const uint64_t *flow_ends,
                             uint32_t n_flow_ends);
/* The last work booked is an evaluation: a slice named `label` with args
 * step and spikes (its outputs), the flows given starting there. Nothing
 * for a work of no duration. */
int neu_core_trace_eval(neu_core *c, const char *label, uint64_t step, uint64_t spikes,
                        const uint64_t *flows, uint32_t n_flows);
void neu_core_count_packet(neu_core *c);
const neu_core_stats *neu_core_get_stats(const neu_core *c);

extern const model_ops neu_core_ops;

#endif
