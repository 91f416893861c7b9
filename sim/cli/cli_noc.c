/* cli_noc.c -- `evsim noc`: the NoC model on synthetic traffic, alone.
 * Defaults are BookSim 2's default router on a 4x4 mesh, so a bare
 * `evsim noc` is comparable with BookSim's results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/standalone.h"

static const char synopsis[] =
    "usage: evsim noc [OPTIONS]\n"
    "\n"
    "Simulate a 2D-mesh NoC under synthetic traffic (Bernoulli injection)\n"
    "and print packet latency, accepted throughput and stability. NoC options\n"
    "have the names of a chip file's noc: keys.\n";

typedef struct {
    noc_traffic_config c;
    bool json, sweep;
    double step, tol;
    trc_noc_hook th;
} noc_cli;

/* "F:N": share and destination count; their ranges are checked with the
 * rest of the traffic configuration. */
static int parse_multicast(const char *s, void *ptr, char *msg, size_t len)
{
    noc_traffic_config *c = ptr;
    const char *colon = strchr(s, ':');
    char share[64];
    size_t n = colon ? (size_t)(colon - s) : 0;
    snprintf(msg, len, "F:N (a share and a destination count)");
    if (!colon || n == 0 || n >= sizeof share)
        return -1;
    memcpy(share, s, n);
    share[n] = 0;
    return cli_parse_double(share, &c->mcast_frac) || cli_parse_u32(colon + 1, &c->mcast_dsts)
               ? -1 : 0;
}

static int parse_mesh(const char *s, void *ptr, char *msg, size_t len)
{
    noc_config *n = ptr;
    const char *x = strchr(s, 'x');
    char buf[32];
    size_t k = x ? (size_t)(x - s) : 0;
    snprintf(msg, len, "WxH or K");
    if (!x)
        return cli_parse_u32(s, &n->width) ? -1 : (n->height = n->width, 0);
    if (k == 0 || k >= sizeof buf)
        return -1;
    memcpy(buf, s, k);
    buf[k] = 0;
    return cli_parse_u32(buf, &n->width) || cli_parse_u32(x + 1, &n->height) ? -1 : 0;
}

static void show_mesh(const void *ptr, char *buf, size_t len)
{
    const noc_config *n = ptr;
    snprintf(buf, len, "%ux%u", n->width, n->height);
}

static int parse_stages(const char *s, void *ptr, char *msg, size_t len)
{
    noc_config *c = ptr;
    uint32_t v[4];
    const char *p = s;
    snprintf(msg, len, "four cycle counts a,b,c,d");
    for (int i = 0; i < 4; i++) {
        char buf[16];
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 0 || n >= sizeof buf || (i < 3 && !comma) || (i == 3 && comma))
            return -1;
        memcpy(buf, p, n);
        buf[n] = 0;
        if (cli_parse_u32(buf, &v[i]))
            return -1;
        p = comma ? comma + 1 : p + n;
    }
    for (int i = 0; i < NOC_STAGES; i++)
        c->router_stage_cycles[i] = v[i];
    return 0;
}

static void show_stages(const void *ptr, char *buf, size_t len)
{
    const noc_config *c = ptr;
    const uint32_t *st = c->router_stage_cycles;
    snprintf(buf, len, "%u,%u,%u,%u", st[0], st[1], st[2], st[3]);
}

static int parse_routing(const char *s, void *ptr, char *msg, size_t len)
{
    if (noc_routing_parse(s, ptr) == 0)
        return 0;
    snprintf(msg, len, "xy, yx or xyyx");
    return -1;
}

static void show_routing(const void *ptr, char *buf, size_t len)
{
    snprintf(buf, len, "%s", noc_routing_name(*(const noc_routing *)ptr));
}

static int parse_model(const char *s, void *ptr, char *msg, size_t len)
{
    if (noc_model_kind_parse(s, ptr) == 0)
        return 0;
    snprintf(msg, len, "flit or packet");
    return -1;
}

static void show_model(const void *ptr, char *buf, size_t len)
{
    snprintf(buf, len, "%s", noc_model_kind_name(*(const noc_model_kind *)ptr));
}

static int parse_pattern(const char *s, void *ptr, char *msg, size_t len)
{
    if (noc_traffic_parse_pattern(s, ptr) == 0)
        return 0;
    snprintf(msg, len, "uniform, transpose, hotspot or bitcomp");
    return -1;
}

static void show_pattern(const void *ptr, char *buf, size_t len)
{
    snprintf(buf, len, "%s", noc_traffic_pattern_name(*(const noc_traffic_pattern *)ptr));
}

#define NET_OPTS 16
/* The network's options, straight into its noc_config; each is named as
 * the chip file's noc: key (vc_depth_flits: --vc-depth-flits), and its
 * default shown is the model's (noc_config_default). */
static void net_opts(noc_config *n, cli_opt out[NET_OPTS])
{
    const cli_opt t[NET_OPTS] = {
        {.name = "mesh", .kind = CLI_CUSTOM, .ptr = n, .arg = "WxH", .parse = parse_mesh,
         .show = show_mesh, .help = "mesh size (K means KxK)"},
        {.name = "virtual-channels", .kind = CLI_U32, .ptr = &n->virtual_channels, .arg = "N",
         .help = "virtual channels per port"},
        {.name = "vc-depth-flits", .kind = CLI_U32, .ptr = &n->vc_depth_flits, .arg = "N",
         .help = "flits per VC buffer"},
        {.name = "router-stage-cycles", .kind = CLI_CUSTOM, .ptr = n, .arg = "a,b,c,d",
         .parse = parse_stages, .show = show_stages,
         .help = "routing, VC alloc, switch alloc, crossbar cycles"},
        {.name = "link-latency-cycles", .kind = CLI_U32, .ptr = &n->link_latency_cycles,
         .arg = "N", .help = "router-to-router link cycles"},
        {.name = "credit-delay-cycles", .kind = CLI_U32, .ptr = &n->credit_delay_cycles,
         .arg = "N", .help = "added to a credit's trip back"},
        {.name = "terminals-per-router", .kind = CLI_U32, .ptr = &n->terminals_per_router,
         .arg = "N", .help = "terminals per router"},
        {.name = "flit-width-bits", .kind = CLI_U32, .ptr = &n->flit_width_bits, .arg = "N",
         .help = "link width"},
        {.name = "clock-ghz", .kind = CLI_DOUBLE, .ptr = &n->clock_ghz, .arg = "F",
         .help = "NoC clock"},
        {.name = "energy-per-flit-hop-pj", .kind = CLI_DOUBLE,
         .ptr = &n->energy_per_flit_hop_pj, .arg = "F", .help = "energy per flit per router"},
        {.name = "energy-per-bit-link-pj", .kind = CLI_DOUBLE,
         .ptr = &n->energy_per_bit_link_pj, .arg = "F", .help = "energy per bit per link hop"},
        {.name = "routing", .kind = CLI_CUSTOM, .ptr = &n->routing, .arg = "R",
         .parse = parse_routing, .show = show_routing, .help = "xy|yx|xyyx (xyyx can deadlock)"},
        {.name = "deadlock-cycles", .kind = CLI_U64, .ptr = &n->deadlock_cycles, .arg = "N",
         .help = "no flit moving this long = deadlock"},
        {.name = "model", .kind = CLI_CUSTOM, .ptr = &n->model, .arg = "M",
         .parse = parse_model, .show = show_model,
         .help = "flit (reference) or packet (faster, see README)"},
        {.name = NULL}};
    memcpy(out, t, sizeof t);
}

#define RUN_OPTS 16
/* The traffic's and the run's options. */
static void run_opts(noc_cli *n, cli_opt out[RUN_OPTS])
{
    noc_traffic_config *c = &n->c;
    const cli_opt t[RUN_OPTS] = {
        {.name = "traffic", .kind = CLI_CUSTOM, .ptr = &c->pattern, .arg = "P",
         .parse = parse_pattern, .show = show_pattern,
         .help = "uniform|transpose|hotspot|bitcomp"},
        {.name = "packet-flits", .kind = CLI_U32, .ptr = &c->packet_flits, .arg = "N",
         .help = "flits per packet"},
        {.name = "rate", .kind = CLI_DOUBLE, .ptr = &c->rate, .arg = "R",
         .help = "offered load, flits/terminal/cycle, (0,1]"},
        {.name = "hotspot", .kind = CLI_U32, .ptr = &c->hotspot, .arg = "T",
         .help = "hotspot terminal"},
        {.name = "hotspot-frac", .kind = CLI_DOUBLE, .ptr = &c->hotspot_frac, .arg = "F",
         .help = "share of packets to the hotspot"},
        {.name = "multicast", .kind = CLI_CUSTOM, .ptr = c, .arg = "F:N",
         .parse = parse_multicast, .help = "share F of packets multicast to N random terminals\n"
                                          "(packets no longer than a VC buffer)"},
        {.name = "warmup-cycles", .kind = CLI_U64, .ptr = &c->warmup_cycles, .arg = "N",
         .help = "cycles before measuring"},
        {.name = "measure-cycles", .kind = CLI_U64, .ptr = &c->measure_cycles, .arg = "N",
         .help = "cycles measured"},
        {.name = "latency-limit", .kind = CLI_DOUBLE, .ptr = &c->latency_limit_cycles,
         .arg = "N", .help = "mean latency (cycles) that means unstable"},
        {.name = "seed", .kind = CLI_U64, .ptr = &c->seed, .arg = "S",
         .help = "same seed, same output"},
        {.name = "json", .kind = CLI_FLAG, .ptr = &n->json, .help = "print one JSON object"},
        {.name = "sweep", .kind = CLI_FLAG, .ptr = &n->sweep,
         .help = "CSV curve up to saturation, saturation by bisection"},
        {.name = "sweep-step", .kind = CLI_DOUBLE, .ptr = &n->step, .arg = "F",
         .help = "offered-load step of the sweep"},
        {.name = "sweep-tol", .kind = CLI_DOUBLE, .ptr = &n->tol, .arg = "F",
         .help = "bisection tolerance of the saturation point"},
        {.name = NULL}};
    memcpy(out, t, sizeof t);
}

/* A configuration the NoC refuses: a usage error, one line. */
static int bad(const char *msg)
{
    fprintf(stderr, "evsim noc: %s\n", msg);
    return 2;
}

static void print_text(const noc_traffic_config *c, const noc_traffic_result *r)
{
    printf("mesh %ux%u, %s traffic, %u-flit packets, offered %.6g "
           "flits/terminal/cycle, seed %llu\n",
           c->net.width, c->net.height, noc_traffic_pattern_name(c->pattern),
           c->packet_flits, r->offered_rate, (unsigned long long)c->seed);
    printf("measured packets: %llu (deliveries %llu)\n",
           (unsigned long long)r->measured_packets,
           (unsigned long long)r->delivered_packets);
    printf("packet latency (cycles): mean %.4f min %llu max %llu\n",
           r->mean_latency_cycles, (unsigned long long)r->min_latency_cycles,
           (unsigned long long)r->max_latency_cycles);
    printf("accepted flit rate: %.6f flits/terminal/cycle\n",
           r->accepted_flit_rate);
    printf("mean hops: %.4f\n", r->mean_hops);
    printf("energy in window (pJ): router %.1f link %.1f\n",
           r->router_energy_pj, r->link_energy_pj);
    printf("stable: %s\n", r->stable ? "yes" : "no");
    if (c->net.model != NOC_MODEL_FLIT)
        printf("model: %s (the flit model is the reference)\n",
               noc_model_kind_name(c->net.model));
}

static void print_json_fields(const noc_traffic_config *c,
                              const noc_traffic_result *r)
{
    printf("\"mesh\": \"%ux%u\", \"traffic\": \"%s\", \"packet_flits\": %u, "
           "\"offered_rate\": %.6g, \"mean_packet_latency_cycles\": %.6g, "
           "\"min_packet_latency_cycles\": %llu, "
           "\"max_packet_latency_cycles\": %llu, "
           "\"accepted_flit_rate\": %.6g, \"mean_hops\": %.6g, "
           "\"stable\": %s, \"measured_packets\": %llu, "
           "\"router_energy_pj\": %.6g, \"link_energy_pj\": %.6g, "
           "\"cycles\": %llu, \"seed\": %llu",
           c->net.width, c->net.height, noc_traffic_pattern_name(c->pattern),
           c->packet_flits, r->offered_rate, r->mean_latency_cycles,
           (unsigned long long)r->min_latency_cycles,
           (unsigned long long)r->max_latency_cycles, r->accepted_flit_rate,
           r->mean_hops, r->stable ? "true" : "false",
           (unsigned long long)r->measured_packets, r->router_energy_pj,
           r->link_energy_pj, (unsigned long long)r->cycles,
           (unsigned long long)c->seed);
    /* Only when not the default, so flit-model outputs stay as they were. */
    if (c->net.model != NOC_MODEL_FLIT)
        printf(", \"model\": \"%s\"", noc_model_kind_name(c->net.model));
}

static int report_deadlock(const noc_traffic_result *r)
{
    fprintf(stderr, "evsim noc: deadlock: no flit moved for the deadlock "
            "threshold with flits in flight; routers holding flits (%u):",
            r->n_deadlock_routers);
    uint32_t shown = r->n_deadlock_routers < 64 ? r->n_deadlock_routers : 64;
    for (uint32_t i = 0; i < shown; i++)
        fprintf(stderr, " %u", r->deadlock_routers[i]);
    fprintf(stderr, "%s\n", shown < r->n_deadlock_routers ? " ..." : "");
    return 1;
}

/* 0 parsed and checked, else the exit status + 1. */
static int parse(noc_cli *n, int argc, char **argv)
{
    cli_opt net[NET_OPTS], run[RUN_OPTS], trace[CLI_TRACE_OPTS];
    net_opts(&n->c.net, net);
    run_opts(n, run);
    cli_trace_opts(&n->th.req, trace);
    const cli_spec spec = {.cmd = "noc", .synopsis = synopsis, .tables = {net, run, trace}};
    int rc = cli_parse(&spec, argc, argv);
    if (rc)
        return rc == 1 ? 1 : 3;
    base_error e;
    if (noc_traffic_check(&n->c, &e))
        return bad(e.msg) + 1;
    if (n->th.req.path && n->sweep)
        return bad("--trace records one run, not a --sweep") + 1;
    return 0;
}

static int run_one(noc_cli *n)
{
    noc_traffic_result r;
    base_error e;
    if (noc_traffic_run(&n->c, &r, &e)) {
        trc_noc_hook_cancel(&n->th);
        fprintf(stderr, "evsim noc: %s\n", e.msg);
        return 1;
    }
    if (trc_noc_hook_end(&n->th, r.cycles)) {
        fprintf(stderr, "evsim noc: %s\n", n->th.err.msg);
        return 1;
    }
    if (n->th.done)
        fprintf(stderr, "evsim noc: trace %s: %llu slices, %llu bytes\n", n->th.req.path,
                (unsigned long long)n->th.st.slices, (unsigned long long)n->th.st.bytes);
    if (r.deadlock)
        return report_deadlock(&r);
    if (n->json) {
        printf("{");
        print_json_fields(&n->c, &r);
        printf("}\n");
    } else {
        print_text(&n->c, &r);
    }
    return 0;
}

static void print_sweep_json(const noc_traffic_config *c, const noc_traffic_result *pts,
                             size_t n, const noc_traffic_result *sat)
{
    printf("{\"points\": [");
    for (size_t i = 0; i < n; i++) {
        printf("%s{", i ? ", " : "");
        print_json_fields(c, &pts[i]);
        printf("}");
    }
    printf("], \"saturation\": ");
    if (sat->stable) {
        printf("{");
        print_json_fields(c, sat);
        printf("}");
    } else {
        printf("null");
    }
    printf("}\n");
}

static void print_sweep_csv(const noc_traffic_result *pts, size_t n,
                            const noc_traffic_result *sat)
{
    printf("offered_rate,stable,mean_packet_latency_cycles,accepted_flit_rate\n");
    for (size_t i = 0; i < n; i++) {
        if (pts[i].stable)
            printf("%.6g,1,%.6g,%.6g\n", pts[i].offered_rate, pts[i].mean_latency_cycles,
                   pts[i].accepted_flit_rate);
        else
            printf("%.6g,0,,%.6g\n", pts[i].offered_rate, pts[i].accepted_flit_rate);
    }
    if (sat->stable)
        printf("# saturation: offered_rate=%.6g accepted_flit_rate=%.6g "
               "mean_packet_latency_cycles=%.6g\n",
               sat->offered_rate, sat->accepted_flit_rate, sat->mean_latency_cycles);
    else
        printf("# saturation: none (unstable at the lowest rate)\n");
}

static int run_sweep(noc_cli *n)
{
    if (!(n->step > 0.0 && n->step <= 1.0) || !(n->tol > 0.0 && n->tol < 1.0))
        return bad("sweep step must be in (0, 1] and tolerance in (0, 1)");
    noc_traffic_result *pts, sat;
    size_t np;
    base_error e;
    if (noc_traffic_sweep(&n->c, n->step, n->tol, &pts, &np, &sat, &e)) {
        fprintf(stderr, "evsim noc: %s\n", e.msg);
        return 1;
    }
    for (size_t i = 0; i < np; i++)
        if (pts[i].deadlock) {
            int rc = report_deadlock(&pts[i]);
            free(pts);
            return rc;
        }
    if (n->json)
        print_sweep_json(&n->c, pts, np, &sat);
    else
        print_sweep_csv(pts, np, &sat);
    free(pts);
    return 0;
}

int cli_noc_main(int argc, char **argv)
{
    noc_cli n = {.step = 0.05, .tol = 0.005};
    noc_traffic_default(&n.c);
    trc_noc_hook_init(&n.th);
    int prc = parse(&n, argc, argv);
    if (prc)
        return prc - 1;
    if (n.th.req.path && !(n.c.observer = trc_noc_hook_observer(&n.th))) {
        fprintf(stderr, "evsim noc: %s\n", n.th.err.msg);
        return 1;
    }
    return n.sweep ? run_sweep(&n) : run_one(&n);
}
