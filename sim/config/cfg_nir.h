/* cfg_nir.h -- NIR (Neuromorphic Intermediate Representation) networks in:
 * an HDF5 file holding a graph of nodes with their parameters and the
 * edges between them, as NIR's own serialiser writes it (/version,
 * /node/type = "NIRGraph", /node/nodes/NAME/{type, PARAM...},
 * /node/edges = (n, 2) strings).
 *
 * cfg_nir_load reads and checks the graph (cfg_nir.c is the only code of
 * evsim that includes hdf5.h): every node type known, every parameter
 * present with the rank and size the type takes, no NaN, the edges naming
 * nodes, every cycle passing through a neuron (its closing edge is then a
 * recurrent edge), shapes that chain from the Input. cfg_nir_workload
 * turns the graph into evsim's event-driven workload (cfg_nir_conv.c):
 * one spiking layer per synaptic node (Affine, Linear, Conv1d/2d,
 * SumPool2d, AvgPool2d) with the neuron node that follows it, the weights
 * held in memory. See README.md "NIR networks" for the node semantics,
 * the discretisation and what is assumed for older files. */
#ifndef EVSIM_CFG_NIR_H
#define EVSIM_CFG_NIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "config/config.h"

typedef enum {
    NIR_INPUT = 0, NIR_OUTPUT, NIR_AFFINE, NIR_LINEAR, NIR_CONV1D, NIR_CONV2D, NIR_SUMPOOL2D,
    NIR_AVGPOOL2D, NIR_FLATTEN, NIR_IF, NIR_LIF, NIR_CUBALIF, NIR_SCALE, NIR_THRESHOLD,
    NIR_DELAY, NIR_N_TYPES
} nir_type;

#define NIR_MAX_DIMS 4
#define NIR_NAME_MAX 64

/* One parameter of a node, converted to double whatever its stored type
 * (float32, float64, int64). */
typedef struct {
    char key[NIR_NAME_MAX];
    int rank;                        /* 0: a scalar */
    uint64_t dim[NIR_MAX_DIMS];
    size_t n;                        /* values */
    double *v;                       /* n values, row-major (owned) */
    char *str;                       /* a string parameter instead (owned), else NULL */
} nir_param;

typedef struct {
    char name[NIR_NAME_MAX];
    nir_type type;
    int n_params;
    nir_param *params;               /* in the file's (name) order */
    int rank;                        /* output shape, from the Input on */
    uint32_t shape[NIR_MAX_DIMS];
    uint64_t n_out;                  /* product of shape */
    uint64_t n_params_total;         /* values over all numeric params */
    uint64_t synapses;               /* structural synapses (0 for non-synaptic nodes) */
    int layer;                       /* cfg_nir_workload: evsim layer index, -1: none */
    bool own_source;                 /* cfg_nir_workload: an Affine / Linear into a neuron
                                      * node besides its main input (a recurrent one):
                                      * a source of layer `layer` with weights of its own */
} nir_node;

typedef struct {
    int src, dst;                    /* node indices */
    bool recurrent;                  /* closes a cycle through a neuron */
} nir_edge;

typedef struct {
    char file[BASE_PATH_MAX];
    char version[32];                /* "" when the file has none */
    int n_nodes;
    nir_node *nodes;                 /* in topological order (recurrent edges left out) */
    int n_edges;
    nir_edge *edges;                 /* in the file's order */
    int n_recurrent;
} nir_graph;

/* Reads and checks path. NULL with err (the file, the node, the key). */
nir_graph *cfg_nir_load(const char *path, base_error *err);
void cfg_nir_free(nir_graph *g);

const char *cfg_nir_type_name(nir_type t);
bool cfg_nir_is_neuron(nir_type t);  /* IF, LIF, CubaLIF */
/* Node index by name, or -1. */
int cfg_nir_find(const nir_graph *g, const char *name);
/* The node's parameter key, or NULL. */
const nir_param *cfg_nir_param(const nir_node *n, const char *key);
/* Number of predecessors of node i over non-recurrent edges. */
int cfg_nir_n_inputs(const nir_graph *g, int i);

/* True when path names a NIR file (its extension is .nir). */
bool cfg_nir_is_path(const char *path);

/* Graph checks, topological order and shapes (cfg_nir_graph.c); used by
 * cfg_nir_load after reading. 0, or -1 with err. */
int cfg_nir_order(nir_graph *g, base_error *err);
int cfg_nir_shapes(nir_graph *g, base_error *err);

/* The event-driven workload of the graph: layers named after their neuron
 * node (a synaptic node without one: after itself), weights in memory.
 * An Affine / Linear node from a neuron node into another neuron node
 * besides that one's main input -- through a recurrent edge, or as its
 * second input -- becomes a source {layer: X} of the neuron's layer with
 * the node's weights as its own (a recurrent one: step s's spikes arrive
 * in step s + 1, as in NIR / snnTorch). Sets each node's layer. NULL
 * with err: any other recurrent edge, node with several inputs or
 * successors, a node type or parameter the chip cannot run yet. */
cfg_workload *cfg_nir_workload(nir_graph *g, base_error *err);
/* Loads path and converts it, for the scenario loader; errors into err. */
cfg_workload *cfg_nir_workload_load_file(const char *path, base_errors *err);

#endif
