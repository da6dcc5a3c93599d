#!/usr/bin/python3
"""The two-tenant policy of the network-namespace test, pushed to one cimnetd
over WS-Man as a central manager would (python3-winrm raw envelopes). Both
hosts get the same lookup records; each gets its own provider address and its
own VM adapters. VSIDs are 5030 (Blue) and 5020 (Red): the HNV examples' 30
and 20 are below the 4096..16777214 range the providers accept.

usage: netns_policy.py PORT COMMAND ARGS...
  configure HOST IFINDEX       subnets, routes, PA 192.168.1.1<HOST> on IFINDEX,
                               every lookup record, this host's VM adapters
  check HOST                   the agent serves exactly that policy (after a restart)
  delete-record VSID CA        removes the record of CA in VSID
  create-record VSID CA MAC PA
  delete-adapter NAME
  create-adapter NAME MAC VSID
  stats                        prints 'adapter NAME TX RX' (CIMNET_VMNetworkAdapterStatistics
                               packets) and 'subnet VSID TX RX' (CIMNET_VirtualSubnetStatistics)
Prints 'ok', or 'FAILED: ...' and exits 1.
"""
import sys

from netvirt_wsman import (ADAPTER, CR, LR, PA, SCV2, SUBNET, Client, Failed, WinRMError,
                           check, prop)

BLUE, RED = 5030, 5020
BLUE_RD = '{11111111-2222-3333-4444-000000005030}'
RED_RD = '{11111111-2222-3333-4444-000000005020}'
PA1, PA2 = '192.168.1.11', '192.168.1.12'

# (VSID, customer address, MAC, provider address, Type); Type 2 = GatewayWildcard.
RECORDS = [
    (BLUE, '10.1.1.1', '00155d003001', PA1, None),
    (BLUE, '10.1.1.2', '00155d003002', PA2, None),
    (BLUE, 'fd00:30::1', '00155d003001', PA1, None),
    (BLUE, 'fd00:30::2', '00155d003002', PA2, None),
    (RED, '10.1.1.1', '00155d002001', PA1, None),
    (RED, '10.1.1.2', '00155d002002', PA2, None),
    # Gateway wildcards differing only by MAC, IPv4 and IPv6, towards hosts that
    # do not exist here: they coexist (one in use, the other standing by).
    (BLUE, '0.0.0.0', '00155d0030a1', '192.168.1.21', 2),
    (BLUE, '0.0.0.0', '00155d0030a2', '192.168.1.22', 2),
    (BLUE, '::', '00155d0030a1', '192.168.1.21', 2),
    (BLUE, '::', '00155d0030a2', '192.168.1.22', 2),
]
ADAPTERS = {
    '1': [('vb1', '00155d003001', BLUE), ('vr1', '00155d002001', RED)],
    '2': [('vb2', '00155d003002', BLUE), ('vr2', '00155d002002', RED)],
}


def record_props(vsid, ca, mac, pa, type_=None):
    props = [('CustomerAddress', ca), ('MACAddress', mac), ('ProviderAddress', pa),
             ('Rule', 1), ('VirtualSubnetID', vsid)]
    if type_ is not None:
        props.append(('Type', type_))
    return props


def configure(c, host, ifindex):
    c.create(SUBNET, [('ElementName', 'Blue'), ('RoutingDomainID', BLUE_RD),
                      ('VirtualSubnetID', BLUE), ('AddressPrefixes', ['10.1.1.0/24', 'fd00:30::/64'])])
    c.create(SUBNET, [('ElementName', 'Red'), ('RoutingDomainID', RED_RD),
                      ('VirtualSubnetID', RED), ('AddressPrefixes', '10.1.1.0/24')])
    for rd, vsid, prefix, nh in [(BLUE_RD, BLUE, '10.1.1.0/24', '0.0.0.0'),
                                 (BLUE_RD, BLUE, 'fd00:30::/64', '::'),
                                 (RED_RD, RED, '10.1.1.0/24', '0.0.0.0')]:
        c.create(CR, [('DestinationPrefix', prefix), ('NextHop', nh), ('RoutingDomainID', rd),
                      ('VirtualSubnetID', vsid)])
    c.create(PA, [('ProviderAddress', PA1 if host == '1' else PA2), ('InterfaceIndex', ifindex),
                  ('PrefixLength', 24)])
    for r in RECORDS:
        c.create(LR, record_props(*r))
    for name, mac, vsid in ADAPTERS[host]:
        create_adapter(c, name, mac, vsid)


def check_policy(c, host):
    got = sorted((int(prop(i, 'VirtualSubnetID')), prop(i, 'CustomerAddress'), prop(i, 'MACAddress'),
                  prop(i, 'ProviderAddress')) for i in c.enumerate(LR))
    want = sorted((v, ca, mac, pa) for v, ca, mac, pa, _ in RECORDS)
    check(got == want, 'lookup records: %s' % got)
    for ca in ('0.0.0.0', '::'):
        unusable = sorted(prop(i, 'Unusable') for i in c.enumerate(LR)
                          if prop(i, 'CustomerAddress') == ca)
        check(unusable == ['false', 'true'], 'wildcards %s: one in use, one standing by: %s'
              % (ca, unusable))
    adapters = sorted((prop(i, 'Name'), prop(i, 'MACAddress'), int(prop(i, 'VirtualSubnetID')))
                      for i in c.enumerate(ADAPTER))
    check(adapters == sorted(ADAPTERS[host]), 'VM adapters: %s' % adapters)
    pas = [prop(i, 'ProviderAddress') for i in c.enumerate(PA)]
    check(pas == [PA1 if host == '1' else PA2], 'provider addresses: %s' % pas)
    check(len(c.enumerate(CR)) == 3, 'customer routes')


def delete_record(c, vsid, ca):
    found = [i for i in c.enumerate(LR)
             if prop(i, 'VirtualSubnetID') == vsid and prop(i, 'CustomerAddress') == ca]
    check(len(found) == 1, 'one record of %s in VSID %s: %d' % (ca, vsid, len(found)))
    c.delete(LR, dict(SCV2, InstanceID=prop(found[0], 'InstanceID')))


def create_adapter(c, name, mac, vsid):
    c.create(ADAPTER, [('InterfaceName', name), ('MACAddress', mac), ('VirtualSubnetID', vsid)])


def delete_adapter(c, name):
    found = [i for i in c.enumerate(ADAPTER) if prop(i, 'Name') == name]
    check(len(found) == 1, 'adapter %s' % name)
    keys = ('SystemCreationClassName', 'SystemName', 'CreationClassName', 'Name')
    c.delete(ADAPTER, dict(SCV2, **{k: prop(found[0], k) for k in keys}))


def main():
    port, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    c = Client(port)
    if command == 'configure':
        configure(c, args[0], int(args[1]))
        check_policy(c, args[0])
    elif command == 'check':
        check_policy(c, args[0])
    elif command == 'delete-record':
        delete_record(c, args[0], args[1])
    elif command == 'create-record':
        c.create(LR, record_props(int(args[0]), args[1], args[2], args[3]))
    elif command == 'delete-adapter':
        delete_adapter(c, args[0])
    elif command == 'create-adapter':
        create_adapter(c, args[0], args[1], int(args[2]))
    elif command == 'stats':
        for i in c.enumerate('CIMNET_VMNetworkAdapterStatistics'):
            print('adapter', prop(i, 'ElementName'), prop(i, 'PacketsTransmitted'),
                  prop(i, 'PacketsReceived'))
        for i in c.enumerate('CIMNET_VirtualSubnetStatistics'):
            print('subnet', prop(i, 'VirtualSubnetID'), prop(i, 'PacketsTransmitted'),
                  prop(i, 'PacketsReceived'))
    else:
        raise Failed('unknown command ' + command)


try:
    main()
except (Failed, WinRMError) as e:
    print('FAILED:', e)
    sys.exit(1)
print('ok')
