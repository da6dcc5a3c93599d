#!/usr/bin/python3
"""Drives a running cimnetd (or the wire-test server) with real clients.

usage: wsman_client.py SCENARIO HTTP_PORT [HTTPS_PORT]
Each scenario prints 'ok' and exits 0, or prints what was wrong and exits 1.
Clients: python3-winrm (raw Protocol.send_message envelopes), requests, curl.
Credentials: admin/secret-admin (admin) and viewer/secret-viewer (reader).
"""
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import requests
import winrm
from winrm.exceptions import InvalidCredentialsError, WinRMError

NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'wsa': 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
    'wsman': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
    'wsen': 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
    'wsmid': 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd',
    'wxf': 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
}
CIM = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
SI = CIM + 'CIM_SoftwareIdentity'
T = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/'
E = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/'
WQL = 'http://schemas.microsoft.com/wbem/wsman/1/WQL'

scenario, port = sys.argv[1], sys.argv[2]
https_port = sys.argv[3] if len(sys.argv) > 3 else None
URL = 'http://127.0.0.1:%s/wsman' % port


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def protocol(user='admin', password='secret-admin'):
    return winrm.Protocol(URL, transport='basic', username=user, password=password)


def envelope(action, resource, body='', selectors=None, headers='', message_id=None):
    sel = ''
    if selectors:
        sel = '<w:SelectorSet>' + ''.join(
            '<w:Selector Name="%s">%s</w:Selector>' % kv for kv in selectors.items()) + '</w:SelectorSet>'
    mid = message_id or 'uuid:%s' % uuid.uuid4()
    return ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
            'xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">'
            '<s:Header><a:To>http://windows-host:5985/wsman</a:To>'
            '<a:ReplyTo><a:Address mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>'
            '<a:Action s:mustUnderstand="true">%s</a:Action><a:MessageID>%s</a:MessageID>'
            '<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>%s'
            '<w:OperationTimeout>PT20S</w:OperationTimeout>%s</s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>' % (action, mid, resource, sel, headers, body))


def send(xml, p=None):
    return ET.fromstring((p or protocol()).send_message(xml))


def fault(xml, p=None):
    """Sends and expects a SOAP fault; returns (subcode, pywinrm message)."""
    try:
        (p or protocol()).send_message(xml)
    except WinRMError as e:
        text = str(e)
        check('http_status_code\': 500' in text, 'fault is not HTTP 500: ' + text)
        return text
    raise Failed('no fault for ' + xml[:200])


def enumerate_all(resource, enum_body='', pull_max=2, selectors=None):
    """Enumerate + Pull until EndOfSequence; returns the item elements."""
    p = protocol()
    r = send(envelope(E + 'Enumerate', resource, '<n:Enumerate>%s</n:Enumerate>' % enum_body,
                      selectors), p)
    items = list(r.iterfind('.//wsman:Items/*', NS))
    ctx = r.find('.//wsen:EnumerationContext', NS)
    rounds = 0
    while ctx is not None and (ctx.text or '').strip():
        rounds += 1
        check(rounds < 1000, 'Pull never ends')
        r = send(envelope(E + 'Pull', resource,
                          '<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>'
                          '<n:MaxElements>%d</n:MaxElements></n:Pull>' % (ctx.text, pull_max)), p)
        items += list(r.iterfind('.//wsen:Items/*', NS))
        ctx = r.find('.//wsen:EnumerationContext', NS)
    return items


def curl(*args):
    out = subprocess.run(['curl', '-s', '-o', '/dev/stderr', '-w', '%{http_code}', *args],
                         capture_output=True, timeout=30)
    return out.stdout.decode(), out.stderr.decode('utf-8', 'replace')


# ---------------------------------------------------------------- scenarios on cimnetd

def identify():
    body = '<s:Envelope xmlns:s="%s" xmlns:wsmid="%s"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>' % (NS['s'], NS['wsmid'])
    r = ET.fromstring(protocol().send_message(body))
    check(r.findtext('.//wsmid:ProtocolVersion', namespaces=NS) == NS['wsman'], 'ProtocolVersion')
    check(r.findtext('.//wsmid:ProductVendor', namespaces=NS) == 'cimnet', 'ProductVendor')
    # No credentials: 401 with the Basic challenge, unless the WinRM header asks for anonymous Identify.
    h = {'Content-Type': 'application/soap+xml;charset=UTF-8'}
    r = requests.post(URL, data=body, headers=h, timeout=10)
    check(r.status_code == 401, 'anonymous Identify without header: %d' % r.status_code)
    check(r.headers.get('WWW-Authenticate') == 'Basic realm="WSMAN"', 'challenge: %r' % r.headers)
    r = requests.post(URL, data=body, headers=dict(h, WSMANIDENTIFY='unauthenticated'), timeout=10)
    check(r.status_code == 200 and b'IdentifyResponse' in r.content, 'unauthenticated Identify')
    r = requests.post(URL, data=envelope(T + 'Get', SI, selectors={'InstanceID': 'cimnet:cimnetd'}),
                      headers=dict(h, WSMANIDENTIFY='unauthenticated'), timeout=10)
    check(r.status_code == 401, 'the Identify header must not open Get: %d' % r.status_code)


def get():
    mid = 'uuid:%s' % uuid.uuid4()
    r = send(envelope(T + 'Get', SI, selectors={'InstanceID': 'cimnet:cimnetd'}, message_id=mid))
    check(r.findtext('.//wsa:RelatesTo', namespaces=NS) == mid, 'RelatesTo')
    check(r.findtext('.//wsa:Action', namespaces=NS) == T + 'GetResponse', 'Action')
    inst = r.find('.//{%s}CIM_SoftwareIdentity' % SI)
    check(inst is not None, 'no instance')
    check(inst.findtext('{%s}VersionString' % SI) == '0.1.0', 'VersionString')
    nil = inst.find('{%s}Description' % SI)
    check(nil.get('{http://www.w3.org/2001/XMLSchema-instance}nil') == 'true', 'xsi:nil')
    # Namespace selector given explicitly, any case for the selector name.
    send(envelope(T + 'Get', SI, selectors={'instanceid': 'cimnet:cimnetd', '__cimnamespace': 'root/cimv2'}))
    # A reader may read.
    send(envelope(T + 'Get', SI, selectors={'InstanceID': 'cimnet:cimnetd'}),
         protocol('viewer', 'secret-viewer'))


def enumerate_():
    # Optimized, everything in one response.
    r = send(envelope(E + 'Enumerate', SI,
                      '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements></n:Enumerate>',
                      headers='<w:RequestTotalItemsCountEstimate/>'))
    check(r.find('.//wsman:EndOfSequence', NS) is not None, 'EndOfSequence')
    check(r.findtext('.//wsman:TotalItemsCountEstimate', namespaces=NS) == '1', 'estimate')
    check(len(r.findall('.//wsman:Items/{%s}CIM_SoftwareIdentity' % SI, NS)) == 1, 'one item')
    # Plain Enumerate then Pull to the end.
    items = enumerate_all(SI)
    check(len(items) == 1 and items[0].tag == '{%s}CIM_SoftwareIdentity' % SI, 'pulled item')
    # Release an open context, then it is gone.
    p = protocol()
    r = send(envelope(E + 'Enumerate', SI, '<n:Enumerate/>'), p)
    ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
    send(envelope(E + 'Release', SI, '<n:Release><n:EnumerationContext>%s</n:EnumerationContext></n:Release>' % ctx), p)
    text = fault(envelope(E + 'Pull', SI, '<n:Pull><n:EnumerationContext>%s</n:EnumerationContext></n:Pull>' % ctx), p)
    check('wsen:InvalidEnumerationContext' in text and "'s:Receiver'" in text, text)
    # EPR modes.
    items = enumerate_all(SI, '<w:OptimizeEnumeration/><w:EnumerationMode>EnumerateEPR</w:EnumerationMode>')
    check(items[0].tag == '{%s}EndpointReference' % NS['wsa'], 'EPR item')
    check(items[0].find('.//wsman:Selector[@Name="InstanceID"]', NS).text == 'cimnet:cimnetd', 'EPR key')
    items = enumerate_all(SI, '<w:OptimizeEnumeration/><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>')
    check(items[0].tag == '{%s}Item' % NS['wsman'] and len(list(items[0])) == 2, 'Item = object + EPR')


def filters():
    f = '<w:Filter Dialect="%s">%s</w:Filter>'
    items = enumerate_all(SI, '<w:OptimizeEnumeration/>' + f % (WQL, "SELECT VersionString FROM CIM_SoftwareIdentity WHERE Manufacturer LIKE 'cimnet%'"))
    check(len(items) == 1, 'WQL match')
    check([c.tag.split('}')[1] for c in items[0]] == ['VersionString'], 'WQL projection')
    items = enumerate_all(SI, f % (WQL, "SELECT * FROM CIM_SoftwareIdentity WHERE MajorVersion > 5"))
    check(len(items) == 0, 'WQL no match')
    items = enumerate_all('http://schemas.dmtf.org/wbem/wscim/1/*', f % (WQL, 'select * from CIM_SoftwareIdentity'))
    check(len(items) == 1, 'all-classes URI')
    sf = ('<w:Filter Dialect="http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter">'
          '<w:SelectorSet><w:Selector Name="InstanceID">%s</w:Selector></w:SelectorSet></w:Filter>')
    check(len(enumerate_all(SI, sf % 'cimnet:cimnetd')) == 1, 'selector filter match')
    check(len(enumerate_all(SI, sf % 'other')) == 0, 'selector filter no match')
    text = fault(envelope(E + 'Enumerate', SI, '<n:Enumerate>%s</n:Enumerate>' % (f % (WQL, 'SELECT FROM'))))
    check('CannotProcessFilter' in text, text)
    text = fault(envelope(E + 'Enumerate', SI, '<n:Enumerate>%s</n:Enumerate>' % (f % ('urn:nope', 'x'))))
    check('FilterDialectRequestedUnavailable' in text, text)


def faults():
    text = fault(envelope(T + 'Get', SI))
    check("'wsman:InvalidSelectors'" in text and '2150858842' in text, text)
    text = fault(envelope(T + 'Get', SI, selectors={'InstanceID': 'x', 'Bogus': '1'}))
    check('wsman:InvalidSelectors' in text and '2150858843' in text, text)
    text = fault(envelope(T + 'Get', SI, selectors={'InstanceID': 'not-there'}))
    check('wsa:DestinationUnreachable' in text, text)
    text = fault(envelope(T + 'Get', CIM + 'CIM_NoSuchClass', selectors={'InstanceID': 'x'}))
    check('wsa:DestinationUnreachable' in text, text)
    text = fault(envelope(T + 'Get', SI, selectors={'InstanceID': 'x', '__cimnamespace': 'root/nowhere'}))
    check('wsa:DestinationUnreachable' in text, text)
    text = fault(envelope('http://example.com/NoSuchAction', SI))
    check('wsa:ActionNotSupported' in text, text)
    text = fault(envelope(T + 'Get', SI, selectors={'InstanceID': 'cimnet:cimnetd'},
                          headers='<w:MaxEnvelopeSize>8000</w:MaxEnvelopeSize>'))
    check('wsman:EncodingLimit' in text, text)
    text = fault(envelope(E + 'Pull', SI, '<n:Pull><n:EnumerationContext>uuid:forged</n:EnumerationContext></n:Pull>'))
    check('wsen:InvalidEnumerationContext' in text, text)
    text = fault(envelope(T + 'Delete', SI, selectors={'InstanceID': 'cimnet:cimnetd'}),
                 protocol('viewer', 'secret-viewer'))
    check('wsman:AccessDenied' in text, text)
    text = fault(envelope(T + 'Delete', SI, selectors={'InstanceID': 'cimnet:cimnetd'}))
    check('wsa:ActionNotSupported' in text, 'read-only class: ' + text)
    text = fault(envelope(T + 'Get', SI, selectors={'InstanceID': 'x'},
                          headers='<x:Custom xmlns:x="urn:x" s:mustUnderstand="true"/>'))
    check("'s:MustUnderstand'" in text, text)
    try:
        protocol('admin', 'wrong').send_message(envelope(T + 'Get', SI, selectors={'InstanceID': 'x'}))
        raise Failed('wrong password accepted')
    except InvalidCredentialsError:
        pass


def http_edges():
    ct = 'Content-Type: application/soap+xml;charset=UTF-8'
    code, body = curl('-u', 'admin:secret-admin', '-H', ct, '--data-binary', '<s:Envelope', URL)
    check(code == '500' and 'SchemaValidationError' in body, 'malformed XML: %s %s' % (code, body))
    code, _ = curl('-u', 'admin:secret-admin', '-H', 'Content-Type: text/plain', '--data-binary', '<x/>', URL)
    check(code == '415', 'wrong content type: ' + code)
    code, _ = curl('-u', 'admin:secret-admin', URL)
    check(code == '405', 'GET: ' + code)
    code, _ = curl('-u', 'admin:secret-admin', '-H', ct, '--data-binary', '<x/>', URL.replace('/wsman', '/other'))
    check(code == '404', 'other path: ' + code)
    big = b'<a>' + b'x' * (200 * 1024) + b'</a>'
    r = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'admin:secret-admin',
                        '-H', ct, '--data-binary', '@-', URL], input=big, capture_output=True, timeout=30)
    check(r.stdout.decode() == '413', 'oversize body: %r' % r.stdout)
    # UTF-16 request, UTF-16 answer.
    body = envelope(T + 'Get', SI, selectors={'InstanceID': 'cimnet:cimnetd'}).encode('utf-16')
    r = requests.post(URL, data=body, auth=('admin', 'secret-admin'), timeout=10,
                      headers={'Content-Type': 'application/soap+xml;charset=UTF-16'})
    check(r.status_code == 200 and r.content[:2] == b'\xff\xfe', 'UTF-16: %d' % r.status_code)
    check('cimnet:cimnetd' in r.content.decode('utf-16'), 'UTF-16 body')
    # Keep-alive: several requests over one connection.
    s = requests.Session()
    for _ in range(3):
        r = s.post(URL, data=envelope(T + 'Get', SI, selectors={'InstanceID': 'cimnet:cimnetd'}),
                   auth=('admin', 'secret-admin'), timeout=10, headers={'Content-Type': 'application/soap+xml'})
        check(r.status_code == 200, 'keep-alive request')
    # HTTPS with the generated certificate.
    if https_port:
        code, body = curl('-k', '-u', 'admin:secret-admin', '-H', ct, '--data-binary',
                          envelope(T + 'Get', SI, selectors={'InstanceID': 'cimnet:cimnetd'}),
                          'https://127.0.0.1:%s/wsman' % https_port)
        check(code == '200' and 'cimnet:cimnetd' in body, 'HTTPS: ' + code)


def slow_client():
    # The daemon runs with --idle-timeout 1: a silent connection is dropped.
    sock = socket.create_connection(('127.0.0.1', int(port)), timeout=10)
    start = time.monotonic()
    sock.sendall(b'POST /wsman HTTP/1.1\r\nHost: x\r\n')  # header never finished
    data = sock.recv(100)
    elapsed = time.monotonic() - start
    check(data == b'' and 0.5 < elapsed < 8, 'slow client kept: %r after %.1fs' % (data, elapsed))


def get_class():
    # What PowerShell's Get-CimClass sends through WinRM (OMI's form).
    CX = 'http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/*'
    opts = ('<p:SessionId xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" s:mustUnderstand="false">uuid:9802F98B-CD2D-4260-82AD-D6FCAB5E1B19</p:SessionId>'
            '<w:OptionSet xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<w:Option Name="IncludeInheritanceHierarchy" Type="xs:boolean">true</w:Option>'
            '<w:Option Name="IncludeQualifiers" Type="xs:boolean">true</w:Option></w:OptionSet>')
    r = send(envelope(T + 'Get', CX, selectors={'__cimnamespace': 'root/cimv2', 'ClassName': 'CIM_SoftwareIdentity'},
                      headers=opts), protocol('viewer', 'secret-viewer'))
    cls = r.find('.//CLASS')
    check(cls is not None and cls.get('NAME') == 'CIM_SoftwareIdentity', 'CLASS element')
    check(cls.get('SUPERCLASS') == 'CIM_LogicalElement', 'SUPERCLASS')
    check(cls.get('DERIVATION').startswith('CIM_LogicalElement,CIM_ManagedSystemElement'), 'DERIVATION')
    key = cls.find('PROPERTY[@NAME="InstanceID"]/QUALIFIER[@NAME="Key"]/VALUE')
    check(key is not None and key.text == 'true', 'Key qualifier')
    check(cls.find('PROPERTY.ARRAY[@NAME="Classifications"]') is not None, 'array property')
    text = fault(envelope(T + 'Get', CX, selectors={'__cimnamespace': 'root/cimv2', 'ClassName': 'CIM_Nope'}))
    check('wsa:DestinationUnreachable' in text, text)
    items = enumerate_all(CX, '<w:OptimizeEnumeration/><w:MaxElements>20</w:MaxElements>',
                          selectors={'__cimnamespace': 'root/interop'})
    check(len(items) >= 7 and all(i.tag == 'CLASS' for i in items), 'class enumeration: %d' % len(items))


def switch():
    # The simulated 24-port switch served by cimnetd's switch providers.
    EP = CIM + 'CIM_EthernetPort'
    ports = enumerate_all(EP, '<w:OptimizeEnumeration/><w:MaxElements>50</w:MaxElements>')
    check(len(ports) == 24, 'sim:24 ports: %d' % len(ports))
    systems = enumerate_all(CIM + 'CIM_ComputerSystem', '<w:EnumerationMode>EnumerateEPR</w:EnumerationMode>')
    check(len(systems) == 1, 'one switch system')
    refs = systems[0].find('wsa:ReferenceParameters', NS)
    sels = ''.join(ET.tostring(s_, encoding='unicode') for s_ in refs.find('wsman:SelectorSet', NS))

    def associated(extra):
        flt = ('<w:Filter Dialect="http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter">'
               '<b:AssociatedInstances xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"><b:Object>'
               '<a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>'
               '<a:ReferenceParameters><w:ResourceURI>%sCIM_ComputerSystem</w:ResourceURI>'
               '<w:SelectorSet>%s</w:SelectorSet></a:ReferenceParameters></b:Object>%s'
               '</b:AssociatedInstances></w:Filter>' % (CIM, sels, extra))
        return enumerate_all('http://schemas.dmtf.org/wbem/wscim/1/*',
                             '<w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements>'
                             '<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>' + flt)
    devices = associated('<b:AssociationClassName>CIM_SystemDevice</b:AssociationClassName>'
                         '<b:ResultClassName>CIM_EthernetPort</b:ResultClassName>')
    check(len(devices) == 24, 'CIM_SystemDevice associators: %d' % len(devices))
    profiles = associated('<b:AssociationClassName>CIM_ElementConformsToProfile</b:AssociationClassName>')
    check(len(profiles) >= 1, 'profiles the switch conforms to')
    ns = profiles[0].find('.//wsman:Selector[@Name="__cimnamespace"]', NS)
    check(ns is not None and ns.text == 'root/interop', 'profiles live in root/interop')


# ---------------------------------------------------------------- scenarios on the wire-test server

W = CIM + 'Test_Widget'


def writes():
    p = protocol()
    ns = {'__cimnamespace': 'root/test'}
    inst = ('<x:Test_Widget xmlns:x="%s"><x:Id>new</x:Id><x:Size>3</x:Size>'
            '<x:Tags>red</x:Tags><x:Tags>blue</x:Tags></x:Test_Widget>' % W)
    r = send(envelope(T + 'Create', W, inst, ns), p)
    sel = r.find('.//wxf:ResourceCreated//wsman:Selector[@Name="Id"]', NS)
    check(sel is not None and sel.text == 'new', 'ResourceCreated EPR')
    text = fault(envelope(T + 'Create', W, inst, ns), p)
    check('wsman:AlreadyExists' in text, text)
    r = send(envelope(T + 'Put', W, '<x:Test_Widget xmlns:x="%s"><x:Size>42</x:Size></x:Test_Widget>' % W,
                      dict(ns, Id='new')), p)
    check(r.findtext('.//{%s}Size' % W) == '42', 'Put result')
    check([t.text for t in r.iterfind('.//{%s}Tags' % W)] == ['red', 'blue'], 'Put keeps the rest')
    text = fault(envelope(T + 'Put', W, '<x:Test_Widget xmlns:x="%s"><x:Size>big</x:Size></x:Test_Widget>' % W,
                          dict(ns, Id='new')), p)
    check('wxf:InvalidRepresentation' in text, text)
    r = send(envelope(W + '/Grow', W, '<x:Grow_INPUT xmlns:x="%s"><x:By>8</x:By></x:Grow_INPUT>' % W,
                      dict(ns, Id='new')), p)
    check(r.findtext('.//{%s}NewSize' % W) == '50' and r.findtext('.//{%s}ReturnValue' % W) == '0', 'Invoke')
    r = send(envelope(W + '/Count', W, '<x:Count_INPUT xmlns:x="%s"/>' % W, ns), p)
    check(r.findtext('.//{%s}Total' % W) is not None, 'static Invoke')
    text = fault(envelope(W + '/Grow', W, '<x:Grow_INPUT xmlns:x="%s"/>' % W, dict(ns, Id='new')), p)
    check('wsman:InvalidParameter' in text, text)
    send(envelope(T + 'Delete', W, '', dict(ns, Id='new')), p)
    text = fault(envelope(T + 'Get', W, '', dict(ns, Id='new')), p)
    check('wsa:DestinationUnreachable' in text, text)
    text = fault(envelope(T + 'Create', W, inst, ns), protocol('viewer', 'secret-viewer'))
    check('wsman:AccessDenied' in text, text)


def associations():
    # Test_Link: w1 -> part1, part2 (the wire test seeds widget w1 through Create first).
    p = protocol()
    inst = '<x:Test_Widget xmlns:x="%s"><x:Id>w1</x:Id><x:Size>1</x:Size></x:Test_Widget>' % W
    send(envelope(T + 'Create', W, inst, {'__cimnamespace': 'root/test'}), p)

    def assoc(kind, extra=''):
        flt = ('<w:Filter Dialect="http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter">'
               '<b:%s xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"><b:Object>'
               '<a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI><w:SelectorSet>'
               '<w:Selector Name="Id">w1</w:Selector><w:Selector Name="__cimnamespace">root/test</w:Selector>'
               '</w:SelectorSet></a:ReferenceParameters></b:Object>%s</b:%s></w:Filter>' % (kind, W, extra, kind))
        return enumerate_all('http://schemas.dmtf.org/wbem/wscim/1/*',
                             '<w:OptimizeEnumeration/><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>' + flt)
    items = assoc('AssociatedInstances')
    P = CIM + 'Test_Part'
    names = sorted(i.find('{%s}Test_Part' % P).findtext('{%s}Name' % P) for i in items)
    check(names == ['part1', 'part2'], 'associators: %r' % names)
    epr_ns = items[0].find('.//wsman:Selector[@Name="__cimnamespace"]', NS)
    check(epr_ns is not None and epr_ns.text == 'root/test', 'associator EPR namespace')
    items = assoc('AssociationInstances')
    check(len(items) == 2 and items[0][0].tag == '{%sTest_Link}Test_Link' % CIM, 'references')
    items = assoc('AssociatedInstances', '<b:ResultClassName>Test_Widget</b:ResultClassName>')
    check(items == [], 'ResultClassName filter')


def many():
    # 2500 parts through optimized Enumerate + Pull with MaxEnvelopeSize packing.
    p = protocol()
    P = CIM + 'Test_Part'
    ns = {'__cimnamespace': 'root/test'}
    r = send(envelope(E + 'Enumerate', P, '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>1000</w:MaxElements></n:Enumerate>',
                      ns, headers='<w:MaxEnvelopeSize>65536</w:MaxEnvelopeSize>'), p)
    names = [e.findtext('{%s}Name' % P) for e in r.iterfind('.//wsman:Items/*', NS)]
    check(0 < len(names) < 1000, 'first batch bounded by the envelope: %d' % len(names))
    ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
    while ctx:
        raw = p.send_message(envelope(E + 'Pull', P, '<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>'
                                      '<n:MaxElements>1000</n:MaxElements></n:Pull>' % ctx, ns,
                                      headers='<w:MaxEnvelopeSize>65536</w:MaxEnvelopeSize>'))
        check(len(raw) <= 65536, 'envelope over the limit: %d' % len(raw))
        r = ET.fromstring(raw)
        names += [e.findtext('{%s}Name' % P) for e in r.iterfind('.//wsen:Items/*', NS)]
        ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
    check(names == ['part%d' % i for i in range(2500)], 'all parts in order: %d' % len(names))


SCENARIOS = {'identify': identify, 'get': get, 'enumerate': enumerate_, 'filters': filters,
             'faults': faults, 'get_class': get_class, 'switch': switch, 'http_edges': http_edges, 'slow_client': slow_client,
             'writes': writes, 'many': many, 'associations': associations}

try:
    SCENARIOS[scenario]()
except Failed as e:
    print('FAILED:', e)
    sys.exit(1)
print('ok')
