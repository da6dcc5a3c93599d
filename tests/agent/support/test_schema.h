#pragma once

// A small test schema (Test_Widget, Test_BigWidget, Test_Part, Test_Link)
// with in-memory providers, shared by the dispatcher unit tests and the
// over-the-wire tests.
#include <atomic>
#include <cstdlib>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "agent/provider/provider.h"
#include "cimnet/cim/mof.h"
#include "cimnet/cim/repository.h"

namespace cimnet::test_schema {

namespace provider = ::cimnet::provider;

inline const char* kTestMof = R"(
class Test_Part {
  [Key] string Name;
  uint16 Weight;
};
class Test_Widget {
  [Key] string Id;
  [Write] uint32 Size;
  string Tags[];
  datetime Created;
  boolean Active;
  [EmbeddedInstance("Test_Part")] string Part;
  [Static] uint32 Count([In] string Prefix, [Out] uint32 Total);
  uint32 Grow([In, Required] uint32 By, [Out] uint32 NewSize);
  uint32 Attach([In] Test_Part REF Part, [In] uint16 Codes[],
                [In, EmbeddedInstance("Test_Part")] string Spec,
                [Out] Test_Part REF Attached, [Out] uint16 CodeCount,
                [Out, EmbeddedInstance("Test_Part")] string Echo);
};
class Test_BigWidget : Test_Widget {
  string Extra;
};
[Association] class Test_Link {
  [Key] Test_Widget REF Left;
  [Key] Test_Part REF Right;
};
)";

// Widgets kept in a map: the writable test provider.
class WidgetProvider : public provider::Provider {
 public:
  std::map<std::string, cim::Instance> widgets;

  std::unique_ptr<provider::InstanceStream> enumerate(const provider::CallContext&,
                                                      const cim::Class& cls) override {
    std::vector<cim::Instance> out;
    for (auto& [id, w] : widgets)
      if (cim::iequals(w.class_name(), cls.name()) || cls.name() == "Test_Widget")
        out.push_back(w);
    return std::make_unique<provider::VectorStream>(std::move(out));
  }
  cim::ObjectPath create(const provider::CallContext& ctx, const cim::Class& cls,
                         const cim::Instance& instance) override {
    const cim::Value* id = instance.get("Id");
    if (!id || id->is_null()) throw cim::Error(cim::Status::kInvalidParameter, "Id is required");
    if (widgets.count(id->as_string()))
      throw cim::Error(cim::Status::kAlreadyExists, "widget " + id->as_string() + " exists");
    widgets[id->as_string()] = instance;
    return instance.path(cls, ctx.ns);
  }
  cim::Instance modify(const provider::CallContext&, const cim::Class&,
                       const cim::ObjectPath& path, const cim::Instance& changes,
                       const std::vector<std::string>& properties) override {
    auto it = widgets.find(path.key("Id")->as_string());
    if (it == widgets.end()) throw cim::Error(cim::Status::kNotFound, "no widget");
    for (const auto& name : properties) it->second.set(name, *changes.get(name));
    last_properties = properties;
    return it->second;
  }
  void remove(const provider::CallContext&, const cim::Class&,
              const cim::ObjectPath& path) override {
    if (!widgets.erase(path.key("Id")->as_string()))
      throw cim::Error(cim::Status::kNotFound, "no widget");
  }
  provider::MethodResult invoke(const provider::CallContext&, const cim::Class&,
                                const cim::Method& method,
                                const std::optional<cim::ObjectPath>& target,
                                const std::vector<cim::PropertyValue>& in) override {
    provider::MethodResult r;
    if (method.name == "Count") {
      EXPECT_FALSE(target);
      r.out.push_back({"Total", cim::Value::uint32(static_cast<uint32_t>(widgets.size()))});
      r.return_value = cim::Value::uint32(0);
    } else if (method.name == "Attach") {
      for (const auto& p : in) {
        if (p.name == "Part") r.out.push_back({"Attached", p.value});
        if (p.name == "Codes")
          r.out.push_back({"CodeCount", cim::Value::uint16(static_cast<uint16_t>(p.value.size()))});
        if (p.name == "Spec") r.out.push_back({"Echo", p.value});
      }
      r.return_value = cim::Value::uint32(0);
    } else {
      auto& w = widgets.at(target->key("Id")->as_string());
      uint32_t size = static_cast<uint32_t>(w.get("Size")->as_uint() + in.at(0).value.as_uint());
      w.set("Size", cim::Value::uint32(size));
      r.out.push_back({"NewSize", cim::Value::uint32(size)});
      r.return_value = cim::Value::uint32(0);
    }
    return r;
  }
  std::vector<std::string> last_properties;
};

// Generates N parts lazily and counts how many it has made.
class PartStream : public provider::InstanceStream {
 public:
  PartStream(uint64_t n, std::atomic<uint64_t>& made) : n_(n), made_(made) {}
  std::optional<cim::Instance> next() override {
    if (i_ >= n_) return std::nullopt;
    cim::Instance p("Test_Part");
    p.set("Name", cim::Value::string("part" + std::to_string(i_)));
    p.set("Weight", cim::Value::uint16(static_cast<uint16_t>(i_ % 1000)));
    ++i_;
    ++made_;
    return p;
  }
  std::optional<uint64_t> estimate() const override { return n_ - i_; }

 private:
  uint64_t n_, i_ = 0;
  std::atomic<uint64_t>& made_;
};

class PartProvider : public provider::Provider {
 public:
  uint64_t count = 5;
  std::atomic<uint64_t> made{0};
  std::unique_ptr<provider::InstanceStream> enumerate(const provider::CallContext&,
                                                      const cim::Class&) override {
    return std::make_unique<PartStream>(count, made);
  }
};


// Test_Link instances: w1 -> part1, w1 -> part2, w2 -> part1.
class LinkProvider : public provider::Provider {
 public:
  std::unique_ptr<provider::InstanceStream> enumerate(const provider::CallContext& ctx,
                                                      const cim::Class&) override {
    std::vector<cim::Instance> out;
    for (auto [w, p] : {std::pair{"w1", "part1"}, {"w1", "part2"}, {"w2", "part1"}}) {
      cim::Instance link("Test_Link");
      link.set("Left", cim::Value::reference(cim::ObjectPath(
                           ctx.ns, "Test_Widget", {{"Id", cim::Value::string(w)}})));
      link.set("Right", cim::Value::reference(cim::ObjectPath(
                            ctx.ns, "Test_Part", {{"Name", cim::Value::string(p)}})));
      out.push_back(std::move(link));
    }
    return std::make_unique<provider::VectorStream>(std::move(out));
  }
};

// Compiles the DSP0004 qualifiers and the test classes into `ns`.
inline void load_test_schema(cim::Repository& repo, const std::string& ns = "root/test") {
  const char* src = std::getenv("CIMNET_SOURCE_DIR");
  std::string dir = std::string(src ? src : ".") + "/cim-schema/mof/";
  cim::MofCompiler compiler(repo, ns);
  compiler.compile_file(dir + "qualifiers.mof");
  compiler.compile_string(kTestMof, "test.mof");
}

}  // namespace cimnet::test_schema
