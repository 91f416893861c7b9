/* model.c -- the energy list every model's finish() appends to. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

int model_energy_add(model_energy *e, const char *model, const char *component, double pj)
{
    if (e->n == e->cap) {
        uint32_t cap = e->cap ? e->cap * 2 : 16;
        model_energy_item *it = realloc(e->items, cap * sizeof *it);
        if (!it)
            return -1;
        e->items = it;
        e->cap = cap;
    }
    model_energy_item *it = &e->items[e->n++];
    memset(it, 0, sizeof *it);
    strncpy(it->model, model, sizeof it->model - 1);
    it->component = component;
    it->pj = pj;
    return 0;
}

double model_energy_sum(const model_energy *e, const char *component)
{
    double s = 0.0;
    for (uint32_t i = 0; i < e->n; i++)
        if (!strcmp(e->items[i].component, component))
            s += e->items[i].pj;
    return s;
}

void model_energy_free(model_energy *e)
{
    free(e->items);
    e->items = NULL;
    e->n = e->cap = 0;
}
