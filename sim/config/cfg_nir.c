/* cfg_nir.c -- reads a NIR graph from its HDF5 file (the only code of
 * evsim that includes hdf5.h); see cfg_nir.h. Every dataset of a node is
 * read as doubles (HDF5 converts float32, float64 and integer types), a
 * string dataset as a string; subgroups (a node's metadata) are skipped.
 * What evsim keeps is allocated through base_*; libhdf5's own buffers
 * (its file cache, variable-length strings until reclaimed) are not, so
 * the fault-injection tests reach every failure of ours, not of HDF5's. */
#include "config/cfg_nir.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Per type: its name in the file, the parameters it requires and the ones
 * it may have (anything else is ignored, as NIR's reader ignores it). */
typedef struct {
    const char *name;
    const char *req[8];
} nir_type_info;

static const nir_type_info types[NIR_N_TYPES] = {
    [NIR_INPUT] = {"Input", {"shape"}},
    [NIR_OUTPUT] = {"Output", {"shape"}},
    [NIR_AFFINE] = {"Affine", {"weight", "bias"}},
    [NIR_LINEAR] = {"Linear", {"weight"}},
    [NIR_CONV1D] = {"Conv1d", {"weight", "stride", "padding", "dilation", "groups", "bias"}},
    [NIR_CONV2D] = {"Conv2d", {"weight", "stride", "padding", "dilation", "groups", "bias"}},
    [NIR_SUMPOOL2D] = {"SumPool2d", {"kernel_size", "stride", "padding"}},
    [NIR_AVGPOOL2D] = {"AvgPool2d", {"kernel_size", "stride", "padding"}},
    [NIR_FLATTEN] = {"Flatten", {"start_dim", "end_dim"}},
    [NIR_IF] = {"IF", {"r", "v_threshold"}},
    [NIR_LIF] = {"LIF", {"tau", "r", "v_leak", "v_threshold"}},
    [NIR_CUBALIF] = {"CubaLIF", {"tau_mem", "tau_syn", "r", "v_leak", "v_threshold"}},
    [NIR_SCALE] = {"Scale", {"scale"}},
    [NIR_THRESHOLD] = {"Threshold", {"threshold"}},
    [NIR_DELAY] = {"Delay", {"delay"}},
};

const char *cfg_nir_type_name(nir_type t)
{
    return t < NIR_N_TYPES ? types[t].name : "?";
}

bool cfg_nir_is_neuron(nir_type t)
{
    return t == NIR_IF || t == NIR_LIF || t == NIR_CUBALIF;
}

bool cfg_nir_is_path(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && !strcasecmp(path + n - 4, ".nir");
}

int cfg_nir_find(const nir_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name))
            return i;
    return -1;
}

const nir_param *cfg_nir_param(const nir_node *n, const char *key)
{
    for (int i = 0; i < n->n_params; i++)
        if (!strcmp(n->params[i].key, key))
            return &n->params[i];
    return NULL;
}

int cfg_nir_n_inputs(const nir_graph *g, int i)
{
    int k = 0;
    for (int e = 0; e < g->n_edges; e++)
        k += g->edges[e].dst == i && !g->edges[e].recurrent;
    return k;
}

static void node_clear(nir_node *n)
{
    for (int i = 0; i < n->n_params; i++) {
        base_free(n->params[i].v);
        base_free(n->params[i].str);
    }
    base_free(n->params);
    n->params = NULL;
    n->n_params = 0;
}

void cfg_nir_free(nir_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_nodes; i++)
        node_clear(&g->nodes[i]);
    base_free(g->nodes);
    base_free(g->edges);
    base_free(g);
}

/* ---- HDF5 reading ------------------------------------------------------ */

typedef struct {
    const char *file;
    base_error *err;
} nir_rd;

/* A string dataset (scalar, variable or fixed length) into a new string. */
static char *read_str_ds(hid_t ds)
{
    hid_t ft = H5Dget_type(ds), sp = H5Dget_space(ds);
    char *out = NULL;
    if (ft < 0 || sp < 0 || H5Tget_class(ft) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1)
        goto done;
    if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft)); /* NIR writes UTF-8 */
        char *s = NULL;
        if (H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &s) >= 0 && s) {
            out = base_strdup(s);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, &s);
        }
        H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(ft);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, len + 1);
        H5Tset_cset(mt, H5Tget_cset(ft));
        out = base_calloc(len + 2, 1);
        if (out && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
            base_free(out);
            out = NULL;
        }
        H5Tclose(mt);
    }
done:
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    return out;
}

/* Reads dataset key of node group gid into p. */
static int read_param(nir_rd *r, hid_t gid, const char *node, const char *key, nir_param *p)
{
    hid_t ds = H5Dopen2(gid, key, H5P_DEFAULT);
    if (ds < 0)
        return base_fail(r->err, "%s: node %s: %s: cannot be read as a dataset", r->file, node,
                         key);
    snprintf(p->key, sizeof p->key, "%s", key);
    hid_t ft = H5Dget_type(ds), sp = H5Dget_space(ds);
    int rc = 0;
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[H5S_MAX_RANK];
    H5T_class_t cls = H5Tget_class(ft);
    if (cls == H5T_STRING) {
        if (!(p->str = read_str_ds(ds)))
            rc = base_fail(r->err, "%s: node %s: %s: expected one string, found an array of "
                           "strings", r->file, node, key);
    } else if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        rc = base_fail(r->err, "%s: node %s: %s: expected numbers, found HDF5 type class %d",
                       r->file, node, key, (int)cls);
    } else if (rank < 0 || rank > NIR_MAX_DIMS) {
        rc = base_fail(r->err, "%s: node %s: %s: expected at most %d dimensions, found %d",
                       r->file, node, key, NIR_MAX_DIMS, rank);
    } else {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        p->rank = rank;
        p->n = 1;
        for (int d = 0; d < rank; d++)
            p->n *= (size_t)(p->dim[d] = dims[d]);
        p->v = base_calloc(p->n ? p->n : 1, sizeof *p->v);
        if (!p->v)
            rc = base_fail(r->err, "out of memory");
        else if (p->n && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, p->v) < 0)
            rc = base_fail(r->err, "%s: node %s: %s: the values cannot be read as numbers",
                           r->file, node, key);
        for (size_t i = 0; rc == 0 && i < p->n; i++)
            if (!isfinite(p->v[i]))
                rc = base_fail(r->err, "%s: node %s: %s: expected finite numbers, found %g at "
                               "index %zu", r->file, node, key, p->v[i], i);
    }
    H5Tclose(ft);
    H5Sclose(sp);
    H5Dclose(ds);
    return rc;
}

/* The names of the links in group gid, in name order (deterministic). */
static int link_name(hid_t gid, hsize_t i, char *buf, size_t len)
{
    ssize_t n = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, len,
                                   H5P_DEFAULT);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static bool is_dataset(hid_t gid, const char *name)
{
    hid_t o = H5Oopen(gid, name, H5P_DEFAULT);
    if (o < 0)
        return false;
    bool ds = H5Iget_type(o) == H5I_DATASET;
    H5Oclose(o);
    return ds;
}

static int read_node(nir_rd *r, hid_t nodes, const char *name, nir_node *n, char *bad,
                     size_t bad_len)
{
    snprintf(n->name, sizeof n->name, "%s", name);
    n->layer = -1;
    hid_t gid = H5Gopen2(nodes, name, H5P_DEFAULT);
    if (gid < 0)
        return base_fail(r->err, "%s: node %s: expected a group", r->file, name);
    int rc = 0;
    char *type = NULL;
    hid_t tds = H5Lexists(gid, "type", H5P_DEFAULT) > 0 ? H5Dopen2(gid, "type", H5P_DEFAULT) : -1;
    if (tds >= 0) {
        type = read_str_ds(tds);
        H5Dclose(tds);
    }
    if (!type) {
        rc = base_fail(r->err, "%s: node %s: type: expected a string dataset naming the node "
                       "type, found none", r->file, name);
        goto out;
    }
    n->type = NIR_N_TYPES;
    for (int t = 0; t < NIR_N_TYPES; t++)
        if (!strcmp(type, types[t].name))
            n->type = (nir_type)t;
    if (n->type == NIR_N_TYPES) {
        /* Collected, reported together by the caller. */
        size_t l = strlen(bad);
        snprintf(bad + l, bad_len - l, "%s%s (%s)", l ? ", " : "", name, type);
        goto out;
    }
    H5G_info_t gi;
    if (H5Gget_info(gid, &gi) < 0 || !(n->params = base_calloc(gi.nlinks + 1, sizeof *n->params))) {
        rc = base_fail(r->err, "%s: node %s: cannot list its datasets", r->file, name);
        goto out;
    }
    char who[NIR_NAME_MAX + 24];
    snprintf(who, sizeof who, "%s (%s)", name, type);
    for (hsize_t i = 0; rc == 0 && i < gi.nlinks; i++) {
        char key[NIR_NAME_MAX];
        if (link_name(gid, i, key, sizeof key) != 0)
            rc = base_fail(r->err, "%s: node %s: a dataset name is too long", r->file, name);
        else if (strcmp(key, "type") && is_dataset(gid, key)) {
            rc = read_param(r, gid, who, key, &n->params[n->n_params]);
            n->n_params++;
        }
    }
    for (int k = 0; rc == 0 && k < 8 && types[n->type].req[k]; k++)
        if (!cfg_nir_param(n, types[n->type].req[k]))
            rc = base_fail(r->err, "%s: node %s (%s): %s: missing (%s takes %s%s%s%s%s%s)",
                           r->file, name, type, types[n->type].req[k], type,
                           types[n->type].req[0], types[n->type].req[1] ? ", " : "",
                           types[n->type].req[1] ? types[n->type].req[1] : "",
                           types[n->type].req[2] ? ", " : "",
                           types[n->type].req[2] ? types[n->type].req[2] : "",
                           types[n->type].req[3] ? ", ..." : "");
out:
    base_free(type);
    H5Gclose(gid);
    return rc;
}

static int read_nodes(nir_rd *r, hid_t root, nir_graph *g)
{
    hid_t nodes = H5Gopen2(root, "nodes", H5P_DEFAULT);
    if (nodes < 0)
        return base_fail(r->err, "%s: /node/nodes: missing: not a NIR graph", r->file);
    H5G_info_t gi;
    int rc = 0;
    char bad[BASE_MSG_MAX / 2] = "";
    if (H5Gget_info(nodes, &gi) < 0 || gi.nlinks == 0 || gi.nlinks > 1u << 20)
        rc = base_fail(r->err, "%s: /node/nodes: expected the graph's nodes, found none", r->file);
    else if (!(g->nodes = base_calloc(gi.nlinks, sizeof *g->nodes)))
        rc = base_fail(r->err, "out of memory");
    for (hsize_t i = 0; rc == 0 && i < gi.nlinks; i++) {
        char name[NIR_NAME_MAX];
        if (link_name(nodes, i, name, sizeof name) != 0)
            rc = base_fail(r->err, "%s: /node/nodes: a node name is longer than %d characters",
                           r->file, NIR_NAME_MAX - 1);
        else
            rc = read_node(r, nodes, name, &g->nodes[g->n_nodes++], bad, sizeof bad);
    }
    if (rc == 0 && bad[0])
        rc = base_fail(r->err, "%s: unsupported NIR node types: %s; evsim reads Input, Output, "
                       "Affine, Linear, Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten, IF, LIF, "
                       "CubaLIF, Scale, Threshold, Delay", r->file, bad);
    H5Gclose(nodes);
    return rc;
}

/* /node/edges: an (n, 2) array of node names (variable or fixed length). */
static int read_edges(nir_rd *r, hid_t root, nir_graph *g)
{
    if (H5Lexists(root, "edges", H5P_DEFAULT) <= 0)
        return base_fail(r->err, "%s: /node/edges: missing: not a NIR graph", r->file);
    hid_t ds = H5Dopen2(root, "edges", H5P_DEFAULT);
    hid_t ft = H5Dget_type(ds), sp = H5Dget_space(ds);
    hsize_t dims[2] = {0, 0};
    int rc = 0, rank = H5Sget_simple_extent_ndims(sp);
    if (rank == 2)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    if (H5Tget_class(ft) != H5T_STRING || (rank != 2 && H5Sget_simple_extent_npoints(sp) != 0) ||
        (rank == 2 && dims[1] != 2)) {
        rc = base_fail(r->err, "%s: /node/edges: expected an (n, 2) array of node names",
                       r->file);
        goto out;
    }
    size_t n = (size_t)dims[0], fixed = H5Tis_variable_str(ft) > 0 ? 0 : H5Tget_size(ft);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, fixed ? fixed : H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft));
    char **vs = fixed ? NULL : base_calloc(2 * n + 1, sizeof *vs);
    char *fs = fixed ? base_calloc(2 * n * fixed + 1, 1) : NULL;
    g->edges = base_calloc(n + 1, sizeof *g->edges);
    if ((!vs && !fs) || !g->edges)
        rc = base_fail(r->err, "out of memory");
    else if (n && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed ? (void *)fs : vs) < 0)
        rc = base_fail(r->err, "%s: /node/edges: the names cannot be read", r->file);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int end[2];
        for (int k = 0; k < 2 && rc == 0; k++) {
            char nm[NIR_NAME_MAX];
            if (fixed)
                snprintf(nm, sizeof nm, "%.*s", (int)fixed, fs + (2 * i + k) * fixed);
            else
                snprintf(nm, sizeof nm, "%s", vs[2 * i + k] ? vs[2 * i + k] : "");
            if ((end[k] = cfg_nir_find(g, nm)) < 0)
                rc = base_fail(r->err, "%s: /node/edges[%zu]: the edge %s node '%s' is not "
                               "among /node/nodes", r->file, i, k ? "to" : "from", nm);
        }
        if (rc == 0)
            g->edges[g->n_edges++] = (nir_edge){end[0], end[1], false};
    }
    if (vs && n)
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, vs);
    base_free(vs);
    base_free(fs);
    H5Tclose(mt);
out:
    H5Tclose(ft);
    H5Sclose(sp);
    H5Dclose(ds);
    return rc;
}

static int read_graph(nir_rd *r, hid_t f, nir_graph *g)
{
    if (H5Lexists(f, "version", H5P_DEFAULT) > 0) {
        hid_t v = H5Dopen2(f, "version", H5P_DEFAULT);
        char *s = v >= 0 ? read_str_ds(v) : NULL;
        snprintf(g->version, sizeof g->version, "%s", s ? s : "");
        base_free(s);
        if (v >= 0)
            H5Dclose(v);
        if (!s)
            return base_fail(r->err, "%s: /version: expected a string (or out of memory)",
                             r->file);
    }
    if (H5Lexists(f, "node", H5P_DEFAULT) <= 0)
        return base_fail(r->err, "%s: an HDF5 file, but not NIR: no /node group", r->file);
    hid_t root = H5Gopen2(f, "node", H5P_DEFAULT);
    if (root < 0)
        return base_fail(r->err, "%s: an HDF5 file, but not NIR: /node is not a group", r->file);
    int rc = 0;
    hid_t tds = H5Lexists(root, "type", H5P_DEFAULT) > 0 ? H5Dopen2(root, "type", H5P_DEFAULT)
                                                          : -1;
    char *t = tds >= 0 ? read_str_ds(tds) : NULL;
    if (tds >= 0)
        H5Dclose(tds);
    if (!t || strcmp(t, "NIRGraph"))
        rc = base_fail(r->err, "%s: /node/type: expected NIRGraph, found %s", r->file,
                       t ? t : "none");
    base_free(t);
    if (rc == 0)
        rc = read_nodes(r, root, g);
    if (rc == 0)
        rc = read_edges(r, root, g);
    H5Gclose(root);
    return rc;
}

nir_graph *cfg_nir_load(const char *path, base_error *err)
{
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        base_fail(err, "%s: cannot open (no such file or not readable)", path);
        return NULL;
    }
    fclose(probe);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are ours to report */
    if (H5Fis_hdf5(path) <= 0) {
        base_fail(err, "%s: not an HDF5 file (a NIR file is HDF5)", path);
        return NULL;
    }
    nir_graph *g = base_calloc(1, sizeof *g);
    if (!g) {
        base_fail(err, "out of memory");
        return NULL;
    }
    snprintf(g->file, sizeof g->file, "%s", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    nir_rd r = {path, err};
    int rc = f < 0 ? base_fail(err, "%s: the HDF5 file cannot be opened", path)
                   : read_graph(&r, f, g);
    if (f >= 0)
        H5Fclose(f);
    if (rc == 0)
        rc = cfg_nir_order(g, err);
    if (rc == 0)
        rc = cfg_nir_shapes(g, err);
    if (rc != 0) {
        cfg_nir_free(g);
        return NULL;
    }
    return g;
}
