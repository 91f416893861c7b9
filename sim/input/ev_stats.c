/* ev_stats.c -- one-pass summary of an event stream (see ev_stats.h). */
#include <string.h>

#include "input/ev_stats.h"

void ev_stats_init(ev_stats *s)
{
    memset(s, 0, sizeof *s);
    s->x_min = s->y_min = s->ch_min = UINT32_MAX;
    s->bin_ps = EV_HIST_BIN0_PS;
}

/* Halve the resolution: bin i takes bins 2i and 2i+1. Counts are exact,
 * only their placement coarsens, so the result does not depend on how the
 * stream was batched. */
static void merge_bins(ev_stats *s)
{
    for (size_t i = 0; i < EV_HIST_BINS / 2; i++)
        s->hist[i] = s->hist[2 * i] + s->hist[2 * i + 1];
    memset(&s->hist[EV_HIST_BINS / 2], 0, sizeof s->hist / 2);
    s->bin_ps *= 2;
}

void ev_stats_add(ev_stats *s, const ev_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const ev_event *e = &ev[i];
        if (s->events == 0)
            s->t_first_ps = e->t_ps;
        s->events++;
        s->t_last_ps = e->t_ps;
        if (e->is_channel) {
            s->channel_events++;
            s->ch_min = e->channel < s->ch_min ? e->channel : s->ch_min;
            s->ch_max = e->channel > s->ch_max ? e->channel : s->ch_max;
        } else {
            s->on += e->polarity;
            s->off += !e->polarity;
            s->x_min = e->x < s->x_min ? e->x : s->x_min;
            s->x_max = e->x > s->x_max ? e->x : s->x_max;
            s->y_min = e->y < s->y_min ? e->y : s->y_min;
            s->y_max = e->y > s->y_max ? e->y : s->y_max;
        }
        /* an event earlier than the first one lands in bin 0 */
        uint64_t dt = e->t_ps > s->t_first_ps ? e->t_ps - s->t_first_ps : 0;
        while (dt / s->bin_ps >= EV_HIST_BINS)
            merge_bins(s);
        s->hist[dt / s->bin_ps]++;
    }
}

size_t ev_stats_bins_used(const ev_stats *s)
{
    size_t n = EV_HIST_BINS;
    while (n > 0 && s->hist[n - 1] == 0)
        n--;
    return n;
}
