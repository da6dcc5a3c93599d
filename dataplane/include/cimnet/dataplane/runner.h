#pragma once
// Moves frames between I/O backends and the datapath: one Runner per datapath thread, and
// RunnerThreads to run N of them (one per core) over per-thread queues of every port.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cimnet/dataplane/datapath.h"
#include "cimnet/dataplane/io/neighbor_resolver.h"
#include "cimnet/dataplane/io/packet_io.h"

namespace cimnet::dataplane {

// Polls a provider port and VM ports, runs batches through a Worker and hands each frame to the
// port the datapath chose. The backends are borrowed and must outlive their attachment.
// attach_port/detach_port may be called from any other thread while run() is running; they
// return once the running loop has taken the change (never call them from inside the loop).
// poll_once() is for callers that drive the Runner themselves, from one thread.
class Runner {
 public:
  Runner(Datapath& datapath, PacketIo& provider);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Attaches the backend of VM port `id` (the policy's VmPort with the same id), replacing any
  // backend the id had. Throws PolicyError for an id >= kMaxPorts.
  void attach_port(PortId id, PacketIo& io);
  // Detaches VM port `id` (no effect if it is not attached). When it returns the Runner no
  // longer touches its backend, which may then be destroyed; frames to the port are dropped.
  void detach_port(PortId id);
  // Lets `resolver` see provider frames (ARP replies are consumed by it); with `drive` this
  // Runner also calls its tick() every `tick_interval` from run(). nullptr: none.
  void set_neighbor_resolver(NeighborResolver* resolver, bool drive,
                             std::chrono::milliseconds tick_interval = std::chrono::milliseconds(100));

  // Processes at most one batch from every port; returns the number of frames received.
  size_t poll_once();
  // Calls poll_once until `stop` is set, sleeping in poll() (up to `idle_wait`) when idle.
  void run(const std::atomic<bool>& stop,
           std::chrono::milliseconds idle_wait = std::chrono::milliseconds(10));

 private:
  struct PortCommand {
    PortId id;
    PacketIo* io;  // nullptr: detach
  };
  void dispatch(std::span<Packet> packets);
  size_t poll_provider();
  size_t poll_port(PortId id, PacketIo& io);
  void apply_command(const PortCommand& c);
  void submit(const PortCommand& c);
  void take_commands();  // in the running loop

  Worker worker_;
  PacketIo& provider_;
  std::vector<std::pair<PortId, PacketIo*>> ports_;
  std::vector<PacketIo*> by_id_;
  PacketPool pool_;
  std::vector<Packet*> out_;
  NeighborResolver* resolver_ = nullptr;
  bool drive_resolver_ = false;
  std::chrono::milliseconds tick_interval_{100};

  std::mutex control_mutex_;
  std::condition_variable control_done_;
  std::atomic<bool> control_pending_{false};
  bool running_ = false;
  std::vector<PortCommand> commands_;
  uint64_t queued_ = 0, taken_ = 0;
};

// N datapath threads, each a Runner with its own Worker, its own provider backend (e.g. AF_PACKET
// sockets in one PACKET_FANOUT group) and its own backend of every VM port (e.g. the queues of a
// multi-queue TAP). Owns the backends it is given.
class RunnerThreads {
 public:
  // One provider backend per thread (at least one).
  RunnerThreads(Datapath& datapath, std::vector<std::unique_ptr<PacketIo>> providers);
  // Stops the threads.
  ~RunnerThreads();
  RunnerThreads(const RunnerThreads&) = delete;
  RunnerThreads& operator=(const RunnerThreads&) = delete;

  size_t size() const { return runners_.size(); }
  // Attaches VM port `id` with one backend per thread (exactly size() of them), running or not;
  // a port already attached is replaced. Throws PolicyError for a bad id or count.
  void attach_port(PortId id, std::vector<std::unique_ptr<PacketIo>> per_thread);
  // Detaches VM port `id` and destroys its backends (a TAP device disappears with its queues).
  // Returns false if it was not attached.
  bool detach_port(PortId id);
  // Every thread offers provider frames to `resolver`; thread 0 drives its timers. Call before
  // start().
  void set_neighbor_resolver(NeighborResolver* resolver);
  // Starts the threads (no effect if running).
  void start();
  // Stops and joins the threads (no effect if stopped).
  void stop();

 private:
  std::vector<std::unique_ptr<PacketIo>> providers_;
  std::vector<std::unique_ptr<Runner>> runners_;
  std::map<PortId, std::vector<std::unique_ptr<PacketIo>>> ports_;
  std::mutex ports_mutex_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace cimnet::dataplane
