#!/usr/bin/python3
"""Drives cimnetd's switch classes the way Windows' NetworkSwitchManager does.

usage: switch_manager_client.py PHASE HTTP_PORT DRIVER [BRIDGE]
  PHASE   configure | after_restart
  DRIVER  sim | linux-bridge (then BRIDGE is the bridge, and every step is
          also checked in the kernel with `ip -d -j link` and `bridge -j vlan`;
          run this inside the switch's network namespace)
Prints the steps it took and 'ok', or 'FAILED: ...' and exits 1.
Raw WS-Man envelopes through python3-winrm (Protocol.send_message).
"""
import json
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET

import winrm
from winrm.exceptions import WinRMError

NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'wsa': 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
    'wsman': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
    'wsen': 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
}
CIM = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
T = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/'
E = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/'
ASSOC = 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter'
XSI = 'http://www.w3.org/2001/XMLSchema-instance'

phase, port, driver = sys.argv[1], sys.argv[2], sys.argv[3]
bridge = sys.argv[4] if len(sys.argv) > 4 else None
URL = 'http://127.0.0.1:%s/wsman' % port
P = winrm.Protocol(URL, transport='basic', username='admin', password='secret-admin')


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def step(text):
    print('step:', text, flush=True)


def sel_xml(selectors):
    out = ''
    for name, value in selectors.items():
        if isinstance(value, Epr):
            out += '<w:Selector Name="%s">%s</w:Selector>' % (name, value.xml('a:EndpointReference'))
        else:
            out += '<w:Selector Name="%s">%s</w:Selector>' % (name, value)
    return '<w:SelectorSet>%s</w:SelectorSet>' % out if out else ''


def envelope(action, resource, body='', selectors=None):
    return ('<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s" xmlns:n="%s" '
            'xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd">'
            '<s:Header><a:To>%s</a:To>'
            '<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>'
            '<a:Action s:mustUnderstand="true">%s</a:Action><a:MessageID>uuid:%s</a:MessageID>'
            '<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>%s'
            '<w:OperationTimeout>PT60S</w:OperationTimeout></s:Header><s:Body>%s</s:Body></s:Envelope>'
            % (NS['s'], NS['wsa'], NS['wsman'], NS['wsen'], URL, action, uuid.uuid4(), resource,
               sel_xml(selectors or {}), body))


def send(xml):
    return ET.fromstring(P.send_message(xml))


def fault_text(xml):
    try:
        P.send_message(xml)
    except WinRMError as e:
        return str(e)
    raise Failed('expected a fault for ' + xml[:300])


class Epr:
    """An instance path as WS-Man carries it: class URI + selectors."""

    def __init__(self, resource, selectors):
        self.resource, self.selectors = resource, dict(selectors)

    @staticmethod
    def parse(element):
        resource = element.findtext('.//wsman:ResourceURI', namespaces=NS)
        sels = {}
        for s in element.find('.//wsman:SelectorSet', NS):
            inner = s.find('wsa:EndpointReference', NS)
            sels[s.get('Name')] = Epr.parse(inner) if inner is not None else s.text
        return Epr(resource, sels)

    def ns(self):
        return self.selectors.get('__cimnamespace')

    def cls(self):
        return self.resource.rsplit('/', 1)[1]

    def keys(self):
        return {k: v for k, v in self.selectors.items() if k != '__cimnamespace'}

    def same(self, other):
        return (self.cls().lower() == other.cls().lower() and self.ns() == other.ns()
                and self.keys() == other.keys())

    def xml(self, tag):
        return ('<%s><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>'
                '<a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI>%s</a:ReferenceParameters></%s>'
                % (tag, self.resource, sel_xml(self.selectors), tag))


class Obj:
    """One instance from an enumeration: its properties and its EPR."""

    def __init__(self, element, epr=None):
        self.element, self.epr = element, epr
        self.cls = element.tag.split('}')[1]

    def get(self, name):
        e = self.element.find('{*}' + name)
        if e is None or e.get('{%s}nil' % XSI) == 'true':
            return None
        return e.text

    def list(self, name):
        return [e.text for e in self.element.findall('{*}' + name)]

    def ref(self, name):
        return Epr.parse(self.element.find('{*}' + name))


def enumerate_(cls, ns):
    """Enumerate (objects and EPRs) + Pull to the end."""
    resource = CIM + cls
    sels = {'__cimnamespace': ns}
    r = send(envelope(E + 'Enumerate', resource,
                      '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>50</w:MaxElements>'
                      '<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode></n:Enumerate>', sels))
    items = list(r.iterfind('.//wsman:Items/wsman:Item', NS))
    ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
    while ctx:
        r = send(envelope(E + 'Pull', resource, '<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>'
                          '<n:MaxElements>50</n:MaxElements></n:Pull>' % ctx, sels))
        items += list(r.iterfind('.//wsen:Items/wsman:Item', NS))
        ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
    out = []
    for item in items:
        children = list(item)
        out.append(Obj(children[0], Epr.parse(children[1])))
    return out


def get(epr):
    r = send(envelope(T + 'Get', epr.resource, '', epr.selectors))
    return Obj(r.find('.//s:Body', NS)[0], epr)


def put(epr, properties):
    cls = epr.cls()
    body = '<x:%s xmlns:x="%s%s">' % (cls, CIM, cls)
    for name, value in properties:
        values = value if isinstance(value, list) else [value]
        for v in values:
            body += '<x:%s>%s</x:%s>' % (name, v, name)
    body += '</x:%s>' % cls
    r = send(envelope(T + 'Put', epr.resource, body, epr.selectors))
    return Obj(r.find('.//s:Body', NS)[0], epr)


def invoke_xml(epr, method, params=''):
    cls = epr.cls()
    return envelope(epr.resource + '/' + method, epr.resource,
                    '<p:%s_INPUT xmlns:p="%s%s">%s</p:%s_INPUT>' % (method, CIM, cls, params, method),
                    epr.selectors)


def invoke(epr, method, params=''):
    r = send(invoke_xml(epr, method, params))
    out = r.find('.//s:Body', NS)[0]
    check(out.tag.endswith(method + '_OUTPUT'), 'output element of %s: %s' % (method, out.tag))
    return out, int(out.findtext('{*}ReturnValue'))


def associated(source, result_cls):
    """Get-CimAssociatedInstance -InputObject source -ResultClassName result_cls:
    Enumerate (objects and EPRs) with the DSP0227 association filter, in the
    source's namespace, on the all-classes resource URI."""
    body = ('<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>50</w:MaxElements>'
            '<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode><w:Filter Dialect="%s">'
            '<b:AssociatedInstances>%s<b:ResultClassName>%s</b:ResultClassName>'
            '</b:AssociatedInstances></w:Filter></n:Enumerate>' % (ASSOC, source.xml('b:Object'), result_cls))
    r = send(envelope(E + 'Enumerate', 'http://schemas.dmtf.org/wbem/wscim/1/*', body,
                      {'__cimnamespace': source.ns()}))
    check(r.find('.//wsman:EndOfSequence', NS) is not None, 'associators in one response')
    return [Obj(list(i)[0], Epr.parse(list(i)[1]))
            for i in r.iterfind('.//wsman:Items/wsman:Item', NS)]


# ------------------------------------------------------------ kernel checks

def sh(*args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, '%s: %s' % (' '.join(args), r.stderr))
    return r.stdout


def kernel_admin_up(dev):
    link = json.loads(sh('ip', '-d', '-j', 'link', 'show', 'dev', dev))[0]
    return 'UP' in link.get('flags', [])


def kernel_vlans(dev, self_=False):
    """'vid:flags' words from `bridge -j vlan show dev DEV` (P = PVID, U = untagged)."""
    args = ['bridge', '-j', 'vlan', 'show', 'dev', dev]
    data = json.loads(sh(*args) or '[]')
    words = []
    for entry in data:
        for v in entry.get('vlans', []):
            flags = ''.join(f for f, name in (('P', 'PVID'), ('U', 'Egress Untagged'))
                            if name in v.get('flags', []))
            end = v.get('vlanEnd')
            for vid in range(v['vlan'], (end or v['vlan']) + 1):
                words.append('%d:%s' % (vid, flags))
    return ' '.join(words)


def kernel_state(devs):
    """One line of admin state and VLANs per device plus the bridge's own VLANs."""
    out = {d: (kernel_admin_up(d), kernel_vlans(d)) for d in devs}
    out[bridge] = (kernel_admin_up(bridge), kernel_vlans(bridge))
    return out


def kernel(what, cond_fn):
    if driver != 'linux-bridge':
        return
    value = cond_fn()
    print('  kernel:', what, '->', value, flush=True)
    return value


# ------------------------------------------------------------ the sequence

def discover():
    """CmdletHelpers: profile in interop, associated CIM_ComputerSystem, its namespace."""
    step('profile discovery in root/interop')
    profiles = enumerate_('CIM_RegisteredProfile', 'root/interop')
    esp = [p for p in profiles if p.get('RegisteredName').lower() == 'ethernet switch profile'
           and p.get('RegisteredOrganization') == '1' and p.get('RegisteredVersion').startswith('1.')]
    check(len(esp) == 1, 'one Ethernet Switch Profile: %r' % [p.get('RegisteredName') for p in profiles])
    check(esp[0].get('OtherRegisteredOrganization') == 'Microsoft', 'OtherRegisteredOrganization')
    step('association profile -> CIM_ComputerSystem')
    systems = associated(esp[0].epr, 'CIM_ComputerSystem')
    check(len(systems) == 1, 'one switch conforms to the profile')
    cs = systems[0]
    ns = cs.epr.ns() if cs.epr else None
    check(ns == 'root/cimv2', 'implementation namespace from the reference: %r' % ns)
    check('38' in cs.list('Dedicated') and '5' in cs.list('Dedicated'), 'Dedicated Switch, Ethernet Switch')
    return cs, ns


def port_chain(port, ns):
    lans = associated(port.epr, 'CIM_LANEndpoint')
    check(len(lans) == 1 and lans[0].cls == 'CIM_LANEndpoint', 'port -> one CIM_LANEndpoint')
    veps = associated(lans[0].epr, 'CIM_VLANEndpoint')
    check(len(veps) == 1 and veps[0].cls == 'CIM_VLANEndpoint', 'LANEndpoint -> one CIM_VLANEndpoint')
    sds = associated(veps[0].epr, 'CIM_VLANEndpointSettingData')
    check(len(sds) == 1 and sds[0].cls == 'CIM_VLANEndpointSettingData',
          'VLANEndpoint -> one CIM_VLANEndpointSettingData')
    return lans[0], veps[0], sds[0]


def ports_of(ns):
    ports = sorted(enumerate_('CIM_EthernetPort', ns), key=lambda p: int(p.get('PortNumber')))
    check(len(ports) >= 3, 'at least three ports: %d' % len(ports))
    return ports


def service(ns):
    ss = enumerate_('MSFT_SwitchService', ns)
    check(len(ss) == 1, 'one MSFT_SwitchService')
    return ss[0].epr


def vlans(ns):
    return {int(v.get('VLANId')): v for v in enumerate_('CIM_NetworkVLAN', ns)}


def embedded_vlan(vid, name):
    return ('<p:NetworkVLAN xmlns:q="%sCIM_NetworkVLAN" xsi:type="q:CIM_NetworkVLAN_Type" xmlns:xsi="%s">'
            '<q:ElementName>%s</q:ElementName><q:VLANId>%d</q:VLANId></p:NetworkVLAN>'
            % (CIM, XSI, name, vid))


def embedded_ip(props):
    """A client-side CIM_IPProtocolEndpoint as Set-NetworkSwitchEthernetPortIPAddress builds it."""
    inner = ''.join('<q:%s>%s</q:%s>' % (k, v, k) for k, v in props)
    return ('<p:ProtocolEndpoint xmlns:q="%sCIM_IPProtocolEndpoint" xsi:type="q:CIM_IPProtocolEndpoint_Type" '
            'xmlns:xsi="%s">%s</p:ProtocolEndpoint>' % (CIM, XSI, inner))


def ip_endpoints(port):
    """Get-NetworkSwitchEthernetPort's IPAddress: port -> CIM_LANEndpoint -> CIM_IPProtocolEndpoint."""
    lans = associated(port.epr, 'CIM_LANEndpoint')
    check(len(lans) == 1, 'port -> one CIM_LANEndpoint')
    return sorted(associated(lans[0].epr, 'CIM_IPProtocolEndpoint'),
                  key=lambda e: e.get('IPv4Address') or e.get('IPv6Address'))


def addresses(port):
    return ['%s/%s' % (e.get('IPv4Address'), e.get('SubnetMask')) if e.get('IPv4Address')
            else '%s/%s' % (e.get('IPv6Address'), e.get('PrefixLength')) for e in ip_endpoints(port)]


def vlan_refs(vs):
    return ''.join(v.epr.xml('p:VLAN') for v in vs)


def configure():
    cs, ns = discover()

    step('switch -> the software that runs it (CIM_InstalledSoftwareIdentity)')
    sw = associated(cs.epr, 'CIM_SoftwareIdentity')
    check(len(sw) == 1 and sw[0].get('InstanceID') == 'cimnet:cimnetd' and sw[0].get('VersionString'),
          'one CIM_SoftwareIdentity for cimnetd: %r' % [s.get('InstanceID') for s in sw])

    step('MSFT_Feature: VLAN always, routed ports as the driver can')
    features = {f.get('InstanceID'): f for f in enumerate_('MSFT_Feature', ns)}
    check(features['cimnet:Feature:VLAN'].get('IsEnabled') == 'true', 'VLAN feature on')
    check(features['cimnet:Feature:RoutedPorts'].get('IsEnabled') == ('true' if driver == 'sim' else 'false'),
          'routed ports feature %r' % features['cimnet:Feature:RoutedPorts'].get('IsEnabled'))

    step('enumerate ports')
    ports = ports_of(ns)
    for p in ports:
        for prop in ('DeviceID', 'PortNumber', 'Speed', 'MaxSpeed', 'FullDuplex', 'PermanentAddress',
                     'LinkTechnology', 'PortType', 'EnabledState', 'RequestedState'):
            check(p.element.find('{*}' + prop) is not None, '%s has %s' % (p.get('DeviceID'), prop))
        check(len(p.get('PermanentAddress') or '') == 12, 'PermanentAddress is 12 hex digits')
        check(p.list('OperationalStatus'), 'OperationalStatus')
    if driver == 'linux-bridge':
        kernel_ports(ports)
    p1, p2, p3 = ports[0], ports[1], ports[2]
    d1, d2, d3 = p1.get('DeviceID'), p2.get('DeviceID'), p3.get('DeviceID')

    step('port -> LANEndpoint -> VLANEndpoint -> VLANEndpointSettingData')
    lan1, vep1, sd1 = port_chain(p1, ns)
    check(lan1.get('MACAddress') == p1.list('NetworkAddresses')[0], 'LANEndpoint MAC = port address')
    check(vep1.get('DesiredEndpointMode') == '2', 'port starts in access mode')
    check(sd1.get('AccessVLAN') == '1', 'port starts on VLAN 1')
    _, vep2, sd2 = port_chain(p2, ns)

    step('RequestStateChange 3 (Disabled) then 2 (Enabled)')
    _, rv = invoke(p1.epr, 'RequestStateChange', '<p:RequestedState>3</p:RequestedState>')
    check(rv == 0, 'RequestStateChange 3 returned %d' % rv)
    check(get(p1.epr).get('EnabledState') == '3', 'EnabledState 3 after disabling')
    check(kernel(d1 + ' admin up', lambda: kernel_admin_up(d1)) in (False, None), 'kernel: still up')
    _, rv = invoke(p1.epr, 'RequestStateChange', '<p:RequestedState>11</p:RequestedState>')
    check(rv == 4097, 'Reset is an invalid state transition: %d' % rv)
    _, rv = invoke(p1.epr, 'RequestStateChange', '<p:RequestedState>2</p:RequestedState>')
    check(rv == 0, 'RequestStateChange 2 returned %d' % rv)
    check(get(p1.epr).get('EnabledState') == '2', 'EnabledState 2 after enabling')
    check(kernel(d1 + ' admin up', lambda: kernel_admin_up(d1)) in (True, None), 'kernel: not up')

    step('AddVLAN 10, 20 with embedded CIM_NetworkVLAN')
    ss = service(ns)
    out, rv = invoke(ss, 'AddVLAN', cs.epr.xml('p:TargetedSwitch') + embedded_vlan(10, 'blue') +
                     embedded_vlan(20, 'green'))
    check(rv == 0, 'AddVLAN returned %d' % rv)
    check(len(out.findall('{*}VLAN')) == 2, 'AddVLAN returns two VLAN references')
    vs = vlans(ns)
    check(sorted(vs) == [1, 10, 20], 'VLANs now %r' % sorted(vs))
    check(vs[10].get('ElementName') == 'blue' and vs[10].cls == 'MSFT_NetworkVLAN', 'VLAN 10 blue')
    check(vs[10].get('IsEnabled') == 'true', 'new VLAN enabled')
    v = kernel('bridge VLANs', lambda: kernel_vlans(bridge))
    check(v is None or v == '1:PU 10: 20:', 'kernel: bridge VLANs %r' % v)
    text = fault_text(invoke_xml(ss, 'AddVLAN', embedded_vlan(10, 'again')))
    check('already exists' in text, 'AddVLAN of an existing VLAN: ' + text)

    step('access mode with VLAN 10 on ' + d1)
    put(vep1.epr, [('DesiredEndpointMode', 2)])
    sd1 = put(sd1.epr, [('AccessVLAN', 10)])
    check(sd1.get('AccessVLAN') == '10', 'AccessVLAN 10')
    v = kernel(d1 + ' VLANs', lambda: kernel_vlans(d1))
    check(v is None or v == '10:PU', 'kernel: %s VLANs %r' % (d1, v))

    step('bad input changes nothing')
    text = fault_text(envelope(T + 'Put', sd1.epr.resource,
                               '<x:CIM_VLANEndpointSettingData xmlns:x="%sCIM_VLANEndpointSettingData">'
                               '<x:AccessVLAN>4095</x:AccessVLAN></x:CIM_VLANEndpointSettingData>' % CIM,
                               sd1.epr.selectors))
    check('1..4094' in text, 'AccessVLAN 4095: ' + text)
    text = fault_text(envelope(T + 'Put', sd1.epr.resource,
                               '<x:CIM_VLANEndpointSettingData xmlns:x="%sCIM_VLANEndpointSettingData">'
                               '<x:AccessVLAN>99</x:AccessVLAN></x:CIM_VLANEndpointSettingData>' % CIM,
                               sd1.epr.selectors))
    check('99 does not exist' in text, 'AccessVLAN 99: ' + text)
    text = fault_text(envelope(T + 'Put', sd1.epr.resource,
                               '<x:CIM_VLANEndpointSettingData xmlns:x="%sCIM_VLANEndpointSettingData">'
                               '<x:TrunkedVLANList>20</x:TrunkedVLANList></x:CIM_VLANEndpointSettingData>' % CIM,
                               sd1.epr.selectors))
    check('not in trunk mode' in text, 'TrunkedVLANList on an access port: ' + text)
    check(get(sd1.epr).get('AccessVLAN') == '10', 'still AccessVLAN 10')
    v = kernel(d1 + ' VLANs', lambda: kernel_vlans(d1))
    check(v is None or v == '10:PU', 'kernel: %s VLANs %r' % (d1, v))

    if driver == 'linux-bridge':
        outside_changes(p1, vep1, p2)

    step('trunk mode with VLANs 10, 20 on ' + d2)
    vep2 = put(vep2.epr, [('DesiredEndpointMode', 5)])
    check(vep2.get('DesiredEndpointMode') == '5', 'DesiredEndpointMode 5')
    sd2 = put(sd2.epr, [('TrunkedVLANList', [10, 20])])
    check(sd2.list('TrunkedVLANList') == ['10', '20'], 'TrunkedVLANList %r' % sd2.list('TrunkedVLANList'))
    check(sd2.get('NativeVLAN') == '1', 'native VLAN is the old access VLAN')
    check(get(vep2.epr).get('OperationalEndpointMode') == '5', 'OperationalEndpointMode 5')
    v = kernel(d2 + ' VLANs', lambda: kernel_vlans(d2))
    check(v is None or v == '1:PU 10: 20:', 'kernel: %s VLANs %r' % (d2, v))

    step('AddVLAN 30 then RemoveVLAN 30')
    _, rv = invoke(ss, 'AddVLAN', embedded_vlan(30, 'red'))
    check(rv == 0, 'AddVLAN 30')
    v = kernel('bridge VLANs', lambda: kernel_vlans(bridge))
    check(v is None or v == '1:PU 10: 20: 30:', 'kernel: bridge VLANs %r' % v)
    _, rv = invoke(ss, 'RemoveVLAN', vlan_refs([vlans(ns)[30]]))
    check(rv == 0, 'RemoveVLAN 30')
    check(30 not in vlans(ns), 'VLAN 30 gone')
    v = kernel('bridge VLANs', lambda: kernel_vlans(bridge))
    check(v is None or v == '1:PU 10: 20:', 'kernel: bridge VLANs %r' % v)
    text = fault_text(invoke_xml(ss, 'RemoveVLAN', vlan_refs([vlans(ns)[10]])))
    check('still used by port' in text, 'RemoveVLAN of a VLAN in use: ' + text)

    step('DisableVLAN / EnableVLAN 20')
    _, rv = invoke(ss, 'DisableVLAN', vlan_refs([vlans(ns)[20]]))
    check(rv == 0 and vlans(ns)[20].get('IsEnabled') == 'false', 'DisableVLAN')
    check(vlans(ns)[20].get('ConnectivityStatus') == '3', 'disabled VLAN is down')
    v = kernel(d2 + ' VLANs', lambda: kernel_vlans(d2))
    check(v is None or v == '1:PU 10:', 'kernel: disabled VLAN 20 still on %s: %r' % (d2, v))
    _, rv = invoke(ss, 'EnableVLAN', vlan_refs([vlans(ns)[20]]))
    check(rv == 0 and vlans(ns)[20].get('IsEnabled') == 'true', 'EnableVLAN')
    v = kernel(d2 + ' VLANs', lambda: kernel_vlans(d2))
    check(v is None or v == '1:PU 10: 20:', 'kernel: %s VLANs %r' % (d2, v))

    if driver == 'sim':
        routed_port(ss, p2, p3)
    else:
        step('AddProtocolEndpoint is refused with a clear error (linux-bridge has no routed ports)')
        before = kernel(d3 + ' VLANs', lambda: kernel_vlans(d3))
        text = fault_text(invoke_xml(ss, 'AddProtocolEndpoint', p3.epr.xml('p:TargetInterface') + embedded_ip(
            [('IPv4Address', '10.3.0.1'), ('SubnetMask', '255.255.255.0')])))
        check('no routed (layer 3) ports' in text, text)
        check(kernel(d3 + ' VLANs', lambda: kernel_vlans(d3)) == before, 'kernel: %s VLANs changed' % d3)
        check(ip_endpoints(p3) == [], 'no CIM_IPProtocolEndpoint on ' + d3)

    step('CopyCurrentToStartup')
    before = kernel('state', lambda: kernel_state([d1, d2, d3]))
    _, rv = invoke(ss, 'CopyCurrentToStartup')
    check(rv == 0, 'CopyCurrentToStartup returned %d' % rv)
    after = kernel('state', lambda: kernel_state([d1, d2, d3]))
    check(before == after, 'kernel: saving changed the switch: %r -> %r' % (before, after))

    step('changes after saving: %s disabled, %s back to VLAN 1' % (d3, d1))
    _, rv = invoke(p3.epr, 'RequestStateChange', '<p:RequestedState>3</p:RequestedState>')
    check(rv == 0, 'disable ' + d3)
    check(kernel(d3 + ' admin up', lambda: kernel_admin_up(d3)) in (False, None), 'kernel: %s up' % d3)
    put(sd1.epr, [('AccessVLAN', 1)])
    v = kernel(d1 + ' VLANs', lambda: kernel_vlans(d1))
    check(v is None or v == '1:PU', 'kernel: %s VLANs %r' % (d1, v))
    if driver == 'sim':
        remove_ipv6(ss, p3)


def routed_port(ss, p2, p3):
    """Set-NetworkSwitchEthernetPortIPAddress / Set-NetworkSwitchPortMode -RouteMode,
    Get-NetworkSwitchEthernetPort's IPAddress, Remove-NetworkSwitchEthernetPortIPAddress."""
    d2, d3 = p2.get('DeviceID'), p3.get('DeviceID')
    step('AddProtocolEndpoint: %s becomes a routed port with 10.3.0.1/255.255.255.0' % d3)
    out, rv = invoke(ss, 'AddProtocolEndpoint', p3.epr.xml('p:TargetInterface') + embedded_ip(
        [('IPv4Address', '10.3.0.1'), ('SubnetMask', '255.255.255.0')]))
    check(rv == 0, 'AddProtocolEndpoint returned %d' % rv)
    result = out.find('{*}ResultingEndpoint')
    check(result is not None, 'AddProtocolEndpoint returns ResultingEndpoint')
    eps = ip_endpoints(p3)
    check(len(eps) == 1 and eps[0].cls == 'CIM_IPProtocolEndpoint', 'LANEndpoint -> one CIM_IPProtocolEndpoint')
    check(eps[0].epr.same(Epr.parse(result)), 'ResultingEndpoint is the endpoint served')
    check(eps[0].get('IPv4Address') == '10.3.0.1' and eps[0].get('SubnetMask') == '255.255.255.0',
          'IPv4Address / SubnetMask %r' % addresses(p3))
    check(eps[0].get('ProtocolIFType') == '4096' and eps[0].get('AddressOrigin') == '3', 'IPv4, static')
    _, vep3, _ = port_chain(p3, None)
    check(vep3.get('EnabledState') == '3', 'a routed port\'s VLAN endpoint is disabled')
    members = [m for m in associated(vep3.epr, 'MSFT_NetworkVLAN')]
    check(members == [], 'a routed port is no VLAN member: %r' % [m.get('VLANId') for m in members])

    step('AddProtocolEndpoint: IPv6 2001:db8:3::1/64 on %s' % d3)
    _, rv = invoke(ss, 'AddProtocolEndpoint', p3.epr.xml('p:TargetInterface') + embedded_ip(
        [('IPv6Address', '2001:DB8:3::1'), ('PrefixLength', '64')]))
    check(rv == 0, 'AddProtocolEndpoint IPv6 returned %d' % rv)
    check(addresses(p3) == ['10.3.0.1/255.255.255.0', '2001:db8:3::1/64'], 'addresses %r' % addresses(p3))

    step('bad AddProtocolEndpoint requests are refused and change nothing')
    text = fault_text(invoke_xml(ss, 'AddProtocolEndpoint', p2.epr.xml('p:TargetInterface') + embedded_ip(
        [('IPv4Address', '10.2.0.300'), ('SubnetMask', '255.255.255.0')])))
    check('is not an IPv4 address' in text, 'bad address: ' + text)
    unknown = Epr(p2.epr.resource, dict(p2.epr.selectors, DeviceID='Ethernet99'))
    text = fault_text(invoke_xml(ss, 'AddProtocolEndpoint', unknown.xml('p:TargetInterface') + embedded_ip(
        [('IPv4Address', '10.9.0.1'), ('SubnetMask', '255.255.255.0')])))
    check('is not a port of this switch' in text, 'unknown port: ' + text)
    text = fault_text(invoke_xml(ss, 'AddProtocolEndpoint', p2.epr.xml('p:TargetInterface') + embedded_ip(
        [('IPv4Address', '10.3.0.1'), ('SubnetMask', '255.255.255.0')])))
    check('already in use on port ' + d3 in text, 'duplicate address: ' + text)
    text = fault_text(invoke_xml(ss, 'AddProtocolEndpoint', p2.epr.xml('p:TargetInterface') + embedded_ip(
        [('IPv4Address', '10.3.0.9'), ('SubnetMask', '255.255.0.0')])))
    check('overlaps' in text, 'overlapping subnet: ' + text)
    text = fault_text(invoke_xml(ss, 'AddProtocolEndpoint', p2.epr.xml('p:TargetInterface') + embedded_ip(
        [('IPv6Address', '2001:db8:2::1'), ('SubnetMask', '255.255.255.0')])))
    check('SubnetMask is an IPv4 mask' in text, 'IPv6 with a mask: ' + text)
    check(addresses(p2) == [], '%s got no address' % d2)
    _, vep2, _ = port_chain(p2, None)
    check(vep2.get('DesiredEndpointMode') == '5', '%s still a trunk' % d2)
    _, _, sd3 = port_chain(p3, None)
    text = fault_text(envelope(T + 'Put', sd3.epr.resource,
                               '<x:CIM_VLANEndpointSettingData xmlns:x="%sCIM_VLANEndpointSettingData">'
                               '<x:AccessVLAN>10</x:AccessVLAN></x:CIM_VLANEndpointSettingData>' % CIM,
                               sd3.epr.selectors))
    check('is a routed port' in text, 'AccessVLAN on a routed port: ' + text)


def remove_ipv6(ss, p3):
    d3 = p3.get('DeviceID')
    step('RemoveProtocolEndpoint of the IPv6 endpoint (Remove-NetworkSwitchEthernetPortIPAddress)')
    v6 = [e for e in ip_endpoints(p3) if e.get('IPv6Address')][0]
    _, rv = invoke(ss, 'RemoveProtocolEndpoint', v6.epr.xml('p:Endpoint'))
    check(rv == 0, 'RemoveProtocolEndpoint returned %d' % rv)
    check(addresses(p3) == ['10.3.0.1/255.255.255.0'], 'addresses %r' % addresses(p3))
    text = fault_text(invoke_xml(ss, 'RemoveProtocolEndpoint', v6.epr.xml('p:Endpoint')))
    check('no IP endpoint' in text, 'removing it twice: ' + text)


def after_restart():
    cs, ns = discover()
    ports = ports_of(ns)
    p1, p2, p3 = ports[0], ports[1], ports[2]
    d1, d2, d3 = p1.get('DeviceID'), p2.get('DeviceID'), p3.get('DeviceID')

    step('the running configuration survived the restart')
    check(p3.get('EnabledState') == '3', '%s still disabled after restart' % d3)
    check(kernel(d3 + ' admin up', lambda: kernel_admin_up(d3)) in (False, None), 'kernel: %s up' % d3)
    _, _, sd1 = port_chain(p1, ns)
    check(sd1.get('AccessVLAN') == '1', '%s on VLAN 1 after restart' % d1)
    _, _, sd2 = port_chain(p2, ns)
    check(sd2.list('TrunkedVLANList') == ['10', '20'], '%s still trunks 10, 20' % d2)
    check(sorted(vlans(ns)) == [1, 10, 20], 'VLANs after restart')
    if driver == 'sim':
        check(addresses(p3) == ['10.3.0.1/255.255.255.0'], '%s addresses after restart %r' % (d3, addresses(p3)))
    else:
        check(ip_endpoints(p3) == [], 'no CIM_IPProtocolEndpoint on ' + d3)
    v = kernel(d1 + ' VLANs', lambda: kernel_vlans(d1))
    check(v is None or v == '1:PU', 'kernel: %s VLANs %r' % (d1, v))
    v = kernel(d2 + ' VLANs', lambda: kernel_vlans(d2))
    check(v is None or v == '1:PU 10: 20:', 'kernel: %s VLANs %r' % (d2, v))
    v = kernel('bridge VLANs', lambda: kernel_vlans(bridge))
    check(v is None or v == '1:PU 10: 20:', 'kernel: bridge VLANs %r' % v)

    step('CopyStartupToCurrent')
    _, rv = invoke(service(ns), 'CopyStartupToCurrent')
    check(rv == 0, 'CopyStartupToCurrent returned %d' % rv)
    check(get(p3.epr).get('EnabledState') == '2', '%s enabled again (as saved)' % d3)
    check(kernel(d3 + ' admin up', lambda: kernel_admin_up(d3)) in (True, None), 'kernel: %s down' % d3)
    check(get(sd1.epr).get('AccessVLAN') == '10', '%s back on VLAN 10 (as saved)' % d1)
    v = kernel(d1 + ' VLANs', lambda: kernel_vlans(d1))
    check(v is None or v == '10:PU', 'kernel: %s VLANs %r' % (d1, v))
    v = kernel(d2 + ' VLANs', lambda: kernel_vlans(d2))
    check(v is None or v == '1:PU 10: 20:', 'kernel: %s VLANs %r' % (d2, v))
    v = kernel('bridge VLANs', lambda: kernel_vlans(bridge))
    check(v is None or v == '1:PU 10: 20:', 'kernel: bridge VLANs %r' % v)

    if driver == 'sim':
        check(addresses(p3) == ['10.3.0.1/255.255.255.0', '2001:db8:3::1/64'],
              'the saved addresses are back: %r' % addresses(p3))
        step('RemoveProtocolEndpoint of every address of %s: it switches VLAN 1 again' % d3)
        for e in ip_endpoints(p3):
            _, rv = invoke(service(ns), 'RemoveProtocolEndpoint', e.epr.xml('p:Endpoint'))
            check(rv == 0, 'RemoveProtocolEndpoint returned %d' % rv)
        check(addresses(p3) == [], '%s has no address' % d3)
        _, vep3, sd3 = port_chain(p3, ns)
        check(vep3.get('EnabledState') == '2' and sd3.get('AccessVLAN') == '1', 'back on VLAN 1')
        check([v.get('VLANId') for v in associated(vep3.epr, 'MSFT_NetworkVLAN')] == ['1'],
              '%s is a member of VLAN 1 again' % d3)


def kernel_ports(ports):
    """The enumerated ports are the bridge's members as `ip -d -j link show
    master BRIDGE` lists them, with the kernel's numbers, MACs, MTUs, state."""
    members = {l['ifname']: l for l in json.loads(sh('ip', '-d', '-j', 'link', 'show', 'master', bridge))}
    names = [p.get('DeviceID') for p in ports]
    print('  kernel: members of %s -> %s' % (bridge, ' '.join(sorted(members))), flush=True)
    check(sorted(names) == sorted(members), 'ports %r, kernel %r' % (names, sorted(members)))
    for p in ports:
        link = members[p.get('DeviceID')]
        what = p.get('DeviceID') + ': '
        mac = link['address'].replace(':', '').upper()
        check(p.list('NetworkAddresses')[0].upper() == mac, what + 'MAC %r vs %r'
              % (p.list('NetworkAddresses'), mac))
        check(p.get('ActiveMaximumTransmissionUnit') == str(link['mtu']), what + 'MTU')
        check(p.get('PortNumber') == str(int(link['linkinfo']['info_slave_data']['no'], 16)),
              what + 'PortNumber %s vs kernel port no %s'
              % (p.get('PortNumber'), link['linkinfo']['info_slave_data']['no']))
        check(p.get('EnabledState') == ('2' if 'UP' in link['flags'] else '3'), what + 'EnabledState')
        check(p.get('Speed') == '10000000000', what + 'veth speed %s' % p.get('Speed'))


def outside_changes(p1, vep1, p2):
    """Changes made with ip/bridge behind the agent's back show at the next Get
    (linux-bridge only; p1 is an access port on VLAN 10, p2 is enabled)."""
    d1, d2 = p1.get('DeviceID'), p2.get('DeviceID')
    step('outside: ip link set %s down, then up' % d2)
    sh('ip', 'link', 'set', d2, 'down')
    kernel(d2 + ' admin up', lambda: kernel_admin_up(d2))
    g = get(p2.epr)
    check(g.get('EnabledState') == '3', 'EnabledState after ip link set down: %s' % g.get('EnabledState'))
    check(g.list('OperationalStatus') == ['10'], 'OperationalStatus Stopped: %r' % g.list('OperationalStatus'))
    check(g.get('RequestedState') == '2', 'RequestedState is still what was asked: %s' % g.get('RequestedState'))
    sh('ip', 'link', 'set', d2, 'up')
    kernel(d2 + ' admin up', lambda: kernel_admin_up(d2))
    g = get(p2.epr)
    check(g.get('EnabledState') == '2', 'EnabledState 2 after ip link set up')
    check(g.list('OperationalStatus') == ['2'], '%s OK again after ip link set up: %r'
          % (d2, g.list('OperationalStatus')))

    step('outside: the cable side (%sx) goes down, then up' % d2)
    sh('ip', 'link', 'set', d2 + 'x', 'down')
    g = get(p2.epr)
    check(g.get('EnabledState') == '2', '%s stays enabled without carrier' % d2)
    check(g.list('OperationalStatus') == ['13'], 'OperationalStatus Lost Communication: %r'
          % g.list('OperationalStatus'))
    sh('ip', 'link', 'set', d2 + 'x', 'up')
    check(get(p2.epr).list('OperationalStatus') == ['2'], '%s carrier back' % d2)

    step('outside: bridge vlan add dev %s vid 20, then del' % d1)
    sh('bridge', 'vlan', 'add', 'dev', d1, 'vid', '20')
    v = kernel(d1 + ' VLANs', lambda: kernel_vlans(d1))
    check(v == '10:PU 20:', 'kernel: %s VLANs %r' % (d1, v))
    g = get(vep1.epr)
    check(g.get('OperationalEndpointMode') == '5', 'an extra tagged VLAN makes %s a trunk: %s'
          % (d1, g.get('OperationalEndpointMode')))
    check(g.get('DesiredEndpointMode') == '2', 'the asked-for mode stays access')
    sh('bridge', 'vlan', 'del', 'dev', d1, 'vid', '20')
    check(get(vep1.epr).get('OperationalEndpointMode') == '2', '%s access again' % d1)


try:
    {'configure': configure, 'after_restart': after_restart}[phase]()
except Failed as e:
    print('FAILED:', e)
    sys.exit(1)
print('ok')
