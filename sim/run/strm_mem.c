/* strm_mem.c -- Stream's memory manager (semantics.md §4,
 * stream/cost_model/memory_manager.py): only top memory instances, each a
 * usage step function over time; which tensors each holds, since when it
 * is reserved and since when available; the time from which a tensor
 * fits; the tensors to evict, cheapest priority x size first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/strm_int.h"

static int grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *q = base_realloc(*p, elem * (size_t)c);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

int strm_mem_init(strm_state *s)
{
    const strm_graph *g = s->g;
    s->inst = base_calloc((size_t)g->n_mems, sizeof *s->inst);
    if (!s->inst)
        return -1;
    for (int m = 0; m < g->n_mems; m++) {
        s->inst[m].first_core = -1;
        s->inst[m].head = s->inst[m].tail = -1;
    }
    for (int c = 0; c < g->n_cores; c++)
        for (int op = 0; op < STRM_NMEM; op++) {
            strm_inst *in = &s->inst[g->cores[c].top_mem[op]];
            if (in->first_core < 0)
                in->first_core = c;
            in->core_mask |= 1ull << c;
        }
    for (int m = 0; m < g->n_mems; m++) {
        strm_inst *in = &s->inst[m];
        if (grow((void **)&in->t, &in->cap, 8, sizeof *in->t) < 0)
            return -1;
        in->use = base_malloc(sizeof *in->use * (size_t)in->cap);
        if (!in->use)
            return -1;
        in->t[0] = 0;                /* Stream starts at [[0, 0]] */
        in->use[0] = 0;
        in->n = 1;
    }
    return 0;
}

/* Room for n tensors in every per-tensor array (one allocation each:
 * the graph's tensors and the sub-tensors to come). */
int strm_tensor_reserve(strm_state *s, int n)
{
    if (n <= s->cap_t)
        return 0;
    size_t nm = (size_t)s->g->n_mems, c = (size_t)n;
    void *a;
    if (!(a = base_realloc(s->t, c * sizeof *s->t))) return -1;
    s->t = a;
    if (!(a = base_realloc(s->parent, c * sizeof *s->parent))) return -1;
    s->parent = a;
    if (!(a = base_realloc(s->t_layer, c * sizeof *s->t_layer))) return -1;
    s->t_layer = a;
    if (!(a = base_realloc(s->in_mem, c * nm))) return -1;
    s->in_mem = a;
    if (!(a = base_realloc(s->since, c * nm * sizeof(double)))) return -1;
    s->since = a;
    if (!(a = base_realloc(s->avail, c * nm * sizeof(double)))) return -1;
    s->avail = a;
    if (!(a = base_realloc(s->prio, c * nm * sizeof(int)))) return -1;
    s->prio = a;
    if (!(a = base_realloc(s->has_prio, c * nm))) return -1;
    s->has_prio = a;
    if (!(a = base_realloc(s->nxt, c * nm * sizeof(int)))) return -1;
    s->nxt = a;
    if (!(a = base_realloc(s->prv, c * nm * sizeof(int)))) return -1;
    s->prv = a;
    if (!(a = base_realloc(s->seen, c * sizeof *s->seen))) return -1;
    s->seen = a;
    s->cap_t = n;
    return 0;
}

/* A new tensor (a copy of proto); its index, or -1. */
int strm_tensor_new(strm_state *s, const strm_tensor *proto, int parent)
{
    int nm = s->g->n_mems, i = s->n_t;
    if (i == s->cap_t && strm_tensor_reserve(s, 2 * s->cap_t + 16) < 0)
        return -1;
    s->t[i] = *proto;
    s->parent[i] = parent;
    s->t_layer[i] = s->g->cns[proto->origin_cn].layer;
    memset(s->in_mem + (size_t)i * nm, 0, (size_t)nm);
    memset(s->prio + (size_t)i * nm, 0, sizeof(int) * (size_t)nm);
    memset(s->has_prio + (size_t)i * nm, 0, (size_t)nm);
    memset(&s->seen[i], 0, sizeof s->seen[i]);   /* cap 0: the inline slots */
    s->n_t++;
    return i;
}

bool strm_mem_has(const strm_state *s, int tensor, int mem)
{
    return s->in_mem[(size_t)tensor * s->g->n_mems + mem];
}

/* Index of the first step with t >= x (side left) or > x (side right). */
static int search(const strm_inst *in, double x, bool right)
{
    int lo = 0, hi = in->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (in->t[mid] < x || (right && in->t[mid] == x))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Adds delta to every step from time x on, as Stream does: a new step
 * is inserted (its time truncated, the array being numpy int) unless one
 * has exactly this time. */
static int step_update(strm_inst *in, double x, int64_t delta, uint64_t cap, bool check)
{
    int i = search(in, x, false);
    bool present = i < in->n && in->t[i] == x;
    for (int k = i; k < in->n; k++) {
        in->use[k] += delta;
        if (check && in->use[k] > (int64_t)cap)
            return -1;
        if (in->use[k] > in->peak_bound)
            in->peak_bound = in->use[k];
    }
    if (present)
        return 0;
    int cap_n = in->cap;
    if (grow((void **)&in->t, &cap_n, in->n + 1, sizeof *in->t) < 0)
        return -2;
    if (cap_n != in->cap) {
        int64_t *u = base_realloc(in->use, sizeof *u * (size_t)cap_n);
        if (!u)
            return -2;
        in->use = u;
        in->cap = cap_n;
    }
    /* numpy's all_usages[i - 1] is the last entry when i == 0 */
    int64_t prev = i > 0 ? in->use[i - 1] : in->use[in->n - 1];
    memmove(in->t + i + 1, in->t + i, sizeof *in->t * (size_t)(in->n - i));
    memmove(in->use + i + 1, in->use + i, sizeof *in->use * (size_t)(in->n - i));
    in->t[i] = trunc(x);
    in->use[i] = prev + delta;
    if (in->use[i] > in->peak_bound)
        in->peak_bound = in->use[i];
    in->n++;
    return 0;
}

int strm_mem_add(strm_state *s, int tensor, int mem, double stored_t, double avail_t)
{
    size_t k = (size_t)tensor * s->g->n_mems + mem;
    if (s->in_mem[k])
        return 0;
    strm_inst *in = &s->inst[mem];
    s->prv[k] = in->tail;            /* appended: Stream's list grows at the end */
    s->nxt[k] = -1;
    if (in->tail >= 0)
        s->nxt[(size_t)in->tail * s->g->n_mems + mem] = tensor;
    else
        in->head = tensor;
    in->tail = tensor;
    in->n_stored++;
    s->in_mem[k] = 1;
    s->since[k] = stored_t;
    s->avail[k] = avail_t;
    int r = step_update(in, stored_t, (int64_t)s->t[tensor].bits, s->g->mems[mem].capacity_bits, true);
    if (r == -1)
        return base_fail(s->err, "memory overflow: tensor %d (%llu bits) in top memory %d at %g "
                         "(Stream raises the same)", tensor, (unsigned long long)s->t[tensor].bits,
                         mem, stored_t);
    return r < 0 ? base_fail(s->err, "out of memory") : 0;
}

int strm_mem_remove(strm_state *s, int tensor, int mem, double t)
{
    size_t k = (size_t)tensor * s->g->n_mems + mem;
    if (!s->in_mem[k])
        return 0;                    /* Stream: nothing equivalent stored, nothing done */
    strm_inst *in = &s->inst[mem];
    int nm = s->g->n_mems, p = s->prv[k], n = s->nxt[k];
    if (p >= 0)
        s->nxt[(size_t)p * nm + mem] = n;
    else
        in->head = n;
    if (n >= 0)
        s->prv[(size_t)n * nm + mem] = p;
    else
        in->tail = p;
    in->n_stored--;
    s->in_mem[k] = 0;
    if (step_update(in, t, -(int64_t)s->t[tensor].bits, 0, false) < 0)
        return base_fail(s->err, "out of memory");
    return 0;
}

int64_t strm_mem_usage_at(const strm_state *s, int mem, double t)
{
    const strm_inst *in = &s->inst[mem];
    int i = search(in, t, true) - 1;
    return in->use[i < 0 ? 0 : i];
}

/* Stream's get_timestep_for_tensor_addition: from t, if the peak of what
 * follows leaves room, t; else retry after the last peak; a peak that is
 * the last step is returned as is. */
double strm_mem_time_for(const strm_state *s, int mem, uint64_t bits, double t)
{
    const strm_inst *in = &s->inst[mem];
    uint64_t cap = s->g->mems[mem].capacity_bits;
    /* No step ever held more than peak_bound: whatever the search would
     * look at leaves room, so it would return t. */
    if (in->peak_bound >= 0 && (uint64_t)in->peak_bound + bits <= cap)
        return t;
    for (;;) {
        int i = search(in, t, true);
        if (i == in->n)
            return t;
        int from = i > 0 ? i - 1 : in->n - 1;
        int64_t peak = in->use[from];
        int last_peak = from;
        for (int k = from; k < in->n; k++)
            if (in->use[k] >= peak) {
                peak = in->use[k];
                last_peak = k;
            }
        if ((uint64_t)peak + bits <= cap)
            return t;
        if (last_peak == in->n - 1)
            return in->t[last_peak];
        t = in->t[last_peak + 1];
    }
}

/* Stream's Tensor.get_instance_priority: its own count on mem, or, where
 * it has none (a tensor on its producer core), the counts of the
 * instances that do not hold it. */
int strm_mem_priority(const strm_state *s, int tensor, int mem)
{
    int nm = s->g->n_mems;
    size_t base = (size_t)tensor * nm;
    if (s->has_prio[base + mem])
        return s->prio[base + mem];
    int sum = 0;
    for (int m = 0; m < nm; m++)
        if (s->has_prio[base + m] && !s->in_mem[base + m])
            sum += s->prio[base + m];
    return sum;
}

typedef struct {
    double key;                      /* priority x size */
    uint64_t bits;
    int tensor, pos;
} victim;

static int victim_cmp(const void *a, const void *b)
{
    const victim *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->bits != y->bits)          /* Tensor.__lt__ compares sizes */
        return x->bits < y->bits ? -1 : 1;
    return x->pos - y->pos;          /* Python's sort is stable */
}

static bool in_list(const int *l, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (l[i] == x)
            return true;
    return false;
}

/* Stream's find_best_tensor_combination_to_evict_fast: the shortest
 * prefix, by priority x size, of the tensors reserved by t (minus keep)
 * that frees what the new tensor lacks. *victims is base_malloc'd. */
int strm_mem_victims(strm_state *s, int mem, int tensor, double t, const int *keep, int n_keep,
                     int **victims, int *n_victims)
{
    *victims = NULL;
    *n_victims = 0;
    const strm_inst *in = &s->inst[mem];
    uint64_t cap = s->g->mems[mem].capacity_bits, bits = s->t[tensor].bits;
    if (cap < bits)
        return base_fail(s->err, "tensor %d (%llu bits) is larger than top memory %d", tensor,
                         (unsigned long long)bits, mem);
    int64_t lack = (int64_t)bits - ((int64_t)cap - strm_mem_usage_at(s, mem, t));
    if (lack <= 0)
        return 0;
    victim *v = base_malloc(sizeof *v * (size_t)(in->n_stored + 1));
    if (!v)
        return base_fail(s->err, "out of memory");
    int n = 0;
    for (int x = strm_mem_first(s, mem); x >= 0; x = strm_mem_next(s, mem, x)) {
        if (s->since[(size_t)x * s->g->n_mems + mem] > t || in_list(keep, n_keep, x))
            continue;
        v[n] = (victim){(double)strm_mem_priority(s, x, mem) * (double)s->t[x].bits, s->t[x].bits, x, n};
        n++;
    }
    qsort(v, (size_t)n, sizeof *v, victim_cmp);
    int64_t sum = 0;
    int k = 0;
    while (k < n && sum < lack)
        sum += (int64_t)v[k++].bits;
    if (sum < lack) {
        base_free(v);
        return base_fail(s->err, "nothing left to evict from top memory %d at %g for tensor %d "
                         "(Stream stops here with a ValueError)", mem, t, tensor);
    }
    int *out = base_malloc(sizeof *out * (size_t)(k + 1));
    if (!out) {
        base_free(v);
        return base_fail(s->err, "out of memory");
    }
    for (int i = 0; i < k; i++)
        out[i] = v[i].tensor;
    base_free(v);
    *victims = out;
    *n_victims = k;
    return 0;
}

/* The instance that has held the tensor longest (the first in instance
 * order on a tie), as Stream picks a transfer's source; -1 if none. */
int strm_mem_storing_first(const strm_state *s, int tensor, double *avail)
{
    int nm = s->g->n_mems, best = -1;
    for (int m = 0; m < nm; m++) {
        size_t k = (size_t)tensor * nm + m;
        if (s->in_mem[k] && (best < 0 || s->avail[k] < *avail)) {
            best = m;
            *avail = s->avail[k];
        }
    }
    return best;
}
