/* loma.h -- the intra-core mapper and cost model: for one layer-shaped
 * computation node on one core, the spatial unrolling, the LOMA temporal
 * mapping search (loop prime factors, multiset permutations, bottom-up
 * memory allocation) and the ZigZag-compatible cost model (energy per
 * memory level and direction, ideal cycles, bandwidth stalls, on- and
 * off-loading).
 *
 * The mapper knows nothing of YAML: it takes the plain structs below.
 * sim/run/adapt_loma.c fills them from the config loader's structs.
 * Callers cost a CN through loma_cost() (the one entry point `evsim map`
 * and the run's plan share); loma_map / loma_map_ordering and the cache
 * calls below are its parts, kept public for tests.
 *
 * Operand numbering follows the layer equation: LOMA_OP_O is the output,
 * LOMA_OP_W the first input, LOMA_OP_I the second one. Directions are seen
 * from the memory: TL read out to the lower level, FL written from the
 * lower level, TH read out to the higher level, FH written from the higher
 * level. */
#ifndef EVSIM_LOMA_H
#define EVSIM_LOMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#define LOMA_NAME_MAX 64
#define LOMA_DIM_NAME_MAX 16
#define LOMA_MAX_DIMS 12      /* loop dimensions of a layer */
#define LOMA_MAX_PR 2         /* partially relevant (window) dims */
#define LOMA_MAX_MEMS 12      /* memories of a core */
#define LOMA_MAX_LEVELS 8     /* memory levels of one operand */
#define LOMA_MAX_PORTS 8      /* ports of one memory */
#define LOMA_MAX_OA 6         /* operational-array dimensions */
#define LOMA_MAX_UNROLLS 4    /* layer dims unrolled on one OA dim */
#define LOMA_MAX_LPF 24       /* loop prime factors before merging */
#define LOMA_MAX_LOOPS 32     /* loops in one temporal ordering */
#define LOMA_MAX_THREADS 64

enum { LOMA_OP_O = 0, LOMA_OP_W = 1, LOMA_OP_I = 2, LOMA_N_OPS = 3 };
enum { LOMA_TL = 0, LOMA_FL = 1, LOMA_TH = 2, LOMA_FH = 3, LOMA_N_DIRS = 4 };
/* LOMA_CRIT_STREAM is the objective Stream's ZigZag flow minimises
 * (MinimalBandwidthLatencyStage, Stream cb9dfc52): trunc(latency_total2),
 * times ceil(DRAM bandwidth used / DRAM port width) when loma_options
 * names operands with a DRAM top level; the first minimum wins (no
 * energy tie-break). Not offered on the command line as a criterion: it
 * is for strm_cost (sim/run/strm_cost.h). */
typedef enum {
    LOMA_CRIT_LATENCY = 0, LOMA_CRIT_ENERGY, LOMA_CRIT_EDP, LOMA_CRIT_STREAM
} loma_criterion;

/* ---- inputs ------------------------------------------------------------- */

/* A window dim such as IX = sa*OX + sb*FX, seen by operand `op`. */
typedef struct {
    char name[LOMA_DIM_NAME_MAX];
    int op;
    int dim_a, dim_b;             /* loop dim indices (OX, FX) */
    uint64_t sa, sb;              /* their coefficients */
    uint64_t total;               /* full size after padding */
} loma_pr;

typedef struct {
    char name[LOMA_NAME_MAX];
    int n_dims;                   /* loop_dims in workload order, sizes >= 1 */
    char dim_name[LOMA_MAX_DIMS][LOMA_DIM_NAME_MAX];
    uint64_t dim_size[LOMA_MAX_DIMS];
    char op_name[LOMA_N_OPS][LOMA_DIM_NAME_MAX];
    /* relevant[op][d]: d indexes op directly (r); a dim neither relevant
     * nor related through a pr dim of op is irrelevant (ir). */
    bool relevant[LOMA_N_OPS][LOMA_MAX_DIMS];
    int n_pr;
    loma_pr pr[LOMA_MAX_PR];
    unsigned prec_bits[LOMA_N_OPS];   /* for O: the partial-sum precision */
    unsigned prec_final_bits;         /* O_final */
} loma_layer;

typedef struct {
    char name[LOMA_NAME_MAX];
    bool can_read, can_write;
    uint64_t bw_min_bits, bw_max_bits;
    int n_alloc;                       /* (operand, direction) pairs served */
    int alloc_op[LOMA_N_OPS * LOMA_N_DIRS];
    int alloc_dir[LOMA_N_OPS * LOMA_N_DIRS];
} loma_port;

typedef struct {
    char name[LOMA_NAME_MAX];
    double size_bits;                  /* one instance */
    double r_cost_pj, w_cost_pj;       /* per access of bw_max bits */
    int n_ops;                         /* layer operands stored, in file order */
    int ops[LOMA_N_OPS];
    int n_ports;
    loma_port port[LOMA_MAX_PORTS];
    unsigned served_mask;              /* bit k: OA dim k is served */
} loma_memory;

typedef struct {
    char name[LOMA_NAME_MAX];
    int n_mems;                        /* bottom-up */
    loma_memory mem[LOMA_MAX_MEMS];
    int n_oa;
    char oa_name[LOMA_MAX_OA][LOMA_DIM_NAME_MAX];
    uint64_t oa_size[LOMA_MAX_OA];
    double mac_energy_pj;
} loma_core;

/* Per OA dim of the core: the unrolls given by the mapping, or free_oa set
 * when the mapping leaves that dim to the mapper (it then generates
 * candidates as ZigZag does, largest utilisation first, and keeps the best
 * of the first LOMA_SPATIAL_CANDIDATES). */
#define LOMA_SPATIAL_CANDIDATES 3
typedef struct {
    bool free_oa[LOMA_MAX_OA];
    int n_unrolls[LOMA_MAX_OA];
    int dim[LOMA_MAX_OA][LOMA_MAX_UNROLLS];
    uint64_t factor[LOMA_MAX_OA][LOMA_MAX_UNROLLS];
} loma_spatial;

typedef struct {
    loma_criterion criterion;
    int lpf_limit;                     /* ZigZag's default is 6 */
    uint64_t max_orderings;            /* bound on the search; 0 = default */
    /* LOMA_CRIT_STREAM only (part of the cache key): bit 1u << op for each
     * operand whose top level is the DRAM whose bandwidth counts (Stream:
     * the operands with the most memory levels, once a DRAM level was
     * appended; 0 = none, the objective is the latency alone); the CNs of
     * the layer running in parallel (0 = 1), each of whose DRAM traffic
     * counts, except broadcast_op's (counted once; -1 = none). */
    unsigned dram_ops;
    int parallel_cns;
    int broadcast_op;
    int threads;                       /* evaluation threads; 0 or 1 = none */
    /* Called by loma_cost after each CN it costs (SEARCHED: not from the
     * cache), for a caller's progress line; NULL = none. Not part of the
     * cache key. */
    void (*progress)(void *ctx, bool searched);
    void *progress_ctx;
} loma_options;

/* ---- result ------------------------------------------------------------- */

typedef struct {
    int dim;
    double size;
} loma_loop;

typedef struct {
    /* Costs of the chosen mapping. */
    double energy_pj, mac_energy_pj, mem_energy_pj;
    double energy_level_pj[LOMA_N_OPS][LOMA_MAX_LEVELS];
    double energy_dir_pj[LOMA_N_OPS][LOMA_MAX_LEVELS][LOMA_N_DIRS];
    double word_access[LOMA_N_OPS][LOMA_MAX_LEVELS][LOMA_N_DIRS];
    double latency_cycles;             /* ZigZag's latency_total2 */
    double latency0_cycles, latency1_cycles;
    double ideal_cycles, ideal_temporal_cycles;
    double stall_cycles, onload_cycles, offload_cycles;
    double spatial_utilization, utilization;
    double mac_count;
    /* For Stream (ZigZag's get_inst_bandwidth, loma_inst_bandwidth below):
     * the instantaneous bandwidth each level needs per direction during
     * the computation (REQ_MEM_BW_INST, bits/cycle, from the integer
     * mapping; 0 above the top level), and the bandwidth the one-time
     * loads borrow from the computation on each port p of the level's
     * memory (loading_bw_during_computation). */
    double inst_bw[LOMA_N_OPS][LOMA_MAX_LEVELS][LOMA_N_DIRS];
    double loading_bw[LOMA_N_OPS][LOMA_MAX_LEVELS][LOMA_MAX_PORTS];
    double objective;                  /* LOMA_CRIT_STREAM's value, else 0 */
    /* The mapping. */
    int n_levels[LOMA_N_OPS];
    int mem_of[LOMA_N_OPS][LOMA_MAX_LEVELS];     /* memory index per level */
    int n_loops[LOMA_N_OPS][LOMA_MAX_LEVELS];
    /* per operand and level, inner first, after ZigZag's stationary
     * merge-down (the mapping the costs are for) */
    loma_loop loops[LOMA_N_OPS][LOMA_MAX_LEVELS][LOMA_MAX_LOOPS];
    int n_spatial;                               /* spatial loops used */
    int sp_oa[LOMA_MAX_OA * LOMA_MAX_UNROLLS];
    loma_loop sp_loop[LOMA_MAX_OA * LOMA_MAX_UNROLLS];
    int n_order;                                 /* chosen ordering, inner first */
    loma_loop order[LOMA_MAX_LOOPS];
    bool double_buffer[LOMA_N_OPS][LOMA_MAX_LEVELS + 1];
    /* Search statistics. */
    uint64_t orderings_evaluated, orderings_valid, orderings_skipped;
    uint64_t chosen_index;
    int n_spatial_candidates;
    double wall_s;
} loma_result;

/* Maps `layer` on `core` with the spatial unrolling `sp` (which the mapper
 * first limits the way ZigZag does: array size, layer size, port width,
 * innermost memory capacity). Returns 0 and fills *out, or -1 with a
 * message naming the layer, operand and memory level at fault. */
int loma_map(const loma_layer *layer, const loma_core *core, const loma_spatial *sp,
             const loma_options *opt, loma_result *out, base_error *err);

/* A fixed temporal loop order (a mapping's complete temporal_ordering),
 * innermost first; size 0 stands for the rest of that dim. */
typedef struct {
    int n;
    int dim[LOMA_MAX_LOOPS];
    uint64_t size[LOMA_MAX_LOOPS];
} loma_order;

/* Like loma_map, but costs the one given ordering instead of searching
 * (ZigZag uses a complete temporal_ordering as is). The spatial mapping
 * must be complete (no free_oa). Errors name the layer and the dim whose
 * sizes the ordering does not match. */
int loma_map_ordering(const loma_layer *layer, const loma_core *core, const loma_spatial *sp,
                      const loma_order *order, loma_result *out, base_error *err);

/* Number of orderings the search would visit for the given temporal loop
 * sizes (after lpf merging); exposed for tests and warnings. */
/* The extent of a window dim when its two loop dims have sizes a and b
 * (ZigZag's full pr size, before padding). */
double loma_pr_extent(const loma_pr *p, double a, double b);

uint64_t loma_count_orderings(const loma_layer *layer, const loma_core *core,
                              const loma_spatial *sp, int lpf_limit);

/* ZigZag's get_inst_bandwidth of operand op at memory level lv of core:
 * per direction (LOMA_TL..LOMA_FH) the level's instantaneous bandwidth
 * times scaling, rounded up, plus on each port serving op the borrowed
 * loading bandwidth times scaling, rounded up, counted as written from
 * above when the memory holds the output, else as read out below (as
 * ZigZag does). */
void loma_inst_bandwidth(const loma_result *r, const loma_core *core, int op, int lv,
                         double scaling, double out[LOMA_N_DIRS]);

const char *loma_dir_name(int dir);
const char *loma_criterion_name(loma_criterion c);
int loma_criterion_parse(const char *s, loma_criterion *c);

/* ---- cost cache ----------------------------------------------------------
 * Results keyed by (CN shape, core type): the loop sizes, precisions,
 * spatial mapping, criterion, lpf limit and search bound, plus the core
 * type's id (the caller's: one id per distinct loma_core). The thread
 * count is not in the key, since it does not change the result. The
 * simulator looks a CN up before asking the mapper. */
typedef struct loma_cache loma_cache;

loma_cache *loma_cache_new(void);
void loma_cache_free(loma_cache *c);
/* Cached result or NULL. */
const loma_result *loma_cache_get(loma_cache *c, const loma_layer *layer, int core_type,
                                  const loma_spatial *sp, const loma_options *opt);
/* Cached result, mapping the layer first when absent. */
int loma_cache_map(loma_cache *c, const loma_layer *layer, const loma_core *core, int core_type,
                   const loma_spatial *sp, const loma_options *opt, const loma_result **out,
                   base_error *err);
/* A stable id for a core description, to key the cache with when no
 * better type id is at hand: FNV-1a over the struct, which
 * adapt_loma() fills from zero, so equal descriptions hash equal and a
 * changed one (a memory, a cost, a link) gets another id. */
int loma_core_id(const loma_core *c);
size_t loma_cache_count(const loma_cache *c);
uint64_t loma_cache_hits(const loma_cache *c);
/* Persists the cache (written to PATH.tmp, then renamed) and loads it back
 * into c, so a second run skips the searches. The file is this build's
 * binary layout; a file from another layout is refused with a message. */
int loma_cache_save(const loma_cache *c, const char *path, base_error *err);
int loma_cache_load(loma_cache *c, const char *path, base_error *err);

/* ---- the costing entry point ---------------------------------------------
 * Everything that decides how a CN is costed, in one call, so `evsim map`
 * and `evsim run` give one answer for one input: a complete fixed ordering
 * is costed as given, otherwise LOMA searches; results go through the
 * cache when there is one (fixed-ordering results too, keyed by the
 * ordering, with the search options left out of their key since they do
 * not change them); and what the user should be told comes back as notes. */

/* One spatial unroll the mapper used smaller than the mapping asked for
 * (ZigZag shrinks it silently to the layer dim, an innermost port's width
 * or capacity). */
typedef struct {
    int oa, dim;        /* OA dim and layer dim */
    uint64_t asked;     /* the mapping's factor */
    double used_min, used_max; /* what was used (over merged CNs) */
} loma_reduced;

#define LOMA_MAX_REDUCED (LOMA_MAX_OA * LOMA_MAX_UNROLLS)
typedef struct {
    bool order_not_applied; /* the ordering has `*` loops: searched instead */
    int n_reduced;
    loma_reduced reduced[LOMA_MAX_REDUCED];
    uint64_t evaluated, skipped; /* skipped > 0: the search hit its bound */
} loma_notes;

typedef struct {
    const loma_layer *layer;   /* the CN's shape */
    const loma_core *core;
    int core_id;               /* the cache's key for core (loma_core_id) */
    const loma_spatial *sp;
    const loma_order *order;   /* complete fixed ordering, or NULL: search */
    bool order_partial;        /* an ordering with `*` loops was given (and
                                  is not applied): noted, then searched */
    const loma_options *opt;
} loma_job;

typedef struct {
    const loma_result *r;      /* in the cache, or in the caller's `own` */
    bool from_cache;           /* found in the cache, not computed */
    loma_notes notes;
} loma_costed;

/* Costs job through cache c (NULL: no cache, the result is written into
 * *own, which must then be given; with a cache own may be NULL). 0 and
 * *out filled, or -1 with a message naming the layer. */
int loma_cost(loma_cache *c, const loma_job *job, loma_result *own, loma_costed *out,
              base_error *err);

/* Merges src's notes into dst (for a layer costed as several CNs): a flag
 * set in either, reduced unrolls by (oa, dim, asked) with the range of what
 * was used, the largest bounded search. */
void loma_notes_merge(loma_notes *dst, const loma_notes *src);
/* The notes as sentences, one per call: i from 0 while it returns 1; each
 * is "note" or "warning" (*warning set) about that layer, without a prefix
 * naming it. 0 when i is past the last. */
int loma_note_text(const loma_notes *n, int i, const loma_layer *layer, const loma_core *core,
                   char *buf, size_t len, bool *warning);

#endif
