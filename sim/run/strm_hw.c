/* strm_hw.c -- the hardware half of a Stream graph from a chip in Stream's
 * form (strm_build.h). */
#include <string.h>

#include "run/strm_build.h"

/* Each core's top memory per operand, one instance per distinct level. */
static int hw_mems(const cfg_chip *chip, strm_graph *g, base_error *err)
{
    g->n_cores = chip->n_cores;
    g->cores = base_calloc((size_t)chip->n_cores + 1, sizeof *g->cores);
    g->mems = base_calloc((size_t)chip->n_cores * STRM_NMEM + 1, sizeof *g->mems);
    if (!g->cores || !g->mems)
        return base_fail(err, "out of memory");
    for (int i = 0; i < chip->n_cores; i++) {
        const cfg_core *core = &chip->types[chip->cores[i].type].core;
        int first[CFG_MAX_MEMS];
        for (int k = 0; k < CFG_MAX_MEMS; k++)
            first[k] = -1;
        for (int op = 0; op < STRM_NMEM; op++) {
            int top = cfg_core_top_memory(core, (cfg_mem_operand)op);
            if (top < 0)
                return base_fail(err, "core %lld (%s): no memory holds operand %s",
                                 (long long)chip->cores[i].id, core->name,
                                 cfg_mem_operand_name((cfg_mem_operand)op));
            if (first[top] < 0) {
                const cfg_memory *m = &core->mems[top];
                first[top] = g->n_mems;
                g->mems[g->n_mems++] = (strm_mem){m->size_bits, m->r_cost_pj, m->w_cost_pj,
                                                  (double)m->ports[0].bw_min_bits,
                                                  (double)m->ports[0].bw_max_bits};
            }
            g->cores[i].top_mem[op] = first[top];
        }
    }
    return 0;
}

typedef struct {
    int n;
    int *link;                  /* per ordered pair: link object, -1 none */
    int *seq;                   /* per ordered pair: when it was first added */
} pairs;

/* Every entry's link objects and the pairs they serve, later entries
 * replacing earlier ones (a DiGraph's edge update keeps its position). */
static int hw_links(const cfg_chip *chip, strm_graph *g, pairs *p, base_error *err)
{
    int n = chip->n_cores, seq = 0;
    g->links = base_calloc((size_t)chip->n_conns * 2 + 1, sizeof *g->links);
    if (!g->links)
        return base_fail(err, "out of memory");
    for (int k = 0; k < chip->n_conns; k++) {
        const cfg_conn *cn = &chip->conns[k];
        strm_link l = {cn->bandwidth, cn->unit_energy_pj};
        int bus = cn->type == CFG_CONN_BUS ? g->n_links++ : -1;
        if (bus >= 0)
            g->links[bus] = l;
        for (int i = 0; i < cn->n_cores; i++)
            for (int j = 0; j < cn->n_cores; j++) {
                int x = cfg_chip_find_core(chip, cn->cores[i]);
                int y = cfg_chip_find_core(chip, cn->cores[j]);
                if (i == j || x < 0 || y < 0 || (bus < 0 && j < i))
                    continue;
                int obj = bus;
                if (bus < 0) { /* two directed links */
                    obj = g->n_links;
                    g->links[g->n_links++] = l;
                    g->links[g->n_links++] = l;
                    p->link[y * n + x] = obj + 1;
                    if (p->seq[y * n + x] < 0)
                        p->seq[y * n + x] = seq++;
                }
                p->link[x * n + y] = obj;
                if (p->seq[x * n + y] < 0)
                    p->seq[x * n + y] = seq++;
            }
    }
    return 0;
}

/* The first shortest path from s to t by breadth-first search, each
 * core's neighbours in the order their pairs were added. */
static strm_route bfs_route(const pairs *p, int s, int t, int *prev, int *queue)
{
    int n = p->n, head = 0, tail = 0;
    strm_route r = {0, {0}};
    for (int i = 0; i < n; i++)
        prev[i] = -1;
    prev[s] = s;
    queue[tail++] = s;
    while (head < tail && prev[t] < 0) {
        int u = queue[head++];
        for (;;) { /* the unvisited neighbour added first, until none */
            int best = -1;
            for (int v = 0; v < n; v++)
                if (prev[v] < 0 && p->link[u * n + v] >= 0 &&
                    (best < 0 || p->seq[u * n + v] < p->seq[u * n + best]))
                    best = v;
            if (best < 0)
                break;
            prev[best] = u;
            queue[tail++] = best;
        }
    }
    if (prev[t] < 0)
        return r;
    int hops = 0, path[64];
    for (int v = t; v != s && hops < 64; v = prev[v])
        path[hops++] = v;
    if (hops > STRM_MAX_HOPS)
        return r;
    for (int h = hops - 1, u = s; h >= 0; u = path[h--])
        r.link[r.n_links++] = p->link[u * n + path[h]];
    return r;
}

static int hw_routes(const cfg_chip *chip, strm_graph *g, const pairs *p, base_error *err)
{
    int n = chip->n_cores;
    g->routes = base_calloc((size_t)n * (size_t)n + 1, sizeof *g->routes);
    int *prev = base_calloc((size_t)n + 1, sizeof *prev);
    int *queue = base_calloc((size_t)n + 1, sizeof *queue);
    int rc = 0;
    if (!g->routes || !prev || !queue)
        rc = base_fail(err, "out of memory");
    for (int s = 0; rc == 0 && s < n; s++)
        for (int t = 0; t < n; t++) {
            if (s == t)
                continue;
            if (p->link[s * n + t] >= 0)
                g->routes[s * n + t] = (strm_route){1, {p->link[s * n + t]}};
            else
                g->routes[s * n + t] = bfs_route(p, s, t, prev, queue);
        }
    base_free(prev);
    base_free(queue);
    return rc;
}

int strm_hw_from_chip(const cfg_chip *chip, strm_graph *g, base_error *err)
{
    int n = chip->n_cores;
    g->offchip_core = chip->offchip_core_id >= 0 ? cfg_chip_find_core(chip, chip->offchip_core_id)
                                                 : -1;
    if (g->offchip_core < 0)
        return base_fail(err, "%s: Stream's scheduler needs an off-chip core (offchip_core_id)",
                         chip->file);
    pairs p = {n, base_calloc((size_t)n * n + 1, sizeof(int)), base_calloc((size_t)n * n + 1,
                                                                          sizeof(int))};
    int rc = 0;
    if (!p.link || !p.seq)
        rc = base_fail(err, "out of memory");
    for (int i = 0; rc == 0 && i < n * n; i++)
        p.link[i] = p.seq[i] = -1;
    if (rc == 0)
        rc = hw_mems(chip, g, err) || hw_links(chip, g, &p, err) || hw_routes(chip, g, &p, err)
                 ? -1 : 0;
    base_free(p.link);
    base_free(p.seq);
    return rc;
}
