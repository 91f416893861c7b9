/* snn_plan.h -- the event-driven (mode: timestep) counterpart of plan.h:
 * from a loaded scenario to the neuron groups the chip holds.
 *
 * Each spiking layer becomes neuron parameters (neu_params, from its
 * `neuron:` block), a connection from its sources (conn_params, derived
 * from operator_type, loop sizes, dimension_relations and padding; `Add`
 * is the identity, so an element-wise add is a layer with two or more
 * sources), its weights
 * (an NPY file, or seeded), and slices: blocks of output channels x rows,
 * one per part of its inter_core_tiling over output channels (K or G) and
 * rows (OY), on the cores of its core_allocation. Per-event costs come from the mapper (see
 * snn_cost in snn_plan.c and README.md). Everything is checked here, before
 * the run, with file:line:col where the value came from a file. */
#ifndef EVSIM_SNN_PLAN_H
#define EVSIM_SNN_PLAN_H

#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "loma/loma.h"
#include "neuron/conn.h"
#include "neuron/neuron.h"

/* A slice: a block of the layer's output (channels x rows, every column),
 * its neurons numbered locally in (C, H, W) order within the block
 * (conn_rect; conn_rect_global gives the layer index). */
typedef struct {
    uint32_t core;          /* chip core index */
    conn_rect r;            /* channels [c0, c1) x rows [y0, y1) */
    uint32_t n;             /* its neurons */
} snn_slice;

typedef struct {
    const cfg_layer *cfg;
    neu_params np;
    conn *cn;               /* from its sources (owned; one for all of them) */
    int src;                /* the first source: srcs[0] */
    /* Its sources (input_source, a list): layer indices, -1 for the input
     * trace. Their outputs add (each goes through cn, so they share a
     * shape); a recurrent source (this layer or a later one) is read one
     * step late: its outputs of step s are integrated in step s + 1. */
    uint32_t n_src;
    int srcs[CFG_MAX_SOURCES];
    uint8_t recurrent[CFG_MAX_SOURCES];
    /* A source given as {layer, weights}: its own dense projection onto
     * this layer (owned), else NULL: it goes through cn. */
    conn *src_cn[CFG_MAX_SOURCES];
    conn_shape out;
    uint32_t n;             /* neurons */
    uint32_t n_slices;
    snn_slice *slices;
    uint32_t value_bits;    /* bits of a spike's value in a packet (0: a spike is 1) */
    float *bias;            /* per neuron (weights.bias_file), or NULL: np.bias */
    /* Per synaptic operation and per neuron update on this layer's core
     * type, from the mapper (see README.md "Cost per event"). */
    double sop_cycles, sop_pj, upd_cycles, upd_pj;
} snn_layer;

typedef struct {
    uint32_t n_layers;
    snn_layer *layers;      /* workload order */
    conn_shape in;          /* the input layer's source: the sensor */
    uint32_t input_layer;   /* the layer fed by the trace */
    uint32_t output_layer;  /* the last layer */
    uint64_t mapper_searches;
} snn_plan;

/* Builds the plan; costs go through cache (NULL: a plan-local one). NULL
 * with err (positioned where possible). */
snn_plan *snn_plan_build(const cfg_scenario *s, const loma_options *opt, loma_cache *cache,
                         base_error *err);
void snn_plan_free(snn_plan *p);

/* The checks `evsim check` makes on a timestep scenario: the plan builds
 * and the trace's sensor fits the input layer. 0, or -1 with err. */
int snn_check(const cfg_scenario *s, base_error *err);

#endif
