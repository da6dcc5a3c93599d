#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

// Reads one raw capture from ../shared/captures: the HTTP request head, a
// blank line, then the body. Returns the body (empty when absent).
inline std::filesystem::path captures_dir() {
  const char* shared = std::getenv("CIMNET_SHARED_DIR");
  return std::filesystem::path(shared ? shared : "../shared") / "captures";
}

inline std::string capture_body(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto pos = text.find("\n\n");
  if (pos == std::string::npos) return {};
  text = text.substr(pos + 2);
  size_t start = text.find('<');
  return start == std::string::npos ? std::string() : text.substr(start);
}
