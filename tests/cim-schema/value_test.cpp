#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "cimnet/cim/error.h"
#include "cimnet/cim/instance.h"
#include "cimnet/cim/value.h"

namespace cimnet::cim {
namespace {

Status status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::kOk;
}

// Text -> value -> text must give back the canonical text.
void expect_round_trip(Type type, const std::string& text, const std::string& canonical = "") {
  Value v = Value::from_text(type, text);
  EXPECT_EQ(v.type(), type);
  EXPECT_FALSE(v.is_null());
  std::string out = v.to_text();
  EXPECT_EQ(out, canonical.empty() ? text : canonical) << type_name(type) << " " << text;
  EXPECT_EQ(Value::from_text(type, out), v) << type_name(type) << " " << text;
}

TEST(TypeNames, ParseAndPrint) {
  for (Type t : {Type::kBoolean, Type::kString, Type::kChar16, Type::kUint8, Type::kSint8,
                 Type::kUint16, Type::kSint16, Type::kUint32, Type::kSint32, Type::kUint64,
                 Type::kSint64, Type::kReal32, Type::kReal64, Type::kDatetime}) {
    auto parsed = parse_type_name(type_name(t));
    ASSERT_TRUE(parsed.has_value()) << type_name(t);
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(parse_type_name("UINT16"), Type::kUint16);
  EXPECT_FALSE(parse_type_name("int").has_value());
  EXPECT_FALSE(parse_type_name("ref").has_value());
}

TEST(ValueText, Boolean) {
  expect_round_trip(Type::kBoolean, "true");
  expect_round_trip(Type::kBoolean, "false");
  expect_round_trip(Type::kBoolean, "1", "true");
  expect_round_trip(Type::kBoolean, "0", "false");
  expect_round_trip(Type::kBoolean, " TRUE ", "true");
  EXPECT_EQ(status_of([] { Value::from_text(Type::kBoolean, "yes"); }), Status::kInvalidParameter);
}

TEST(ValueText, IntegersAtTheirLimits) {
  expect_round_trip(Type::kUint8, "0");
  expect_round_trip(Type::kUint8, "255");
  expect_round_trip(Type::kSint8, "-128");
  expect_round_trip(Type::kSint8, "127");
  expect_round_trip(Type::kUint16, "65535");
  expect_round_trip(Type::kSint16, "-32768");
  expect_round_trip(Type::kUint32, "4294967295");
  expect_round_trip(Type::kSint32, "-2147483648");
  expect_round_trip(Type::kUint64, "18446744073709551615");
  expect_round_trip(Type::kSint64, "-9223372036854775808");
  expect_round_trip(Type::kSint64, "9223372036854775807");
  expect_round_trip(Type::kUint16, "+42", "42");
  expect_round_trip(Type::kUint16, "007", "7");
  expect_round_trip(Type::kSint32, "-0", "0");
  expect_round_trip(Type::kUint32, " 12\n", "12");
}

TEST(ValueText, IntegerErrorsNameTheTypeAndRange) {
  struct Case {
    Type type;
    const char* text;
  } bad[] = {{Type::kUint8, "256"},
             {Type::kSint8, "-129"},
             {Type::kSint8, "128"},
             {Type::kUint16, "65536"},
             {Type::kUint16, "-1"},
             {Type::kSint16, "32768"},
             {Type::kUint32, "4294967296"},
             {Type::kSint32, "2147483648"},
             {Type::kUint64, "18446744073709551616"},
             {Type::kSint64, "9223372036854775808"},
             {Type::kSint64, "-9223372036854775809"},
             {Type::kUint8, ""},
             {Type::kUint8, "1.0"},
             {Type::kUint8, "0x10"},
             {Type::kUint8, "12a"},
             {Type::kSint8, "--1"}};
  for (const auto& c : bad) {
    try {
      Value::from_text(c.type, c.text);
      ADD_FAILURE() << "accepted " << c.text << " as " << type_name(c.type);
    } catch (const Error& e) {
      EXPECT_EQ(e.status(), Status::kInvalidParameter);
      EXPECT_NE(std::string(e.what()).find(std::string(type_name(c.type))), std::string::npos)
          << e.what();
    }
  }
  try {
    Value::from_text(Type::kUint8, "300");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("0..255"), std::string::npos) << e.what();
  }
}

TEST(ValueText, Reals) {
  expect_round_trip(Type::kReal64, "1.5");
  expect_round_trip(Type::kReal64, "-0.1");
  expect_round_trip(Type::kReal64, "1e+300");
  expect_round_trip(Type::kReal64, "2.2250738585072014e-308");
  expect_round_trip(Type::kReal64, "INF");
  expect_round_trip(Type::kReal64, "-INF");
  expect_round_trip(Type::kReal64, "NaN");
  expect_round_trip(Type::kReal64, "+INF", "INF");
  expect_round_trip(Type::kReal64, "3", "3");
  expect_round_trip(Type::kReal64, "1E3", "1000");
  expect_round_trip(Type::kReal32, "0.1");
  expect_round_trip(Type::kReal32, "3.4028235e+38");
  expect_round_trip(Type::kReal64, "1e-400", "0");
  expect_round_trip(Type::kReal64, "-1e-400", "-0");
  EXPECT_EQ(Value::from_text(Type::kReal32, "0.1").as_real(), static_cast<double>(0.1f));
  EXPECT_TRUE(std::isnan(Value::from_text(Type::kReal64, "NaN").as_real()));
  EXPECT_EQ(status_of([] { Value::from_text(Type::kReal32, "1e39"); }), Status::kInvalidParameter);
  EXPECT_EQ(status_of([] { Value::from_text(Type::kReal64, "1e400"); }), Status::kInvalidParameter);
  for (const char* bad : {"", "inf", "nan", "0x1p3", "1.2.3", "e5", "1e", ".", "1,5"}) {
    EXPECT_EQ(status_of([&] { Value::from_text(Type::kReal64, bad); }), Status::kInvalidParameter)
        << bad;
  }
}

TEST(ValueText, StringsAndChar16) {
  expect_round_trip(Type::kString, "");
  expect_round_trip(Type::kString, "  keeps  spaces ");
  expect_round_trip(Type::kString, "Grüße <&> \"quoted\"");
  expect_round_trip(Type::kChar16, "A");
  expect_round_trip(Type::kChar16, "é");
  expect_round_trip(Type::kChar16, "€");
  EXPECT_EQ(Value::from_text(Type::kChar16, "€").as_char16(), u'€');
  for (const char* bad : {"", "AB", "\xF0\x9F\x98\x80" /* outside the BMP */, "\xC3"}) {
    EXPECT_EQ(status_of([&] { Value::from_text(Type::kChar16, bad); }), Status::kInvalidParameter)
        << bad;
  }
}

TEST(ValueText, Datetimes) {
  expect_round_trip(Type::kDatetime, "2010-12-31T12:30:03.123456+06:00");
  expect_round_trip(Type::kDatetime, "2010-12-31T12:30:03Z");
  expect_round_trip(Type::kDatetime, "2024-02-29T00:00:00-05:30");
  expect_round_trip(Type::kDatetime, "2010-12-31T12:30:03.5Z", "2010-12-31T12:30:03.500000Z");
  expect_round_trip(Type::kDatetime, "2010-12-31", "2010-12-31T00:00:00Z");
  expect_round_trip(Type::kDatetime, "2010-12-31+02:00", "2010-12-31T00:00:00+02:00");
  expect_round_trip(Type::kDatetime, "P1DT10H11M12S");
  expect_round_trip(Type::kDatetime, "PT0S");
  expect_round_trip(Type::kDatetime, "P3D");
  expect_round_trip(Type::kDatetime, "PT1.000001S");
  expect_round_trip(Type::kDatetime, "PT36H", "P1DT12H");
  expect_round_trip(Type::kDatetime, "PT90M", "PT1H30M");
  expect_round_trip(Type::kDatetime, "12:30:03Z");
  expect_round_trip(Type::kDatetime, "12:30:03.25+01:00", "12:30:03.250000+01:00");
  // The DSP0004 string form is accepted and printed back as XML.
  expect_round_trip(Type::kDatetime, "20101231123003.123456+360",
                    "2010-12-31T12:30:03.123456+06:00");
  expect_round_trip(Type::kDatetime, "00000001101112.000000:000", "P1DT10H11M12S");
  expect_round_trip(Type::kDatetime, "********123003.000000-060", "12:30:03-01:00");

  Datetime ts = Datetime::parse_xml("2010-12-31T12:30:03.123456+06:00");
  EXPECT_EQ(ts.to_cim(), "20101231123003.123456+360");
  EXPECT_EQ(Datetime::parse_cim(ts.to_cim()), ts);
  Datetime iv = Datetime::parse_xml("P1DT10H11M12S");
  EXPECT_EQ(iv.to_cim(), "00000001101112.000000:000");
  EXPECT_TRUE(iv.is_interval());

  for (const char* bad :
       {"2010-02-30T00:00:00Z", "2011-02-29", "2010-13-01", "2010-12-31T24:00:00Z",
        "2010-12-31T12:60:00Z", "P1Y", "P1M", "-P1D", "P", "PT1.5M", "PT1.1234567S",
        "20101231123003.123456*360", "2010123112300.123456+360", "yesterday",
        "2010-12-31T12:30:03+25:00", "201012311230**.000000+000"}) {
    EXPECT_EQ(status_of([&] { Value::from_text(Type::kDatetime, bad); }), Status::kInvalidParameter)
        << bad;
  }
  EXPECT_EQ(Value::from_text(Type::kDatetime, "PT1.1234560S").to_text(), "PT1.123456S");
}

TEST(ValueText, ReferencesAndInstancesHaveNoTextForm) {
  Value ref = Value::reference(ObjectPath("root/cimv2", "CIM_Foo", {{"Name", Value::string("x")}}));
  EXPECT_EQ(status_of([&] { (void)ref.to_text(); }), Status::kInvalidParameter);
  EXPECT_EQ(status_of([] { Value::from_text(Type::kReference, "x"); }), Status::kInvalidParameter);
  EXPECT_EQ(status_of([] { Value::from_text(Type::kInstance, "x"); }), Status::kInvalidParameter);
}

TEST(Value, NullsAndArrays) {
  Value n = Value::null(Type::kUint16, true);
  EXPECT_TRUE(n.is_null());
  EXPECT_TRUE(n.is_array());
  EXPECT_EQ(n.type(), Type::kUint16);
  EXPECT_EQ(n.to_mof(), "null");
  EXPECT_EQ(status_of([&] { (void)n.size(); }), Status::kTypeMismatch);
  EXPECT_EQ(status_of([&] { (void)n.as_uint(); }), Status::kTypeMismatch);
  EXPECT_NE(n, Value::null(Type::kUint16, false));
  EXPECT_NE(n, Value::null(Type::kUint32, true));

  Value a = Value::array(Type::kUint16, {Value::uint16(1), Value::uint16(4)});
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.at(1).as_uint(), 4u);
  EXPECT_EQ(a.to_mof(), "{1, 4}");
  EXPECT_EQ(status_of([&] { (void)a.at(2); }), Status::kInvalidParameter);
  EXPECT_EQ(status_of([] { Value::array(Type::kUint16, {Value::uint32(1)}); }),
            Status::kTypeMismatch);
  EXPECT_EQ(status_of([] { Value::array(Type::kUint16, {Value::null(Type::kUint16)}); }),
            Status::kTypeMismatch);
  Value empty = Value::array(Type::kString, {});
  EXPECT_FALSE(empty.is_null());
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_NE(empty, Value::null(Type::kString, true));
}

TEST(Value, Accessors) {
  EXPECT_EQ(Value::sint8(-5).as_int(), -5);
  EXPECT_EQ(status_of([] { (void)Value::sint8(-5).as_uint(); }), Status::kTypeMismatch);
  EXPECT_EQ(Value::uint64(7).as_real(), 7.0);
  EXPECT_EQ(status_of([] { (void)Value::uint64(~0ull).as_int(); }), Status::kTypeMismatch);
  EXPECT_EQ(status_of([] { (void)Value::string("x").as_bool(); }), Status::kTypeMismatch);
  EXPECT_EQ(status_of([] { Value::integer(Type::kUint8, 256); }), Status::kInvalidParameter);
  EXPECT_EQ(status_of([] { Value::integer(Type::kUint8, -1); }), Status::kInvalidParameter);
  EXPECT_EQ(status_of([] { Value::integer(Type::kString, 1); }), Status::kTypeMismatch);
  EXPECT_EQ(status_of([] { Value::char16(0xd800); }), Status::kInvalidParameter);
}

TEST(Value, Conversions) {
  EXPECT_EQ(Value::uint8(200).convert_to(Type::kSint16), Value::sint16(200));
  EXPECT_EQ(status_of([] { Value::uint16(300).convert_to(Type::kUint8); }),
            Status::kInvalidParameter);
  EXPECT_EQ(status_of([] { Value::sint8(-1).convert_to(Type::kUint32); }),
            Status::kInvalidParameter);
  EXPECT_EQ(Value::string("42").convert_to(Type::kUint32), Value::uint32(42));
  EXPECT_EQ(Value::uint32(42).convert_to(Type::kString), Value::string("42"));
  EXPECT_EQ(Value::uint32(3).convert_to(Type::kReal64), Value::real64(3));
  EXPECT_EQ(status_of([] { Value::real64(1.5).convert_to(Type::kUint8); }), Status::kTypeMismatch);
  EXPECT_EQ(Value::null(Type::kString).convert_to(Type::kUint8), Value::null(Type::kUint8));
  Value arr = Value::array(Type::kString, {Value::string("1"), Value::string("2")});
  EXPECT_EQ(arr.convert_to(Type::kUint16),
            Value::array(Type::kUint16, {Value::uint16(1), Value::uint16(2)}));
  Value path = Value::string("root/cimv2:CIM_Foo.Name=\"a\"").convert_to(Type::kReference);
  EXPECT_EQ(path.as_reference().class_name(), "CIM_Foo");
}

TEST(Value, MofLiterals) {
  EXPECT_EQ(Value::string("a\"b\\c\n").to_mof(), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(Value::char16(u'\'').to_mof(), "'\\''");
  EXPECT_EQ(Value::boolean(true).to_mof(), "true");
  EXPECT_EQ(Value::datetime(Datetime::parse_xml("P1D")).to_mof(), "\"00000001000000.000000:000\"");
  EXPECT_EQ(Value::array(Type::kString, {Value::string("a"), Value::string("b")}).to_mof(),
            "{\"a\", \"b\"}");
}

TEST(ObjectPath, ParsePrintAndCompare) {
  ObjectPath p = ObjectPath::parse(
      "//host/root/cimv2:CIM_EthernetPort.CreationClassName=\"CIM_EthernetPort\",DeviceID=\"port "
      "\\\"1\\\"\","
      "SystemName=\"sw\",Index=3,Neg=-4,Flag=TRUE");
  EXPECT_EQ(p.ns(), "root/cimv2");
  EXPECT_EQ(p.class_name(), "CIM_EthernetPort");
  ASSERT_EQ(p.keys().size(), 6u);
  EXPECT_EQ(p.key("deviceid")->as_string(), "port \"1\"");
  EXPECT_EQ(p.key("Index")->as_uint(), 3u);
  EXPECT_EQ(p.key("Neg")->as_int(), -4);
  EXPECT_TRUE(p.key("Flag")->as_bool());
  ObjectPath again = ObjectPath::parse(p.to_string());
  EXPECT_EQ(again, p);
  // Key order and case do not matter; values do.
  ObjectPath a = ObjectPath::parse("root/cimv2:X.A=\"1\",B=\"2\"");
  ObjectPath b = ObjectPath::parse("ROOT/CIMV2:x.b=\"2\",a=\"1\"");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, ObjectPath::parse("root/cimv2:X.A=\"1\",B=\"3\""));
  // A typed key equals the untyped literal with the same text.
  ObjectPath typed("root/cimv2", "X", {{"N", Value::uint16(3)}});
  EXPECT_EQ(typed, ObjectPath::parse("root/cimv2:X.N=3"));
  EXPECT_EQ(ObjectPath::parse("CIM_Singleton=@").keys().size(), 0u);
  for (const char* bad :
       {"", ".A=1", "root/cimv2:X.", "X.A", "X.A=\"unterminated", "X A=1", "X.A=1;B=2"}) {
    EXPECT_EQ(status_of([&] { ObjectPath::parse(bad); }), Status::kInvalidParameter) << bad;
  }
}

TEST(Instance, SetGetIsCaseInsensitive) {
  Instance inst("CIM_Foo");
  inst.set("Name", Value::string("a"));
  inst.set("NAME", Value::string("b"));
  ASSERT_EQ(inst.properties().size(), 1u);
  EXPECT_EQ(inst.get("name")->as_string(), "b");
  EXPECT_TRUE(inst.remove("nAmE"));
  EXPECT_FALSE(inst.has("Name"));
  Value embedded = Value::instance(Instance("CIM_Bar"));
  EXPECT_EQ(embedded.as_instance().class_name(), "CIM_Bar");
}

}  // namespace
}  // namespace cimnet::cim
