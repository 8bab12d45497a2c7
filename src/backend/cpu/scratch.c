/* Per-thread scratch memory (see scratch.h). Each thread's buffers hang off a thread-local pointer for fast
 * access and are also registered under a C11 thread-specific key, whose destructor frees them when the
 * thread exits. (The main thread's stay allocated until the process ends, reachable.) */
#include "backend/cpu/scratch.h"

#include "axon/base.h"

#include <stdlib.h>
#include <threads.h>

typedef struct {
    float *buf[AX_SCRATCH_SLOTS]; // one buffer per purpose, NULL until first use
    size_t cap[AX_SCRATCH_SLOTS]; // their sizes in floats
} scratch;

static tss_t key;                          // the thread's scratch, for the destructor
static once_flag key_once = ONCE_FLAG_INIT; // creates the key on first use

static void free_scratch(void *p) {
    scratch *s = p;
    for (int i = 0; i < AX_SCRATCH_SLOTS; i++) free(s->buf[i]);
    free(s);
}

static void make_key(void) { AX_ASSERT(tss_create(&key, free_scratch) == thrd_success, "cannot create a thread key"); }

float *ax_thread_scratch(ax_scratch_slot slot, size_t floats) {
    static _Thread_local scratch *mine;
    if (!mine) {
        call_once(&key_once, make_key);
        mine = calloc(1, sizeof *mine);
        AX_ASSERT(mine && tss_set(key, mine) == thrd_success, "out of memory for thread scratch");
    }
    if (floats > mine->cap[slot]) {
        free(mine->buf[slot]);
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        mine->buf[slot] = aligned_alloc(64, bytes);
        AX_ASSERT(mine->buf[slot], "out of memory for %zu bytes of kernel scratch", bytes);
        mine->cap[slot] = floats;
    }
    return mine->buf[slot];
}
