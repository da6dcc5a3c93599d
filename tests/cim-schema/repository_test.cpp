#include <gtest/gtest.h>

#include "cimnet/cim/error.h"
#include "cimnet/cim/mof.h"
#include "cimnet/cim/repository.h"

namespace cimnet::cim {
namespace {

// A small schema that exercises inheritance and every validation rule.
constexpr const char* kSchema = R"MOF(
Qualifier Abstract : boolean = false, Scope(class, association, indication), Flavor(EnableOverride, Restricted);
Qualifier Association : boolean = false, Scope(association), Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Required : boolean = false, Scope(property, reference, parameter, method), Flavor(DisableOverride, ToSubclass);
Qualifier Override : string = null, Scope(property, reference, method), Flavor(EnableOverride, Restricted);
Qualifier ValueMap : string[], Scope(property, method, parameter);
Qualifier Values : string[], Scope(property, method, parameter), Flavor(EnableOverride, ToSubclass, Translatable);
Qualifier MaxLen : uint32 = null, Scope(property, method, parameter);
Qualifier MinLen : uint32 = 0, Scope(property, method, parameter);
Qualifier MinValue : sint64 = null, Scope(property, method, parameter);
Qualifier MaxValue : sint64 = null, Scope(property, method, parameter);
Qualifier EmbeddedInstance : string = null, Scope(property, method, parameter);
Qualifier Write : boolean = false, Scope(property);
Qualifier In : boolean = true, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Out : boolean = false, Scope(parameter), Flavor(DisableOverride, ToSubclass);
Qualifier Version : string = null, Scope(class, association, indication), Flavor(EnableOverride, Restricted, Translatable);

[Abstract, Version("1.0"), Description("root")]
class T_Element {
  [Key, MaxLen(8)] string InstanceID;
  [Description("a name")] string Caption = "none";
  uint16 State = 5;
};

[Description("a port")]
class T_Port : T_Element {
  [Override("Caption"), Description("port name"), MinLen(2)] string Caption;
  [ValueMap {"0", "2", "5..7", "..", "0x8000.."}, Values {"Unknown", "Up", "Range", "Reserved", "Vendor"}]
  uint16 Mode;
  [Values {"Zero", "One"}] uint8 Flag;
  [ValueMap {"access", "trunk"}] string Kind;
  [MinValue(1), MaxValue(4094)] uint16 Vlan;
  uint16 Trunk[4];
  [Required] string Owner;
  [Write] real64 Ratio;
  [EmbeddedInstance("T_Setting")] string Setting;
  uint32 Reset([In] uint16 How, [Out] uint16 Result);
};

class T_FastPort : T_Port {
  [Override("Mode")] uint16 Mode = 2;
};

class T_Setting {
  [Key] string InstanceID;
  uint16 Value;
};

class T_Other {
  [Key] string InstanceID;
};

[Association]
class T_PortSetting {
  [Key] T_Port REF Port;
  [Key] T_Setting REF Setting;
};
)MOF";

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MofCompiler mof(repo_, "root/test");
    mof.compile_string(kSchema, "schema.mof");
  }

  Instance port() const {
    Instance i("T_Port");
    i.set("InstanceID", Value::string("p1"));
    i.set("Owner", Value::string("ops"));
    return i;
  }

  // Validates and returns the status plus message.
  std::pair<Status, std::string> check(const Instance& inst,
                                       Validation mode = Validation::kCreate) {
    try {
      repo_.validate_instance("root/test", inst, mode);
    } catch (const Error& e) {
      return {e.status(), e.what()};
    }
    return {Status::kOk, ""};
  }

  Repository repo_;
};

TEST_F(RepositoryTest, InheritedMembersComeFirstAndKeepTheirOrigin) {
  const Class& port = repo_.get_class("root/test", "T_Port");
  ASSERT_GE(port.properties().size(), 4u);
  EXPECT_EQ(port.properties()[0].name, "InstanceID");
  EXPECT_EQ(port.properties()[0].class_origin, "T_Element");
  EXPECT_TRUE(port.properties()[0].propagated);
  EXPECT_TRUE(port.properties()[0].is_key());
  EXPECT_EQ(port.properties()[1].name, "Caption");
  EXPECT_EQ(port.properties()[1].class_origin, "T_Port");
  EXPECT_FALSE(port.properties()[1].propagated);
  EXPECT_EQ(port.properties()[3].name, "Mode");
  EXPECT_EQ(port.key_properties().size(), 1u);
  ASSERT_NE(port.find_method("reset"), nullptr);
  EXPECT_TRUE(port.find_method("Reset")->find_parameter("Result")->is_out());
  EXPECT_TRUE(port.find_method("Reset")->find_parameter("How")->is_in());
}

TEST_F(RepositoryTest, QualifierFlavorsDecidePropagation) {
  const Class& element = repo_.get_class("root/test", "T_Element");
  const Class& port = repo_.get_class("root/test", "T_Port");
  EXPECT_TRUE(element.is_abstract());
  EXPECT_FALSE(port.is_abstract());                       // Abstract is Restricted
  EXPECT_EQ(port.qualifiers().find("Version"), nullptr);  // Restricted
  EXPECT_EQ(port.qualifiers().text("Description"), "a port");
  // Override replaced the Description and kept the inherited default value.
  const Property* caption = port.find_property("Caption");
  EXPECT_EQ(caption->qualifiers.text("Description"), "port name");
  EXPECT_EQ(caption->default_value, Value::string("none"));
  EXPECT_EQ(caption->qualifiers.find("Override")->propagated, false);
  // The overriding subclass does not inherit Override (Restricted) but does
  // inherit ValueMap, and its new default wins.
  const Class& fast = repo_.get_class("root/test", "T_FastPort");
  const Property* mode = fast.find_property("Mode");
  EXPECT_EQ(mode->default_value, Value::uint16(2));
  ASSERT_NE(mode->qualifiers.find("ValueMap"), nullptr);
  EXPECT_TRUE(mode->qualifiers.find("ValueMap")->propagated);
  EXPECT_EQ(fast.find_property("Caption")->qualifiers.find("Override"), nullptr);
  EXPECT_EQ(fast.find_property("Caption")->qualifiers.text("Description"), "port name");
  // Description propagates to a class that does not restate it.
  EXPECT_EQ(fast.qualifiers().text("Description"), "a port");
  EXPECT_TRUE(fast.qualifiers().find("Description")->propagated);
  // Association (ToSubclass) makes T_PortSetting an association.
  EXPECT_TRUE(repo_.get_class("root/test", "T_PortSetting").is_association());
  // Embedded-instance strings are kInstance in the model.
  EXPECT_EQ(port.find_property("Setting")->type, Type::kInstance);
  EXPECT_EQ(port.find_property("Setting")->embedded_class(), "T_Setting");
}

TEST_F(RepositoryTest, IsAAndSubclasses) {
  EXPECT_TRUE(repo_.is_a("root/test", "T_FastPort", "t_element"));
  EXPECT_TRUE(repo_.is_a("root/test", "T_Port", "T_Port"));
  EXPECT_FALSE(repo_.is_a("root/test", "T_Element", "T_Port"));
  EXPECT_FALSE(repo_.is_a("root/test", "T_Nope", "T_Element"));
  EXPECT_FALSE(repo_.is_a("root/nope", "T_Port", "T_Element"));
  auto direct = repo_.subclasses("root/test", "T_Element", false);
  ASSERT_EQ(direct.size(), 1u);
  EXPECT_EQ(direct[0]->name(), "T_Port");
  auto deep = repo_.subclasses("root/test", "T_Element", true);
  ASSERT_EQ(deep.size(), 2u);
  EXPECT_EQ(deep[1]->name(), "T_FastPort");
  EXPECT_EQ(repo_.superclass_chain("root/test", "T_FastPort"),
            (std::vector<std::string>{"T_FastPort", "T_Port", "T_Element"}));
  EXPECT_NE(repo_.find_class("ROOT/Test", "t_port"), nullptr);
  EXPECT_TRUE(repo_.has_namespace("root\\test"));
}

TEST_F(RepositoryTest, LookupErrors) {
  try {
    repo_.get_class("root/nope", "T_Port");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kInvalidNamespace);
  }
  try {
    repo_.get_class("root/test", "T_Nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kInvalidClass);
    EXPECT_NE(std::string(e.what()).find("T_Nope"), std::string::npos);
  }
}

TEST_F(RepositoryTest, ClassDefinitionErrors) {
  auto status = [&](Class c) {
    try {
      repo_.add_class("root/test", std::move(c));
    } catch (const Error& e) {
      return e.status();
    }
    return Status::kOk;
  };
  EXPECT_EQ(status(Class("T_Port", "")), Status::kAlreadyExists);
  EXPECT_EQ(status(Class("T_X", "T_Missing")), Status::kInvalidSuperclass);
  Class wrong_type("T_Bad", "T_Port");
  Property p;
  p.name = "Mode";
  p.type = Type::kString;
  wrong_type.properties().push_back(p);
  EXPECT_EQ(status(std::move(wrong_type)), Status::kInvalidParameter);
  Class key_off("T_Bad2", "T_Port");
  Property k;
  k.name = "InstanceID";
  k.type = Type::kString;
  Qualifier q{"Key", Value::boolean(false), Flavor{false, true, false}, false};
  k.qualifiers.set(q);
  key_off.properties().push_back(k);
  EXPECT_EQ(status(std::move(key_off)), Status::kInvalidParameter);  // Key is DisableOverride
  Class ref_in_plain("T_Bad3", "");
  Property r;
  r.name = "Other";
  r.type = Type::kReference;
  r.reference_class = "T_Port";
  ref_in_plain.properties().push_back(r);
  EXPECT_EQ(status(std::move(ref_in_plain)), Status::kInvalidParameter);
  // Nothing half-added.
  EXPECT_EQ(repo_.find_class("root/test", "T_Bad"), nullptr);
}

TEST_F(RepositoryTest, ValidInstancePasses) {
  Instance i = port();
  i.set("Mode", Value::uint16(6));
  i.set("Kind", Value::string("trunk"));
  i.set("Vlan", Value::uint16(4094));
  i.set("Trunk", Value::array(Type::kUint16, {Value::uint16(1), Value::uint16(2)}));
  i.set("Caption", Value::string("ab"));
  i.set("Ratio", Value::real64(0.5));
  Instance setting("T_Setting");
  setting.set("InstanceID", Value::string("s"));
  i.set("Setting", Value::instance(setting));
  EXPECT_EQ(check(i).first, Status::kOk) << check(i).second;
  for (uint16_t mode : {0, 2, 5, 7, 8, 100, 32767, 32768, 65535}) {
    i.set("Mode", Value::uint16(mode));
    EXPECT_EQ(check(i).first, Status::kOk) << mode << ": " << check(i).second;
  }
}

TEST_F(RepositoryTest, EachValidationError) {
  struct Case {
    const char* what;
    std::function<void(Instance&)> change;
    Status status;
    const char* message_part;
  };
  Instance setting_other("T_Other");
  setting_other.set("InstanceID", Value::string("o"));
  std::vector<Case> cases = {
      {"unknown property", [](Instance& i) { i.set("Bogus", Value::uint16(1)); },
       Status::kNoSuchProperty, "Bogus"},
      {"wrong type", [](Instance& i) { i.set("Vlan", Value::string("10")); }, Status::kTypeMismatch,
       "T_Port.Vlan"},
      {"scalar for array", [](Instance& i) { i.set("Trunk", Value::uint16(1)); },
       Status::kTypeMismatch, "Trunk"},
      {"ValueMap hole", [](Instance& i) { i.set("Mode", Value::uint16(1)); },
       Status::kInvalidParameter, "ValueMap"},
      {"ValueMap hole 2", [](Instance& i) { i.set("Mode", Value::uint16(3)); },
       Status::kInvalidParameter, "ValueMap"},
      {"Values index", [](Instance& i) { i.set("Flag", Value::uint8(2)); },
       Status::kInvalidParameter, "Values"},
      {"string ValueMap", [](Instance& i) { i.set("Kind", Value::string("Trunk")); },
       Status::kInvalidParameter, "Kind"},
      {"MaxLen", [](Instance& i) { i.set("InstanceID", Value::string("123456789")); },
       Status::kInvalidParameter, "MaxLen"},
      {"MinLen", [](Instance& i) { i.set("Caption", Value::string("a")); },
       Status::kInvalidParameter, "MinLen"},
      {"MinValue", [](Instance& i) { i.set("Vlan", Value::uint16(0)); }, Status::kInvalidParameter,
       "MinValue"},
      {"MaxValue", [](Instance& i) { i.set("Vlan", Value::uint16(4095)); },
       Status::kInvalidParameter, "MaxValue"},
      {"array size",
       [](Instance& i) {
         i.set("Trunk",
               Value::array(Type::kUint16, {Value::uint16(1), Value::uint16(2), Value::uint16(3),
                                            Value::uint16(4), Value::uint16(5)}));
       },
       Status::kInvalidParameter, "at most 4"},
      {"missing key", [](Instance& i) { i.remove("InstanceID"); }, Status::kInvalidParameter,
       "key property T_Port.InstanceID"},
      {"NULL key", [](Instance& i) { i.set("InstanceID", Value::null(Type::kString)); },
       Status::kInvalidParameter, "InstanceID"},
      {"missing required", [](Instance& i) { i.remove("Owner"); }, Status::kInvalidParameter,
       "required property T_Port.Owner"},
      {"embedded class", [&](Instance& i) { i.set("Setting", Value::instance(setting_other)); },
       Status::kTypeMismatch, "T_Setting"},
      {"abstract class",
       [](Instance& i) {
         i.set_class_name("T_Element");
         i.remove("Owner");
       },
       Status::kInvalidClass, "abstract"},
      {"unknown class", [](Instance& i) { i.set_class_name("T_Nope"); }, Status::kInvalidClass,
       "T_Nope"},
  };
  for (const auto& c : cases) {
    Instance i = port();
    c.change(i);
    auto [status, message] = check(i);
    EXPECT_EQ(status, c.status) << c.what << ": " << message;
    EXPECT_NE(message.find(c.message_part), std::string::npos) << c.what << ": " << message;
  }
}

TEST_F(RepositoryTest, ModifyChecksOnlyWhatIsPresent) {
  Instance partial("T_Port");
  partial.set("Vlan", Value::uint16(10));
  EXPECT_EQ(check(partial, Validation::kModify).first, Status::kOk);
  EXPECT_EQ(check(partial, Validation::kCreate).first, Status::kInvalidParameter);
  partial.set("Vlan", Value::uint16(5000));
  EXPECT_EQ(check(partial, Validation::kModify).first, Status::kInvalidParameter);
}

TEST_F(RepositoryTest, ReferencesMustPointAtTheRightClass) {
  Instance assoc("T_PortSetting");
  assoc.set("Port", Value::reference(ObjectPath("root/test", "T_FastPort",
                                                {{"InstanceID", Value::string("p")}})));
  assoc.set("Setting",
            Value::reference(ObjectPath("", "T_Setting", {{"InstanceID", Value::string("s")}})));
  EXPECT_EQ(check(assoc).first, Status::kOk) << check(assoc).second;
  assoc.set("Port", Value::reference(ObjectPath("root/test", "T_Setting",
                                                {{"InstanceID", Value::string("s")}})));
  EXPECT_EQ(check(assoc).first, Status::kTypeMismatch);
  assoc.set("Port", Value::reference(
                        ObjectPath("root/test", "T_Ghost", {{"InstanceID", Value::string("s")}})));
  EXPECT_EQ(check(assoc).first, Status::kInvalidParameter);
}

TEST(QualifierTypes, RedeclaringDifferentlyIsAnError) {
  Repository repo;
  repo.add_namespace("root/x");
  QualifierType q;
  q.name = "Key";
  q.type = Type::kBoolean;
  q.default_value = Value::boolean(false);
  q.scopes = kScopeProperty;
  repo.add_qualifier_type("root/x", q);
  repo.add_qualifier_type("root/x", q);  // identical: fine
  q.scopes = kScopeClass;
  try {
    repo.add_qualifier_type("root/x", q);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kAlreadyExists);
  }
  EXPECT_EQ(repo.qualifier_types("root/x").size(), 1u);
}

}  // namespace
}  // namespace cimnet::cim
