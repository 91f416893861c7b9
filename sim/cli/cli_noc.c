/* cli_noc.c -- `evsim noc`: the NoC model on synthetic traffic, alone.
 * Defaults are BookSim 2's default router on a 4x4 mesh, so a bare
 * `evsim noc` is comparable with BookSim's results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "noc/noc_traffic.h"
#include "noc/trc_noc.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: evsim noc [OPTIONS]\n"
        "\n"
        "Simulate a 2D-mesh NoC under synthetic traffic (Bernoulli injection)\n"
        "and print packet latency, accepted throughput and stability.\n"
        "\n"
        "  --mesh WxH             mesh size (default 4x4; K means KxK)\n"
        "  --traffic P            uniform|transpose|hotspot|bitcomp (uniform)\n"
        "  --packet-flits N       flits per packet (1)\n"
        "  --rate R               offered load, flits/terminal/cycle, (0,1] (0.1)\n"
        "  --vcs N                virtual channels per port (16)\n"
        "  --vc-buf N             flits per VC buffer (8)\n"
        "  --router-stages a,b,c,d  routing, VC alloc, switch alloc, crossbar\n"
        "                         cycles (1,1,1,1)\n"
        "  --link-latency N       router-to-router link cycles (1)\n"
        "  --terminals N          terminals per router (1)\n"
        "  --flit-bits N          link width (64)\n"
        "  --clock-ghz F          NoC clock (1)\n"
        "  --router-pj-per-flit F energy per flit per router (1)\n"
        "  --link-pj-per-bit F    energy per bit per link hop (0.1)\n"
        "  --routing R            xy|yx|xyyx (xy; xyyx can deadlock)\n"
        "  --hotspot T            hotspot terminal (0), with --hotspot-frac F (0.2)\n"
        "  --multicast F:N        share F of packets multicast to N random terminals\n"
        "                         (packets no longer than a VC buffer)\n"
        "  --warmup-cycles N      (3000)\n"
        "  --measure-cycles N     (10000)\n"
        "  --latency-limit N      mean latency (cycles) that means unstable (500)\n"
        "  --deadlock-cycles N    no flit moving this long = deadlock (10000)\n"
        "  --seed S               (1); same seed, same output\n"
        "  --json                 print one JSON object\n"
        "  --sweep                CSV curve up to saturation, saturation by\n"
        "                         bisection (--sweep-step 0.05, --sweep-tol 0.005)\n"
        "  --help\n");
    fputs(trc_cli_help(), out);
}

static int bad(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "evsim noc: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (parse_u64(s, &v) || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || v != v)
        return -1;
    *out = v;
    return 0;
}

/* "F:N": share and destination count; their ranges are checked with the
 * rest of the traffic configuration. */
static int parse_multicast(const char *s, double *frac, uint32_t *n)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return -1;
    char share[64];
    size_t len = (size_t)(colon - s);
    if (len >= sizeof share)
        return -1;
    memcpy(share, s, len);
    share[len] = 0;
    return parse_double(share, frac) || parse_u32(colon + 1, n) ? -1 : 0;
}

static int parse_mesh(const char *s, uint32_t *w, uint32_t *h)
{
    const char *x = strchr(s, 'x');
    if (!x)
        return parse_u32(s, w) ? -1 : (*h = *w, 0);
    char buf[32];
    size_t len = (size_t)(x - s);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    return parse_u32(buf, w) || parse_u32(x + 1, h) ? -1 : 0;
}

static int parse_stages(const char *s, noc_config *c)
{
    uint32_t v[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        char buf[16];
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= sizeof buf || (i < 3 && !comma) ||
            (i == 3 && comma))
            return -1;
        memcpy(buf, p, len);
        buf[len] = 0;
        if (parse_u32(buf, &v[i]))
            return -1;
        p = comma ? comma + 1 : p + len;
    }
    c->route_cycles = v[0];
    c->vc_alloc_cycles = v[1];
    c->sw_alloc_cycles = v[2];
    c->xbar_cycles = v[3];
    return 0;
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

int cli_noc_main(int argc, char **argv)
{
    noc_traffic_config c;
    noc_traffic_default(&c);
    int json = 0, sweep = 0;
    double step = 0.05, tol = 0.005;
    trc_noc_hook th;
    trc_noc_hook_init(&th);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!strcmp(a, "--sweep")) {
            sweep = 1;
            continue;
        }
        int tr = trc_cli_parse(&th.cli, argc, argv, &i, &th.err);
        if (tr < 0)
            return bad("%s%s", th.err.msg, "");
        if (tr > 0)
            continue;
        if (strncmp(a, "--", 2)) {
            bad("unexpected argument '%s'%s", a, "");
            usage(stderr);
            return 2;
        }
        static const char *const with_value[] = {
            "--mesh", "--traffic", "--packet-flits", "--rate", "--vcs",
            "--vc-buf", "--router-stages", "--link-latency", "--terminals",
            "--routing", "--hotspot", "--hotspot-frac", "--warmup-cycles",
            "--measure-cycles", "--latency-limit", "--deadlock-cycles",
            "--seed", "--sweep-step", "--sweep-tol", "--flit-bits",
            "--clock-ghz", "--router-pj-per-flit", "--link-pj-per-bit",
            "--multicast", NULL};
        int known = 0;
        for (int k = 0; with_value[k]; k++)
            known |= !strcmp(a, with_value[k]);
        if (!known) {
            bad("unknown option '%s'%s", a, "");
            usage(stderr);
            return 2;
        }
        if (i + 1 >= argc)
            return bad("option '%s' needs a value%s", a, "");
        const char *v = argv[++i];
        int err = 0;
        if (!strcmp(a, "--mesh"))
            err = parse_mesh(v, &c.net.width, &c.net.height);
        else if (!strcmp(a, "--traffic"))
            err = noc_traffic_parse_pattern(v, &c.pattern);
        else if (!strcmp(a, "--packet-flits"))
            err = parse_u32(v, &c.packet_flits);
        else if (!strcmp(a, "--rate"))
            err = parse_double(v, &c.rate);
        else if (!strcmp(a, "--vcs"))
            err = parse_u32(v, &c.net.vcs);
        else if (!strcmp(a, "--vc-buf"))
            err = parse_u32(v, &c.net.vc_buf_flits);
        else if (!strcmp(a, "--router-stages"))
            err = parse_stages(v, &c.net);
        else if (!strcmp(a, "--link-latency"))
            err = parse_u32(v, &c.net.link_cycles);
        else if (!strcmp(a, "--terminals"))
            err = parse_u32(v, &c.net.terminals_per_router);
        else if (!strcmp(a, "--routing")) {
            if (!strcmp(v, "xy"))
                c.net.routing = NOC_ROUTE_XY;
            else if (!strcmp(v, "yx"))
                c.net.routing = NOC_ROUTE_YX;
            else if (!strcmp(v, "xyyx"))
                c.net.routing = NOC_ROUTE_XYYX;
            else
                err = -1;
        } else if (!strcmp(a, "--hotspot"))
            err = parse_u32(v, &c.hotspot);
        else if (!strcmp(a, "--hotspot-frac"))
            err = parse_double(v, &c.hotspot_frac);
        else if (!strcmp(a, "--warmup-cycles"))
            err = parse_u64(v, &c.warmup_cycles);
        else if (!strcmp(a, "--measure-cycles"))
            err = parse_u64(v, &c.measure_cycles);
        else if (!strcmp(a, "--latency-limit"))
            err = parse_double(v, &c.latency_limit_cycles);
        else if (!strcmp(a, "--deadlock-cycles"))
            err = parse_u64(v, &c.net.deadlock_cycles);
        else if (!strcmp(a, "--seed"))
            err = parse_u64(v, &c.seed);
        else if (!strcmp(a, "--flit-bits"))
            err = parse_u32(v, &c.net.flit_bits);
        else if (!strcmp(a, "--clock-ghz"))
            err = parse_double(v, &c.net.clock_ghz);
        else if (!strcmp(a, "--router-pj-per-flit"))
            err = parse_double(v, &c.net.router_pj_per_flit);
        else if (!strcmp(a, "--link-pj-per-bit"))
            err = parse_double(v, &c.net.link_pj_per_bit);
        else if (!strcmp(a, "--multicast"))
            err = parse_multicast(v, &c.mcast_frac, &c.mcast_dsts);
        else if (!strcmp(a, "--sweep-step"))
            err = parse_double(v, &step);
        else if (!strcmp(a, "--sweep-tol"))
            err = parse_double(v, &tol);
        if (err)
            return bad("bad value '%s' for %s", v, a);
    }

    base_error e;
    if (noc_traffic_check(&c, &e))
        return bad("%s%s", e.msg, "");

    if (th.cli.path && sweep)
        return bad("--trace records one run, not a --sweep%s%s", "", "");
    if (th.cli.path && !(c.observer = trc_noc_hook_observer(&th))) {
        fprintf(stderr, "evsim noc: %s\n", th.err.msg);
        return 1;
    }
    if (!sweep) {
        noc_traffic_result r;
        if (noc_traffic_run(&c, &r, &e)) {
            trc_noc_hook_cancel(&th);
            fprintf(stderr, "evsim noc: %s\n", e.msg);
            return 1;
        }
        if (trc_noc_hook_end(&th, r.cycles)) {
            fprintf(stderr, "evsim noc: %s\n", th.err.msg);
            return 1;
        }
        if (th.done)
            fprintf(stderr, "evsim noc: trace %s: %llu slices, %llu bytes\n",
                    th.cli.path, (unsigned long long)th.st.slices,
                    (unsigned long long)th.st.bytes);
        if (r.deadlock)
            return report_deadlock(&r);
        if (json) {
            printf("{");
            print_json_fields(&c, &r);
            printf("}\n");
        } else {
            print_text(&c, &r);
        }
        return 0;
    }

    if (!(step > 0.0 && step <= 1.0) || !(tol > 0.0 && tol < 1.0))
        return bad("sweep step must be in (0, 1] and tolerance in (0, 1)%s%s",
                   "", "");
    noc_traffic_result *pts, sat;
    size_t n;
    if (noc_traffic_sweep(&c, step, tol, &pts, &n, &sat, &e)) {
        fprintf(stderr, "evsim noc: %s\n", e.msg);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        if (pts[i].deadlock) {
            int rc = report_deadlock(&pts[i]);
            free(pts);
            return rc;
        }
    if (json) {
        printf("{\"points\": [");
        for (size_t i = 0; i < n; i++) {
            printf("%s{", i ? ", " : "");
            print_json_fields(&c, &pts[i]);
            printf("}");
        }
        printf("], \"saturation\": ");
        if (sat.stable) {
            printf("{");
            print_json_fields(&c, &sat);
            printf("}");
        } else {
            printf("null");
        }
        printf("}\n");
    } else {
        printf("offered_rate,stable,mean_packet_latency_cycles,"
               "accepted_flit_rate\n");
        for (size_t i = 0; i < n; i++) {
            if (pts[i].stable)
                printf("%.6g,1,%.6g,%.6g\n", pts[i].offered_rate,
                       pts[i].mean_latency_cycles, pts[i].accepted_flit_rate);
            else
                printf("%.6g,0,,%.6g\n", pts[i].offered_rate,
                       pts[i].accepted_flit_rate);
        }
        if (sat.stable)
            printf("# saturation: offered_rate=%.6g accepted_flit_rate=%.6g "
                   "mean_packet_latency_cycles=%.6g\n",
                   sat.offered_rate, sat.accepted_flit_rate,
                   sat.mean_latency_cycles);
        else
            printf("# saturation: none (unstable at the lowest rate)\n");
    }
    free(pts);
    return 0;
}
