/* loma_int.h -- internals shared by the models/loma sources (not part of
 * the module's contract; callers include loma.h only).
 *
 * Indexing used throughout: an operand with n memory levels has n+1
 * "architecture levels": a = 0 is the MAC array, a = lv+1 is memory level
 * lv. Spatial loops are attached per operand to su[a] for a = 0..n, where
 * su[lv] holds the unrolls that memory level lv is the first to serve and
 * su[n] the unrolls no level serves. */
#ifndef EVSIM_LOMA_INT_H
#define EVSIM_LOMA_INT_H

#include "loma/loma.h"

#define LM_LV (LOMA_MAX_LEVELS + 2)
#define LM_SP (LOMA_MAX_OA * LOMA_MAX_UNROLLS)

enum { LM_IR = 0, LM_R = 1, LM_PR = 2 };

/* Everything that does not depend on the temporal ordering. */
typedef struct {
    const loma_layer *L;
    const loma_core *C;
    int nd;
    double mac;                        /* total MAC count */
    double total_units;                /* PEs in the array */
    int rel[LOMA_N_OPS][LOMA_MAX_DIMS];
    double osize[LOMA_N_OPS];          /* operand size in elements */
    unsigned prec[LOMA_N_OPS], prec_final;
    /* memory levels per operand */
    int nlev[LOMA_N_OPS];
    int mem[LOMA_N_OPS][LM_LV];
    int lvl_of[LOMA_MAX_MEMS][LOMA_N_OPS]; /* level of op in memory m, -1 */
    double size[LOMA_N_OPS][LM_LV];
    /* word width and access granularity of the port serving each
     * (operand, level, direction); 0 where no port serves it */
    double bw[LOMA_N_OPS][LM_LV][LOMA_N_DIRS], bw_min[LOMA_N_OPS][LM_LV][LOMA_N_DIRS];
    int top_mem[LOMA_N_OPS];
    /* spatial loops per operand and arch level; [0] fractional (energy),
     * [1] integer (latency) */
    int nsu[LOMA_N_OPS][LM_LV];
    loma_loop su[2][LOMA_N_OPS][LM_LV][LM_SP];
    bool frac;
    double unit_count[2][LOMA_N_OPS][LM_LV];
    double unit_unique[2][LOMA_N_OPS][LM_LV];
    double boost[2][LOMA_N_OPS][LM_LV];
    /* the spatial mapping actually used, as (OA dim, loop) */
    int n_used;
    int used_oa[LM_SP];
    loma_loop used[LM_SP];
    uint64_t tsize[LOMA_MAX_DIMS];     /* temporal size left per dim */
} lm_model;

/* One temporal mapping: loops per operand per memory level, inner first. */
typedef struct {
    int n[LOMA_N_OPS][LM_LV];
    loma_loop lp[LOMA_N_OPS][LM_LV][LOMA_MAX_LOOPS];
} lm_tmap;

/* A temporal mapping after the stationary merge-down, with the figures the
 * cost model derives from it alone. */
typedef struct {
    lm_tmap tm;
    double mac_st[LOMA_N_OPS];
    double cycle_cabl[LOMA_N_OPS][LM_LV];
    double top_r[LOMA_N_OPS][LM_LV], top_ir[LOMA_N_OPS][LM_LV];
    double total_cycles;
} lm_temporal;

/* Per operand and memory level, per direction. */
typedef struct {
    double amount[LOMA_N_DIRS], prec[LOMA_N_DIRS], period[LOMA_N_DIRS];
    double pc[LOMA_N_DIRS], bw_avg[LOMA_N_DIRS], window[LOMA_N_DIRS];
} lm_move;

typedef struct {
    double data_elem[LOMA_N_OPS][LM_LV];  /* per arch level, one instance */
    double data_bit[LOMA_N_OPS][LM_LV];
    double eff_bit[LOMA_N_OPS][LM_LV];
    lm_move mv[LOMA_N_OPS][LM_LV];
} lm_mapping;

typedef struct {
    double energy, mac_energy, mem_energy;
    double e_lvl[LOMA_N_OPS][LM_LV];
    double e_dir[LOMA_N_OPS][LM_LV][LOMA_N_DIRS];
    double acc[LOMA_N_OPS][LM_LV][LOMA_N_DIRS];
    double lat0, lat1, lat2, stall, onload, offload, ideal, ideal_temporal;
    bool db[LOMA_N_OPS][LM_LV];
    double inst_bw[LOMA_N_OPS][LM_LV][LOMA_N_DIRS];        /* see loma_result */
    double loading_bw[LOMA_N_OPS][LM_LV][LOMA_MAX_PORTS];
    double objective;                                      /* LOMA_CRIT_STREAM */
} lm_cost;

/* loma_model.c */
int lm_model_build(lm_model *m, const loma_layer *L, const loma_core *C, const loma_spatial *sp,
                   base_error *err);
double lm_pr_size(const loma_pr *p, double a, double b);
double lm_pr_full(const loma_pr *p, double a, double b);
void lm_unroll_table(const lm_model *m, uint64_t table[LOMA_MAX_OA][LOMA_MAX_DIMS]);

/* loma_spatial_gen.c: candidate unrollings for the OA dims marked free in
 * sp, best utilisation first; returns how many were written (>= 1) or -1. */
int lm_spatial_candidates(const loma_layer *L, const loma_core *C, const loma_spatial *sp,
                          loma_spatial *out, int max_out, base_error *err);

/* Why an ordering could not be allocated. */
typedef enum { LM_FAIL_SLICE = 1, LM_FAIL_SHARED, LM_FAIL_TOP } lm_fail_kind;
typedef struct {
    lm_fail_kind kind;
    int op, mem, level;
    double need_bits, cap_bits;
} lm_fail;

/* loma_alloc.c: allocates an ordering (inner first) bottom-up; 0, or -1
 * when it does not fit (with the reason in *fail when fail is not NULL). */
int lm_allocate(const lm_model *m, const loma_loop *order, int n, lm_tmap *out, lm_fail *fail);
void lm_temporal_derive(const lm_model *m, const lm_tmap *alloc, lm_temporal *t);

/* loma_search.c: the result record of a costed mapping, and the error for
 * an ordering that does not fit (naming the operand and level) */
void lm_fill_result(const lm_model *m, const lm_temporal *t, const lm_cost *c,
                    const loma_loop *order, int n, loma_result *r);
void lm_describe_failure(const lm_model *m, const loma_loop *first, int n, uint64_t tried,
                         base_error *err);

/* loma_cost.c / loma_latency.c */
void lm_mapping_derive(const lm_model *m, int v, const lm_temporal *t, lm_mapping *mp);
/* Costs t into c. With the energy criterion a mapping whose energy is
 * above energy_cut cannot win, so its latency is skipped and false
 * returned; pass INFINITY to always cost it fully. */
bool lm_cost_eval(const lm_model *m, const lm_temporal *t, lm_cost *c, double energy_cut);
void lm_latency(const lm_model *m, const lm_temporal *t, const lm_mapping *mf,
                const lm_mapping *mi, lm_cost *c);

/* loma_search.c: LOMA_CRIT_STREAM's objective of a costed mapping */
double lm_stream_objective(const lm_model *m, const lm_cost *c, const loma_options *opt);

/* loma_cache.c: the cache lookup behind loma_cost and loma_cache_map;
 * order NULL or empty searches, else costs that fixed ordering. *hit says
 * whether the result was found rather than computed. */
int lm_cache_map(loma_cache *c, const loma_layer *layer, const loma_core *core, int core_type,
                 const loma_spatial *sp, const loma_options *opt, const loma_order *order,
                 const loma_result **out, bool *hit, base_error *err);

#endif
