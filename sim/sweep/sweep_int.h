/* sweep_int.h -- internal to sim/sweep: the loaded sweep, a point's files,
 * one point's run into a row, the results table, the worker protocol. */
#ifndef EVSIM_SWEEP_INT_H
#define EVSIM_SWEEP_INT_H

#include "config/cfg_sweep.h"
#include "sweep/sweep.h"

#define SW_MAX_FILES 64
#define SW_SEP '\x1f' /* between a row's fields on the wire */
#define SW_MAX_OV 64  /* overrides of one point (a group sets several) */

typedef struct {
    char *path; /* as opened (resolved against its parent) */
    char *text;
    size_t len;
} sw_file;

struct sweep {
    cfg_sweep *cfg;
    uint32_t n_points;
    uint16_t *choice;          /* n_points x n_params: value index of each */
    sw_file files[SW_MAX_FILES]; /* texts read so far, reused by every point */
    int n_files;
    char cwd[BASE_PATH_MAX];   /* relative paths made absolute against it */
};

/* One override: a key path (relative to the file it is applied to) and
 * the flow YAML text put there. */
typedef struct {
    const char *key;
    const char *value;
} sw_override;

/* The temporary files of one point: written, then what they stand for. */
typedef struct {
    int n;
    char tmp[SW_MAX_FILES][BASE_PATH_MAX];
    char orig[SW_MAX_FILES][BASE_PATH_MAX];
} sw_tmpfiles;

/* Point pt's overrides (a group's value expands to each key it sets):
 * how many, at most SW_MAX_OV; cls[i] points into clsbuf. */
int sw_point_overrides(const sweep *s, uint32_t pt, sw_override *ov, const char **cls,
                       char (*clsbuf)[2]);

/* The text of path, read once. NULL with err. */
const sw_file *sw_file_get(sweep *s, const char *path, base_error *err);

/* Builds the files of a point with these overrides: copies of the files
 * they touch (tmp_dir/TAG-N.yaml, relative paths made absolute) and the
 * scenario to run (*scen). write false: only checks that every key path
 * names something of a compatible type. 0, or -1 with err. */
int sw_build(sweep *s, const sw_override *ov, const char *const *ov_cls, int n,
             const char *tmp_dir, const char *tag, bool write, sw_tmpfiles *t,
             char *scen, size_t cap, base_error *err);
void sw_tmpfiles_remove(sw_tmpfiles *t);
/* msg (BASE_MSG_MAX * 2 bytes) with t's temporary names put back to the
 * files they copy, separators and newlines flattened. */
void sw_clean_msg(char *msg, const sw_tmpfiles *t);
/* sweep_range.c: every point's chip through the plausibility check of
 * `evsim run` (cfg_range_check_chip), before anything runs; errors name
 * the point and its values. Only when a parameter goes into the chip. */
int sw_range_check(sweep *s, bool force, base_errors *err);

/* The results table's columns. */
int sw_n_cols(const sweep *s);
const char *sw_col_name(const sweep *s, int c, char *buf, size_t cap);
bool sw_col_is_num(const sweep *s, int c);

/* A worker's cache file and what it last took from the master cache (the
 * master's size and time then), so an unchanged master is not read again. */
typedef struct {
    char own[BASE_PATH_MAX];
    const char *master;
    long long m_size, m_sec, m_nsec;
    size_t own_count;   /* entries in own after the last point */
} sw_seed;

/* Runs point pt (files under tmp_dir, the mapper cache seeded as above)
 * and returns its row: fields joined by SW_SEP, malloc'd (NULL: out of
 * memory). *searched: the shapes the point's mapper searched. */
char *sw_run_point(sweep *s, uint32_t pt, const char *tmp_dir, sw_seed *seed,
                   uint32_t *searched);

/* ---- the results table (sweep_out.c) ---- */
typedef struct {
    char **rows;       /* per point: its row (SW_SEP-joined) or NULL */
    char **timing;     /* per point: "worker,host,wall_s" or NULL */
    uint32_t n_done, n_failed;
} sw_table;

int sw_table_init(sw_table *t, uint32_t n_points);
void sw_table_free(sw_table *t, uint32_t n_points);
/* Writes results.csv, results.json and timing.csv into dir. */
int sw_table_write(const sweep *s, const sw_table *t, const char *dir, base_error *err);
/* --resume: the rows of dir/results.csv (and timing.csv) for this sweep. */
int sw_table_load(const sweep *s, sw_table *t, const char *dir, base_error *err);
/* The status field of a row: 0 ok, 1 incomplete, 2 failed. */
int sw_row_status(const char *row, int n_params);

/* ---- the coordinator shared by the fork and MPI transports (sweep_run.c) ---- */
typedef struct sw_transport sw_transport;
/* A finished point as a worker hands it back. */
typedef struct {
    int w;                      /* the worker */
    uint32_t pt;
    char *row;                  /* NULL: the worker died on it */
    double wall_s;
    uint32_t searched;          /* mapper searches the point made */
    char host[128];
    char cache[BASE_PATH_MAX];  /* the worker's cache file */
} sw_done;
struct sw_transport {
    int n_workers;
    void *ctx;
    /* Hands point pt to worker w. 0, or -1 (the worker is gone). */
    int (*send)(sw_transport *t, int w, uint32_t pt);
    /* Waits for any worker's result. -1 when no worker is left. */
    int (*recv)(sw_transport *t, sw_done *d);
    /* Tells every worker to stop. */
    void (*stop)(sw_transport *t);
};

typedef struct {
    const char *dir;
    char tmp_dir[BASE_PATH_MAX];
    char cache_dir[BASE_PATH_MAX];
    char master_cache[BASE_PATH_MAX];
} sw_paths;

void sw_paths_init(sw_paths *p, const char *dir);
/* Creates DIR and its work folders; loads the table (resume) or refuses a
 * DIR holding another sweep's results. */
int sw_prepare_dir(const sweep *s, const sweep_options *o, const sw_paths *p, sw_table *t,
                   base_error *err);
int sw_coordinate(sweep *s, const sweep_options *o, const sw_paths *p, sw_table *t,
                  sw_transport *tr, sweep_progress *pr, base_error *err);
/* A row for a point that could not run. */
char *sw_failure_row(const sweep *s, uint32_t pt, const char *msg);
/* One worker's cache file. */
void sw_worker_cache(const sw_paths *p, int w, char *out, size_t cap);
/* Merges a worker's cache file into the master cache file. */
int sw_merge_cache(const char *master, const char *worker, base_error *err);

#endif
