// The address plan every firmware bridged to the PC shares (the host firmware and
// the QEMU target), and the bridge gives slirp: the firmware is 10.0.2.15 and
// reaches the PC's 127.0.0.1 as 10.0.2.2. Plain macros, so it is included both
// where lwIP's headers are (hostnet.c, qemu_net.c) and where libslirp's are
// (slirpnet.c).
#ifndef USOCKET_UNIX_NETPLAN_H
#define USOCKET_UNIX_NETPLAN_H

#define NETPLAN_IP4_SELF    "10.0.2.15"
#define NETPLAN_IP4_MASK    "255.255.255.0"
#define NETPLAN_IP4_HOST    "10.0.2.2"
#define NETPLAN_IP6_SELF    "fec0::15"
#define NETPLAN_IP6_HOST    "fec0::2"

#endif // USOCKET_UNIX_NETPLAN_H
