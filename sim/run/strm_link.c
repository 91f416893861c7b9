/* strm_link.c -- a link's bandwidth reservations as an activity step
 * function, and the search for the first window that can take one more
 * request (semantics.md §3, Stream's CommunicationLink.update_activity
 * and get_idle_window). The search starts at an earliest time that may
 * lie far in the past: Stream's links are not causal, a transfer decided
 * late can land in an old gap. */
#include <math.h>
#include <string.h>

#include "run/strm_int.h"

int strm_prof_init(strm_profile *p)
{
    p->cap = 16;
    p->t = base_malloc(sizeof *p->t * (size_t)p->cap);
    p->lvl = base_malloc(sizeof *p->lvl * (size_t)p->cap);
    if (!p->t || !p->lvl)
        return -1;
    /* Stream starts every link at [0, inf) with activity 0. */
    p->t[0] = 0;
    p->t[1] = INFINITY;
    p->lvl[0] = p->lvl[1] = 0;
    p->n = 2;
    return 0;
}

void strm_prof_free(strm_profile *p)
{
    base_free(p->t);
    base_free(p->lvl);
    memset(p, 0, sizeof *p);
}

/* Index of the first step with t >= x (numpy searchsorted, side left). */
static int lower(const strm_profile *p, double x)
{
    int lo = 0, hi = p->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (p->t[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A breakpoint at x (continuing the level before it); its index. */
static int split_at(strm_profile *p, double x)
{
    int i = lower(p, x);
    if (i < p->n && p->t[i] == x)
        return i;
    if (p->n == p->cap) {
        int cap = p->cap * 2;
        double *t = base_realloc(p->t, sizeof *t * (size_t)cap);
        if (!t)
            return -1;
        p->t = t;
        int64_t *l = base_realloc(p->lvl, sizeof *l * (size_t)cap);
        if (!l)
            return -1;
        p->lvl = l;
        p->cap = cap;
    }
    memmove(p->t + i + 1, p->t + i, sizeof *p->t * (size_t)(p->n - i));
    memmove(p->lvl + i + 1, p->lvl + i, sizeof *p->lvl * (size_t)(p->n - i));
    p->t[i] = x;
    /* Before the first step Stream's cumulative sum is 0 as well. */
    p->lvl[i] = i > 0 ? p->lvl[i - 1] : 0;
    p->n++;
    return i;
}

int strm_prof_add(strm_profile *p, double start, double end, int64_t bits)
{
    if (start == end)
        return 0;
    int a = split_at(p, start);
    if (a < 0)
        return -1;
    int b = split_at(p, end);
    if (b < 0)
        return -1;
    for (int i = a; i < b; i++)
        p->lvl[i] += bits;
    return 0;
}

/* Stream's find_valid_window_for_given_bw, stopped at its first window:
 * the points are earliest, then every step after it; a point where the
 * request would overflow ends a window and the next point starts one. */
double strm_prof_window(const strm_profile *p, double cap, int64_t bits, double duration,
                        double earliest, double *win_end)
{
    int i = lower(p, earliest);
    while (i < p->n && p->t[i] == earliest)
        i++;                         /* side right */
    /* numpy's activities[i - 1]: i == 0 wraps to the last step (0). */
    int64_t lvl0 = i > 0 ? p->lvl[i - 1] : p->lvl[p->n - 1];
    double start = earliest;
    /* point k: k == 0 is earliest (level lvl0), k >= 1 is step i + k - 1 */
    int n_pts = p->n - i + 1;
    for (int k = 0; k < n_pts; k++) {
        double tk = k == 0 ? earliest : p->t[i + k - 1];
        int64_t lk = k == 0 ? lvl0 : p->lvl[i + k - 1];
        bool last = k == n_pts - 1;
        if (!((double)(lk + bits) > cap) && !last)
            continue;
        if (tk - start >= duration) {
            *win_end = tk;
            return start;
        }
        if (last)
            break;
        start = p->t[i + k];         /* the next point */
    }
    *win_end = start;
    return start;                    /* not reached: the last step is 0 wide open */
}

/* The earliest common window of every link: take each link's first
 * window from a candidate start; when they disagree, retry from the
 * latest of their starts (Stream intersects the window lists). */
double strm_links_window(const strm_state *s, const int *links, const int64_t *bits, int n,
                         double duration, double earliest)
{
    double t = earliest;
    for (;;) {
        double best = t, end;
        for (int i = 0; i < n; i++) {
            double st = strm_prof_window(&s->prof[links[i]], s->g->links[links[i]].bw_bits, bits[i],
                                         duration, t, &end);
            if (st > best)
                best = st;
        }
        if (best == t)               /* every link's window starts at t */
            return t;
        t = best;
    }
}
