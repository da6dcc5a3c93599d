#include <gtest/gtest.h>

#include "agent/wsman/wql.h"
#include "cimnet/cim/value.h"

namespace cimnet::wsman::wql {
namespace {

cim::Instance port() {
  cim::Instance i("CIM_EthernetPort");
  i.set("Name", cim::Value::string("eth1"));
  i.set("Speed", cim::Value::uint64(10'000'000'000ull));
  i.set("PortNumber", cim::Value::uint16(7));
  i.set("Enabled", cim::Value::boolean(true));
  i.set("Offset", cim::Value::sint32(-5));
  i.set("Ratio", cim::Value::real64(0.5));
  i.set("Description", cim::Value::null(cim::Type::kString));
  return i;
}

bool is_a(std::string_view c, std::string_view a) {
  return c == a || (c == "CIM_EthernetPort" && (a == "CIM_NetworkPort" || a == "CIM_LogicalPort"));
}

bool where(const std::string& condition) {
  return matches(parse("SELECT * FROM CIM_EthernetPort WHERE " + condition), port(), is_a);
}

TEST(WqlParse, SelectListFromAndWhere) {
  Query q = parse("select Name, Speed from CIM_EthernetPort where Name = 'eth1'");
  EXPECT_EQ(q.class_name, "CIM_EthernetPort");
  ASSERT_EQ(q.properties.size(), 2u);
  EXPECT_EQ(q.properties[1], "Speed");
  ASSERT_TRUE(q.where);
  EXPECT_EQ(q.referenced_properties(), std::vector<std::string>{"Name"});
  EXPECT_TRUE(parse("SELECT * FROM X").properties.empty());
  EXPECT_FALSE(parse("SELECT * FROM X").where);
}

TEST(WqlParse, ErrorsSayWhere) {
  for (const char* bad : {"", "SELECT", "SELECT * FROM", "SELECT * X", "SELECT * FROM X WHERE",
                          "SELECT * FROM X WHERE a =", "SELECT * FROM X WHERE a = 'open",
                          "SELECT * FROM X WHERE (a = 1", "SELECT * FROM X WHERE a ! 1",
                          "SELECT * FROM X WHERE a LIKE 5", "SELECT * FROM X trailing",
                          "SELECT * FROM X WHERE a = 99999999999999999999999",
                          "SELECT * FROM X WHERE a > NULL", "SELECT FROM X"}) {
    EXPECT_THROW(parse(bad), QueryError) << bad;
  }
  try {
    parse("SELECT * FROM X WHERE a = = 1");
    FAIL();
  } catch (const QueryError& e) {
    EXPECT_EQ(e.offset(), 26u);
  }
  std::string deep = "SELECT * FROM X WHERE " + std::string(200, '(') + "a=1" + std::string(200, ')');
  EXPECT_THROW(parse(deep), QueryError);
}

TEST(WqlEval, Comparisons) {
  EXPECT_TRUE(where("Name = 'eth1'"));
  EXPECT_TRUE(where("Name = 'ETH1'")) << "WQL compares strings without case";
  EXPECT_FALSE(matches(parse("SELECT * FROM CIM_EthernetPort WHERE Name = 'ETH1'"), port(), is_a,
                       true));
  EXPECT_TRUE(where("Speed >= 10000000000"));
  EXPECT_FALSE(where("Speed > 10000000000"));
  EXPECT_TRUE(where("PortNumber <> 8 AND PortNumber < 8.5"));
  EXPECT_TRUE(where("Offset < 0 AND Offset = -5"));
  EXPECT_TRUE(where("7 = PortNumber"));
  EXPECT_TRUE(where("3 < PortNumber"));
  EXPECT_TRUE(where("Enabled = TRUE"));
  EXPECT_TRUE(where("Ratio > 0.25"));
  EXPECT_TRUE(where("PortNumber = '7'"));
  EXPECT_FALSE(where("PortNumber = 'seven'")) << "a literal that does not fit is no match";
}

TEST(WqlEval, NullsAndLogic) {
  EXPECT_TRUE(where("Description IS NULL"));
  EXPECT_TRUE(where("Description = NULL"));
  EXPECT_FALSE(where("Description IS NOT NULL"));
  EXPECT_FALSE(where("Description = 'x'"));
  EXPECT_FALSE(where("NOT Description = 'x'")) << "NOT unknown is unknown";
  EXPECT_TRUE(where("Description = 'x' OR Name = 'eth1'"));
  EXPECT_FALSE(where("Missing = 1"));
  EXPECT_TRUE(where("NOT (Name = 'eth2' OR PortNumber = 1)"));
  EXPECT_TRUE(where("Name = 'a' OR Name = 'b' OR (Enabled = true AND NOT Speed < 5)"));
}

TEST(WqlEval, LikeAndIsa) {
  EXPECT_TRUE(where("Name LIKE 'eth%'"));
  EXPECT_TRUE(where("Name LIKE 'e_h_'"));
  EXPECT_TRUE(where("Name LIKE '[a-f]th[0-9]'"));
  EXPECT_TRUE(where("Name NOT LIKE 'wlan%'"));
  EXPECT_FALSE(where("Name LIKE 'eth'"));
  EXPECT_TRUE(where("__this ISA CIM_NetworkPort"));
  EXPECT_TRUE(where("__this ISA 'CIM_LogicalPort'"));
  EXPECT_FALSE(where("__this ISA CIM_Service"));
  EXPECT_TRUE(like("abcabc", "%b%c", true));
  EXPECT_TRUE(like("x[y", "x[y", true));
  EXPECT_TRUE(like("", "%", true));
  EXPECT_FALSE(like("ab", "a[^b]", true));
  EXPECT_TRUE(like("ac", "a[^b]", true));
  // Many '%' stay fast (no exponential backtracking).
  EXPECT_FALSE(like(std::string(5000, 'a'), std::string(50, '%') + "b", true));
}

}  // namespace
}  // namespace cimnet::wsman::wql
