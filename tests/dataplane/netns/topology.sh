#!/usr/bin/env bash
# Builds / removes the two-tenant topology: namespaces PREFIX-{h1,h2} (hosts joined by the veth
# pair pa0, the provider link) and one namespace per VM, each VM's eth0 a veth whose peer sits in
# its host's namespace. No addresses on the provider link: the datapath owns the PAs.
#   topology.sh up PREFIX DATAPATH_BINARY | topology.sh down PREFIX
set -euo pipefail
cmd=$1 P=$2
nss=(h1 h2 b1 b2 b3 r1 r2 g2)
if [ "$cmd" = down ]; then
  for n in "${nss[@]}"; do ip netns del "$P-$n" 2>/dev/null || true; done
  exit 0
fi
bin=$3
for n in "${nss[@]}"; do
  ip netns add "$P-$n"
  ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$P-$n" link set lo up
done
ip link add pa0 netns "$P-h1" address 02:aa:00:00:00:11 type veth peer name pa0 netns "$P-h2" address 02:aa:00:00:00:12
ip -n "$P-h1" link set pa0 up
ip -n "$P-h2" link set pa0 up
vm() {  # vm-ns host-ns mac host-side-name address gateway
  ip link add eth0 netns "$P-$1" address "$3" mtu 1458 type veth peer name "$4" netns "$P-$2"
  ip -n "$P-$2" link set "$4" up
  ip -n "$P-$1" addr add "$5/24" dev eth0
  ip -n "$P-$1" link set eth0 up
  ip -n "$P-$1" route add default via "$6"
  # Frames must leave the VM complete (no checksum/segmentation offload): the datapath reads
  # them from the peer with AF_PACKET.
  ip netns exec "$P-$1" "$bin" disable-offloads eth0
}
vm b1 h1 00:15:5d:00:30:01 vb1 10.1.1.1 10.1.1.254
vm r1 h1 00:15:5d:00:20:01 vr1 10.1.1.1 10.1.1.254
vm b2 h2 00:15:5d:00:30:02 vb2 10.1.1.2 10.1.1.254
vm r2 h2 00:15:5d:00:20:02 vr2 10.1.1.2 10.1.1.254
vm b3 h2 00:15:5d:00:31:03 vb3 10.1.2.3 10.1.2.254
vm g2 h2 00:15:5d:00:40:03 vg2 10.1.3.3 10.1.3.254
