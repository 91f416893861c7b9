/* noc_step.c -- wake-ups: every router woken for one cycle is stepped from
 * one kernel event.
 *
 * A router with work asks to run at some later cycle (noc_wake). One
 * kernel event per router and cycle made the event queue a third of the
 * flit model's instructions on a 4x4 mesh, where most routers run most
 * cycles; so the routers woken for a cycle wait in that cycle's list, and
 * one event at (cycle, NOC_PRIO_ROUTER) steps them all. The results are
 * those of one event per router:
 * - a list keeps the routers in the order their events would have fired:
 *   the order of their last wake-up (a router woken earlier than it was
 *   due leaves its old list and goes to the end of the new one);
 * - the cycle's event is scheduled by the wake-up of the first router in
 *   the list, so it sits where that router's own event would have;
 * - each router after the first counts as a fired event, and a kq_stop or
 *   the event limit of kq_run stops the list between two routers: the rest
 *   wait for the next kq_run under a new event at the same time.
 * The lists live in `steps`, cycles ascending: the one firing is always
 * the first, and a wake-up is nearly always for one of the last few, so
 * the search runs from the end. */
#include <string.h>

#include "noc/noc_internal.h"

static void on_step(kq_kernel *k, void *ctx, const void *payload);

/* Index of the list for `cycle`, or where it would go (*found = 0). From
 * the nearer end: a router's next step is mostly the next cycle, a flit's
 * arrival a few cycles on, the last list or close to it. */
static uint32_t step_find(const noc *n, uint64_t cycle, int *found)
{
    uint32_t i, ns = n->nsteps;
    if (ns && cycle - n->steps[0].cycle <= 1) {
        i = 0;
        while (i < ns && n->steps[i].cycle < cycle)
            i++;
    } else {
        i = ns;
        while (i > 0 && n->steps[i - 1].cycle >= cycle)
            i--;
    }
    *found = i < ns && n->steps[i].cycle == cycle;
    return i;
}

static int step_arm(noc *n, noc_step *s)
{
    return kq_schedule_at(n->k, s->cycle * n->cycle_ps, NOC_PRIO_ROUTER,
                          on_step, n, &s->cycle, sizeof s->cycle, &s->ev) == KQ_OK
               ? 0
               : -1;
}

/* A new, empty list for `cycle` at index i, its event scheduled. */
static int step_open(noc *n, uint32_t i, uint64_t cycle)
{
    if (BASE_GROW(n->steps, n->cap_steps, n->nsteps + 1, NOC_MAX_LIVE))
        return -1;
    memmove(&n->steps[i + 1], &n->steps[i], sizeof *n->steps * (n->nsteps - i));
    n->nsteps++;
    noc_step *s = &n->steps[i];
    *s = (noc_step){cycle, 0, NOC_NONE, NOC_NONE};
    if (step_arm(n, s)) {
        memmove(&n->steps[i], &n->steps[i + 1], sizeof *n->steps * (n->nsteps - i - 1));
        n->nsteps--;
        return -1;
    }
    return 0;
}

static void step_close(noc *n, uint32_t i)
{
    memmove(&n->steps[i], &n->steps[i + 1], sizeof *n->steps * (n->nsteps - i - 1));
    n->nsteps--;
}

static void list_append(noc *n, noc_step *s, noc_router *r)
{
    r->step_prev = s->tail;
    r->step_next = NOC_NONE;
    if (s->tail == NOC_NONE)
        s->head = r->id;
    else
        n->r[s->tail].step_next = r->id;
    s->tail = r->id;
}

static void list_remove(noc *n, noc_step *s, noc_router *r)
{
    if (r->step_prev == NOC_NONE)
        s->head = r->step_next;
    else
        n->r[r->step_prev].step_next = r->step_next;
    if (r->step_next == NOC_NONE)
        s->tail = r->step_prev;
    else
        n->r[r->step_next].step_prev = r->step_prev;
}

/* Take r out of the list of the cycle it was due at; a list left empty
 * closes, its event cancelled as r's own would have been. */
static void step_leave(noc *n, noc_router *r)
{
    int found;
    uint32_t i = step_find(n, r->next_tick, &found);
    noc_step *s = &n->steps[i];
    list_remove(n, s, r);
    if (s->head == NOC_NONE) {
        kq_cancel(n->k, s->ev);
        step_close(n, i);
    }
}

void noc_wake_at(noc *n, noc_router *r, uint64_t cycle)
{
    if (r->next_tick != UINT64_MAX)
        step_leave(n, r);
    int found;
    uint32_t i = step_find(n, cycle, &found);
    if (!found && step_open(n, i, cycle)) {
        /* Only memory exhaustion or a time overflow get here; a router
         * that cannot be scheduled would stall silently, so stop. */
        r->next_tick = UINT64_MAX;
        n->failed = 1;
        kq_stop(n->k);
        return;
    }
    list_append(n, &n->steps[i], r);
    r->next_tick = cycle;
}

/* Every router of the first list, in order. Routers only wake others for
 * later cycles, so the list stays first while it runs (though `steps` may
 * move as later lists open). */
static void on_step(kq_kernel *k, void *ctx, const void *payload)
{
    noc *n = ctx;
    uint64_t t;
    memcpy(&t, payload, sizeof t);
    for (int first = 1;; first = 0) {
        noc_step *s = &n->steps[0];
        if (!first) {
            if (!kq_steps_allowed(k)) {
                if (step_arm(n, s)) { /* out of memory: lose nothing silently */
                    n->failed = 1;
                    kq_stop(k);
                }
                return;
            }
            kq_count_steps(k, 1);
        }
        noc_router *r = &n->r[s->head];
        list_remove(n, s, r);
        r->next_tick = UINT64_MAX;
        int last = s->head == NOC_NONE;
        if (last)
            step_close(n, 0);
        noc_router_step(n, r, t);
        if (last)
            return;
    }
}

void noc_steps_free(noc *n)
{
    for (uint32_t i = 0; i < n->nsteps; i++)
        kq_cancel(n->k, n->steps[i].ev);
    base_free(n->steps);
    n->steps = NULL;
    n->nsteps = n->cap_steps = 0;
}
