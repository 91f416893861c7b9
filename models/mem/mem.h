/* mem.h -- an off-chip or shared memory controller (DRAM, STT-MRAM, HBM,
 * SRAM) as a model on its own NoC terminal.
 *
 * Reads are streams: the controller serves them one after another; each
 * pays the latency once, then its packets leave at the controller's
 * bandwidth, one packet every packet_bits / bandwidth. Who asked for the
 * read is told, packet by packet, when each is released (mem_callbacks):
 * the memory knows nothing of the NoC, its caller sends the packet.
 * Writes land packet by packet (mem_write) and share the controller's one
 * port with the reads: a write takes bits / bandwidth of port time from
 * when it lands or the port is free, whichever is later, and a read
 * queued after it starts only then (one transfer at a time per port, in
 * request order). A write needs no answer, so it schedules no event; its
 * port time shows in mem_stats.free_ps.
 *
 * Energy is booked when the traffic happens: read bits are counted as each
 * packet is released, write bits as each packet lands; a run stopped
 * before the latency has passed has read nothing and paid nothing for it.
 * pJ = bits x pJ/bit, so the figures are exact. finish() adds the static
 * energy over the run (static power x end time) and gives three items:
 * offchip_read, offchip_write, offchip_static. */
#ifndef EVSIM_MEM_H
#define EVSIM_MEM_H

#include <stdint.h>

#include "base/base.h"
#include "kernel/kernel.h"
#include "model.h"

typedef struct mem_model mem_model;

typedef struct {
    /* Packet `packet` (0..) of the read tagged `tag`, `bits` long, leaves
     * the controller now. */
    void (*released)(void *ctx, uint64_t tag, uint32_t packet, uint64_t bits);
    /* Optional: an event could not be scheduled (out of memory); the
     * kernel is stopped. */
    void (*failed)(void *ctx, const char *msg);
    void *ctx;
} mem_callbacks;

typedef struct {
    char name[MODEL_NAME_MAX];   /* instance and track name ("dram") */
    uint64_t size_bits;          /* capacity: no read may be larger */
    double bandwidth_gbps;       /* Gbit/s at the controller, > 0 */
    uint64_t latency_ps;         /* from the request to the first packet */
    double read_pj_per_bit;
    double write_pj_per_bit;
    double static_mw;            /* leakage and refresh, over the whole run */
    int traced;                  /* declare a track on attach (the chip sets it
                                  * for memories it uses: no empty rows) */
    mem_callbacks cb;
} mem_params;

/* NULL with err when out of memory or when the bandwidth is not
 * positive. */
mem_model *mem_new(kq_kernel *k, const mem_params *p, base_error *err);
void mem_free(mem_model *m);

/* A read stream of `bits`, cut into packets of packet_bits (the last one
 * shorter; at least one packet). It starts when the controller is free
 * (now, or when the reads before it have streamed out), its first packet
 * leaves one latency later. 0, or -1 with err when out of memory, the
 * kernel refuses the event, packet_bits is 0 or bits exceed the capacity
 * (unless repeated). */
typedef struct {
    uint64_t bits;
    uint32_t packet_bits;
    uint64_t tag;                /* handed back with every packet */
    const char *label;           /* its trace slice's name; NULL: "read" */
    int repeated;                /* it re-reads the same data (an operand
                                    streamed during a computation): it may
                                    exceed the capacity */
} mem_read_req;

int mem_read(mem_model *m, const mem_read_req *r, base_error *err);

/* `bits` landed at the controller now; they take port time (see above). */
void mem_write(mem_model *m, uint64_t bits);

typedef struct {
    uint64_t read_bits;          /* released so far */
    uint64_t write_bits;         /* landed so far */
    uint64_t free_ps;            /* the port is busy until then */
} mem_stats;

void mem_get_stats(const mem_model *m, mem_stats *out);

/* The time to stream `bits` at the controller's bandwidth (to the
 * nearest ps, base_bits_to_ps). */
uint64_t mem_stream_ps(const mem_model *m, uint64_t bits);

/* The contract: attach_trace (the "memory NAME" track, one slice per read
 * from its first packet, as long as the stream, named by its label),
 * finish, destroy. */
extern const model_ops mem_model_ops;

#endif
