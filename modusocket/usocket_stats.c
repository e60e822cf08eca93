// lwIP usage counters for diagnostics: what a board's own module reports (the host
// firmware's network.LAN().stats(), the QEMU target's qemu.lwip_stats()), so tests
// can prove that closing sockets, a soft reset or a fault returned every pcb, segment
// and buffer. USOCKET_STATS (usocket_config.h) builds it.
#include "py/runtime.h"

#include "lwip/memp.h"
#include "lwip/stats.h"
#include "usocket.h"

#if USOCKET_STATS

static void usocket_stats_put(mp_obj_t dict, qstr key, uint32_t value) {
    mp_obj_dict_store(dict, MP_OBJ_NEW_QSTR(key), mp_obj_new_int_from_uint(value));
}

void usocket_lwip_stats(mp_obj_t dict) {
    static const struct {
        qstr_short_t key;
        uint16_t pool;
    } pools[] = {
        { MP_QSTR_tcp_pcb, MEMP_TCP_PCB },
        { MP_QSTR_tcp_pcb_listen, MEMP_TCP_PCB_LISTEN },
        { MP_QSTR_udp_pcb, MEMP_UDP_PCB },
        #if LWIP_RAW
        { MP_QSTR_raw_pcb, MEMP_RAW_PCB },
        #endif
        { MP_QSTR_tcp_seg, MEMP_TCP_SEG },
        { MP_QSTR_pbuf, MEMP_PBUF },
        { MP_QSTR_pbuf_pool, MEMP_PBUF_POOL },
    };
    // Copied under lwIP's lock, turned into objects after it: allocating may run the
    // GC, whose finalisers (socket close) take the same lock.
    uint32_t used[MP_ARRAY_SIZE(pools)];
    uint32_t memp_err = 0;
    USOCKET_LWIP_LOCK();
    struct stats_mem mem = lwip_stats.mem;
    #if LINK_STATS
    uint32_t link_memerr = lwip_stats.link.memerr;
    #endif
    for (size_t i = 0; i < MP_ARRAY_SIZE(pools); ++i) {
        used[i] = lwip_stats.memp[pools[i].pool]->used;
    }
    for (size_t i = 0; i < MEMP_MAX; ++i) {
        memp_err += lwip_stats.memp[i]->err;
        #if MEMP_MEM_MALLOC
        // Pool elements come from mem_malloc() in this build (`make unix
        // POOLS=malloc`), so lwIP counts them in mem.used too. Reported without
        // them, mem_used means what it means in every other build: the heap's
        // own blocks.
        mem.used -= lwip_stats.memp[i]->used * (MEMP_SIZE + MEMP_ALIGN_SIZE(memp_pools[i]->size));
        #endif
    }
    USOCKET_LWIP_UNLOCK();

    usocket_stats_put(dict, MP_QSTR_mem_used, mem.used);
    usocket_stats_put(dict, MP_QSTR_mem_max, mem.max);
    usocket_stats_put(dict, MP_QSTR_mem_err, mem.err);
    for (size_t i = 0; i < MP_ARRAY_SIZE(pools); ++i) {
        usocket_stats_put(dict, pools[i].key, used[i]);
    }
    usocket_stats_put(dict, MP_QSTR_memp_err, memp_err);
    #if LINK_STATS
    // Frames the netif driver had no buffer for (an application not reading).
    usocket_stats_put(dict, MP_QSTR_link_memerr, link_memerr);
    #endif
}

#endif
