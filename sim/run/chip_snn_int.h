/* chip_snn_int.h -- the event-driven run's state, shared by chip_snn.c
 * (the model list, set-up, results), chip_snn_flow.c (steps, packets)
 * and snn_input.c (the trace). Not a public interface. */
#ifndef EVSIM_CHIP_SNN_INT_H
#define EVSIM_CHIP_SNN_INT_H

#include <stdint.h>

#include "input/ev_reader.h"
#include "kernel/kernel.h"
#include "noc/noc.h"
#include "run/chip_snn.h"
#include "run/snn_input.h"

#define SNN_RING 256        /* steps a layer's pending packets may run ahead */
#define SNN_MAX_CORES 64    /* destination-core sets are 64-bit masks */
#define SNN_ADDR_BITS 32    /* AER address of a spike in a packet */

enum { SK_BEFORE, SK_AFTER, SK_OUTSIDE, SK_LIMIT, SK_CROP, SK_OURS };

typedef struct {
    uint32_t layer;         /* target layer */
    uint64_t step;          /* the step it is integrated in */
    int edge;               /* -1: through the layer's connection, else its
                             * source edge's own (snn_layer.src_cn) */
    uint32_t n, live;       /* spikes; destinations still to integrate it */
    uint32_t *ids;          /* source neuron ids (cap spikes_per_packet) */
    double *vals;
} snn_pkt;

typedef struct {
    uint32_t pkt, core, n; /* n: its spikes the core's queue took */
} snn_stash;

typedef struct {
    uint64_t start_ps;
    uint32_t n;
} snn_qent;

typedef struct {
    uint32_t pkt;
    uint64_t arrived_ps;
} snn_held;

/* A core's input event queue (README.md "Input queues"): the spikes
 * delivered to the core whose integration has not begun -- those waiting
 * in a stash for their step, and those whose integration is booked to
 * start later (booked[head..n_booked), start times non-decreasing, as the
 * core is serial). With backpressure a packet from the NoC that does not
 * fit is refused at the router's ejection port (snn_eject_gate), which
 * then stops until the queue has room for it: the flits wait in the NoC.
 * A packet the core sends to itself does not cross the NoC: it waits at
 * the core's network interface (held, in arrival order). */
typedef struct {
    snn_qent *booked;
    uint32_t head, n_booked, cap_booked;
    uint64_t booked_spikes, stashed;
    snn_held *held;
    uint32_t held_head, n_held, cap_held;
    uint64_t retry_at;      /* a re-check is scheduled then (UINT64_MAX: none) */
    uint64_t reserved;      /* spikes of packets the NoC is ejecting to it */
    int blocked;            /* its ejection port is stopped (noc_eject_resume) */
    uint32_t want, want_pkt; /* the refused packet's spikes, and the packet */
    uint64_t blocked_ps;    /* since then */
} snn_queue;

/* The steps whose work has not ended everywhere (for step_overruns). */
typedef struct {
    uint64_t step, end_ps;
    uint32_t layers_done;
} snn_step_work;

typedef struct {
    uint32_t id;
    double val;
} snn_spike;

typedef struct snn_trace snn_trace; /* snn_trace.c */

typedef struct snn_sim {
    const cfg_scenario *s;
    const snn_plan *p;
    const snn_options *o;
    snn_result *res;
    base_error *err;
    int failed;
    kq_kernel *k;
    model *models;
    uint32_t n_models, cap_models;
    neu_core **cores;
    uint32_t n_cores;
    noc_model *nm;
    noc *net;
    noc_config nc;
    uint32_t *core_term, *term_core; /* terminal <-> core (UINT32_MAX: none) */
    uint32_t in_term, n_terms;
    uint64_t cycle_ps, dt_ps;
    double dt_us;
    uint32_t spp;           /* spikes per packet */
    uint32_t **grp;         /* per layer, per slice: group index on its core */
    uint64_t **mask;        /* per layer: per source neuron, its cores */
    uint32_t *n_cons, **cons; /* per layer: consumer layers */
    uint8_t **cons_delay;   /* per layer, per consumer: steps late it is read (0, 1) */
    int8_t **cons_edge;     /* per layer, per consumer: its own-connection edge, or -1 */
    uint64_t **omask;       /* per layer x CFG_MAX_SOURCES: an own-connection edge's
                             * masks, per source neuron (NULL: none) */
    uint64_t *eval_end;     /* per layer x SNN_RING: when its evaluation of a step ended */
    snn_step_work *work;    /* SNN_RING steps */
    uint8_t *retry;         /* per layer: to try again once the current try ends */
    uint32_t n_retry;
    int settling, admit_pending;
    snn_queue *q;           /* per core */
    uint64_t depth;         /* queue_depth_events, UINT64_MAX: unlimited */
    int gated;              /* backpressure stops the NoC's ejection ports */
    uint64_t *layer_step;   /* steps evaluated, per layer */
    uint32_t *outstanding;  /* per layer x SNN_RING: copies in flight */
    snn_stash **stash;
    uint32_t *n_stash, *cap_stash;
    uint64_t *route_mask;   /* routing-table keys: destination sets */
    uint32_t n_routes, cap_routes;
    snn_pkt *pk;
    uint32_t n_pk, cap_pk, *free_pk, n_free, cap_free;
    uint32_t *fan_tgt;      /* one spike's fan-out (conn_fanout_rect_list), sized for */
    float *fan_w;           /* the largest conn_max_fanout of the plan */
    snn_spike *sp;          /* one evaluation's outputs */
    uint32_t n_sp, cap_sp;
    /* input */
    ev_reader *rd;
    ev_event next;
    int have_next;
    uint64_t next_t, in_next_step; /* UINT64_MAX: the trace has ended */
    uint64_t last_step, used;
    int origin_set;         /* input.origin: first_event, once it is known */
    uint64_t origin_ps;     /* its time: step 0 starts there */
    uint64_t skip[SK_OURS];
    uint64_t boundary;      /* step boundaries passed */
    uint64_t last_ps;       /* time of the last event other than the trace's */
    uint64_t n_steps;       /* UINT64_MAX until the trace ends */
    snn_input_map imap;     /* event -> input neuron (snn_input.h) */
    uint32_t next_id;       /* the input neuron of `next` */
    uint32_t pass;          /* input.loop: the pass over the trace, from 0 */
    uint64_t pass_steps;    /* steps of one pass (known when pass 0 ends) */
    uint64_t shift_ps;      /* pass * pass_steps * dt */
    uint64_t rd_read, rd_skip[EV_SKIP_COUNT]; /* the readers of ended passes */
    uint32_t in_pk, in_epp; /* the open input packet (UINT32_MAX: none), its cap */
    uint64_t in_mask;       /* its destination cores */
    snn_trace *tr;          /* NULL: no trace */
} snn_sim;

void snn_fail(snn_sim *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* chip_snn_flow.c */
void snn_on_delivery(void *ctx, const noc_delivery *d);
/* The NoC's ejection gate (noc_set_eject_gate) with backpressure. */
int snn_eject_gate(void *ctx, uint32_t dst, uint64_t tag);
void snn_free_packets(snn_sim *m);
/* A packet for (layer, step), empty; its index in *out. 0, or -1. */
int snn_pkt_new(snn_sim *m, uint32_t layer, uint64_t step, uint32_t *out);
/* Packet pi goes to the cores of mask from terminal src_term at t_ps. */
void snn_send_at(snn_sim *m, uint32_t pi, uint64_t mask, uint32_t src_term, uint64_t t_ps);
/* Evaluates layer l's steps while it is ready, then its consumers'. */
void snn_try_eval(snn_sim *m, uint32_t l);
/* The end of the run: fails when packets still wait at a full queue. */
int snn_flow_end(snn_sim *m);
void snn_free_queues(snn_sim *m);
/* The first step boundary. 0, or -1 with m->err. */
int snn_schedule_tick(snn_sim *m);
/* snn_input.c: opens the trace, schedules its first event and the first
 * boundary. 0, or -1 with m->err. */
int snn_start(snn_sim *m);
/* snn_trace.c: the run's own timeline (layer spike counters, input
 * events, arrows between cores), the core model's bursts and queue depth
 * driven from here. Each hook is a no-op without a trace. attach: 0, or
 * -1 with m->err (or out of memory). */
int snn_trace_attach(snn_sim *m, const model_trace *mt);
void snn_trace_free(snn_sim *m);
/* Slice s of layer l evaluated step `step` (its outputs in m->sp), after
 * its work was booked and before its packets are sent. */
void snn_trace_eval(snn_sim *m, uint32_t l, uint32_t s, uint64_t step);
/* Input event e (driving neuron) as an instant; with `arrows` it is the
 * sender of the packet that leaves next (input.events_per_packet: the
 * last event of a packet; the others' instants have no arrows). */
void snn_trace_input(snn_sim *m, uint32_t neuron, const ev_event *e, int arrows);
/* Packet pi leaves (from the evaluation or input event just traced). */
void snn_trace_send(snn_sim *m, uint32_t pi);
/* A copy of packet pi entered core's input queue, `spikes` of it (the
 * others dropped at a full queue). */
void snn_trace_deliver(snn_sim *m, uint32_t pi, uint32_t core, uint32_t spikes);
/* Core booked the integration of `spikes` of packet pi (neu_core_work just
 * done). */
void snn_trace_integrate(snn_sim *m, uint32_t pi, uint32_t core, uint32_t spikes);

#endif
