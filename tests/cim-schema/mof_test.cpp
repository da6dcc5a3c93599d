#include <cstdlib>
#include <map>

#include <gtest/gtest.h>

#include "cimnet/cim/mof.h"

namespace cimnet::cim {
namespace {

std::string shared_dir() {
  const char* dir = std::getenv("CIMNET_SHARED_DIR");
  return dir ? dir : "../shared";
}

constexpr const char* kQualifiers = R"MOF(
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier MaxLen : uint32 = null, Scope(property, method, parameter);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter);
)MOF";

// Compiles `text` (after the qualifiers above) and returns the error, or "".
std::string compile_error(const std::string& text, Repository* out = nullptr) {
  Repository repo;
  MofCompiler mof(repo, "root/t");
  try {
    mof.compile_string(kQualifiers, "q.mof");
    mof.compile_string(text, "t.mof");
  } catch (const MofError& e) {
    return e.what();
  } catch (const Error& e) {
    return std::string("non-located error: ") + e.what();
  }
  if (out) *out = std::move(repo);
  return "";
}

TEST(MofCompiler, CompilesTheWholeDmtfSchema) {
  Repository repo;
  MofCompiler mof(repo);
  mof.compile_file(shared_dir() + "/dmtf/cim-schema-2.32.0/cim_schema_2.32.0.mof");
  // 1422 class files, of which the root file leaves four commented out.
  EXPECT_EQ(mof.stats().classes, 1418u);
  EXPECT_EQ(mof.stats().qualifier_types, 71u);
  EXPECT_TRUE(mof.warnings().empty()) << mof.warnings().front();
  const Class& port = repo.get_class("root/cimv2", "CIM_EthernetPort");
  EXPECT_EQ(repo.superclass_chain("root/cimv2", "CIM_EthernetPort"),
            (std::vector<std::string>{"CIM_EthernetPort", "CIM_NetworkPort", "CIM_LogicalPort",
                                      "CIM_LogicalDevice", "CIM_EnabledLogicalElement",
                                      "CIM_LogicalElement", "CIM_ManagedSystemElement",
                                      "CIM_ManagedElement"}));
  std::vector<std::string> keys;
  for (const Property* k : port.key_properties()) keys.push_back(k->name);
  EXPECT_EQ(keys, (std::vector<std::string>{"SystemCreationClassName", "SystemName",
                                            "CreationClassName", "DeviceID"}));
  const Property* type = port.find_property("PortType");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->class_origin, "CIM_EthernetPort");
  const Value* map = type->qualifiers.value("ValueMap");
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(map->at(2).as_string(), "50");
  EXPECT_EQ(port.find_property("PortNumber")->class_origin, "CIM_NetworkPort");
  EXPECT_EQ(port.find_property("EnabledState")->default_value, Value::uint16(5));
  const Method* rsc = port.find_method("RequestStateChange");
  ASSERT_NE(rsc, nullptr);
  EXPECT_EQ(rsc->find_parameter("Job")->type, Type::kReference);
  EXPECT_FALSE(rsc->find_parameter("Job")->is_in());
  EXPECT_TRUE(repo.get_class("root/cimv2", "CIM_ElementConformsToProfile").is_association());
  // The rendered class names every level's members.
  std::string mof_text = class_to_mof(port);
  for (const char* member : {"InstanceID", "OperationalStatus", "EnabledState", "DeviceID", "Speed",
                             "PortNumber", "PortType", "RequestStateChange"}) {
    EXPECT_NE(mof_text.find(member), std::string::npos) << member;
  }
}

TEST(MofCompiler, CompilesMicrosoftsSwitchSchema) {
  Repository repo;
  MofCompiler mof(repo);
  mof.compile_file(shared_dir() + "/dmtf/msft-networkschema/CIM_Schema.mof");
  EXPECT_EQ(mof.stats().classes, 130u);
  EXPECT_TRUE(repo.is_a("root/cimv2", "MSFT_NetworkVLAN", "CIM_NetworkVLAN"));
  const Method* add = repo.get_class("root/cimv2", "MSFT_SwitchService").find_method("AddVLAN");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->find_parameter("NetworkVLAN")->type, Type::kInstance);
  EXPECT_EQ(add->find_parameter("NetworkVLAN")->embedded_class(), "MSFT_NetworkVLAN");
  // Its known defects are reported, not fatal.
  EXPECT_FALSE(mof.warnings().empty());
}

TEST(MofCompiler, ErrorsGiveFileLineColumnAndWhatWasExpected) {
  std::map<std::string, std::string> cases = {
      {"class A {\n  uint16 X\n};", "t.mof:3:1: expected ';'"},
      {"class A {\n  int X;\n};", "t.mof:2:3: 'int' is not a data type"},
      {"class A : B {};", "t.mof:1:1: superclass B of A is not defined"},
      {"class A {};\nclass A {};", "t.mof:2:1: class A is already defined"},
      {"[Bogus] class A {};", "t.mof:1:2: qualifier Bogus is not declared"},
      {"[Key] class A {};", "t.mof:1:2: qualifier Key cannot be used on a class"},
      {"class A { [MaxLen] string S; };", "t.mof:1:12: qualifier MaxLen needs a value"},
      {"class A { uint8 X = 256; };", "t.mof:1:21: 256 is out of range for uint8"},
      {"class A { uint8 X = -1; };", "t.mof:1:21: -1 is negative"},
      {"class A { string S = 5; };", "t.mof:1:22: a string value is needed"},
      {"class A { uint8 X[] = 5; };", "t.mof:1:23: property A.X is an array"},
      {"class A { string S = \"open; };", "t.mof:1:22: unterminated string"},
      {"class A { string S; string s; };", "t.mof:1:28: s is declared twice"},
      {"class A { B REF R; };",
       "t.mof:1:1: class A declares reference R but is not an association"},
      {"instance of Nope { };", "t.mof:1:13: class Nope is not defined"},
      {"class A { [Key] string K; };\ninstance of A { Q = 1; };",
       "t.mof:2:17: class A has no property Q"},
      {"class A { [Key] string K; };\ninstance of A { };",
       "t.mof:2:1: key property A.K is not set"},
      {"#pragma include (\"missing.mof\")", "t.mof:1:1: cannot open include file \"missing.mof\""},
      {"/* never closed", "t.mof:1:1: unterminated /* comment"},
      {"class A { uint32 M(uint16 P, uint16 P); };", "t.mof:1:37: parameter P is declared twice"},
      {"class A { datetime D = \"bad\"; };", "t.mof:1:24: 'bad' is not a datetime"},
      {"@", "t.mof:1:1: unexpected character '@'"},
      {"klass A {};", "t.mof:1:1: expected a class, instance or qualifier declaration"},
  };
  for (const auto& [text, expected] : cases) {
    std::string err = compile_error(text);
    EXPECT_EQ(err.rfind(expected, 0), 0u) << "for: " << text << "\n got: " << err;
  }
}

TEST(MofCompiler, LiteralsQualifiersAndMethods) {
  Repository repo;
  std::string err = compile_error(R"MOF(
#pragma locale ("en_US")
[Description ("one " "two")]
class A {
  [Key] string K;
  uint32 Hex = 0x1F;
  uint32 Oct = 017;
  uint8 Bin = 101b;
  sint8 Neg = -128;
  real64 R = -1.5e3;
  real32 F = 2;
  char16 C = '\x41';
  boolean B = TRUE;
  string Arr[] = {"a", "b"};
  uint16 Fixed[3];
  datetime When = "20240229120000.000000+000";
  string Esc = "tab\there \"q\" \\";
  [Description ("m")] uint32 Go([In] string Why, [In (false), Out] A REF Result,
                                [EmbeddedInstance ("A")] string Emb[]);
};
)MOF",
                                  &repo);
  ASSERT_EQ(err, "");
  const Class& a = repo.get_class("root/t", "A");
  EXPECT_EQ(a.qualifiers().text("Description"), "one two");
  EXPECT_EQ(a.find_property("Hex")->default_value, Value::uint32(31));
  EXPECT_EQ(a.find_property("Oct")->default_value, Value::uint32(15));
  EXPECT_EQ(a.find_property("Bin")->default_value, Value::uint8(5));
  EXPECT_EQ(a.find_property("Neg")->default_value, Value::sint8(-128));
  EXPECT_EQ(a.find_property("R")->default_value, Value::real64(-1500));
  EXPECT_EQ(a.find_property("F")->default_value, Value::real32(2));
  EXPECT_EQ(a.find_property("C")->default_value, Value::char16(u'A'));
  EXPECT_EQ(a.find_property("B")->default_value, Value::boolean(true));
  EXPECT_EQ(a.find_property("Arr")->default_value.size(), 2u);
  EXPECT_EQ(a.find_property("Fixed")->array_size, 3u);
  EXPECT_EQ(a.find_property("When")->default_value.as_datetime().day(), 29);
  EXPECT_EQ(a.find_property("Esc")->default_value.as_string(), "tab\there \"q\" \\");
  const Method* go = a.find_method("Go");
  ASSERT_NE(go, nullptr);
  EXPECT_EQ(go->parameters.size(), 3u);
  EXPECT_FALSE(go->find_parameter("Result")->is_in());
  EXPECT_TRUE(go->find_parameter("Result")->is_out());
  EXPECT_EQ(go->find_parameter("Result")->reference_class, "A");
  EXPECT_EQ(go->find_parameter("Emb")->type, Type::kInstance);
  EXPECT_TRUE(go->find_parameter("Emb")->is_array);
  // The rendering compiles again to the same class.
  std::string again = std::string(kQualifiers) + class_to_mof(a);
  Repository repo2;
  MofCompiler mof2(repo2, "root/t");
  mof2.compile_string(again, "again.mof");
  const Class& b = repo2.get_class("root/t", "A");
  ASSERT_EQ(b.properties().size(), a.properties().size());
  for (size_t i = 0; i < a.properties().size(); ++i) {
    EXPECT_EQ(b.properties()[i].default_value, a.properties()[i].default_value)
        << a.properties()[i].name;
  }
}

TEST(MofCompiler, InstancesAliasesNamespacesAndIncludes) {
  std::map<std::string, std::string> files = {
      {"dir/root.mof", std::string(kQualifiers) + "#pragma include (\"sub/classes.mof\")\n"
                                                  "#pragma namespace (\"root/other\")\n"
                                                  "#pragma include (\"sub/other.mof\")\n"},
      {"dir/sub/classes.mof",
       "class P { [Key] string Id; uint16 N; };\n"
       "class S { [Key] string Id; };\n"
       "[Association] class L { [Key] P REF Left; [Key] S REF Right; };\n"
       "instance of P as $p1 { Id = \"one\"; N = 7; };\n"
       "instance of S as $s1 { Id = \"x\"; };\n"
       "instance of L { Left = $p1; Right = $s1; };\n"},
      {"dir/sub/other.mof", std::string(kQualifiers) + "class Q { [Key] string Id; };\n"},
  };
  Repository repo;
  MofCompiler mof(repo, "root/first");
  mof.set_loader([&](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  });
  mof.compile_file("dir/root.mof");
  EXPECT_EQ(mof.stats().classes, 4u);
  EXPECT_EQ(mof.stats().instances, 3u);
  EXPECT_EQ(mof.stats().qualifier_types, 16u);
  EXPECT_NE(repo.find_class("root/first", "P"), nullptr);
  EXPECT_EQ(repo.find_class("root/first", "Q"), nullptr);
  EXPECT_NE(repo.find_class("root/other", "Q"), nullptr);
  ASSERT_EQ(mof.instances().size(), 3u);
  const CompiledInstance& link = mof.instances()[2];
  EXPECT_EQ(link.ns, "root/first");
  const ObjectPath& left = link.instance.get("Left")->as_reference();
  EXPECT_EQ(left.class_name(), "P");
  EXPECT_EQ(left.key("Id")->as_string(), "one");
  EXPECT_EQ(mof.instances()[0].alias, "p1");
}

TEST(MofCompiler, DuplicateAliasAndUnknownAliasAreErrors) {
  EXPECT_NE(compile_error("class P { [Key] string Id; };\ninstance of P as $a { Id = \"1\"; };\n"
                          "instance of P as $a { Id = \"2\"; };")
                .find("t.mof:3:18: alias $a is already defined"),
            std::string::npos);
  EXPECT_NE(
      compile_error("class P { [Key] string Id; };\n"
                    "[Association] class L { [Key] P REF R; };\ninstance of L { R = $nope; };")
          .find("alias $nope is not defined"),
      std::string::npos);
}

}  // namespace
}  // namespace cimnet::cim
