"""Raw WS-Man envelopes through python3-winrm (Protocol.send_message) for the
network-virtualization classes of root/StandardCimv2: the calls the NetWNV
cmdlets make (Create, Get, Enumerate/Pull, Put, Delete). Imported by the
test scripts beside it; run them with /usr/bin/python3 (python3-winrm)."""
import uuid
import xml.etree.ElementTree as ET

import winrm
from winrm.exceptions import WinRMError  # noqa: F401 (re-exported for the scripts)

NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'wsa': 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
    'wsman': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
    'wsen': 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
    'wxf': 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
}
CIM = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
T = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/'
E = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/'
XSI = 'http://www.w3.org/2001/XMLSchema-instance'
SCV2 = {'__cimnamespace': 'root/StandardCimv2'}
LR = 'MSFT_NetVirtualizationLookupRecordSettingData'
CR = 'MSFT_NetVirtualizationCustomerRouteSettingData'
PA = 'MSFT_NetVirtualizationProviderAddressSettingData'
SUBNET = 'CIMNET_VirtualSubnet'
ADAPTER = 'CIMNET_VMNetworkAdapter'


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def prop(element, name):
    e = element.find('{*}' + name)
    if e is None or e.get('{%s}nil' % XSI) == 'true':
        return None
    return e.text


class Client:
    """One agent at http://127.0.0.1:PORT/wsman, Basic authentication."""

    def __init__(self, port, user='admin', password='secret-admin'):
        self.url = 'http://127.0.0.1:%s/wsman' % port
        self.p = winrm.Protocol(self.url, transport='basic', username=user, password=password)

    def envelope(self, action, cls, body='', selectors=None):
        sels = ''.join('<w:Selector Name="%s">%s</w:Selector>' % kv
                       for kv in (selectors or SCV2).items())
        return ('<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s" xmlns:n="%s">'
                '<s:Header><a:To>%s</a:To>'
                '<a:ReplyTo><a:Address s:mustUnderstand="true">'
                'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>'
                '<a:Action s:mustUnderstand="true">%s</a:Action><a:MessageID>uuid:%s</a:MessageID>'
                '<w:ResourceURI s:mustUnderstand="true">%s%s</w:ResourceURI>'
                '<w:SelectorSet>%s</w:SelectorSet>'
                '<w:OperationTimeout>PT60S</w:OperationTimeout></s:Header><s:Body>%s</s:Body>'
                '</s:Envelope>'
                % (NS['s'], NS['wsa'], NS['wsman'], NS['wsen'], self.url, action, uuid.uuid4(),
                   CIM, cls, sels, body))

    def send(self, xml):
        return ET.fromstring(self.p.send_message(xml))

    @staticmethod
    def instance(cls, props):
        body = '<x:%s xmlns:x="%s%s">' % (cls, CIM, cls)
        for name, value in props:
            for v in (value if isinstance(value, list) else [value]):
                body += '<x:%s>%s</x:%s>' % (name, v, name)
        return body + '</x:%s>' % cls

    def create(self, cls, props):
        """CreateInstance; returns the selectors of the new instance."""
        r = self.send(self.envelope(T + 'Create', cls, self.instance(cls, props)))
        sels = {s.get('Name'): s.text
                for s in r.iterfind('.//wxf:ResourceCreated//wsman:Selector', NS)}
        check(sels, 'ResourceCreated EPR for %s' % cls)
        return dict(SCV2, **{k: v for k, v in sels.items() if k != '__cimnamespace'})

    def delete(self, cls, selectors):
        self.send(self.envelope(T + 'Delete', cls, '', selectors))

    def enumerate(self, cls):
        r = self.send(self.envelope(
            E + 'Enumerate', cls,
            '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>50</w:MaxElements></n:Enumerate>'))
        items = list(r.iterfind('.//wsman:Items/*', NS))
        ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
        while ctx:
            r = self.send(self.envelope(
                E + 'Pull', cls, '<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>'
                '<n:MaxElements>50</n:MaxElements></n:Pull>' % ctx))
            items += list(r.iterfind('.//wsen:Items/*', NS))
            ctx = r.findtext('.//wsen:EnumerationContext', namespaces=NS)
        return items
