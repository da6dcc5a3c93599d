#!/usr/bin/python3
# Keep-alive WS-Man client for create_profile.sh: PORT N [FIRST]. With FIRST 0
# it first creates virtual subnet 5000, then N lookup-record Creates of
# MSFT_NetVirtualizationLookupRecordSettingData (the records of
# bench/providers/netvirt/netvirt_bench.cpp) as admin:secret-admin.
import socket, sys, base64, time
port = int(sys.argv[1]); n = int(sys.argv[2]); start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
auth = "Basic " + base64.b64encode(b"admin:secret-admin").decode()
def env(action, uri, body, mid):
    return ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
     'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
     'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
     '<a:To>http://127.0.0.1/wsman</a:To><a:ReplyTo><a:Address s:mustUnderstand="true">'
     'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>'
     '<a:Action s:mustUnderstand="true">' + action + '</a:Action><a:MessageID>uuid:00000000-0000-0000-0000-%012d' % mid +
     '</a:MessageID><w:ResourceURI s:mustUnderstand="true">' + uri +
     '</w:ResourceURI><w:SelectorSet><w:Selector Name="__cimnamespace">root/StandardCimv2'
     '</w:Selector></w:SelectorSet><w:OperationTimeout>PT60S</w:OperationTimeout>'
     '</s:Header><s:Body>' + body + '</s:Body></s:Envelope>')
def cbody(cls, ns, props):
    b = '<x:%s xmlns:x="%s">' % (cls, ns)
    for k, v in props: b += '<x:%s>%s</x:%s>' % (k, v, k)
    return b + '</x:%s>' % cls
s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""
def post(body):
    global buf
    b = body.encode()
    s.sendall(("POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % (auth, len(b))).encode() + b)
    while b"\r\n\r\n" not in buf: buf += s.recv(65536)
    end = buf.index(b"\r\n\r\n"); head = buf[:end].decode()
    ln = 0
    for line in head.split("\r\n"):
        if line.lower().startswith("content-length:"): ln = int(line.split(":")[1])
    while len(buf) < end + 4 + ln: buf += s.recv(65536)
    reply = buf[end+4:end+4+ln]; buf = buf[end+4+ln:]
    return int(head[9:12]), reply
CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
D = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
if start == 0:
    for uri in [D + "CIMNET_VirtualSubnet"]:
        st, r = post(env(CREATE, uri, cbody("CIMNET_VirtualSubnet", uri, [("VirtualSubnetID", "5000"), ("RoutingDomainID", "{11111111-2222-3333-4444-000000000001}")]), 1))
        print("subnet", st, r[:300] if st != 200 else "", file=sys.stderr)
fail = 0
t0 = time.time()
for i in range(start, start + n):
    cls = "MSFT_NetVirtualizationLookupRecordSettingData"
    props = [("CustomerAddress", "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)), ("MACAddress", "02%010x" % i),
             ("ProviderAddress", "192.168.%d.1" % (i % 200)), ("Rule", "1"), ("VirtualSubnetID", "5000")]
    st, r = post(env(CREATE, D + cls, cbody(cls, D + cls, props), i + 10))
    if st != 200:
        fail += 1
        if fail < 3: print(st, r[:600], file=sys.stderr)
print("done", n, "fail", fail, "%.1f/s" % (n / (time.time() - t0)), file=sys.stderr)
