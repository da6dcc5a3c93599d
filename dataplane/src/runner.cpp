#include "cimnet/dataplane/runner.h"

#include <poll.h>

#include <algorithm>
#include <string>
#include <utility>

namespace cimnet::dataplane {

Runner::Runner(Datapath& datapath, PacketIo& provider)
    : worker_(datapath), provider_(provider), by_id_(kMaxPorts, nullptr), pool_(kBatchSize) {
  out_.reserve(kBatchSize);
}

Runner::~Runner() = default;

void Runner::apply_command(const PortCommand& c) {
  std::erase_if(ports_, [&](const auto& p) { return p.first == c.id; });
  by_id_[c.id] = c.io;
  if (c.io) ports_.emplace_back(c.id, c.io);
}

void Runner::submit(const PortCommand& c) {
  std::unique_lock lock(control_mutex_);
  if (!running_) {
    apply_command(c);
    return;
  }
  commands_.push_back(c);
  uint64_t ticket = ++queued_;
  control_pending_.store(true, std::memory_order_release);
  control_done_.wait(lock, [&] { return taken_ >= ticket; });
}

void Runner::take_commands() {
  std::lock_guard lock(control_mutex_);
  for (const PortCommand& c : commands_) apply_command(c);
  commands_.clear();
  taken_ = queued_;
  control_pending_.store(false, std::memory_order_relaxed);
  control_done_.notify_all();
}

void Runner::attach_port(PortId id, PacketIo& io) {
  if (id >= kMaxPorts) throw PolicyError("VM port id " + std::to_string(id) + " too large");
  submit({id, &io});
}

void Runner::detach_port(PortId id) {
  if (id >= kMaxPorts) return;
  submit({id, nullptr});
}

void Runner::set_neighbor_resolver(NeighborResolver* resolver, bool drive,
                                   std::chrono::milliseconds tick_interval) {
  resolver_ = resolver;
  drive_resolver_ = drive;
  tick_interval_ = tick_interval;
}

void Runner::dispatch(std::span<Packet> packets) {
  // Frames of one batch go out grouped by destination, in their original order.
  for (size_t i = 0; i < packets.size(); ++i) {
    PortId dst = packets[i].port;
    if (dst == kDropPort) continue;
    bool seen = false;
    for (size_t j = 0; j < i; ++j) seen |= packets[j].port == dst;
    if (seen) continue;
    out_.clear();
    for (size_t j = i; j < packets.size(); ++j)
      if (packets[j].port == dst) out_.push_back(&packets[j]);
    PacketIo* io = dst == kProviderPort ? &provider_ : (dst < kMaxPorts ? by_id_[dst] : nullptr);
    if (io) io->send(out_);
  }
}

size_t Runner::poll_provider() {
  auto bufs = pool_.packets();
  size_t n = provider_.receive(bufs);
  if (!n) return 0;
  size_t total = n;
  if (resolver_) {
    // ARP and neighbour discovery feed the resolver; the rest keeps its order for the datapath.
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
      if (NeighborResolver::wants(bufs[i]) && resolver_->offer(bufs[i], &provider_)) continue;
      if (kept != i) std::swap(bufs[kept], bufs[i]);
      ++kept;
    }
    n = kept;
  }
  if (n) {
    worker_.receive(bufs.first(n));
    dispatch(bufs.first(n));
  }
  return total;
}

size_t Runner::poll_port(PortId id, PacketIo& io) {
  auto bufs = pool_.packets();
  size_t n = io.receive(bufs);
  if (!n) return 0;
  worker_.transmit(id, bufs.first(n));
  dispatch(bufs.first(n));
  return n;
}

size_t Runner::poll_once() {
  size_t total = poll_provider();
  for (auto& [id, io] : ports_) total += poll_port(id, *io);
  return total;
}

void Runner::run(const std::atomic<bool>& stop, std::chrono::milliseconds idle_wait) {
  {
    std::lock_guard lock(control_mutex_);
    running_ = true;
  }
  take_commands();
  std::vector<pollfd> fds;
  bool all_fds = false;
  auto rebuild = [&] {
    fds.clear();
    all_fds = provider_.readable_fd() >= 0;
    fds.push_back({provider_.readable_fd(), POLLIN, 0});
    for (auto& [id, io] : ports_) {
      fds.push_back({io->readable_fd(), POLLIN, 0});
      all_fds &= io->readable_fd() >= 0;
    }
  };
  rebuild();
  auto next_tick = std::chrono::steady_clock::now();
  while (!stop.load(std::memory_order_relaxed)) {
    if (control_pending_.load(std::memory_order_acquire)) {
      take_commands();
      rebuild();
    }
    if (resolver_ && drive_resolver_) {
      auto now = std::chrono::steady_clock::now();
      if (now >= next_tick) {
        resolver_->tick(now, provider_);
        next_tick = now + tick_interval_;
      }
    }
    if (!all_fds) {
      // Some backend cannot be waited for: read everything, nap briefly when idle.
      if (poll_once() == 0) ::poll(nullptr, 0, 1);
      continue;
    }
    // One poll() tells which VM ports have frames, so idle ports cost no read system call; the
    // provider ring is checked in memory every round. Busy rounds do not sleep.
    size_t got = poll_provider();
    bool pending = provider_.has_pending();
    for (size_t i = 0; i < ports_.size(); ++i) {
      auto& [id, io] = ports_[i];
      if ((fds[i + 1].revents & (POLLIN | POLLERR | POLLHUP)) || io->has_pending()) {
        got += poll_port(id, *io);
        pending |= io->has_pending();
      }
    }
    if (control_pending_.load(std::memory_order_acquire)) continue;
    auto wait = idle_wait;
    if (resolver_ && drive_resolver_) wait = std::min(wait, tick_interval_);
    for (auto& f : fds) f.revents = 0;
    ::poll(fds.data(), fds.size(), got || pending ? 0 : int(wait.count()));
  }
  std::lock_guard lock(control_mutex_);
  running_ = false;
  for (const PortCommand& c : commands_) apply_command(c);
  commands_.clear();
  taken_ = queued_;
  control_pending_.store(false, std::memory_order_relaxed);
  control_done_.notify_all();
}

// ---------------------------------------------------------------------------------------------

RunnerThreads::RunnerThreads(Datapath& datapath, std::vector<std::unique_ptr<PacketIo>> providers)
    : providers_(std::move(providers)) {
  if (providers_.empty()) throw PolicyError("a datapath needs at least one thread");
  for (auto& p : providers_) runners_.push_back(std::make_unique<Runner>(datapath, *p));
}

RunnerThreads::~RunnerThreads() { stop(); }

void RunnerThreads::attach_port(PortId id, std::vector<std::unique_ptr<PacketIo>> per_thread) {
  if (id >= kMaxPorts) throw PolicyError("VM port id " + std::to_string(id) + " too large");
  if (per_thread.size() != runners_.size())
    throw PolicyError("VM port " + std::to_string(id) + " needs one backend per thread (" +
                      std::to_string(runners_.size()) + "), got " +
                      std::to_string(per_thread.size()));
  std::lock_guard lock(ports_mutex_);
  for (size_t i = 0; i < runners_.size(); ++i) runners_[i]->attach_port(id, *per_thread[i]);
  // The previous backends (if any) are no longer used by any Runner.
  ports_[id] = std::move(per_thread);
}

bool RunnerThreads::detach_port(PortId id) {
  std::lock_guard lock(ports_mutex_);
  auto it = ports_.find(id);
  if (it == ports_.end()) return false;
  for (auto& r : runners_) r->detach_port(id);
  ports_.erase(it);
  return true;
}

void RunnerThreads::set_neighbor_resolver(NeighborResolver* resolver) {
  for (size_t i = 0; i < runners_.size(); ++i) runners_[i]->set_neighbor_resolver(resolver, i == 0);
}

void RunnerThreads::start() {
  if (!threads_.empty()) return;
  stop_.store(false);
  for (auto& r : runners_) threads_.emplace_back([this, runner = r.get()] { runner->run(stop_); });
}

void RunnerThreads::stop() {
  if (threads_.empty()) return;
  stop_.store(true);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace cimnet::dataplane
