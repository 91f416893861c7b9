/* cfg_range.c -- values that load but cannot be meant. The loader checks
 * types and the models their own limits; what passes both can still be a
 * slip (clock_ghz: 500) or a run far beyond a normal one (a 1000x1000
 * mesh: 78 s of set-up and 4.9 GB before a word of output). Those are
 * refused here, with the range and the estimate in the message, unless
 * the user says --force; unusual but sensible values are warnings. */
#include <stdio.h>

#include "config/cfg_yaml.h"
#include "config/config.h"

#define CLOCK_LO_GHZ 0.01 /* refused outside this range */
#define CLOCK_HI_GHZ 10.0
#define CLOCK_USUAL_LO_GHZ 0.05 /* warned outside this one */
#define CLOCK_USUAL_HI_GHZ 5.0
#define MESH_MAX 64
#define NOC_BYTES_MAX (8.0 * 1024 * 1024 * 1024)
#define NOC_BYTES_USUAL (1.0 * 1024 * 1024 * 1024)

/* The NoC model's defaults for keys a chip leaves out (models/noc). */
#define NOC_DEFAULT_VCS 16
#define NOC_DEFAULT_DEPTH 8

/* Per router, measured with `evsim noc` (peak RSS from 32x32 to 128x128):
 * about 4.2 KB of fixed state plus 40 bytes per flit slot of each input
 * port's VC buffers (16 VCs x 8 flits: 29.8 KB a router). */
#define ROUTER_FIXED_B 4200.0
#define SLOT_B 40.0

double cfg_range_noc_bytes(const cfg_noc *n)
{
    double vcs = cfg_noc_given(n, CFG_NOC_VIRTUAL_CHANNELS) ? n->virtual_channels : NOC_DEFAULT_VCS;
    double depth = cfg_noc_given(n, CFG_NOC_VC_DEPTH_FLITS) ? n->vc_depth_flits : NOC_DEFAULT_DEPTH;
    double terms = cfg_noc_given(n, CFG_NOC_TERMINALS_PER_ROUTER) ? n->terminals_per_router : 1;
    double routers = (double)n->mesh_w * (double)n->mesh_h;
    return routers * (ROUTER_FIXED_B + (4 + terms) * vcs * depth * SLOT_B);
}

typedef struct {
    const char *file;
    bool force;
    base_errors *err, *warn;
    int errors;
} range_ctx;

/* One finding at LINE:COL: refused (an error, a warning with --force) or
 * only unusual (a warning). */
static void finding(range_ctx *r, bool refuse, int line, int col, const char *key,
                    const char *what)
{
    if (refuse && !r->force) {
        cfg_err_pos(r->err, r->file, (size_t)line, (size_t)col,
                    "%s: %s (give --force to run it anyway)", key, what);
        r->errors++;
    } else {
        cfg_err_pos(r->warn, r->file, (size_t)line, (size_t)col, "%s: warning: %s%s", key, what,
                    refuse ? " (accepted: --force)" : "");
    }
}

static void check_clock(range_ctx *r, const char *key, double ghz, int line, int col)
{
    char b[200];
    if (ghz < CLOCK_LO_GHZ || ghz > CLOCK_HI_GHZ) {
        snprintf(b, sizeof b, "%g GHz is outside the plausible %g-%g GHz", ghz, CLOCK_LO_GHZ,
                 CLOCK_HI_GHZ);
        finding(r, true, line, col, key, b);
    } else if (ghz < CLOCK_USUAL_LO_GHZ || ghz > CLOCK_USUAL_HI_GHZ) {
        snprintf(b, sizeof b, "%g GHz is unusual (chips run at %g-%g GHz)", ghz,
                 CLOCK_USUAL_LO_GHZ, CLOCK_USUAL_HI_GHZ);
        finding(r, false, line, col, key, b);
    }
}

static void check_mesh(range_ctx *r, const cfg_noc *n)
{
    char b[300];
    double bytes = cfg_range_noc_bytes(n), gib = bytes / (1024.0 * 1024 * 1024);
    int line = n->line[CFG_NOC_MESH], col = n->col[CFG_NOC_MESH];
    long long routers = (long long)n->mesh_w * n->mesh_h;
    if (n->mesh_w > MESH_MAX || n->mesh_h > MESH_MAX) {
        snprintf(b, sizeof b, "%dx%d is beyond the plausible %dx%d: %lld routers, an estimated "
                 "%.1f GiB of NoC state and a set-up of minutes", n->mesh_w, n->mesh_h,
                 MESH_MAX, MESH_MAX, routers, gib);
        finding(r, true, line, col, "noc.mesh", b);
    } else if (bytes > NOC_BYTES_MAX) {
        snprintf(b, sizeof b, "%dx%d routers with these VC buffers need an estimated %.1f GiB "
                 "of NoC state (at most %.0f GiB is plausible)", n->mesh_w, n->mesh_h, gib,
                 NOC_BYTES_MAX / (1024.0 * 1024 * 1024));
        finding(r, true, line, col, "noc.mesh", b);
    } else if (bytes > NOC_BYTES_USUAL) {
        snprintf(b, sizeof b, "%dx%d routers need an estimated %.1f GiB of NoC state",
                 n->mesh_w, n->mesh_h, gib);
        finding(r, false, line, col, "noc.mesh", b);
    }
}

/* Legal NoC values far from any chip's: warnings. */
static void check_noc_usual(range_ctx *r, const cfg_noc *n)
{
    const struct { cfg_noc_key k; double v, hi; } u[] = {
        {CFG_NOC_VIRTUAL_CHANNELS, n->virtual_channels, 32},
        {CFG_NOC_VC_DEPTH_FLITS, n->vc_depth_flits, 256},
        {CFG_NOC_FLIT_WIDTH_BITS, n->flit_width_bits, 4096},
        {CFG_NOC_LINK_LATENCY_CYCLES, n->link_latency_cycles, 64},
    };
    char key[64], b[160];
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (cfg_noc_given(n, u[i].k) && u[i].v > u[i].hi) {
            snprintf(key, sizeof key, "noc.%s", cfg_noc_key_name(u[i].k));
            snprintf(b, sizeof b, "%g is unusual (above %g)", u[i].v, u[i].hi);
            finding(r, false, n->line[u[i].k], n->col[u[i].k], key, b);
        }
    for (int s = 0; s < 4 && cfg_noc_given(n, CFG_NOC_ROUTER_STAGE_CYCLES); s++)
        if (n->router_stage_cycles[s] > 16) {
            snprintf(b, sizeof b, "%u cycles for one router stage is unusual (above 16)",
                     n->router_stage_cycles[s]);
            finding(r, false, n->line[CFG_NOC_ROUTER_STAGE_CYCLES],
                    n->col[CFG_NOC_ROUTER_STAGE_CYCLES], "noc.router_stage_cycles", b);
            break;
        }
}

int cfg_range_check_chip(const cfg_chip *c, bool force, base_errors *err, base_errors *warn)
{
    range_ctx r = {c->file, force, err, warn, 0};
    check_clock(&r, "clock_ghz", c->clock_ghz, c->clock_line, c->clock_col);
    const cfg_noc *n = &c->noc;
    if (cfg_noc_given(n, CFG_NOC_CLOCK_GHZ))
        check_clock(&r, "noc.clock_ghz", n->clock_ghz, n->line[CFG_NOC_CLOCK_GHZ],
                    n->col[CFG_NOC_CLOCK_GHZ]);
    check_mesh(&r, n);
    check_noc_usual(&r, n);
    return r.errors;
}
