/* noc_routing.c -- routing functions and the multicast tree split.
 *
 * Dimension order: a copy first corrects its x (or y, for YX) then the
 * other coordinate, then is ejected to its terminal. A multicast copy at a
 * router groups its destinations by output port; each group continues as
 * one copy, so a copy branches only where the dimension-order paths of its
 * destinations part, and every destination lies on exactly one branch. */
#include <stdlib.h>

#include "noc/noc_internal.h"

uint32_t noc_route_port(const noc *n, const noc_router *r, uint32_t dst,
                        int yx)
{
    uint32_t tpr = n->cfg.terminals_per_router;
    uint32_t d = dst / tpr;
    uint32_t dx = d % n->cfg.width, dy = d / n->cfg.width;
    if (!yx) {
        if (dx > r->x)
            return NOC_EAST;
        if (dx < r->x)
            return NOC_WEST;
    }
    if (dy > r->y)
        return NOC_NORTH;
    if (dy < r->y)
        return NOC_SOUTH;
    if (dx > r->x)
        return NOC_EAST;
    if (dx < r->x)
        return NOC_WEST;
    return NOC_MESH_PORTS + dst % tpr;
}

uint32_t noc_route_branches(noc *n, noc_router *r, uint32_t w,
                            noc_branch *br)
{
    noc_worm *wm = &n->worms[w];
    int yx = wm->yx;
    if (wm->n_dst == 1) {
        uint32_t p = noc_route_port(n, r, wm->dst[0], yx);
        br[0] = (noc_branch){(uint8_t)p, 0, -1, p < NOC_MESH_PORTS ? w : NOC_NONE,
                             wm->dst[0], 0, 0};
        return 1;
    }
    /* Group by output port. At most NOC_PORTS_MAX groups; counting first
     * keeps one pass per group and the order deterministic. */
    uint32_t count[NOC_PORTS_MAX] = {0};
    for (uint32_t i = 0; i < wm->n_dst; i++)
        count[noc_route_port(n, r, wm->dst[i], yx)]++;
    uint32_t nb = 0;
    for (uint32_t p = 0; p < NOC_PORTS_MAX; p++) {
        if (!count[p])
            continue;
        if (p >= NOC_MESH_PORTS) {
            /* Ejection: a terminal appears once in a set. */
            uint32_t d = r->id * n->cfg.terminals_per_router +
                         (p - NOC_MESH_PORTS);
            br[nb++] = (noc_branch){(uint8_t)p, 0, -1, NOC_NONE, d, 0, 0};
            continue;
        }
        if (count[p] == wm->n_dst) {
            /* Every destination goes the same way: no split here. */
            br[nb++] = (noc_branch){(uint8_t)p, 0, -1, w, NOC_NONE, 0, 0};
            continue;
        }
        uint32_t *sub = base_malloc(sizeof *sub * count[p]);
        if (!sub)
            return 0;
        uint32_t k = 0;
        wm = &n->worms[w];
        for (uint32_t i = 0; i < wm->n_dst; i++)
            if (noc_route_port(n, r, wm->dst[i], yx) == p)
                sub[k++] = wm->dst[i];
        int oom = 0;
        uint32_t c = noc_worm_new(n, wm->pkt, sub, k, &oom);
        base_free(sub);
        if (c == NOC_NONE)
            return 0;
        n->worms[c].yx = (uint8_t)yx;
        wm = &n->worms[w];
        br[nb++] = (noc_branch){(uint8_t)p, 0, -1, c, NOC_NONE, 0, 0};
    }
    return nb;
}
