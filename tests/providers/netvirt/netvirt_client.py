#!/usr/bin/python3
"""Drives cimnetd's network-virtualization classes over WS-Man, the way the
NetWNV cmdlets do (CreateInstance / Get / Enumerate / Put / Delete / Invoke),
with raw envelopes through python3-winrm (Protocol.send_message).

usage: netvirt_client.py PHASE HTTP_PORT
  PHASE  configure      builds the Blue/Red policy and checks every validation fault
         after_restart  checks that the agent restored exactly the same policy
Prints the steps it took and 'ok', or 'FAILED: ...' and exits 1.
"""
import sys
import uuid
import xml.etree.ElementTree as ET

import winrm
from winrm.exceptions import WinRMError

from netvirt_wsman import CIM, CR, E, LR, NS, PA, SCV2, T, XSI  # the shared names

BLUE_RD = '{11111111-2222-3333-4444-000000000030}'
RED_RD = '{11111111-2222-3333-4444-000000000020}'

phase, port = sys.argv[1], sys.argv[2]
URL = 'http://127.0.0.1:%s/wsman' % port
P = winrm.Protocol(URL, transport='basic', username='admin', password='secret-admin')


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def step(text):
    print('step:', text, flush=True)


def envelope(action, cls, body='', selectors=None):
    sels = ''.join('<w:Selector Name="%s">%s</w:Selector>' % kv for kv in (selectors or SCV2).items())
    return ('<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s" xmlns:n="%s">'
            '<s:Header><a:To>%s</a:To>'
            '<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>'
            '<a:Action s:mustUnderstand="true">%s</a:Action><a:MessageID>uuid:%s</a:MessageID>'
            '<w:ResourceURI s:mustUnderstand="true">%s%s</w:ResourceURI><w:SelectorSet>%s</w:SelectorSet>'
            '<w:OperationTimeout>PT60S</w:OperationTimeout></s:Header><s:Body>%s</s:Body></s:Envelope>'
            % (NS['s'], NS['wsa'], NS['wsman'], NS['wsen'], URL, action, uuid.uuid4(), CIM, cls,
               sels, body))


def send(xml):
    return ET.fromstring(P.send_message(xml))


def fault(xml):
    try:
        P.send_message(xml)
    except WinRMError as e:
        return str(e)
    raise Failed('expected a fault for ' + xml[-400:])


def instance(cls, props):
    body = '<x:%s xmlns:x="%s%s">' % (cls, CIM, cls)
    for name, value in props:
        for v in (value if isinstance(value, list) else [value]):
            body += '<x:%s>%s</x:%s>' % (name, v, name)
    return body + '</x:%s>' % cls


def create(cls, props):
    """CreateInstance; returns the selectors of the new instance."""
    r = send(envelope(T + 'Create', cls, instance(cls, props)))
    sels = {s.get('Name'): s.text for s in r.iterfind('.//wxf:ResourceCreated//wsman:Selector', NS)}
    check(sels, 'ResourceCreated EPR for %s' % cls)
    return dict(SCV2, **{k: v for k, v in sels.items() if k != '__cimnamespace'})


def create_fault(cls, props, *expected):
    text = fault(envelope(T + 'Create', cls, instance(cls, props)))
    for e in expected:
        check(e in text, 'fault for %s should mention %r: %s' % (cls, e, text[:600]))
    return text


def get(cls, sels):
    r = send(envelope(T + 'Get', cls, '', sels))
    return r.find('.//s:Body', NS)[0]


def prop(element, name):
    e = element.find('{*}' + name)
    if e is None or e.get('{%s}nil' % XSI) == 'true':
        return None
    return e.text


def enumerate_(cls):
    r = send(envelope(E + 'Enumerate', cls,
                      '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>3</w:MaxElements></n:Enumerate>'))
    items = list(r.iterfind('.//wsman:Items/*', NS))
    ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
    while ctx:
        r = send(envelope(E + 'Pull', cls, '<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>'
                          '<n:MaxElements>3</n:MaxElements></n:Pull>' % ctx))
        items += list(r.iterfind('.//wsen:Items/*', NS))
        ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
    return items


def record(vsid, ca, mac, pa, rule=1, extra=()):
    return [('CustomerAddress', ca), ('MACAddress', mac), ('ProviderAddress', pa),
            ('Rule', rule), ('VirtualSubnetID', vsid)] + list(extra)


def records():
    return sorted((prop(i, 'VirtualSubnetID'), prop(i, 'CustomerAddress'), prop(i, 'MACAddress'),
                   prop(i, 'ProviderAddress'), prop(i, 'Context')) for i in enumerate_(LR))


EXPECTED = [
    ('5020', '10.1.1.1', '00155d002001', '192.168.1.11', None),
    ('5020', '10.1.1.2', '00155d002002', '192.168.1.12', None),
    ('5030', '0.0.0.0', '00155d0030a1', '192.168.1.21', None),
    ('5030', '0.0.0.0', '00155d0030a2', '192.168.1.22', None),
    ('5030', '10.1.1.1', '00155d003001', '192.168.1.11', 'Blue web'),
    ('5030', 'fd00:30::2', '00155d003002', '192.168.1.12', None),
]


def configure():
    step('virtual subnets Blue (5030) and Red (5020), same prefix in two routing domains')
    create('CIMNET_VirtualSubnet', [('ElementName', 'Blue'), ('RoutingDomainID', BLUE_RD),
                                    ('VirtualSubnetID', 5030), ('AddressPrefixes', ['10.1.1.0/24', 'fd00:30::/64'])])
    create('CIMNET_VirtualSubnet', [('ElementName', 'Red'), ('RoutingDomainID', RED_RD),
                                    ('VirtualSubnetID', 5020), ('AddressPrefixes', '10.1.1.0/24')])
    create_fault('CIMNET_VirtualSubnet', [('RoutingDomainID', 'red'), ('VirtualSubnetID', 5040)],
                 'RoutingDomainID')

    step('provider address on a local interface (lo, index 1)')
    pa = create(PA, [('ProviderAddress', '192.168.1.11'), ('InterfaceIndex', 1), ('PrefixLength', 24)])
    check(prop(get(PA, pa), 'AddressState') == '4', 'provider address is Preferred')
    create_fault(PA, [('ProviderAddress', '192.168.1.13'), ('InterfaceIndex', 987654), ('PrefixLength', 24)],
                 'InterfaceIndex')

    step('lookup records: overlapping customer addresses in Blue and Red, IPv6, wildcards')
    blue1 = create(LR, record(5030, '10.1.1.1', '00155D003001', '192.168.1.11'))
    create(LR, record(5030, 'fd00:30::2', '00-15-5d-00-30-02', '192.168.1.12'))
    create(LR, record(5020, '10.1.1.1', '00155d002001', '192.168.1.11'))
    red2 = create(LR, record(5020, '10.1.1.2', '00155d002002', '192.168.1.12'))
    create(LR, record(5030, '0.0.0.0', '00155d0030a1', '192.168.1.21', extra=[('Type', 2)]))
    create(LR, record(5030, '0.0.0.0', '00155d0030a2', '192.168.1.22', extra=[('Type', 2)]))
    got = get(LR, blue1)
    check(prop(got, 'MACAddress') == '00155d003001' and prop(got, 'VirtualSubnetID') == '5030',
          'Get of a record')

    step('Put changes a writable property; read-only ones are refused')
    r = send(envelope(T + 'Put', LR, instance(LR, [('Context', 'Blue web')]), blue1))
    check(r.findtext('.//{*}Context') == 'Blue web', 'Put result')
    text = fault(envelope(T + 'Put', LR, instance(LR, [('VirtualSubnetID', 5020)]), blue1))
    check('VirtualSubnetID' in text, text[:600])

    step('every validation rule answers a fault naming the property')
    create_fault(LR, record(4095, '10.1.1.9', '00155d0030f9', '192.168.1.11'), 'VirtualSubnetID')
    create_fault(LR, record(5030, '10.1.1.9', '00155d0030', '192.168.1.11'), 'MACAddress')
    create_fault(LR, record(5030, '10.1.1.9', '00155d0030f9', 'fd00::9', rule=0), 'ProviderAddress')
    create_fault(LR, record(5030, '10.1.1.9', '00155d0030f9', '192.168.1.11',
                            extra=[('CustomerID', '1234')]), 'CustomerID')
    create_fault(LR, record(5030, '10.1.1.1', '00155d003001', '192.168.1.11'), 'AlreadyExists')
    create_fault(LR, record(5030, '10.1.1.1', '00155d0030ff', '192.168.1.11'), 'CustomerAddress')
    create(LR, record(5030, '10.1.1.50', '00155d003050', '192.168.1.50', rule=0))
    create_fault(LR, record(5030, '10.1.1.51', '00155d003051', '192.168.1.50'), 'ProviderAddress')
    create_fault(CR, [('DestinationPrefix', '10.1.1.0/24'), ('NextHop', '0.0.0.0'),
                      ('RoutingDomainID', '{99999999-2222-3333-4444-000000000000}'), ('VirtualSubnetID', 5030)],
                 'RoutingDomainID')

    step('customer route in Blue, Metric changed by Put')
    route = create(CR, [('DestinationPrefix', '10.1.1.0/24'), ('NextHop', '0.0.0.0'),
                        ('RoutingDomainID', BLUE_RD), ('VirtualSubnetID', 5030)])
    r = send(envelope(T + 'Put', CR, instance(CR, [('Metric', 3)]), route))
    check(r.findtext('.//{*}Metric') == '3', 'route Put')

    step('Select-NetVirtualizationNextHop')
    r = send(envelope(CIM + 'MSFT_NetVirtualizationNextHopLookup/Select', 'MSFT_NetVirtualizationNextHopLookup',
                      '<p:Select_INPUT xmlns:p="%sMSFT_NetVirtualizationNextHopLookup">'
                      '<p:DestinationCustomerAddress>10.1.1.1</p:DestinationCustomerAddress>'
                      '<p:SourceVirtualSubnetID>5030</p:SourceVirtualSubnetID></p:Select_INPUT>' % CIM))
    check(r.findtext('.//{*}ReturnValue') == '0', 'Select returns 0')
    check('00155d003001' in ET.tostring(r, encoding='unicode'), 'Select names the next hop MAC')

    step('Delete')
    send(envelope(T + 'Delete', LR, '', red2))
    text = fault(envelope(T + 'Get', LR, '', red2))
    check('DestinationUnreachable' in text or 'NotFound' in text, text[:400])
    nat = [i for i in enumerate_(LR) if prop(i, 'CustomerAddress') == '10.1.1.50']
    check(len(nat) == 1, 'the Nat record is there')
    send(envelope(T + 'Delete', LR, '', dict(SCV2, InstanceID=prop(nat[0], 'InstanceID'))))
    create(LR, record(5020, '10.1.1.2', '00155d002002', '192.168.1.12'))

    step('enumeration in pages of 3, wildcard records side by side, statistics')
    got = records()
    check(got == EXPECTED, 'records: %s' % got)
    unusable = [prop(i, 'Unusable') for i in enumerate_(LR) if prop(i, 'CustomerAddress') == '0.0.0.0']
    check(sorted(unusable) == ['false', 'true'], 'one standby gateway: %s' % unusable)
    stats = enumerate_('CIMNET_VirtualSubnetStatistics')
    check(sorted(prop(s, 'VirtualSubnetID') for s in stats) == ['5020', '5030'], 'subnet statistics')


def after_restart():
    step('the restarted agent serves the same policy')
    got = records()
    check(got == EXPECTED, 'records after restart: %s' % got)
    routes = enumerate_(CR)
    check([(prop(r, 'DestinationPrefix'), prop(r, 'Metric')) for r in routes] == [('10.1.1.0/24', '3')],
          'customer route after restart')
    subnets = sorted(prop(s, 'ElementName') for s in enumerate_('CIMNET_VirtualSubnet'))
    check(subnets == ['Blue', 'Red'], 'subnets after restart: %s' % subnets)


try:
    {'configure': configure, 'after_restart': after_restart}[phase]()
except (Failed, WinRMError) as e:
    print('FAILED:', e)
    sys.exit(1)
print('ok')
