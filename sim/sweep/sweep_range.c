/* sweep_range.c -- a sweep's points through the same plausibility check
 * `evsim run` applies to a chip (cfg_range_check_chip: a clock outside
 * 0.01-10 GHz, a mesh beyond 64x64, NoC state estimated beyond 8 GiB),
 * before any point runs. The key and type checks of sweep_open.c see one
 * value at a time; sizes can be implausible only together (a mesh width
 * and height), so each point's chip is written and loaded whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "sweep/sweep_int.h"

/* Some parameter (or a key a group sets) goes into the chip file. */
static bool touches_chip(const cfg_sweep *c)
{
    for (int i = 0; i < c->n_params; i++) {
        const cfg_sweep_param *p = &c->params[i];
        if (!p->sets) {
            if (!strncmp(p->key, "chip", 4))
                return true;
            continue;
        }
        for (int v = 0; v < p->n_values; v++)
            for (int j = 0; j < p->sets[v].n; j++)
                if (!strncmp(p->sets[v].items[j].key, "chip", 4))
                    return true;
    }
    return false;
}

/* Where to point at for point pt: its value of the first parameter that
 * goes into the chip (a group: its key). */
static void point_pos(const sweep *s, uint32_t pt, uint32_t *line, uint32_t *col)
{
    const cfg_sweep *c = s->cfg;
    const uint16_t *ch = &s->choice[(size_t)pt * (size_t)c->n_params];
    *line = *col = 1;
    for (int i = 0; i < c->n_params; i++) {
        const cfg_sweep_param *p = &c->params[i];
        if (p->sets || !strncmp(p->key, "chip", 4)) {
            *line = p->sets ? p->line : p->vline[ch[i]];
            *col = p->sets ? p->col : p->vcol[ch[i]];
            return;
        }
    }
}

/* The point's values, "clock_ghz=500, noc.mesh=[4, 4]", into buf. */
static void point_values(const sweep *s, uint32_t pt, char *buf, size_t cap)
{
    const cfg_sweep *c = s->cfg;
    const uint16_t *ch = &s->choice[(size_t)pt * (size_t)c->n_params];
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < c->n_params && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s=%s", i ? ", " : "", c->params[i].key,
                              c->params[i].values[ch[i]]);
}

/* Point pt's chip, written to dir and loaded: its range errors into err
 * (each prefixed with the point). Returns how many were added. */
static int check_point(sweep *s, uint32_t pt, const char *dir, bool force, sw_tmpfiles *t,
                       base_errors *err)
{
    sw_override ov[SW_MAX_OV];
    char cls[SW_MAX_OV][2], tag[32], scen[BASE_PATH_MAX];
    const char *ovc[SW_MAX_OV];
    base_error e;
    int n_ov = sw_point_overrides(s, pt, ov, ovc, cls);
    snprintf(tag, sizeof tag, "r%u", pt);
    if (n_ov < 0 || sw_build(s, ov, ovc, n_ov, dir, tag, true, t, scen, sizeof scen, &e))
        return 0; /* the point's run reports what is wrong with its files */
    base_errors le, re, warn;
    base_errors_init(&le);
    base_errors_init(&re);
    base_errors_init(&warn);
    cfg_scenario *sc = cfg_scenario_load_file(scen, &le);
    cfg_chip *chip = sc ? cfg_chip_load_file(sc->chip_path, &le) : NULL;
    int n = chip ? cfg_range_check_chip(chip, force, &re, &warn) : 0;
    char vals[512], msg[BASE_MSG_MAX * 2], line[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    uint32_t at_line, at_col;
    point_values(s, pt, vals, sizeof vals);
    point_pos(s, pt, &at_line, &at_col);
    for (int i = 0; i < re.count; i++) {
        snprintf(msg, sizeof msg, "%s", base_error_str(&re.items[i], line, sizeof line));
        sw_clean_msg(msg, t);
        base_fail_at(&e, s->cfg->file, at_line, at_col, "point %u (%s): %s", pt, vals, msg);
        base_errors_add(err, &e);
    }
    cfg_chip_free(chip);
    cfg_scenario_free(sc);
    base_errors_clear(&le);
    base_errors_clear(&re);
    base_errors_clear(&warn);
    sw_tmpfiles_remove(t);
    return n;
}

int sw_range_check(sweep *s, bool force, base_errors *err)
{
    if (!touches_chip(s->cfg))
        return 0;
    char dir[] = "/tmp/evsim_sweep_range_" "XX" "XX" "XX"; /* mkdtemp template */
    sw_tmpfiles *t = base_calloc(1, sizeof *t);
    if (!t || !mkdtemp(dir)) {
        base_free(t);
        return 0; /* nowhere to write: the points' runs still check their files */
    }
    int bad = 0;
    for (uint32_t pt = 0; pt < s->n_points && err->count < 32; pt++)
        bad += check_point(s, pt, dir, force, t, err);
    rmdir(dir);
    base_free(t);
    return bad;
}
