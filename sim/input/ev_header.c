/* ev_header.c -- the text headers in front of the binary bodies: jAER's
 * '#' lines (AEDAT 2.0), Prophesee's '%' lines (EVT 2.0 / 3.0 raw, DAT),
 * and the CSV header line. Lines are read through the reader's fixed
 * buffer, so a header of any length streams like the body. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input/ev_internal.h"

#define HDR_LINE 512

static int parse_u32(const char *s, uint32_t *v)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(s, &end, 10);
    if (end == s || errno || x > UINT32_MAX || !isdigit((unsigned char)*s))
        return -1;
    *v = (uint32_t)x;
    return 0;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Known cameras by plugin name, for headers that give no geometry. */
static void prophesee_size_from_name(const char *s, uint32_t *w, uint32_t *h)
{
    if (strstr(s, "gen4") || strstr(s, "imx636") || strstr(s, "IMX636")) {
        *w = 1280;
        *h = 720;
    } else if (strstr(s, "gen3")) {
        *w = 640;
        *h = 480;
    }
}

/* "EVT3;height=720;width=1280" (the newer '% format' line). */
static void prophesee_format_line(const char *v, int *evt, uint32_t *w, uint32_t *h)
{
    if (!strncasecmp(v, "EVT3", 4))
        *evt = 3;
    else if (!strncasecmp(v, "EVT2", 4) && v[4] != '1')
        *evt = 2;
    else
        *evt = -1;
    for (const char *p = strchr(v, ';'); p; p = strchr(p + 1, ';')) {
        if (!strncmp(p + 1, "height=", 7))
            parse_u32(p + 8, h);
        else if (!strncmp(p + 1, "width=", 6))
            parse_u32(p + 7, w);
    }
}

int ev_header_prophesee_facts(ev_reader *r, int *evt, int *dat_version)
{
    char line[HDR_LINE], plugin[64] = "";
    uint32_t w = 0, h = 0;
    *evt = 0;
    *dat_version = -1;
    while (evr_peek(r) == '%') {
        if (evr_line(r, line, sizeof line) < 0)
            break;
        const char *s = skip_ws(line + 1);
        if (!strcmp(s, "end"))
            break;
        const char *v = s;
        while (*v && *v != ' ' && *v != '\t')
            v++;
        size_t klen = (size_t)(v - s);
        v = skip_ws(v);
        if (klen == 3 && !strncmp(s, "evt", 3)) {
            if (!strcmp(v, "2.0"))
                *evt = 2;
            else if (!strcmp(v, "3.0"))
                *evt = 3;
            else {
                evr_fail(r, "Prophesee header: unsupported EVT version '%s' "
                            "(evsim reads EVT 2.0 and 3.0)", v);
                return -1;
            }
        } else if (klen == 6 && !strncmp(s, "format", 6)) {
            prophesee_format_line(v, evt, &w, &h);
            if (*evt < 0) {
                evr_fail(r, "Prophesee header: unsupported format '%s'", v);
                return -1;
            }
        } else if (klen == 8 && !strncmp(s, "geometry", 8)) {
            const char *x = strchr(v, 'x');
            if (!x || parse_u32(v, &w) || parse_u32(x + 1, &h)) {
                evr_fail(r, "Prophesee header: bad geometry '%s' (expected WxH)", v);
                return -1;
            }
        } else if (klen == 5 && !strncasecmp(s, "width", 5)) {
            parse_u32(v, &w);
        } else if (klen == 6 && !strncasecmp(s, "height", 6)) {
            parse_u32(v, &h);
        } else if (klen == 7 && !strncmp(s, "Version", 7)) {
            uint32_t ver;
            *dat_version = parse_u32(v, &ver) ? 0 : (int)ver;
        } else if (klen == 4 && !strncmp(s, "Data", 4)) {
            if (*dat_version < 0)
                *dat_version = 0;
        } else if (klen == 11 && !strncmp(s, "plugin_name", 11)) {
            snprintf(plugin, sizeof plugin, "%.63s", v);
        }
    }
    if (r->failed)
        return -1;
    if (plugin[0]) {
        snprintf(r->info.sensor, sizeof r->info.sensor, "%.63s", plugin);
        if (!w || !h)
            prophesee_size_from_name(plugin, &w, &h);
    }
    r->info.width = w;
    r->info.height = h;
    return 0;
}

int ev_header_dat_types(ev_reader *r, int dat_version)
{
    while (r->len - r->pos < 2 && !r->eof)
        if (evr_refill(r))
            return -1;
    if (r->len - r->pos < 2) {
        evr_fail(r, "DAT file ends inside its header (no event type/size bytes)");
        return -1;
    }
    unsigned type = r->buf[r->pos], size = r->buf[r->pos + 1];
    /* 0x00 (Event2D) and 0x0C (EventCD) are the 8-byte CD events */
    if ((type != 0x00 && type != 0x0C) || size != 8) {
        evr_fail(r, "DAT event type 0x%02x of %u bytes is not supported "
                    "(evsim reads 8-byte CD events, type 0x00 or 0x0c)", type, size);
        return -1;
    }
    r->pos += 2;
    r->st.ts.dat_v2 = dat_version >= 2 || dat_version < 0;
    return 0;
}

static const struct {
    const char *chip;
    ev_format layout;
    uint32_t w, h;
} aedat_chips[] = {
    {"dvs128", EV_FMT_AEDAT2_DVS128, 128, 128},
    {"davis240", EV_FMT_AEDAT2_DAVIS, 240, 180},
    {"davis346", EV_FMT_AEDAT2_DAVIS, 346, 260},
    {"davis640", EV_FMT_AEDAT2_DAVIS, 640, 480},
    {"davis208", EV_FMT_AEDAT2_DAVIS, 208, 192},
    {"davis", EV_FMT_AEDAT2_DAVIS, 0, 0},
};

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return 0;
}

int ev_header_aedat2(ev_reader *r)
{
    char line[HDR_LINE];
    int first = 1, chip = -1;
    while (evr_peek(r) == '#') {
        if (evr_line(r, line, sizeof line) < 0)
            break;
        if (first && strncmp(line, "#!AER-DAT2.0", 12)) {
            evr_fail(r, "AEDAT 2.0 header must start with '#!AER-DAT2.0', found '%.40s'", line);
            return -1;
        }
        first = 0;
        const char *s = skip_ws(line + 1);
        if (!strncmp(s, "AEChip:", 7)) {
            const char *name = skip_ws(s + 7), *dot = strrchr(name, '.');
            snprintf(r->info.sensor, sizeof r->info.sensor, "%.63s", dot ? dot + 1 : name);
            for (size_t i = 0; i < sizeof aedat_chips / sizeof aedat_chips[0]; i++)
                if (contains_ci(r->info.sensor, aedat_chips[i].chip)) {
                    chip = (int)i;
                    break;
                }
        } else if (!strncasecmp(s, "End Of ASCII Header", 19)) {
            break;
        }
    }
    if (r->failed)
        return -1;
    if (first && r->info.format == EV_FMT_AEDAT2) {
        evr_fail(r, "no AEDAT 2.0 header ('#!AER-DAT2.0' line)");
        return -1;
    }
    ev_format want = r->info.format;
    if (want == EV_FMT_AEDAT2) {
        if (chip < 0) {
            evr_fail(r, "AEDAT 2.0 header names %s chip '%s' with no known address layout; "
                        "use --format aedat2-dvs128 or aedat2-davis240",
                     r->info.sensor[0] ? "the" : "no (AEChip)", r->info.sensor);
            return -1;
        }
        want = aedat_chips[chip].layout;
    }
    if (chip >= 0 && aedat_chips[chip].layout == want) {
        r->info.width = aedat_chips[chip].w;
        r->info.height = aedat_chips[chip].h;
    } else {
        /* a forced layout the header does not confirm: its native size */
        r->info.width = want == EV_FMT_AEDAT2_DVS128 ? 128 : 240;
        r->info.height = want == EV_FMT_AEDAT2_DVS128 ? 128 : 180;
    }
    r->info.format = want;
    return 0;
}

static const struct {
    const char *name;
    uint64_t ps;
} csv_units[] = {
    {"t_ps", 1}, {"t_ns", 1000}, {"t_us", 1000000}, {"t_ms", 1000000000},
    {"t_s", UINT64_C(1000000000000)},
};

/* Next comma-separated field of *s, trimmed, into f. */
static void csv_field(const char **s, char *f, size_t cap)
{
    const char *p = skip_ws(*s);
    size_t n = 0;
    while (*p && *p != ',') {
        if (n + 1 < cap)
            f[n++] = *p;
        p++;
    }
    while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
        n--;
    f[n] = '\0';
    *s = *p == ',' ? p + 1 : p;
}

int ev_header_csv(ev_reader *r)
{
    char line[HDR_LINE];
    ev_csv_state *c = &r->st.csv;
    for (;;) {
        long n = evr_line(r, line, sizeof line);
        if (n < 0) {
            if (!r->failed)
                evr_fail(r, "CSV file has no header line (t_UNIT,x,y,p or t_UNIT,channel, "
                         "optionally ,value)");
            return -1;
        }
        c->line_no++;
        if (line[0] == '#') {
            const char *w = strstr(line, "width="), *h = strstr(line, "height=");
            if (w)
                parse_u32(w + 6, &r->info.width);
            if (h)
                parse_u32(h + 7, &r->info.height);
            continue;
        }
        if (n == 0)
            continue;
        break;
    }
    char f[6][32];
    const char *s = line;
    int nf = 0;
    while (*s && nf < 6)
        csv_field(&s, f[nf++], sizeof f[0]);
    c->values = nf == 3 || nf == 5 ? !strcmp(f[nf - 1], "value") : 0;
    nf -= c->values;
    int ok = *s == '\0';
    for (size_t i = 0; ok && i < sizeof csv_units / sizeof csv_units[0]; i++)
        if (!strcmp(f[0], csv_units[i].name))
            c->unit_ps = csv_units[i].ps;
    ok = ok && c->unit_ps;
    if (ok && nf == 4 && !strcmp(f[1], "x") && !strcmp(f[2], "y") &&
        (!strcmp(f[3], "p") || !strcmp(f[3], "polarity")))
        c->channel = 0;
    else if (ok && nf == 2 && !strcmp(f[1], "channel"))
        c->channel = 1;
    else {
        evr_fail(r, "CSV line %llu: header must be t_UNIT,x,y,p or t_UNIT,channel, "
                    "optionally ,value (UNIT one of ps, ns, us, ms, s); found '%.60s'",
                 (unsigned long long)c->line_no, line);
        return -1;
    }
    r->info.tick_ps = c->unit_ps;
    r->info.channel_events = c->channel;
    r->info.has_values = c->values;
    return 0;
}
