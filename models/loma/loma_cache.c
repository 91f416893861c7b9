/* loma_cache.c -- results of the mapper keyed by (CN shape, core type), so
 * a simulation maps each distinct layer shape on each core type once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loma/loma.h"

/* uthash allocates through the funnel and reports running out of memory
 * instead of exiting: an element it could not add has hh.tbl == NULL. */
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) base_malloc(sz)
#define uthash_free(ptr, sz) base_free(ptr)
#include <uthash.h>

/* The key is a flat, zero-padded byte image of everything that changes
 * the answer, so memcmp-equality is shape equality. */
typedef struct {
    int core_type;
    int n_dims;
    uint64_t dim_size[LOMA_MAX_DIMS];
    char dim_name[LOMA_MAX_DIMS][LOMA_DIM_NAME_MAX];
    bool relevant[LOMA_N_OPS][LOMA_MAX_DIMS];
    int n_pr;
    loma_pr pr[LOMA_MAX_PR];
    unsigned prec_bits[LOMA_N_OPS], prec_final_bits;
    loma_spatial sp;
    int criterion, lpf_limit;
    uint64_t max_orderings;
    unsigned dram_ops;        /* LOMA_CRIT_STREAM's objective (0 otherwise) */
    int parallel_cns, broadcast_op;
    loma_order order; /* n == 0: searched; else the fixed ordering costed */
} cache_key;

typedef struct {
    cache_key key;
    loma_result result;
    UT_hash_handle hh;
} cache_entry;

struct loma_cache {
    cache_entry *table;
    size_t count;
    uint64_t hits;
};

static void make_key(cache_key *k, const loma_layer *l, int core_type, const loma_spatial *sp,
                     const loma_options *opt, const loma_order *order)
{
    memset(k, 0, sizeof *k);
    k->core_type = core_type;
    k->n_dims = l->n_dims;
    memcpy(k->dim_size, l->dim_size, sizeof k->dim_size);
    for (int d = 0; d < l->n_dims && d < LOMA_MAX_DIMS; d++)
        strncpy(k->dim_name[d], l->dim_name[d], LOMA_DIM_NAME_MAX - 1);
    memcpy(k->relevant, l->relevant, sizeof k->relevant);
    k->n_pr = l->n_pr;
    for (int i = 0; i < l->n_pr && i < LOMA_MAX_PR; i++) {
        k->pr[i].op = l->pr[i].op;
        k->pr[i].dim_a = l->pr[i].dim_a;
        k->pr[i].dim_b = l->pr[i].dim_b;
        k->pr[i].sa = l->pr[i].sa;
        k->pr[i].sb = l->pr[i].sb;
        k->pr[i].total = l->pr[i].total;
    }
    memcpy(k->prec_bits, l->prec_bits, sizeof k->prec_bits);
    k->prec_final_bits = l->prec_final_bits;
    for (int o = 0; o < LOMA_MAX_OA; o++) {
        k->sp.free_oa[o] = sp->free_oa[o];
        k->sp.n_unrolls[o] = sp->n_unrolls[o];
        for (int u = 0; u < sp->n_unrolls[o] && u < LOMA_MAX_UNROLLS; u++) {
            k->sp.dim[o][u] = sp->dim[o][u];
            k->sp.factor[o][u] = sp->factor[o][u];
        }
    }
    if (order && order->n > 0) {
        /* A fixed ordering's cost does not depend on the search options:
         * leave them out so any criterion finds it. */
        k->order.n = order->n < LOMA_MAX_LOOPS ? order->n : LOMA_MAX_LOOPS;
        for (int i = 0; i < k->order.n; i++) {
            k->order.dim[i] = order->dim[i];
            k->order.size[i] = order->size[i];
        }
        return;
    }
    k->criterion = (int)opt->criterion;
    k->lpf_limit = opt->lpf_limit;
    k->max_orderings = opt->max_orderings;
    if (opt->criterion == LOMA_CRIT_STREAM) {
        k->dram_ops = opt->dram_ops;
        k->parallel_cns = opt->parallel_cns;
        k->broadcast_op = opt->broadcast_op;
    }
}

loma_cache *loma_cache_new(void)
{
    return base_calloc(1, sizeof(loma_cache));
}

void loma_cache_free(loma_cache *c)
{
    if (!c)
        return;
    cache_entry *e, *tmp;
    HASH_ITER(hh, c->table, e, tmp)
    {
        HASH_DEL(c->table, e);
        base_free(e);
    }
    base_free(c);
}

static const loma_result *find(loma_cache *c, const loma_layer *layer, int core_type,
                               const loma_spatial *sp, const loma_options *opt,
                               const loma_order *order)
{
    cache_key k;
    make_key(&k, layer, core_type, sp, opt, order);
    cache_entry *e = NULL;
    HASH_FIND(hh, c->table, &k, sizeof k, e);
    if (e)
        c->hits++;
    return e ? &e->result : NULL;
}

const loma_result *loma_cache_get(loma_cache *c, const loma_layer *layer, int core_type,
                                  const loma_spatial *sp, const loma_options *opt)
{
    return find(c, layer, core_type, sp, opt, NULL);
}

int lm_cache_map(loma_cache *c, const loma_layer *layer, const loma_core *core, int core_type,
                 const loma_spatial *sp, const loma_options *opt, const loma_order *order,
                 const loma_result **out, bool *hit, base_error *err)
{
    const loma_result *r = find(c, layer, core_type, sp, opt, order);
    *hit = r != NULL;
    if (r) {
        *out = r;
        return 0;
    }
    cache_entry *e = base_calloc(1, sizeof *e);
    if (!e) {
        base_fail(err, "loma cache: out of memory");
        return -1;
    }
    int rc = order && order->n > 0 ? loma_map_ordering(layer, core, sp, order, &e->result, err)
                                   : loma_map(layer, core, sp, opt, &e->result, err);
    if (rc) {
        base_free(e);
        return -1;
    }
    make_key(&e->key, layer, core_type, sp, opt, order);
    HASH_ADD(hh, c->table, key, sizeof e->key, e);
    if (!e->hh.tbl) {
        base_free(e);
        return base_fail(err, "loma cache: out of memory");
    }
    c->count++;
    *out = &e->result;
    return 0;
}

int loma_cache_map(loma_cache *c, const loma_layer *layer, const loma_core *core, int core_type,
                   const loma_spatial *sp, const loma_options *opt, const loma_result **out,
                   base_error *err)
{
    bool hit;
    return lm_cache_map(c, layer, core, core_type, sp, opt, NULL, out, &hit, err);
}

size_t loma_cache_count(const loma_cache *c)
{
    return c->count;
}

uint64_t loma_cache_hits(const loma_cache *c)
{
    return c->hits;
}

/* File layout: magic, the sizes of the key and result structs (so a file
 * from a build with another layout is refused), the entry count, then the
 * entries' key and result bytes. */
static const char cache_magic[8] = {'E', 'V', 'L', 'O', 'M', 'A', 'C', '1'};

int loma_cache_save(const loma_cache *c, const char *path, base_error *err)
{
    base_outfile o;
    if (base_out_open(&o, path, "wb", err))
        return base_fail_prefix(err, "loma cache: ");
    FILE *f = o.f;
    uint64_t hdr[3] = {sizeof(cache_key), sizeof(loma_result), (uint64_t)c->count};
    bool ok = fwrite(cache_magic, sizeof cache_magic, 1, f) == 1 && fwrite(hdr, sizeof hdr, 1, f) == 1;
    const cache_entry *e;
    for (e = c->table; ok && e; e = e->hh.next)
        ok = fwrite(&e->key, sizeof e->key, 1, f) == 1 &&
             fwrite(&e->result, sizeof e->result, 1, f) == 1;
    if (!ok) {
        base_fail(err, "loma cache: cannot write %.300s: %s", path, strerror(errno));
        base_out_abort(&o);
        return -1;
    }
    if (base_out_commit(&o, err))
        return base_fail_prefix(err, "loma cache: ");
    return 0;
}

int loma_cache_load(loma_cache *c, const char *path, base_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        base_fail(err, "loma cache: cannot read %.300s: %s", path, strerror(errno));
        return -1;
    }
    char magic[sizeof cache_magic];
    uint64_t hdr[3];
    int rc = -1;
    if (fread(magic, sizeof magic, 1, f) != 1 || memcmp(magic, cache_magic, sizeof magic) ||
        fread(hdr, sizeof hdr, 1, f) != 1) {
        base_fail(err, "loma cache: %.300s is not an evsim mapping cache", path);
        goto out;
    }
    if (hdr[0] != sizeof(cache_key) || hdr[1] != sizeof(loma_result)) {
        base_fail(err, "loma cache: %.300s was written by a build with another layout; delete it", path);
        goto out;
    }
    for (uint64_t i = 0; i < hdr[2]; i++) {
        cache_entry *e = base_calloc(1, sizeof *e);
        if (!e || fread(&e->key, sizeof e->key, 1, f) != 1 ||
            fread(&e->result, sizeof e->result, 1, f) != 1) {
            base_free(e);
            base_fail(err, "loma cache: %.300s is truncated (entry %llu of %llu)",
                     path, (unsigned long long)i, (unsigned long long)hdr[2]);
            goto out;
        }
        cache_entry *old = NULL;
        HASH_FIND(hh, c->table, &e->key, sizeof e->key, old);
        if (old) {
            base_free(e);
            continue;
        }
        HASH_ADD(hh, c->table, key, sizeof e->key, e);
        if (!e->hh.tbl) {
            base_free(e);
            base_fail(err, "loma cache: out of memory");
            goto out;
        }
        c->count++;
    }
    rc = 0;
out:
    fclose(f);
    return rc;
}

int loma_core_id(const loma_core *c)
{
    const unsigned char *p = (const unsigned char *)c;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof *c; i++)
        h = (h ^ p[i]) * 16777619u;
    return (int)(h & 0x7fffffff);
}
