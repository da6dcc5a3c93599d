/* Map layouts shared by the tc fast path (nvgre_tc.bpf.c) and its loader (io/tc_offload.cpp).
 * Plain C with <linux/types.h> types so both the BPF and the C++ compiler read it. Multi-byte
 * address fields hold network byte order; everything else is host order. */
#ifndef CIMNET_NVGRE_TC_H
#define CIMNET_NVGRE_TC_H

#include <linux/types.h>

#define NVGRE_TC_MAX_HEADER 64

/* config[0]: the whole fast path is off unless `enabled` is 1 (the loader clears it while it
 * cannot vouch for the maps, so every frame then goes to the userspace datapath). */
struct nvgre_tc_config {
  __u8 enabled;
  __u8 flow_id_zero;
  __u16 provider_mtu;
  __u32 provider_ifindex;
  __u8 router_mac[6];
  __u8 pad[2];
};

/* ports: ifindex of a VM port's host-side veth end -> its port. */
struct nvgre_tc_port {
  __u32 vsid;
  __u16 port_id;      /* datapath PortId (index of port_stats) */
  __u16 vsid_counter; /* index of vsid_stats */
};

/* records4 / records6: (VSID, customer address) of an Encap Static/Dynamic record. */
struct nvgre_tc_record4_key {
  __u32 vsid;
  __u32 ca;
};
struct nvgre_tc_record6_key {
  __u32 vsid;
  __u8 ca[16];
};
struct nvgre_tc_record {
  __u32 pa; /* key of `providers` */
  __u8 mac[6];
  __u8 pad[2];
};

/* providers: a provider address referenced by records. */
struct nvgre_tc_provider {
  __u8 family;        /* 4 or 6 */
  __u8 local;         /* a local PA: records there are delivered to local ports */
  __u8 header_length; /* 42 / 62 when reachable (remote), 0 otherwise */
  __u8 pad;
  __u32 checksum_base; /* IPv4: one's-complement sum of the header words but total length */
  __u8 address[16];    /* IPv4 in the first 4 bytes */
  __u8 header[NVGRE_TC_MAX_HEADER]; /* outer Ethernet + IP + GRE flags/protocol, key zero */
};

/* local_ports: (VSID, MAC) -> the local VM port that owns it (as the userspace table does: left
 * out while a record puts that MAC at a remote provider address). */
struct nvgre_tc_mac_key {
  __u32 vsid;
  __u8 mac[6];
  __u8 pad[2];
};
struct nvgre_tc_local_port {
  __u32 ifindex;
  __u16 port_id;
  __u16 vsid_counter;
};

/* Per-CPU counters of what the fast path forwarded (packets: GSO segments counted). */
struct nvgre_tc_vsid_stats {
  __u64 enc_packets, enc_bytes;
  __u64 dec_packets, dec_bytes;
  __u64 local_packets, local_bytes;
};
struct nvgre_tc_port_stats {
  __u64 from_packets, from_bytes;
  __u64 to_packets, to_bytes;
};
/* misc_stats indexes */
#define NVGRE_TC_STAT_TX_PASSED 0 /* VM frames left to the userspace datapath */
#define NVGRE_TC_STAT_RX_PASSED 1 /* provider frames left to the userspace datapath */
#define NVGRE_TC_STAT_ERRORS 2    /* helper failures (frame dropped) */
#define NVGRE_TC_STAT_COUNT 3

#define NVGRE_TC_MAX_PORTS 1024

#endif
