// Allocation-failure injection for `make test-oom` (the model is SQLite's
// out-of-memory testing): `_oom.arm(n)` makes the nth allocation from then on fail,
// once (`_oom.arm(n, True)`: that one and every later one, until disarmed);
// `_oom.disarm()` says how many allocations were made and which one failed first.
// A sweep runs an operation with n = 1, 2, 3... until it makes fewer than n
// allocations, so every allocation the operation makes fails once.
//
// Counted, in one sequence:
//  - lwIP's pools: every memp_malloc() (pcbs, segments, pbufs, ARP/ND queue
//    entries...), except MEMP_SYS_TIMEOUT (below);
//  - lwIP's heap: every mem_malloc() (PBUF_RAM pbufs, reassembly...);
//  - MicroPython's heap: gc_alloc() and growing gc_realloc() (m_malloc() raises
//    MemoryError when they fail, m_malloc_maybe() returns NULL).
// pbuf_alloc() has no allocator of its own: it takes its pbufs from one of the
// two lwIP allocators above, which are counted and labelled "in pbuf_alloc".
//
// MEMP_SYS_TIMEOUT is never failed: lwIP sizes that pool at compile time for the
// timers its configuration has, and asserts when it runs out (timeouts.c), as a
// configuration error rather than a runtime condition.
//
// With POOLS=malloc (MEMP_MEM_MALLOC) memp_malloc() takes each element from
// mem_malloc(): that call is part of the pool allocation already counted (or of the
// MEMP_SYS_TIMEOUT one that is never failed), so it is not counted again.
//
// The variant is single-threaded (NO_SYS=1, no _thread), so plain counters do.
#include <string.h>

#include "py/gc.h"
#include "py/obj.h"
#include "py/runtime.h"

#include "lwip/mem.h"
#include "lwip/memp.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"

void *__real_memp_malloc(memp_t type);
void *__real_mem_malloc(mem_size_t size);
struct pbuf *__real_pbuf_alloc(pbuf_layer layer, u16_t length, pbuf_type type);
void *__real_gc_alloc(size_t n_bytes, unsigned int alloc_flags);
void *__real_gc_realloc(void *ptr, size_t n_bytes, bool allow_move);

void *__wrap_memp_malloc(memp_t type);
void *__wrap_mem_malloc(mem_size_t size);
struct pbuf *__wrap_pbuf_alloc(pbuf_layer layer, u16_t length, pbuf_type type);
void *__wrap_gc_alloc(size_t n_bytes, unsigned int alloc_flags);
void *__wrap_gc_realloc(void *ptr, size_t n_bytes, bool allow_move);

// lwIP's pool names, in memp_t order.
static const char *const oom_pool_names[] = {
    #define LWIP_MEMPOOL(name, num, size, desc) #name,
    #include "lwip/priv/memp_std.h"
};

static struct {
    bool counting;
    bool fired;
    bool persistent;
    uint32_t count;
    uint32_t fail_at;
    // Inside a memp_malloc() call (nesting depth).
    uint8_t memp_depth;
    // Inside a pbuf_alloc() call (nesting depth), and the pbuf type it was asked for.
    uint8_t pbuf_depth;
    pbuf_type pbuf_kind;
    char site[64];
} oom;

static const char *oom_pbuf_kind_name(pbuf_type type) {
    switch (type) {
        case PBUF_RAM:
            return "PBUF_RAM";
        case PBUF_POOL:
            return "PBUF_POOL";
        case PBUF_ROM:
            return "PBUF_ROM";
        case PBUF_REF:
            return "PBUF_REF";
        default:
            return "pbuf";
    }
}

// Counts one allocation; true when this one is to fail (and records where).
static bool oom_fail_now(const char *what, const char *detail) {
    if (!oom.counting) {
        return false;
    }
    oom.count += 1;
    if (oom.fail_at == 0 || oom.count < oom.fail_at) {
        return false;
    }
    if (oom.fired) {
        return oom.persistent;
    }
    oom.fired = true;
    if (oom.pbuf_depth > 0) {
        snprintf(oom.site, sizeof(oom.site), "%s%s%s in pbuf_alloc(%s)", what,
            detail[0] ? ":" : "", detail, oom_pbuf_kind_name(oom.pbuf_kind));
    } else {
        snprintf(oom.site, sizeof(oom.site), "%s%s%s", what, detail[0] ? ":" : "", detail);
    }
    return true;
}

void *__wrap_memp_malloc(memp_t type) {
    if (type != MEMP_SYS_TIMEOUT && type < MEMP_MAX
        && oom_fail_now("memp", oom_pool_names[type])) {
        return NULL;
    }
    oom.memp_depth += 1;
    void *p = __real_memp_malloc(type);
    oom.memp_depth -= 1;
    return p;
}

void *__wrap_mem_malloc(mem_size_t size) {
    if (oom.memp_depth == 0 && oom_fail_now("mem_malloc", "")) {
        return NULL;
    }
    return __real_mem_malloc(size);
}

struct pbuf *__wrap_pbuf_alloc(pbuf_layer layer, u16_t length, pbuf_type type) {
    oom.pbuf_depth += 1;
    oom.pbuf_kind = type;
    struct pbuf *p = __real_pbuf_alloc(layer, length, type);
    oom.pbuf_depth -= 1;
    return p;
}

void *__wrap_gc_alloc(size_t n_bytes, unsigned int alloc_flags) {
    // A zero-byte request gets NULL anyway (m_malloc accepts that).
    if (n_bytes > 0 && oom_fail_now("heap", "")) {
        return NULL;
    }
    return __real_gc_alloc(n_bytes, alloc_flags);
}

void *__wrap_gc_realloc(void *ptr, size_t n_bytes, bool allow_move) {
    // Only growing can fail in MicroPython's GC; shrinking is done in place.
    if (n_bytes > 0 && (ptr == NULL || n_bytes > gc_nbytes(ptr)) && oom_fail_now("heap", "realloc")) {
        return NULL;
    }
    return __real_gc_realloc(ptr, n_bytes, allow_move);
}

// _oom.arm(n[, persistent]): from now on, count allocations; the nth fails (n >= 1),
// or none (n = 0: counting only). Persistent: every allocation after it fails too.
static mp_obj_t oom_arm(size_t n_args, const mp_obj_t *args) {
    mp_int_t n = mp_obj_get_int(args[0]);
    if (n < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("n must be >= 0"));
    }
    oom.count = 0;
    oom.fail_at = (uint32_t)n;
    oom.fired = false;
    oom.persistent = n_args > 1 && mp_obj_is_true(args[1]);
    oom.site[0] = '\0';
    oom.counting = true;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(oom_arm_obj, 1, 2, oom_arm);

// _oom.disarm() -> (allocations counted, what failed or None). Stops counting first,
// so the tuple it allocates is not counted.
static mp_obj_t oom_disarm(void) {
    oom.counting = false;
    mp_obj_t items[2] = {
        mp_obj_new_int_from_uint(oom.count),
        oom.fired ? mp_obj_new_str(oom.site, strlen(oom.site)) : mp_const_none,
    };
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_0(oom_disarm_obj, oom_disarm);

// _oom.tcp_timewait() -> pcbs in TIME_WAIT. The side that closes first keeps its
// pcb for 2 MSL (lwIP: 2 minutes); a sweep's baseline check counts those apart, so
// it can run one case after another without waiting for them.
static mp_obj_t oom_tcp_timewait(void) {
    mp_int_t n = 0;
    for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb != NULL; pcb = pcb->next) {
        n += 1;
    }
    return MP_OBJ_NEW_SMALL_INT(n);
}
static MP_DEFINE_CONST_FUN_OBJ_0(oom_tcp_timewait_obj, oom_tcp_timewait);

static const mp_rom_map_elem_t oom_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__oom) },
    { MP_ROM_QSTR(MP_QSTR_arm), MP_ROM_PTR(&oom_arm_obj) },
    { MP_ROM_QSTR(MP_QSTR_disarm), MP_ROM_PTR(&oom_disarm_obj) },
    { MP_ROM_QSTR(MP_QSTR_tcp_timewait), MP_ROM_PTR(&oom_tcp_timewait_obj) },
};
static MP_DEFINE_CONST_DICT(oom_module_globals, oom_module_globals_table);

const mp_obj_module_t oom_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&oom_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__oom, oom_module);
