/* cfg_mapping.c -- ZigZag/Stream mappings: a list of entries keyed by a
 * layer name, an operator_type, or `default`. Spatial unrollings and
 * tilings are accepted in every spelling users have: `D1: [K, 8]`,
 * `D1: ["K, 8"]`, `D1:\n  - K, 8`, and `- K, *` / `[K, all]` tilings. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_yaml.h"

static const char *const entry_keys[] = {
    "name", "spatial_mapping", "memory_operand_links", "temporal_ordering",
    "spatial_mapping_hint", "core_allocation", "core_allocation_is_fixed",
    "intra_core_tiling", "inter_core_tiling", "weights_in", NULL};

/* "K, 8" / "K, *" / "K, all" -> loop. allow_all: `*`/`all` accepted. */
static bool parse_pair_text(const char *t, cfg_loop *out, bool allow_all)
{
    const char *comma = strchr(t, ',');
    if (!comma)
        return false;
    size_t n = (size_t)(comma - t);
    while (n && t[n - 1] == ' ')
        n--;
    while (n && *t == ' ') {
        t++;
        n--;
    }
    if (!n || n >= sizeof out->dim)
        return false;
    memcpy(out->dim, t, n);
    out->dim[n] = '\0';
    const char *v = comma + 1;
    while (*v == ' ')
        v++;
    char val[32];
    snprintf(val, sizeof val, "%s", v);
    for (char *e = val + strlen(val); e > val && e[-1] == ' ';)
        *--e = '\0';
    if (allow_all && (!strcmp(val, "*") || !strcmp(val, "all"))) {
        out->factor = val[0] == '*' ? CFG_FACTOR_STAR : CFG_FACTOR_ALL;
        return true;
    }
    if (!*val || strspn(val, "0123456789") != strlen(val) || strlen(val) > 15)
        return false;
    out->factor = strtoull(val, NULL, 10);
    return out->factor >= 1;
}

/* One loop given as "K, 8" or as the two-item list [K, 8]. */
static bool parse_loop(cfg_doc *d, const cfg_node *n, const char *path, bool allow_all,
                       cfg_loop *out)
{
    char b[96], buf[96];
    bool ok = false;
    if (cfg_text(n)) {
        ok = parse_pair_text(cfg_text(n), out, allow_all);
    } else if (cfg_is_seq(n) && cfg_seq_len(n) == 2) {
        const char *a = cfg_text(cfg_seq_at(d, n, 0)), *v = cfg_text(cfg_seq_at(d, n, 1));
        if (a && v) {
            snprintf(buf, sizeof buf, "%s, %s", a, v);
            ok = parse_pair_text(buf, out, allow_all);
        }
    } else if (allow_all && cfg_is_map(n) && cfg_map_len(n) == 2) {
        /* Newer Stream files: {dim: K, split: 4} (a number of parts). */
        const char *a = cfg_text(cfg_map_get(d, n, "dim"));
        const char *v = cfg_text(cfg_map_get(d, n, "split"));
        if (a && v) {
            snprintf(buf, sizeof buf, "%s, %s", a, v);
            ok = parse_pair_text(buf, out, allow_all);
        }
    }
    out->line = (int)n->start_mark.line + 1;
    out->col = (int)n->start_mark.column + 1;
    if (!ok)
        cfg_err_at(d, n, path, "expected 'DIM, FACTOR' (e.g. K, 8%s), found %s",
                   allow_all ? "; FACTOR may be * or all; or {dim: K, split: 8}" : "",
                   cfg_describe(n, b, sizeof b));
    return ok;
}

/* Shared with the core loader (a core's dataflows have this form). */
void cfg_parse_spatial(cfg_doc *d, const cfg_node *sm, const char *path, cfg_spatial *arr,
                       int *n_out)
{
    char kp[256], ip[300];
    if (!cfg_expect_map(d, sm, path))
        return;
    int n = cfg_map_len(sm);
    if (n > CFG_MAX_OA_DIMS) {
        cfg_err_at(d, sm, path, "expected at most %d dimensions, found %d", CFG_MAX_OA_DIMS, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        cfg_node *kn = cfg_map_key(d, sm, i), *v = cfg_map_val(d, sm, i);
        cfg_spatial *s = &arr[*n_out];
        char b[96];
        if (!cfg_as_str(d, kn, path, s->oa_dim, sizeof s->oa_dim))
            continue;
        cfg_path_key(kp, sizeof kp, path, s->oa_dim);
        s->line = (int)kn->start_mark.line + 1;
        s->col = (int)kn->start_mark.column + 1;
        (*n_out)++;
        cfg_loop lp;
        if (cfg_text(v)) {   /* D1: "K, 8" */
            if (parse_loop(d, v, kp, false, &lp)) {
                strcpy(s->unrolls[0].dim, lp.dim);
                s->unrolls[0].factor = lp.factor;
                s->n_unrolls = 1;
            }
            continue;
        }
        if (!cfg_expect_seq(d, v, kp))
            continue;
        int m = cfg_seq_len(v);
        /* [K, 8] (and [K, 4, C, 2]): alternating names and factors. */
        bool flat = m >= 2 && m % 2 == 0;
        for (int j = 0; flat && j < m; j++) {
            const char *t = cfg_text(cfg_seq_at(d, v, j));
            flat = t && !strchr(t, ',');
        }
        int items = flat ? m / 2 : m;
        if (items > CFG_MAX_UNROLLS) {
            cfg_err_at(d, v, kp, "expected at most %d unrolled dims, found %d",
                       CFG_MAX_UNROLLS, items);
            continue;
        }
        for (int j = 0; j < items; j++) {
            cfg_path_idx(ip, sizeof ip, kp, j);
            bool ok;
            if (flat) {
                char buf[96];
                snprintf(buf, sizeof buf, "%s, %s", cfg_text(cfg_seq_at(d, v, 2 * j)),
                         cfg_text(cfg_seq_at(d, v, 2 * j + 1)));
                ok = parse_pair_text(buf, &lp, false);
                if (!ok)
                    cfg_err_at(d, cfg_seq_at(d, v, 2 * j), ip, "expected DIM, FACTOR (e.g. "
                               "[K, 8]), found '%.60s'", buf);
            } else {
                ok = parse_loop(d, cfg_seq_at(d, v, j), ip, false, &lp);
            }
            if (!ok)
                continue;
            strcpy(s->unrolls[s->n_unrolls].dim, lp.dim);
            s->unrolls[s->n_unrolls++].factor = lp.factor;
        }
        (void)b;
    }
}

static void parse_loops(cfg_doc *d, const cfg_node *entry, const char *path, const char *key,
                        int cap, cfg_loop *out, int *n_out)
{
    char kp[256], ip[300];
    cfg_node *v = cfg_map_get(d, entry, key);
    cfg_path_key(kp, sizeof kp, path, key);
    if (!v || cfg_is_null(v) || !cfg_expect_seq(d, v, kp))
        return;
    int n = cfg_seq_len(v);
    if (n > cap) {
        cfg_err_at(d, v, kp, "expected at most %d entries, found %d", cap, n);
        return;
    }
    for (int i = 0; i < n; i++)
        if (parse_loop(d, cfg_seq_at(d, v, i), cfg_path_idx(ip, sizeof ip, kp, i), true,
                       &out[*n_out]))
            (*n_out)++;
}

/* weights_in: a chip memory's name (checked against the chip later,
 * cfg_check_weights_in), with its position. */
static void parse_weights_in(cfg_doc *d, const cfg_node *en, const char *path,
                             cfg_map_entry *e)
{
    cfg_node *wi = cfg_map_get(d, en, "weights_in");
    if (wi && !cfg_is_null(wi) &&
        cfg_get_str(d, en, path, "weights_in", false, e->weights_in, sizeof e->weights_in)) {
        e->weights_in_line = (int)wi->start_mark.line + 1;
        e->weights_in_col = (int)wi->start_mark.column + 1;
    }
}

static void parse_entry(cfg_doc *d, const cfg_node *en, const char *path, cfg_map_entry *e)
{
    char kp[256], ip[300], b[96];
    if (!cfg_expect_map(d, en, path))
        return;
    e->line = (int)en->start_mark.line + 1;
    e->col = (int)en->start_mark.column + 1;
    cfg_check_keys(d, en, path, entry_keys);
    cfg_get_str(d, en, path, "name", true, e->name, sizeof e->name);
    cfg_node *sm = cfg_map_get(d, en, "spatial_mapping");
    if (sm && !cfg_is_null(sm))
        cfg_parse_spatial(d, sm, cfg_path_key(kp, sizeof kp, path, "spatial_mapping"), e->spatial,
                          &e->n_spatial);
    cfg_node *hint = cfg_map_get(d, en, "spatial_mapping_hint");
    if (hint && !cfg_is_null(hint))
        cfg_expect_map(d, hint, cfg_path_key(kp, sizeof kp, path, "spatial_mapping_hint"));

    cfg_node *ln = cfg_map_get(d, en, "memory_operand_links");
    cfg_path_key(kp, sizeof kp, path, "memory_operand_links");
    if (ln && !cfg_is_null(ln) && cfg_expect_map(d, ln, kp)) {
        e->has_links = true;
        for (int i = 0; i < cfg_map_len(ln) && e->n_links < CFG_MAX_OPERANDS; i++) {
            cfg_node *k = cfg_map_key(d, ln, i), *v = cfg_map_val(d, ln, i);
            if (!cfg_as_str(d, k, kp, e->link_operand[e->n_links], CFG_DIM_NAME_MAX))
                continue;
            cfg_path_key(ip, sizeof ip, kp, e->link_operand[e->n_links]);
            int mop = cfg_text(v) ? cfg_mem_operand_from_name(cfg_text(v)) : -1;
            if (mop < 0) {
                cfg_err_at(d, v, ip, "expected a memory operand I1, I2 or O, found %s",
                           cfg_describe(v, b, sizeof b));
                continue;
            }
            for (int j = 0; j < e->n_links; j++)
                if (!strcmp(e->link_operand[j], e->link_operand[e->n_links]))
                    cfg_err_at(d, k, ip, "operand %s is linked twice", e->link_operand[j]);
            e->link_mem[e->n_links++] = mop;
        }
        if (cfg_map_len(ln) > CFG_MAX_OPERANDS)
            cfg_err_at(d, ln, kp, "expected at most %d links", CFG_MAX_OPERANDS);
    } else {
        static const char *const lo[] = {"O", "W", "I"};
        static const cfg_mem_operand lm[] = {CFG_MOP_O, CFG_MOP_I2, CFG_MOP_I1};
        for (int i = 0; i < 3; i++) {
            strcpy(e->link_operand[i], lo[i]);
            e->link_mem[i] = lm[i];
        }
        e->n_links = 3;
    }

    parse_loops(d, en, path, "temporal_ordering", CFG_MAX_ORDER, e->order, &e->n_order);
    parse_loops(d, en, path, "intra_core_tiling", CFG_MAX_TILING, e->intra_tiling, &e->n_intra);
    parse_loops(d, en, path, "inter_core_tiling", CFG_MAX_TILING, e->inter_tiling, &e->n_inter);

    cfg_node *ca = cfg_map_get(d, en, "core_allocation");
    cfg_path_key(kp, sizeof kp, path, "core_allocation");
    /* Newer Stream files wrap the list in a list of alternatives; one
     * alternative is the same thing, several are a search evsim does not do. */
    if (cfg_is_seq(ca) && cfg_seq_len(ca) >= 1 && cfg_is_seq(cfg_seq_at(d, ca, 0))) {
        if (cfg_seq_len(ca) > 1)
            cfg_err_at(d, ca, kp, "expected one list of core ids, found %d alternative "
                       "allocations (a search over allocations is not supported)",
                       cfg_seq_len(ca));
        ca = cfg_seq_at(d, ca, 0);
    }
    if (ca && !cfg_is_null(ca)) {
        e->core_alloc_line = (int)ca->start_mark.line + 1;
        e->core_alloc_col = (int)ca->start_mark.column + 1;
        if (cfg_is_scalar(ca)) {
            if (cfg_as_int(d, ca, kp, 0, INT32_MAX, &e->core_alloc[0]))
                e->n_core_alloc = 1;
        } else if (cfg_expect_seq(d, ca, kp)) {
            int n = cfg_seq_len(ca);
            if (n == 0)
                cfg_err_at(d, ca, kp, "expected at least one core id, found an empty list, "
                           "which leaves the layer on no core (leave the key out for any core)");
            if (n > CFG_MAX_CORE_ALLOC)
                cfg_err_at(d, ca, kp, "expected at most %d cores, found %d",
                           CFG_MAX_CORE_ALLOC, n);
            for (int i = 0; i < n && i < CFG_MAX_CORE_ALLOC; i++)
                if (cfg_as_int(d, cfg_seq_at(d, ca, i), cfg_path_idx(ip, sizeof ip, kp, i), 0,
                               INT32_MAX, &e->core_alloc[e->n_core_alloc]))
                    e->n_core_alloc++;
        }
    }
    cfg_get_bool(d, en, path, "core_allocation_is_fixed", false, &e->core_alloc_fixed);
    parse_weights_in(d, en, path, e);
}

/* A dense layer's weights (a constant operand named W): precision x the
 * sizes of the dims it indexes; 0 for a layer without. */
static uint64_t layer_weight_bits(const cfg_layer *l)
{
    for (int op = 1; op < l->n_operands; op++) {
        const cfg_operand *o = &l->operands[op];
        if ((o->has_source && o->source_layer_id != l->id) || strcmp(o->name, "W"))
            continue;
        uint64_t n = o->precision_bits > 0 ? (uint64_t)o->precision_bits : 0;
        for (int i = 0; i < o->n_idx; i++) {
            int d = cfg_layer_dim(l, o->idx[i]);
            n *= d >= 0 ? l->sizes[d] : 1;
        }
        return n;
    }
    return 0;
}

/* The weights weights_in puts in each memory fit it: the first entry
 * whose layers overflow it gets the message. */
static int check_weights_fit(const cfg_mapping *m, const char *mapping_file,
                             const cfg_workload *w, const cfg_chip *c, base_errors *err)
{
    for (int j = 0; j < c->n_memories; j++) {
        uint64_t used = 0;
        for (int i = 0; i < w->n_layers; i++) {
            const cfg_layer *l = &w->layers[i];
            const cfg_map_entry *e = l->neuron.model == CFG_NEURON_NONE
                                         ? cfg_mapping_find(m, l) : NULL;
            if (!e || strcmp(e->weights_in, c->memories[j].name))
                continue;
            used += layer_weight_bits(l);
            if (used > c->memories[j].size_bits) {
                cfg_err_pos(err, mapping_file, e->weights_in_line, e->weights_in_col,
                            "weights_in: memory %s holds %llu bits, too few for the weights "
                            "placed in it (%llu bits up to layer %s, id %lld)",
                            c->memories[j].name, (unsigned long long)c->memories[j].size_bits,
                            (unsigned long long)used, l->name[0] ? l->name : "(unnamed)",
                            (long long)l->id);
                return -1;
            }
        }
    }
    return 0;
}

int cfg_check_weights_in(const cfg_mapping *m, const char *mapping_file, const cfg_workload *w,
                         const cfg_chip *c, base_errors *err)
{
    int bad = 0;
    for (int i = 0; i < m->n_entries; i++) {
        const cfg_map_entry *e = &m->entries[i];
        if (!e->weights_in[0])
            continue;
        int found = 0;
        for (int j = 0; j < c->n_memories; j++)
            found |= !strcmp(c->memories[j].name, e->weights_in);
        if (found)
            continue;
        char names[256] = "";
        for (int j = 0, at = 0; j < c->n_memories && at >= 0 && at < (int)sizeof names; j++)
            at += snprintf(names + at, sizeof names - (size_t)at, "%s%s", j ? ", " : "",
                           c->memories[j].name);
        cfg_err_pos(err, mapping_file, e->weights_in_line, e->weights_in_col,
                    "[%d].weights_in: '%s' names no memory of chip %s (its memories: %s)", i,
                    e->weights_in, c->name, c->n_memories ? names : "none");
        bad = -1;
    }
    return bad ? bad : check_weights_fit(m, mapping_file, w, c, err);
}

static void *parse_mapping_doc(cfg_doc *d, const cfg_node *root, void *arg)
{
    (void)arg;
    char ip[64], b[96];
    /* Newer Stream files: {layers: [entries], fused_groups: [...]}. */
    if (cfg_is_map(root) && cfg_map_get(d, root, "layers")) {
        static const char *const top_keys[] = {"layers", "fused_groups", NULL};
        cfg_check_keys(d, root, "", top_keys);
        cfg_node *fg = cfg_map_get(d, root, "fused_groups");
        if (fg && !cfg_is_null(fg))
            cfg_err_at(d, fg, "fused_groups", "layer fusion groups are not supported by "
                       "evsim: expected per-layer entries only");
        root = cfg_map_get(d, root, "layers");
    }
    if (!cfg_is_seq(root)) {
        cfg_err_at(d, root, NULL, "expected a mapping file: a list of entries (- name: "
                   "default ...), found %s", cfg_describe(root, b, sizeof b));
        return NULL;
    }
    int n = cfg_seq_len(root);
    if (n > CFG_MAX_LIST) {
        cfg_err_at(d, root, NULL, "expected at most %d entries, found %d", CFG_MAX_LIST, n);
        return NULL;
    }
    cfg_mapping *m = base_calloc(1, sizeof *m);
    if (m)
        m->entries = base_calloc((size_t)n + 1, sizeof *m->entries);
    if (!m || !m->entries) {
        cfg_err_file(d->err, d->file, "out of memory");
        cfg_mapping_free(m);
        return NULL;
    }
    if (n == 0)
        cfg_err_at(d, root, NULL, "expected at least one mapping entry, found an empty list");
    m->n_entries = n;
    for (int i = 0; i < n; i++) {
        cfg_node *en = cfg_seq_at(d, root, i);
        cfg_path_idx(ip, sizeof ip, "", i);
        parse_entry(d, en, ip, &m->entries[i]);
        for (int j = 0; j < i; j++)
            if (m->entries[i].name[0] && !strcmp(m->entries[j].name, m->entries[i].name))
                cfg_err_at(d, cfg_map_get(d, en, "name"), ip, "entry name '%s' is used twice "
                           "(first by entry [%d])", m->entries[i].name, j);
    }
    if (cfg_doc_failed(d)) {
        cfg_mapping_free(m);
        return NULL;
    }
    return m;
}

cfg_mapping *cfg_mapping_load_file(const char *path, base_errors *err)
{
    return cfg_load_path(path, err, parse_mapping_doc, NULL);
}

cfg_mapping *cfg_mapping_load_string(const char *text, size_t len, const char *display_name,
                                     base_errors *err)
{
    return cfg_load_text(text, len, display_name, err, parse_mapping_doc, NULL);
}

void cfg_mapping_free(cfg_mapping *m)
{
    if (!m)
        return;
    base_free(m->entries);
    base_free(m);
}

const cfg_map_entry *cfg_mapping_find(const cfg_mapping *m, const cfg_layer *l)
{
    const cfg_map_entry *by_type = NULL, *def = NULL;
    for (int i = 0; i < m->n_entries; i++) {
        const cfg_map_entry *e = &m->entries[i];
        if (l->name[0] && !strcmp(e->name, l->name))
            return e;
        if (!by_type && l->operator_type[0] && !strcmp(e->name, l->operator_type))
            by_type = e;
        if (!def && !strcmp(e->name, "default"))
            def = e;
    }
    return by_type ? by_type : def;
}
