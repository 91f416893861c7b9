/* cfg_onnx.c -- an .onnx file into an onnx_graph (cfg_onnx.h). The only
 * file of evsim that sees protobuf-c's generated ONNX code: the model is
 * unpacked (every allocation through evsim's funnel), copied into plain
 * structs and the protobuf tree freed at once. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_onnx.h"
#include "onnx.pb-c.h"

/* Initializers with at most this many int64 values are kept (Reshape's
 * target shape); weights are not. */
#define ONNX_MAX_IVAL 16

static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return base_malloc(size ? size : 1);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    base_free(p);
}

static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

bool cfg_onnx_is_path(const char *path)
{
    size_t n = strlen(path);
    return n > 5 && !strcasecmp(path + n - 5, ".onnx");
}

int cfg_onnx_find_value(const onnx_graph *g, const char *name)
{
    for (int i = 0; i < g->n_values; i++)
        if (!strcmp(g->values[i].name, name))
            return i;
    return -1;
}

const onnx_attr *cfg_onnx_attr(const onnx_node *n, const char *key)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, key))
            return &n->attrs[i];
    return NULL;
}

/* The value called name, added when new; -1 when out of memory. */
static int value_of(onnx_graph *g, const char *name, int *cap)
{
    int v = cfg_onnx_find_value(g, name);
    if (v >= 0)
        return v;
    if (g->n_values == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        onnx_value *nv = base_realloc(g->values, (size_t)nc * sizeof *nv);
        if (!nv)
            return -1;
        g->values = nv;
        *cap = nc;
    }
    onnx_value *val = &g->values[g->n_values];
    memset(val, 0, sizeof *val);
    if (!(val->name = base_strdup(name)))
        return -1;
    return g->n_values++;
}

/* A tensor type's shape onto value v (a symbolic or absent dim: unknown). */
static void take_type(onnx_value *v, const Onnx__TypeProto *t)
{
    if (v->has_shape || !t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        !t->tensor_type || !t->tensor_type->shape || t->tensor_type->shape->n_dim > ONNX_MAX_RANK)
        return;
    const Onnx__TensorShapeProto *s = t->tensor_type->shape;
    for (size_t i = 0; i < s->n_dim; i++) {
        if (s->dim[i]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            s->dim[i]->dim_value < 0)
            return;
        v->dim[i] = s->dim[i]->dim_value;
    }
    v->rank = (int)s->n_dim;
    v->has_shape = true;
}

static int take_initializer(onnx_graph *g, const Onnx__TensorProto *t, int *cap)
{
    int v = value_of(g, t->name ? t->name : "", cap);
    if (v < 0)
        return -1;
    onnx_value *val = &g->values[v];
    val->initializer = true;
    if (t->n_dims <= ONNX_MAX_RANK) {
        val->rank = (int)t->n_dims;
        memcpy(val->dim, t->dims, t->n_dims * sizeof *t->dims);
        val->has_shape = true;
    }
    size_t n = t->n_int64_data;
    if (!n && t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 && t->has_raw_data)
        n = t->raw_data.len / sizeof(int64_t);
    if (n == 0 || n > ONNX_MAX_IVAL || t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
        return 0;
    if (!(val->ival = base_malloc(n * sizeof *val->ival)))
        return -1;
    if (t->n_int64_data)
        memcpy(val->ival, t->int64_data, n * sizeof *val->ival);
    else /* raw_data is little-endian, as this machine */
        memcpy(val->ival, t->raw_data.data, n * sizeof *val->ival);
    val->n_ival = n;
    return 0;
}

static int take_attr(onnx_attr *a, const Onnx__AttributeProto *p)
{
    if (!(a->name = base_strdup(p->name ? p->name : "")))
        return -1;
    a->has_i = p->has_i || p->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->i = p->i;
    if (p->n_ints) {
        if (!(a->ints = base_malloc(p->n_ints * sizeof *a->ints)))
            return -1;
        memcpy(a->ints, p->ints, p->n_ints * sizeof *a->ints);
        a->n_ints = p->n_ints;
    }
    if (p->has_s || p->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) {
        if (!(a->s = base_malloc(p->s.len + 1)))
            return -1;
        if (p->s.len)
            memcpy(a->s, p->s.data, p->s.len);
        a->s[p->s.len] = 0;
    }
    return 0;
}

/* Value indices of names (an empty name: an omitted optional input, -1). */
static int take_names(onnx_graph *g, char **names, size_t n, int **out, int *cap)
{
    if (!(*out = base_calloc(n ? n : 1, sizeof **out)))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!names[i][0])
            (*out)[i] = -1;
        else if (((*out)[i] = value_of(g, names[i], cap)) < 0)
            return -1;
    return 0;
}

static int take_node(onnx_graph *g, int idx, const Onnx__NodeProto *p, int *cap)
{
    onnx_node *n = &g->nodes[idx];
    n->layer = -1;
    const char *op = p->op_type ? p->op_type : "";
    char dflt[96];
    snprintf(dflt, sizeof dflt, "%s_%d", op, idx);
    if (!(n->op_type = base_strdup(op)) ||
        !(n->name = base_strdup(p->name && p->name[0] ? p->name : dflt)))
        return -1;
    n->n_in = (int)p->n_input;
    n->n_out = (int)p->n_output;
    if (take_names(g, p->input, p->n_input, &n->in, cap) != 0 ||
        take_names(g, p->output, p->n_output, &n->out, cap) != 0)
        return -1;
    if (p->n_attribute && !(n->attrs = base_calloc(p->n_attribute, sizeof *n->attrs)))
        return -1;
    for (size_t a = 0; a < p->n_attribute; a++)
        if (n->n_attrs++, take_attr(&n->attrs[a], p->attribute[a]) != 0)
            return -1; /* the attribute half taken is freed with the rest (zeroed) */
    return 0;
}

static int take_graph_io(onnx_graph *g, Onnx__ValueInfoProto **vi, size_t n, int **out, int *cnt,
                         int *cap, bool skip_init)
{
    if (!(*out = base_calloc(n ? n : 1, sizeof **out)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v = value_of(g, vi[i]->name ? vi[i]->name : "", cap);
        if (v < 0)
            return -1;
        take_type(&g->values[v], vi[i]->type);
        if (!skip_init || !g->values[v].initializer)
            (*out)[(*cnt)++] = v;
    }
    return 0;
}

/* The protobuf model into g. -1: out of memory. */
static int take_model(onnx_graph *g, const Onnx__ModelProto *m)
{
    const Onnx__GraphProto *gp = m->graph;
    int cap = 0;
    g->ir_version = m->ir_version;
    for (size_t i = 0; i < m->n_opset_import; i++)
        if (!m->opset_import[i]->domain || !m->opset_import[i]->domain[0])
            g->opset = m->opset_import[i]->version;
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (take_initializer(g, gp->initializer[i], &cap) != 0)
            return -1;
    if (take_graph_io(g, gp->input, gp->n_input, &g->inputs, &g->n_inputs, &cap, true) != 0 ||
        take_graph_io(g, gp->output, gp->n_output, &g->outputs, &g->n_outputs, &cap, false) != 0)
        return -1;
    for (size_t i = 0; i < gp->n_value_info; i++) {
        int v = value_of(g, gp->value_info[i]->name ? gp->value_info[i]->name : "", &cap);
        if (v < 0)
            return -1;
        take_type(&g->values[v], gp->value_info[i]->type);
    }
    if (!(g->nodes = base_calloc(gp->n_node ? gp->n_node : 1, sizeof *g->nodes)))
        return -1;
    for (size_t i = 0; i < gp->n_node; i++, g->n_nodes++)
        if (take_node(g, (int)i, gp->node[i], &cap) != 0) {
            g->n_nodes++; /* freed with the rest */
            return -1;
        }
    return 0;
}

onnx_graph *cfg_onnx_load_bytes(const uint8_t *data, size_t len, const char *display_name,
                                base_error *err)
{
    if (len == 0) {
        base_fail(err, "%s: not an ONNX model: the file is empty", display_name);
        return NULL;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(&pb_allocator, len, data);
    if (!m) {
        base_fail(err, "%s: not an ONNX model: its bytes do not parse as an ONNX ModelProto "
                  "(truncated, or another format)", display_name);
        return NULL;
    }
    if (!m->graph || m->graph->n_node == 0 || !m->has_ir_version) {
        base_fail(err, "%s: not an ONNX model: %s", display_name,
                  !m->has_ir_version ? "no ir_version (another protobuf, or not protobuf)"
                                     : "it has no graph nodes");
        onnx__model_proto__free_unpacked(m, &pb_allocator);
        return NULL;
    }
    onnx_graph *g = base_calloc(1, sizeof *g);
    int rc = g ? take_model(g, m) : -1;
    onnx__model_proto__free_unpacked(m, &pb_allocator);
    if (rc != 0) {
        cfg_onnx_free(g);
        base_fail(err, "%s: out of memory", display_name);
        return NULL;
    }
    snprintf(g->file, sizeof g->file, "%s", display_name);
    return g;
}

onnx_graph *cfg_onnx_load(const char *path, base_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        base_fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 65536;
            uint8_t *nb = base_realloc(buf, nc);
            if (!nb) {
                base_free(buf);
                fclose(f);
                base_fail(err, "%s: out of memory", path);
                return NULL;
            }
            buf = nb;
            cap = nc;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    onnx_graph *g = NULL;
    if (bad)
        base_fail(err, "%s: read error", path);
    else
        g = cfg_onnx_load_bytes(buf, len, path, err);
    base_free(buf);
    return g;
}

void cfg_onnx_free(onnx_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_values; i++) {
        base_free(g->values[i].name);
        base_free(g->values[i].ival);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        onnx_node *n = &g->nodes[i];
        for (int a = 0; a < n->n_attrs; a++) {
            base_free(n->attrs[a].name);
            base_free(n->attrs[a].ints);
            base_free(n->attrs[a].s);
        }
        base_free(n->attrs);
        base_free(n->name);
        base_free(n->op_type);
        base_free(n->in);
        base_free(n->out);
    }
    base_free(g->values);
    base_free(g->nodes);
    base_free(g->inputs);
    base_free(g->outputs);
    base_free(g);
}
