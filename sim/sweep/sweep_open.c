/* sweep_open.c -- a sweep file into its points, every key path and value
 * checked against the base scenario's files before anything runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_int.h"

void sweep_options_default(sweep_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_points = SWEEP_DEFAULT_MAX_POINTS;
}

static void err_param(base_errors *err, const cfg_sweep *c, uint32_t line, uint32_t col,
                      const char *key, const base_error *e)
{
    base_error r;
    base_fail_at(&r, c->file, line, col, "parameters.%s: %s", key, e->msg);
    base_errors_add(err, &r);
}

/* p's key is below q's (q names a file p goes into): "chip" < "chip.noc.x". */
static bool below(const char *p, const char *q)
{
    size_t n = strlen(q);
    return strlen(p) > n && !strncmp(p, q, n) && (p[n] == '.' || p[n] == '[');
}

/* Parameter i's key path alone (the others at the base's), then with each
 * value of a parameter whose file it goes into; then each of its values'
 * type. Errors at the key, or at the value. */
static int check_with(sweep *s, const sw_override *ov, const char *const *ovc, int n,
                      uint32_t line, uint32_t col, const char *key, const char *with,
                      const char *with_v, base_errors *err)
{
    char scen[BASE_PATH_MAX];
    base_error e;
    if (sw_build(s, ov, ovc, n, NULL, NULL, false, NULL, scen, sizeof scen, &e) == 0)
        return 0;
    if (with)
        base_fail_prefix(&e, "with %s: %s: ", with, with_v);
    err_param(err, s->cfg, line, col, key, &e);
    return -1;
}

/* A group's keys, each value's alone (key and type at once). */
static void check_group(sweep *s, const cfg_sweep_param *p, base_errors *err)
{
    for (int v = 0; v < p->n_values; v++)
        for (int j = 0; j < p->sets[v].n; j++) {
            const cfg_sweep_set *it = &p->sets[v].items[j];
            char cls[2] = {it->cls, 0};
            sw_override ov = {it->key, it->value};
            const char *ovc = cls;
            char key[CFG_SWEEP_KEY_MAX * 2];
            snprintf(key, sizeof key, "%s[%d].%s", p->key, v, it->key);
            check_with(s, &ov, &ovc, 1, it->line, it->col, key, NULL, NULL, err);
        }
}

static void check_param(sweep *s, int i, base_errors *err)
{
    const cfg_sweep *c = s->cfg;
    const cfg_sweep_param *p = &c->params[i];
    if (p->sets) {
        check_group(s, p, err);
        return;
    }
    sw_override ov[2] = {{p->key, p->values[0]}, {NULL, NULL}};
    const char *ovc[2] = {NULL, NULL};
    if (check_with(s, ov, ovc, 1, p->line, p->col, p->key, NULL, NULL, err))
        return;
    for (int q = 0; q < c->n_params; q++) {
        const cfg_sweep_param *pq = &c->params[q];
        for (int k = 0; q != i && below(p->key, pq->key) && k < pq->n_values; k++) {
            ov[1] = (sw_override){pq->key, pq->values[k]};
            if (check_with(s, ov, ovc, 2, p->line, p->col, p->key, pq->key, pq->values[k],
                           err))
                return;
        }
    }
    for (int v = 0; v < p->n_values; v++) {
        char cls[2] = {p->vcls[v], 0};
        ov[0].value = p->values[v];
        ovc[0] = cls;
        check_with(s, ov, ovc, 1, p->vline[v], p->vcol[v], p->key, NULL, NULL, err);
    }
}

static bool excluded(const cfg_sweep *c, const uint16_t *ch)
{
    for (int f = 0; f < c->n_excludes; f++) {
        bool all = true;
        for (int i = 0; i < c->n_params && all; i++) {
            const char *want = c->excludes[f].value[i];
            all = !want || !strcmp(want, c->params[i].values[ch[i]]);
        }
        if (all)
            return true;
    }
    return false;
}

/* The grid's size, or 0 when it would overflow what points can count. */
static uint64_t grid_size(const cfg_sweep *c)
{
    if (c->zip)
        return (uint64_t)c->params[0].n_values;
    uint64_t n = 1;
    for (int i = 0; i < c->n_params; i++) {
        n *= (uint64_t)c->params[i].n_values;
        if (n > UINT32_MAX / 2)
            return 0;
    }
    return n;
}

/* Mixed radix: the first parameter varies slowest, as nested loops. */
static void decode(const cfg_sweep *c, uint64_t k, uint16_t *ch)
{
    for (int i = c->n_params - 1; i >= 0; i--) {
        if (c->zip) {
            ch[i] = (uint16_t)k;
            continue;
        }
        uint64_t r = (uint64_t)c->params[i].n_values;
        ch[i] = (uint16_t)(k % r);
        k /= r;
    }
}

static int enumerate(sweep *s, const sweep_options *o, base_errors *err)
{
    const cfg_sweep *c = s->cfg;
    uint64_t n = grid_size(c);
    base_error e;
    uint64_t limit = o->force ? UINT32_MAX / 2 : o->max_points;
    if (n == 0 || n > limit) {
        base_fail_at(&e, c->file, 1, 1, "the sweep has %s%llu points, more than %s %llu%s",
                     n ? "" : "over ", (unsigned long long)(n ? n : UINT32_MAX / 2),
                     o->force ? "evsim can count:" : "--max-points",
                     (unsigned long long)limit, o->force ? "" : " (--force to run it anyway)");
        base_errors_add(err, &e);
        return -1;
    }
    int np = c->n_params;
    if (!(s->choice = base_calloc((size_t)n * (size_t)np + 1, sizeof *s->choice)))
        return base_fail(&e, "out of memory");
    uint16_t *ch = s->choice;
    for (uint64_t k = 0; k < n; k++) {
        decode(c, k, ch);
        if (!excluded(c, ch)) {
            ch += np;
            s->n_points++;
        }
    }
    if (s->n_points == 0) {
        base_fail_at(&e, c->file, 1, 1, "every point of the sweep is excluded: the grid is "
                     "empty");
        base_errors_add(err, &e);
        return -1;
    }
    return 0;
}

sweep *sweep_open(const char *path, const sweep_options *o, base_errors *err)
{
    sweep *s = base_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (!getcwd(s->cwd, sizeof s->cwd))
        snprintf(s->cwd, sizeof s->cwd, ".");
    if (!(s->cfg = cfg_sweep_load_file(path, err))) {
        sweep_free(s);
        return NULL;
    }
    int before = err->count + err->dropped;
    base_error e;
    if (!sw_file_get(s, s->cfg->base, &e)) {
        base_fail_at(&e, s->cfg->file, s->cfg->base_line, s->cfg->base_col,
                     "base: %s", e.msg);
        base_errors_add(err, &e);
    }
    for (int i = 0; i < s->cfg->n_params && err->count + err->dropped == before; i++)
        check_param(s, i, err);
    if (err->count + err->dropped > before || enumerate(s, o, err) ||
        sw_range_check(s, o->force, err) > 0) {
        sweep_free(s);
        return NULL;
    }
    return s;
}

void sweep_free(sweep *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_files; i++) {
        base_free(s->files[i].path);
        base_free(s->files[i].text);
    }
    cfg_sweep_free(s->cfg);
    base_free(s->choice);
    base_free(s);
}

uint32_t sweep_n_points(const sweep *s)
{
    return s->n_points;
}

int sweep_n_params(const sweep *s)
{
    return s->cfg->n_params;
}

const char *sweep_param_key(const sweep *s, int i)
{
    return s->cfg->params[i].key;
}

const char *sweep_base(const sweep *s)
{
    return s->cfg->base;
}
