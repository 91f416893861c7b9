/* trc_cli.c -- parsing of the shared --trace* options. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/trc_cli.h"

void trc_cli_init(trc_cli *c)
{
    memset(c, 0, sizeof *c);
    c->format = TRC_PERFETTO;
    c->level = TRC_FULL;
    c->sample_cycles = 100;
}

const char *trc_cli_help(void)
{
    return "  --trace FILE         write a Perfetto trace (open it in "
           "ui.perfetto.dev)\n"
           "  --trace-json FILE    write a Chrome JSON trace instead\n"
           "  --trace-level L      summary (counters only) or full "
           "(default)\n"
           "  --trace-from T       trace only from time T (cycles, or with "
           "a unit: 500ns, 2us)\n"
           "  --trace-to T         ... up to time T\n"
           "  --trace-sample N     counter sampling period in cycles "
           "(default 100)\n"
           "  --trace-cycles       timestamps in clock cycles instead of ns "
           "(shown as ns)\n";
}

/* "123" (cycles) or "1.5us": value and picoseconds per unit (0 = cycles). */
static int parse_time(const char *s, double *out, int *unit)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return -1; /* *out untouched: a bad value changes nothing */
    static const struct { const char *sfx; int ps; } units[] = {
        {"", 0}, {"c", 0}, {"cycles", 0}, {"ps", 1}, {"ns", 1000},
        {"us", 1000000}, {"ms", 1000000000}};
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (!strcmp(end, units[k].sfx)) {
            *out = v;
            *unit = units[k].ps;
            return 0;
        }
    return -1;
}

int trc_cli_parse(trc_cli *c, int argc, char **argv, int *i, base_error *err)
{
    const char *opt = argv[*i];
    if (!strcmp(opt, "--trace-cycles")) {
        c->cycles = true;
        return 1;
    }
    static const char *known[] = {"--trace", "--trace-json", "--trace-level",
                                  "--trace-from", "--trace-to",
                                  "--trace-sample"};
    size_t k = 0, n = sizeof known / sizeof known[0];
    while (k < n && strcmp(opt, known[k]))
        k++;
    if (k == n)
        return 0;
    if (*i + 1 >= argc) {
        snprintf(err->msg, sizeof err->msg, "%s needs a value", opt);
        return -1;
    }
    const char *v = argv[++*i];
    switch (k) {
    case 0:
    case 1:
        if (c->path) {
            snprintf(err->msg, sizeof err->msg,
                     "give only one of --trace and --trace-json");
            return -1;
        }
        c->path = v;
        c->format = k == 0 ? TRC_PERFETTO : TRC_JSON;
        return 1;
    case 2:
        if (trc_level_parse(v, &c->level) == 0)
            return 1;
        snprintf(err->msg, sizeof err->msg,
                 "--trace-level: expected summary or full, got '%s'", v);
        return -1;
    case 3:
    case 4: {
        double *d = k == 3 ? &c->from : &c->to;
        int *u = k == 3 ? &c->from_unit : &c->to_unit;
        if (parse_time(v, d, u)) {
            snprintf(err->msg, sizeof err->msg,
                     "%s: expected cycles or a time like 500ns, got '%s'",
                     opt, v);
            return -1;
        }
        *(k == 3 ? &c->has_from : &c->has_to) = true;
        return 1;
    }
    default: {
        char *end;
        unsigned long long s = strtoull(v, &end, 10);
        if (*v == '-' || end == v || *end || s == 0 || s > 1000000000ull) {
            snprintf(err->msg, sizeof err->msg,
                     "--trace-sample: expected a number of cycles >= 1, "
                     "got '%s'", v);
            return -1;
        }
        c->sample_cycles = s;
        return 1;
    }
    }
}

static uint64_t to_ps(double v, int unit, uint64_t cycle_ps)
{
    double ps = v * (unit ? (double)unit : (double)cycle_ps);
    return ps >= 1.8e19 ? UINT64_MAX : (uint64_t)llround(ps);
}

int trc_cli_options(const trc_cli *c, uint64_t cycle_ps, trc_options *o,
                    base_error *err)
{
    trc_options_default(o);
    o->format = c->format;
    o->level = c->level;
    if (c->cycles)
        o->cycle_ps = cycle_ps;
    if (c->has_from)
        o->from_ps = to_ps(c->from, c->from_unit, cycle_ps);
    if (c->has_to)
        o->to_ps = to_ps(c->to, c->to_unit, cycle_ps);
    if (o->to_ps < o->from_ps) {
        snprintf(err->msg, sizeof err->msg,
                 "--trace-to is earlier than --trace-from");
        return -1;
    }
    return 0;
}
