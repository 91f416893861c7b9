/* ev_stats.h -- one-pass, constant-memory summary of an event stream:
 * counts by polarity, time span, coordinate ranges, and an event-rate
 * histogram whose bins double in width (merging neighbours) whenever the
 * stream outgrows them, so the whole trace always fits EV_HIST_BINS bins.
 * Also the CSV writer behind `evsim events --to-csv`. */
#ifndef EVSIM_EV_STATS_H
#define EVSIM_EV_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "input/ev_reader.h"

#define EV_HIST_BINS 32
#define EV_HIST_BIN0_PS UINT64_C(1000000) /* the narrowest bin: 1 us */

typedef struct {
    uint64_t events, on, off, channel_events;
    uint64_t t_first_ps, t_last_ps;
    uint32_t x_min, x_max, y_min, y_max, ch_min, ch_max;
    uint64_t hist[EV_HIST_BINS]; /* events per bin from t_first_ps */
    uint64_t bin_ps;             /* current bin width */
} ev_stats;

void ev_stats_init(ev_stats *s);
void ev_stats_add(ev_stats *s, const ev_event *ev, size_t n);
/* Bins up to the last non-empty one. */
size_t ev_stats_bins_used(const ev_stats *s);

/* CSV output: written to PATH.tmp and renamed to PATH by commit; abort
 * (or any failure) removes the temporary file. The header names the
 * source format and sensor size, then `t_UNIT,x,y,p` (or `t_UNIT,channel`)
 * with UNIT the source's own tick and absolute times (t_origin_us added),
 * so a conversion loses nothing. SRC is read again at every write (the
 * origin is known after the first event): keep the reader open. */
typedef struct ev_csv_writer ev_csv_writer;

int ev_csvw_open(ev_csv_writer **out, const char *path, const ev_info *src, base_error *err);
int ev_csvw_write(ev_csv_writer *w, const ev_event *ev, size_t n, base_error *err);
int ev_csvw_commit(ev_csv_writer *w, base_error *err); /* frees w */
void ev_csvw_abort(ev_csv_writer *w);                /* frees w */

/* ORIGIN_US + T_PS in units of TICK_PS, exact ("311175", "1.5"), into
 * buf (>= 48 bytes). */
void ev_format_time(char *buf, uint64_t t_ps, uint64_t origin_us, uint64_t tick_ps);

#endif
