/* chip_snn.h -- one event-driven (mode: timestep) run on the whole chip.
 *
 * The chip is a list of models built from the scenario and the snn plan:
 * one neuron core (models/neuron/neu_core.h) per placed core, holding the
 * neuron groups of the layer slices mapped to it, and the NoC. The input
 * trace streams through the reader into the input router; each event is
 * an AER packet multicast (routing table per destination-core set) to the
 * cores whose slice of the input layer it reaches. At a step boundary a
 * core evaluates its slices (layers in order within the step, or with
 * propagation: next_step all at once); the spikes of one slice evaluation
 * are grouped by destination-core set into packets of up to
 * spikes_per_packet spikes and sent when the evaluation ends; a delivery
 * integrates each spike's fan-out (conn_fanout_rect) into the slices the core
 * holds, after waiting in the core's input queue (queue_depth_events,
 * on_full: backpressure | drop). A layer may have several sources (their
 * outputs add) and recurrent ones (read one step late). With mode: async
 * there are no steps: each delivered spike's synapses evaluate their
 * neurons at once (neu_input_async). The time semantics are README.md's
 * "Event-driven mode". */
#ifndef EVSIM_CHIP_SNN_H
#define EVSIM_CHIP_SNN_H

#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "model.h"
#include "neuron/neu_core.h"
#include "noc/noc_stats.h"
#include "run/snn_plan.h"
#include "trace/trc.h"

#define SNN_MAX_SKIP 16

/* Called for every output of every neuron evaluation (the value: spike
 * count, or a sigma-delta change), in a fixed order. */
typedef void (*snn_spike_fn)(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron,
                             double value);

typedef struct {
    uint64_t max_time_ps;    /* 0: no limit */
    uint64_t max_events;     /* 0: no limit */
    trc_writer *trace;       /* optional, not owned */
    uint64_t trace_sample_cycles;
    uint64_t trace_gap_ps;   /* bursts merge gaps below this; 0: timestep / 100 */
    bool trace_events;       /* an instant (and arrows) per input event */
    snn_spike_fn on_spike;   /* optional */
    void *spike_ctx;
} snn_options;

typedef struct {
    uint64_t spikes, outputs, synaptic_ops, neuron_updates;
} snn_layer_result;

/* A core's input event queue over the run (README.md "Input queues"). */
typedef struct {
    uint64_t peak;           /* most spikes waiting at once */
    uint64_t drops;          /* spikes dropped at a full queue (on_full: drop) */
    uint64_t held_packets;   /* packets that waited for room (backpressure) */
    uint64_t held_ps;        /* the sum of those waits */
} snn_queue_stats;

typedef struct {
    int complete;
    const char *stop_reason;
    uint64_t events_read, events_used;
    uint32_t n_skip;                       /* reasons with a count > 0, in order */
    const char *skip_name[SNN_MAX_SKIP];
    uint64_t skip_count[SNN_MAX_SKIP];
    uint32_t n_layers, n_cores;
    snn_layer_result *layers;
    neu_core_stats *cores;
    uint32_t n_out;
    uint64_t *out_counts;                  /* spikes per output neuron */
    int predicted_class;                   /* argmax, ties to the lowest; -1: none */
    uint64_t steps;
    uint64_t first_input_ps, first_output_ps, decision_ps; /* UINT64_MAX: none */
    /* The recorded times of the first and last used input events: the
     * reader's ps, to which t_origin_us (AEDAT 4: epoch) is added where
     * they are shown. UINT64_MAX: none used. */
    uint64_t in_t_first_ps, in_t_last_ps, in_t_origin_us;
    uint32_t in_passes;                    /* passes over the trace (input.loop) */
    uint64_t end_ps, events, packets, spikes_sent;
    uint64_t drops;                        /* spikes dropped, all cores */
    snn_queue_stats *queues;               /* per core */
    uint64_t step_overruns;                /* steps whose work outlasted timestep_us */
    uint64_t step_work_max_ps;             /* the longest step's work */
    model_energy energy;
    noc_totals noc;
    uint64_t noc_cycle_ps;
} snn_result;

int snn_run(const cfg_scenario *s, const snn_plan *p, const snn_options *o, snn_result *res,
            base_error *err);
void snn_result_free(snn_result *r);
double snn_result_energy_pj(const snn_result *r);

#endif
