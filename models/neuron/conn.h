/* conn.h -- connectivity between two neuron layers, seen as fan-out: what
 * one source neuron's output costs on the core that holds a slice of the
 * target layer.
 *
 * Tensors are (C, H, W), row-major: neuron index = (c * H + y) * W + x, so
 * flatten is the identity on indices. Kinds and their weights:
 *   dense    out_features x n_in, PyTorch Linear layout (out, in); the
 *            source is read flat whatever its shape
 *   conv2d   (C_out, C_in / groups, kH, kW), PyTorch Conv2d layout; stride,
 *            zero padding, dilation, groups; output H = (H + 2 pad - dil
 *            (k - 1) - 1) / stride + 1 (floor)
 *   sum_pool kH x kW window, stride (default: the window), no padding,
 *            weight 1; avg_pool the same with weight 1 / (kH kW)
 *   flatten  identity onto (C H W, 1, 1), weight 1
 *   add      identity onto the same shape, weight 1: an element-wise add
 *            is two (or more) add connections into one target layer
 *
 * conn_fanout() visits each (target, weight) of one source inside a target
 * range [lo, hi): it loops over the kernel window only, allocates nothing,
 * and visits in a fixed order (target channel, then kernel row, then kernel
 * column; dense: ascending targets). conn_fanout_rect() does the same
 * inside a block of channels x rows (a slice split over rows). */
#ifndef EVSIM_CONN_H
#define EVSIM_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef enum {
    CONN_DENSE,
    CONN_CONV2D,
    CONN_SUM_POOL,
    CONN_AVG_POOL,
    CONN_FLATTEN,
    CONN_ADD
} conn_kind;

typedef struct {
    uint32_t c, h, w;
} conn_shape;

#define CONN_MAX_KERNEL 64 /* kH, kW at most this (the window lives on the stack) */

/* Zero means the default named. */
typedef struct {
    conn_kind kind;
    conn_shape in;           /* source layer shape; dense may use (n, 1, 1) */
    uint32_t out_features;   /* dense */
    uint32_t out_channels;   /* conv2d */
    uint32_t kh, kw;         /* conv2d, pools */
    uint32_t stride_h, stride_w; /* conv2d: 1; pools: the window */
    uint32_t pad_h, pad_w;   /* conv2d: 0 */
    uint32_t dil_h, dil_w;   /* conv2d: 1 */
    uint32_t groups;         /* conv2d: 1 */
    conn_shape dense_as;     /* dense: the targets seen as (C, H, W), C H W =
                              * out_features, for conn_fanout_rect; zero:
                              * (out_features, 1, 1) */
} conn_params;

/* A block of the target layer: channels [c0, c1) x rows [y0, y1) x every
 * column. Its neurons are numbered locally in the same row-major order,
 * ((c - c0) (y1 - y0) + (y - y0)) W + x. */
typedef struct {
    uint32_t c0, c1, y0, y1;
} conn_rect;

typedef struct conn conn;

/* Visited for each synapse: target index and weight. */
typedef void (*conn_visit_fn)(void *ctx, uint32_t target, float w);

/* Checks p and fills the output shape and the number of weights the kind
 * takes (0 for pools, flatten and add). 0, or -1 with err. */
int conn_plan(const conn_params *p, conn_shape *out, size_t *n_weights, base_error *err);
/* A connection; weights (n_weights floats in the layout above, copied) are
 * required exactly when conn_plan says n_weights > 0. NULL with err. */
conn *conn_new(const conn_params *p, const float *weights, size_t n_weights, base_error *err);
void conn_free(conn *c);

const conn_params *conn_get_params(const conn *c); /* defaults filled in */
conn_shape conn_out_shape(const conn *c);
uint32_t conn_n_in(const conn *c);
uint32_t conn_n_out(const conn *c);
/* Structural synapses (including zero weights): the sum of every source's
 * fan-out over the whole target layer. */
uint64_t conn_synapses(const conn *c);

/* Calls fn for each synapse of source src onto a target in [lo, hi). */
void conn_fanout(const conn *c, uint32_t src, uint32_t lo, uint32_t hi, conn_visit_fn fn,
                 void *ctx);
/* conn_fanout's synapses, in its order, written to tgt[] and w[] (each
 * with room for conn_max_fanout(c)); returns how many. The same walk
 * without a call per synapse, for the integration hot path. */
uint32_t conn_fanout_list(const conn *c, uint32_t src, uint32_t lo, uint32_t hi, uint32_t *tgt,
                          float *w);
/* At least any one source's conn_fanout visits over the whole target
 * layer (>= 1, <= conn_n_out). */
uint32_t conn_max_fanout(const conn *c);
/* How many synapses conn_fanout would visit (0: the slice needs no copy of
 * src's events -- what a multicast table is built from). */
uint32_t conn_fanout_count(const conn *c, uint32_t src, uint32_t lo, uint32_t hi);
/* The same inside block r of the output shape (clipped to it): fn gets the
 * target's local index in r, visits come in conn_fanout's order. A block of
 * whole channels (rows [0, H)) visits exactly what conn_fanout does over
 * [c0 H W, c1 H W), with target - c0 H W. */
void conn_fanout_rect(const conn *c, uint32_t src, conn_rect r, conn_visit_fn fn, void *ctx);
/* conn_fanout_list's counterpart: local targets, within conn_max_fanout. */
uint32_t conn_fanout_rect_list(const conn *c, uint32_t src, conn_rect r, uint32_t *tgt,
                               float *w);
uint32_t conn_fanout_rect_count(const conn *c, uint32_t src, conn_rect r);
/* Neurons in block r (clipped to the output shape), and the layer index of
 * its local neuron i (< that count). */
uint32_t conn_rect_size(const conn *c, conn_rect r);
uint32_t conn_rect_global(const conn *c, conn_rect r, uint32_t i);

/* ---- weights from elsewhere --------------------------------------------
 * Keras / TensorFlow layouts into the ones above (out must hold the same
 * number of floats; in and out must not overlap). */

/* conv kernel HWIO [kh][kw][c_in_per_group][c_out] -> OIHW. */
void conn_weights_from_hwio(const float *hwio, float *oihw, uint32_t kh, uint32_t kw,
                            uint32_t c_in, uint32_t c_out);
/* dense [n_in][n_out] (Keras) -> (n_out, n_in). When the source is a
 * (C, H, W) layer that Keras flattened in (H, W, C) order, pass its shape
 * in `src` and the columns are permuted to our (C, H, W) order; pass
 * {n_in, 1, 1} for a flat source. */
void conn_weights_from_keras_dense(const float *in_out, float *out_in, conn_shape src,
                                   uint32_t n_out);

/* Seeded weights: each is 0 with probability 1 - density, otherwise scale
 * times a uniform draw in [-1, 1) -- from stream (seed, stream_id) in
 * order, so the same (seed, stream_id) always gives the same weights.
 * density must be in [0, 1]; -1 with err otherwise. */
int conn_weights_seeded(float *w, size_t n, double density, double scale, uint64_t seed,
                        uint64_t stream_id, base_error *err);

#endif
