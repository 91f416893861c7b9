/* config.h -- evsim's configuration: YAML files read into plain, validated
 * C structs. This header is the whole contract; the sim/config sources are the
 * only files that see libyaml.
 *
 * Kinds of file (cfg_detect_kind tells them apart by their top-level keys):
 *   core      ZigZag-style core description (memories + operational_array),
 *             in the current port form and in the pre-2025 (r_bw/w_bw) form
 *   workload  ZigZag-style list of layers (plus evsim's spiking layers)
 *   mapping   ZigZag/Stream-style list of per-layer mapping entries
 *   chip      evsim's chip: core types, cores on a mesh, NoC, memories
 *   scenario  which chip, workload, mapping, trace, seed, outputs, limits
 *
 * Units follow the ZigZag files: sizes in bits, energies in pJ per access,
 * bandwidths in bits per cycle. Lists keep the order of the file; the
 * memories of a core are bottom (closest to the MACs) to top.
 *
 * Every loader takes a caller-provided base_errors and returns NULL when the
 * input is wrong, after recording every problem it found (not only the
 * first) as "FILE:LINE:COL: key.path: what was expected, what was found". */
#ifndef EVSIM_CONFIG_H
#define EVSIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#define CFG_NAME_MAX 64      /* names incl. the NUL */
#define CFG_MAX_SOURCES 8    /* input_source entries of one spiking layer */
#define CFG_DIM_NAME_MAX 16  /* loop / OA dimension names incl. the NUL */
#define CFG_MAX_MEMS 16      /* memory levels per core */
#define CFG_MAX_PORTS 8      /* ports per memory */
#define CFG_MAX_OA_DIMS 8    /* operational-array dimensions */
#define CFG_MAX_LOOP_DIMS 16 /* loop dimensions per layer */
#define CFG_MAX_OPERANDS 4   /* the output plus up to three inputs */
#define CFG_MAX_INDICES 8    /* indices per operand in the equation */
#define CFG_MAX_RELATIONS 8  /* dimension_relations per layer */
#define CFG_MAX_TERMS 4      /* terms on the right of one relation */
#define CFG_MAX_UNROLLS 4    /* layer dims unrolled on one OA dimension */
#define CFG_MAX_ORDER 32     /* loops in a fixed temporal ordering */
#define CFG_MAX_TILING 8     /* entries of intra/inter_core_tiling */
#define CFG_MAX_CORE_ALLOC 256 /* core ids in one core_allocation */
#define CFG_MAX_LIST 16384   /* layers, mapping entries, cores, memories per file */

/* ---- errors ------------------------------------------------------------
 * Loaders fill a base_errors list (base/base.h): each record holds the
 * file, line and column, and "key.path: message" as its text, so
 * base_errors_print prints "FILE:LINE:COL: key.path: message". */

/* ---- core (ZigZag accelerator description) ----------------------------- */

/* Memory operands: I1 (activations by convention), I2 (weights), O. */
typedef enum { CFG_MOP_I1 = 0, CFG_MOP_I2, CFG_MOP_O, CFG_MOP_COUNT } cfg_mem_operand;

/* Directions, from the memory's point of view: fh written from the higher
 * level, tl read out to the lower level, fl written from the lower level
 * (partial sums coming up), th read out to the higher level. */
typedef enum { CFG_DIR_FH = 0, CFG_DIR_TL, CFG_DIR_FL, CFG_DIR_TH, CFG_DIR_COUNT } cfg_dir;

typedef enum { CFG_PORT_READ = 0, CFG_PORT_WRITE, CFG_PORT_READ_WRITE } cfg_port_type;

/* Bit of one (operand, direction) pair in cfg_port.alloc_mask. */
#define CFG_ALLOC_BIT(op, dir) (1u << ((unsigned)(op) * CFG_DIR_COUNT + (unsigned)(dir)))

typedef struct {
    char name[CFG_NAME_MAX];     /* r_port_1, w_port_2, rw_port_1 */
    cfg_port_type type;
    uint64_t bw_min_bits;        /* bits/cycle: minimal access granularity */
    uint64_t bw_max_bits;        /* bits/cycle: the port's word width */
    uint32_t alloc_mask;         /* CFG_ALLOC_BIT(op, dir) of each allocation */
} cfg_port;

typedef struct {
    char name[CFG_NAME_MAX];
    uint64_t size_bits;          /* capacity of ONE instance */
    double r_cost_pj;            /* energy per read access (one bw_max word) */
    double w_cost_pj;            /* energy per write access */
    double area;                 /* reported only */
    int64_t latency_cycles;      /* reported only (ZigZag ignores it too) */
    bool auto_cost_extraction;   /* accepted; evsim uses the given costs */
    char mem_type[CFG_NAME_MAX]; /* optional, "" when absent */
    bool force_double_buffering;
    int n_operands;
    cfg_mem_operand operands[CFG_MOP_COUNT]; /* in the order listed */
    bool holds[CFG_MOP_COUNT];               /* holds[op]: op is stored here */
    int n_ports;
    cfg_port ports[CFG_MAX_PORTS];
    /* port_of[op][dir]: index into ports serving (op, dir), -1 if none. */
    int port_of[CFG_MOP_COUNT][CFG_DIR_COUNT];
    /* OA dimensions one instance is shared over (indices into the core's
     * oa_dims, in the order listed); none = one private copy per PE. */
    int n_served;
    int served[CFG_MAX_OA_DIMS];
} cfg_memory;

/* A spatial unrolling per OA dimension (a mapping's spatial_mapping, a
 * core's dataflows). */
typedef struct {
    char dim[CFG_DIM_NAME_MAX];      /* layer dim, K */
    uint64_t factor;
} cfg_unroll;

typedef struct {
    char oa_dim[CFG_DIM_NAME_MAX];   /* D1 */
    int line, col;                   /* of the D1 key, for messages */
    int n_unrolls;                   /* several = mixed unrolling */
    cfg_unroll unrolls[CFG_MAX_UNROLLS];
} cfg_spatial;

typedef enum { CFG_CORE_FORM_CURRENT = 0, CFG_CORE_FORM_OLD } cfg_core_form;

/* Stream's `type:` of a core file: a compute core, or a memory core (an
 * off-chip controller: memories only, an operational array of size 0). */
typedef enum { CFG_CORE_COMPUTE = 0, CFG_CORE_MEMORY } cfg_core_kind;

typedef struct {
    char name[CFG_NAME_MAX];
    int n_mems;
    cfg_memory mems[CFG_MAX_MEMS];  /* bottom (next to the MACs) to top */
    double unit_energy_pj;          /* per MAC */
    double unit_area;
    int n_oa_dims;
    char oa_dims[CFG_MAX_OA_DIMS][CFG_DIM_NAME_MAX];  /* D1, D2, ... */
    uint64_t oa_sizes[CFG_MAX_OA_DIMS];
    cfg_core_kind kind;             /* compute unless the file says memory */
    /* Stream's `dataflows:` (the core's fixed spatial mapping, which
     * Stream uses instead of the mapping file's); n_dataflows 0: none. */
    int n_dataflows;
    cfg_spatial dataflows[CFG_MAX_OA_DIMS];
    /* Which form the file used; the last field so that two loads of the
     * same core in both forms compare equal on everything before it. */
    cfg_core_form form;
} cfg_core;

cfg_core *cfg_core_load_file(const char *path, base_errors *err);
cfg_core *cfg_core_load_string(const char *text, size_t len, const char *display_name,
                               base_errors *err);
void cfg_core_free(cfg_core *c);
/* Index of the memory operand named "I1"/"I2"/"O", or -1. */
int cfg_mem_operand_from_name(const char *s);
const char *cfg_mem_operand_name(cfg_mem_operand op);
const char *cfg_dir_name(cfg_dir d);
/* Index of the OA dimension called name, or -1. */
int cfg_core_oa_dim(const cfg_core *c, const char *name);
/* The highest memory holding op (the top of its hierarchy), or -1. */
int cfg_core_top_memory(const cfg_core *c, cfg_mem_operand op);

/* ---- workload (ZigZag layers, plus spiking layers) --------------------- */

typedef struct {
    char name[CFG_DIM_NAME_MAX];     /* as in the equation: O, W, I */
    int n_idx;
    char idx[CFG_MAX_INDICES][CFG_DIM_NAME_MAX]; /* upper-cased: K, C, IX */
    int precision_bits;              /* for the output: the partial sum */
    int final_precision_bits;        /* output only: O_final (= precision if absent) */
    bool has_source;                 /* inputs: operand_source names a layer */
    int64_t source_layer_id;         /* == own id: a constant operand */
} cfg_operand;

typedef struct {
    char lhs[CFG_DIM_NAME_MAX];      /* the pr dim, upper-cased: IX */
    int n_terms;
    int64_t coef[CFG_MAX_TERMS];     /* ix = 2*ox + 1*fx: {2, 1} */
    char dim[CFG_MAX_TERMS][CFG_DIM_NAME_MAX];   /* {OX, FX} */
} cfg_relation;

typedef enum {
    CFG_NEURON_NONE = 0, CFG_NEURON_LIF, CFG_NEURON_IF, CFG_NEURON_CUBA_LIF,
    CFG_NEURON_SIGMA_DELTA
} cfg_neuron_model;

/* The neuron block's keys; bit 1u << key in cfg_neuron.given when the
 * file gave it (the run's adapter starts from the neuron model's defaults
 * and overrides what was given). */
typedef enum {
    CFG_NEU_THRESHOLD = 0, CFG_NEU_RESET, CFG_NEU_V_RESET, CFG_NEU_BIAS,
    CFG_NEU_REFRACTORY_STEPS, CFG_NEU_MULTI_SPIKE, CFG_NEU_TAU_US, CFG_NEU_V_LEAK, CFG_NEU_R,
    CFG_NEU_TAU_SYN_US, CFG_NEU_ACT, CFG_NEU_EVALUATE, CFG_NEU_LEAK, CFG_NEU_REFRACTORY_PS,
    CFG_NEU_W_IN, CFG_NEU_N_KEYS
} cfg_neuron_key;

typedef struct {
    cfg_neuron_model model;          /* NONE: not a spiking layer */
    double threshold;                /* membrane units */
    bool reset_subtract;             /* reset: subtract (else zero, to v_reset) */
    double v_reset;                  /* reset: NUMBER sets it too (older files) */
    double bias;
    uint64_t refractory_steps;
    bool multi_spike;
    double tau_us, v_leak, r, tau_syn_us;
    double w_in;                     /* cuba_lif: i = i + (dt/tau_syn) (-i + w_in x) when given */
    bool relu;                       /* act: relu (else none) */
    bool evaluate_all;               /* evaluate: all (else input) */
    double leak;                     /* older files: fraction lost per step (lif) */
    uint64_t refractory_ps;          /* older files: refractory time */
    uint32_t given;                  /* bit 1u << cfg_neuron_key */
    int line, col;                   /* of the neuron block */
} cfg_neuron;

/* A spiking layer's weights: from an NPY file, or seeded. */
typedef struct {
    bool has_file;
    char file[512];                  /* resolved against the workload's dir */
    double scale;                    /* file: factor; seeded: magnitude (1) */
    bool has_seed;
    uint64_t seed;                   /* seeded: default the scenario's seed */
    double density;                  /* seeded: 1 */
    bool keras;                      /* file layout: keras (conv HWIO, dense
                                        (in, out) over an (H, W, C) flatten) */
    bool has_bias_file;
    char bias_file[512];             /* per channel (or per neuron) biases */
    int line, col;                   /* of the weights key (or the layer) */
    float *data;                     /* in memory (a NIR file's), owned; NULL: none */
    size_t n_data;
    float *bias_data;                /* in memory, one per neuron (owned); NULL: none */
    size_t n_bias_data;
} cfg_weights;

typedef struct {
    int64_t id;
    char name[CFG_NAME_MAX];         /* "" when absent */
    char operator_type[CFG_NAME_MAX];
    char equation[256];              /* as written */
    bool accumulate;                 /* '+=' (reduction) rather than '=' */
    char combine;                    /* '*' or '+' between the inputs */
    int n_operands;                  /* operands[0] is the output */
    cfg_operand operands[CFG_MAX_OPERANDS];
    int n_dims;
    char dims[CFG_MAX_LOOP_DIMS][CFG_DIM_NAME_MAX];  /* loop_dims, as listed */
    uint64_t sizes[CFG_MAX_LOOP_DIMS];               /* loop_sizes */
    int n_relations;
    cfg_relation relations[CFG_MAX_RELATIONS];
    int n_pr_dims;                   /* pr_loop_dims (or the relations' lhs) */
    char pr_dims[CFG_MAX_RELATIONS][CFG_DIM_NAME_MAX];
    bool has_pr_sizes;
    uint64_t pr_sizes[CFG_MAX_RELATIONS];
    bool has_padding;
    int64_t padding[CFG_MAX_RELATIONS][2];  /* per pr dim: before, after */
    cfg_neuron neuron;
    cfg_weights weights;
    int line, col;                   /* of the layer entry */
    /* Spiking layers: "input" (the scenario's trace) or a layer name. */
    char input_source[CFG_NAME_MAX];
    int input_source_layer;          /* index into layers, -1 for the trace */
    /* input_source as a list ([a, b]: their outputs add; a source at or
     * after the layer itself is recurrent): every entry, the first being
     * input_source / input_source_layer. n_sources 0 (a layer built in
     * memory): the one source input_source. */
    int n_sources;
    char sources[CFG_MAX_SOURCES][CFG_NAME_MAX];
    int source_layer[CFG_MAX_SOURCES];   /* -1 for the trace */
    /* An entry {layer: NAME, weights: {...}}: that source reaches the
     * layer through a dense projection with these weights of its own. */
    bool source_own[CFG_MAX_SOURCES];
    cfg_weights source_weights[CFG_MAX_SOURCES];
} cfg_layer;

/* A node of a converted graph (ONNX) that got a layer id, as Stream numbers
 * nodes, but no layer: a pass-through (Flatten, Reshape, ...). Stream
 * drops such ids from its layer stacks. */
typedef struct {
    int64_t id;
    char name[CFG_NAME_MAX];
    char op_type[32];
} cfg_node_ref;

typedef struct {
    int n_layers;
    cfg_layer *layers;               /* in file order */
    int n_passes;
    cfg_node_ref *passes;            /* owned; NULL for a YAML workload */
} cfg_workload;

cfg_workload *cfg_workload_load_file(const char *path, base_errors *err);
cfg_workload *cfg_workload_load_string(const char *text, size_t len, const char *display_name,
                                       base_errors *err);
void cfg_workload_free(cfg_workload *w);
/* Index of the loop dim called name (case-insensitive) in l, or -1. */
int cfg_layer_dim(const cfg_layer *l, const char *name);
/* Index of the operand called name (O, W, I) in l, or -1. */
int cfg_layer_operand(const cfg_layer *l, const char *name);
/* Product of the loop sizes: the layer's MAC (or add) count. */
uint64_t cfg_layer_macs(const cfg_layer *l);
int cfg_workload_find_id(const cfg_workload *w, int64_t id);  /* index or -1 */
/* The pass-through node with that id (cfg_node_ref), or NULL. */
const cfg_node_ref *cfg_workload_find_pass(const cfg_workload *w, int64_t id);

/* Parses an equation such as O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]
 * into l's operands, accumulate and combine. Returns 0, or -1 with a reason
 * in why (a message without file position). */
int cfg_equation_parse(const char *eq, cfg_layer *l, char *why, size_t why_len);
/* Parses one dimension relation such as ix=2*ox+1*fx (same contract). */
int cfg_relation_parse(const char *text, cfg_relation *r, char *why, size_t why_len);

/* ---- mapping ------------------------------------------------------------ */

/* A tiling / ordering factor: a number, `all` or `*`. As in Stream,
 * `all` splits the dim completely (intra_core_tiling `OY, all`: one row
 * per computation node) and `*` means "as many as there are": the
 * allocated cores for inter_core_tiling, the rest of the dim for
 * temporal_ordering. */
#define CFG_FACTOR_ALL 0
#define CFG_FACTOR_STAR UINT64_MAX

typedef struct {
    char dim[CFG_DIM_NAME_MAX];      /* a layer dim; "*" in a ZigZag temporal_ordering
                                      * (['*', '*']) stands for any remaining loops */
    uint64_t factor;                 /* >= 1, CFG_FACTOR_ALL or CFG_FACTOR_STAR */
    int line, col;                   /* of the entry in the file, for messages */
} cfg_loop;

typedef struct {
    char name[CFG_NAME_MAX];         /* default, an operator_type, or a layer name */
    int line, col;                   /* of the entry, for messages */
    int n_spatial;
    cfg_spatial spatial[CFG_MAX_OA_DIMS];
    /* memory_operand_links: layer operand name -> memory operand. When the
     * entry has none (has_links false) ZigZag's default O->O, W->I2, I->I1
     * is filled in. */
    bool has_links;
    int n_links;
    char link_operand[CFG_MAX_OPERANDS][CFG_DIM_NAME_MAX];
    cfg_mem_operand link_mem[CFG_MAX_OPERANDS];
    int n_order;                     /* temporal_ordering, innermost first; 0 = free */
    cfg_loop order[CFG_MAX_ORDER];
    int n_core_alloc;                /* core_allocation: core ids; 0 = any */
    int core_alloc_line, core_alloc_col;
    int64_t core_alloc[CFG_MAX_CORE_ALLOC];
    bool core_alloc_fixed;
    int n_intra;
    cfg_loop intra_tiling[CFG_MAX_TILING];
    int n_inter;
    cfg_loop inter_tiling[CFG_MAX_TILING];
    /* weights_in: the chip memory (by name) the layer's weights live in;
     * "" = placed by the run (see plan.h) */
    char weights_in[CFG_NAME_MAX];
    int weights_in_line, weights_in_col;
} cfg_map_entry;

typedef struct {
    int n_entries;
    cfg_map_entry *entries;          /* in file order */
} cfg_mapping;

cfg_mapping *cfg_mapping_load_file(const char *path, base_errors *err);
cfg_mapping *cfg_mapping_load_string(const char *text, size_t len, const char *display_name,
                                     base_errors *err);
void cfg_mapping_free(cfg_mapping *m);
/* The entry ZigZag would use for l: by layer name, else by operator_type,
 * else `default`; NULL if none applies. */
const cfg_map_entry *cfg_mapping_find(const cfg_mapping *m, const cfg_layer *l);

/* Checks that need a core, a workload and a mapping together: every layer
 * has an entry, unrolled dims exist, spatial unrolling fits the array, the
 * links name memory operands the core holds. Adds to err; 0 when clean.
 * Names used in messages: the files' display names given here. */
int cfg_check_mapping(const cfg_mapping *m, const char *mapping_file, const cfg_workload *w,
                      const cfg_core *c, const char *core_name, base_errors *err);

/* Checks of the intra/inter_core_tiling of every layer's entry against
 * that layer: each tiling dim is one of its loop dims, no dim is cut
 * twice by one tiling, and inter and intra cut different dims (a part's
 * tiles are pieces of that part). Positioned at the tiling entry; one
 * message per bad entry (the first layer it fails for). 0 when clean. */
int cfg_check_tiling(const cfg_mapping *m, const char *mapping_file, const cfg_workload *w,
                     base_errors *err);

/* ---- chip --------------------------------------------------------------- */

typedef struct cfg_chip cfg_chip;
/* Every entry's weights_in names one of the chip's memories, and each
 * memory holds the weights weights_in places in it; positioned at the
 * key. 0 when clean. */
int cfg_check_weights_in(const cfg_mapping *m, const char *mapping_file, const cfg_workload *w,
                         const cfg_chip *c, base_errors *err);

/* The chip's `noc:` block. Every key has the name of the NoC parameter it
 * sets (the noc_config field in models/noc/noc.h and the `evsim noc`
 * option): vc_depth_flits is vc_depth_flits everywhere. The loader checks
 * types only and sets no defaults: it records which keys the file gave
 * (given) and where; sim/run's adapter starts from the NoC model's
 * defaults, overrides what was given, and the model checks the ranges. */
typedef enum {
    CFG_NOC_MESH = 0,
    CFG_NOC_TERMINALS_PER_ROUTER,
    CFG_NOC_FLIT_WIDTH_BITS,
    CFG_NOC_VIRTUAL_CHANNELS,
    CFG_NOC_VC_DEPTH_FLITS,
    CFG_NOC_ROUTER_STAGE_CYCLES,
    CFG_NOC_LINK_LATENCY_CYCLES,
    CFG_NOC_CREDIT_DELAY_CYCLES,
    CFG_NOC_CLOCK_GHZ,
    CFG_NOC_ENERGY_PER_FLIT_HOP_PJ,
    CFG_NOC_ENERGY_PER_BIT_LINK_PJ,
    CFG_NOC_MULTICAST_LOOKUP_CYCLES,
    CFG_NOC_ROUTING,
    CFG_NOC_DEADLOCK_CYCLES,
    CFG_NOC_MODEL,
    CFG_NOC_N_KEYS
} cfg_noc_key;

/* The key's name in the file ("vc_depth_flits"); NULL past the end. */
const char *cfg_noc_key_name(cfg_noc_key k);

typedef struct {
    int mesh_w, mesh_h;              /* mesh: [width, height] in routers */
    uint32_t terminals_per_router;
    uint32_t flit_width_bits;
    uint32_t virtual_channels;       /* per input port */
    uint32_t vc_depth_flits;
    uint32_t router_stage_cycles[4]; /* routing, VC alloc, switch alloc, traversal */
    uint32_t link_latency_cycles;
    uint32_t credit_delay_cycles;
    double clock_ghz;
    double energy_per_flit_hop_pj;   /* router energy per flit per hop */
    double energy_per_bit_link_pj;   /* wire energy per bit per link */
    uint32_t multicast_lookup_cycles;/* routing-table lookup for a spike */
    char routing[32];                /* as written (xy, yx, xyyx) */
    uint64_t deadlock_cycles;
    char model[16];                  /* as written (flit, packet) */
    uint32_t given;                  /* bit 1u << key: the file gave key */
    int line[CFG_NOC_N_KEYS], col[CFG_NOC_N_KEYS]; /* of each given value */
    int block_line, block_col;       /* of the noc: block */
} cfg_noc;

static inline bool cfg_noc_given(const cfg_noc *n, cfg_noc_key k)
{
    return (n->given >> k) & 1u;
}

typedef struct {
    char name[CFG_NAME_MAX];
    char source[512];                /* path it was loaded from, "" if inline */
    cfg_core core;
} cfg_core_type;

typedef struct {
    int64_t id;
    int type;                        /* index into core_types */
    int x, y;                        /* mesh position of its router */
} cfg_core_inst;

typedef enum { CFG_MEM_DRAM = 0, CFG_MEM_STT_MRAM, CFG_MEM_HBM, CFG_MEM_SRAM } cfg_mem_kind;

typedef struct {
    char name[CFG_NAME_MAX];
    cfg_mem_kind kind;
    uint64_t size_bits;
    double bandwidth_gbps;           /* Gbit/s at the controller */
    double latency_ns;
    double read_energy_pj_per_bit;
    double write_energy_pj_per_bit;
    double static_power_mw;
    int x, y;                        /* mesh position of its controller */
} cfg_offchip;

/* One entry of a Stream accelerator file's core_connectivity: a `link`
 * (two directed point-to-point links between its two cores) or a `bus`
 * (one shared link object serving every ordered pair of its cores). As in
 * Stream, a later entry replaces an earlier one for the same ordered pair
 * (in Stream's example chips the all-core bus, listed last, serves every
 * pair). Bandwidth in bits per core cycle, energy in pJ per bit. */
#define CFG_CONN_MAX_CORES 64
typedef enum { CFG_CONN_LINK = 0, CFG_CONN_BUS } cfg_conn_type;

typedef struct {
    cfg_conn_type type;
    int n_cores;
    int64_t cores[CFG_CONN_MAX_CORES];   /* core ids as the file gives them */
    double bandwidth;                    /* bits per cycle */
    double unit_energy_pj;               /* per bit; the file's default if not given */
    int line, col;                       /* of the entry, for messages */
} cfg_conn;

struct cfg_chip {
    char name[CFG_NAME_MAX];
    char file[512];                  /* display name it was loaded as, for messages */
    double clock_ghz;                /* core clock */
    int n_types;
    cfg_core_type *types;
    int n_cores;
    cfg_core_inst *cores;
    cfg_noc noc;
    int n_memories;
    cfg_offchip *memories;
    int clock_line, clock_col;       /* of clock_ghz, for the range check */
    /* A chip loaded from a Stream accelerator file (cores: {id: file},
     * offchip_core_id, core_connectivity): its cores are core_types of
     * their own (the off-chip core one of kind CFG_CORE_MEMORY), and the
     * interconnect is Stream's graph of links and buses, not a mesh. */
    bool stream_form;
    /* Placed from a Stream accelerator (cfg_stream_place) for evsim's
     * scheduler: the plan reads the mapping as Stream does, so a layer
     * alone in its stack gets no intra-core tiling (plan.c). */
    bool from_stream;
    int64_t offchip_core_id;         /* -1: none */
    double unit_energy_cost_pj;      /* the file's default for conns */
    int n_conns;
    cfg_conn *conns;
};

/* Core files named by the chip are read relative to the chip file's
 * directory (for load_string: to base_dir, NULL = current directory). */
cfg_chip *cfg_chip_load_file(const char *path, base_errors *err);
cfg_chip *cfg_chip_load_string(const char *text, size_t len, const char *display_name,
                               const char *base_dir, base_errors *err);
void cfg_chip_free(cfg_chip *c);
/* A Stream accelerator file has no clock (Stream counts cycles): evsim
 * takes this one unless the file gives evsim's own clock_ghz key. */
#define CFG_STREAM_CLOCK_GHZ 1.0
/* The connection of a stream-form chip serving the ordered pair from ->
 * to (core ids): the last core_connectivity entry joining both, as in
 * Stream; NULL when none does (or from == to). */
const cfg_conn *cfg_chip_conn_of(const cfg_chip *c, int64_t from_id, int64_t to_id);
int cfg_chip_find_core(const cfg_chip *c, int64_t id);  /* index or -1 */
/* A stream-form chip placed on evsim's mesh NoC for evsim's scheduler
 * (cfg_stream_place.c, README.md "Stream accelerator files"): a new chip
 * of evsim's form (the compute cores row by row, the off-chip core as its
 * DRAM), NULL with an error if it cannot be placed. The caller frees it. */
cfg_chip *cfg_stream_place(const cfg_chip *stream, base_errors *err);
const char *cfg_offchip_kind_name(cfg_mem_kind k);

/* Plausibility of a chip's values (cfg_range.c), apart from the loader's
 * type checks and the models' own ranges: a value far outside what a run
 * is meant for (a clock outside 0.01-10 GHz, a mesh beyond 64x64, NoC
 * state estimated beyond 8 GiB) is an error naming the range and the
 * estimate, or with FORCE a warning; a legal but unusual value is a
 * warning. Messages are positioned like the loader's. Returns the number
 * of errors added to ERR. */
int cfg_range_check_chip(const cfg_chip *c, bool force, base_errors *err, base_errors *warn);
/* The NoC's memory estimate behind that check, in bytes. */
double cfg_range_noc_bytes(const cfg_noc *n);

/* ---- scenario ----------------------------------------------------------- */

typedef struct {
    char path[512];                  /* resolved (relative to the scenario) */
    char format[32];                 /* csv, aedat, nmnist, ... ("" = by extension) */
} cfg_trace_ref;

/* scheduler: who orders the CNs of a dense run. evsim (the default) is
 * evsim's own event-driven chip run; stream is Stream's list scheduler
 * (sim/run/strm*.c), for users who want Stream's numbers. */
enum { CFG_SCHED_EVSIM = 0, CFG_SCHED_STREAM };

/* search: the allocation search of scheduler: stream (sim/run/strm_search.c)
 * over the layers whose core_allocation lists more cores than their
 * inter-core split (README.md "Coming from Stream"). Without the key such
 * a scenario searches with these defaults. */
enum { CFG_SEARCH_LATENCY = 0, CFG_SEARCH_ENERGY, CFG_SEARCH_EDP, CFG_SEARCH_PARETO };

typedef struct {
    bool given;                      /* the search: key is present */
    int line, col;                   /* of the key */
    int objective;                   /* CFG_SEARCH_* (latency) */
    uint64_t seed;                   /* search.seed, else the scenario's seed */
    uint32_t population;             /* 32 */
    uint32_t generations;            /* 40 */
    uint32_t patience;               /* generations without a better best; 0: never stop early */
    uint64_t max_evaluations;        /* 0: no limit */
} cfg_search;

/* input.polarity: auto = split when the input layer has 2 channels. */
enum { CFG_POLARITY_AUTO = 0, CFG_POLARITY_MERGE, CFG_POLARITY_SPLIT };

typedef struct {
    char name[CFG_NAME_MAX];
    char chip_path[512];             /* all paths resolved against the file's dir */
    char workload_path[512];
    char mapping_path[512];
    bool has_input;
    cfg_trace_ref input;
    uint64_t seed;
    char out_dir[512];
    char perfetto_path[512];         /* "" = no trace */
    char report_json_path[512];
    char report_text_path[512];      /* "" = stdout only */
    uint64_t max_time_ps;            /* 0 = no limit */
    uint64_t max_events;             /* 0 = no limit */
    /* Event-driven mode (mode: timestep); see README.md. */
    bool timestep_mode;              /* the event-driven run (timestep or async) */
    bool async_mode;                 /* mode: async (timestep_mode is set too) */
    uint64_t timestep_ps;            /* timestep_us */
    bool next_step;                  /* propagation: next_step */
    uint32_t spikes_per_packet;      /* 8 */
    uint64_t queue_depth_events;     /* per-core input queue; 0: unlimited */
    bool queue_drop;                 /* on_full: drop (else backpressure) */
    bool has_at;
    int at_x, at_y;                  /* input.at: the input router */
    uint64_t from_ps, to_ps;         /* input.from_us / to_us (to 0: the end) */
    uint64_t input_max_events;       /* 0: all */
    /* input: crop, down-sampling, polarity, time scaling, loops (README.md
     * "Scenario keys"; sim/run/snn_input.h applies them). */
    bool has_crop;
    uint32_t crop_x, crop_y, crop_w, crop_h; /* input.crop: [x, y, w, h] in sensor pixels */
    uint32_t input_scale;            /* input.scale: s x s pixels pool into one (1) */
    int input_polarity;              /* CFG_POLARITY_* (input.polarity) */
    double time_scale;               /* input.time_scale: simulated / recorded time (1) */
    uint32_t input_loop;             /* input.loop: passes over the trace (1) */
    uint32_t input_events_per_packet; /* input.events_per_packet: grouped AER events (1) */
    char file[512];                  /* this scenario's own path, for positions */
    int input_line, input_col;       /* the input: block */
    bool origin_first_event;         /* input.origin: first_event (else step 0 at from_us) */
    int mode_line, mode_col;
    int scheduler;                   /* CFG_SCHED_* */
    int scheduler_line, scheduler_col; /* of the key; 0 when absent */
    /* Dense runs (README.md "Dependencies and fusion"): mode: lbl (or
     * dense, the default) or fused, and the layer stacks of fused mode:
     * n_stack_layers layer ids, stack_of[i] the stack of stack_layer_id[i]
     * (n_stacks 0: chosen by the run). Owned. */
    bool fused;
    int n_stacks, n_stack_layers;
    int64_t *stack_layer_id;
    int *stack_of;
    int stacks_line, stacks_col;
    cfg_search search;
    /* What the loader accepted but a user should hear about (a layer
     * stack id Stream drops), positioned like errors. */
    base_errors warnings;
    cfg_chip *chip;                  /* loaded and cross-checked */
    cfg_workload *workload;
    cfg_mapping *mapping;
} cfg_scenario;

cfg_scenario *cfg_scenario_load_file(const char *path, base_errors *err);
void cfg_scenario_free(cfg_scenario *s);

/* ---- kind detection ----------------------------------------------------- */

typedef enum {
    CFG_KIND_UNKNOWN = 0, CFG_KIND_CORE, CFG_KIND_WORKLOAD, CFG_KIND_MAPPING,
    CFG_KIND_CHIP, CFG_KIND_SCENARIO
} cfg_kind;

/* Reads path and says what kind of file it is from its top-level keys;
 * UNKNOWN (with a reason in err) when it cannot tell or cannot parse. */
cfg_kind cfg_detect_kind_file(const char *path, base_errors *err);
const char *cfg_kind_name(cfg_kind k);

#endif
