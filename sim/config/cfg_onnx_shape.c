/* cfg_onnx_shape.c -- which ONNX ops evsim runs, and the shapes of node
 * outputs a file leaves out (an exported model without value_info),
 * inferred in node order as ONNX's shape inference does for these ops. A
 * shape the file gives is kept as it is. */
#include <stdio.h>
#include <string.h>

#include "config/cfg_onnx.h"

static const char *const layer_ops[] = {
    "Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    /* element-wise, two inputs */
    "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow",
    /* element-wise, one input */
    "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip", "Elu", "Selu", "HardSigmoid",
    "HardSwish", "Softplus", "Softsign", "Exp", "Log", "Sqrt", "Abs", "Neg", "Reciprocal", "Gelu",
    "Silu", "Erf", "BatchNormalization", NULL};
static const char *const pass_ops[] = {"Flatten", "Reshape", "Identity", "Dropout", "Squeeze",
                                       "Unsqueeze", NULL};

static bool in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (!strcmp(*l, s))
            return true;
    return false;
}

onnx_op_kind cfg_onnx_op_kind(const char *op_type)
{
    return in_list(layer_ops, op_type) ? ONNX_OP_LAYER
           : in_list(pass_ops, op_type) ? ONNX_OP_PASS : ONNX_OP_UNSUPPORTED;
}

static int64_t ai(const onnx_node *n, const char *key, int idx, int64_t def)
{
    const onnx_attr *a = cfg_onnx_attr(n, key);
    if (!a)
        return def;
    if (a->n_ints)
        return idx < (int)a->n_ints ? a->ints[idx] : def;
    return a->has_i ? a->i : def;
}

static const onnx_value *input(const onnx_graph *g, const onnx_node *n, int i)
{
    return i < n->n_in && n->in[i] >= 0 ? &g->values[n->in[i]] : NULL;
}

static int shape_fail(const onnx_graph *g, const onnx_node *n, base_error *err, const char *why)
{
    return base_fail(err, "%s: node %s (%s): %s", g->file, n->name, n->op_type, why);
}

/* A Conv or pool window's output (NCHW or NCW): the spatial dims from the
 * kernel, strides, pads, dilations and ceil_mode. */
static int window(const onnx_graph *g, const onnx_node *n, const onnx_value *x, onnx_value *o,
                  base_error *err)
{
    int sp = x->rank - 2;
    const onnx_value *w = input(g, n, 1);
    bool conv = !strcmp(n->op_type, "Conv"), global = !strncmp(n->op_type, "Global", 6);
    if (sp < 1)
        return shape_fail(g, n, err, "expected an input of rank 3 or more (N, C, spatial...)");
    o->rank = x->rank;
    o->dim[0] = x->dim[0];
    o->dim[1] = conv ? (w && w->has_shape ? w->dim[0] : -1) : x->dim[1];
    if (o->dim[1] < 0)
        return shape_fail(g, n, err, "the weight's shape is unknown, so is the output's");
    const onnx_attr *ap = cfg_onnx_attr(n, "auto_pad");
    bool same = ap && ap->s && !strncmp(ap->s, "SAME", 4);
    for (int i = 0; i < sp; i++) {
        int64_t in = x->dim[2 + i];
        if (global) {
            o->dim[2 + i] = 1;
            continue;
        }
        int64_t k = ai(n, "kernel_shape", i, conv && w && w->has_shape && w->rank == x->rank
                                                 ? w->dim[2 + i] : 0);
        int64_t s = ai(n, "strides", i, 1), d = ai(n, "dilations", i, 1);
        int64_t p = ai(n, "pads", i, 0) + ai(n, "pads", i + sp, 0);
        if (k <= 0 || s <= 0 || d <= 0)
            return shape_fail(g, n, err, "kernel_shape, strides and dilations must be positive");
        int64_t span = in + p - d * (k - 1) - 1;
        if (same)
            o->dim[2 + i] = (in + s - 1) / s;
        else if (span < 0)
            return shape_fail(g, n, err, "the kernel is larger than the padded input");
        else
            o->dim[2 + i] = (ai(n, "ceil_mode", 0, 0) ? (span + s - 1) / s : span / s) + 1;
    }
    return 0;
}

/* Gemm / MatMul: the rows of A by the columns of B (transA, transB). */
static int matmul(const onnx_graph *g, const onnx_node *n, const onnx_value *a, onnx_value *o,
                  base_error *err)
{
    const onnx_value *b = input(g, n, 1);
    if (!b || !b->has_shape || b->rank < 1 || a->rank < 1)
        return shape_fail(g, n, err, "the second input's shape is unknown");
    bool gemm = !strcmp(n->op_type, "Gemm");
    bool ta = gemm && ai(n, "transA", 0, 0), tb = gemm && ai(n, "transB", 0, 0);
    if (a->rank < 2 || (gemm && (a->rank != 2 || b->rank != 2)))
        return shape_fail(g, n, err, "expected matrices (Gemm: rank 2; MatMul: rank 2 or more)");
    *o = (onnx_value){.rank = a->rank, .has_shape = true};
    memcpy(o->dim, a->dim, sizeof o->dim);
    o->dim[a->rank - 2] = ta ? a->dim[a->rank - 1] : a->dim[a->rank - 2];
    o->dim[a->rank - 1] = b->rank == 1 ? 1 : tb ? b->dim[b->rank - 2] : b->dim[b->rank - 1];
    return 0;
}

/* Flatten(axis) and Reshape (its shape from an int64 initializer: 0 keeps
 * the input's dim, -1 takes the rest). */
static int reshape(const onnx_graph *g, const onnx_node *n, const onnx_value *x, onnx_value *o,
                   base_error *err)
{
    int64_t total = 1;
    for (int i = 0; i < x->rank; i++)
        total *= x->dim[i];
    if (!strcmp(n->op_type, "Flatten")) {
        int64_t ax = ai(n, "axis", 0, 1), lead = 1;
        if (ax < 0)
            ax += x->rank;
        for (int i = 0; i < ax && i < x->rank; i++)
            lead *= x->dim[i];
        *o = (onnx_value){.has_shape = true, .rank = 2, .dim = {lead, lead ? total / lead : 0}};
        return 0;
    }
    const onnx_value *s = input(g, n, 1);
    if (!s || !s->ival || s->n_ival > ONNX_MAX_RANK)
        return shape_fail(g, n, err, "the target shape is not a constant of the file");
    int64_t known = 1;
    int rest = -1;
    *o = (onnx_value){.has_shape = true, .rank = (int)s->n_ival};
    for (int i = 0; i < o->rank; i++) {
        o->dim[i] = s->ival[i] == 0 && i < x->rank ? x->dim[i] : s->ival[i];
        if (o->dim[i] < 0)
            rest = i;
        else
            known *= o->dim[i];
    }
    if (rest >= 0)
        o->dim[rest] = known ? total / known : 0;
    return 0;
}

/* Element-wise: numpy broadcasting of every input. */
static int broadcast(const onnx_graph *g, const onnx_node *n, onnx_value *o, base_error *err)
{
    *o = (onnx_value){.has_shape = true};
    bool one = cfg_onnx_op_kind(n->op_type) == ONNX_OP_LAYER &&
               (!strcmp(n->op_type, "BatchNormalization") || !strcmp(n->op_type, "Clip") ||
                !strcmp(n->op_type, "PRelu"));
    for (int i = 0; i < n->n_in && (!one || i == 0); i++) {
        const onnx_value *v = input(g, n, i);
        if (!v)
            continue;
        if (!v->has_shape)
            return shape_fail(g, n, err, "an input's shape is unknown");
        if (v->rank > o->rank) {
            memmove(o->dim + (v->rank - o->rank), o->dim, (size_t)o->rank * sizeof *o->dim);
            for (int k = 0; k < v->rank - o->rank; k++)
                o->dim[k] = 1;
            o->rank = v->rank;
        }
        for (int k = 0; k < v->rank; k++) {
            int64_t *d = &o->dim[o->rank - v->rank + k], e = v->dim[k];
            if (*d != e && *d != 1 && e != 1)
                return shape_fail(g, n, err, "the inputs' shapes do not broadcast");
            if (*d == 1)
                *d = e;
        }
    }
    return 0;
}

static int infer_node(onnx_graph *g, const onnx_node *n, base_error *err)
{
    const onnx_value *x = input(g, n, 0);
    onnx_value *o = &g->values[n->out[0]], s = {0};
    if (!x || !x->has_shape)
        return shape_fail(g, n, err, "the shape of its first input is unknown (not in the file's "
                          "value_info, and not inferred from an earlier node)");
    int rc;
    const char *op = n->op_type;
    if (!strcmp(op, "Conv") || strstr(op, "Pool"))
        rc = window(g, n, x, &s, err);
    else if (!strcmp(op, "Gemm") || !strcmp(op, "MatMul"))
        rc = matmul(g, n, x, &s, err);
    else if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape"))
        rc = reshape(g, n, x, &s, err);
    else if (cfg_onnx_op_kind(op) == ONNX_OP_LAYER)
        rc = broadcast(g, n, &s, err);
    else if (!strcmp(op, "Identity") || !strcmp(op, "Dropout"))
        rc = (s = *x, 0);
    else
        return shape_fail(g, n, err, "the output's shape is not in the file (value_info), and "
                          "evsim does not infer it for this op");
    if (rc != 0)
        return rc;
    o->has_shape = true;
    o->rank = s.rank;
    memcpy(o->dim, s.dim, sizeof o->dim);
    return 0;
}

int cfg_onnx_infer_shapes(onnx_graph *g, base_error *err)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const onnx_node *n = &g->nodes[i];
        if (n->n_out < 1 || n->out[0] < 0 || g->values[n->out[0]].has_shape)
            continue;
        if (cfg_onnx_op_kind(n->op_type) == ONNX_OP_UNSUPPORTED)
            continue; /* reported with the others by the conversion */
        if (infer_node(g, n, err) != 0)
            return -1;
    }
    return 0;
}
