/* strm_int.h -- the scheduler's state, shared by strm_sched.c (the main
 * loop), strm_xfer.c (transfers, removals, blocks), strm_mem.c (the top
 * memories), strm_link.c (link activity profiles) and strm_energy.c.
 * Not a contract: only the strm_*.c files include it. */
#ifndef EVSIM_STRM_INT_H
#define EVSIM_STRM_INT_H

#include "run/strm.h"

/* A link's activity as a step function: lvl[i] bits/cycle are in use on
 * [t[i], t[i+1]); the last step (t = +inf) is 0. Activities are integers,
 * times doubles, as Stream's numpy arrays (§3). */
typedef struct {
    double *t;
    int64_t *lvl;
    int n, cap;
} strm_profile;

/* A top memory instance's usage as a step function: use[i] bits from t[i]
 * on. Stream keeps these times in an integer array, so a fractional time
 * is stored truncated (§4). The tensors it holds form a list in the
 * order they came (head, then strm_state.nxt), as Stream's stored list. */
typedef struct {
    double *t;
    int64_t *use;
    int n, cap;
    int head, tail;                  /* tensors, -1: none */
    int n_stored;
    int64_t peak_bound;              /* >= every use[]: removals only lower them */
    int first_core;                  /* the first core that has it as a top memory */
    uint64_t core_mask;              /* all such cores */
} strm_inst;

/* Where a tensor object has gone on each link (broadcast de-duplication,
 * §3: the same object at the same start adds nothing). */
#define STRM_SEEN_INLINE 2
typedef struct {
    int n, cap;                      /* cap 0: the inline slots hold them */
    int *link;                       /* when cap > 0 */
    double *start;
    int link0[STRM_SEEN_INLINE];
    double start0[STRM_SEEN_INLINE];
} strm_seen;

typedef struct {
    const strm_graph *g;
    base_error *err;
    /* tensors: the graph's, then the sub-tensors cut while scheduling */
    int n_t, cap_t;
    strm_tensor *t;
    int *parent;                     /* -1 for the graph's tensors */
    int *t_layer;                    /* the origin CN's layer */
    /* per tensor x instance, [tensor * n_mems + mem] */
    uint8_t *in_mem;
    int *nxt, *prv;                  /* the instance's stored list */
    double *since, *avail;
    int *prio;
    uint8_t *has_prio;
    strm_seen *seen;                 /* per tensor */
    strm_inst *inst;                 /* per instance */
    strm_profile *prof;              /* per link */
    /* cores */
    double *idle_from;
    uint8_t *has_cns;
    /* CNs */
    int *rank;                       /* index in the priority order */
    int *layer;                      /* the CNs' layers, packed (hot in the loops) */
    uint8_t *done;
    double *start, *end;             /* end -1 until scheduled (Stream's default) */
    double *preds_end;
    int *preds_left;
    bool (*too_large)[STRM_NMEM];    /* Stream may clear a CN's list (§2.4) */
    uint8_t *sink;                   /* in a sink layer and producing final outputs */
    uint8_t *sync;                   /* its layer barrier applies (§2.2) */
    /* adjacency (CSR over edge indices, sorted by the other end) */
    int *in_off, *in_e, *out_off, *out_e;
    /* ready list: a binary heap of CN indices keyed by rank */
    int *heap;
    int n_heap;
    /* energy buckets per cause (§5) */
    double onchip_pj;
    double link_pj[STRM_CAUSE_NONE + 1], mem_pj[STRM_CAUSE_NONE + 1];
    /* events */
    strm_event *ev;
    int n_ev, cap_ev;
    int *scratch;                    /* room for one instance's stored list */
    int cap_scratch;
} strm_state;

/* The tensors one CN needs (§2.3): as Stream lists them, the sub-tensor
 * each became, and the memory operand it is received as. */
typedef struct {
    int n;
    int *full, *sub, *op;
} strm_need;

/* strm_step.c: one iteration of the main loop for the CN picked. */
int strm_step(strm_state *s, int cn, strm_need *nd);

/* strm_link.c */
int strm_prof_init(strm_profile *p);
void strm_prof_free(strm_profile *p);
int strm_prof_add(strm_profile *p, double start, double end, int64_t bits);
/* The first start >= earliest of a window of `duration` in which `bits`
 * more fit under cap; *win_end is where that window ends. */
double strm_prof_window(const strm_profile *p, double cap, int64_t bits, double duration,
                        double earliest, double *win_end);
/* The first start >= earliest that every link of the route can take:
 * bits[i] more on links[i] for duration. */
double strm_links_window(const strm_state *s, const int *links, const int64_t *bits, int n,
                         double duration, double earliest);

/* strm_mem.c */
int strm_mem_init(strm_state *s);
bool strm_mem_has(const strm_state *s, int tensor, int mem);
/* The stored list of mem: first tensor, and the one after x (-1: end). */
static inline int strm_mem_first(const strm_state *s, int mem)
{
    return s->inst[mem].head;
}

static inline int strm_mem_next(const strm_state *s, int mem, int x)
{
    return s->nxt[(size_t)x * s->g->n_mems + mem];
}

int strm_mem_add(strm_state *s, int tensor, int mem, double stored_t, double avail_t);
int strm_mem_remove(strm_state *s, int tensor, int mem, double t);
double strm_mem_time_for(const strm_state *s, int mem, uint64_t bits, double t);
int64_t strm_mem_usage_at(const strm_state *s, int mem, double t);
int strm_mem_priority(const strm_state *s, int tensor, int mem);
int strm_mem_victims(strm_state *s, int mem, int tensor, double t, const int *keep, int n_keep,
                     int **victims, int *n_victims);
int strm_mem_storing_first(const strm_state *s, int tensor, double *avail);
int strm_tensor_new(strm_state *s, const strm_tensor *proto, int parent);
int strm_tensor_reserve(strm_state *s, int n);

/* strm_xfer.c */
int strm_transfer(strm_state *s, int tensor, int recv_core, int mem_op, double earliest,
                  const int *keep, int n_keep, int send_core, double frac, strm_cause cause,
                  double *done_t);
int strm_removal(strm_state *s, int tensor, int core, int mem_op, double t, double frac,
                 bool write_back, strm_cause cause, double *done_t);
int strm_make_space(strm_state *s, int tensor, int core, int mem_op, double t,
                    const int *keep, int n_keep, double *done_t);
int strm_block(strm_state *s, int cn, double t, double *start);
int strm_event_add(strm_state *s, const strm_event *e);

/* strm_energy.c */
double strm_transfer_mem_pj(const strm_state *s, int tensor, int send_core, int recv_core,
                            int recv_op);
void strm_energy_fill(const strm_state *s, strm_result *out);

#endif
