/* neu_core_int.h -- the neuron core's state, shared by neu_core.c (the
 * work) and neu_core_trace.c (its timeline). Not a public interface. */
#ifndef EVSIM_NEU_CORE_INT_H
#define EVSIM_NEU_CORE_INT_H

#include "neuron/neu_core.h"

/* A write on the core's track due at a later time (the core is serial, so
 * these come in time order): a burst's BEGIN or END, an evaluation. */
enum { NCT_BEGIN, NCT_END, NCT_EVAL };

typedef struct {
    uint64_t t, dur;
    uint64_t u[4];        /* END: events, packets, sops, busy; EVAL: step, spikes */
    uint32_t flow_off;    /* its flow ids: fl[flow_off, flow_off + n_flows) */
    uint32_t n_flows;
    trc_name name;
    uint8_t kind;
} nct_act;

typedef struct {
    uint64_t t;
    uint32_t n;
} nct_dec;

/* The burst being merged: integrations whose gaps are below the gap. */
typedef struct {
    int open;
    uint64_t end;         /* end of its last integration */
    uint64_t events, packets, sops, busy_ps;
    uint64_t *flow_ends;  /* arrows ending at its END */
    uint32_t n_flow_ends, cap_flow_ends;
} nct_burst;

typedef struct {
    const model_trace *mt;
    uint64_t gap_ps;
    trc_track track, qtrack;
    trc_name n_burst, k_events, k_packets, k_sops, k_busy, k_step, k_spikes;
    uint64_t track_free;  /* the track's last written time */
    nct_burst b;
    nct_act *act;
    uint32_t head_act, n_act, cap_act;
    uint64_t *fl;
    uint32_t head_fl, n_fl, cap_fl;
    nct_dec *dec;
    uint32_t head_dec, n_dec, cap_dec;
    int armed_act, armed_check, armed_q;
    int64_t q_cur, q_peak, q_written;
    uint64_t q_last_t, q_next;
    int failed;
} nct_state;

struct neu_core {
    neu_core_params p;
    kq_kernel *k;
    nct_state *tr;            /* NULL: no trace */
    uint64_t last_start, last_dur, last_sops; /* the last work booked */
    neu_group **groups;
    uint32_t n_groups, cap_groups;
    uint64_t free_at_ps;
    neu_core_stats st;
};

/* neu_core_trace.c */
int nct_attach(neu_core *c, const model_trace *t, base_error *err);
void nct_free(nct_state *s);

#endif
