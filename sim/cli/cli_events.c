/* cli_events.c -- `evsim events FILE`: read an event trace in any
 * supported format and summarise it (format, sensor size, counts, time
 * span, what was skipped and why, an event-rate histogram), as text or
 * one JSON object; --to-csv converts it to evsim's plain CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/standalone.h"

#define BATCH_EVENTS 4096

static const char synopsis[] =
    "usage: evsim events FILE [--format F] [--json] [--to-csv OUT]\n"
    "\n"
    "Summarise an event trace: format, sensor size, event count, time span,\n"
    "polarity counts, skipped records by reason, event-rate histogram.\n";

typedef struct {
    const char *path, *csv;
    int n_pos;
    ev_format fmt;
    bool json;
} events_cli;

static int parse_format(const char *v, void *ptr, char *msg, size_t len)
{
    ev_format f = ev_format_from_name(v);
    if (f == EV_FMT_COUNT) {
        snprintf(msg, len, "unknown format '%s'", v);
        return -2;
    }
    *(ev_format *)ptr = f;
    return 0;
}

/* 0 parsed, else the exit status + 1. */
static int parse(events_cli *c, int argc, char **argv)
{
    const cli_opt opts[] = {
        {.name = "format", .kind = CLI_CUSTOM, .ptr = &c->fmt, .arg = "F",
         .parse = parse_format,
         .help = "force the format instead of detecting it; F is one of\n"
                 "nmnist ncaltech101 aedat2 aedat2-dvs128 aedat2-davis240\n"
                 "evt2 evt3 dat aedat4 csv"},
        {.name = "json", .kind = CLI_FLAG, .ptr = &c->json,
         .help = "print one JSON object instead of text"},
        {.name = "to-csv", .kind = CLI_STR, .ptr = &c->csv, .arg = "OUT",
         .help = "also write the events as CSV (t_UNIT,x,y,p) to OUT"},
        {.name = NULL}};
    const cli_spec spec = {.cmd = "events", .synopsis = synopsis, .tables = {opts},
                           .pos = &c->path, .max_pos = 1, .n_pos = &c->n_pos};
    int rc = cli_parse(&spec, argc, argv);
    if (rc)
        return rc == 1 ? 1 : 3;
    if (!c->path)
        return cli_usage_error(&spec, "no FILE given") + 1;
    return 0;
}

/* A sensor size, or null when the file does not state it. */
static int json_size(cJSON *o, const char *key, uint32_t v)
{
    return v ? base_json_add_u64(o, key, v) : base_json_add_null(o, key);
}

/* A nested container under key; NULL when out of memory. */
static cJSON *json_child(cJSON *o, const char *key, cJSON *c)
{
    if (c && !cJSON_AddItemToObject(o, key, c)) {
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

/* The summary as one JSON object, built through cJSON with the numbers
 * printed as the text output prints them; the printed text (base_free it),
 * or NULL when out of memory. Made before the CSV is committed, so a
 * failure leaves no output behind. */
static char *json_summary(const char *path, const ev_info *in, const ev_stats *s)
{
    char t0[48], t1[48];
    ev_format_time(t0, s->t_first_ps, in->t_origin_us, EV_HIST_BIN0_PS);
    ev_format_time(t1, s->t_last_ps, in->t_origin_us, EV_HIST_BIN0_PS);
    cJSON *o = base_json_object(), *sk = NULL, *h = NULL, *c = NULL;
    int bad = !o || base_json_add_str(o, "file", path) ||
              base_json_add_str(o, "format", ev_format_name(in->format)) ||
              json_size(o, "width", in->width) || json_size(o, "height", in->height) ||
              base_json_add_str(o, "sensor", in->sensor) ||
              base_json_add_u64(o, "events", s->events);
    if (!bad && s->events)
        bad = base_json_add_raw(o, "t_first_us", t0) || base_json_add_raw(o, "t_last_us", t1);
    else if (!bad)
        bad = base_json_add_null(o, "t_first_us") || base_json_add_null(o, "t_last_us");
    bad = bad || base_json_add_u64(o, "on", s->on) || base_json_add_u64(o, "off", s->off) ||
          base_json_add_u64(o, "channel_events", s->channel_events);
    if (!bad && s->events > s->channel_events)
        bad = base_json_add_u64(o, "x_min", s->x_min) || base_json_add_u64(o, "x_max", s->x_max) ||
              base_json_add_u64(o, "y_min", s->y_min) || base_json_add_u64(o, "y_max", s->y_max);
    bad = bad || base_json_add_u64(o, "t_origin_us", in->t_origin_us) ||
          base_json_add_u64(o, "backwards", in->backwards) ||
          base_json_add_u64(o, "time_records", in->time_records) ||
          base_json_add_u64(o, "time_wraps", in->time_wraps) ||
          base_json_add_u64(o, "truncated_bytes", in->truncated_bytes) ||
          !(sk = json_child(o, "skipped", base_json_object()));
    for (int i = 0; !bad && i < EV_SKIP_COUNT; i++)
        bad = base_json_add_u64(sk, ev_skip_name((ev_skip_reason)i), in->skipped[i]);
    ev_format_time(t0, s->bin_ps, 0, EV_HIST_BIN0_PS);
    bad = bad || base_json_add_u64(o, "skipped_total", ev_skipped_total(in)) ||
          !(h = json_child(o, "histogram", base_json_object())) ||
          base_json_add_raw(h, "bin_us", t0) || !(c = json_child(h, "counts", base_json_array()));
    size_t used = ev_stats_bins_used(s);
    for (size_t i = 0; !bad && i < used; i++) {
        cJSON *v = base_json_u64(s->hist[i]);
        bad = !v || !cJSON_AddItemToArray(c, v);
        if (bad)
            cJSON_Delete(v);
    }
    char *text = bad ? NULL : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void print_histogram(const ev_info *in, const ev_stats *s);

static void print_text(const char *path, const ev_info *in, const ev_stats *s)
{
    char a[48], b[48], c[48];
    const uint64_t org = in->t_origin_us;
    printf("file        %s\n", path);
    printf("format      %s -- %s\n", ev_format_name(in->format),
           ev_format_description(in->format));
    if (in->width)
        printf("sensor      %u x %u", in->width, in->height);
    else
        printf("sensor      size not stated in the file");
    printf("%s%s\n", in->sensor[0] ? ", " : "", in->sensor);
    printf("events      %llu", (unsigned long long)s->events);
    if (s->events > s->channel_events)
        printf(" (ON %llu, OFF %llu)", (unsigned long long)s->on, (unsigned long long)s->off);
    if (s->channel_events)
        printf(" (channel events %llu, channels %u..%u)", (unsigned long long)s->channel_events,
               s->ch_min, s->ch_max);
    printf("\n");
    if (s->events) {
        ev_format_time(a, s->t_first_ps, org, EV_HIST_BIN0_PS);
        ev_format_time(b, s->t_last_ps, org, EV_HIST_BIN0_PS);
        uint64_t span = s->t_last_ps > s->t_first_ps ? s->t_last_ps - s->t_first_ps : 0;
        ev_format_time(c, span, 0, EV_HIST_BIN0_PS);
        printf("time        %s us .. %s us (span %s us)\n", a, b, c);
        if (s->events > s->channel_events)
            printf("x, y        %u..%u, %u..%u\n", s->x_min, s->x_max, s->y_min, s->y_max);
    }
    uint64_t skipped = ev_skipped_total(in);
    printf("skipped     %llu records", (unsigned long long)skipped);
    for (int i = 0, first = 1; i < EV_SKIP_COUNT; i++) {
        if (!in->skipped[i])
            continue;
        printf("%s%llu %s", first ? " (" : ", ", (unsigned long long)in->skipped[i],
               ev_skip_name((ev_skip_reason)i));
        if (i == EV_SKIP_TRUNCATED)
            printf(" [%llu bytes]", (unsigned long long)in->truncated_bytes);
        first = 0;
    }
    printf("%s\n", skipped ? ")" : "");
    if (in->backwards)
        printf("time order  %llu events earlier than the one before (delivered as recorded)\n",
               (unsigned long long)in->backwards);
    else
        printf("time order  monotonic\n");
    if (in->time_records)
        printf("time base   %llu TIME_HIGH records, %llu counter wraps\n",
               (unsigned long long)in->time_records, (unsigned long long)in->time_wraps);
    print_histogram(in, s);
}

/* The event rate per bin, with a bar scaled to the busiest bin. */
static void print_histogram(const ev_info *in, const ev_stats *s)
{
    char a[48], b[48];
    const uint64_t org = in->t_origin_us;
    size_t used = ev_stats_bins_used(s);
    if (!used)
        return;
    uint64_t peak = 0;
    for (size_t i = 0; i < used; i++)
        peak = s->hist[i] > peak ? s->hist[i] : peak;
    ev_format_time(a, s->bin_ps, 0, EV_HIST_BIN0_PS);
    printf("\nevent rate (bins of %s us from the first event)\n", a);
    printf("  %14s %10s %14s\n", "from t_us", "events", "events/s");
    for (size_t i = 0; i < used; i++) {
        ev_format_time(b, s->t_first_ps + i * s->bin_ps, org, EV_HIST_BIN0_PS);
        double rate = (double)s->hist[i] * 1e12 / (double)s->bin_ps;
        int bar = (int)(40 * s->hist[i] / peak);
        printf("  %14s %10llu %14.0f %.*s\n", b, (unsigned long long)s->hist[i], rate, bar,
               "########################################");
    }
}

/* Reads every event: statistics, and the CSV copy when asked; with json,
 * the summary's text into *summary before the copy is committed, so
 * running out of memory there leaves no CSV. 0, or -1 with err (the CSV
 * copy then removed). */
static int read_all(ev_reader *r, ev_csv_writer *w, ev_stats *st, const events_cli *c,
                    char **summary, base_error *err)
{
    ev_event *batch = base_malloc(BATCH_EVENTS * sizeof *batch);
    long n = -1;
    if (!batch)
        base_fail(err, "out of memory");
    else
        while ((n = ev_read(r, batch, BATCH_EVENTS, err)) > 0) {
            ev_stats_add(st, batch, (size_t)n);
            if (w && ev_csvw_write(w, batch, (size_t)n, err)) {
                n = -1;
                break;
            }
        }
    base_free(batch);
    if (n >= 0 && c->json && !(*summary = json_summary(c->path, ev_get_info(r), st))) {
        base_fail(err, "out of memory");
        n = -1;
    }
    if (n < 0) {
        ev_csvw_abort(w);
        return -1;
    }
    if (w && ev_csvw_commit(w, err)) {
        base_free(*summary);
        *summary = NULL;
        return -1;
    }
    return 0;
}

static void warn_skipped(const char *path, ev_reader *r)
{
    const ev_info *in = ev_get_info(r);
    if (in->skipped[EV_SKIP_TRUNCATED])
        fprintf(stderr, "evsim events: warning: %s ends with a partial record (%llu bytes), "
                        "counted as skipped 'truncated'\n",
                path, (unsigned long long)in->truncated_bytes);
    if (in->skipped[EV_SKIP_BAD_LINE])
        fprintf(stderr, "evsim events: warning: %s: %llu CSV lines do not parse (first: line "
                        "%llu), counted as skipped 'bad_line'\n",
                path, (unsigned long long)in->skipped[EV_SKIP_BAD_LINE],
                (unsigned long long)ev_csv_first_bad_line(r));
}

int cli_events_main(int argc, char **argv)
{
    events_cli c = {.fmt = EV_FMT_AUTO};
    int prc = parse(&c, argc, argv);
    if (prc)
        return prc - 1;
    base_error err;
    ev_reader *r;
    if (ev_open(&r, c.path, c.fmt, &err)) {
        fprintf(stderr, "evsim events: %s\n", err.msg);
        return 1;
    }
    ev_csv_writer *w = NULL;
    ev_stats st;
    ev_stats_init(&st);
    char *summary = NULL;
    if ((c.csv && ev_csvw_open(&w, c.csv, ev_get_info(r), &err)) ||
        read_all(r, w, &st, &c, &summary, &err)) {
        fprintf(stderr, "evsim events: %s\n", err.msg);
        ev_close(r);
        return 1;
    }
    warn_skipped(c.path, r);
    if (summary)
        printf("%s\n", summary);
    else
        print_text(c.path, ev_get_info(r), &st);
    base_free(summary);
    ev_close(r);
    return 0;
}
