#!/usr/bin/env bash
# The two-tenant topology of the cimnetd network-namespace test:
# hosts PREFIX-h1 / PREFIX-h2 joined by the veth pair pa0 (the provider link, no
# kernel addresses: the datapath owns the PAs 192.168.1.11 / .12) and one
# namespace per VM: Blue b1 (host 1) and b2 (host 2), Red r1 and r2, with the
# same addresses 10.1.1.1 / 10.1.1.2 in both tenants; Blue also has IPv6
# fd00:30::1 / ::2. Each VM's eth0 is a veth whose peer (vb1, vr1, vb2, vr2)
# sits in its host's namespace.
# VM_OFFLOADS "on" leaves the VMs' checksum/segmentation offloads on (for
# cimnetd --datapath-offload tc, whose slow path takes GSO frames); default off.
#   topology.sh up PREFIX DATAPATH_TOOL [VM_OFFLOADS] | topology.sh down PREFIX
set -euo pipefail
cmd=$1 P=$2
nss=(h1 h2 b1 r1 b2 r2)
if [ "$cmd" = down ]; then
  for n in "${nss[@]}"; do ip netns del "$P-$n" 2>/dev/null || true; done
  exit 0
fi
tool=$3 vm_offloads=${4:-off}
for n in "${nss[@]}"; do
  ip netns add "$P-$n"
  ip -n "$P-$n" link set lo up
done
for n in h1 h2 r1 r2; do
  ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
for n in b1 b2; do
  # No duplicate address detection or router solicitations: addresses are usable at once.
  ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.default.router_solicitations=0
done
ip link add pa0 netns "$P-h1" address 02:aa:00:00:00:11 type veth peer name pa0 netns "$P-h2" address 02:aa:00:00:00:12
ip -n "$P-h1" link set pa0 up
ip -n "$P-h2" link set pa0 up
vm() {  # vm-ns host-ns mac host-side-name ipv4 [ipv6]
  ip link add eth0 netns "$P-$1" address "$3" mtu 1458 type veth peer name "$4" netns "$P-$2"
  ip -n "$P-$2" link set "$4" up
  ip -n "$P-$1" addr add "$5/24" dev eth0
  [ -z "${6:-}" ] || ip -n "$P-$1" addr add "$6/64" dev eth0 nodad
  ip -n "$P-$1" link set eth0 up
  ip -n "$P-$1" route add default via 10.1.1.254
  # Frames must leave the VM complete (no checksum/segmentation offload): the
  # datapath reads them from the peer with AF_PACKET.
  [ "$vm_offloads" = on ] || ip netns exec "$P-$1" "$tool" disable-offloads eth0
}
vm b1 h1 00:15:5d:00:30:01 vb1 10.1.1.1 fd00:30::1
vm r1 h1 00:15:5d:00:20:01 vr1 10.1.1.1
vm b2 h2 00:15:5d:00:30:02 vb2 10.1.1.2 fd00:30::2
vm r2 h2 00:15:5d:00:20:02 vr2 10.1.1.2
