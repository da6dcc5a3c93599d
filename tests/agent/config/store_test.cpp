// Unit tests of the configuration store: validation (with paths), transactions
// and backends, preview, lookup records, export/import, startup, the CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cimnet/config/command.h"
#include "cimnet/config/store.h"
#include "test_util.h"

namespace cimnet::config {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::InSequence;
using testing::make_record;
using testing::TempDir;
using ::testing::Throw;

const std::string kIf = "/ietf-interfaces:interfaces/interface[name='Ethernet1']";
const std::string kRd = "{11111111-2222-3333-4444-000000000000}";
const std::string kNv = "/cimnet:network-virtualization";

std::unique_ptr<Store> open_store(const TempDir& dir) {
  StoreOptions o;
  o.state_dir = dir.path() / "state";
  return Store::open(o);
}

// A small switch: VLANs 1 and 10, Ethernet1 in access VLAN 10.
void seed_switch(Store& store) {
  auto tx = store.begin();
  tx.set("/cimnet:vlans/vlan[id='1']/name", "default");
  tx.set("/cimnet:vlans/vlan[id='10']/name", "blue");
  tx.set(kIf + "/type", "iana-if-type:ethernetCsmacd");
  tx.set(kIf + "/cimnet:switchport/mode", "access");
  tx.set(kIf + "/cimnet:switchport/access-vlan", "10");
  tx.commit();
}

ConfigError commit_error(Transaction& tx) {
  try {
    tx.commit();
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "commit succeeded";
  return ConfigError(ErrorKind::kUnsupported, "none");
}

std::string export_text(const Store& store, Format f) {
  std::ostringstream out;
  store.export_config(out, f);
  return out.str();
}

TEST(ConfigValidation, LeafrefToMissingVlanNamesThePath) {
  TempDir dir("leafref");
  auto store = open_store(dir);
  seed_switch(*store);
  auto tx = store->begin();
  tx.set(kIf + "/cimnet:switchport/access-vlan", "99");
  ConfigError e = commit_error(tx);
  EXPECT_EQ(e.kind(), ErrorKind::kInvalid);
  EXPECT_EQ(e.path(), kIf + "/cimnet:switchport/access-vlan");
  EXPECT_THAT(e.what(), HasSubstr("99"));
  EXPECT_EQ(store->get(kIf + "/cimnet:switchport/access-vlan"), "10");  // nothing changed
}

TEST(ConfigValidation, RemovingAVlanInUseIsRefused) {
  TempDir dir("vlaninuse");
  auto store = open_store(dir);
  seed_switch(*store);
  auto tx = store->begin();
  tx.remove("/cimnet:vlans/vlan[id='10']");
  ConfigError e = commit_error(tx);
  EXPECT_EQ(e.path(), kIf + "/cimnet:switchport/access-vlan");
  EXPECT_TRUE(store->get("/cimnet:vlans/vlan[id='10']/name").has_value());
}

TEST(ConfigValidation, OutOfRangeValueFailsAtTheEditWithItsPath) {
  TempDir dir("range");
  auto store = open_store(dir);
  auto tx = store->begin();
  try {
    tx.set("/cimnet:vlans/vlan[id='5000']/name", "x");
    FAIL() << "accepted VLAN 5000";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalid);
    EXPECT_THAT(e.message(), HasSubstr("range"));
    EXPECT_EQ(e.path(), "/cimnet:vlans/vlan[id='5000']/name");
  }
}

TEST(ConfigValidation, CustomerRouteMustMatchTheSubnetsRoutingDomain) {
  TempDir dir("must");
  auto store = open_store(dir);
  auto tx = store->begin();
  tx.set(kNv + "/virtual-subnet[vsid='5001']/routing-domain", kRd);
  std::string other = "{99999999-2222-3333-4444-000000000000}";
  std::string route = kNv + "/customer-route[routing-domain='" + other +
                      "'][vsid='5001'][destination-prefix='10.0.0.0/24']";
  tx.set(route + "/next-hop", "0.0.0.0");
  ConfigError e = commit_error(tx);
  EXPECT_THAT(e.message(), HasSubstr("another routing domain"));
  EXPECT_EQ(e.path(), route + "/vsid");
}

TEST(ConfigValidation, MissingMandatoryLeafNamesTheEntry) {
  TempDir dir("mandatory");
  auto store = open_store(dir);
  auto tx = store->begin();
  tx.set(kNv + "/virtual-subnet[vsid='5001']/name", "blue");
  ConfigError e = commit_error(tx);
  EXPECT_THAT(e.message(), HasSubstr("routing-domain"));
  EXPECT_EQ(e.path(), kNv + "/virtual-subnet[vsid='5001']/routing-domain");
}

TEST(ConfigValidation, ModeChangeDropsTheOtherModesLeaves) {
  TempDir dir("mode");
  auto store = open_store(dir);
  seed_switch(*store);
  auto tx = store->begin();
  tx.set(kIf + "/cimnet:switchport/mode", "trunk");
  tx.set(kIf + "/cimnet:switchport/trunk-vlan", "1");
  tx.set(kIf + "/cimnet:switchport/trunk-vlan", "10");
  tx.commit();
  EXPECT_FALSE(store->get(kIf + "/cimnet:switchport/access-vlan"));
  EXPECT_EQ(store->get(kIf + "/cimnet:switchport/trunk-vlan[.='10']"), "10");
}

// A one-record document in XML, which libyang parses and validates (the JSON
// import path checks records without libyang).
std::string xml_record_doc(const std::string& vsid, const std::string& ca, const std::string& mac,
                           const std::string& extra) {
  return std::string("<network-virtualization xmlns=\"urn:cimnet:params:xml:ns:yang:cimnet\">") +
         "<lookup-record><vsid>" + vsid + "</vsid><customer-address>" + ca +
         "</customer-address><mac-address>" + mac +
         "</mac-address><provider-address>192.168.0.1</provider-address>" +
         "<rule>translation-method-encap</rule>" + extra +
         "</lookup-record></network-virtualization>";
}

std::string json_record_doc(const std::string& vsid, const std::string& ca, const std::string& mac,
                            const std::string& extra) {
  return std::string("{\"cimnet:network-virtualization\":{\"lookup-record\":[{\"vsid\":") + vsid +
         ",\"customer-address\":\"" + ca + "\",\"mac-address\":\"" + mac +
         "\",\"provider-address\":\"192.168.0.1\",\"rule\":\"translation-method-encap\"" + extra +
         "}]}}";
}

TEST(ConfigValidation, LookupRecordRulesMatchTheYangModel) {
  // Records are checked without libyang (put_lookup, JSON import); libyang
  // checks them in XML imports. Both must refuse the same records.
  TempDir dir("lookuprules");
  auto store = open_store(dir);
  struct Case {
    std::string vsid, ca, mac, xml_extra, json_extra;
  };
  const Case bad[] = {
      {"4095", "10.0.0.1", "001122334455", "", ""},
      {"16777215", "10.0.0.1", "001122334455", "", ""},
      {"5001", "10.0.0.256", "001122334455", "", ""},
      {"5001", "fe80::1%eth0", "001122334455", "", ""},
      {"5001", "10.0.0.1", "00112233445G", "", ""},
      {"5001", "10.0.0.1", "00-11-22-33-44-55", "", ""},
      {"5001", "10.0.0.1", "001122334455", "<vm-name>" + std::string(256, 'x') + "</vm-name>",
       ",\"vm-name\":\"" + std::string(256, 'x') + "\""},
      {"5001", "10.0.0.1", "001122334455", "<type>wildcard</type>", ",\"type\":\"wildcard\""},
      {"5001", "10.0.0.1", "001122334455", "<colour>red</colour>", ",\"colour\":\"red\""},
  };
  for (const Case& c : bad) {
    EXPECT_THROW(
        store->import_config(xml_record_doc(c.vsid, c.ca, c.mac, c.xml_extra), Format::kXml),
        ConfigError)
        << "libyang accepted " << c.vsid << " " << c.ca << " " << c.mac << " "
        << c.xml_extra.substr(0, 30);
    EXPECT_THROW(
        store->import_config(json_record_doc(c.vsid, c.ca, c.mac, c.json_extra), Format::kJson),
        ConfigError)
        << "the JSON path accepted " << c.vsid << " " << c.ca << " " << c.mac << " "
        << c.json_extra.substr(0, 30);
  }
  EXPECT_EQ(store->lookup_count(), 0u);
  // The same good record through both paths gives the same store.
  store->import_config(
      xml_record_doc("5001", "2001:DB8::5", "001122334455", "<type>l2-only</type>"), Format::kXml);
  std::ostringstream via_xml;
  store->export_config(via_xml, Format::kJson);
  store->import_config(json_record_doc("4096", "10.9.9.9", "001122334456", ""), Format::kJson);
  store->import_config(
      json_record_doc("5001", "2001:DB8::5", "001122334455", ",\"type\":\"l2-only\""),
      Format::kJson);
  std::ostringstream via_json;
  store->export_config(via_json, Format::kJson);
  EXPECT_EQ(via_json.str(), via_xml.str());
  EXPECT_EQ(store->lookup_count(), 1u);

  auto bad_vsid = make_record(1, 4095);
  auto bad_utf8 = make_record(3);
  bad_utf8.context = "\xff\xfe";
  auto tx = store->begin();
  try {
    tx.put_lookup(bad_vsid);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), lookup_record_path(bad_vsid.key) + "/vsid");
  }
  try {
    tx.put_lookup(bad_utf8);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), lookup_record_path(bad_utf8.key) + "/context");
  }
  // A good record passes both.
  tx.put_lookup(make_record(4));
  tx.commit();
  EXPECT_EQ(store->lookup_count(), 2u);
}

TEST(ConfigValidation, JsonImportNamesTheBadRecordAndRefusesDuplicates) {
  TempDir dir("jsonrecords");
  auto store = open_store(dir);
  try {
    store->import_config(json_record_doc("5001", "10.0.0.1", "001122334455", ",\"rule\":\"x\""),
                         Format::kJson);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.message(), HasSubstr("Duplicate member"));
    EXPECT_EQ(
        e.path(),
        "/cimnet:network-virtualization/lookup-record[vsid='5001'][customer-address='10.0.0.1']"
        "[mac-address='001122334455']/rule");
  }
  try {
    store->import_config(json_record_doc("5001", "10.0.0.1", "0011223344", ""), Format::kJson);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "/cimnet:network-virtualization/lookup-record[1]/mac-address");
  }
  std::string one =
      "{\"vsid\":5001,\"customer-address\":\"10.0.0.1\",\"mac-address\":"
      "\"001122334455\",\"provider-address\":\"1.1.1.1\",\"rule\":"
      "\"translation-method-encap\"}";
  std::string dup =
      "{\"cimnet:vlans\":{\"vlan\":[{\"id\":1}]},\"cimnet:network-virtualization\":"
      "{\"use-external-router\":true,\"lookup-record\":[" +
      one + "," + one + "]}}";
  try {
    store->import_config(dup, Format::kJson);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.message(), HasSubstr("Duplicate instance"));
  }
  // The same document with one copy imports, the rest of it included.
  std::string good =
      "{\"cimnet:vlans\":{\"vlan\":[{\"id\":1}]},\"cimnet:network-virtualization\":"
      "{\"lookup-record\":[" +
      one + "],\"use-external-router\":true}}";
  store->import_config(good, Format::kJson);
  EXPECT_EQ(store->lookup_count(), 1u);
  EXPECT_EQ(store->get("/cimnet:network-virtualization/use-external-router"), "true");
  EXPECT_TRUE(store->get("/cimnet:vlans/vlan[id='1']/id"));
}

TEST(ConfigValidation, TreeEditsCannotBypassTheLookupTable) {
  TempDir dir("bypass");
  auto store = open_store(dir);
  auto tx = store->begin();
  EXPECT_THROW(tx.set(kNv + "/lookup-record[vsid='5001'][customer-address='10.0.0.1'][mac-address='"
                            "001122334455']/"
                            "provider-address",
                      "1.2.3.4"),
               ConfigError);
}

TEST(ConfigAddresses, ParseAndPrint) {
  EXPECT_EQ(IpAddress::parse("10.0.0.5")->to_string(), "10.0.0.5");
  EXPECT_EQ(IpAddress::parse("2001:DB8:11:22:33:44:55:6")->to_string(),
            "2001:db8:11:22:33:44:55:6");
  EXPECT_FALSE(IpAddress::parse("10.0.0.256"));
  EXPECT_FALSE(IpAddress::parse("fe80::1%eth0"));
  EXPECT_TRUE(IpAddress::parse("::")->is_unspecified());
  EXPECT_EQ(MacAddress::parse("101010101105")->to_string(), "101010101105");
  EXPECT_EQ(MacAddress::parse("00-15-5D-05-DF-03")->to_string(), "00155d05df03");
  EXPECT_EQ(MacAddress::parse("00:15:5d:05:df:03")->to_string(), "00155d05df03");
  EXPECT_FALSE(MacAddress::parse("00-15:5d-05-df-03"));
  EXPECT_FALSE(MacAddress::parse("00155d05df0"));
  EXPECT_FALSE(MacAddress::parse("00155d05df0g"));
}

class MockBackend : public Backend {
 public:
  MOCK_METHOD(void, load, (const ConfigView&), (noexcept, override));
  MOCK_METHOD(void, prepare, (const Change&, const ConfigView&), (override));
  MOCK_METHOD(void, abort, (const Change&), (noexcept, override));
  MOCK_METHOD(void, apply, (const Change&), (noexcept, override));
};

TEST(ConfigTransaction, BackendsPrepareThenApply) {
  TempDir dir("backends");
  auto store = open_store(dir);
  MockBackend a, b;
  EXPECT_CALL(a, load(_));
  EXPECT_CALL(b, load(_));
  store->register_backend(a);
  store->register_backend(b);
  {
    InSequence seq;
    EXPECT_CALL(a, prepare(_, _)).WillOnce([](const Change& c, const ConfigView& cand) {
      EXPECT_TRUE(c.touches("/cimnet:vlans/vlan[id='7']"));
      EXPECT_EQ(cand.get("/cimnet:vlans/vlan[id='7']/name"), "seven");
      EXPECT_EQ(cand.lookup_count(), 1u);
    });
    EXPECT_CALL(b, prepare(_, _));
    EXPECT_CALL(a, apply(_));
    EXPECT_CALL(b, apply(_));
  }
  auto tx = store->begin();
  tx.set("/cimnet:vlans/vlan[id='7']/name", "seven");
  tx.put_lookup(make_record(1));
  Change c = tx.commit();
  EXPECT_EQ(c.lookups.size(), 1u);
  EXPECT_EQ(store->get("/cimnet:vlans/vlan[id='7']/name"), "seven");
}

TEST(ConfigTransaction, FailedPrepareAbortsEverything) {
  TempDir dir("abort");
  auto store = open_store(dir);
  MockBackend a, b;
  EXPECT_CALL(a, load(_));
  EXPECT_CALL(b, load(_));
  store->register_backend(a);
  store->register_backend(b);
  EXPECT_CALL(a, prepare(_, _));
  EXPECT_CALL(b, prepare(_, _))
      .WillOnce(Throw(ConfigError(ErrorKind::kRejected, "no room in the datapath")));
  EXPECT_CALL(a, abort(_));
  EXPECT_CALL(a, apply(_)).Times(0);
  EXPECT_CALL(b, apply(_)).Times(0);
  {
    auto tx = store->begin();
    tx.set("/cimnet:vlans/vlan[id='7']/name", "seven");
    tx.put_lookup(make_record(1));
    ConfigError e = commit_error(tx);
    EXPECT_EQ(e.kind(), ErrorKind::kRejected);
  }
  EXPECT_FALSE(store->get("/cimnet:vlans/vlan[id='7']/name"));
  EXPECT_EQ(store->lookup_count(), 0u);
  EXPECT_EQ(store->generation(), 0u);
  store.reset();  // and nothing was persisted either
  auto reopened = open_store(dir);
  EXPECT_FALSE(reopened->get("/cimnet:vlans/vlan[id='7']/name"));
}

TEST(ConfigTransaction, PreviewSaysWhatWouldChangeAndChangesNothing) {
  TempDir dir("preview");
  auto store = open_store(dir);
  seed_switch(*store);
  auto tx = store->begin();
  tx.set(kIf + "/cimnet:switchport/access-vlan", "1");
  tx.remove("/cimnet:vlans/vlan[id='10']");
  Change c = tx.preview();
  std::string text = c.describe();
  EXPECT_THAT(text, HasSubstr("replace " + kIf + "/cimnet:switchport/access-vlan = 1 (was 10)"));
  EXPECT_THAT(text, HasSubstr("delete /cimnet:vlans/vlan[id='10']"));
  EXPECT_EQ(store->get(kIf + "/cimnet:switchport/access-vlan"), "10");
  EXPECT_EQ(store->generation(), 1u);
}

TEST(ConfigTransaction, CreateAndRemoveSemantics) {
  TempDir dir("semantics");
  auto store = open_store(dir);
  seed_switch(*store);
  auto tx = store->begin();
  try {
    tx.create("/cimnet:vlans/vlan[id='10']");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kAlreadyExists);
  }
  try {
    tx.remove("/cimnet:vlans/vlan[id='11']");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.path(), "/cimnet:vlans/vlan[id='11']");
  }
  tx.remove("/cimnet:vlans/vlan[id='11']", false);
  tx.create_lookup(make_record(1));
  EXPECT_THROW(tx.create_lookup(make_record(1)), ConfigError);
  EXPECT_THROW(tx.remove_lookup(make_record(2).key), ConfigError);
  tx.commit();
  EXPECT_THROW(tx.commit(), ConfigError);  // spent
}

TEST(ConfigTransaction, ConcurrentTransactionsRebase) {
  TempDir dir("rebase");
  auto store = open_store(dir);
  auto t1 = store->begin();
  auto t2 = store->begin();
  t1.set("/cimnet:vlans/vlan[id='2']/name", "two");
  t2.set("/cimnet:vlans/vlan[id='3']/name", "three");
  t1.create_lookup(make_record(1));
  t2.create_lookup(make_record(1));
  t1.commit();
  ConfigError e = commit_error(t2);  // its create now collides
  EXPECT_EQ(e.kind(), ErrorKind::kAlreadyExists);
  auto t3 = store->begin();
  auto t4 = store->begin();
  t3.set("/cimnet:vlans/vlan[id='4']/name", "four");
  t4.set("/cimnet:vlans/vlan[id='5']/name", "five");
  t3.commit();
  t4.commit();
  EXPECT_EQ(store->get("/cimnet:vlans/vlan[id='4']/name"), "four");  // t4 did not undo t3
  EXPECT_EQ(store->get("/cimnet:vlans/vlan[id='5']/name"), "five");
}

// Group commit: concurrent commits share fdatasyncs (and snapshots rotate the
// journal under them); each is readable when commit() returns, and every one
// is on disk for the next process.
TEST(ConfigTransaction, ConcurrentCommitsAreAllDurable) {
  TempDir dir("group");
  constexpr uint32_t kThreads = 8, kEach = 40;
  {
    StoreOptions o;
    o.state_dir = dir.path() / "state";
    o.snapshot_min_journal_bytes = 4096;  // several snapshots during the run
    auto store = Store::open(o);
    std::vector<std::thread> threads;
    std::atomic<int> not_visible{0};
    for (uint32_t t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (uint32_t i = 0; i < kEach; ++i) {
          auto tx = store->begin();
          LookupRecord r = make_record(t * kEach + i);
          tx.create_lookup(r);
          tx.commit();
          if (!store->find_lookup(r.key)) ++not_visible;
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(not_visible.load(), 0);
    EXPECT_EQ(store->lookup_count(), size_t(kThreads * kEach));
  }
  auto again = open_store(dir);
  EXPECT_EQ(again->lookup_count(), size_t(kThreads * kEach));
  for (uint32_t i = 0; i < kThreads * kEach; ++i)
    EXPECT_TRUE(again->find_lookup(make_record(i).key)) << i;
}

// The compact table splits and drops chunks as records come and go in any
// order: key order, lookups and counts must match a std::set model, also
// after the snapshot is reloaded.
TEST(ConfigLookup, ManyRecordsInRandomOrderStayOrdered) {
  TempDir dir("chunks");
  StoreOptions o;
  o.state_dir = dir.path() / "state";
  o.fsync = false;
  o.snapshot_min_journal_bytes = 64 << 10;
  std::set<LookupKey> model;
  std::vector<uint32_t> ids(3000);
  for (uint32_t i = 0; i < ids.size(); ++i) ids[i] = i * 7919 % 3001;  // a permutation
  auto check = [&](Store& store) {
    ASSERT_EQ(store.lookup_count(), model.size());
    std::vector<LookupKey> got;
    const LookupKey* after = nullptr;
    LookupKey last;
    for (;;) {
      auto page = store.lookup_page(after, 97);
      if (page.empty()) break;
      for (auto& r : page) got.push_back(r.key);
      last = page.back().key;
      after = &last;
    }
    EXPECT_TRUE(std::equal(got.begin(), got.end(), model.begin(), model.end()));
  };
  {
    auto store = Store::open(o);
    for (size_t i = 0; i < ids.size(); i += 50) {
      auto tx = store->begin();
      for (size_t j = i; j < std::min(ids.size(), i + 50); ++j) {
        LookupRecord r = make_record(ids[j]);
        tx.put_lookup(r);
        model.insert(r.key);
      }
      tx.commit();
    }
    check(*store);
    for (size_t i = 0; i < ids.size(); i += 3) {  // a third, scattered
      auto tx = store->begin();
      LookupKey k = make_record(ids[i]).key;
      tx.remove_lookup(k);
      tx.commit();
      model.erase(k);
      EXPECT_FALSE(store->find_lookup(k));
    }
    check(*store);
    for (uint32_t i : {ids[1], ids[2], ids[4]}) EXPECT_TRUE(store->find_lookup(make_record(i).key));
  }
  auto again = Store::open(o);
  check(*again);
}

TEST(ConfigLookup, PagesInKeyOrderWithFilter) {
  TempDir dir("pages");
  auto store = open_store(dir);
  auto tx = store->begin();
  for (uint32_t i = 0; i < 50; ++i) tx.put_lookup(make_record(i, 5001 + i % 2));
  tx.commit();
  std::vector<LookupRecord> all;
  const LookupKey* after = nullptr;
  LookupKey last;
  for (;;) {
    auto page =
        store->lookup_page(after, 7, [](const LookupRecord& r) { return r.key.vsid == 5002; });
    if (page.empty()) break;
    all.insert(all.end(), page.begin(), page.end());
    last = page.back().key;
    after = &last;
  }
  ASSERT_EQ(all.size(), 25u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].key, all[i].key);
  EXPECT_EQ(*store->find_lookup(make_record(3, 5002).key), make_record(3, 5002));
}

// A configuration with one of everything, including lookup records.
void seed_everything(Store& store) {
  seed_switch(store);
  auto tx = store.begin();
  std::string e2 = "/ietf-interfaces:interfaces/interface[name='Ethernet2']";
  tx.set(e2 + "/type", "iana-if-type:ethernetCsmacd");
  tx.set(e2 + "/cimnet:switchport/mode", "trunk");
  tx.set(e2 + "/cimnet:switchport/native-vlan", "1");
  tx.set(e2 + "/cimnet:switchport/trunk-vlan", "10");
  tx.set(kNv + "/virtual-subnet[vsid='5001']/routing-domain", kRd);
  tx.set(kNv + "/virtual-subnet[vsid='5001']/prefix", "10.0.0.0/24");
  tx.set(kNv + "/customer-route[routing-domain='" + kRd +
             "'][vsid='5001'][destination-prefix='10.0.0.0/24']/next-hop",
         "0.0.0.0");
  tx.set(kNv + "/provider-address[interface-index='13'][address='10.0.1.23']/prefix-length", "24");
  tx.set(kNv +
             "/provider-route[interface-index='13'][destination-prefix='0.0.0.0/"
             "0'][next-hop='10.0.1.1']/metric",
         "5");
  tx.set(kNv + "/vm-adapter[name='vm1-eth0']/mac-address", "101010101105");
  tx.set(kNv + "/vm-adapter[name='vm1-eth0']/vsid", "5001");
  tx.set(kNv + "/use-external-router", "true");
  for (uint32_t i = 0; i < 20; ++i) tx.put_lookup(make_record(i));
  auto v6 = make_record(99);
  v6.key.customer_address = *IpAddress::parse("::");
  v6.provider_address = *IpAddress::parse("2001:db8::1");
  v6.type = LookupRecordType::kL2Only;
  v6.rule = TranslationRule::kNat;
  v6.use_vm_mac_address = true;
  v6.context = "quote \" and <tag> & \\ back";
  tx.put_lookup(v6);
  tx.commit();
}

TEST(ConfigExport, RoundTripIsIdenticalInJsonAndXml) {
  for (Format f : {Format::kJson, Format::kXml}) {
    TempDir a("rt-a"), b("rt-b");
    auto src = open_store(a);
    seed_everything(*src);
    std::string first = export_text(*src, f);
    auto dst = open_store(b);
    dst->import_config(first, f);
    EXPECT_EQ(export_text(*dst, f), first);
    EXPECT_EQ(dst->lookup_count(), 21u);
    // Both encodings describe the same configuration.
    auto other = f == Format::kJson ? Format::kXml : Format::kJson;
    TempDir c("rt-c");
    auto third = open_store(c);
    third->import_config(export_text(*src, other), other);
    EXPECT_EQ(export_text(*third, f), first);
  }
}

TEST(ConfigExport, RejectedImportChangesNothingAndNamesThePath) {
  TempDir dir("badimport");
  auto store = open_store(dir);
  seed_everything(*store);
  std::string before = export_text(*store, Format::kJson);
  std::string bad = before;
  auto pos = bad.find("\"access-vlan\": 10");
  ASSERT_NE(pos, std::string::npos);
  bad.replace(pos, 17, "\"access-vlan\": 77");
  try {
    store->import_config(bad, Format::kJson);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), kIf + "/cimnet:switchport/access-vlan");
  }
  EXPECT_EQ(export_text(*store, Format::kJson), before);
  store.reset();
  EXPECT_EQ(export_text(*open_store(dir), Format::kJson), before);
}

TEST(ConfigStartup, SaveThenRestoreAfterChanges) {
  TempDir dir("startup");
  auto store = open_store(dir);
  EXPECT_THROW(store->restore_startup_to_running(), ConfigError);
  seed_everything(*store);
  std::string saved = export_text(*store, Format::kJson);
  store->save_running_to_startup();
  {
    auto tx = store->begin();
    tx.remove(kNv + "/vm-adapter[name='vm1-eth0']");
    tx.remove_lookup(make_record(3).key);
    tx.set("/cimnet:vlans/vlan[id='20']/name", "new");
    tx.commit();
  }
  ASSERT_NE(export_text(*store, Format::kJson), saved);
  Change c = store->restore_startup_to_running();
  EXPECT_EQ(c.lookups.size(), 1u);
  EXPECT_EQ(export_text(*store, Format::kJson), saved);
  store.reset();
  EXPECT_EQ(export_text(*open_store(dir), Format::kJson), saved);  // the restore is committed
}

// Runs yanglint -t config on `file`; returns its exit status.
int yanglint(const std::filesystem::path& file) {
  std::string yang = CIMNET_SOURCE_YANG_DIR;
  std::string cmd =
      "yanglint -p " + yang +
      " -p /usr/share/yuma/nmda-modules/ietf -p /usr/share/yuma/modules/ietf" + " -t config " +
      yang + "/cimnet@2026-11-21.yang /usr/share/yuma/modules/ietf/iana-if-type@2014-05-08.yang " +
      file.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[512];
  std::string output;
  while (p && fgets(buf, sizeof buf, p)) output += buf;
  int rc = p ? pclose(p) : -1;
  if (rc != 0) std::fprintf(stderr, "%s\n%s\n", cmd.c_str(), output.c_str());
  return rc;
}

TEST(ConfigExport, YanglintAcceptsEveryFileWritten) {
  TempDir dir("yanglint");
  auto store = open_store(dir);
  seed_everything(*store);
  for (auto [f, name] :
       {std::pair{Format::kJson, "export.json"}, std::pair{Format::kXml, "export.xml"}}) {
    std::ofstream(dir.path() / name) << export_text(*store, f);
    EXPECT_EQ(yanglint(dir.path() / name), 0) << name;
  }
  store->save_running_to_startup();
  EXPECT_EQ(yanglint(store->startup_path()), 0);
  // And yanglint does reject a broken one, so the checks above mean something.
  std::ofstream(dir.path() / "bad.json") << "{\"cimnet:vlans\":{\"vlan\":[{\"id\":5000}]}}";
  EXPECT_NE(yanglint(dir.path() / "bad.json"), 0);
  // An empty store and a store with records only export valid files too.
  TempDir dir2("yanglint2");
  auto only = open_store(dir2);
  std::ofstream(dir2.path() / "empty.json") << export_text(*only, Format::kJson);
  EXPECT_EQ(yanglint(dir2.path() / "empty.json"), 0);
  auto tx = only->begin();
  tx.put_lookup(make_record(1));
  tx.commit();
  for (auto [f, name] :
       {std::pair{Format::kJson, "rec.json"}, std::pair{Format::kXml, "rec.xml"}}) {
    std::ofstream(dir2.path() / name) << export_text(*only, f);
    EXPECT_EQ(yanglint(dir2.path() / name), 0) << name;
  }
}

TEST(ConfigCommand, ExportImportThroughTheCli) {
  TempDir a("cli-a"), b("cli-b");
  {
    auto store = open_store(a);
    seed_everything(*store);
  }
  std::string state_a = (a.path() / "state").string(), state_b = (b.path() / "state").string();
  for (std::string fmt : {"json", "xml"}) {
    std::ostringstream out, err;
    ASSERT_EQ(
        run_config_command({"config", "export", "--format", fmt, "--state-dir", state_a}, out, err),
        0)
        << err.str();
    std::filesystem::path file = a.path() / ("cfg." + fmt);
    std::ofstream(file) << out.str();
    std::ostringstream out2, err2;
    ASSERT_EQ(
        run_config_command({"config", "import", file.string(), "--state-dir", state_b}, out2, err2),
        0)
        << err2.str();
    std::ostringstream again, err3;
    ASSERT_EQ(run_config_command({"config", "export", "--format", fmt, "--state-dir", state_b},
                                 again, err3),
              0);
    EXPECT_EQ(again.str(), out.str());
  }
  std::filesystem::path bad = a.path() / "bad.json";
  std::ofstream(bad) << "{\"cimnet:vlans\":{\"vlan\":[{\"id\":5000}]}}";
  std::ostringstream out, err;
  EXPECT_EQ(
      run_config_command({"config", "import", bad.string(), "--state-dir", state_b}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("/cimnet:vlans/vlan"));
  std::ostringstream o2, e2;
  EXPECT_EQ(run_config_command({"config", "frobnicate"}, o2, e2), 2);
  EXPECT_EQ(run_config_command({"config", "export", "--format", "yaml"}, o2, e2), 2);
}

TEST(ConfigStore, ReadersNeverSeeHalfACommit) {
  // Each commit writes the same number into a VLAN name, a leaf of a port and
  // a lookup record; a reader must always find the three equal.
  TempDir dir("readers");
  auto store = open_store(dir);
  seed_switch(*store);
  auto write = [&](const std::string& n) {
    auto tx = store->begin();
    tx.set("/cimnet:vlans/vlan[id='1']/name", n);
    tx.set(kIf + "/description", n);
    auto r = make_record(1);
    r.context = n;
    tx.put_lookup(r);
    tx.commit();
  };
  write("start");
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, torn{0};
  std::thread reader([&] {
    while (!done) {
      store->read([&](const ConfigView& v) {
        auto name = v.get("/cimnet:vlans/vlan[id='1']/name");
        auto port = v.get(kIf + "/description");
        auto rec = v.find_lookup(make_record(1).key);
        std::string r = rec ? rec->context : "";
        if (name.value_or("") != port.value_or("") || name.value_or("") != r) ++torn;
      });
      ++reads;
    }
  });
  for (int k = 0; k < 60; ++k) write(std::to_string(k));
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
}

TEST(ConfigStore, StateDirectoryIsExclusive) {
  TempDir dir("exclusive");
  auto store = open_store(dir);
  try {
    open_store(dir);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("in use"));
  }
}

}  // namespace
}  // namespace cimnet::config
