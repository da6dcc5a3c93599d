// The whole stack in one process (HTTP server, endpoint, dispatcher) on the
// writable test schema, driven over loopback by python3-winrm: Create, Put,
// Invoke, Delete and a 2,500-instance enumeration.
#include <gtest/gtest.h>

#include "../support/test_schema.h"
#include "agent/auth/authenticator.h"
#include "agent/http/server.h"
#include "agent/wsman/dispatcher.h"
#include "agent/wsman/service.h"
#include "process.h"

namespace cimnet {
namespace {

namespace fs = std::filesystem;
namespace tp = test_process;

class Wire : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cimnet-wire-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    auth::UserDatabase db;
    db.add("admin", "secret-admin", auth::Role::kAdmin, 1000);
    db.add("viewer", "secret-viewer", auth::Role::kReader, 1000);
    db.save(dir_ / "users");
    test_schema::load_test_schema(repo_);
    auto widgets = std::make_shared<test_schema::WidgetProvider>();
    parts_ = std::make_shared<test_schema::PartProvider>();
    parts_->count = 2500;
    registry_.add("root/test", "Test_Widget", widgets);
    registry_.add("root/test", "Test_Part", parts_);
    registry_.add("root/test", "Test_Link", std::make_shared<test_schema::LinkProvider>());
    authenticator_ = std::make_unique<auth::Authenticator>(dir_ / "users");
    dispatcher_ = std::make_unique<wsman::Dispatcher>(repo_, registry_, wsman::Dispatcher::Config{});
    service_ = std::make_unique<wsman::Service>(wsman::ServiceConfig{}, *authenticator_,
                                                dispatcher_.get());
    http::ServerConfig config;
    config.endpoints.push_back({false, "127.0.0.1", 0});
    server_ = std::make_unique<http::Server>(
        config, [this](const http::Request& r) { return service_->handle(r); });
    port_ = std::to_string(server_->start().at(0).port);
  }
  void TearDown() override {
    server_->stop();
    fs::remove_all(dir_);
  }
  tp::Result client(const std::string& scenario) {
    std::string script =
        tp::env_or("CIMNET_SOURCE_DIR", ".") + "/tests/agent/cimnetd/wsman_client.py";
    return tp::run({"/usr/bin/python3", script, scenario, port_});
  }

  fs::path dir_;
  cim::Repository repo_;
  provider::ProviderRegistry registry_;
  std::shared_ptr<test_schema::PartProvider> parts_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<wsman::Dispatcher> dispatcher_;
  std::unique_ptr<wsman::Service> service_;
  std::unique_ptr<http::Server> server_;
  std::string port_;
};

TEST_F(Wire, CreatePutInvokeDeleteWithPywinrm) {
  auto r = client("writes");
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST_F(Wire, AssociationFilterWithPywinrm) {
  auto r = client("associations");
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST_F(Wire, LargeEnumerationPacksToTheEnvelopeAndEndsOnce) {
  auto r = client("many");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(parts_->made.load(), 2500u);
  EXPECT_EQ(dispatcher_->enumerations().size(), 0u);
}

}  // namespace
}  // namespace cimnet
