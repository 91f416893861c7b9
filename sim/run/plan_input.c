/* plan_input.c -- how each layer's network input is read from off-chip
 * memory: every element once, each to exactly the cores whose parts read
 * it.
 *
 * A core needs the box of the input its parts read (plan_part.in, halos
 * included). Boxes of different cores overlap where a window dim is cut
 * (a 3x3 convolution split over OY shares a row at each cut), so reading
 * one box per core would read those rows twice, and sending the whole
 * input to every core sends most of it to cores that never read it. The
 * input is instead cut along every box edge into cells; cells read by the
 * same set of cores form one read, multicast to that set. A layer cut over
 * K alone has one set (every core reads all of it): one read, as before.
 *
 * The cells are the product of the breakpoints per index; for a pathological
 * cut (more than MAX_WORK cell x core tests) each core's box is read on its
 * own instead, cores with equal boxes sharing the read. */
#include <stdlib.h>
#include <string.h>

#include "run/plan.h"

#define MAX_WORK (1u << 22)

typedef struct {
    uint32_t n;               /* distinct cores of the layer */
    uint32_t *core;           /* their indices, in part order */
    plan_box *box;            /* what each reads */
    uint32_t n_idx;           /* indices of the input */
    uint32_t nb[PLAN_MAX_BOX];
    uint32_t *bp[PLAN_MAX_BOX]; /* sorted distinct box edges per index */
    uint32_t words;           /* uint64 words of a core set */
    uint32_t n_groups, cap_groups;
    uint64_t *sets;           /* n_groups x words */
    uint64_t *vol;            /* elements per group */
} in_cut;

static void cut_free(in_cut *c)
{
    free(c->core);
    free(c->box);
    for (uint32_t i = 0; i < PLAN_MAX_BOX; i++)
        free(c->bp[i]);
    free(c->sets);
    free(c->vol);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The layer's distinct cores and the join of their parts' input boxes. */
static int gather_cores(const plan_layer *pl, in_cut *c)
{
    c->core = calloc(pl->n_parts + 1, sizeof *c->core);
    c->box = calloc(pl->n_parts + 1, sizeof *c->box);
    if (!c->core || !c->box)
        return -1;
    for (uint32_t i = 0; i < pl->n_parts; i++) {
        uint32_t j = 0;
        while (j < c->n && c->core[j] != pl->parts[i].core)
            j++;
        if (j == c->n)
            c->core[c->n++] = pl->parts[i].core;
        plan_box_join(&c->box[j], &pl->parts[i].in);
        if (pl->parts[i].in.n)
            c->n_idx = pl->parts[i].in.n;
    }
    return 0;
}

/* Per index, the sorted distinct edges of the boxes. */
static int breakpoints(in_cut *c)
{
    for (uint32_t i = 0; i < c->n_idx; i++) {
        c->bp[i] = calloc(2 * c->n + 1, sizeof *c->bp[i]);
        if (!c->bp[i])
            return -1;
        uint32_t m = 0;
        for (uint32_t j = 0; j < c->n; j++)
            if (c->box[j].n) {
                c->bp[i][m++] = c->box[j].lo[i];
                c->bp[i][m++] = c->box[j].hi[i];
            }
        qsort(c->bp[i], m, sizeof *c->bp[i], cmp_u32);
        uint32_t u = 0;
        for (uint32_t k = 0; k < m; k++)
            if (u == 0 || c->bp[i][u - 1] != c->bp[i][k])
                c->bp[i][u++] = c->bp[i][k];
        c->nb[i] = u;
    }
    return 0;
}

/* Adds vol elements to the group of core set `set` (a new one if none). */
static int add_to_group(in_cut *c, const uint64_t *set, uint64_t vol)
{
    for (uint32_t g = 0; g < c->n_groups; g++)
        if (!memcmp(&c->sets[(size_t)g * c->words], set, c->words * sizeof *set)) {
            c->vol[g] += vol;
            return 0;
        }
    if (c->n_groups == c->cap_groups) {
        uint32_t cap = c->cap_groups ? 2 * c->cap_groups : 8;
        uint64_t *s = realloc(c->sets, (size_t)cap * c->words * sizeof *s);
        if (!s)
            return -1;
        c->sets = s;
        uint64_t *v = realloc(c->vol, cap * sizeof *v);
        if (!v)
            return -1;
        c->vol = v;
        c->cap_groups = cap;
    }
    memcpy(&c->sets[(size_t)c->n_groups * c->words], set, c->words * sizeof *set);
    c->vol[c->n_groups++] = vol;
    return 0;
}

/* Does box b hold the cell [lo, hi)? */
static int holds(const plan_box *b, const uint32_t *lo, const uint32_t *hi, uint32_t n_idx)
{
    if (!b->n)
        return 0;
    for (uint32_t i = 0; i < n_idx; i++)
        if (lo[i] < b->lo[i] || hi[i] > b->hi[i])
            return 0;
    return 1;
}

/* Every cell of the breakpoint grid into the group of the cores reading it. */
static int group_cells(in_cut *c, uint64_t *set)
{
    uint32_t k[PLAN_MAX_BOX] = {0}, lo[PLAN_MAX_BOX], hi[PLAN_MAX_BOX];
    for (;;) {
        uint64_t vol = 1;
        for (uint32_t i = 0; i < c->n_idx; i++) {
            lo[i] = c->bp[i][k[i]];
            hi[i] = c->bp[i][k[i] + 1];
            vol *= hi[i] - lo[i];
        }
        memset(set, 0, c->words * sizeof *set);
        int any = 0;
        for (uint32_t j = 0; j < c->n; j++)
            if (holds(&c->box[j], lo, hi, c->n_idx)) {
                set[j / 64] |= 1ull << (j % 64);
                any = 1;
            }
        if (any && add_to_group(c, set, vol) != 0)
            return -1;
        uint32_t i = c->n_idx;
        while (i > 0 && ++k[i - 1] + 1 >= c->nb[i - 1])
            k[--i] = 0;
        if (i == 0)
            return 0;
    }
}

/* The fallback: one group per distinct box. */
static int group_boxes(in_cut *c, uint64_t *set)
{
    for (uint32_t j = 0; j < c->n; j++) {
        if (!c->box[j].n)
            continue;
        memset(set, 0, c->words * sizeof *set);
        for (uint32_t j2 = 0; j2 < c->n; j2++)
            if (c->box[j2].n && !memcmp(&c->box[j], &c->box[j2], sizeof c->box[j]))
                set[j2 / 64] |= 1ull << (j2 % 64);
        uint64_t *first = set;
        uint32_t lowest = 0;
        while (!(first[lowest / 64] >> (lowest % 64) & 1))
            lowest++;
        if (lowest == j && add_to_group(c, set, plan_box_meet(&c->box[j], &c->box[j], NULL)) != 0)
            return -1;
    }
    return 0;
}

static int emit_reads(plan_layer *pl, const in_cut *c, uint64_t prec)
{
    pl->in_reads = calloc(c->n_groups + 1, sizeof *pl->in_reads);
    if (!pl->in_reads)
        return -1;
    for (uint32_t g = 0; g < c->n_groups; g++) {
        plan_in_read *r = &pl->in_reads[pl->n_in_reads++];
        const uint64_t *set = &c->sets[(size_t)g * c->words];
        r->bits = c->vol[g] * prec;
        r->cores = calloc(c->n + 1, sizeof *r->cores);
        if (!r->cores)
            return -1;
        for (uint32_t j = 0; j < c->n; j++)
            if (set[j / 64] >> (j % 64) & 1)
                r->cores[r->n++] = c->core[j];
    }
    return 0;
}

/* Everything to every core: several network inputs (in_op -1). */
static int read_whole(plan_layer *pl, const in_cut *c)
{
    pl->in_reads = calloc(1, sizeof *pl->in_reads);
    if (!pl->in_reads || !(pl->in_reads[0].cores = calloc(c->n + 1, sizeof(uint32_t))))
        return -1;
    pl->n_in_reads = 1;
    pl->in_reads[0].bits = pl->offchip_in_bits;
    pl->in_reads[0].n = c->n;
    memcpy(pl->in_reads[0].cores, c->core, c->n * sizeof *c->core);
    return 0;
}

static int layer_input(plan_layer *pl)
{
    in_cut c = {0};
    int rc = -1;
    if (gather_cores(pl, &c) != 0)
        goto out;
    if (pl->in_op <= 0 || c.n_idx == 0) {
        rc = read_whole(pl, &c);
        goto out;
    }
    c.words = (c.n + 63) / 64;
    uint64_t *set = calloc(c.words, sizeof *set);
    if (!set || breakpoints(&c) != 0) {
        free(set);
        goto out;
    }
    uint64_t work = c.n;
    for (uint32_t i = 0; i < c.n_idx; i++)
        work *= c.nb[i] > 1 ? c.nb[i] - 1 : 1;
    rc = work <= MAX_WORK ? group_cells(&c, set) : group_boxes(&c, set);
    free(set);
    if (rc == 0)
        rc = emit_reads(pl, &c, pl->in_prec);
out:
    cut_free(&c);
    return rc;
}

int plan_input_build(plan *p, base_error *err)
{
    for (uint32_t l = 0; l < p->n_layers; l++)
        if (p->layers[l].offchip_in_bits && layer_input(&p->layers[l]) != 0)
            return base_fail(err, "out of memory cutting the network input of layer %s",
                             p->layers[l].cfg->name);
    return 0;
}
