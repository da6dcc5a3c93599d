// SPDX-License-Identifier: GPL-2.0
/* The NVGRE kernel fast path (tc BPF), programmed by io/tc_offload.cpp from the datapath's
 * policy. It forwards only what it can forward exactly as the userspace rules (src/worker.cpp)
 * would, and returns TC_ACT_OK for everything else, which then reaches the userspace datapath
 * unchanged:
 *   nvgre_vm_ingress (ingress of a VM port's host-side veth end): unicast untagged IPv4/IPv6 to
 *     an Encap Static/Dynamic record of the port's VSID (not to the router MAC, no neighbour
 *     solicitation) -> encapsulated and redirected to the provider interface, or, for a record
 *     at a local PA, redirected to the local port owning its MAC.
 *   nvgre_provider_ingress (ingress of the provider interface): IPv4 (no options) / IPv6 NVGRE
 *     to a local PA, GRE word 0x2000/0x6558, unicast untagged IPv4/IPv6 inner frame whose source
 *     is an Encap record of the VSID at the outer source PA, destination a local port of the
 *     VSID -> decapsulated and redirected to that port.
 * GSO frames are kept whole: bpf_skb_adjust_room marks them GRE-encapsulated so the kernel
 * segments (if ever) with the outer header. */

/* The kernel types come before libbpf's helper declarations (a block of their own). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "nvgre_tc.h"

/* Newer than the 6.1 uapi headers of Debian 12 (kernel 6.3+). */
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86DD
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_GRE 47
#define PROTO_ICMP6 58

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct nvgre_tc_config);
} config SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, NVGRE_TC_MAX_PORTS);
  __type(key, __u32);
  __type(value, struct nvgre_tc_port);
} ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536); /* resized by the loader */
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct nvgre_tc_record4_key);
  __type(value, struct nvgre_tc_record);
} records4 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536); /* resized by the loader */
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct nvgre_tc_record6_key);
  __type(value, struct nvgre_tc_record);
} records6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536); /* resized by the loader */
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u32);
  __type(value, struct nvgre_tc_provider);
} providers SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, NVGRE_TC_MAX_PORTS);
  __type(key, struct nvgre_tc_mac_key);
  __type(value, struct nvgre_tc_local_port);
} local_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, __u8);
} local_pas4 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, struct nvgre_tc_record6_key); /* vsid 0 */
  __type(value, __u8);
} local_pas6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 4096); /* resized by the loader (Datapath limits) */
  __type(key, __u32);
  __type(value, struct nvgre_tc_vsid_stats);
} vsid_stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, NVGRE_TC_MAX_PORTS);
  __type(key, __u32);
  __type(value, struct nvgre_tc_port_stats);
} port_stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, NVGRE_TC_STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} misc_stats SEC(".maps");

static __always_inline void count_misc(__u32 what) {
  __u64* v = bpf_map_lookup_elem(&misc_stats, &what);
  if (v) *v += 1;
}

static __always_inline __u16 get16(const __u8* p) {
  return (__u16)(p[0] << 8 | p[1]);
}
static __always_inline __u32 load32(const __u8* p) {
  __u32 v;
  __builtin_memcpy(&v, p, 4);
  return v;
}
static __always_inline __u64 load64(const __u8* p) {
  __u64 v;
  __builtin_memcpy(&v, p, 8);
  return v;
}

/* The userspace FlowID (worker.cpp flow_id): same hash, same bits. */
static __always_inline __u64 mix64(__u64 x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
static __always_inline __u8 fold8(__u64 h) {
  h ^= h >> 32;
  h ^= h >> 16;
  h ^= h >> 8;
  return (__u8)h;
}

static __always_inline int is_multicast(const __u8* mac) {
  return mac[0] & 1;
}
static __always_inline int mac_eq(const __u8* a, const __u8* b) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] &&
         a[5] == b[5];
}

/* Segments a GSO frame turns into, for the packet counters. */
static __always_inline __u64 segments(struct __sk_buff* skb) {
  return skb->gso_segs > 1 ? skb->gso_segs : 1;
}

static __always_inline void count_port(__u32 port, int to, __u64 packets, __u64 bytes) {
  struct nvgre_tc_port_stats* s = bpf_map_lookup_elem(&port_stats, &port);
  if (!s) return;
  if (to) {
    s->to_packets += packets;
    s->to_bytes += bytes;
  } else {
    s->from_packets += packets;
    s->from_bytes += bytes;
  }
}

/* Frames leave a VM on its port. */
SEC("tc")
int nvgre_vm_ingress(struct __sk_buff* skb) {
  __u32 zero = 0;
  struct nvgre_tc_config* cfg = bpf_map_lookup_elem(&config, &zero);
  if (!cfg || !cfg->enabled) return TC_ACT_OK;
  __u32 ifindex = skb->ifindex;
  struct nvgre_tc_port* port = bpf_map_lookup_elem(&ports, &ifindex);
  if (!port || skb->vlan_present) goto pass;
  __u8 f[14 + 40 + 4] = {};
  __u32 len = skb->len;
  if (bpf_skb_load_bytes(skb, 0, f, 14 + 20) < 0) goto pass;
  if (is_multicast(f) || mac_eq(f, cfg->router_mac)) goto pass;
  __u16 type = get16(f + 12);
  const __u8* ip = f + 14;
  __u32 l3 = 0;   /* IP header bytes before the transport header (IPv6: 40) */
  __u8 proto = 0; /* transport protocol, for FlowID and GSO */
  __u64 h;
  int v6 = 0;
  if (type == ETH_IPV4) {
    if (len < 34 || ip[0] < 0x45 || ip[0] > 0x4F) goto pass;
    l3 = (ip[0] & 0xF) * 4;
    proto = ip[9];
    h = ((__u64)load32(ip + 12) << 32 | load32(ip + 16)) ^ proto;
    int first_fragment = (get16(ip + 6) & 0x1FFF) == 0;
    if ((proto == PROTO_TCP || proto == PROTO_UDP) && first_fragment && len >= 14 + l3 + 4) {
      __u8 l4[4];
      if (bpf_skb_load_bytes(skb, 14 + l3, l4, 4) < 0) goto pass;
      h ^= (__u64)load32(l4) * 0x9E3779B97F4A7C15ULL;
    }
  } else if (type == ETH_IPV6) {
    if (len < 54 || bpf_skb_load_bytes(skb, 0, f, 54) < 0) goto pass;
    if ((ip[0] >> 4) != 6) goto pass;
    v6 = 1;
    l3 = 40;
    proto = ip[6];
    if (proto == PROTO_ICMP6 && len >= 14 + 40 + 24) {
      __u8 icmp_type;
      if (bpf_skb_load_bytes(skb, 54, &icmp_type, 1) < 0 || icmp_type == 135) goto pass;
    }
    h = load64(ip + 8) ^ load64(ip + 16) * 0x9E3779B97F4A7C15ULL ^
        (load64(ip + 24) * 0xC2B2AE3D27D4EB4FULL) ^ load64(ip + 32) ^ proto;
    if ((proto == PROTO_TCP || proto == PROTO_UDP) && len >= 58) {
      __u8 l4[4];
      if (bpf_skb_load_bytes(skb, 54, l4, 4) < 0) goto pass;
      h ^= (__u64)load32(l4) * 0x165667B19E3779F9ULL;
    }
  } else {
    goto pass;
  }

  struct nvgre_tc_record* rec;
  if (!v6) {
    struct nvgre_tc_record4_key k = {.vsid = port->vsid, .ca = load32(ip + 16)};
    rec = bpf_map_lookup_elem(&records4, &k);
  } else {
    struct nvgre_tc_record6_key k = {.vsid = port->vsid};
    __builtin_memcpy(k.ca, ip + 24, 16);
    rec = bpf_map_lookup_elem(&records6, &k);
  }
  if (!rec) goto pass;
  __u32 pa = rec->pa;
  struct nvgre_tc_provider* prov = bpf_map_lookup_elem(&providers, &pa);
  if (!prov) goto pass;
  __u64 packets = segments(skb);
  __u32 port_id = port->port_id, vsid = port->vsid, counter = port->vsid_counter;

  if (prov->local) {
    struct nvgre_tc_mac_key mk = {.vsid = vsid};
    __builtin_memcpy(mk.mac, rec->mac, 6);
    struct nvgre_tc_local_port* lp = bpf_map_lookup_elem(&local_ports, &mk);
    if (!lp) goto pass;
    __u32 to = lp->ifindex, to_port = lp->port_id;
    count_port(port_id, 0, packets, len);
    count_port(to_port, 1, packets, len);
    struct nvgre_tc_vsid_stats* vs = bpf_map_lookup_elem(&vsid_stats, &counter);
    if (vs) {
      vs->local_packets += packets;
      vs->local_bytes += len;
    }
    return bpf_redirect(to, 0);
  }

  __u32 hlen = prov->header_length;
  if (hlen != 42 && hlen != 62) goto pass; /* provider address not reachable */
  __u32 mtu = cfg->provider_mtu;
  if (skb->gso_size) {
    /* Each segment: Ethernet + IP + transport header + gso_size. */
    __u32 l4 = 0;
    if (proto == PROTO_TCP) {
      __u8 off;
      if (bpf_skb_load_bytes(skb, 14 + l3 + 12, &off, 1) < 0) goto pass;
      l4 = (off >> 4) * 4;
    } else if (proto == PROTO_UDP) {
      l4 = 8;
    } else {
      goto pass;
    }
    if (14 + l3 + l4 + skb->gso_size + hlen - 14 > mtu) goto pass;
  } else if (len + hlen - 14 > mtu) {
    goto pass; /* the userspace datapath answers with ICMP too-big */
  }
  __u8 fid = cfg->flow_id_zero ? 0 : fold8(mix64(h));
  __u32 key = bpf_htonl(vsid << 8 | fid);
  __u8 inner_eth[14];
  __builtin_memcpy(inner_eth, f, 14);
  __u32 out_len = len + hlen; /* bytes after encapsulation */

  __u8 hdr[NVGRE_TC_MAX_HEADER + 14];
  __builtin_memcpy(hdr, prov->header, NVGRE_TC_MAX_HEADER);
  __u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L4_GRE |
                BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(14);
  if (hlen == 42) {
    __u32 total = out_len - 14;
    if (total > 0xFFFF) total = 0xFFFF; /* GSO: every segment gets its own length */
    __u32 sum = prov->checksum_base + total;
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (sum & 0xFFFF) + (sum >> 16);
    hdr[16] = total >> 8;
    hdr[17] = total & 0xFF;
    __u16 csum = ~sum & 0xFFFF;
    hdr[24] = csum >> 8;
    hdr[25] = csum & 0xFF;
    __builtin_memcpy(hdr + 38, &key, 4);
    __builtin_memcpy(hdr + 42, inner_eth, 14);
    if (bpf_skb_adjust_room(skb, 42, BPF_ADJ_ROOM_MAC, flags | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4))
      goto error;
    if (bpf_skb_store_bytes(skb, 0, hdr, 42 + 14, 0)) goto error;
  } else {
    __u32 payload = out_len - 14 - 40;
    if (payload > 0xFFFF) payload = 0xFFFF;
    hdr[18] = payload >> 8;
    hdr[19] = payload & 0xFF;
    __builtin_memcpy(hdr + 58, &key, 4);
    __builtin_memcpy(hdr + 62, inner_eth, 14);
    if (bpf_skb_adjust_room(skb, 62, BPF_ADJ_ROOM_MAC, flags | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6))
      goto error;
    if (bpf_skb_store_bytes(skb, 0, hdr, 62 + 14, 0)) goto error;
  }
  count_port(port_id, 0, packets, len);
  struct nvgre_tc_vsid_stats* vs = bpf_map_lookup_elem(&vsid_stats, &counter);
  if (vs) {
    vs->enc_packets += packets;
    vs->enc_bytes += out_len;
  }
  return bpf_redirect(cfg->provider_ifindex, 0);
pass:
  count_misc(NVGRE_TC_STAT_TX_PASSED);
  return TC_ACT_OK;
error:
  count_misc(NVGRE_TC_STAT_ERRORS);
  return TC_ACT_SHOT;
}

/* NVGRE frames arrive on the provider interface. */
SEC("tc")
int nvgre_provider_ingress(struct __sk_buff* skb) {
  __u32 zero = 0;
  struct nvgre_tc_config* cfg = bpf_map_lookup_elem(&config, &zero);
  if (!cfg || !cfg->enabled) return TC_ACT_OK;
  if (skb->vlan_present) goto pass;
  __u32 len = skb->len;
  __u8 o[14 + 40] = {};
  if (bpf_skb_load_bytes(skb, 0, o, 14 + 20) < 0) goto pass;
  __u16 type = get16(o + 12);
  const __u8* ip = o + 14;
  __u32 outer; /* bytes before the inner frame */
  int outer_v6 = 0;
  if (type == ETH_IPV4) {
    /* No options, no fragments, no Ethernet padding (those take the userspace path). */
    if (ip[0] != 0x45 || ip[9] != PROTO_GRE || (get16(ip + 6) & 0x3FFF)) goto pass;
    if (!skb->gso_size && get16(ip + 2) != len - 14) goto pass;
    __u32 dst = load32(ip + 16);
    if (!bpf_map_lookup_elem(&local_pas4, &dst)) goto pass;
    outer = 14 + 20 + 8;
  } else if (type == ETH_IPV6) {
    if (bpf_skb_load_bytes(skb, 0, o, 14 + 40) < 0) goto pass;
    if ((ip[0] >> 4) != 6 || ip[6] != PROTO_GRE) goto pass;
    if (!skb->gso_size && get16(ip + 4) + 40 != len - 14) goto pass;
    struct nvgre_tc_record6_key k = {.vsid = 0};
    __builtin_memcpy(k.ca, ip + 24, 16);
    if (!bpf_map_lookup_elem(&local_pas6, &k)) goto pass;
    outer = 14 + 40 + 8;
    outer_v6 = 1;
  } else {
    goto pass;
  }
  /* GRE key word and the inner Ethernet + IP header up to the source address. */
  __u8 in[8 + 14 + 40] = {};
  if (len < outer + 14 || bpf_skb_load_bytes(skb, outer - 8, in, 8 + 14) < 0) goto pass;
  if (get16(in) != 0x2000 || get16(in + 2) != 0x6558) goto pass;
  __u32 vsid = (__u32)get16(in + 4) << 8 | in[6];
  const __u8* eth = in + 8;
  if (is_multicast(eth)) goto pass;
  __u16 inner_type = get16(eth + 12);
  struct nvgre_tc_record* rec;
  __u64 dflags = BPF_F_ADJ_ROOM_FIXED_GSO;
  if (inner_type == ETH_IPV4) {
    if (len < outer + 34 || bpf_skb_load_bytes(skb, outer - 8, in, 8 + 34) < 0) goto pass;
    struct nvgre_tc_record4_key k = {.vsid = vsid, .ca = load32(in + 8 + 26)};
    rec = bpf_map_lookup_elem(&records4, &k);
    dflags |= BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
  } else if (inner_type == ETH_IPV6) {
    if (len < outer + 54 || bpf_skb_load_bytes(skb, outer - 8, in, 8 + 54) < 0) goto pass;
    struct nvgre_tc_record6_key k = {.vsid = vsid};
    __builtin_memcpy(k.ca, in + 8 + 22, 16);
    rec = bpf_map_lookup_elem(&records6, &k);
    dflags |= BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
  } else {
    goto pass;
  }
  if (!rec) goto pass;
  /* Anti-spoofing: the record of the inner source lives at the outer source PA. */
  __u32 pa = rec->pa;
  struct nvgre_tc_provider* prov = bpf_map_lookup_elem(&providers, &pa);
  if (!prov) goto pass;
  if (!outer_v6) {
    if (prov->family != 4 || load32(prov->address) != load32(ip + 12)) goto pass;
  } else {
    if (prov->family != 6 || load64(prov->address) != load64(ip + 8) ||
        load64(prov->address + 8) != load64(ip + 16))
      goto pass;
  }
  struct nvgre_tc_mac_key mk = {.vsid = vsid};
  __builtin_memcpy(mk.mac, eth, 6);
  struct nvgre_tc_local_port* lp = bpf_map_lookup_elem(&local_ports, &mk);
  if (!lp) goto pass;
  __u32 to = lp->ifindex, to_port = lp->port_id, counter = lp->vsid_counter;
  __u64 packets = segments(skb);
  __u8 inner_eth[14];
  __builtin_memcpy(inner_eth, eth, 14);
  if (!outer_v6) {
    if (bpf_skb_adjust_room(skb, -(14 + 20 + 8), BPF_ADJ_ROOM_MAC, dflags)) goto error;
  } else {
    if (bpf_skb_adjust_room(skb, -(14 + 40 + 8), BPF_ADJ_ROOM_MAC, dflags)) goto error;
  }
  if (bpf_skb_store_bytes(skb, 0, inner_eth, 14, 0)) goto error;
  __u64 inner_len = len - outer;
  count_port(to_port, 1, packets, inner_len);
  struct nvgre_tc_vsid_stats* vs = bpf_map_lookup_elem(&vsid_stats, &counter);
  if (vs) {
    vs->dec_packets += packets;
    vs->dec_bytes += inner_len;
  }
  return bpf_redirect(to, 0);
pass:
  count_misc(NVGRE_TC_STAT_RX_PASSED);
  return TC_ACT_OK;
error:
  count_misc(NVGRE_TC_STAT_ERRORS);
  return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
