/* search.c -- the genetic search of search.h: (mu + lambda) generations
 * of binary tournaments, uniform crossover and per-gene mutation, the
 * survivors chosen by fitness (or, for the Pareto front, by NSGA-II's
 * rank and crowding distance). A space no larger than the search's budget
 * is enumerated instead: the exact answer costs no more. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* uthash allocates through the funnel and reports running out of memory
 * instead of exiting: an element it could not add has hh.tbl == NULL. */
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) base_malloc(sz)
#define uthash_free(ptr, sz) base_free(ptr)
#include <uthash.h>

#include "base/base.h"
#include "base/rng.h"
#include "search/search.h"

typedef struct {
    UT_hash_handle hh;
    double latency, energy;
    uint32_t genes[];           /* the key */
} seen;

typedef struct {
    uint32_t *genes;
    double latency, energy, fit;
    uint32_t rank;
    double crowd;
    uint8_t fresh;              /* bred in this generation */
} ind;

typedef struct {
    const srch_space *sp;
    const srch_options *opt;
    size_t key_bytes;
    seen *table;
    uint64_t evaluations;
    rng_stream rng;
    base_error *err;
} search;

static double fitness(srch_objective o, double lat, double en)
{
    switch (o) {
    case SRCH_LATENCY: return lat;
    case SRCH_ENERGY: return en;
    default: return lat * en; /* EDP; Pareto's single pick */
    }
}

/* The genome's latency and energy: from the table, else evaluated once. */
static int evaluate(search *s, ind *x)
{
    seen *e = NULL;
    HASH_FIND(hh, s->table, x->genes, s->key_bytes, e);
    if (!e) {
        if (s->opt->max_evaluations && s->evaluations >= s->opt->max_evaluations)
            return 1; /* budget spent: the caller stops */
        e = base_malloc(sizeof *e + s->key_bytes);
        if (!e)
            return base_fail(s->err, "out of memory in the allocation search");
        memcpy(e->genes, x->genes, s->key_bytes);
        if (s->sp->eval(s->sp->ctx, x->genes, &e->latency, &e->energy, s->err) != 0) {
            base_free(e);
            return -1;
        }
        HASH_ADD(hh, s->table, genes[0], s->key_bytes, e);
        if (!e->hh.tbl) {
            base_free(e);
            return base_fail(s->err, "out of memory in the allocation search");
        }
        s->evaluations++;
    }
    x->latency = e->latency;
    x->energy = e->energy;
    x->fit = fitness(s->opt->objective, e->latency, e->energy);
    return 0;
}

static int genes_cmp(const search *s, const uint32_t *a, const uint32_t *b)
{
    for (uint32_t i = 0; i < s->sp->n_genes; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Survivor order: lower fitness (Pareto: lower rank, then wider crowding
 * distance) first; equal ones by genome, so the order is total. */
static int better(const search *s, const ind *a, const ind *b)
{
    if (s->opt->objective == SRCH_PARETO) {
        if (a->rank != b->rank)
            return a->rank < b->rank;
        if (a->crowd != b->crowd)
            return a->crowd > b->crowd;
    } else if (a->fit != b->fit) {
        return a->fit < b->fit;
    }
    return genes_cmp(s, a->genes, b->genes) < 0;
}

static int dominates(const ind *a, const ind *b)
{
    return a->latency <= b->latency && a->energy <= b->energy &&
           (a->latency < b->latency || a->energy < b->energy);
}

/* NSGA-II ranks: front 0 is what no other member dominates, front r what
 * only members of fronts < r dominate. mark: n bytes of scratch. */
static void rank_fronts(ind *p, uint32_t n, uint8_t *mark)
{
    for (uint32_t i = 0; i < n; i++)
        p[i].rank = UINT32_MAX;
    for (uint32_t r = 0, left = n; left; r++) {
        for (uint32_t i = 0; i < n; i++) {
            mark[i] = p[i].rank == UINT32_MAX;
            for (uint32_t j = 0; j < n && mark[i]; j++)
                if (j != i && p[j].rank == UINT32_MAX && dominates(&p[j], &p[i]))
                    mark[i] = 0;
        }
        for (uint32_t i = 0; i < n; i++)
            if (mark[i]) {
                p[i].rank = r;
                left--;
            }
    }
}

static int cmp_double(double a, double b)
{
    return a < b ? -1 : a > b;
}

/* Crowding distance within each front: the normalised gap between a
 * member's neighbours, per objective; a front's ends are kept (infinite). */
static void crowding(ind *p, uint32_t n, uint32_t *idx)
{
    for (uint32_t i = 0; i < n; i++)
        p[i].crowd = 0;
    for (int obj = 0; obj < 2; obj++)
        for (uint32_t r = 0;; r++) {
            uint32_t m = 0;
            for (uint32_t i = 0; i < n; i++)
                if (p[i].rank == r)
                    idx[m++] = i;
            if (!m)
                break;
            /* insertion sort by the objective: fronts are small */
            for (uint32_t a = 1; a < m; a++)
                for (uint32_t b = a; b > 0; b--) {
                    const ind *x = &p[idx[b - 1]], *y = &p[idx[b]];
                    int c = obj ? cmp_double(x->energy, y->energy)
                                : cmp_double(x->latency, y->latency);
                    if (c <= 0)
                        break;
                    uint32_t t = idx[b - 1];
                    idx[b - 1] = idx[b];
                    idx[b] = t;
                }
            double lo = obj ? p[idx[0]].energy : p[idx[0]].latency;
            double hi = obj ? p[idx[m - 1]].energy : p[idx[m - 1]].latency;
            p[idx[0]].crowd = p[idx[m - 1]].crowd = INFINITY;
            for (uint32_t k = 1; k + 1 < m && hi > lo; k++) {
                double a = obj ? p[idx[k - 1]].energy : p[idx[k - 1]].latency;
                double b = obj ? p[idx[k + 1]].energy : p[idx[k + 1]].latency;
                p[idx[k]].crowd += (b - a) / (hi - lo);
            }
        }
}

/* Sorts p[0..n) by `better`, best first (insertion sort: populations are
 * at most SRCH_MAX_POP). */
static void sort_pop(const search *s, ind *p, uint32_t n)
{
    for (uint32_t a = 1; a < n; a++) {
        ind x = p[a];
        uint32_t b = a;
        for (; b > 0 && better(s, &x, &p[b - 1]); b--)
            p[b] = p[b - 1];
        p[b] = x;
    }
}

#define SRCH_MAX_POP 512u

typedef struct {
    ind *p;                     /* 2 x pop: survivors, then children */
    uint32_t *store;            /* their genes */
    uint8_t *mark;
    uint32_t *idx;
    uint32_t cap, n;            /* n: survivors */
} pool;

static void pool_free(pool *pl)
{
    base_free(pl->p);
    base_free(pl->store);
    base_free(pl->mark);
    base_free(pl->idx);
}

static int pool_init(pool *pl, uint32_t pop, uint32_t n_genes)
{
    pl->cap = 2 * pop;
    pl->p = base_calloc(pl->cap, sizeof *pl->p);
    pl->store = base_calloc((size_t)pl->cap * n_genes + 1, sizeof *pl->store);
    pl->mark = base_calloc(pl->cap, 1);
    pl->idx = base_calloc(pl->cap, sizeof *pl->idx);
    if (!pl->p || !pl->store || !pl->mark || !pl->idx)
        return -1;
    for (uint32_t i = 0; i < pl->cap; i++)
        pl->p[i].genes = &pl->store[(size_t)i * n_genes];
    return 0;
}

static void draw(search *s, uint32_t *g)
{
    for (uint32_t i = 0; i < s->sp->n_genes; i++)
        g[i] = (uint32_t)rng_below(&s->rng, s->sp->n_choices[i]);
}

/* Orders the first n of the pool for survival: duplicates dropped (the
 * pool shrinks), ranks and crowding for the Pareto front, then by
 * `better`. Returns the number kept. */
static uint32_t order_pool(search *s, pool *pl, uint32_t n)
{
    uint32_t g = s->sp->n_genes, m = 0;
    for (uint32_t a = 1; a < n; a++) /* by genome, to find duplicates */
        for (uint32_t b = a; b > 0 && genes_cmp(s, pl->p[b].genes, pl->p[b - 1].genes) < 0; b--) {
            ind t = pl->p[b];
            pl->p[b] = pl->p[b - 1];
            pl->p[b - 1] = t;
        }
    for (uint32_t i = 0; i < n; i++)
        if (m == 0 || memcmp(pl->p[i].genes, pl->p[m - 1].genes, g * sizeof(uint32_t))) {
            ind t = pl->p[m];
            pl->p[m++] = pl->p[i];
            pl->p[i] = t;
        }
    if (s->opt->objective == SRCH_PARETO) {
        rank_fronts(pl->p, m, pl->mark);
        crowding(pl->p, m, pl->idx);
    }
    sort_pop(s, pl->p, m);
    return m;
}

/* One child pair from two tournament winners: uniform crossover, then
 * each gene redrawn with the mutation probability. */
static void breed(search *s, const pool *pl, double px, double pm, uint32_t *c1, uint32_t *c2)
{
    uint32_t n = pl->n, g = s->sp->n_genes;
    uint32_t a = (uint32_t)rng_below(&s->rng, n), b = (uint32_t)rng_below(&s->rng, n);
    const uint32_t *pa = pl->p[a < b ? a : b].genes; /* sorted: lower is better */
    a = (uint32_t)rng_below(&s->rng, n);
    b = (uint32_t)rng_below(&s->rng, n);
    const uint32_t *pb = pl->p[a < b ? a : b].genes;
    memcpy(c1, pa, g * sizeof *c1);
    memcpy(c2, pb, g * sizeof *c2);
    if (rng_bernoulli(&s->rng, px))
        for (uint32_t i = 0; i < g; i++)
            if (rng_bernoulli(&s->rng, 0.5)) {
                uint32_t t = c1[i];
                c1[i] = c2[i];
                c2[i] = t;
            }
    for (uint32_t i = 0; i < g; i++) {
        if (s->sp->n_choices[i] > 1 && rng_bernoulli(&s->rng, pm))
            c1[i] = (c1[i] + 1 + (uint32_t)rng_below(&s->rng, s->sp->n_choices[i] - 1)) %
                    s->sp->n_choices[i];
        if (s->sp->n_choices[i] > 1 && rng_bernoulli(&s->rng, pm))
            c2[i] = (c2[i] + 1 + (uint32_t)rng_below(&s->rng, s->sp->n_choices[i] - 1)) %
                    s->sp->n_choices[i];
    }
}

/* Did this generation improve: a better best (Pareto: a new genome in
 * the survivors' first front)? `best` is the previous best fitness. */
static int improved(const search *s, const pool *pl, double *best)
{
    if (s->opt->objective != SRCH_PARETO) {
        int up = pl->p[0].fit < *best;
        if (up)
            *best = pl->p[0].fit;
        return up;
    }
    for (uint32_t i = 0; i < pl->n && pl->p[i].rank == 0; i++)
        if (pl->p[i].fresh)
            return 1;
    return 0;
}

/* pop children of the survivors, evaluated; returns how many are in the
 * pool now (survivors + children), or UINT32_MAX on an error. A spent
 * budget ends the brood early. */
static uint32_t brood(search *s, pool *pl, uint32_t pop, double px, double pm, int *spent)
{
    uint32_t n = pl->n;
    for (uint32_t i = 0; i < n; i++)
        pl->p[i].fresh = 0;
    while (n + 2 <= pl->cap && n < pl->n + pop && !*spent) {
        breed(s, pl, px, pm, pl->p[n].genes, pl->p[n + 1].genes);
        for (uint32_t c = 0; c < 2 && !*spent; c++) {
            int rc = evaluate(s, &pl->p[n]);
            if (rc < 0)
                return UINT32_MAX;
            *spent = rc > 0;
            if (rc == 0)
                pl->p[n++].fresh = 1;
        }
    }
    return n;
}

/* The generations; *run counts them. 0, or -1. */
static int evolve(search *s, pool *pl, uint32_t pop, uint32_t gens, uint32_t *run)
{
    double px = s->opt->crossover < 0 ? 0.9 : s->opt->crossover;
    double pm = s->opt->mutation < 0 ? 1.0 / s->sp->n_genes : s->opt->mutation;
    double best = pl->p[0].fit;
    uint32_t still = 0;
    int spent = 0;
    for (*run = 0; *run < gens && !spent;) {
        uint32_t n = brood(s, pl, pop, px, pm, &spent);
        if (n == UINT32_MAX)
            return -1;
        uint32_t m = order_pool(s, pl, n);
        pl->n = m < pop ? m : pop;
        (*run)++;
        still = improved(s, pl, &best) ? 0 : still + 1;
        if (s->opt->patience && still >= s->opt->patience)
            break;
    }
    return 0;
}

uint64_t srch_space_size(const srch_space *sp)
{
    uint64_t n = 1;
    for (uint32_t i = 0; i < sp->n_genes; i++) {
        if (sp->n_choices[i] && n > UINT64_MAX / sp->n_choices[i])
            return UINT64_MAX;
        n *= sp->n_choices[i];
    }
    return n;
}

/* Every genome, in mixed-radix order (the space is within budget). */
static int enumerate(search *s, ind *x)
{
    uint32_t g = s->sp->n_genes;
    memset(x->genes, 0, g * sizeof *x->genes);
    for (;;) {
        int rc = evaluate(s, x);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
        uint32_t i = g;
        while (i > 0 && ++x->genes[i - 1] == s->sp->n_choices[i - 1])
            x->genes[--i] = 0;
        if (i == 0)
            return 0;
    }
}

/* The first population: the start genome, then random ones. */
static int seed_pool(search *s, pool *pl, uint32_t pop)
{
    uint32_t n = 0;
    if (s->sp->start) {
        memcpy(pl->p[0].genes, s->sp->start, s->sp->n_genes * sizeof(uint32_t));
        if (evaluate(s, &pl->p[n]) < 0)
            return -1;
        n++;
    }
    for (; n < pop; n++) {
        draw(s, pl->p[n].genes);
        int rc = evaluate(s, &pl->p[n]);
        if (rc < 0)
            return -1;
        if (rc > 0)
            break;
    }
    pl->n = order_pool(s, pl, n);
    return 0;
}

static int cmp_seen(const search *s, const seen *a, const seen *b)
{
    int c = cmp_double(a->latency, b->latency);
    if (!c)
        c = cmp_double(a->energy, b->energy);
    return c ? c : genes_cmp(s, a->genes, b->genes);
}

/* Best and front over every genome evaluated: sorted by latency, energy
 * and genome, the front is each one with less energy than all before. */
static int collect(search *s, srch_result *r)
{
    uint32_t n = HASH_COUNT(s->table), g = s->sp->n_genes, k = 0;
    seen **v = base_calloc(n + 1, sizeof *v);
    r->best = base_calloc(g + 1, sizeof *r->best);
    r->front = base_calloc((size_t)n * g + 1, sizeof *r->front);
    r->front_latency = base_calloc(n + 1, sizeof *r->front_latency);
    r->front_energy = base_calloc(n + 1, sizeof *r->front_energy);
    if (!v || !r->best || !r->front || !r->front_latency || !r->front_energy) {
        base_free(v);
        return base_fail(s->err, "out of memory in the allocation search");
    }
    for (seen *e = s->table; e; e = e->hh.next)
        v[k++] = e;
    for (uint32_t a = 1; a < n; a++) /* insertion sort: a few thousand at most */
        for (uint32_t b = a; b > 0 && cmp_seen(s, v[b], v[b - 1]) < 0; b--) {
            seen *t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    const seen *best = NULL;
    double best_fit = INFINITY, min_en = INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        double f = fitness(s->opt->objective, v[i]->latency, v[i]->energy);
        if (!best || f < best_fit || (f == best_fit && genes_cmp(s, v[i]->genes, best->genes) < 0)) {
            best = v[i];
            best_fit = f;
        }
        if (v[i]->energy < min_en) {
            min_en = v[i]->energy;
            memcpy(&r->front[(size_t)r->n_front * g], v[i]->genes, g * sizeof *r->front);
            r->front_latency[r->n_front] = v[i]->latency;
            r->front_energy[r->n_front++] = v[i]->energy;
        }
    }
    if (best) {
        memcpy(r->best, best->genes, g * sizeof *r->best);
        r->best_latency = best->latency;
        r->best_energy = best->energy;
    }
    base_free(v);
    return 0;
}

static void table_free(search *s)
{
    seen *e, *t;
    HASH_ITER(hh, s->table, e, t) {
        HASH_DEL(s->table, e);
        base_free(e);
    }
}

static int check_space(const srch_space *sp, base_error *err)
{
    if (!sp->n_genes || !sp->n_choices || !sp->eval)
        return base_fail(err, "allocation search: nothing to search");
    for (uint32_t i = 0; i < sp->n_genes; i++) {
        if (!sp->n_choices[i])
            return base_fail(err, "allocation search: gene %u has no choice", i);
        if (sp->start && sp->start[i] >= sp->n_choices[i])
            return base_fail(err, "allocation search: the start genome's gene %u is %u, "
                             "expected below %u", i, sp->start[i], sp->n_choices[i]);
    }
    return 0;
}

int srch_run(const srch_space *sp, const srch_options *opt, srch_result *out, base_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_space(sp, err) != 0)
        return -1;
    uint32_t pop = opt->population ? opt->population : 32;
    uint32_t gens = opt->generations ? opt->generations : 40;
    pop = pop > SRCH_MAX_POP ? SRCH_MAX_POP : pop < 4 ? 4 : (pop + 1) / 2 * 2;
    search s = {.sp = sp, .opt = opt, .key_bytes = sp->n_genes * sizeof(uint32_t), .err = err};
    rng_seed(&s.rng, opt->seed, 0x5ea4c4);
    pool pl = {0};
    int rc = pool_init(&pl, pop, sp->n_genes) != 0
                 ? base_fail(err, "out of memory in the allocation search") : 0;
    uint64_t budget = (uint64_t)pop * (gens + 1);
    if (opt->max_evaluations && opt->max_evaluations < budget)
        budget = opt->max_evaluations;
    if (rc == 0 && srch_space_size(sp) <= budget)
        rc = enumerate(&s, &pl.p[0]);
    else if (rc == 0 && (rc = seed_pool(&s, &pl, pop)) == 0)
        rc = evolve(&s, &pl, pop, gens, &out->generations);
    if (rc == 0 && sp->start) {
        ind x = {.genes = pl.p[0].genes};
        memcpy(x.genes, sp->start, s.key_bytes);
        seen *e = NULL;
        HASH_FIND(hh, s.table, x.genes, s.key_bytes, e);
        out->start_latency = e ? e->latency : NAN;
        out->start_energy = e ? e->energy : NAN;
    }
    out->n_genes = sp->n_genes;
    out->evaluations = s.evaluations;
    if (rc == 0)
        rc = collect(&s, out);
    pool_free(&pl);
    table_free(&s);
    if (rc != 0)
        srch_result_free(out);
    return rc;
}

void srch_result_free(srch_result *r)
{
    base_free(r->best);
    base_free(r->front);
    base_free(r->front_latency);
    base_free(r->front_energy);
    r->best = r->front = NULL;
    r->front_latency = r->front_energy = NULL;
    r->n_front = 0;
}
