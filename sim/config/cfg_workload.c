/* cfg_workload.c -- ZigZag workloads: a list of layers, each with its
 * equation checked against its loop dims, plus evsim's spiking layers
 * (a `neuron` block and an `input_source`). Checks across layers
 * (operand_source naming a missing layer, cycles) are made here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_snn.h"

static const char *const layer_keys[] = {
    "id", "name", "operator_type", "equation", "dimension_relations", "loop_dims",
    "loop_sizes", "operand_precision", "operand_source", "padding", "pr_loop_dims",
    "pr_loop_sizes", "neuron", "input_source", "weights", "unindexed_loop_dims", NULL};

int cfg_layer_dim(const cfg_layer *l, const char *name)
{
    for (int i = 0; i < l->n_dims; i++)
        if (cfg_name_eq(l->dims[i], name))
            return i;
    return -1;
}

int cfg_layer_operand(const cfg_layer *l, const char *name)
{
    for (int i = 0; i < l->n_operands; i++)
        if (!strcmp(l->operands[i].name, name))
            return i;
    return -1;
}

uint64_t cfg_layer_macs(const cfg_layer *l)
{
    uint64_t n = 1;
    for (int i = 0; i < l->n_dims; i++)
        n *= l->sizes[i];
    return n;
}

int cfg_workload_find_id(const cfg_workload *w, int64_t id)
{
    /* Layers are usually numbered by position: try that first. */
    if (id >= 0 && id < w->n_layers && w->layers[id].id == id)
        return (int)id;
    for (int i = 0; i < w->n_layers; i++)
        if (w->layers[i].id == id)
            return i;
    return -1;
}

static int relation_of(const cfg_layer *l, const char *dim)
{
    for (int i = 0; i < l->n_relations; i++)
        if (cfg_name_eq(l->relations[i].lhs, dim))
            return i;
    return -1;
}

/* Names for "did you mean": the layer's loop dims. */
static void dim_names(const cfg_layer *l, const char **known)
{
    for (int i = 0; i < l->n_dims; i++)
        known[i] = l->dims[i];
    known[l->n_dims] = NULL;
}

static void parse_dims(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l)
{
    char kp[256], ip[256], b[96];
    cfg_node *dims = cfg_need(d, ln, path, "loop_dims");
    cfg_node *sizes = cfg_need(d, ln, path, "loop_sizes");
    if (!dims || !sizes)
        return;
    cfg_path_key(kp, sizeof kp, path, "loop_dims");
    if (!cfg_expect_seq(d, dims, kp))
        return;
    int n = cfg_seq_len(dims);
    if (n < 1 || n > CFG_MAX_LOOP_DIMS) {
        cfg_err_at(d, dims, kp, "expected 1 to %d loop dims, found %d", CFG_MAX_LOOP_DIMS, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        cfg_node *dn = cfg_seq_at(d, dims, i);
        cfg_path_idx(ip, sizeof ip, kp, i);
        if (!cfg_as_str(d, dn, ip, l->dims[i], sizeof l->dims[i]))
            continue;
        for (int j = 0; j < i; j++)
            if (cfg_name_eq(l->dims[j], l->dims[i]))
                cfg_err_at(d, dn, ip, "loop dim %s is listed twice", l->dims[i]);
    }
    l->n_dims = n;
    cfg_path_key(kp, sizeof kp, path, "loop_sizes");
    if (!cfg_expect_seq(d, sizes, kp))
        return;
    if (cfg_seq_len(sizes) != n) {
        cfg_err_at(d, sizes, kp, "expected %d sizes (one per loop dim), found %d", n,
                   cfg_seq_len(sizes));
        return;
    }
    for (int i = 0; i < n; i++)
        cfg_as_uint(d, cfg_seq_at(d, sizes, i), cfg_path_idx(ip, sizeof ip, kp, i), 1,
                    &l->sizes[i]);
    (void)b;
}

static void parse_relations(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l)
{
    char kp[256], ip[256], why[160];
    cfg_node *rel = cfg_map_get(d, ln, "dimension_relations");
    cfg_path_key(kp, sizeof kp, path, "dimension_relations");
    if (!rel || cfg_is_null(rel) || !cfg_expect_seq(d, rel, kp))
        return;
    if (cfg_seq_len(rel) > CFG_MAX_RELATIONS) {
        cfg_err_at(d, rel, kp, "expected at most %d relations", CFG_MAX_RELATIONS);
        return;
    }
    const char *known[CFG_MAX_LOOP_DIMS + 1];
    dim_names(l, known);
    for (int i = 0; i < cfg_seq_len(rel); i++) {
        cfg_node *rn = cfg_seq_at(d, rel, i);
        cfg_relation *r = &l->relations[l->n_relations];
        char b[96];
        cfg_path_idx(ip, sizeof ip, kp, i);
        if (!cfg_text(rn)) {
            cfg_err_at(d, rn, ip, "expected a relation such as ix=2*ox+1*fx, found %s",
                       cfg_describe(rn, b, sizeof b));
            continue;
        }
        if (cfg_relation_parse(cfg_text(rn), r, why, sizeof why) < 0) {
            cfg_err_at(d, rn, ip, "%s", why);
            continue;
        }
        for (int t = 0; t < r->n_terms; t++)
            if (cfg_layer_dim(l, r->dim[t]) < 0) {
                const char *s = cfg_suggest(r->dim[t], known);
                cfg_err_at(d, rn, ip, "%s is not a loop dim of this layer%s%s%s", r->dim[t],
                           s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
            }
        if (cfg_layer_dim(l, r->lhs) >= 0 || relation_of(l, r->lhs) >= 0)
            cfg_err_at(d, rn, ip, "%s is already defined (as a loop dim or by another "
                       "relation)", r->lhs);
        l->n_relations++;
    }
}

/* unindexed_loop_dims: loop dims no operand indexes, allowed when listed
 * (Stream's pools loop over C as well as K); a typo in loop_dims is still
 * caught. Marks them in used. */
static void allowed_unindexed(cfg_doc *d, const cfg_node *ln, const char *path,
                              const cfg_layer *l, const char *const *known, bool *used)
{
    char kp[256], ip[300], name[CFG_DIM_NAME_MAX];
    cfg_node *un = cfg_map_get(d, ln, "unindexed_loop_dims");
    cfg_path_key(kp, sizeof kp, path, "unindexed_loop_dims");
    if (!un || cfg_is_null(un) || !cfg_expect_seq(d, un, kp))
        return;
    for (int i = 0; i < cfg_seq_len(un); i++) {
        cfg_node *n = cfg_seq_at(d, un, i);
        cfg_path_idx(ip, sizeof ip, kp, i);
        if (!cfg_as_str(d, n, ip, name, sizeof name))
            continue;
        int k = cfg_layer_dim(l, name);
        const char *s = k < 0 ? cfg_suggest(name, known) : NULL;
        if (k >= 0)
            used[k] = true;
        else
            cfg_err_at(d, n, ip, "expected one of loop_dims, found %s%s%s%s", name,
                       s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
    }
}

static void check_equation(cfg_doc *d, const cfg_node *ln, const char *path, const cfg_node *eqn,
                           const char *kp, cfg_layer *l)
{
    const char *known[CFG_MAX_LOOP_DIMS + 1];
    dim_names(l, known);
    bool used[CFG_MAX_LOOP_DIMS] = {false};
    allowed_unindexed(d, ln, path, l, known, used);
    for (int o = 0; o < l->n_operands; o++)
        for (int i = 0; i < l->operands[o].n_idx; i++) {
            const char *ix = l->operands[o].idx[i];
            int k = cfg_layer_dim(l, ix);
            if (k >= 0) {
                used[k] = true;
                continue;
            }
            int r = relation_of(l, ix);
            if (r >= 0) {
                for (int t = 0; t < l->relations[r].n_terms; t++) {
                    int kk = cfg_layer_dim(l, l->relations[r].dim[t]);
                    if (kk >= 0)
                        used[kk] = true;
                }
                continue;
            }
            const char *s = cfg_suggest(ix, known);
            cfg_err_at(d, eqn, kp, "index %s of operand %s is neither a loop dim nor defined "
                       "by dimension_relations%s%s%s", ix, l->operands[o].name,
                       s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
        }
    for (int k = 0; k < l->n_dims; k++)
        if (!used[k])
            cfg_err_at(d, eqn, kp, "loop dim %s does not index any operand of the equation "
                       "(list it in unindexed_loop_dims if that is meant)", l->dims[k]);
}

static void parse_precision(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l)
{
    char kp[256], ip[256], fin[CFG_DIM_NAME_MAX + 8];
    cfg_node *pn = cfg_need(d, ln, path, "operand_precision");
    cfg_path_key(kp, sizeof kp, path, "operand_precision");
    if (!pn || !cfg_expect_map(d, pn, kp) || l->n_operands == 0)
        return;
    const char *known[CFG_MAX_OPERANDS + 2];
    for (int i = 0; i < l->n_operands; i++)
        known[i] = l->operands[i].name;
    snprintf(fin, sizeof fin, "%s_final", l->operands[0].name);
    known[l->n_operands] = fin;
    known[l->n_operands + 1] = NULL;
    cfg_check_keys(d, pn, kp, known);
    for (int i = 0; i < l->n_operands; i++) {
        int64_t v = 0;
        if (cfg_get_int(d, pn, kp, l->operands[i].name, true, 0, 1024, &v))
            l->operands[i].precision_bits = (int)v;
    }
    int64_t v = l->operands[0].precision_bits;
    cfg_get_int(d, pn, kp, fin, false, 0, 1024, &v);
    l->operands[0].final_precision_bits = (int)v;
    (void)ip;
}

static void parse_sources(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l,
                          const cfg_node **src_nodes)
{
    char kp[256], sp[256];
    cfg_node *sn = cfg_map_get(d, ln, "operand_source");
    cfg_path_key(kp, sizeof kp, path, "operand_source");
    if (!sn || cfg_is_null(sn) || !cfg_expect_map(d, sn, kp))
        return;
    const char *known[CFG_MAX_OPERANDS + 1];
    int nk = 0;
    for (int i = 1; i < l->n_operands; i++)
        known[nk++] = l->operands[i].name;
    known[nk] = NULL;
    cfg_check_keys(d, sn, kp, known);
    for (int i = 1; i < l->n_operands; i++) {
        cfg_node *v = cfg_map_get(d, sn, l->operands[i].name);
        if (!v)
            continue;
        if (cfg_as_int(d, v, cfg_path_key(sp, sizeof sp, kp, l->operands[i].name), 0,
                       INT64_MAX, &l->operands[i].source_layer_id)) {
            l->operands[i].has_source = true;
            src_nodes[i] = v;
        }
    }
}

static void parse_padding(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l)
{
    char kp[256], ip[256], b[96];
    cfg_node *pd = cfg_map_get(d, ln, "pr_loop_dims");
    cfg_path_key(kp, sizeof kp, path, "pr_loop_dims");
    if (pd && !cfg_is_null(pd) && cfg_expect_seq(d, pd, kp)) {
        for (int i = 0; i < cfg_seq_len(pd) && i < CFG_MAX_RELATIONS; i++) {
            cfg_node *n = cfg_seq_at(d, pd, i);
            cfg_path_idx(ip, sizeof ip, kp, i);
            if (!cfg_as_str(d, n, ip, l->pr_dims[i], sizeof l->pr_dims[i]))
                continue;
            if (relation_of(l, l->pr_dims[i]) < 0)
                cfg_err_at(d, n, ip, "expected a dim defined by dimension_relations, found %s",
                           cfg_describe(n, b, sizeof b));
            l->n_pr_dims++;
        }
    } else {
        for (int i = 0; i < l->n_relations; i++)
            strcpy(l->pr_dims[l->n_pr_dims++], l->relations[i].lhs);
    }
    cfg_node *ps = cfg_map_get(d, ln, "pr_loop_sizes");
    cfg_path_key(kp, sizeof kp, path, "pr_loop_sizes");
    if (ps && !cfg_is_null(ps) && cfg_expect_seq(d, ps, kp)) {
        if (cfg_seq_len(ps) != l->n_pr_dims)
            cfg_err_at(d, ps, kp, "expected %d sizes (one per pr dim), found %d", l->n_pr_dims,
                       cfg_seq_len(ps));
        else {
            l->has_pr_sizes = true;
            for (int i = 0; i < l->n_pr_dims; i++)
                cfg_as_uint(d, cfg_seq_at(d, ps, i), cfg_path_idx(ip, sizeof ip, kp, i), 1,
                            &l->pr_sizes[i]);
        }
    }
    cfg_node *pad = cfg_map_get(d, ln, "padding");
    cfg_path_key(kp, sizeof kp, path, "padding");
    if (!pad || cfg_is_null(pad) || !cfg_expect_seq(d, pad, kp))
        return;
    if (cfg_seq_len(pad) != l->n_pr_dims) {
        cfg_err_at(d, pad, kp, "expected %d [before, after] pairs (one per pr dim: "
                   "pr_loop_dims or dimension_relations), found %d", l->n_pr_dims,
                   cfg_seq_len(pad));
        return;
    }
    l->has_padding = true;
    for (int i = 0; i < l->n_pr_dims; i++) {
        cfg_node *pn = cfg_seq_at(d, pad, i);
        cfg_path_idx(ip, sizeof ip, kp, i);
        if (!cfg_is_seq(pn) || cfg_seq_len(pn) != 2) {
            cfg_err_at(d, pn, ip, "expected [before, after], found %s",
                       cfg_describe(pn, b, sizeof b));
            continue;
        }
        for (int k = 0; k < 2; k++) {
            char ep[280];
            cfg_as_int(d, cfg_seq_at(d, pn, k), cfg_path_idx(ep, sizeof ep, ip, k), 0,
                       1 << 20, &l->padding[i][k]);
        }
    }
}

static void parse_layer(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l,
                        const cfg_node **src_nodes)
{
    char kp[256], why[200];
    l->input_source_layer = -1;
    if (!cfg_expect_map(d, ln, path))
        return;
    cfg_check_keys(d, ln, path, layer_keys);
    cfg_get_int(d, ln, path, "id", true, 0, INT32_MAX, &l->id);
    cfg_get_str(d, ln, path, "name", false, l->name, sizeof l->name);
    cfg_get_str(d, ln, path, "operator_type", false, l->operator_type,
                sizeof l->operator_type);
    parse_dims(d, ln, path, l);
    parse_relations(d, ln, path, l);
    cfg_node *eqn = cfg_need(d, ln, path, "equation");
    cfg_path_key(kp, sizeof kp, path, "equation");
    if (eqn && cfg_as_str(d, eqn, kp, l->equation, sizeof l->equation)) {
        if (cfg_equation_parse(l->equation, l, why, sizeof why) < 0) {
            cfg_err_at(d, eqn, kp, "%s", why);
            l->n_operands = 0;
        } else if (l->n_dims > 0) {
            check_equation(d, ln, path, eqn, kp, l);
        }
    }
    parse_precision(d, ln, path, l);
    parse_sources(d, ln, path, l, src_nodes);
    parse_padding(d, ln, path, l);
    l->line = cfg_node_line(ln);
    l->col = cfg_node_col(ln);
    cfg_parse_neuron(d, ln, path, l);
    cfg_parse_weights(d, ln, path, l);
    if (!cfg_map_get(d, ln, "neuron") && cfg_map_get(d, ln, "input_source"))
        cfg_err_at(d, cfg_map_get(d, ln, "input_source"),
                   cfg_path_key(kp, sizeof kp, path, "input_source"),
                   "input_source belongs to spiking layers: expected a neuron block too");
}

/* operand_source edges (excluding a layer's own id, which marks a
 * constant) must point at layers that exist and must not loop. */
static void check_graph(cfg_doc *d, cfg_workload *w, const cfg_node *(*src)[CFG_MAX_OPERANDS])
{
    char kp[256];
    int n = w->n_layers;
    int *state = base_calloc((size_t)n + 1, sizeof *state);
    int *stack = base_calloc((size_t)n + 1, sizeof *stack), *opi = base_calloc((size_t)n + 1, sizeof *opi);
    if (!state || !stack || !opi) {
        base_free(state);
        base_free(stack);
        base_free(opi);
        cfg_err_file(d->err, d->file, "out of memory");
        return;
    }
    bool broken = false;
    for (int i = 0; i < n; i++) {
        cfg_layer *l = &w->layers[i];
        for (int o = 1; o < l->n_operands; o++)
            if (l->operands[o].has_source && cfg_workload_find_id(w, l->operands[o].source_layer_id) < 0) {
                snprintf(kp, sizeof kp, "[%d].operand_source.%s", i, l->operands[o].name);
                cfg_err_at(d, src[i][o], kp, "operand %s of layer %lld comes from layer %lld, "
                           "which does not exist", l->operands[o].name, (long long)l->id,
                           (long long)l->operands[o].source_layer_id);
                broken = true;
            }
    }
    /* Iterative DFS colouring: 0 new, 1 on the stack, 2 done. */
    for (int s = 0; s < n && !broken; s++) {
        if (state[s])
            continue;
        int top = 0;   /* a node is on the stack at most once: top <= n */
        stack[top] = s;
        opi[top++] = 1;
        state[s] = 1;
        while (top > 0) {
            int u = stack[top - 1];
            cfg_layer *l = &w->layers[u];
            if (opi[top - 1] >= l->n_operands) {
                state[u] = 2;
                top--;
                continue;
            }
            int o = opi[top - 1]++;
            if (!l->operands[o].has_source || l->operands[o].source_layer_id == l->id)
                continue;
            int v = cfg_workload_find_id(w, l->operands[o].source_layer_id);
            if (state[v] == 1) {
                char chain[256] = "";
                int from = top - 1;
                while (from > 0 && stack[from] != v)
                    from--;
                for (int k = from; k < top; k++)
                    snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%lld -> ",
                             (long long)w->layers[stack[k]].id);
                snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%lld",
                         (long long)w->layers[v].id);
                snprintf(kp, sizeof kp, "[%d].operand_source.%s", u, l->operands[o].name);
                cfg_err_at(d, src[u][o], kp, "operand_source forms a cycle of layers "
                           "(consumer -> producer): %s", chain);
                broken = true;
                break;
            }
            if (state[v] == 0) {
                state[v] = 1;
                stack[top] = v;
                opi[top++] = 1;
            }
        }
    }
    base_free(state);
    base_free(stack);
    base_free(opi);
}

/* ---- shapes that chain ---------------------------------------------------
 * A consumer's input operand must be what its producer makes. Per index
 * of the operand: a loop dim reads its size; a pr dim (IX) with a
 * relation ix = s*ox + d*fx reads s*(OX-1) + d*(FX-1) + 1, less its
 * padding (pr_loop_sizes when there is no relation). Index by index
 * against the producer's output, which may exceed what is read by less
 * than the stride (the floor of a strided window: up to s - 1 rows are
 * never read), size-1 indices left out (a group of one); or else, a
 * flatten or reshape (a dense layer after a convolution, a converted
 * network's 1x1 view), equal totals. */
typedef struct {
    int n;
    uint64_t ext[CFG_MAX_INDICES];
    uint64_t slack[CFG_MAX_INDICES]; /* stride - 1 */
    bool known;
} shape;

static int64_t pr_extent(const cfg_layer *l, const char *idx, uint64_t *slack, bool *known)
{
    int r = -1;
    for (int i = 0; i < l->n_pr_dims; i++)
        if (cfg_name_eq(l->pr_dims[i], idx))
            r = i;
    const cfg_relation *rel = NULL;
    for (int i = 0; i < l->n_relations; i++)
        if (cfg_name_eq(l->relations[i].lhs, idx))
            rel = &l->relations[i];
    int64_t e = 1;
    *slack = 0;
    if (rel) {
        for (int t = 0; t < rel->n_terms; t++) {
            int d = cfg_layer_dim(l, rel->dim[t]);
            if (d < 0) {
                *known = false;
                return 0;
            }
            e += rel->coef[t] * ((int64_t)l->sizes[d] - 1);
            if (t == 0 && rel->coef[t] > 1)
                *slack = (uint64_t)rel->coef[t] - 1;
        }
    } else if (r >= 0 && l->has_pr_sizes) {
        e = (int64_t)l->pr_sizes[r];
    } else {
        *known = false;
        return 0;
    }
    if (r >= 0 && l->has_padding)
        e -= l->padding[r][0] + l->padding[r][1];
    return e;
}

static shape operand_shape(const cfg_layer *l, int o)
{
    const cfg_operand *op = &l->operands[o];
    shape s = {.n = op->n_idx, .known = true};
    for (int i = 0; i < op->n_idx && s.known; i++) {
        int d = cfg_layer_dim(l, op->idx[i]);
        if (d >= 0) {
            s.ext[i] = l->sizes[d];
            continue;
        }
        int64_t e = pr_extent(l, op->idx[i], &s.slack[i], &s.known);
        if (e < 1)
            s.known = false;
        s.ext[i] = e > 0 ? (uint64_t)e : 0;
    }
    return s;
}

static void shape_str(const shape *s, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < s->n && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, i ? "x%llu" : "%llu", (unsigned long long)s->ext[i]);
}

/* The shape without its size-1 indices (a group or batch of one). */
static shape squeeze(const shape *s)
{
    shape o = {.known = s->known};
    for (int i = 0; i < s->n; i++)
        if (s->ext[i] != 1 || s->slack[i]) {
            o.ext[o.n] = s->ext[i];
            o.slack[o.n++] = s->slack[i];
        }
    return o;
}

static bool shapes_chain(const shape *need_in, const shape *made_in)
{
    shape ns = squeeze(need_in), ms = squeeze(made_in);
    const shape *need = &ns, *made = &ms;
    uint64_t tn = 1, tm = 1;
    for (int i = 0; i < need->n; i++)
        tn *= need->ext[i];
    for (int i = 0; i < made->n; i++)
        tm *= made->ext[i];
    bool each = need->n == made->n;
    for (int i = 0; each && i < need->n; i++)
        each = made->ext[i] >= need->ext[i] && made->ext[i] - need->ext[i] <= need->slack[i];
    return each || tn == tm;
}

static void check_shapes(cfg_doc *d, const cfg_workload *w,
                         const cfg_node *(*src)[CFG_MAX_OPERANDS])
{
    char kp[256], a[128], b[128];
    for (int i = 0; i < w->n_layers; i++) {
        const cfg_layer *l = &w->layers[i];
        /* Spiking layers are wired by input_source, whose shapes the
         * event-driven checks compare (cfg_snn.c, snn_plan.c). */
        if (l->neuron.model != CFG_NEURON_NONE)
            continue;
        for (int o = 1; o < l->n_operands; o++) {
            const cfg_operand *op = &l->operands[o];
            if (!op->has_source || op->source_layer_id == l->id)
                continue;
            int j = cfg_workload_find_id(w, op->source_layer_id);
            const cfg_layer *pl = j >= 0 ? &w->layers[j] : NULL;
            if (!pl || pl->n_operands == 0)
                continue;
            shape need = operand_shape(l, o), made = operand_shape(pl, 0);
            if (!need.known || !made.known || shapes_chain(&need, &made))
                continue;
            shape_str(&need, a, sizeof a);
            shape_str(&made, b, sizeof b);
            snprintf(kp, sizeof kp, "[%d].operand_source.%s", i, op->name);
            cfg_err_at(d, src[i][o], kp,
                       "layer %lld (%s) reads %s %s from layer %lld (%s), which makes %s "
                       "(with the reader's relations, strides and padding)",
                       (long long)l->id, l->name, op->name, a, (long long)pl->id, pl->name, b);
        }
    }
}

/* Every input_source entry names the trace (input, at most once per
 * layer) or a layer: an earlier one, or the layer itself or a later one
 * (recurrent). */
static void check_inputs(cfg_doc *d, const cfg_node *root, cfg_workload *w)
{
    char kp[256];
    for (int i = 0; i < w->n_layers; i++) {
        cfg_layer *l = &w->layers[i];
        if (l->neuron.model == CFG_NEURON_NONE)
            continue;
        cfg_node *v = cfg_map_get(d, cfg_seq_at(d, root, i), "input_source");
        for (int k = 0; k < l->n_sources; k++) {
            cfg_node *e = cfg_is_seq(v) ? cfg_seq_at(d, v, k) : v;
            l->source_layer[k] = -1;
            if (!strcmp(l->sources[k], "input"))
                continue;
            for (int j = 0; j < w->n_layers; j++)
                if (!strcmp(w->layers[j].name, l->sources[k]))
                    l->source_layer[k] = j;
            if (l->source_layer[k] < 0) {
                if (cfg_is_seq(v))
                    snprintf(kp, sizeof kp, "[%d].input_source[%d]", i, k);
                else
                    snprintf(kp, sizeof kp, "[%d].input_source", i);
                cfg_err_at(d, e, kp, "expected 'input' (the scenario's input trace) or the "
                           "name of a layer, found '%s'", l->sources[k]);
            } else if (l->source_layer[k] == i && l->n_sources == 1) {
                snprintf(kp, sizeof kp, "[%d].input_source", i);
                cfg_err_at(d, e, kp, "a layer fed only by itself never receives input: "
                           "expected input or another layer (a recurrent layer lists "
                           "itself beside its source: [src, %s])", l->name);
            }
        }
        l->input_source_layer = l->n_sources > 0 ? l->source_layer[0] : -1;
    }
}

/* Mappings, traces and reports refer to layers by name: two layers of one
 * name would make those references ambiguous. Unnamed layers are fine. */
static void check_unique_name(cfg_doc *d, const cfg_node *ln, const char *path,
                              const cfg_workload *w, int i)
{
    const cfg_layer *l = &w->layers[i];
    if (!l->name[0])
        return;
    for (int j = 0; j < i; j++)
        if (!strcmp(w->layers[j].name, l->name)) {
            cfg_err_at(d, cfg_map_get(d, ln, "name"), path,
                       "layer name '%s' (id %lld) is already used by layer [%d] (id %lld): "
                       "expected unique layer names", l->name, (long long)l->id, j,
                       (long long)w->layers[j].id);
            return;
        }
}

static void *parse_workload_doc(cfg_doc *d, const cfg_node *root, void *arg)
{
    (void)arg;
    char ip[64];
    if (!cfg_is_seq(root)) {
        char b[96];
        cfg_err_at(d, root, NULL, "expected a workload: a list of layers (- id: 0 ...), "
                   "found %s", cfg_describe(root, b, sizeof b));
        return NULL;
    }
    int n = cfg_seq_len(root);
    if (n > CFG_MAX_LIST) {
        cfg_err_at(d, root, NULL, "expected at most %d layers, found %d", CFG_MAX_LIST, n);
        return NULL;
    }
    cfg_workload *w = base_calloc(1, sizeof *w);
    const cfg_node *(*src)[CFG_MAX_OPERANDS] = base_calloc((size_t)n + 1, sizeof *src);
    if (w)
        w->layers = base_calloc((size_t)n + 1, sizeof *w->layers);
    if (!w || !src || !w->layers) {
        cfg_err_file(d->err, d->file, "out of memory");
        base_free(src);
        cfg_workload_free(w);
        return NULL;
    }
    if (n == 0)
        cfg_err_at(d, root, NULL, "expected at least one layer, found an empty list");
    w->n_layers = n;
    for (int i = 0; i < n; i++) {
        cfg_path_idx(ip, sizeof ip, "", i);
        parse_layer(d, cfg_seq_at(d, root, i), ip, &w->layers[i], src[i]);
        for (int j = 0; j < i; j++)
            if (w->layers[j].id == w->layers[i].id)
                cfg_err_at(d, cfg_map_get(d, cfg_seq_at(d, root, i), "id"), ip,
                           "layer id %lld is used twice (first by layer [%d])",
                           (long long)w->layers[i].id, j);
        check_unique_name(d, cfg_seq_at(d, root, i), ip, w, i);
    }
    if (!cfg_doc_failed(d))
        check_graph(d, w, src);
    if (!cfg_doc_failed(d))
        check_shapes(d, w, src);
    check_inputs(d, root, w);
    base_free(src);
    if (cfg_doc_failed(d)) {
        cfg_workload_free(w);
        return NULL;
    }
    return w;
}

cfg_workload *cfg_workload_load_file(const char *path, base_errors *err)
{
    return cfg_load_path(path, err, parse_workload_doc, NULL);
}

cfg_workload *cfg_workload_load_string(const char *text, size_t len, const char *display_name,
                                       base_errors *err)
{
    return cfg_load_text(text, len, display_name, err, parse_workload_doc, NULL);
}

void cfg_workload_free(cfg_workload *w)
{
    if (!w)
        return;
    for (int i = 0; w->layers && i < w->n_layers; i++) {
        base_free(w->layers[i].weights.data);
        base_free(w->layers[i].weights.bias_data);
        for (int k = 0; k < CFG_MAX_SOURCES; k++)
            base_free(w->layers[i].source_weights[k].data);
    }
    base_free(w->layers);
    base_free(w->passes);
    base_free(w);
}

const cfg_node_ref *cfg_workload_find_pass(const cfg_workload *w, int64_t id)
{
    for (int i = 0; w && i < w->n_passes; i++)
        if (w->passes[i].id == id)
            return &w->passes[i];
    return NULL;
}
