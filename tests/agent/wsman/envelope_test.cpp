// The SOAP request parser and the fault writer, on captured client traffic
// and on hand-made broken requests.
#include <gtest/gtest.h>

#include "agent/wsman/envelope.h"
#include "agent/wsman/fault.h"
#include "agent/wsman/names.h"
#include "agent/wsman/xml.h"
#include "capture.h"

namespace cimnet::wsman {
namespace {

using namespace std::chrono_literals;

FaultKind fault_of(const std::string& xml) {
  try {
    parse_request(xml);
  } catch (const Fault& f) {
    return f.kind();
  }
  ADD_FAILURE() << "no fault for: " << xml;
  return FaultKind::kInternalError;
}

std::string envelope(const std::string& headers, const std::string& body = "") {
  return "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope' "
         "xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing' "
         "xmlns:w='http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'><s:Header>" +
         headers + "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
}

const std::string kGetHeaders =
    "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action>"
    "<a:MessageID>uuid:1</a:MessageID>"
    "<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Foo</w:ResourceURI>";

TEST(Captures, EveryCapturedRequestParses) {
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(captures_dir() / "pywinrm")) {
    if (entry.path().filename().string().find("-req") == std::string::npos) continue;
    std::string body = capture_body(entry.path());
    ASSERT_FALSE(body.empty()) << entry.path();
    try {
      Request r = parse_request(body);
      EXPECT_TRUE(r.is_identify() || !r.action.empty()) << entry.path();
      ++parsed;
    } catch (const Fault& f) {
      ADD_FAILURE() << entry.path() << ": " << f.reason();
    }
  }
  EXPECT_GE(parsed, 30);
}

TEST(Captures, PywinrmCreateHeadersAreRead) {
  Request r = parse_request(capture_body(captures_dir() / "pywinrm" / "001-req.txt"));
  EXPECT_EQ(r.action, "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create");
  EXPECT_EQ(r.message_id, "uuid:8d8455cc-d691-4570-a03f-d227acbb42ac");
  EXPECT_EQ(r.resource_uri, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd");
  EXPECT_EQ(r.to, "http://windows-host:5985/wsman");
  ASSERT_TRUE(r.max_envelope_size);
  EXPECT_EQ(*r.max_envelope_size, 153600u);
  ASSERT_TRUE(r.operation_timeout);
  EXPECT_EQ(*r.operation_timeout, 20s);
  EXPECT_EQ(r.locale, "en-US");
  ASSERT_EQ(r.options.size(), 2u);
  EXPECT_EQ(r.options[1].name, "WINRS_CODEPAGE");
  EXPECT_EQ(r.options[1].value, "437");
  EXPECT_TRUE(xml::is(r.payload, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
                      "Shell"));
}

TEST(Captures, OpenwsmanGetSelectorsAndIdentify) {
  Request get = parse_request(capture_body(captures_dir() / "pywinrm" / "015-req.txt"));
  EXPECT_EQ(get.action, uri::kGet);
  EXPECT_TRUE(get.has_selector_set);
  ASSERT_EQ(get.selectors.size(), 2u);
  ASSERT_NE(get.selector("name"), nullptr);
  EXPECT_EQ(get.selector("NAME")->value, "host2");
  EXPECT_FALSE(get.payload);

  Request id = parse_request(capture_body(captures_dir() / "pywinrm" / "013-req.txt"));
  EXPECT_TRUE(id.is_identify());
  EXPECT_FALSE(id.has_message_id);
}

TEST(Parser, PrefixesDoNotMatterAndValuesAreTrimmed) {
  std::string xml =
      "<E:Envelope xmlns:E='http://www.w3.org/2003/05/soap-envelope'><E:Header>"
      "<Action xmlns='http://schemas.xmlsoap.org/ws/2004/08/addressing'>\n  "
      "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get\n</Action>"
      "<q:SelectorSet xmlns:q='http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'>"
      "<q:Selector Name='Id'> 42 </q:Selector></q:SelectorSet>"
      "<a:MessageID xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing'/>"
      "</E:Header><E:Body/></E:Envelope>";
  Request r = parse_request(xml);
  EXPECT_EQ(r.action, uri::kGet);
  EXPECT_EQ(r.selector("Id")->value, "42");
  EXPECT_TRUE(r.has_message_id);
  EXPECT_EQ(r.message_id, "");
}

TEST(Parser, ElementsInTheWrongNamespaceAreNotHeaders) {
  // 'Action' in an unknown namespace is not wsa:Action.
  std::string xml = envelope("<x:Action xmlns:x='urn:other'>" + std::string(uri::kGet) +
                             "</x:Action>");
  EXPECT_EQ(fault_of(xml), FaultKind::kMessageInformationHeaderRequired);
}

TEST(Parser, MustUnderstandOnlyWhenSoapQualified) {
  EXPECT_EQ(fault_of(envelope(kGetHeaders + "<x:Custom xmlns:x='urn:x' s:mustUnderstand='true'/>")),
            FaultKind::kMustUnderstand);
  // Unqualified (pywinrm style) is not the SOAP attribute.
  EXPECT_NO_THROW(parse_request(envelope(kGetHeaders + "<x:Custom xmlns:x='urn:x' mustUnderstand='true'/>")));
  EXPECT_NO_THROW(parse_request(envelope(kGetHeaders + "<x:Custom xmlns:x='urn:x' s:mustUnderstand='false'/>")));
  // Fragment transfer is not implemented: understood it is not.
  EXPECT_EQ(fault_of(envelope(kGetHeaders +
                              "<w:FragmentTransfer s:mustUnderstand='true'>p:X</w:FragmentTransfer>")),
            FaultKind::kMustUnderstand);
}

TEST(Parser, ReplyToMustBeAnonymous) {
  try {
    parse_request(envelope(kGetHeaders +
                           "<a:ReplyTo><a:Address>http://evil.example/sink</a:Address></a:ReplyTo>"));
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.kind(), FaultKind::kUnsupportedFeature);
    EXPECT_EQ(f.detail(), "AddressingMode");
  }
  EXPECT_NO_THROW(parse_request(envelope(
      kGetHeaders + "<a:ReplyTo><a:Address>" + std::string(uri::kAnonymous) +
      "</a:Address></a:ReplyTo>")));
}

TEST(Parser, SelectorProblems) {
  try {
    parse_request(envelope(kGetHeaders +
                           "<w:SelectorSet><w:Selector Name='A'>1</w:Selector>"
                           "<w:Selector Name='a'>2</w:Selector></w:SelectorSet>"));
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.kind(), FaultKind::kInvalidSelectors);
    EXPECT_EQ(f.detail(), "DuplicateSelectors");
    EXPECT_EQ(f.wsman_code(), wsman_code::kDuplicateSelectors);
  }
  std::string many;
  for (int i = 0; i < 65; ++i)
    many += "<w:Selector Name='k" + std::to_string(i) + "'>v</w:Selector>";
  EXPECT_EQ(fault_of(envelope(kGetHeaders + "<w:SelectorSet>" + many + "</w:SelectorSet>")),
            FaultKind::kEncodingLimit);
  // A reference-typed selector carries a nested EPR.
  Request r = parse_request(envelope(
      kGetHeaders +
      "<w:SelectorSet><w:Selector Name='Antecedent'><a:EndpointReference>"
      "<a:Address>" + std::string(uri::kAnonymous) + "</a:Address><a:ReferenceParameters>"
      "<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Bar</w:ResourceURI>"
      "<w:SelectorSet><w:Selector Name='Id'>7</w:Selector></w:SelectorSet>"
      "</a:ReferenceParameters></a:EndpointReference></w:Selector></w:SelectorSet>"));
  ASSERT_TRUE(r.selectors[0].reference);
  EXPECT_EQ(r.selectors[0].reference->resource_uri,
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Bar");
  EXPECT_EQ(r.selectors[0].reference->selectors[0].value, "7");
}

TEST(Parser, BrokenEnvelopes) {
  EXPECT_EQ(fault_of("<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body>"),
            FaultKind::kSchemaValidationError);
  EXPECT_EQ(fault_of("not xml at all"), FaultKind::kSchemaValidationError);
  EXPECT_EQ(fault_of("<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'>"
                     "<s:Body/></s:Envelope>"),
            FaultKind::kVersionMismatch);
  EXPECT_EQ(fault_of("<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'>"
                     "<s:Header/></s:Envelope>"),
            FaultKind::kSchemaValidationError);
  EXPECT_EQ(fault_of(envelope("")), FaultKind::kMessageInformationHeaderRequired);
  EXPECT_EQ(fault_of(envelope(kGetHeaders + "<a:Action>x</a:Action>")),
            FaultKind::kInvalidMessageInformationHeader);
  EXPECT_EQ(fault_of(envelope(kGetHeaders + "<w:OperationTimeout>soon</w:OperationTimeout>")),
            FaultKind::kInvalidMessageInformationHeader);
  EXPECT_EQ(fault_of(envelope(kGetHeaders + "<w:MaxEnvelopeSize>-5</w:MaxEnvelopeSize>")),
            FaultKind::kInvalidMessageInformationHeader);
  EXPECT_EQ(fault_of(envelope(kGetHeaders +
                              "<w:OptionSet><w:Option Name='x' s:mustUnderstand='true'>1"
                              "</w:Option></w:OptionSet>")),
            FaultKind::kInvalidOptions);
}

TEST(Parser, TinyMaxEnvelopeSizeIsAnEncodingLimit) {
  try {
    parse_request(envelope(kGetHeaders + "<w:MaxEnvelopeSize>100</w:MaxEnvelopeSize>"));
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.kind(), FaultKind::kEncodingLimit);
    EXPECT_EQ(f.detail(), "MinimumEnvelopeLimit");
  }
}

TEST(Parser, Utf16BodiesWithBom) {
  std::string utf8 = envelope(kGetHeaders);
  std::string le = "\xff\xfe";
  for (char c : utf8) {
    le += c;
    le += '\0';
  }
  EXPECT_EQ(parse_request(le).action, uri::kGet);
  EXPECT_EQ(parse_request(le, pugi::encoding_utf16_le).action, uri::kGet);
}

TEST(Duration, ParsesXsDuration) {
  EXPECT_EQ(parse_duration("PT20S"), 20000ms);
  EXPECT_EQ(parse_duration("PT60.000S"), 60000ms);
  EXPECT_EQ(parse_duration("PT60.5S"), 60500ms);
  EXPECT_EQ(parse_duration("PT1M"), 60000ms);
  EXPECT_EQ(parse_duration("P1DT1H"), std::chrono::milliseconds(90000000));
  EXPECT_EQ(parse_duration(" PT1S "), 1000ms);
  EXPECT_FALSE(parse_duration("PT"));
  EXPECT_FALSE(parse_duration("P"));
  EXPECT_FALSE(parse_duration("-PT1S"));
  EXPECT_FALSE(parse_duration("PT1.S"));
  EXPECT_FALSE(parse_duration("PTS"));
  EXPECT_FALSE(parse_duration("PT1S1M"));
  EXPECT_FALSE(parse_duration("P1.5D"));
  EXPECT_FALSE(parse_duration("20"));
  EXPECT_EQ(format_duration(1500ms), "PT1.500S");
}

TEST(Faults, EnvelopeHasCodeSubcodeDetailAndRelatesTo) {
  Fault f(FaultKind::kInvalidSelectors, "no such key", "InsufficientSelectors",
          wsman_code::kInsufficientSelectors);
  std::string xml = fault_envelope(f, "uuid:abc", true);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  auto env = doc.child("s:Envelope");
  EXPECT_EQ(std::string(env.child("s:Header").child("wsa:RelatesTo").text().get()), "uuid:abc");
  EXPECT_EQ(std::string(env.child("s:Header").child("wsa:Action").text().get()),
            uri::kFaultWsman);
  auto fault = env.child("s:Body").child("s:Fault");
  EXPECT_STREQ(fault.child("s:Code").child("s:Value").text().get(), "s:Sender");
  EXPECT_STREQ(fault.child("s:Code").child("s:Subcode").child("s:Value").text().get(),
               "wsman:InvalidSelectors");
  EXPECT_STREQ(fault.child("s:Reason").child("s:Text").text().get(), "no such key");
  EXPECT_EQ(std::string(fault.child("s:Detail").child("wsman:FaultDetail").text().get()),
            std::string(uri::kFaultDetailPrefix) + "InsufficientSelectors");
  EXPECT_STREQ(fault.child("s:Detail").child("f:WSManFault").attribute("Code").value(),
               "2150858842");
  // The subcode's prefix is declared in scope.
  EXPECT_STREQ(env.attribute("xmlns:wsman").value(), uri::kWsman.data());
}

TEST(Faults, EnumerationContextFaultIsReceiverWithEnumerationAction) {
  const auto& info = fault_info(FaultKind::kInvalidEnumerationContext);
  EXPECT_EQ(info.code, "s:Receiver");
  EXPECT_EQ(info.subcode, "wsen:InvalidEnumerationContext");
  EXPECT_EQ(info.action, uri::kFaultEnumeration);
  EXPECT_EQ(fault_info(FaultKind::kMustUnderstand).subcode, "");
  EXPECT_EQ(fault_info(FaultKind::kMustUnderstand).code, "s:MustUnderstand");
}

TEST(Faults, CimErrorsMapPerDsp0227) {
  auto f = fault_from_cim(cim::Error(cim::Status::kNotFound, "no instance"));
  EXPECT_EQ(f.kind(), FaultKind::kDestinationUnreachable);
  EXPECT_EQ(f.cim_status(), cim::Status::kNotFound);
  EXPECT_NE(fault_envelope(f, "", false).find("<e:CIMStatusCode>6</e:CIMStatusCode>"),
            std::string::npos);
  EXPECT_EQ(fault_from_cim(cim::Error(cim::Status::kInvalidClass, "x")).detail(),
            "InvalidResourceURI");
  EXPECT_EQ(fault_from_cim(cim::Error(cim::Status::kAlreadyExists, "x")).kind(),
            FaultKind::kAlreadyExists);
  EXPECT_EQ(fault_from_cim(cim::Error(cim::Status::kInvalidQuery, "x")).kind(),
            FaultKind::kCannotProcessFilter);
}

TEST(Escaping, TextAndAttributes) {
  EXPECT_EQ(xml::escape("a<b>&c"), "a&lt;b&gt;&amp;c");
  EXPECT_EQ(xml::escape("t\tn\nbell\x07"), "t\tn\nbell\xEF\xBF\xBD");
  std::string doc = "<a>" + xml::escape(std::string("\x01\x1f ok", 5)) + "</a>";
  pugi::xml_document parsed;
  EXPECT_TRUE(parsed.load_string(doc.c_str())) << "control characters never reach the XML";
  std::string out;
  xml::append_attribute_escaped(out, "say \"hi\"");
  EXPECT_EQ(out, "say &quot;hi&quot;");
  EndpointReference epr{"", "urn:r", {{"K", "a&b", nullptr}}};
  std::string e;
  append_epr_content(e, epr);
  EXPECT_NE(e.find("<wsman:Selector Name=\"K\">a&amp;b</wsman:Selector>"), std::string::npos);
  EXPECT_NE(e.find(uri::kAnonymous), std::string::npos);
}

TEST(Uuid, FreshAndWellFormed) {
  auto a = new_uuid(), b = new_uuid();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 41u);
  EXPECT_EQ(a.substr(0, 5), "uuid:");
  EXPECT_EQ(a[19], '4');
}

}  // namespace
}  // namespace cimnet::wsman
