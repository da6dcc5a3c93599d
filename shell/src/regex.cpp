#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>

#include <map>
#include <mutex>

namespace cimnet::shell {

namespace {
pcre2_code* as_code(void* p) {
  return static_cast<pcre2_code*>(p);
}

// .NET replacement syntax ($1, ${name}, $0, $$) maps onto PCRE2's extended substitution
// except that a '$' not followed by a group reference is literal in .NET.
std::string to_pcre_replacement(const std::string& r) {
  std::string out;
  for (size_t i = 0; i < r.size(); ++i) {
    char c = r[i];
    if (c == '\\') {
      out += "\\\\";
      continue;
    }
    if (c == '$') {
      char n = i + 1 < r.size() ? r[i + 1] : '\0';
      if (n == '$') {
        out += "$$";
        ++i;
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(n)) || n == '{') {
        out += '$';
        continue;
      }
      out += "$$";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

std::shared_ptr<Regex> Regex::compile(const std::string& pattern, bool cs, std::string& error) {
  int errcode = 0;
  PCRE2_SIZE erroff = 0;
  uint32_t opts = PCRE2_UTF | (cs ? 0 : PCRE2_CASELESS);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   opts, &errcode, &erroff, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(errcode, buf, sizeof buf);
    error = "Invalid pattern '" + pattern + "' at offset " + std::to_string(erroff) + ": " +
            reinterpret_cast<const char*>(buf) + ".";
    return nullptr;
  }
  std::shared_ptr<Regex> r(new Regex());
  r->code_ = code;
  return r;
}

Regex::~Regex() {
  if (code_) pcre2_code_free(as_code(code_));
}

bool Regex::match(const std::string& subject, Hashtable* groups) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(as_code(code_), nullptr);
  int rc = pcre2_match(as_code(code_), reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                       0, 0, md, nullptr);
  bool ok = rc >= 0;
  if (ok && groups) {
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    for (int i = 0; i < rc; ++i) {
      if (ov[2 * i] == PCRE2_UNSET) continue;
      groups->set(std::to_string(i), Value(subject.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i])));
    }
    uint32_t count = 0, entry_size = 0;
    PCRE2_SPTR table = nullptr;
    pcre2_pattern_info(as_code(code_), PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(as_code(code_), PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
    pcre2_pattern_info(as_code(code_), PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; ++i) {
      PCRE2_SPTR e = table + i * entry_size;
      int n = (e[0] << 8) | e[1];
      std::string name(reinterpret_cast<const char*>(e + 2));
      if (n < rc && ov[2 * n] != PCRE2_UNSET) {
        groups->remove(std::to_string(n));
        groups->set(name, Value(subject.substr(ov[2 * n], ov[2 * n + 1] - ov[2 * n])));
      }
    }
  }
  pcre2_match_data_free(md);
  return ok;
}

std::string Regex::replace(const std::string& subject, const std::string& replacement) const {
  std::string rep = to_pcre_replacement(replacement);
  PCRE2_SIZE outlen = subject.size() * 2 + rep.size() + 64;
  std::string out;
  for (int attempt = 0; attempt < 8; ++attempt) {
    out.assign(outlen, '\0');
    PCRE2_SIZE len = outlen;
    int rc = pcre2_substitute(as_code(code_), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                              subject.size(), 0,
                              PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_EXTENDED |
                                  PCRE2_SUBSTITUTE_OVERFLOW_LENGTH | PCRE2_SUBSTITUTE_UNSET_EMPTY,
                              nullptr, nullptr, reinterpret_cast<PCRE2_SPTR>(rep.data()),
                              rep.size(), reinterpret_cast<PCRE2_UCHAR*>(out.data()), &len);
    if (rc == PCRE2_ERROR_NOMEMORY) {
      outlen = len + 1;
      continue;
    }
    if (rc < 0) return subject;
    out.resize(len);
    return out;
  }
  return subject;
}

std::vector<std::string> Regex::split(const std::string& subject) const {
  std::vector<std::string> out;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(as_code(code_), nullptr);
  size_t start = 0, search = 0;
  while (search <= subject.size()) {
    int rc = pcre2_match(as_code(code_), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                         subject.size(), search, 0, md, nullptr);
    if (rc < 0) break;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    if (ov[1] == ov[0]) {  // empty match: step forward
      if (ov[0] >= subject.size()) break;
      if (ov[0] == 0) {
        search = 1;
        continue;
      }
    }
    out.push_back(subject.substr(start, ov[0] - start));
    for (int g = 1; g < rc; ++g)
      if (ov[2 * g] != PCRE2_UNSET)
        out.push_back(subject.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
    start = ov[1];
    search = ov[1] == ov[0] ? ov[1] + 1 : ov[1];
  }
  out.push_back(subject.substr(std::min(start, subject.size())));
  pcre2_match_data_free(md);
  return out;
}

}  // namespace cimnet::shell
