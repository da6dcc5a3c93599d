#include "export.h"

#include <cstdio>
#include <ostream>
#include <string>

#include "yang.h"

namespace cimnet::config {
namespace {

void json_string(std::string& out, const std::string& s) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void xml_text(std::string& out, const std::string& s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
}

// One lookup-record list entry at the indentation libyang uses there.
void json_record(std::string& out, const LookupRecord& r, bool last) {
  out += std::string("      {\n        \"vsid\": ").append(std::to_string(r.key.vsid)) +
         ",\n        \"customer-address\": ";
  json_string(out, r.key.customer_address.to_string());
  out += ",\n        \"mac-address\": \"" + r.key.mac.to_string() +
         "\",\n        \"provider-address\": ";
  json_string(out, r.provider_address.to_string());
  out += ",\n        \"rule\": \"" + std::string(to_yang(r.rule)) + "\"";
  if (r.type != LookupRecordType::kStatic)
    out += ",\n        \"type\": \"" + std::string(to_yang(r.type)) + "\"";
  if (r.use_vm_mac_address) out += ",\n        \"use-vm-mac-address\": true";
  auto str = [&](const char* name, const std::string& v) {
    if (v.empty()) return;
    out += ",\n        \"";
    out += name;
    out += "\": ";
    json_string(out, v);
  };
  str("customer-id", r.customer_id);
  str("context", r.context);
  str("vm-name", r.vm_name);
  out += last ? "\n      }\n" : "\n      },\n";
}

void xml_record(std::string& out, const LookupRecord& r) {
  out += std::string("  <lookup-record>\n    <vsid>").append(std::to_string(r.key.vsid)) +
         "</vsid>\n    <customer-address>" + r.key.customer_address.to_string() +
         "</customer-address>\n    <mac-address>" + r.key.mac.to_string() +
         "</mac-address>\n    <provider-address>" + r.provider_address.to_string() +
         "</provider-address>\n    <rule>" + std::string(to_yang(r.rule)) + "</rule>\n";
  if (r.type != LookupRecordType::kStatic)
    out += "    <type>" + std::string(to_yang(r.type)) + "</type>\n";
  if (r.use_vm_mac_address) out += "    <use-vm-mac-address>true</use-vm-mac-address>\n";
  auto str = [&](const char* name, const std::string& v) {
    if (v.empty()) return;
    out += "    <";
    out += name;
    out += '>';
    xml_text(out, v);
    out += "</";
    out += name;
    out += ">\n";
  };
  str("customer-id", r.customer_id);
  str("context", r.context);
  str("vm-name", r.vm_name);
  out += "  </lookup-record>\n";
}

// Streams every record, flushing `buf` to `out` every few hundred kilobytes.
template <typename Fn>
void stream_records(std::ostream& out, const LookupTable& table, Fn&& one) {
  std::string buf;
  std::size_t i = 0, n = table.size();
  for (const auto& [key, value] : table.map()) {
    one(buf, table.expand(key, value), ++i == n);
    if (buf.size() > (256u << 10)) {
      out << buf;
      buf.clear();
    }
  }
  out << buf;
}

}  // namespace

void write_config(std::ostream& out, const std::string& text, const LookupTable& table,
                  Format format) {
  if (table.size() == 0) {
    out << text;
    return;
  }
  if (format == Format::kJson) {
    const std::string needle = "\"cimnet:network-virtualization\": {";
    auto pos = text.find(needle);
    auto records = [&] {
      out << "    \"lookup-record\": [\n";
      stream_records(out, table, [](std::string& b, const LookupRecord& r, bool last) {
        json_record(b, r, last);
      });
      out << "    ]";
    };
    if (pos != std::string::npos) {
      std::size_t after = pos + needle.size();
      std::size_t next = text.find_first_not_of(" \n", after);
      out << text.substr(0, after) << '\n';
      records();
      out << (next != std::string::npos && text[next] == '}' ? "" : ",");
      out << text.substr(after);
    } else {
      std::size_t brace = text.find('{');
      out << "{\n  \"cimnet:network-virtualization\": {\n";
      records();
      std::size_t next =
          brace == std::string::npos ? brace : text.find_first_not_of(" \n", brace + 1);
      if (next == std::string::npos || text[next] == '}') {
        out << "\n  }\n}\n";
      } else {
        out << "\n  }," << text.substr(brace + 1);
      }
    }
  } else {
    const std::string needle =
        "<network-virtualization xmlns=\"urn:cimnet:params:xml:ns:yang:cimnet\">";
    auto pos = text.find(needle);
    auto records = [&] {
      stream_records(out, table,
                     [](std::string& b, const LookupRecord& r, bool) { xml_record(b, r); });
    };
    if (pos != std::string::npos) {
      std::size_t after = pos + needle.size();
      out << text.substr(0, after) << '\n';
      records();
      out << text.substr(after + (after < text.size() && text[after] == '\n' ? 1 : 0));
    } else {
      out << text << needle << '\n';
      records();
      out << "</network-virtualization>\n";
    }
  }
}

}  // namespace cimnet::config
