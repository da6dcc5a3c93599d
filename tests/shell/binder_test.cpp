// Parameter binder: the PowerShell algorithm on a cmdlet shaped like Windows'
// Set-NetworkSwitchPortMode (parameter sets chosen by switches, pipeline binding).

#include <gtest/gtest.h>

#include "cimnet/shell/binder.h"

namespace cimnet::shell {
namespace {

CommandDef port_mode_def() {
  CommandRegistry reg;
  CommandDef d("Set-PortMode");
  d.param(Param("PortNumber", ParamType::Int).array().position(0).mandatory().pipeline_by_name());
  d.param(Param("AccessMode", ParamType::Switch).set("Access").mandatory());
  d.param(Param("AccessVlan", ParamType::Int).alias("VlanID").set("Access").mandatory());
  d.param(Param("TrunkMode", ParamType::Switch).set("Trunk").mandatory());
  d.param(Param("TrunkVlans", ParamType::Int).array().set("Trunk").mandatory());
  d.param(Param("InputObject", ParamType::Object).object_type("Port").pipeline());
  d.param(Param("Mode", ParamType::String).validate_set({"Fast", "Slow"}));
  d.default_set("Access").should_process();
  reg.add(d);
  return *reg.find("Set-PortMode");
}

ArgumentValue named(std::string n) {
  ArgumentValue a;
  a.is_parameter = true;
  a.name = std::move(n);
  return a;
}
ArgumentValue arg(Value v) {
  ArgumentValue a;
  a.value = std::move(v);
  return a;
}

std::string bind_error(const CommandDef& d, std::vector<ArgumentValue> args,
                       bool expects_input = false) {
  ParameterBinder b(d, expects_input);
  try {
    b.bind_command_line(args);
    if (!expects_input) b.finish();
  } catch (const RuntimeError& e) {
    EXPECT_FALSE(e.script_terminating);
    return e.record.error_id + ": " + e.record.message;
  }
  return "";
}

TEST(Binder, NamedPrefixAliasAndPositionalSelectTheSet) {
  auto d = port_mode_def();
  ParameterBinder ok(d, false);
  ok.bind_command_line({arg(Value::array({Value(1), Value(4)})), named("AccessM"), named("VlanID"),
                        arg(Value("10"))});
  ok.finish();
  EXPECT_EQ(ok.bound().set, "Access");
  ASSERT_TRUE(ok.bound().has("AccessVlan"));
  EXPECT_TRUE(ok.bound().find("AccessVlan")->is_int());  // converted from "10"
  EXPECT_EQ(ok.bound().find("PortNumber")->as_array()->size(), 2u);
  ParameterBinder trunk(d, false);
  trunk.bind_command_line({named("TrunkMode"), named("TrunkVlans"),
                           arg(Value::array({Value(10), Value(20)})), arg(Value(3))});
  trunk.finish();
  EXPECT_EQ(trunk.bound().set, "Trunk");
}

TEST(Binder, ErrorsUsePowerShellMessages) {
  auto d = port_mode_def();
  EXPECT_EQ(bind_error(d, {arg(Value(1)), named("Acc")}),
            "AmbiguousParameter: Parameter cannot be processed because the parameter name 'Acc' is "
            "ambiguous. Possible matches include: -AccessMode -AccessVlan.");
  EXPECT_EQ(
      bind_error(d, {named("Nope")}),
      "NamedParameterNotFound: A parameter cannot be found that matches parameter name 'Nope'.");
  EXPECT_EQ(bind_error(d, {arg(Value(1)), named("AccessMode"), named("TrunkMode")}).substr(0, 21),
            "AmbiguousParameterSet");
  EXPECT_EQ(bind_error(d, {arg(Value(1)), named("AccessMode")}),
            "MissingMandatoryParameter: Cannot process command because of one or more missing "
            "mandatory parameters: AccessVlan.");
  EXPECT_EQ(bind_error(d, {named("AccessVlan")}),
            "MissingArgument: Missing an argument for parameter 'AccessVlan'. Specify a parameter "
            "of type 'System.Int32' and try again.");
  EXPECT_EQ(
      bind_error(d, {named("AccessVlan"), arg(Value("ten"))}),
      "CannotConvertArgumentNoMessage: Cannot bind parameter 'AccessVlan'. Cannot convert value "
      "\"ten\" to type \"System.Int32\". Error: \"Input string was not in a correct format.\"");
  EXPECT_EQ(bind_error(d, {arg(Value(1)), arg(Value(2))}),
            "PositionalParameterNotFound: A positional parameter cannot be found that accepts "
            "argument '2'.");
  EXPECT_EQ(bind_error(d, {named("AccessVlan"), arg(Value(1)), named("AccessVlan"), arg(Value(2))})
                .substr(0, 21),
            "ParameterAlreadyBound");
  EXPECT_EQ(bind_error(d, {named("Mode"), arg(Value("Medium"))}).substr(0, 32),
            "ParameterArgumentValidationError");
  EXPECT_EQ(bind_error(d, {named("ErrorAction"), arg(Value("Sometimes"))}).substr(0, 32),
            "ParameterArgumentValidationError");
}

TEST(Binder, CommonAndRiskParametersAreAddedByTheRegistry) {
  auto d = port_mode_def();
  ParameterBinder b(d, false);
  b.bind_command_line({arg(Value(1)), named("AccessMode"), named("AccessVlan"), arg(Value(5)),
                       named("wi"), named("ea"), arg(Value("Stop"))});
  b.finish();
  EXPECT_TRUE(to_bool(*b.bound().find("WhatIf")));
  EXPECT_EQ(to_string(*b.bound().find("ErrorAction")), "Stop");
}

TEST(Binder, PipelineBindsByValueThenByPropertyNamePerObject) {
  auto d = port_mode_def();
  ParameterBinder b(d, true);
  b.bind_command_line({named("AccessMode"), named("AccessVlan"), arg(Value(7))});
  // ByPropertyName: PortNumber from the object's property
  auto obj = make_object({{"PortNumber", Value(3)}}, "Port");
  ErrorRecord err;
  ASSERT_TRUE(b.bind_pipeline_object(Value(obj), err)) << err.message;
  EXPECT_EQ(b.bound().set, "Access");
  EXPECT_TRUE(b.bound().has("InputObject"));  // ByValue, the object is a Port
  EXPECT_EQ(to_string(*b.bound().find("PortNumber")), "3");
  // the next object starts again from the command-line bindings
  auto other = make_object({{"PortNumber", Value(9)}}, "Other");
  ASSERT_TRUE(b.bind_pipeline_object(Value(other), err)) << err.message;
  EXPECT_FALSE(b.bound().has("InputObject"));
  EXPECT_EQ(to_string(*b.bound().find("PortNumber")), "9");
  // a string binds to nothing
  EXPECT_FALSE(b.bind_pipeline_object(Value("x"), err));
  EXPECT_EQ(err.error_id, "InputObjectNotBound");
  // an object without PortNumber leaves the mandatory parameter unbound
  auto port_without_number = make_object({{"Name", Value("p")}}, "Port");
  EXPECT_FALSE(b.bind_pipeline_object(Value(port_without_number), err));
  EXPECT_EQ(err.error_id, "InputObjectMissingMandatory");
}

TEST(Binder, SyntaxLinesFollowTheParameterSets) {
  auto d = port_mode_def();
  auto lines = d.syntax();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "Set-PortMode [-PortNumber] <int[]> -AccessMode -AccessVlan <int> [-InputObject "
            "<Port>] [-Mode {Fast | Slow}] [-WhatIf] [-Confirm] [<CommonParameters>]");
}

}  // namespace
}  // namespace cimnet::shell
