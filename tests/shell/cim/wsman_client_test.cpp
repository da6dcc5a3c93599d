// The WS-Man client against a real cimnetd (port 0, temporary state directory): every
// operation the cmdlets rely on, the streaming Pull path, faults and transport errors.

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "cimnet/shell/client/wsman_client.h"
#include "tests/agent/cimnetd/process.h"

namespace cimnet::shell::client {
namespace {

namespace fs = std::filesystem;
namespace tp = cimnet::test_process;

class WsmanClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("wsclient-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string bin = tp::env_or("CIMNET_BIN_DIR", "build-test/bin") + "/cimnetd";
    pid_ = tp::spawn({bin, "--state-dir", dir_.string(), "--http", "127.0.0.1:0", "--port-file",
                      (dir_ / "port").string(), "--switch", "sim:8"},
                     dir_ / "log");
    ASSERT_TRUE(tp::wait_for_file(dir_ / "port", std::chrono::seconds(60))) << tp::read_file(dir_ / "log");
    ASSERT_TRUE(tp::wait_for_file(dir_ / "admin.password", std::chrono::seconds(10)));
    std::string line = tp::read_file(dir_ / "port");
    port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    std::ifstream pw(dir_ / "admin.password");
    pw >> user_ >> password_;
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      tp::wait_exit(pid_, std::chrono::seconds(20));
    }
    fs::remove_all(dir_);
  }
  static ClientOptions options() {
    ClientOptions o;
    o.target.host = "127.0.0.1";
    o.target.port = port_;
    o.user = user_;
    o.password = password_;
    return o;
  }
  static std::string text(const Instance& i, const char* name) {
    const WireProperty* p = i.find(name);
    return p && !p->values.empty() ? p->values.front().text : "<none>";
  }

  static inline fs::path dir_;
  static inline pid_t pid_ = -1;
  static inline uint16_t port_ = 0;
  static inline std::string user_, password_;
};

TEST_F(WsmanClientTest, IdentifyNamesTheProtocol) {
  WsmanClient c(options());
  IdentifyResult r = c.identify();
  EXPECT_EQ(r.protocol_version, "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd");
  EXPECT_FALSE(r.product_vendor.empty());
}

TEST_F(WsmanClientTest, EnumerationStreamsThroughPullsWithEprs) {
  WsmanClient c(options());
  EnumerateRequest req;
  req.ns = "root/cimv2";
  req.class_name = "CIM_EthernetPort";
  req.max_elements = 3;  // 8 ports: the first 3 inline, then two Pulls
  auto en = c.enumerate(req);
  Instance i;
  std::vector<std::string> ids;
  while (en->next(i)) {
    ids.push_back(text(i, "DeviceID"));
    ASSERT_TRUE(i.epr.has_value());
    EXPECT_NE(i.epr->find("DeviceID"), nullptr);
    EXPECT_EQ(i.epr->cim_namespace(), "root/cimv2");
  }
  ASSERT_EQ(ids.size(), 8u);
  EXPECT_EQ(ids.front(), "Ethernet1");
  EXPECT_EQ(ids.back(), "Ethernet8");
}

TEST_F(WsmanClientTest, ReleaseEndsAnUnfinishedEnumeration) {
  WsmanClient c(options());
  EnumerateRequest req;
  req.ns = "root/cimv2";
  req.class_name = "CIM_EthernetPort";
  req.max_elements = 2;
  for (int round = 0; round < 3; ++round) {
    auto en = c.enumerate(req);
    Instance i;
    ASSERT_TRUE(en->next(i));
    en->release();
    EXPECT_FALSE(en->next(i));  // released: nothing more, no Pull on a dead context
  }
}

TEST_F(WsmanClientTest, GetPutAndInvokeRoundTrip) {
  WsmanClient c(options());
  EnumerateRequest req;
  req.ns = "root/cimv2";
  req.class_name = "CIM_EthernetPort";
  auto en = c.enumerate(req);
  Instance port;
  ASSERT_TRUE(en->next(port));
  en->release();
  Instance got = c.get(*port.epr);
  EXPECT_EQ(text(got, "DeviceID"), "Ethernet1");

  Instance change;
  change.class_name = "CIM_EthernetPort";
  change.properties.push_back({"Description", {WireValue{WireValue::Kind::Text, "a <quoted> & escaped one", {}, {}}}});
  c.put(*port.epr, change);
  EXPECT_EQ(text(c.get(*port.epr), "Description"), "a <quoted> & escaped one");

  Instance args;
  args.properties.push_back({"RequestedState", {WireValue{WireValue::Kind::Text, "3", {}, {}}}});
  Instance out = c.invoke(*port.epr, "RequestStateChange", args);
  EXPECT_EQ(text(out, "ReturnValue"), "0");
  EXPECT_EQ(text(c.get(*port.epr), "EnabledState"), "3");
  args.properties[0].values[0].text = "2";
  c.invoke(*port.epr, "RequestStateChange", args);
  EXPECT_EQ(text(c.get(*port.epr), "EnabledState"), "2");
}

TEST_F(WsmanClientTest, AssociationFilterCrossesNamespaces) {
  WsmanClient c(options());
  EnumerateRequest req;
  req.ns = "root/interop";
  req.class_name = "CIM_RegisteredProfile";
  auto en = c.enumerate(req);
  Instance profile;
  bool found = false;
  while (en->next(profile))
    if (text(profile, "RegisteredName") == "Ethernet Switch Profile") {
      found = true;
      break;
    }
  en->release();
  ASSERT_TRUE(found);
  EnumerateRequest assoc;
  assoc.ns = "root/interop";
  assoc.association = AssociationFilter{*profile.epr, false, "", "", "", ""};
  auto an = c.enumerate(assoc);
  Instance system;
  bool have_system = false;
  while (an->next(system))
    if (system.class_name == "CIM_ComputerSystem") {
      have_system = true;
      EXPECT_EQ(system.epr->cim_namespace(), "root/cimv2");
    }
  EXPECT_TRUE(have_system);
}

TEST_F(WsmanClientTest, GetClassReadsKeysMethodsAndSuperclass) {
  WsmanClient c(options());
  ClassDecl d = c.get_class("root/cimv2", "CIM_EthernetPort");
  EXPECT_EQ(d.name, "CIM_EthernetPort");
  EXPECT_EQ(d.superclass, "CIM_NetworkPort");
  const PropertyDecl* id = d.find_property("DeviceID");
  ASSERT_NE(id, nullptr);
  EXPECT_TRUE(id->is_key);
  EXPECT_EQ(d.find_property("PortNumber")->type, "uint16");
  ASSERT_NE(d.find_method("RequestStateChange"), nullptr);
  auto names = c.class_names("root/cimv2");
  EXPECT_NE(std::find(names.begin(), names.end(), "MSFT_SwitchService"), names.end());
}

TEST_F(WsmanClientTest, FaultsCarryTheirSubcode) {
  WsmanClient c(options());
  try {
    c.get(WsmanClient::class_epr("root/cimv2", "CIM_NoSuchClass"));
    FAIL() << "no fault";
  } catch (const WsmanError& e) {
    EXPECT_EQ(e.subcode, "DestinationUnreachable");
    EXPECT_NE(std::string(e.what()).find("NoSuchClass"), std::string::npos);
  }
}

TEST_F(WsmanClientTest, WrongPasswordIsAccessDenied) {
  ClientOptions o = options();
  o.password = "wrong";
  WsmanClient c(o);
  try {
    c.identify();
    FAIL() << "accepted a wrong password";
  } catch (const WsmanError& e) {
    EXPECT_EQ(e.http_status, 401);
  }
}

TEST_F(WsmanClientTest, ClosedPortIsATransportError) {
  ClientOptions o = options();
  o.target.port = 1;  // nothing listens on 127.0.0.1:1
  WsmanClient c(o);
  EXPECT_THROW(c.identify(), TransportError);
}

TEST(WsmanClientUnit, BasicAuthorizationIsBase64) {
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(WsmanClientUnit, EmbeddedInstancesAndNilsSerialise) {
  auto vlan = std::make_shared<Instance>();
  vlan->class_name = "CIM_NetworkVLAN";
  vlan->properties.push_back({"VLANId", {WireValue{WireValue::Kind::Text, "30", {}, {}}}});
  WireProperty p{"NetworkVLAN", {WireValue{WireValue::Kind::Embedded, "", {}, vlan}, WireValue{}}};
  std::string out;
  append_wire_property(out, "p", p);
  EXPECT_EQ(out,
            "<p:NetworkVLAN xmlns:q1=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_NetworkVLAN\" "
            "xsi:type=\"q1:CIM_NetworkVLAN_Type\"><q1:VLANId>30</q1:VLANId></p:NetworkVLAN>"
            "<p:NetworkVLAN xsi:nil=\"true\"/>");
}

}  // namespace
}  // namespace cimnet::shell::client
