/* mem.c -- the memory controller: a FIFO of read streams paced at the
 * bandwidth after the latency, bit counters for the energy. */
#include "mem/mem.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    uint64_t tag, bits, stream_ps;
    uint32_t packet_bits, n_packets, next;
    const char *label;
} mem_read_st;

struct mem_model {
    kq_kernel *k;
    mem_params p;
    mem_read_st *reads;
    uint32_t n_reads, cap_reads;
    uint64_t free_ps;
    uint64_t read_bits, write_bits;
    const model_trace *trc;      /* NULL: not on the timeline */
    trc_track track;
    trc_name n_read, n_bits;
};

mem_model *mem_new(kq_kernel *k, const mem_params *p, base_error *err)
{
    if (!(p->bandwidth_gbps > 0)) {
        base_fail(err, "memory %s: bandwidth must be positive, found %g Gbit/s", p->name,
                  p->bandwidth_gbps);
        return NULL;
    }
    mem_model *m = base_calloc(1, sizeof *m);
    if (!m) {
        base_fail(err, "out of memory");
        return NULL;
    }
    m->k = k;
    m->p = *p;
    return m;
}

void mem_free(mem_model *m)
{
    if (!m)
        return;
    base_free(m->reads);
    base_free(m);
}

uint64_t mem_stream_ps(const mem_model *m, uint64_t bits)
{
    return base_bits_to_ps(bits, m->p.bandwidth_gbps);
}

static uint64_t packet_len(const mem_read_st *r, uint32_t i)
{
    return i + 1 < r->n_packets ? r->packet_bits
                                : r->bits - (uint64_t)r->packet_bits * (r->n_packets - 1);
}

static void fail(mem_model *m, const char *msg)
{
    if (m->p.cb.failed)
        m->p.cb.failed(m->p.cb.ctx, msg);
    kq_stop(m->k);
}

static void trace_read(mem_model *m, const mem_read_st *r)
{
    trc_arg a = trc_arg_uint(m->n_bits, r->bits);
    trc_extra x = {.args = &a, .n_args = 1};
    trc_name n = r->label ? trc_intern(m->trc->w, r->label) : m->n_read;
    trc_complete(m->trc->w, m->track, model_trace_at(m->trc, kq_now(m->k)),
                 r->stream_ps ? r->stream_ps : 1, n, &x);
}

/* The next packet of read `ri` leaves; the one after it follows one
 * packet time later. */
static void on_release(kq_kernel *k, void *ctx, const void *payload)
{
    mem_model *m = ctx;
    uint32_t ri;
    memcpy(&ri, payload, sizeof ri);
    mem_read_st *r = &m->reads[ri];
    uint32_t i = r->next++;
    if (i == 0 && m->trc)
        trace_read(m, r);
    uint64_t bits = packet_len(r, i);
    m->read_bits += bits;
    if (m->p.cb.released)
        m->p.cb.released(m->p.cb.ctx, r->tag, i, bits);
    r = &m->reads[ri]; /* the callback may have queued a read */
    if (r->next < r->n_packets) {
        uint64_t gap = mem_stream_ps(m, r->packet_bits);
        if (kq_schedule_in(k, gap ? gap : 1, 0, on_release, m, &ri, sizeof ri, NULL))
            fail(m, "out of memory scheduling an off-chip read");
    }
}

int mem_read(mem_model *m, const mem_read_req *q, base_error *err)
{
    if (q->packet_bits == 0)
        return base_fail(err, "memory %s: a read needs a packet size", m->p.name);
    if (q->bits > m->p.size_bits && !q->repeated)
        return base_fail(err, "memory %s: cannot read %llu bits, it holds %llu", m->p.name,
                         (unsigned long long)q->bits, (unsigned long long)m->p.size_bits);
    if (BASE_GROW(m->reads, m->cap_reads, m->n_reads + 1, UINT32_MAX) != 0)
        return base_fail(err, "out of memory");
    uint32_t ri = m->n_reads;
    mem_read_st *r = &m->reads[ri];
    memset(r, 0, sizeof *r);
    r->tag = q->tag;
    r->bits = q->bits;
    r->packet_bits = q->packet_bits;
    r->label = q->label;
    r->n_packets = (uint32_t)((q->bits + q->packet_bits - 1) / q->packet_bits);
    if (r->n_packets == 0)
        r->n_packets = 1;
    r->stream_ps = mem_stream_ps(m, q->bits);
    uint64_t now = kq_now(m->k);
    uint64_t start = m->free_ps > now ? m->free_ps : now;
    kq_err e = kq_schedule_at(m->k, start + m->p.latency_ps, 0, on_release, m, &ri, sizeof ri,
                              NULL);
    if (e != KQ_OK)
        return base_fail(err, "memory %s: %s", m->p.name, kq_strerror(e));
    m->n_reads++;
    m->free_ps = start + m->p.latency_ps + r->stream_ps;
    return 0;
}

void mem_write(mem_model *m, uint64_t bits)
{
    uint64_t now = kq_now(m->k);
    m->write_bits += bits;
    m->free_ps = (m->free_ps > now ? m->free_ps : now) + mem_stream_ps(m, bits);
}

void mem_get_stats(const mem_model *m, mem_stats *out)
{
    out->read_bits = m->read_bits;
    out->write_bits = m->write_bits;
    out->free_ps = m->free_ps;
}

/* ---- the contract ------------------------------------------------------ */

static int mem_attach(void *self, const model_trace *t, base_error *err)
{
    mem_model *m = self;
    if (!m->p.traced)
        return 0;
    char name[MODEL_NAME_MAX + 16];
    snprintf(name, sizeof name, "memory %s", m->p.name);
    trc_track_spec ms = {.name = name, .parent = t->parent, .level = TRC_SUMMARY,
                         .description = "off-chip reads (network input, weight loads and "
                                        "streams)"};
    trc_track_new(t->w, &ms, &m->track);
    m->n_read = trc_intern(t->w, "read");
    m->n_bits = trc_intern(t->w, "bits");
    m->trc = t;
    return trc_failed(t->w) ? base_fail(err, "%s", trc_errmsg(t->w)) : 0;
}

static int mem_finish(void *self, uint64_t end_ps, model_energy *e, base_error *err)
{
    mem_model *m = self;
    /* mW x ps = 1e-3 pJ */
    if (model_energy_add(e, m->p.name, "offchip_read",
                         (double)m->read_bits * m->p.read_pj_per_bit) ||
        model_energy_add(e, m->p.name, "offchip_write",
                         (double)m->write_bits * m->p.write_pj_per_bit) ||
        model_energy_add(e, m->p.name, "offchip_static",
                         m->p.static_mw * 1e-3 * (double)end_ps))
        return base_fail(err, "out of memory");
    return 0;
}

static void mem_destroy(void *self) { mem_free(self); }

const model_ops mem_model_ops = {
    .name = "mem", .attach_trace = mem_attach, .finish = mem_finish, .destroy = mem_destroy};
