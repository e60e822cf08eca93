// The MPS2-AN385's Ethernet controller, an SMSC LAN9118 at 0x40200000, as an lwIP
// Ethernet netif (ARP, static IPv4 address), written from the controller's register
// map and checked against what QEMU's model of it does.
//
// The controller is polled, never interrupt-driven: received frames wait in its
// RX FIFO (about 10 KiB) until usocket_qemu_lwip_poll() runs, which the socket
// layer's wait loop and time.sleep do, as lwIP's background task does on a board.
// A frame that finds the FIFO full is dropped by the controller, as on a wire, and
// TCP recovers it.
//
// Frames are sent as one TX buffer each (first and last segment): the pbuf chain is
// copied into a word-aligned buffer first, because the FIFO takes whole words and
// lwIP's pbufs start at any byte. Transmission is synchronous in QEMU; the status
// word of each frame is popped at once so the status FIFO never fills.
#include <stdint.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"

#include "lan9118.h"

#define LAN9118_BASE (0x40200000)
#define LAN9118_REG(offset) (*(volatile uint32_t *)(LAN9118_BASE + (offset)))

// Directly addressed registers (byte offsets).
#define LAN9118_RX_DATA_FIFO (0x00)
#define LAN9118_TX_DATA_FIFO (0x20)
#define LAN9118_RX_STATUS_FIFO (0x40)
#define LAN9118_TX_STATUS_FIFO (0x48)
#define LAN9118_ID_REV (0x50)
#define LAN9118_INT_EN (0x5c)
#define LAN9118_BYTE_TEST (0x64)
#define LAN9118_RX_CFG (0x6c)
#define LAN9118_TX_CFG (0x70)
#define LAN9118_HW_CFG (0x74)
#define LAN9118_RX_FIFO_INF (0x7c)
#define LAN9118_TX_FIFO_INF (0x80)
#define LAN9118_MAC_CSR_CMD (0xa4)
#define LAN9118_MAC_CSR_DATA (0xa8)

#define LAN9118_BYTE_TEST_VALUE (0x87654321)
#define LAN9118_HW_CFG_SRST (1 << 0)
#define LAN9118_TX_CFG_TX_ON (1 << 1)
#define LAN9118_MAC_CSR_BUSY (1u << 31)
#define LAN9118_MAC_CSR_READ (1 << 30)

// MAC registers, reached through MAC_CSR_CMD/DATA.
#define LAN9118_MAC_CR (1)
#define LAN9118_MAC_ADDRH (2)
#define LAN9118_MAC_ADDRL (3)
#define LAN9118_MAC_MII_ACC (6)
#define LAN9118_MAC_MII_DATA (7)
#define LAN9118_MAC_CR_FDPX (1 << 20)
#define LAN9118_MAC_CR_TXEN (1 << 3)
#define LAN9118_MAC_CR_RXEN (1 << 2)
#define LAN9118_MII_BUSY (1 << 0)
#define LAN9118_MII_WRITE (1 << 1)
#define LAN9118_PHY_ADDR (1)
#define LAN9118_PHY_BSR (1)
#define LAN9118_PHY_BSR_LINK (1 << 2)

// TX command words: A holds the buffer, B the whole frame.
#define LAN9118_TX_CMD_A_FIRST (1 << 13)
#define LAN9118_TX_CMD_A_LAST (1 << 12)
#define LAN9118_TX_STATUS_ERROR (1 << 15)
// RX status word: frame length (with the 4-byte CRC) in bits 16-29, error summary.
#define LAN9118_RX_STATUS_ERROR (1 << 15)
#define LAN9118_FRAME_MAX (1522)
#define LAN9118_CRC_LEN (4)

// Frames taken from the FIFO per poll: bounds the time one poll spends in lwIP.
#define LAN9118_RX_BURST (16)

static uint32_t lan9118_buf[(LAN9118_FRAME_MAX + 3) / 4];
static lan9118_stats_t lan9118_stats;
static bool lan9118_link_up;
static bool lan9118_present;

static void lan9118_mac_wait(void) {
    while (LAN9118_REG(LAN9118_MAC_CSR_CMD) & LAN9118_MAC_CSR_BUSY) {
    }
}

static uint32_t lan9118_mac_read(uint32_t reg) {
    lan9118_mac_wait();
    LAN9118_REG(LAN9118_MAC_CSR_CMD) = LAN9118_MAC_CSR_BUSY | LAN9118_MAC_CSR_READ | reg;
    lan9118_mac_wait();
    return LAN9118_REG(LAN9118_MAC_CSR_DATA);
}

static void lan9118_mac_write(uint32_t reg, uint32_t value) {
    lan9118_mac_wait();
    LAN9118_REG(LAN9118_MAC_CSR_DATA) = value;
    LAN9118_REG(LAN9118_MAC_CSR_CMD) = LAN9118_MAC_CSR_BUSY | reg;
    lan9118_mac_wait();
}

static uint32_t lan9118_phy_read(uint32_t reg) {
    lan9118_mac_write(LAN9118_MAC_MII_ACC, (LAN9118_PHY_ADDR << 11) | (reg << 6) | LAN9118_MII_BUSY);
    while (lan9118_mac_read(LAN9118_MAC_MII_ACC) & LAN9118_MII_BUSY) {
    }
    return lan9118_mac_read(LAN9118_MAC_MII_DATA) & 0xffff;
}

// netif->linkoutput: one frame, one TX buffer.
static err_t lan9118_linkoutput(struct netif *netif, struct pbuf *p) {
    if (!lan9118_link_up) {
        lan9118_stats.dropped_link_down += 1;
        LINK_STATS_INC(link.drop);
        return ERR_OK;  // a cable pulled out: the frame is lost, not refused
    }
    uint32_t len = p->tot_len;
    if (len > LAN9118_FRAME_MAX - LAN9118_CRC_LEN) {
        LINK_STATS_INC(link.lenerr);
        return ERR_IF;
    }
    // Free bytes in the TX data FIFO: room for both command words and the frame.
    if ((LAN9118_REG(LAN9118_TX_FIFO_INF) & 0xffff) < len + 8) {
        LINK_STATS_INC(link.memerr);
        return ERR_MEM;
    }
    pbuf_copy_partial(p, lan9118_buf, (u16_t)len, 0);
    LAN9118_REG(LAN9118_TX_DATA_FIFO) = LAN9118_TX_CMD_A_FIRST | LAN9118_TX_CMD_A_LAST | len;
    // The packet tag (upper half) is the length too: only echoed back in the status.
    LAN9118_REG(LAN9118_TX_DATA_FIFO) = (len << 16) | len;
    for (uint32_t i = 0; i < (len + 3) / 4; ++i) {
        LAN9118_REG(LAN9118_TX_DATA_FIFO) = lan9118_buf[i];
    }
    while (LAN9118_REG(LAN9118_TX_FIFO_INF) & 0x00ff0000) {
        if (LAN9118_REG(LAN9118_TX_STATUS_FIFO) & LAN9118_TX_STATUS_ERROR) {
            lan9118_stats.tx_errors += 1;
        }
    }
    lan9118_stats.frames_out += 1;
    LINK_STATS_INC(link.xmit);
    return ERR_OK;
}

static err_t lan9118_netif_init(struct netif *netif) {
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    uint32_t lo = lan9118_mac_read(LAN9118_MAC_ADDRL);
    uint32_t hi = lan9118_mac_read(LAN9118_MAC_ADDRH);
    for (int i = 0; i < 4; ++i) {
        netif->hwaddr[i] = (lo >> (8 * i)) & 0xff;
    }
    netif->hwaddr[4] = hi & 0xff;
    netif->hwaddr[5] = (hi >> 8) & 0xff;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = lan9118_linkoutput;
    return ERR_OK;
}

bool lan9118_init(struct netif *netif, const ip4_addr_t *addr, const ip4_addr_t *mask, const ip4_addr_t *gw) {
    if (LAN9118_REG(LAN9118_BYTE_TEST) != LAN9118_BYTE_TEST_VALUE
        || (LAN9118_REG(LAN9118_ID_REV) >> 16) != 0x0118) {
        return false;
    }
    // Soft reset: empties both FIFOs and reloads the MAC address from the EEPROM
    // (QEMU fills it with the -nic's mac=, 52:54:00:12:34:56 by default).
    LAN9118_REG(LAN9118_HW_CFG) = LAN9118_HW_CFG_SRST;
    while (LAN9118_REG(LAN9118_HW_CFG) & LAN9118_HW_CFG_SRST) {
    }
    LAN9118_REG(LAN9118_INT_EN) = 0;  // polled
    LAN9118_REG(LAN9118_RX_CFG) = 0;  // frames start at word 0, no end padding
    LAN9118_REG(LAN9118_TX_CFG) = LAN9118_TX_CFG_TX_ON;
    // Our address and broadcast only (promiscuous mode, the reset default, off).
    lan9118_mac_write(LAN9118_MAC_CR, LAN9118_MAC_CR_FDPX | LAN9118_MAC_CR_TXEN | LAN9118_MAC_CR_RXEN);
    if (netif_add(netif, addr, mask, gw, NULL, lan9118_netif_init, ethernet_input) == NULL) {
        return false;
    }
    lan9118_present = true;
    lan9118_set_link(netif, true);
    netif_set_up(netif);
    return true;
}

// Delivers what the controller received to lwIP.
bool lan9118_poll(struct netif *netif) {
    if (!lan9118_present) {
        return false;
    }
    bool any = false;
    for (int n = 0; n < LAN9118_RX_BURST && (LAN9118_REG(LAN9118_RX_FIFO_INF) & 0x00ff0000); ++n) {
        uint32_t status = LAN9118_REG(LAN9118_RX_STATUS_FIFO);
        uint32_t len = (status >> 16) & 0x3fff;
        uint32_t words = (len + 3) / 4;
        bool bad = (status & LAN9118_RX_STATUS_ERROR) || len < 14 + LAN9118_CRC_LEN || len > LAN9118_FRAME_MAX;
        // The whole frame is read out in every case: that is what frees its space.
        for (uint32_t i = 0; i < words; ++i) {
            uint32_t w = LAN9118_REG(LAN9118_RX_DATA_FIFO);
            if (!bad) {
                lan9118_buf[i] = w;
            }
        }
        any = true;
        if (bad) {
            LINK_STATS_INC(link.err);
            continue;
        }
        if (!lan9118_link_up) {
            lan9118_stats.dropped_link_down += 1;
            continue;
        }
        len -= LAN9118_CRC_LEN;
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
        if (p == NULL) {
            // The application is not reading: drop, as a NIC with no buffer does.
            lan9118_stats.dropped_no_buffer += 1;
            LINK_STATS_INC(link.memerr);
            continue;
        }
        pbuf_take(p, lan9118_buf, (u16_t)len);
        lan9118_stats.frames_in += 1;
        LINK_STATS_INC(link.recv);
        if (netif->input(p, netif) != ERR_OK) {
            pbuf_free(p);
        }
    }
    return any;
}

// The link as the application sees it: down drops frames both ways.
void lan9118_set_link(struct netif *netif, bool up) {
    lan9118_link_up = up;
    if (up) {
        netif_set_link_up(netif);
    } else {
        netif_set_link_down(netif);
    }
}

bool lan9118_link_is_up(void) {
    return lan9118_link_up;
}

// Whether the PHY reports a link: QEMU's `set_link` monitor command changes it.
bool lan9118_phy_link(void) {
    return lan9118_present && (lan9118_phy_read(LAN9118_PHY_BSR) & LAN9118_PHY_BSR_LINK) != 0;
}

void lan9118_get_stats(lan9118_stats_t *stats) {
    *stats = lan9118_stats;
}
