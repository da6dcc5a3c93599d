#pragma once
// A configuration store in a temporary directory with the network-virtualization
// backend and providers over an in-memory datapath; reopen() simulates an agent
// restart on the same state directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>

#include "cimnet/cim/repository.h"
#include "cimnet/cim/served_schema.h"
#include "cimnet/netvirt/netvirt_agent.h"

namespace cimnet::netvirt::testing {

class NetvirtFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> serial{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("netvirt-test-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
    std::filesystem::remove_all(dir_);
    cim::load_served_schema(repo_);
    open();
  }
  void TearDown() override {
    close();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    config::StoreOptions o;
    o.state_dir = dir_;
    o.fsync = false;
    store_ = config::Store::open(o);
    agent_ = NetvirtAgent::start(*store_, {"memory", "host1", {}});
    registry_ = std::make_unique<provider::ProviderRegistry>();
    agent_->register_providers(*registry_);
    provider_ = registry_->find("root/StandardCimv2", "CIMNET_VirtualSubnet");
  }
  void close() {
    registry_.reset();
    agent_.reset();
    store_.reset();
  }
  void reopen() {
    close();
    open();
  }

  provider::CallContext ctx() {
    provider::CallContext c;
    c.ns = "root/StandardCimv2";
    c.admin = true;
    c.user = "admin";
    return c;
  }
  const cim::Class& cls(const std::string& name) {
    return repo_.get_class("root/StandardCimv2", name);
  }
  std::vector<cim::Instance> all(const std::string& name) {
    auto s = provider_->enumerate(ctx(), cls(name));
    std::vector<cim::Instance> out;
    while (auto i = s->next()) out.push_back(std::move(*i));
    return out;
  }
  cim::ObjectPath create(const cim::Instance& i) {
    return provider_->create(ctx(), cls(i.class_name()), i);
  }
  cim::Instance get(const cim::ObjectPath& p) {
    return provider_->get(ctx(), cls(p.class_name()), p);
  }
  cim::Instance modify(const cim::ObjectPath& p, const cim::Instance& changes) {
    std::vector<std::string> names;
    for (auto& pv : changes.properties()) names.push_back(pv.name);
    return provider_->modify(ctx(), cls(p.class_name()), p, changes, names);
  }
  void remove(const cim::ObjectPath& p) { provider_->remove(ctx(), cls(p.class_name()), p); }

  static cim::Instance subnet(uint32_t vsid, const std::string& rd,
                              std::vector<std::string> prefixes = {}) {
    cim::Instance i("CIMNET_VirtualSubnet");
    i.set("VirtualSubnetID", cim::Value::uint32(vsid));
    i.set("RoutingDomainID", cim::Value::string(rd));
    std::vector<cim::Value> v;
    for (auto& p : prefixes) v.push_back(cim::Value::string(p));
    if (!v.empty()) i.set("AddressPrefixes", cim::Value::array(cim::Type::kString, v));
    return i;
  }
  static cim::Instance record(uint32_t vsid, const std::string& ca, const std::string& mac,
                              const std::string& pa, uint8_t rule = 1) {
    cim::Instance i("MSFT_NetVirtualizationLookupRecordSettingData");
    i.set("VirtualSubnetID", cim::Value::uint32(vsid));
    i.set("CustomerAddress", cim::Value::string(ca));
    i.set("MACAddress", cim::Value::string(mac));
    i.set("ProviderAddress", cim::Value::string(pa));
    i.set("Rule", cim::Value::uint8(rule));
    return i;
  }

  std::filesystem::path dir_;
  cim::Repository repo_;
  std::unique_ptr<config::Store> store_;
  std::unique_ptr<NetvirtAgent> agent_;
  std::unique_ptr<provider::ProviderRegistry> registry_;
  provider::Provider* provider_ = nullptr;
};

inline constexpr const char* kBlueRd = "{11111111-2222-3333-4444-000000000030}";
inline constexpr const char* kRedRd = "{11111111-2222-3333-4444-000000000020}";

}  // namespace cimnet::netvirt::testing
