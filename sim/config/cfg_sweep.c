/* cfg_sweep.c -- the sweep file (cfg_sweep.h): base scenario, parameters
 * with their values as flow YAML text, combine mode, excludes, mapper. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_sweep.h"
#include "config/cfg_yaml.h"

static const char *const sweep_keys[] = {"name", "base", "combine", "parameters", "exclude",
                                         "mapper", NULL};
static const char *const mapper_keys[] = {"criterion", "lpf_limit", NULL};

/* A node as flow YAML text (the form spliced into a scenario's file). */
static void flow_text(cfg_doc *d, const cfg_node *n, char *out, size_t cap, int depth)
{
    size_t o = 0;
    out[0] = '\0';
    if (depth > 16 || cap < 4)
        return;
    if (cfg_is_scalar(n)) {
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            !strpbrk(cfg_text(n), ",[]{}#"))
            snprintf(out, cap, "%s", cfg_text(n));
        else
            cfg_yaml_quote(cfg_text(n), out, cap);
        return;
    }
    bool seq = cfg_is_seq(n);
    int len = seq ? cfg_seq_len(n) : cfg_map_len(n);
    out[o++] = seq ? '[' : '{';
    for (int i = 0; i < len && o + 4 < cap; i++) {
        char item[512];
        if (i)
            o += (size_t)snprintf(out + o, cap - o, ", ");
        if (!seq) {
            flow_text(d, cfg_map_key(d, n, i), item, sizeof item, depth + 1);
            o += (size_t)snprintf(out + o, cap - o, "%s: ", item);
            if (o >= cap)
                break;
        }
        flow_text(d, seq ? cfg_seq_at(d, n, i) : cfg_map_val(d, n, i), item, sizeof item,
                  depth + 1);
        o += (size_t)snprintf(out + o, cap - o, "%s", item);
    }
    if (o + 2 > cap)
        o = cap - 2;
    out[o++] = seq ? ']' : '}';
    out[o] = '\0';
}

/* A group value: its label and the key paths it sets. */
static int add_group_value(cfg_doc *d, const cfg_node *m, const char *kp, cfg_sweep_sets *g,
                           char **label)
{
    char buf[1024];
    const cfg_node *l = cfg_map_get(d, m, "label");
    flow_text(d, l, buf, sizeof buf, 0);
    if (!(*label = base_strdup(buf)))
        return -1;
    if (!cfg_is_scalar(l) || !buf[0])
        cfg_err_at(d, l, kp, "expected label: a name for this value of the group");
    int n = cfg_map_len(m);
    if (!(g->items = base_calloc((size_t)n + 1, sizeof *g->items)))
        return -1;
    for (int j = 0; j < n; j++) {
        const char *k = cfg_text(cfg_map_key(d, m, j));
        const cfg_node *v = cfg_map_val(d, m, j);
        if (!k || !strcmp(k, "label"))
            continue;
        cfg_sweep_set *it = &g->items[g->n++];
        flow_text(d, v, buf, sizeof buf, 0);
        if (!(it->key = base_strdup(k)) || !(it->value = base_strdup(buf)))
            return -1;
        it->cls = cfg_ypath_class(v);
        it->line = (uint32_t)v->start_mark.line + 1;
        it->col = (uint32_t)v->start_mark.column + 1;
    }
    if (g->n == 0)
        cfg_err_at(d, m, kp, "expected key paths to set besides the label, found none");
    return 0;
}

static int add_values(cfg_doc *d, const cfg_node *list, cfg_sweep_param *p)
{
    int n = cfg_seq_len(list);
    p->values = base_calloc((size_t)n + 1, sizeof *p->values);
    p->vcls = base_calloc((size_t)n + 1, 1);
    p->vline = base_calloc((size_t)n + 1, sizeof *p->vline);
    p->vcol = base_calloc((size_t)n + 1, sizeof *p->vcol);
    if (!p->values || !p->vcls || !p->vline || !p->vcol)
        return -1;
    const cfg_node *v0 = cfg_seq_at(d, list, 0);
    if (cfg_is_map(v0) && cfg_map_get(d, v0, "label") &&
        !(p->sets = base_calloc((size_t)n + 1, sizeof *p->sets)))
        return -1;
    for (int i = 0; i < n; i++) {
        const cfg_node *v = cfg_seq_at(d, list, i);
        char buf[1024], kp[CFG_SWEEP_KEY_MAX + 32];
        p->n_values = i + 1; /* counted before it is filled: freed either way */
        snprintf(kp, sizeof kp, "parameters.%s[%d]", p->key, i);
        if (p->sets && !cfg_is_map(v)) {
            cfg_err_at(d, v, kp, "expected a mapping with a label, as the group's first value");
            return 0;
        }
        if (p->sets) {
            if (add_group_value(d, v, kp, &p->sets[i], &p->values[i]))
                return -1;
        } else {
            flow_text(d, v, buf, sizeof buf, 0);
            if (!(p->values[i] = base_strdup(buf)))
                return -1;
        }
        p->vcls[i] = cfg_ypath_class(v);
        p->vline[i] = (uint32_t)v->start_mark.line + 1;
        p->vcol[i] = (uint32_t)v->start_mark.column + 1;
    }
    return 0;
}

static void parse_params(cfg_doc *d, const cfg_node *pm, cfg_sweep *s)
{
    char kp[CFG_SWEEP_KEY_MAX + 16];
    if (!cfg_expect_map(d, pm, "parameters"))
        return;
    if (cfg_map_len(pm) == 0)
        cfg_err_at(d, pm, "parameters", "expected at least one key path with values, found "
                   "none: the grid is empty");
    for (int i = 0; i < cfg_map_len(pm); i++) {
        const cfg_node *k = cfg_map_key(d, pm, i), *v = cfg_map_val(d, pm, i);
        const char *key = cfg_text(k);
        if (!key || !key[0] || strlen(key) >= CFG_SWEEP_KEY_MAX) {
            cfg_err_at(d, k, "parameters", "expected a key path such as chip.noc.mesh");
            continue;
        }
        cfg_path_key(kp, sizeof kp, "parameters", key);
        if (s->n_params == CFG_SWEEP_MAX_PARAMS) {
            cfg_err_at(d, k, kp, "expected at most %d parameters", CFG_SWEEP_MAX_PARAMS);
            return;
        }
        if (!cfg_is_seq(v) || cfg_seq_len(v) == 0) {
            cfg_err_at(d, v, kp, "expected a non-empty list of values, found %s%s",
                       cfg_is_seq(v) ? "an empty list" : "a single value",
                       cfg_is_seq(v) ? ": the grid is empty" : " (write [VALUE])");
            continue;
        }
        cfg_sweep_param *p = &s->params[s->n_params++];
        snprintf(p->key, sizeof p->key, "%s", key);
        p->line = (uint32_t)k->start_mark.line + 1;
        p->col = (uint32_t)k->start_mark.column + 1;
        if (add_values(d, v, p)) {
            cfg_err_file(d->err, d->file, "out of memory");
            return;
        }
    }
}

static int param_index(const cfg_sweep *s, const char *key)
{
    for (int i = 0; i < s->n_params; i++)
        if (!strcmp(s->params[i].key, key))
            return i;
    return -1;
}

static void parse_one_exclude(cfg_doc *d, const cfg_node *e, const char *kp, cfg_sweep *s,
                              cfg_sweep_filter *f)
{
    f->line = (uint32_t)e->start_mark.line + 1;
    f->col = (uint32_t)e->start_mark.column + 1;
    for (int j = 0; j < cfg_map_len(e); j++) {
        const char *key = cfg_text(cfg_map_key(d, e, j));
        int pi = key ? param_index(s, key) : -1;
        if (pi < 0) {
            cfg_err_at(d, cfg_map_key(d, e, j), kp, "expected one of the parameters' key "
                       "paths, found '%s'", key ? key : "a non-scalar key");
            continue;
        }
        char buf[1024];
        flow_text(d, cfg_map_val(d, e, j), buf, sizeof buf, 0);
        base_free(f->value[pi]);
        f->value[pi] = base_strdup(buf);
    }
}

static void parse_excludes(cfg_doc *d, const cfg_node *ex, cfg_sweep *s)
{
    char kp[64];
    if (!cfg_expect_seq(d, ex, "exclude"))
        return;
    int n = cfg_seq_len(ex);
    if (!(s->excludes = base_calloc((size_t)n + 1, sizeof *s->excludes))) {
        cfg_err_file(d->err, d->file, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        const cfg_node *e = cfg_seq_at(d, ex, i);
        cfg_path_idx(kp, sizeof kp, "exclude", i);
        if (!cfg_expect_map(d, e, kp))
            continue;
        parse_one_exclude(d, e, kp, s, &s->excludes[s->n_excludes++]);
    }
}

static void parse_head(cfg_doc *d, const cfg_node *root, cfg_sweep *s, const char *dir)
{
    char rel[BASE_PATH_MAX], comb[16] = "grid";
    cfg_get_str(d, root, "", "name", false, s->name, sizeof s->name);
    rel[0] = '\0';
    if (cfg_get_str(d, root, "", "base", true, rel, sizeof rel)) {
        const cfg_node *b = cfg_map_get(d, root, "base");
        s->base_line = (uint32_t)b->start_mark.line + 1;
        s->base_col = (uint32_t)b->start_mark.column + 1;
        if (!rel[0] || !cfg_join(dir, rel, s->base, sizeof s->base))
            cfg_err_at(d, b, "base", "expected the path of a scenario file");
    }
    if (cfg_get_str(d, root, "", "combine", false, comb, sizeof comb) &&
        strcmp(comb, "grid") && strcmp(comb, "zip"))
        cfg_err_at(d, cfg_map_get(d, root, "combine"), "combine",
                   "expected grid or zip, found '%s'", comb);
    s->zip = !strcmp(comb, "zip");
    const cfg_node *m = cfg_map_get(d, root, "mapper");
    if (m && cfg_expect_map(d, m, "mapper")) {
        cfg_check_keys(d, m, "mapper", mapper_keys);
        cfg_get_str(d, m, "mapper", "criterion", false, s->criterion, sizeof s->criterion);
        cfg_get_int(d, m, "mapper", "lpf_limit", false, 1, 64, &s->lpf_limit);
    }
}

static void check_zip(cfg_doc *d, const cfg_node *root, cfg_sweep *s)
{
    for (int i = 1; s->zip && i < s->n_params; i++)
        if (s->params[i].n_values != s->params[0].n_values) {
            cfg_err_pos(d->err, d->file, s->params[i].line, s->params[i].col,
                        "parameters.%s: combine: zip needs lists of one length; %s has %d "
                        "values, %s has %d", s->params[i].key, s->params[0].key,
                        s->params[0].n_values, s->params[i].key, s->params[i].n_values);
            return;
        }
    (void)root;
}

static void *parse_sweep_doc(cfg_doc *d, const cfg_node *root, void *arg)
{
    cfg_sweep *s = base_calloc(1, sizeof *s);
    if (!s) {
        cfg_err_file(d->err, d->file, "out of memory");
        return NULL;
    }
    snprintf(s->file, sizeof s->file, "%s", d->file);
    if (cfg_expect_map(d, root, "")) {
        cfg_check_keys(d, root, "", sweep_keys);
        parse_head(d, root, s, arg);
        const cfg_node *pm = cfg_need(d, root, "", "parameters");
        if (pm)
            parse_params(d, pm, s);
        const cfg_node *ex = cfg_map_get(d, root, "exclude");
        if (ex && !cfg_is_null(ex))
            parse_excludes(d, ex, s);
        check_zip(d, root, s);
    }
    if (cfg_doc_failed(d)) {
        cfg_sweep_free(s);
        return NULL;
    }
    return s;
}

cfg_sweep *cfg_sweep_load_file(const char *path, base_errors *err)
{
    char dir[BASE_PATH_MAX];
    cfg_dirname(path, dir, sizeof dir);
    return cfg_load_path(path, err, parse_sweep_doc, dir);
}

void cfg_sweep_free(cfg_sweep *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_params; i++) {
        cfg_sweep_param *p = &s->params[i];
        for (int k = 0; k < p->n_values; k++) {
            base_free(p->values[k]);
            for (int j = 0; p->sets && j < p->sets[k].n; j++) {
                base_free(p->sets[k].items[j].key);
                base_free(p->sets[k].items[j].value);
            }
            if (p->sets)
                base_free(p->sets[k].items);
        }
        base_free(p->sets);
        base_free(p->values);
        base_free(p->vcls);
        base_free(p->vline);
        base_free(p->vcol);
    }
    for (int i = 0; i < s->n_excludes; i++)
        for (int k = 0; k < CFG_SWEEP_MAX_PARAMS; k++)
            base_free(s->excludes[i].value[k]);
    base_free(s->excludes);
    base_free(s);
}

static void *detect_sweep(cfg_doc *d, const cfg_node *root, void *arg)
{
    *(bool *)arg = cfg_is_map(root) && cfg_map_get(d, root, "base") &&
                   cfg_map_get(d, root, "parameters");
    return NULL;
}

bool cfg_sweep_is_file(const char *path)
{
    base_errors e;
    base_errors_init(&e);
    bool yes = false;
    cfg_load_path(path, &e, detect_sweep, &yes);
    base_errors_clear(&e);
    return yes;
}
