#pragma once

// The deterministic workload of the crash test: commit k's edits, and the
// configuration expected after the first n commits.
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "cimnet/config/store.h"
#include "test_util.h"

namespace cimnet::config::testing {

inline std::string crash_vlan_path(uint32_t id) {
  return std::string("/cimnet:vlans/vlan[id='").append(std::to_string(id)) + "']";
}
inline std::string crash_port_path(uint32_t n) {
  return std::string("/ietf-interfaces:interfaces/interface[name='Ethernet")
             .append(std::to_string(n)) +
         "']";
}

inline LookupRecord crash_record(uint64_t k) {
  LookupRecord r = make_record(static_cast<uint32_t>(k));
  r.vm_name = std::string("k").append(std::to_string(k));
  return r;
}

// Commit number k (1-based). Every 97th commit replaces the whole
// configuration with an export of itself first (the snapshot-persisted path).
inline void crash_commit(Store& store, uint64_t k) {
  auto tx = store.begin();
  if (k % 97 == 0) {
    std::ostringstream text;
    store.export_config(text, Format::kJson);
    tx.replace_all(text.str(), Format::kJson);
  }
  uint32_t vlan = static_cast<uint32_t>(k % 50) + 1;
  tx.set(crash_vlan_path(vlan) + "/name", std::string("c").append(std::to_string(k)));
  tx.put_lookup(crash_record(k));
  if (k > 30) tx.remove_lookup(crash_record(k - 30).key);
  if (k % 7 == 0) {
    std::string port = crash_port_path(static_cast<uint32_t>(k % 4) + 1);
    tx.set(port + "/type", "iana-if-type:ethernetCsmacd");
    tx.set(port + "/cimnet:switchport/access-vlan", std::to_string(vlan));
  }
  tx.commit();
}

struct CrashModel {
  std::map<uint32_t, std::string> vlan_names;
  std::map<uint32_t, uint32_t> port_vlan;
  std::set<uint64_t> records;

  explicit CrashModel(uint64_t n) {
    for (uint64_t k = 1; k <= n; ++k) {
      uint32_t vlan = static_cast<uint32_t>(k % 50) + 1;
      vlan_names[vlan] = std::string("c").append(std::to_string(k));
      records.insert(k);
      if (k > 30) records.erase(k - 30);
      if (k % 7 == 0) port_vlan[static_cast<uint32_t>(k % 4) + 1] = vlan;
    }
  }

  // Empty when `store` holds exactly this configuration, else what differs.
  std::string compare(const Store& store) const {
    std::ostringstream diff;
    for (uint32_t id = 1; id <= 51; ++id) {
      auto got = store.get(crash_vlan_path(id) + "/name");
      auto it = vlan_names.find(id);
      std::optional<std::string> want;
      if (it != vlan_names.end()) want = it->second;
      if (got != want)
        diff << "vlan " << id << " name " << got.value_or("<none>") << " want "
             << want.value_or("<none>") << "\n";
    }
    for (uint32_t p = 1; p <= 4; ++p) {
      auto got = store.get(crash_port_path(p) + "/cimnet:switchport/access-vlan");
      auto it = port_vlan.find(p);
      std::optional<std::string> want;
      if (it != port_vlan.end()) want = std::to_string(it->second);
      if (got != want)
        diff << "port " << p << " vlan " << got.value_or("<none>") << " want "
             << want.value_or("<none>") << "\n";
    }
    if (store.lookup_count() != records.size()) {
      diff << "lookup count " << store.lookup_count() << " want " << records.size() << "\n";
    }
    for (uint64_t k : records) {
      auto got = store.find_lookup(crash_record(k).key);
      if (!got || !(*got == crash_record(k)))
        diff << "lookup record " << k << " missing or different\n";
    }
    return diff.str();
  }
};

}  // namespace cimnet::config::testing
