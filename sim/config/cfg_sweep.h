/* cfg_sweep.h -- what sim/sweep needs from the YAML side: the sweep file
 * read into a struct, and key paths looked up in (and values spliced
 * into) the text of a scenario's files. Only sim/config sees libyaml, so
 * the sweep module asks here.
 *
 * A sweep file:
 *   name: noc_vcs                       # optional, shown in the results
 *   base: ../lenet5_seneca_2x2.yaml     # the scenario, relative to this file
 *   combine: grid                       # grid (default) | zip
 *   parameters:                         # key path into the scenario: values
 *     chip.noc.virtual_channels: [2, 4, 8]
 *     chip.memories[0].type: [dram, hbm]
 *   exclude:                            # optional: a point matching every
 *     - {chip.noc.virtual_channels: 8}  # key of one entry is left out
 *   mapper: {criterion: latency, lpf_limit: 6}   # optional
 *
 * A parameter whose values are mappings with a `label` is a group: each
 * value sets every key path it names, and the label is its value in the
 * results (`weight_memory: [{label: hbm, chip.memories[0].type: hbm,
 * ...}]`; in a flow mapping quote a key with [ ]).
 *
 * A key path is dotted mapping keys and [i] list indices; where it reaches
 * a scalar that names a file (chip, workload, mapping, a core type's file)
 * and goes on, the rest is a path into that file. Values are kept as flow
 * YAML text ("4", "hbm", "[4, 4]"), which is what is spliced in. */
#ifndef EVSIM_CFG_SWEEP_H
#define EVSIM_CFG_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#define CFG_SWEEP_MAX_PARAMS 16
#define CFG_SWEEP_KEY_MAX 256

/* One key a group value sets (see cfg_sweep_param.sets). */
typedef struct {
    char *key;                /* a key path, owned */
    char *value;              /* flow YAML text, owned */
    char cls;
    uint32_t line, col;       /* the value in the sweep file */
} cfg_sweep_set;

typedef struct {
    int n;
    cfg_sweep_set *items;
} cfg_sweep_sets;

typedef struct {
    char key[CFG_SWEEP_KEY_MAX]; /* a key path; for a group, its name */
    uint32_t line, col;       /* the key in the sweep file */
    /* A group: each value a mapping {label: NAME, KEY.PATH: VALUE, ...}
     * that sets several keys together (a memory's type and its figures);
     * values[] then holds the labels. NULL for a plain parameter. */
    cfg_sweep_sets *sets;
    int n_values;
    char **values;            /* flow YAML text, owned */
    char *vcls;               /* each value's class: as cfg_yfound.cls, or
                                 '[' a list, '{' a mapping */
    uint32_t *vline, *vcol;   /* each value in the sweep file */
} cfg_sweep_param;

/* One exclude entry: values of some parameters (NULL: any). */
typedef struct {
    char *value[CFG_SWEEP_MAX_PARAMS];
    uint32_t line, col;
} cfg_sweep_filter;

typedef struct {
    char file[BASE_PATH_MAX];     /* the sweep file as given */
    char name[64];
    char base[BASE_PATH_MAX];     /* the scenario, resolved against the file */
    uint32_t base_line, base_col;
    bool zip;
    int n_params;
    cfg_sweep_param params[CFG_SWEEP_MAX_PARAMS];
    int n_excludes;
    cfg_sweep_filter *excludes;
    char criterion[16];           /* "" : the run's default */
    int64_t lpf_limit;            /* 0 : the run's default */
} cfg_sweep;

/* Loads and checks the sweep file's own shape (not the key paths: see
 * cfg_yaml_find). NULL after recording every problem in err. */
cfg_sweep *cfg_sweep_load_file(const char *path, base_errors *err);
void cfg_sweep_free(cfg_sweep *s);
/* True when path is a YAML mapping with `base` and `parameters` keys. */
bool cfg_sweep_is_file(const char *path);

/* What a key path names in one YAML text. */
typedef enum { CFG_YF_SCALAR, CFG_YF_SEQ, CFG_YF_MAP } cfg_yf_kind;
typedef struct {
    cfg_yf_kind kind;
    char cls;                 /* scalars: 'i'nt, 'f'loat, 'b'ool, 'n'ull, 's'tring */
    bool splice_ok;           /* a scalar or a flow [ ] / { }: can be replaced */
    size_t start, end;        /* byte range of the node in the text */
    uint32_t line, col;       /* 1-based */
    size_t used;              /* bytes of the key path consumed */
    char text[BASE_PATH_MAX]; /* a scalar's value */
} cfg_yfound;

/* Follows key through text. 0: found the whole path; 1: stopped at a
 * scalar with key + used left to follow (a file reference); -1: the path
 * names nothing, msg says which part (with "did you mean" when close). */
int cfg_yaml_find(const char *text, size_t len, const char *key, cfg_yfound *f, char *msg,
                  size_t cap);

/* Calls fn for each scalar value of a mapping key named in keys (any
 * depth), in file order, with its key path and byte range. 0, or -1 when
 * the text does not parse (msg). */
typedef void (*cfg_yaml_each_fn)(void *ctx, const char *keypath, const char *value,
                                 size_t start, size_t end);
int cfg_yaml_each_value(const char *text, size_t len, const char *const *keys,
                        cfg_yaml_each_fn fn, void *ctx, char *msg, size_t cap);

/* A scalar's text as a double-quoted YAML scalar when it needs quoting,
 * else as is, into out. */
void cfg_yaml_quote(const char *s, char *out, size_t cap);

#endif
