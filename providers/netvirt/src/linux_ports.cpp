#include "linux_ports.h"

#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>

#include "agent/log/log.h"
#include "cimnet/dataplane/io/af_packet_io.h"
#include "neighbor_table.h"

namespace cimnet::netvirt {

namespace dp = cimnet::dataplane;

namespace {

// The provider port while no provider address names an interface: never has
// frames, drops what it is given (local delivery between VMs still works).
class IdleIo final : public dp::PacketIo {
 public:
  IdleIo() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  ~IdleIo() override { ::close(fd_); }
  size_t receive(std::span<dp::Packet>) override { return 0; }
  size_t send(std::span<dp::Packet* const>) override { return 0; }
  int readable_fd() const override { return fd_; }

 private:
  int fd_;
};

std::string interface_name(uint32_t ifindex) {
  char name[IF_NAMESIZE] = {};
  if (ifindex == 0 || ::if_indextoname(ifindex, name) == nullptr) return {};
  return name;
}

dp::MacAddress interface_mac(const std::string& name) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  int r = fd < 0 ? -1 : ::ioctl(fd, SIOCGIFHWADDR, &ifr);
  int e = errno;
  if (fd >= 0) ::close(fd);
  if (r < 0) throw dp::IoError("cannot read the MAC address of " + name + ": " + std::strerror(e));
  dp::MacAddress m;
  std::memcpy(m.bytes.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

}  // namespace

LinuxPorts::LinuxPorts(dp::Datapath& datapath, DatapathBackend& backend, bool tc_offload)
    : datapath_(datapath), backend_(backend), tc_offload_(tc_offload) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  control_ = std::thread([this] { control(); });
}

LinuxPorts::~LinuxPorts() {
  stopping_.store(true);
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  control_.join();
  ::close(wake_fd_);
}

void LinuxPorts::set_layout(const PortLayout& layout) {
  {
    std::lock_guard lock(mutex_);
    wanted_ = layout;
    dirty_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

std::string LinuxPorts::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

std::unique_ptr<dp::PacketIo> LinuxPorts::open_io(const std::string& interface) const {
  // Beside the fast path, only what tc passed on may reach the userspace datapath.
  if (tc_offload_) return dp::SlowPathIo::open(interface, 0);
  return dp::AfPacketIo::open(interface);
}

void LinuxPorts::sync_offload(std::string& problems) {
  if (!tc_offload_) return;
  auto note = [&](const std::string& text) {
    if (!problems.empty()) problems += "; ";
    problems += text;
  };
  bool provider_open = provider_ && !dynamic_cast<IdleIo*>(provider_.get());
  if (offload_ && (!provider_open || offload_provider_ != provider_name_)) {
    std::lock_guard lock(offload_mutex_);
    offload_.reset();
    offloaded_.clear();
    log::info("netvirt: tc fast path detached from " + offload_provider_);
  }
  if (!provider_open) return;
  if (!offload_) {
    try {
      dp::TcOffloadOptions options;
      options.provider_interface = provider_name_;
      auto offload = dp::TcOffload::attach(datapath_, options);
      std::lock_guard lock(offload_mutex_);
      offload_ = std::move(offload);
      offload_provider_ = provider_name_;
      log::info("netvirt: tc fast path attached on provider interface " + provider_name_);
    } catch (const std::exception& e) {
      // The slow path alone still forwards everything; tried again at the next reconcile.
      note(std::string("tc fast path not attached (every frame takes the slow path): ") +
           e.what());
      return;
    }
  }
  for (auto it = offloaded_.begin(); it != offloaded_.end();) {
    auto port = ports_.find(it->first);
    if (port != ports_.end() && port->second.interface == it->second) {
      ++it;
      continue;
    }
    offload_->detach_port(it->first);
    log::info("netvirt: tc fast path off VM port " + std::to_string(it->first) + " (" +
              it->second + ")");
    it = offloaded_.erase(it);
  }
  for (auto& [id, port] : ports_) {
    if (offloaded_.count(id)) continue;
    try {
      offload_->attach_port(id, port.interface);
      offloaded_[id] = port.interface;
      log::info("netvirt: tc fast path on VM port " + std::to_string(id) + " (" +
                port.interface + ")");
    } catch (const std::exception& e) {
      note("tc fast path not on VM port " + port.interface + " (slow path only): " + e.what());
    }
  }
  if (!offload_->enabled() && !offload_->last_error().empty())
    note("tc fast path: " + offload_->last_error());
}

std::optional<dp::VsidCounters> LinuxPorts::fast_path_counters(uint32_t vsid) const {
  std::lock_guard lock(offload_mutex_);
  return offload_ ? offload_->vsid_counters(vsid) : std::nullopt;
}

dp::PortCounters LinuxPorts::fast_path_counters(dp::PortId port) const {
  std::lock_guard lock(offload_mutex_);
  return offload_ ? offload_->port_counters(port) : dp::PortCounters{};
}

void LinuxPorts::log_offload_counters() const {
  if (!offload_) return;
  dp::TcOffloadStats st = offload_->stats();
  std::string text = "netvirt: tc fast path counters: tx_passed " + std::to_string(st.tx_passed) +
                     " rx_passed " + std::to_string(st.rx_passed) + " errors " +
                     std::to_string(st.errors) + " map_full " + std::to_string(st.map_full);
  for (auto& [id, interface] : offloaded_) {
    dp::PortCounters c = offload_->port_counters(id);
    text += "; port " + interface + " from_vm " + std::to_string(c.from_vm.packets) + " to_vm " +
            std::to_string(c.to_vm.packets);
  }
  log::info(text);
}

void LinuxPorts::start_runner() {
  runner_ = std::make_unique<dp::Runner>(datapath_, *provider_);
  for (auto& [id, port] : ports_) runner_->attach_port(id, *port.io);
  runner_stop_.store(false);
  runner_thread_ = std::thread([this] { runner_->run(runner_stop_); });
}

void LinuxPorts::stop_runner() {
  if (!runner_thread_.joinable()) return;
  runner_stop_.store(true);
  runner_thread_.join();
  runner_.reset();
}

bool LinuxPorts::reconcile(const PortLayout& layout, std::string& problems) {
  auto note = [&](const std::string& text) {
    if (!problems.empty()) problems += "; ";
    problems += text;
  };
  bool retry = false;

  // The provider port: the interface of the provider addresses. The Runner
  // drives one provider port; a second interface is reported, not used.
  uint32_t ifindex = layout.provider_interfaces.empty() ? 0 : layout.provider_interfaces.front();
  std::string name = interface_name(ifindex);
  if (layout.provider_interfaces.size() > 1)
    note("provider addresses are on " + std::to_string(layout.provider_interfaces.size()) +
         " interfaces; the Linux datapath uses only InterfaceIndex " + std::to_string(ifindex) +
         " (" + name + ")");
  if (ifindex == 0)
    note("no provider address: VMs on this host reach only each other");
  else if (name.empty())
    note("provider InterfaceIndex " + std::to_string(ifindex) + " does not exist");
  retry |= ifindex != 0 && name.empty();

  // Open what is new first, with the Runner still moving frames; it stops
  // only when the set of open ports really changes.
  bool changed = !provider_;
  std::unique_ptr<dp::PacketIo> new_provider;
  dp::MacAddress provider_mac;
  bool provider_is_idle = provider_ && dynamic_cast<IdleIo*>(provider_.get()) != nullptr;
  if (!provider_ || ifindex != provider_ifindex_ || name != provider_name_ ||
      (provider_is_idle && !name.empty())) {
    if (!name.empty()) {
      try {
        provider_mac = interface_mac(name);
        new_provider = open_io(name);
      } catch (const std::exception& e) {
        note("provider interface " + name + ": " + e.what());
        retry = true;
      }
    }
    // A provider that cannot be opened (yet) leaves the VMs local delivery.
    if (!new_provider && (!provider_ || !provider_is_idle))
      new_provider = std::make_unique<IdleIo>();
    changed |= new_provider != nullptr;
    if (!new_provider) {  // still idle: only remember which interface it waits for
      provider_ifindex_ = ifindex;
      provider_name_ = name;
    }
  }

  std::map<uint16_t, std::string> want;
  for (const auto& a : layout.adapters) want[a.port] = a.interface;
  std::map<uint16_t, OpenPort> opened;
  for (auto& [id, interface] : want) {
    auto it = ports_.find(id);
    if (it != ports_.end() && it->second.interface == interface) continue;
    try {
      opened[id] = OpenPort{interface, open_io(interface)};
    } catch (const std::exception& e) {
      note("VM adapter interface " + interface + ": " + e.what());
      retry = true;
    }
  }
  std::vector<uint16_t> closing;
  for (auto& [id, port] : ports_) {
    auto it = want.find(id);
    if (it == want.end() || it->second != port.interface) closing.push_back(id);
  }
  changed |= !opened.empty() || !closing.empty() || !runner_thread_.joinable();
  if (!changed) {
    sync_offload(problems);
    return retry;
  }

  stop_runner();
  if (new_provider) {
    provider_ = std::move(new_provider);
    provider_ifindex_ = ifindex;
    provider_name_ = name;
    if (!dynamic_cast<IdleIo*>(provider_.get())) {
      try {
        backend_.set_provider_mac(provider_mac);
        log::info("netvirt: provider port on " + name);
      } catch (const std::exception& e) {
        note("provider interface " + name + ": " + e.what());
      }
    }
  }
  for (uint16_t id : closing) {
    log::info("netvirt: VM port " + std::to_string(id) + " (" + ports_[id].interface +
              ") detached");
    ports_.erase(id);
  }
  for (auto& [id, port] : opened) {
    log::info("netvirt: VM port " + std::to_string(id) + " attached on " + port.interface);
    ports_[id] = std::move(port);
  }
  start_runner();
  sync_offload(problems);
  return retry;
}

void LinuxPorts::sync_neighbors(const NeighborTable& kernel) {
  std::map<dp::IpAddress, dp::MacAddress> want;
  for (auto& [key, mac] : kernel)
    if (key.first == provider_ifindex_ && provider_ifindex_ != 0) want[key.second] = mac;
  dp::PolicyChange c;
  for (auto& [addr, mac] : neighbors_)
    if (!want.count(addr)) c.remove_neighbors.push_back(addr);
  for (auto& [addr, mac] : want) {
    auto it = neighbors_.find(addr);
    if (it == neighbors_.end() || it->second != mac) c.upsert_neighbors.push_back({addr, mac});
  }
  if (c.remove_neighbors.empty() && c.upsert_neighbors.empty()) return;
  try {
    // Neighbours are validated on their own: this never invalidates a policy
    // edit the backend has checked but not applied yet.
    datapath_.apply(c);
    neighbors_ = std::move(want);
  } catch (const std::exception& e) {
    log::warn(std::string("netvirt: provider neighbours not applied: ") + e.what());
  }
}

void LinuxPorts::control() {
  NeighborTable kernel;
  std::unique_ptr<NeighborWatch> watch;
  std::string watch_problem;
  try {
    watch = std::make_unique<NeighborWatch>();
    watch->dump(kernel);
  } catch (const std::exception& e) {
    watch_problem = std::string("the kernel neighbour table cannot be read: ") + e.what();
    log::warn("netvirt: " + watch_problem);
  }
  bool retry = false;
  std::string last_problem;
  while (!stopping_.load()) {
    PortLayout layout;
    bool dirty;
    {
      std::lock_guard lock(mutex_);
      dirty = dirty_;
      dirty_ = false;
      layout = wanted_;
    }
    if (dirty || retry) {
      std::string problems = watch_problem;
      try {
        retry = reconcile(layout, problems);
      } catch (const std::exception& e) {
        problems += (problems.empty() ? "" : "; ") + std::string(e.what());
        retry = true;
      }
      if (problems != last_problem && !problems.empty()) log::warn("netvirt: " + problems);
      if (dirty || problems != last_problem) {
        std::lock_guard lock(mutex_);
        problem_ = problems;
      }
      last_problem = problems;
    }
    sync_neighbors(kernel);

    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {watch ? watch->event_fd() : -1, POLLIN, 0}};
    ::poll(fds, 2, retry ? 1000 : 5000);
    if (fds[0].revents & POLLIN) {
      uint64_t n;
      (void)!::read(wake_fd_, &n, sizeof n);
    }
    if (watch && (fds[1].revents & POLLIN)) {
      try {
        if (!watch->read_events(kernel)) watch->dump(kernel);
      } catch (const std::exception& e) {
        log::warn(std::string("netvirt: neighbour table: ") + e.what());
      }
    }
  }
  // The fast path first: from then on every frame reaches the (still open) slow path.
  log_offload_counters();
  if (offload_) log::info("netvirt: tc fast path detached");
  {
    std::lock_guard lock(offload_mutex_);
    offload_.reset();
  }
  offloaded_.clear();
  stop_runner();
  ports_.clear();
  provider_.reset();
}

}  // namespace cimnet::netvirt
