/* trc_track.c -- the writer's tables: interned strings, the track tree and
 * lane groups. Track ids are creation order (1, 2, ...), which makes the
 * uuids stable from run to run and small on the wire (one or two bytes). */
#include <stdlib.h>
#include <string.h>

#include "trace/trc_impl.h"

/* uthash allocates through the funnel and reports running out of memory
 * instead of exiting: an element it could not add has hh.tbl == NULL. */
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) base_malloc(sz)
#define uthash_free(ptr, sz) base_free(ptr)
#include <uthash.h>

struct trc_str {
    UT_hash_handle hh;
    trc_name id;
    char s[];
};

struct trc_sib {
    UT_hash_handle hh;
    char key[]; /* "<parent id>/<name>" */
};

static char *dup_or_null(const char *s)
{
    return s ? base_strdup(s) : NULL;
}

static trc_name oom_name(trc_writer *w)
{
    trc_fail(w, "out of memory");
    return 0;
}

trc_name trc_intern(trc_writer *w, const char *s)
{
    if (w->failed)
        return 0;
    if (!s || !*s) {
        trc_fail(w, "empty name");
        return 0;
    }
    trc_str *e;
    size_t n = strlen(s);
    HASH_FIND(hh, w->strs, s, n, e);
    if (e)
        return e->id;
    /* two arrays indexed by id (1-based), grown alike */
    uint32_t cap_ids = w->cap_str, cap_em = w->cap_str;
    if (BASE_GROW(w->str_by_id, cap_ids, w->n_str + 2, TRC_MAX_NAMES) ||
        BASE_GROW(w->str_emitted, cap_em, w->n_str + 2, TRC_MAX_NAMES))
        return oom_name(w);
    w->cap_str = cap_ids;
    e = base_malloc(sizeof *e + n + 1);
    if (!e)
        return oom_name(w);
    memcpy(e->s, s, n + 1);
    e->id = ++w->n_str;
    HASH_ADD(hh, w->strs, s, n, e);
    if (!e->hh.tbl) {
        base_free(e);
        --w->n_str;
        return oom_name(w);
    }
    w->str_by_id[e->id] = e->s;
    w->str_emitted[e->id] = 0;
    return e->id;
}

const char *trc_str_get(const trc_writer *w, trc_name id)
{
    return id && id <= w->n_str ? w->str_by_id[id] : "";
}

/* Perfetto merges same-named siblings into one row; refuse them so every
 * unit keeps its own row in both output formats. */
static int claim_sibling_name(trc_writer *w, uint32_t parent, const char *name)
{
    char buf[32];
    int p = snprintf(buf, sizeof buf, "%u/", parent);
    size_t n = strlen(name);
    trc_sib *s;
    s = base_malloc(sizeof *s + (size_t)p + n + 1);
    if (!s)
        return trc_fail(w, "out of memory");
    memcpy(s->key, buf, (size_t)p);
    memcpy(s->key + p, name, n + 1);
    trc_sib *old;
    HASH_FIND(hh, w->sibs, s->key, (size_t)p + n, old);
    if (old) {
        base_free(s);
        return trc_fail(w, "track '%s' already exists under the same parent",
                        name);
    }
    HASH_ADD(hh, w->sibs, key, (size_t)p + n, s);
    if (!s->hh.tbl) {
        base_free(s);
        return trc_fail(w, "out of memory");
    }
    return 0;
}

int trc_track_add(trc_writer *w, const trc_track_spec *spec, int kind,
                  const trc_counter_spec *cs, trc_track *out)
{
    *out = 0;
    if (w->failed)
        return -1;
    if (!spec->name || !*spec->name)
        return trc_fail(w, "track without a name");
    if (spec->parent && !trc_track_ok(w, spec->parent, -1))
        return trc_fail(w, "track '%s': unknown parent %u", spec->name,
                        spec->parent);
    /* counters have no children; a lane group only the lanes it makes */
    if (spec->parent && (w->trk[spec->parent].kind == TRK_COUNTER ||
                         (w->trk[spec->parent].kind == TRK_LANES) !=
                             (kind == TRK_LANE)))
        return trc_fail(w, "track '%s': parent '%s' cannot have children",
                        spec->name, w->trk[spec->parent].name);
    if (claim_sibling_name(w, spec->parent, spec->name))
        return -1;
    /* ids are 1-based: track n_trk + 1 needs n_trk + 2 slots */
    if (BASE_GROW(w->trk, w->cap_trk, w->n_trk + 2, TRC_MAX_TRACKS))
        return trc_fail(w, "out of memory (or more than %u tracks)", TRC_MAX_TRACKS - 1);
    uint32_t id = ++w->n_trk;
    trc_trk *t = &w->trk[id];
    memset(t, 0, sizeof *t);
    t->kind = (uint8_t)kind;
    t->parent = spec->parent;
    t->level = (uint8_t)spec->level;
    if (spec->parent && w->trk[spec->parent].level > t->level)
        t->level = w->trk[spec->parent].level;
    t->written = t->level <= w->opt.level;
    t->rank = spec->parent ? w->trk[spec->parent].n_children++ : (int32_t)id;
    t->name = base_strdup(spec->name);
    t->desc = dup_or_null(spec->description);
    if (cs) {
        t->unit = cs->unit;
        t->unit_name = dup_or_null(cs->unit_name);
        t->share_key = dup_or_null(cs->share_key);
    }
    if (!t->name || (spec->description && !t->desc) ||
        (cs && ((cs->unit_name && !t->unit_name) ||
                (cs->share_key && !t->share_key))))
        return trc_fail(w, "out of memory");
    *out = id;
    if (t->written) {
        if (w->be->track(w, id))
            return -1;
        w->st.tracks++;
    }
    return 0;
}

int trc_track_new(trc_writer *w, const trc_track_spec *spec, trc_track *out)
{
    return trc_track_add(w, spec, TRK_SLICE, NULL, out);
}

int trc_counter_new(trc_writer *w, const trc_track_spec *spec,
                    const trc_counter_spec *cs, trc_track *out)
{
    trc_counter_spec none = {TRC_UNIT_NONE, NULL, NULL};
    return trc_track_add(w, spec, TRK_COUNTER, cs ? cs : &none, out);
}

int trc_lanes_new(trc_writer *w, const trc_track_spec *spec, trc_track *out)
{
    return trc_track_add(w, spec, TRK_LANES, NULL, out);
}

/* Free lanes wait in a min-heap of their indices, so a slice takes the
 * lowest free lane in O(log lanes): lowest first keeps the number of
 * lanes at the peak concurrency and the choice deterministic, and a run
 * past saturation (thousands of queued packets per source) stays fast.
 * An entry whose lane got busy again (a slice begun on it directly) is
 * skipped when it surfaces. */
static uint32_t free_pop(trc_trk *g)
{
    uint32_t *h = g->free_lanes, top = h[0], last = h[--g->n_free];
    uint32_t i = 0, n = g->n_free;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1] < h[c])
            c++;
        if (h[c] >= last)
            break;
        h[i] = h[c];
        i = c;
    }
    if (n)
        h[i] = last;
    return top;
}

int trc_lane_freed(trc_writer *w, uint32_t lane)
{
    trc_trk *g = &w->trk[w->trk[lane].parent];
    if (BASE_GROW(g->free_lanes, g->cap_free, g->n_free + 1, TRC_MAX_TRACKS))
        return trc_fail(w, "out of memory");
    uint32_t v = w->trk[lane].lane_idx, i = g->n_free++;
    while (i > 0 && g->free_lanes[(i - 1) / 2] > v) {
        g->free_lanes[i] = g->free_lanes[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->free_lanes[i] = v;
    return 0;
}

/* The lowest lane with nothing open (queued ENDs due by now are already
 * written), adding one when all are busy. */
int trc_lane_pick(trc_writer *w, trc_track group, trc_track *lane)
{
    if (!trc_track_ok(w, group, TRK_LANES))
        return trc_fail(w, "track %u is not a lane group", group);
    trc_trk *g = &w->trk[group];
    while (g->n_free) {
        uint32_t id = g->lanes[free_pop(g)];
        if (w->trk[id].depth == 0) {
            *lane = id;
            return 0;
        }
    }
    if (BASE_GROW(g->lanes, g->cap_lanes, g->n_lanes + 1, TRC_MAX_TRACKS))
        return trc_fail(w, "out of memory (or more than %u tracks)", TRC_MAX_TRACKS - 1);
    char name[300];
    snprintf(name, sizeof name, "%s %u", g->name, g->n_lanes + 1);
    trc_track_spec spec = {name, NULL, group, (trc_level)g->level};
    if (trc_track_add(w, &spec, TRK_LANE, NULL, lane))
        return -1;
    g = &w->trk[group]; /* trk may have moved */
    w->trk[*lane].lane_idx = g->n_lanes;
    g->lanes[g->n_lanes++] = *lane;
    return 0;
}

void trc_tables_free(trc_writer *w)
{
    trc_str *s, *st;
    HASH_ITER(hh, w->strs, s, st) {
        HASH_DEL(w->strs, s);
        base_free(s);
    }
    trc_sib *b, *bt;
    HASH_ITER(hh, w->sibs, b, bt) {
        HASH_DEL(w->sibs, b);
        base_free(b);
    }
    for (uint32_t i = 1; i <= w->n_trk; i++) {
        trc_trk *t = &w->trk[i];
        base_free(t->name);
        base_free(t->desc);
        base_free(t->unit_name);
        base_free(t->share_key);
        base_free(t->stack);
        base_free(t->lanes);
        base_free(t->free_lanes);
    }
    base_free(w->trk);
    base_free(w->str_by_id);
    base_free(w->str_emitted);
}
