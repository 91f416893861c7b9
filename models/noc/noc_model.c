/* noc_model.c -- the NoC and its timeline adapter as one model; see the
 * end of noc.h. */
#include <stdio.h>

#include "base/base.h"
#include "noc/noc.h"
#include "noc/noc_stats.h"
#include "noc/trc_noc.h"

struct noc_model {
    noc *net;
    trc_noc *tnoc; /* NULL: not traced */
    trc_noc_view view;
    bool has_view;
};

void noc_model_set_view(noc_model *m, const struct trc_noc_view *v)
{
    m->view = *v;
    m->has_view = true;
}

noc_model *noc_model_new(kq_kernel *k, const noc_config *c, base_error *err)
{
    noc_model *m = base_calloc(1, sizeof *m);
    if (!m) {
        base_fail(err, "out of memory");
        return NULL;
    }
    if (!(m->net = noc_new(k, c, err))) {
        base_free(m);
        return NULL;
    }
    return m;
}

noc *noc_model_net(noc_model *m) { return m->net; }

uint64_t noc_model_sync(noc_model *m, uint64_t t_ps)
{
    return m->tnoc ? trc_noc_sync(m->tnoc, t_ps) : t_ps;
}

static int noc_attach(void *self, const model_trace *t, base_error *err)
{
    noc_model *m = self;
    base_error te;
    m->tnoc = trc_noc_new_view(t->w, m->net, t->sample_cycles ? t->sample_cycles : 100,
                               m->has_view ? &m->view : NULL, &te);
    if (!m->tnoc)
        return base_fail(err, "%s", te.msg);
    return trc_failed(t->w) ? base_fail(err, "%s", trc_errmsg(t->w)) : 0;
}

static int noc_finish(void *self, uint64_t end_ps, model_energy *e, base_error *err)
{
    noc_model *m = self;
    /* A router that could not allocate stopped the kernel (noc_failed):
     * the run is cut short, so it is an error, not a result. */
    if (noc_failed(m->net))
        return base_fail(err, "NoC: out of memory during the run");
    noc_totals tot;
    noc_get_totals(m->net, &tot);
    if (model_energy_add(e, "noc", "noc_router", tot.router_energy_pj) ||
        model_energy_add(e, "noc", "noc_link", tot.link_energy_pj))
        return base_fail(err, "out of memory");
    if (m->tnoc && trc_noc_finish(m->tnoc, end_ps) != 0)
        return base_fail(err, "the NoC's trace failed");
    return 0;
}

static void noc_destroy(void *self)
{
    noc_model *m = self;
    if (!m)
        return;
    if (m->tnoc)
        trc_noc_free(m->tnoc);
    noc_free(m->net);
    base_free(m);
}

const model_ops noc_model_ops = {
    .name = "noc", .attach_trace = noc_attach, .finish = noc_finish, .destroy = noc_destroy};
