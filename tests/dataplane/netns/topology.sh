#!/usr/bin/env bash
# Builds / removes the two-tenant topology: namespaces PREFIX-{h1,h2} (hosts joined by the veth
# pair pa0, the provider link) and one namespace per VM. No addresses on the provider link: the
# datapath owns the PAs.
#   topology.sh up PREFIX DATAPATH_BINARY [veth|veth-offload|tap] | topology.sh vm-addresses PREFIX
#   topology.sh tap-args PREFIX HOST | topology.sh down PREFIX
# veth (default): each VM's eth0 is a veth whose peer sits in its host's namespace, offloads off.
# veth-offload: the same with the VMs' offloads left on (TSO, checksum), for --offload tc.
# tap: the datapath creates each VM's eth0 as a TAP (offloads on) and moves it into the VM's
# namespace (tap-args prints its --tap options); then vm-addresses configures the VMs.
set -euo pipefail
cmd=$1 P=$2
nss=(h1 h2 b1 b2 b3 r1 r2 g2)
# vm-ns host host-side-name address gateway mac
vms=("b1 h1 vb1 10.1.1.1 10.1.1.254 00:15:5d:00:30:01"
     "r1 h1 vr1 10.1.1.1 10.1.1.254 00:15:5d:00:20:01"
     "b2 h2 vb2 10.1.1.2 10.1.1.254 00:15:5d:00:30:02"
     "r2 h2 vr2 10.1.1.2 10.1.1.254 00:15:5d:00:20:02"
     "b3 h2 vb3 10.1.2.3 10.1.2.254 00:15:5d:00:31:03"
     "g2 h2 vg2 10.1.3.3 10.1.3.254 00:15:5d:00:40:03")
if [ "$cmd" = down ]; then
  for n in "${nss[@]}"; do ip netns del "$P-$n" 2>/dev/null || true; done
  exit 0
fi
addresses() {  # vm-ns address gateway
  ip -n "$P-$1" link set eth0 mtu 1458
  ip -n "$P-$1" addr add "$2/24" dev eth0
  ip -n "$P-$1" link set eth0 up
  ip -n "$P-$1" route add default via "$3"
}
if [ "$cmd" = tap-args ]; then
  for v in "${vms[@]}"; do
    read -r vm host side addr gw mac <<< "$v"
    [ "$host" = "$3" ] && printf -- '--tap %s=/run/netns/%s:eth0 ' "$side" "$P-$vm"
  done
  echo "--vm-mtu 1458"
  exit 0
fi
if [ "$cmd" = vm-addresses ]; then
  for v in "${vms[@]}"; do
    read -r vm host side addr gw mac <<< "$v"
    addresses "$vm" "$addr" "$gw"
  done
  exit 0
fi
bin=$3 mode=${4:-veth}
for n in "${nss[@]}"; do
  ip netns add "$P-$n"
  ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$P-$n" link set lo up
done
ip link add pa0 netns "$P-h1" address 02:aa:00:00:00:11 type veth peer name pa0 netns "$P-h2" address 02:aa:00:00:00:12
ip -n "$P-h1" link set pa0 up
ip -n "$P-h2" link set pa0 up
[ "$mode" = tap ] && exit 0
for v in "${vms[@]}"; do
  read -r vm host side addr gw mac <<< "$v"
  ip link add eth0 netns "$P-$vm" address "$mac" mtu 1458 type veth peer name "$side" netns "$P-$host"
  ip -n "$P-$host" link set "$side" up
  addresses "$vm" "$addr" "$gw"
  # Frames must leave the VM complete (no checksum/segmentation offload): the datapath reads
  # them from the peer with AF_PACKET. With --offload tc they may stay GSO / partial.
  [ "$mode" = veth-offload ] || ip netns exec "$P-$vm" "$bin" disable-offloads eth0
done
