/* cfg_onnx.h -- ONNX models in: the graph of an .onnx file (a protobuf
 * ModelProto, read through protobuf-c with the onnx.proto Debian's
 * libonnx-dev installs) as plain C, and the evsim workload it becomes.
 *
 * cfg_onnx_load reads the file (cfg_onnx.c is the only code of evsim that
 * includes the generated onnx.pb-c.h): its nodes in file order with their
 * inputs, outputs and integer attributes, and every tensor named in the
 * graph with the shape the file gives it (graph inputs and outputs,
 * value_info, initializers). Weights are not kept, only their shapes and
 * small int64 initializers (a Reshape's target shape).
 *
 * cfg_onnx_workload infers the shapes the file leaves out and turns the
 * compute nodes into ZigZag-style layers named after the nodes
 * (`/conv1/Conv`), numbered as Stream numbers them (every node with an
 * input, pass-throughs included), so Stream mappings and layer stacks
 * apply unchanged. README.md "ONNX workloads" lists the ops and the layer
 * each becomes. */
#ifndef EVSIM_CFG_ONNX_H
#define EVSIM_CFG_ONNX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "config/config.h"

#define ONNX_MAX_RANK 8

typedef struct {
    char *name;                      /* owned */
    bool has_shape;                  /* rank and dim known (from the file or inferred) */
    int rank;
    int64_t dim[ONNX_MAX_RANK];
    bool initializer;                /* a constant of the file (weights, shapes) */
    size_t n_ival;                   /* int64 initializer values (small ones only) */
    int64_t *ival;                   /* owned, NULL when none */
} onnx_value;

typedef struct {
    char *name;                      /* owned */
    bool has_i;                      /* an INT attribute */
    int64_t i;
    size_t n_ints;                   /* an INTS attribute */
    int64_t *ints;                   /* owned */
    char *s;                         /* a STRING attribute (owned), else NULL */
} onnx_attr;

typedef struct {
    char *name;                      /* owned; "" in the file: OpType_INDEX */
    char *op_type;                   /* owned */
    int n_in, n_out;
    int *in, *out;                   /* value indices; -1: an omitted optional input */
    int n_attrs;
    onnx_attr *attrs;
    int64_t id;                      /* Stream's number (-1: a node without inputs) */
    int layer;                       /* cfg_onnx_workload: index into its layers, -1: none */
} onnx_node;

typedef struct {
    char file[BASE_PATH_MAX];
    int64_t ir_version;
    int64_t opset;                   /* of the default domain, 0 if not given */
    int n_values;
    onnx_value *values;
    int n_nodes;
    onnx_node *nodes;                /* in file order */
    int n_inputs;                    /* graph inputs that are not initializers */
    int *inputs;
    int n_outputs;
    int *outputs;
} onnx_graph;

/* Reads path. NULL with err: not a file, not an ONNX model (protobuf that
 * does not parse: truncated or another format), no graph. */
onnx_graph *cfg_onnx_load(const char *path, base_error *err);
/* The same from bytes in memory (display_name for messages). */
onnx_graph *cfg_onnx_load_bytes(const uint8_t *data, size_t len, const char *display_name,
                                base_error *err);
void cfg_onnx_free(onnx_graph *g);

/* True when path names an ONNX file (its extension is .onnx). */
bool cfg_onnx_is_path(const char *path);
/* Attribute key of node n, or NULL. */
const onnx_attr *cfg_onnx_attr(const onnx_node *n, const char *key);
/* Value index by name, or -1. */
int cfg_onnx_find_value(const onnx_graph *g, const char *name);

/* How a node is run: a layer of its own, passed through (its output is
 * its first input's data: Flatten, Reshape, Identity, Dropout, ...), or
 * not supported. */
typedef enum { ONNX_OP_UNSUPPORTED = 0, ONNX_OP_LAYER, ONNX_OP_PASS } onnx_op_kind;
onnx_op_kind cfg_onnx_op_kind(const char *op_type);

/* Shapes of every node output, from the file or inferred from the op and
 * its inputs (cfg_onnx_shape.c). 0, or -1 with err naming the node. */
int cfg_onnx_infer_shapes(onnx_graph *g, base_error *err);

/* The workload of the graph: one layer per compute node, the node's name
 * as the layer's, Stream's number as its id, operand_source from the
 * producers (through pass-throughs). Sets each node's layer. NULL with
 * err: every unsupported op listed in one message with its node names, a
 * shape that cannot be inferred, an op whose attributes evsim cannot run. */
cfg_workload *cfg_onnx_workload(onnx_graph *g, base_error *err);
/* Loads path and converts it, for the scenario loader; errors into err. */
cfg_workload *cfg_onnx_workload_load_file(const char *path, base_errors *err);

/* How the nodes become layers. stream: exactly as Stream's ONNX parsers
 * (cb9dfc52) make them, so a CN's cost is the one Stream takes from
 * ZigZag: a pool also loops over C (= K) as Stream's PoolingParser does
 * (the MACs times K; a loop no operand indexes), and an element-wise op
 * is O+=I*W with I its second input (its only one) and W its first (a
 * constant of one value), as Stream's SimdParser writes it. */
typedef struct {
    bool stream;
} cfg_onnx_options;

/* Both with options (NULL: the defaults, all false). */
cfg_workload *cfg_onnx_workload_opt(onnx_graph *g, const cfg_onnx_options *opt, base_error *err);
cfg_workload *cfg_onnx_workload_load_file_opt(const char *path, const cfg_onnx_options *opt,
                                              base_errors *err);

#endif
