/* The step arena: a bump allocator for everything that lives for one training step.
 *
 * Memory comes in blocks. When a step needs more than the current block, a new block is chained on.
 * At reset, if more than one block was used, they are all replaced by a single block big enough for the
 * whole step, so after the first step or two every step fits one block and nothing is malloc'd. */
#include "autograd/tape.h"
#include "axon/tensor.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64
#define ARENA_MIN_BLOCK (1u << 20)

typedef struct block block;
struct block {
    block *next;     // older block in the chain
    size_t capacity; // usable bytes after the header
    size_t used;     // bytes handed out from this block
};

static struct {
    block *head;        // block being filled (newest)
    size_t used;        // bytes handed out since reset, over all blocks
    size_t peak;        // largest `used` seen at any reset
    uint64_t n_mallocs; // blocks malloc'd since start
} arena;

static size_t header_size(void) { return (sizeof(block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

static block *block_new(size_t capacity) {
    block *b = aligned_alloc(ARENA_ALIGN, (header_size() + capacity + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
    AX_ASSERT(b, "out of memory allocating a %zu-byte arena block", capacity);
    b->next = NULL;
    b->capacity = capacity;
    b->used = 0;
    arena.n_mallocs++;
    return b;
}

void *ax_arena_alloc(size_t bytes) {
    bytes = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (bytes == 0) bytes = ARENA_ALIGN;
    if (!arena.head || arena.head->used + bytes > arena.head->capacity) {
        size_t cap = arena.head ? arena.head->capacity * 2 : ARENA_MIN_BLOCK;
        if (cap < bytes) cap = bytes;
        block *b = block_new(cap);
        b->next = arena.head;
        arena.head = b;
    }
    void *p = (char *)arena.head + header_size() + arena.head->used;
    arena.head->used += bytes;
    arena.used += bytes;
    return p;
}

static void free_chain(block *b) {
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
}

void ax_arena_reset(void) {
    ax_tape_clear();
    if (arena.used > arena.peak) arena.peak = arena.used;
    if (arena.head && arena.head->next) { // several blocks this step: merge into one that fits it all
        size_t total = 0;
        for (block *b = arena.head; b; b = b->next) total += b->capacity;
        free_chain(arena.head);
        arena.head = block_new(total);
    }
    if (arena.head) arena.head->used = 0;
    arena.used = 0;
}

void ax_arena_release(void) {
    ax_tape_clear();
    free_chain(arena.head);
    arena.head = NULL;
    arena.used = 0;
}

ax_arena_stats ax_arena_get_stats(void) {
    ax_arena_stats s = {.used = arena.used, .peak = arena.peak, .n_mallocs = arena.n_mallocs};
    for (block *b = arena.head; b; b = b->next) s.capacity += b->capacity;
    if (arena.used > s.peak) s.peak = arena.used;
    return s;
}
