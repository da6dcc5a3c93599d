// The /wsman endpoint logic without sockets: HTTP checks, authentication,
// Identify, roles, MaxEnvelopeSize and fault responses.
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/wsman/names.h"
#include "agent/wsman/service.h"
#include "capture.h"

namespace cimnet::wsman {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Return;
using ::testing::Throw;

class MockOperations : public Operations {
 public:
  MOCK_METHOD(Reply, perform, (const Request&, const Caller&), (override));
};

// "admin:pw" and "viewer:pw" in Basic form.
const std::string kAdmin = "Basic YWRtaW46cHc=";
const std::string kViewer = "Basic dmlld2VyOnB3";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cimnet-service-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auth::UserDatabase db;
    db.add("admin", "pw", auth::Role::kAdmin, 1000);
    db.add("viewer", "pw", auth::Role::kReader, 1000);
    db.save(dir_ / "users");
    authenticator_ = std::make_unique<auth::Authenticator>(dir_ / "users");
    service_ = std::make_unique<Service>(ServiceConfig{}, *authenticator_, &ops_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  http::Response call(const std::string& body, const std::string& authorization = kAdmin,
                      std::vector<std::pair<std::string, std::string>> extra = {},
                      std::string content_type = "application/soap+xml;charset=UTF-8") {
    http::Request r;
    r.method = "POST";
    r.target = "/wsman";
    r.client_address = "127.0.0.1";
    if (!authorization.empty()) r.headers.emplace_back("authorization", authorization);
    r.headers.emplace_back("content-type", content_type);
    for (auto& h : extra) r.headers.push_back(h);
    r.body = body;
    return service_->handle(r);
  }

  static std::string get(const std::string& extra_headers = "") {
    return "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope' "
           "xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing' "
           "xmlns:w='http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'><s:Header>"
           "<a:Action>" + std::string(uri::kPut) + "</a:Action>"
           "<a:MessageID>uuid:req-1</a:MessageID>"
           "<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Foo</w:ResourceURI>" +
           extra_headers + "</s:Header><s:Body/></s:Envelope>";
  }
  static std::string identify() {
    return capture_body(captures_dir() / "pywinrm" / "013-req.txt");
  }

  std::filesystem::path dir_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  MockOperations ops_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceTest, NoCredentialsIs401WithBasicChallenge) {
  EXPECT_CALL(ops_, perform).Times(0);
  auto r = call(get(), "");
  EXPECT_EQ(r.status, 401);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(r.headers[0].second, "Basic realm=\"WSMAN\"");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(call(get(), "Basic YWRtaW46d3Jvbmc=").status, 401);  // admin:wrong
}

TEST_F(ServiceTest, IdentifyNeedsCredentialsUnlessTheWinRmHeaderIsSent) {
  EXPECT_EQ(call(identify(), "").status, 401);
  auto r = call(identify(), "", {{"wsmanidentify", "unauthenticated"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/"
                                "wsman.xsd</wsmid:ProtocolVersion>"));
  EXPECT_THAT(r.body, HasSubstr("<wsmid:ProductVendor>cimnet</wsmid:ProductVendor>"));
  EXPECT_THAT(r.body, HasSubstr(std::string(uri::kSecProfileHttpBasic)));
  EXPECT_EQ(r.content_type, "application/soap+xml;charset=UTF-8");
  // The header does not open anything else.
  EXPECT_CALL(ops_, perform).Times(0);
  EXPECT_EQ(call(get(), "", {{"wsmanidentify", "unauthenticated"}}).status, 401);
  EXPECT_EQ(call(identify()).status, 200);
}

TEST_F(ServiceTest, RepeatedBadPasswordsAreRateLimitedPerAddress) {
  EXPECT_CALL(ops_, perform).Times(0);
  auto from = [&](const std::string& client, const std::string& authorization) {
    http::Request r;
    r.method = "POST";
    r.target = "/wsman";
    r.client_address = client;
    r.headers.emplace_back("authorization", authorization);
    r.headers.emplace_back("content-type", "application/soap+xml");
    r.body = identify();
    return service_->handle(r);
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(from("10.9.9.9", "Basic YWRtaW46d3Jvbmc=").status, 401);
  auto limited = from("10.9.9.9", kAdmin);  // even the right password waits now
  EXPECT_EQ(limited.status, 429);
  ASSERT_FALSE(limited.headers.empty());
  EXPECT_EQ(limited.headers[0].first, "Retry-After");
  EXPECT_EQ(from("10.9.9.10", kAdmin).status, 200) << "other addresses are not affected";
}

TEST_F(ServiceTest, HttpLevelChecks) {
  http::Request r;
  r.method = "GET";
  r.target = "/wsman";
  EXPECT_EQ(service_->handle(r).status, 405);
  r.target = "/other";
  EXPECT_EQ(service_->handle(r).status, 404);
  EXPECT_EQ(call(get(), kAdmin, {}, "text/xml").status, 415);
  EXPECT_EQ(call(get(), kAdmin, {}, "application/soap+xml; charset=ISO-8859-1").status, 415);
}

TEST_F(ServiceTest, ReplyCarriesRelatesToAndAction) {
  EXPECT_CALL(ops_, perform(_, _))
      .WillOnce([](const Request& req, const Caller& caller) {
        EXPECT_EQ(caller.identity.user, "admin");
        EXPECT_EQ(req.resource_uri, "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Foo");
        return Reply{std::string(uri::kPut) + "Response", "", "<x:Done xmlns:x='urn:x'/>"};
      });
  auto r = call(get());
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("<wsa:RelatesTo>uuid:req-1</wsa:RelatesTo>"));
  EXPECT_THAT(r.body, HasSubstr("<wsa:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/"
                                "PutResponse</wsa:Action>"));
  EXPECT_THAT(r.body, HasSubstr("<x:Done xmlns:x='urn:x'/>"));
}

TEST_F(ServiceTest, ReaderMayNotWrite) {
  EXPECT_CALL(ops_, perform).Times(0);
  auto r = call(get(), kViewer);
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("wsman:AccessDenied"));
  EXPECT_THAT(r.body, HasSubstr("<wsa:RelatesTo>uuid:req-1</wsa:RelatesTo>"));
}

TEST_F(ServiceTest, OperationFaultsAre500) {
  EXPECT_CALL(ops_, perform)
      .WillOnce(Throw(Fault(FaultKind::kDestinationUnreachable, "gone", "InvalidResourceURI")));
  auto r = call(get());
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("<s:Value>wsa:DestinationUnreachable</s:Value>"));
  EXPECT_THAT(r.body, HasSubstr("faultDetail/InvalidResourceURI"));
}

TEST_F(ServiceTest, ResponseLargerThanMaxEnvelopeSizeIsEncodingLimit) {
  EXPECT_CALL(ops_, perform)
      .WillRepeatedly(Return(Reply{"urn:a", "", "<x:Big xmlns:x='urn:x'>" +
                                                     std::string(20000, 'z') + "</x:Big>"}));
  auto r = call(get("<w:MaxEnvelopeSize>10000</w:MaxEnvelopeSize>"));
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("wsman:EncodingLimit"));
  EXPECT_THAT(r.body, HasSubstr("faultDetail/MaxEnvelopeSize"));
  EXPECT_EQ(call(get("<w:MaxEnvelopeSize>100000</w:MaxEnvelopeSize>")).status, 200);
  auto tiny = call(get("<w:MaxEnvelopeSize>8191</w:MaxEnvelopeSize>"));
  EXPECT_THAT(tiny.body, HasSubstr("faultDetail/MinimumEnvelopeLimit"));
}

TEST_F(ServiceTest, Utf16RequestGetsUtf16Response) {
  std::string utf8 = identify();
  std::string le = "\xff\xfe";
  for (char c : utf8) {
    le += c;
    le += '\0';
  }
  auto r = call(le, kAdmin, {}, "application/soap+xml;charset=UTF-16");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/soap+xml;charset=UTF-16");
  ASSERT_GE(r.body.size(), 4u);
  EXPECT_EQ(r.body.substr(0, 4), std::string("\xff\xfe<\0", 4));
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_buffer(r.body.data(), r.body.size()));
  EXPECT_TRUE(doc.first_element_by_path("s:Envelope/s:Body/wsmid:IdentifyResponse"));
}

TEST_F(ServiceTest, MalformedXmlIsASoapFault) {
  auto r = call("<s:Envelope");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("wsman:SchemaValidationError"));
  EXPECT_THAT(r.body, Not(HasSubstr("RelatesTo")));
}

TEST(Utf16, EncodesSurrogatesAndReplacesGarbage) {
  EXPECT_EQ(utf8_to_utf16le("A\xc3\xa9"), std::string("\xff\xfe" "A\0\xe9\0", 6));
  EXPECT_EQ(utf8_to_utf16le("\xf0\x9f\x98\x80"), std::string("\xff\xfe\x3d\xd8\x00\xde", 6));
  EXPECT_EQ(utf8_to_utf16le("\xc3"), std::string("\xff\xfe\xfd\xff", 4));
}

}  // namespace
}  // namespace cimnet::wsman
