/* cli_opt.c -- the one option parser: argv read against a command's table
 * of options, the help printed from the same table. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (cli_parse_u64(s, &v) || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_double(const char *s, double *out)
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

/* "123" (cycles) or "1.5us": the value and picoseconds per unit. */
static int parse_time(const char *s, trc_time *t)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return -1;
    static const struct {
        const char *sfx;
        uint64_t ps;
    } units[] = {{"", 0},      {"c", 0},          {"cycles", 0},          {"ps", 1},
                 {"ns", 1000}, {"us", 1000000}, {"ms", 1000000000}};
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (!strcmp(end, units[k].sfx)) {
            *t = (trc_time){v, units[k].ps, true};
            return 0;
        }
    return -1;
}

void cli_print_cfg_errors(FILE *out, const char *prefix, const base_errors *e)
{
    char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    for (int i = 0; i < e->count; i++)
        fprintf(out, "%s%s\n", prefix, base_error_str(&e->items[i], buf, sizeof buf));
    if (e->dropped)
        fprintf(out, "%s(%d more errors)\n", prefix, e->dropped);
}

int cli_range_check(const cfg_chip *c, bool force, const char *prefix, base_errors *err)
{
    base_errors e, w;
    base_errors_init(&e);
    base_errors_init(&w);
    int n = cfg_range_check_chip(c, force, &e, &w);
    cli_print_cfg_errors(stderr, prefix, &w);
    if (err)
        for (int i = 0; i < e.count; i++)
            base_errors_add(err, &e.items[i]);
    else
        cli_print_cfg_errors(stderr, prefix, &e);
    base_errors_clear(&e);
    base_errors_clear(&w);
    return n;
}

/* ---- the table ---- */

static bool takes_value(const cli_opt *o)
{
    return o->kind != CLI_FLAG;
}

static const cli_opt *find_opt(const cli_spec *s, const char *a)
{
    for (int t = 0; t < CLI_MAX_TABLES && s->tables[t]; t++)
        for (const cli_opt *o = s->tables[t]; o->name; o++) {
            if (a[0] == '-' && a[1] == '-' && !strcmp(a + 2, o->name))
                return o;
            if (o->short_name && a[0] == '-' && a[1] == o->short_name && !a[2])
                return o;
        }
    return NULL;
}

static bool in_range(const cli_opt *o, double v)
{
    return (o->min == 0 && o->max == 0) || (v >= o->min && v <= o->max);
}

/* What a bad value of o should have been, for the message. */
static void expected(const cli_opt *o, char *buf, size_t len)
{
    bool ranged = !(o->min == 0 && o->max == 0);
    switch (o->kind) {
    case CLI_DOUBLE:
        if (ranged)
            snprintf(buf, len, "a number in %g..%g", o->min, o->max);
        else
            snprintf(buf, len, "a number");
        break;
    case CLI_TIME:
        snprintf(buf, len, "cycles or a time like 500ns");
        break;
    default:
        if (ranged)
            snprintf(buf, len, "%.0f..%.0f", o->min, o->max);
        else
            snprintf(buf, len, "a whole number >= 0");
    }
}

/* Stores v for o: 0, or -1 with what was expected in msg. */
static int set_value(const cli_opt *o, const char *v, char *msg, size_t len)
{
    uint64_t u;
    double d;
    int bad = 0;
    switch (o->kind) {
    case CLI_FLAG: *(bool *)o->ptr = true; return 0;
    case CLI_STR: *(const char **)o->ptr = v; return 0;
    case CLI_CUSTOM: return o->parse(v, o->ptr, msg, len);
    case CLI_TIME: bad = parse_time(v, (trc_time *)o->ptr); break;
    case CLI_DOUBLE:
        bad = cli_parse_double(v, &d) || !in_range(o, d);
        if (!bad)
            *(double *)o->ptr = d;
        break;
    default:
        bad = cli_parse_u64(v, &u) || !in_range(o, (double)u) ||
              (o->kind != CLI_U64 && u > (o->kind == CLI_INT ? INT32_MAX : UINT32_MAX));
        if (!bad && o->kind == CLI_U64)
            *(uint64_t *)o->ptr = u;
        else if (!bad && o->kind == CLI_U32)
            *(uint32_t *)o->ptr = (uint32_t)u;
        else if (!bad)
            *(int *)o->ptr = (int)u;
    }
    if (bad)
        expected(o, msg, len);
    return bad ? -1 : 0;
}

int cli_usage_error(const cli_spec *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "evsim %s: ", s->cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    cli_help(stderr, s);
    return 2;
}

/* Is -h/--help among the options (values skipped)? Help wins over every
 * other option, so the defaults it shows are the untouched ones. */
static bool help_asked(const cli_spec *s, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            return false;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return true;
        const cli_opt *o = find_opt(s, a);
        if (o && takes_value(o))
            i++;
    }
    return false;
}

static int positional(const cli_spec *s, const char *a)
{
    if (*s->n_pos >= s->max_pos)
        return cli_usage_error(s, "unexpected argument '%s'", a);
    s->pos[(*s->n_pos)++] = a;
    return 0;
}

static int one_option(const cli_spec *s, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const cli_opt *o = find_opt(s, a);
    const char *v = NULL;
    /* -j4: a short option with its value attached, as make takes it */
    char sh[3] = {a[0], a[1], 0};
    if (!o && a[1] != '-' && a[2] && (o = find_opt(s, sh)) && takes_value(o))
        v = a + 2;
    else if (!o || (v == NULL && !takes_value(o) && a[1] != '-' && a[2]))
        return cli_usage_error(s, "unknown option '%s'", a);
    if (!v && takes_value(o) && *i + 1 >= argc)
        return cli_usage_error(s, "option '%s' needs a value", a);
    if (!v && takes_value(o))
        v = argv[++*i];
    char msg[256] = "";
    int rc = set_value(o, v, msg, sizeof msg);
    if (rc == -2)
        return cli_usage_error(s, "%s", msg);
    if (rc != 0)
        return cli_usage_error(s, "--%s: expected %s, found '%s'", o->name, msg, v);
    return 0;
}

int cli_parse(const cli_spec *s, int argc, char **argv)
{
    if (help_asked(s, argc, argv)) {
        cli_help(stdout, s);
        return 1;
    }
    if (s->n_pos)
        *s->n_pos = 0;
    bool opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc;
        if (!opts_done && !strcmp(a, "--")) {
            opts_done = true;
            continue;
        }
        if (!opts_done && a[0] == '-' && a[1])
            rc = one_option(s, argc, argv, &i);
        else
            rc = s->n_pos ? positional(s, a) : cli_usage_error(s, "unexpected argument '%s'", a);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- help ---- */

static void show_default(const cli_opt *o, char *buf, size_t len)
{
    buf[0] = 0;
    if (o->no_default)
        return;
    switch (o->kind) {
    case CLI_U64: snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)o->ptr); break;
    case CLI_U32: snprintf(buf, len, "%u", *(const uint32_t *)o->ptr); break;
    case CLI_INT: snprintf(buf, len, "%d", *(const int *)o->ptr); break;
    case CLI_DOUBLE: snprintf(buf, len, "%g", *(const double *)o->ptr); break;
    case CLI_STR:
        if (*(const char *const *)o->ptr)
            snprintf(buf, len, "%s", *(const char *const *)o->ptr);
        break;
    case CLI_CUSTOM:
        if (o->show)
            o->show(o->ptr, buf, len);
        break;
    default: break;
    }
}

/* "  -q, --quiet", "  --json FILE": the left column of a row. */
static void opt_label(const cli_opt *o, char *buf, size_t len)
{
    if (o->short_name)
        snprintf(buf, len, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(buf, len, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

static void help_row(FILE *out, const cli_opt *o)
{
    char label[96], dflt[96];
    opt_label(o, label, sizeof label);
    show_default(o, dflt, sizeof dflt);
    if (strlen(label) > 22)
        fprintf(out, "  %s\n  %-22s ", label, "");
    else
        fprintf(out, "  %-22s ", label);
    /* continuation lines of the help line up under its first */
    for (const char *h = o->help; *h; h++) {
        fputc(*h, out);
        if (*h == '\n')
            fprintf(out, "  %-22s ", "");
    }
    if (dflt[0])
        fprintf(out, " (default %s)", dflt);
    fputc('\n', out);
}

void cli_help(FILE *out, const cli_spec *s)
{
    fputs(s->synopsis, out);
    fputc('\n', out);
    for (int t = 0; t < CLI_MAX_TABLES && s->tables[t]; t++)
        for (const cli_opt *o = s->tables[t]; o->name; o++)
            help_row(out, o);
    fprintf(out, "  %-22s this help\n", "-h, --help");
    if (s->footer)
        fputs(s->footer, out);
}

/* ---- the trace options ---- */

static int set_trace_path(const char *v, void *ptr, char *msg, size_t len, trc_format f)
{
    trc_request *r = ptr;
    if (r->path) {
        snprintf(msg, len, "only one of --trace and --trace-json");
        return -1;
    }
    r->path = v;
    r->format = f;
    return 0;
}

static int parse_trace(const char *v, void *ptr, char *msg, size_t len)
{
    return set_trace_path(v, ptr, msg, len, TRC_PERFETTO);
}

static int parse_trace_json(const char *v, void *ptr, char *msg, size_t len)
{
    return set_trace_path(v, ptr, msg, len, TRC_JSON);
}

static int parse_level(const char *v, void *ptr, char *msg, size_t len)
{
    if (trc_level_parse(v, &((trc_request *)ptr)->level) == 0)
        return 0;
    snprintf(msg, len, "summary or full");
    return -1;
}

static void show_level(const void *ptr, char *buf, size_t len)
{
    snprintf(buf, len, "%s", ((const trc_request *)ptr)->level == TRC_FULL ? "full" : "summary");
}

void cli_trace_opts(trc_request *r, cli_opt out[CLI_TRACE_OPTS])
{
    const cli_opt t[CLI_TRACE_OPTS] = {
        {.name = "trace", .kind = CLI_CUSTOM, .ptr = r, .arg = "FILE", .parse = parse_trace,
         .help = "write a Perfetto trace (open it in ui.perfetto.dev)"},
        {.name = "trace-json", .kind = CLI_CUSTOM, .ptr = r, .arg = "FILE",
         .parse = parse_trace_json, .help = "write a Chrome JSON trace instead"},
        {.name = "trace-level", .kind = CLI_CUSTOM, .ptr = r, .arg = "L", .parse = parse_level,
         .show = show_level, .help = "summary (counters only) or full"},
        {.name = "trace-from", .kind = CLI_TIME, .ptr = &r->from, .arg = "T",
         .help = "trace only from time T (cycles, or with a unit: 500ns, 2us)"},
        {.name = "trace-to", .kind = CLI_TIME, .ptr = &r->to, .arg = "T",
         .help = "... up to time T"},
        {.name = "trace-sample", .kind = CLI_U64, .ptr = &r->sample_cycles, .arg = "N",
         .min = 1, .max = 1e9, .help = "counter sampling period in cycles"},
        {.name = "trace-cycles", .kind = CLI_FLAG, .ptr = &r->cycles,
         .help = "timestamps in clock cycles instead of ns (shown as ns)"},
        {.name = NULL}};
    memcpy(out, t, sizeof t);
}
