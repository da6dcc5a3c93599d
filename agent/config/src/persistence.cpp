#include "persistence.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cstring>
#include <vector>

#include "cimnet/config/error.h"

namespace cimnet::config {
namespace {

constexpr uint32_t kJournalMagic = 0x314a4e43;   // "CNJ1"
constexpr uint32_t kSnapshotMagic = 0x31534e43;  // "CNS1"
constexpr uint32_t kMaxRecord = 1u << 30;

[[noreturn]] void throw_io(const std::string& what, const std::filesystem::path& path) {
  throw ConfigError(ErrorKind::kIo, what + " " + path.string() + ": " + std::strerror(errno));
}

// CRC-32 (IEEE, as zlib and Ethernet compute it) from Boost.CRC.
uint32_t crc(std::string_view data) {
  boost::crc_32_type c;
  c.process_bytes(data.data(), data.size());
  return c.checksum();
}

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

void write_all(int fd, const char* data, std::size_t n, const std::filesystem::path& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_io("cannot write", path);
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string read_whole(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw_io("cannot open", path);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) throw_io("cannot stat", path);
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t r = ::read(fd.get(), data.data() + got, data.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_io("cannot read", path);
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  data.resize(got);
  return data;
}

}  // namespace

void Encoder::u32(uint32_t v) {
  char b[4];
  put_u32(b, v);
  out.append(b, 4);
}
void Encoder::u64(uint64_t v) {
  u32(static_cast<uint32_t>(v));
  u32(static_cast<uint32_t>(v >> 32));
}
void Encoder::bytes(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  out.append(s);
}
void Encoder::ip(const IpAddress& a) {
  u8(a.family);
  if (a.family == 4) out.append(reinterpret_cast<const char*>(a.bytes.data()), 4);
  if (a.family == 6) out.append(reinterpret_cast<const char*>(a.bytes.data()), 16);
}
void Encoder::key(const LookupKey& k) {
  u32(k.vsid);
  ip(k.customer_address);
  out.append(reinterpret_cast<const char*>(k.mac.bytes.data()), 6);
}
void Encoder::record(const LookupRecord& r) {
  key(r.key);
  ip(r.provider_address);
  u8(static_cast<uint8_t>(r.rule));
  u8(static_cast<uint8_t>(r.type));
  u8(r.use_vm_mac_address ? 1 : 0);
  bytes(r.customer_id);
  bytes(r.context);
  bytes(r.vm_name);
}

bool Decoder::need(std::size_t n) {
  if (!ok_ || in_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}
uint8_t Decoder::u8() {
  if (!need(1)) return 0;
  return static_cast<uint8_t>(in_[pos_++]);
}
uint32_t Decoder::u32() {
  if (!need(4)) return 0;
  uint32_t v = get_u32(in_.data() + pos_);
  pos_ += 4;
  return v;
}
uint64_t Decoder::u64() {
  uint64_t lo = u32();
  uint64_t hi = u32();
  return lo | hi << 32;
}
std::string_view Decoder::bytes() {
  uint32_t n = u32();
  if (!need(n)) return {};
  std::string_view s = in_.substr(pos_, n);
  pos_ += n;
  return s;
}
IpAddress Decoder::ip() {
  IpAddress a;
  a.family = u8();
  std::size_t n = a.family == 4 ? 4 : a.family == 6 ? 16 : 0;
  if (n == 0 && a.family != 0) ok_ = false;
  if (n && need(n)) {
    std::memcpy(a.bytes.data(), in_.data() + pos_, n);
    pos_ += n;
  }
  return a;
}
LookupKey Decoder::key() {
  LookupKey k;
  k.vsid = u32();
  k.customer_address = ip();
  if (need(6)) {
    std::memcpy(k.mac.bytes.data(), in_.data() + pos_, 6);
    pos_ += 6;
  }
  return k;
}
LookupRecord Decoder::record() {
  LookupRecord r;
  r.key = key();
  r.provider_address = ip();
  uint8_t rule = u8(), type = u8(), use_vm = u8();
  if (rule > 2 || type > 3 || use_vm > 1) ok_ = false;
  r.rule = static_cast<TranslationRule>(rule);
  r.type = static_cast<LookupRecordType>(type);
  r.use_vm_mac_address = use_vm != 0;
  r.customer_id = bytes();
  r.context = bytes();
  r.vm_name = bytes();
  return r;
}

void sync_directory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw_io("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) throw_io("cannot sync directory", dir);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view data, bool fsync) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) throw_io("cannot create", tmp);
    write_all(fd.get(), data.data(), data.size(), tmp);
    if (fsync && ::fsync(fd.get()) != 0) throw_io("cannot sync", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_io("cannot rename to", path);
  if (fsync) sync_directory(path.parent_path().empty() ? "." : path.parent_path());
}

Journal::~Journal() {
  close();
}

void Journal::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Journal::create_empty(const std::filesystem::path& path, bool fsync) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw_io("cannot create", path);
  if (fsync && ::fsync(fd.get()) != 0) throw_io("cannot sync", path);
}

void Journal::open(const std::filesystem::path& path, bool fsync,
                   const std::function<void(std::string_view payload)>& replay) {
  close();
  path_ = path;
  fsync_ = fsync;
  broken_ = false;
  std::string data;
  if (std::filesystem::exists(path)) data = read_whole(path);
  std::size_t pos = 0;
  while (data.size() - pos >= 12) {
    uint32_t magic = get_u32(data.data() + pos);
    uint32_t len = get_u32(data.data() + pos + 4);
    if (magic != kJournalMagic || len > kMaxRecord || data.size() - pos - 12 < len) break;
    std::string_view body(data.data() + pos + 4, 4 + len);
    if (crc(body) != get_u32(data.data() + pos + 8 + len)) break;
    replay(std::string_view(data.data() + pos + 8, len));
    pos += 12 + len;
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw_io("cannot open", path);
  if (pos != data.size()) {
    // A torn or corrupt tail: the commit it held was never acknowledged.
    if (::ftruncate(fd_, static_cast<off_t>(pos)) != 0) throw_io("cannot truncate", path);
    if (fsync_ && ::fsync(fd_) != 0) throw_io("cannot sync", path);
  }
  if (::lseek(fd_, static_cast<off_t>(pos), SEEK_SET) < 0) throw_io("cannot seek", path);
  size_ = pos;
}

void Journal::append(std::string_view payload) { write_record(payload, fsync_); }

void Journal::append_unsynced(std::string_view payload) { write_record(payload, false); }

bool Journal::sync() const { return !fsync_ || (fd_ >= 0 && ::fdatasync(fd_) == 0); }

void Journal::write_record(std::string_view payload, bool sync) {
  if (fd_ < 0 || broken_) {
    throw ConfigError(ErrorKind::kIo, "the journal " + path_.string() +
                                          " is not writable after an earlier failure");
  }
  std::string frame(12 + payload.size(), '\0');
  put_u32(frame.data(), kJournalMagic);
  put_u32(frame.data() + 4, static_cast<uint32_t>(payload.size()));
  std::memcpy(frame.data() + 8, payload.data(), payload.size());
  put_u32(frame.data() + 8 + payload.size(),
          crc(std::string_view(frame.data() + 4, 4 + payload.size())));
  try {
    write_all(fd_, frame.data(), frame.size(), path_);
    if (sync && ::fdatasync(fd_) != 0) throw_io("cannot sync", path_);
  } catch (const ConfigError&) {
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 ||
        ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET) < 0) {
      broken_ = true;
    }
    throw;
  }
  size_ += frame.size();
}

std::uint64_t write_snapshot(const std::filesystem::path& path, const SnapshotHeader& header,
                             std::string_view tree_json, const LookupTable& table, bool fsync) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw_io("cannot create", tmp);
  std::string buf;
  buf.reserve(1 << 20);
  Encoder enc{buf};
  enc.u32(kSnapshotMagic);
  enc.u64(header.seq);
  enc.u64(header.journal_gen);
  enc.bytes(tree_json);
  enc.u64(table.size());
  boost::crc_32_type c;
  uint64_t total = 0;
  auto flush = [&] {
    c.process_bytes(buf.data(), buf.size());
    write_all(fd.get(), buf.data(), buf.size(), tmp);
    total += buf.size();
    buf.clear();
  };
  for (const auto& [key, value] : table.map()) {
    enc.record(table.expand(key, value));
    if (buf.size() >= (1 << 20)) flush();
  }
  flush();
  enc.u32(c.checksum());
  write_all(fd.get(), buf.data(), buf.size(), tmp);
  total += buf.size();
  if (fsync && ::fsync(fd.get()) != 0) throw_io("cannot sync", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_io("cannot rename to", path);
  if (fsync) sync_directory(path.parent_path());
  return total;
}

std::uint64_t read_snapshot(const std::filesystem::path& path, SnapshotHeader& header,
                            std::string& tree_json, LookupTable& table) {
  std::string data = read_whole(path);
  auto corrupt = [&](const char* why) {
    return ConfigError(ErrorKind::kCorrupt,
                       std::string("snapshot ") + path.string() + " is damaged: " + why);
  };
  if (data.size() < 4 + 8 + 8 + 4 + 8 + 4) throw corrupt("too short");
  uint32_t stored = get_u32(data.data() + data.size() - 4);
  if (crc(std::string_view(data.data(), data.size() - 4)) != stored)
    throw corrupt("checksum mismatch");
  Decoder dec(std::string_view(data.data(), data.size() - 4));
  if (dec.u32() != kSnapshotMagic) throw corrupt("not a cimnet snapshot");
  header.seq = dec.u64();
  header.journal_gen = dec.u64();
  tree_json = dec.bytes();
  uint64_t n = dec.u64();
  for (uint64_t i = 0; i < n && dec.ok(); ++i) {
    LookupRecord r = dec.record();
    if (!dec.ok()) break;
    table.append_sorted(r);
  }
  if (!dec.ok() || !dec.at_end()) throw corrupt("malformed records");
  return data.size();
}

}  // namespace cimnet::config
