// The dispatcher on a small test schema with in-memory providers: every
// operation, the DSP0230 codec both ways, filters, streaming and the faults.
#include <atomic>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/provider/provider.h"
#include "agent/provider/software_identity.h"
#include "agent/wsman/cim_binding.h"
#include "agent/wsman/class_xml.h"
#include "agent/wsman/dispatcher.h"
#include "agent/wsman/names.h"
#include "agent/wsman/xml.h"
#include "../support/test_schema.h"
#include "cimnet/cim/mof.h"

namespace cimnet::wsman {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using cimnet::test_schema::PartProvider;
using cimnet::test_schema::WidgetProvider;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cimnet::test_schema::load_test_schema(repo_);
    widgets_ = std::make_shared<WidgetProvider>();
    parts_ = std::make_shared<PartProvider>();
    registry_.add("root/test", "Test_Widget", widgets_);
    registry_.add("root/test", "Test_Part", parts_);
    registry_.add("root/test", "Test_Link", std::make_shared<cimnet::test_schema::LinkProvider>());
    Dispatcher::Config config;
    config.default_namespace = "root/test";
    dispatcher_ = std::make_unique<Dispatcher>(repo_, registry_, config);
    add_widget("w1", 10, "Test_Widget");
    add_widget("w2", 20, "Test_BigWidget");
  }

  void add_widget(const std::string& id, uint32_t size, const std::string& cls) {
    cim::Instance w(cls);
    w.set("Id", cim::Value::string(id));
    w.set("Size", cim::Value::uint32(size));
    w.set("Tags", cim::Value::array(cim::Type::kString,
                                    {cim::Value::string("a"), cim::Value::string("b&c")}));
    w.set("Created", cim::Value::datetime(cim::Datetime::timestamp(2024, 1, 2, 3, 4, 5, 0, 0)));
    cim::Instance part("Test_Part");
    part.set("Name", cim::Value::string("bolt"));
    part.set("Weight", cim::Value::uint16(3));
    w.set("Part", cim::Value::instance(part));
    widgets_->widgets[id] = w;
  }

  static std::string ru(const std::string& cls) { return class_resource_uri(cls); }

  // Builds and runs one request; returns the reply body (throws Fault).
  Reply run(std::string_view action, const std::string& resource, const std::string& selectors,
            const std::string& body, const std::string& extra_headers = "",
            const std::string& user = "admin") {
    std::string xml =
        "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope' "
        "xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing' "
        "xmlns:w='http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd' "
        "xmlns:n='http://schemas.xmlsoap.org/ws/2004/09/enumeration'><s:Header>"
        "<a:Action>" + std::string(action) + "</a:Action><a:MessageID>uuid:1</a:MessageID>"
        "<w:ResourceURI>" + resource + "</w:ResourceURI>" +
        (selectors.empty() ? "" : "<w:SelectorSet>" + selectors + "</w:SelectorSet>") +
        extra_headers + "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
    Request req = parse_request(xml);
    Caller caller;
    caller.identity.user = user;
    caller.identity.role = auth::Role::kAdmin;
    caller.client = "127.0.0.1";
    return dispatcher_->perform(req, caller);
  }

  FaultKind fault(std::string_view action, const std::string& resource,
                  const std::string& selectors, const std::string& body = "",
                  std::string* detail = nullptr) {
    try {
      run(action, resource, selectors, body);
    } catch (const Fault& f) {
      if (detail) *detail = f.detail();
      return f.kind();
    }
    ADD_FAILURE() << "no fault";
    return FaultKind::kInternalError;
  }

  static std::string sel(const std::string& name, const std::string& value) {
    return "<w:Selector Name='" + name + "'>" + value + "</w:Selector>";
  }

  static std::string widget_xml(const std::string& inner, const std::string& cls = "Test_Widget") {
    return "<x:" + cls + " xmlns:x='" + ru(cls) + "' xmlns:xsi='" + std::string(uri::kXsi) +
           "'>" + inner + "</x:" + cls + ">";
  }

  cim::Repository repo_;
  provider::ProviderRegistry registry_;
  std::shared_ptr<WidgetProvider> widgets_;
  std::shared_ptr<PartProvider> parts_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, GetSerialisesPerDsp0230) {
  Reply r = run(uri::kGet, ru("Test_Widget"), sel("Id", "w1"), "");
  EXPECT_EQ(r.action, std::string(uri::kGet) + "Response");
  const std::string& b = r.body;
  EXPECT_THAT(b, HasSubstr("<p:Test_Widget xmlns:p=\"" + ru("Test_Widget") + "\""));
  EXPECT_THAT(b, HasSubstr("<p:Id>w1</p:Id><p:Size>10</p:Size><p:Tags>a</p:Tags><p:Tags>b&amp;c</p:Tags>"));
  EXPECT_THAT(b, HasSubstr("<p:Created><cim:Datetime>2024-01-02T03:04:05Z</cim:Datetime></p:Created>"));
  EXPECT_THAT(b, HasSubstr("<p:Active xsi:nil=\"true\"/>"));
  EXPECT_THAT(b, HasSubstr("<p:Part xmlns:q1=\"" + ru("Test_Part") +
                           "\" xsi:type=\"q1:Test_Part_Type\"><q1:Name>bolt</q1:Name>"
                           "<q1:Weight>3</q1:Weight></p:Part>"));
  // Declaration order: Id before Size before Tags.
  EXPECT_LT(b.find("<p:Id>"), b.find("<p:Size>"));
}

TEST_F(DispatcherTest, SerialisedInstanceParsesBackToTheSameValues) {
  Reply r = run(uri::kGet, ru("Test_Widget"), sel("Id", "w1"), "");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(r.body.c_str()));
  const cim::Class& cls = repo_.get_class("root/test", "Test_Widget");
  cim::Instance back = parse_instance(repo_, "root/test", cls, doc.first_child());
  const cim::Instance& original = widgets_->widgets["w1"];
  for (const auto& pv : original.properties()) {
    ASSERT_TRUE(back.get(pv.name)) << pv.name;
    EXPECT_EQ(*back.get(pv.name), pv.value) << pv.name;
  }
  EXPECT_TRUE(back.get("Active")->is_null());
}

TEST_F(DispatcherTest, GetFaults) {
  std::string detail;
  EXPECT_EQ(fault(uri::kGet, ru("Test_Widget"), "", "", &detail), FaultKind::kInvalidSelectors);
  EXPECT_EQ(detail, "InsufficientSelectors");
  EXPECT_EQ(fault(uri::kGet, ru("Test_Widget"), sel("Id", "w1") + sel("Bogus", "1"), "", &detail),
            FaultKind::kInvalidSelectors);
  EXPECT_EQ(detail, "UnexpectedSelectors");
  EXPECT_EQ(fault(uri::kGet, ru("Test_Widget"), sel("Id", "nope")),
            FaultKind::kDestinationUnreachable);
  EXPECT_EQ(fault(uri::kGet, ru("Test_Nothing"), sel("Id", "w1"), "", &detail),
            FaultKind::kDestinationUnreachable);
  EXPECT_EQ(detail, "InvalidResourceURI");
  EXPECT_EQ(fault(uri::kGet, ru("Test_Widget"), sel("Id", "w1") + sel("__cimnamespace", "root/none")),
            FaultKind::kDestinationUnreachable);
  EXPECT_EQ(fault(uri::kGet, "http://example.com/other", sel("Id", "w1")),
            FaultKind::kDestinationUnreachable);
  EXPECT_EQ(fault("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Renew", ru("Test_Widget"), ""),
            FaultKind::kActionNotSupported);
}

TEST_F(DispatcherTest, PutChangesOnlyWhatTheBodyHolds) {
  Reply r = run(uri::kPut, ru("Test_Widget"), sel("Id", "w1"),
                widget_xml("<x:Id>w1</x:Id><x:Size>99</x:Size>"));
  EXPECT_THAT(r.body, HasSubstr("<p:Size>99</p:Size>"));
  EXPECT_THAT(r.body, HasSubstr("<p:Tags>a</p:Tags>"));
  EXPECT_EQ(widgets_->last_properties, std::vector<std::string>{"Size"});
  EXPECT_EQ(widgets_->widgets["w1"].get("Size")->as_uint(), 99u);
}

TEST_F(DispatcherTest, PutRejectsBadRepresentationsAndChangesNothing) {
  std::string detail;
  EXPECT_EQ(fault(uri::kPut, ru("Test_Widget"), sel("Id", "w1"),
                  widget_xml("<x:Size>lots</x:Size>"), &detail),
            FaultKind::kInvalidRepresentation);
  EXPECT_EQ(fault(uri::kPut, ru("Test_Widget"), sel("Id", "w1"),
                  widget_xml("<x:Colour>red</x:Colour>")),
            FaultKind::kInvalidRepresentation);
  EXPECT_EQ(fault(uri::kPut, ru("Test_Widget"), sel("Id", "w1"),
                  widget_xml("<x:Id>other</x:Id><x:Size>1</x:Size>")),
            FaultKind::kInvalidRepresentation);
  EXPECT_EQ(fault(uri::kPut, ru("Test_Widget"), sel("Id", "w1"),
                  "<x:Test_Widget xmlns:x='urn:wrong'><x:Size>1</x:Size></x:Test_Widget>", &detail),
            FaultKind::kInvalidRepresentation);
  EXPECT_EQ(detail, "InvalidNamespace");
  EXPECT_EQ(fault(uri::kPut, ru("Test_Widget"), sel("Id", "w1"),
                  widget_xml("<x:Size>1</x:Size><x:Size>2</x:Size>")),
            FaultKind::kInvalidRepresentation);
  EXPECT_EQ(widgets_->widgets["w1"].get("Size")->as_uint(), 10u);
}

TEST_F(DispatcherTest, CreateReturnsResourceCreatedAndDuplicateIsAlreadyExists) {
  Reply r = run(uri::kCreate, ru("Test_Widget"), "",
                widget_xml("<x:Id>w9</x:Id><x:Size>5</x:Size><x:Tags>t1</x:Tags>"
                           "<x:Part xsi:type='q:Test_Part_Type' xmlns:q='" + ru("Test_Part") +
                           "'><q:Name>nut</q:Name></x:Part>"));
  EXPECT_EQ(r.action, std::string(uri::kCreate) + "Response");
  EXPECT_THAT(r.body, HasSubstr("<wxf:ResourceCreated><wsa:Address>"));
  EXPECT_THAT(r.body, HasSubstr("<wsman:Selector Name=\"Id\">w9</wsman:Selector>"));
  EXPECT_THAT(r.body, HasSubstr("<wsman:Selector Name=\"__cimnamespace\">root/test</wsman:Selector>"));
  ASSERT_TRUE(widgets_->widgets.count("w9"));
  EXPECT_EQ(widgets_->widgets["w9"].get("Part")->as_instance().get("Name")->as_string(), "nut");
  EXPECT_EQ(widgets_->widgets["w9"].get("Tags")->size(), 1u);
  EXPECT_EQ(fault(uri::kCreate, ru("Test_Widget"), "", widget_xml("<x:Id>w9</x:Id>")),
            FaultKind::kAlreadyExists);
  EXPECT_EQ(fault(uri::kCreate, ru("Test_Widget"), "", ""), FaultKind::kInvalidRepresentation);
}

TEST_F(DispatcherTest, DeleteThenGetIsGone) {
  Reply r = run(uri::kDelete, ru("Test_Widget"), sel("Id", "w1"), "");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(fault(uri::kGet, ru("Test_Widget"), sel("Id", "w1")),
            FaultKind::kDestinationUnreachable);
  EXPECT_EQ(fault(uri::kDelete, ru("Test_Widget"), sel("Id", "w1")),
            FaultKind::kDestinationUnreachable);
  // A class without writes in its provider refuses.
  EXPECT_EQ(fault(uri::kDelete, ru("Test_Part"), sel("Name", "part1")),
            FaultKind::kActionNotSupported);
}

TEST_F(DispatcherTest, OptimizedEnumerationInOneGoEndsTheSequence) {
  Reply r = run(uri::kEnumerate, ru("Test_Widget"), "",
                "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements></n:Enumerate>",
                "<w:RequestTotalItemsCountEstimate/>");
  EXPECT_THAT(r.body, HasSubstr("<wsen:EnumerationContext/>"));
  EXPECT_THAT(r.body, HasSubstr("<wsman:EndOfSequence/>"));
  EXPECT_THAT(r.body, HasSubstr("<p:Test_BigWidget"));  // subclass instances are included
  EXPECT_EQ(r.headers, "<wsman:TotalItemsCountEstimate>2</wsman:TotalItemsCountEstimate>");
  EXPECT_EQ(dispatcher_->enumerations().size(), 0u);
}

TEST_F(DispatcherTest, EnumeratePullReleaseStreamLazily) {
  parts_->count = 1000;
  Reply e = run(uri::kEnumerate, ru("Test_Part"), "", "<n:Enumerate/>");
  pugi::xml_document doc;
  doc.load_string(e.body.c_str());
  std::string id = doc.child("wsen:EnumerateResponse").child("wsen:EnumerationContext").text().get();
  ASSERT_FALSE(id.empty());
  EXPECT_LE(parts_->made.load(), 1u) << "nothing is generated before the client pulls";
  Reply p = run(uri::kPull, ru("Test_Part"), "",
                "<n:Pull><n:EnumerationContext>" + id +
                    "</n:EnumerationContext><n:MaxElements>3</n:MaxElements></n:Pull>");
  EXPECT_THAT(p.body, HasSubstr("<p:Name>part0</p:Name>"));
  EXPECT_THAT(p.body, HasSubstr("<p:Name>part2</p:Name>"));
  EXPECT_THAT(p.body, Not(HasSubstr("part3")));
  EXPECT_THAT(p.body, HasSubstr("<wsen:EnumerationContext>" + id));
  EXPECT_LE(parts_->made.load(), 5u);
  // Another user cannot use it.
  try {
    run(uri::kPull, ru("Test_Part"), "",
        "<n:Pull><n:EnumerationContext>" + id + "</n:EnumerationContext></n:Pull>", "", "mallory");
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.kind(), FaultKind::kInvalidEnumerationContext);
  }
  Reply rel = run(uri::kRelease, ru("Test_Part"), "",
                  "<n:Release><n:EnumerationContext>" + id + "</n:EnumerationContext></n:Release>");
  EXPECT_EQ(rel.action, std::string(uri::kRelease) + "Response");
  EXPECT_EQ(fault(uri::kPull, ru("Test_Part"), "",
                  "<n:Pull><n:EnumerationContext>" + id + "</n:EnumerationContext></n:Pull>"),
            FaultKind::kInvalidEnumerationContext);
}

TEST_F(DispatcherTest, PullToTheEndOmitsTheContext) {
  parts_->count = 3;
  Reply e = run(uri::kEnumerate, ru("Test_Part"), "",
                "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements>"
                "<w:EnumerationMode>EnumerateEPR</w:EnumerationMode></n:Enumerate>");
  EXPECT_THAT(e.body, HasSubstr("<wsa:EndpointReference><wsa:Address>"));
  EXPECT_THAT(e.body, Not(HasSubstr("<p:Test_Part")));
  pugi::xml_document doc;
  doc.load_string(e.body.c_str());
  std::string id = doc.child("wsen:EnumerateResponse").child("wsen:EnumerationContext").text().get();
  Reply p = run(uri::kPull, ru("Test_Part"), "",
                "<n:Pull><n:EnumerationContext>" + id +
                    "</n:EnumerationContext><n:MaxElements>5</n:MaxElements></n:Pull>");
  EXPECT_THAT(p.body, Not(HasSubstr("<wsen:EnumerationContext>")));
  EXPECT_THAT(p.body, HasSubstr("<wsen:EndOfSequence/>"));
  EXPECT_THAT(p.body, HasSubstr("part2"));
  EXPECT_EQ(dispatcher_->enumerations().size(), 0u);
}

TEST_F(DispatcherTest, EnvelopeSizeLimitsHowManyItemsFit) {
  parts_->count = 100;
  Reply e = run(uri::kEnumerate, ru("Test_Part"), "",
                "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements></n:Enumerate>",
                "<w:MaxEnvelopeSize>8192</w:MaxEnvelopeSize>");
  size_t items = 0;
  for (size_t pos = 0; (pos = e.body.find("<p:Test_Part ", pos)) != std::string::npos; ++pos) ++items;
  EXPECT_GT(items, 5u);
  EXPECT_LT(items, 100u);
  EXPECT_LE(e.body.size(), 8192u - 1024u);
  EXPECT_THAT(e.body, Not(HasSubstr("<wsen:EnumerationContext/>")));
}

TEST_F(DispatcherTest, WqlAndSelectorFilters) {
  parts_->count = 50;
  const std::string wql = std::string(uri::kDialectWql);
  Reply r = run(uri::kEnumerate, ru("Test_Part"), "",
                "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements>"
                "<w:Filter Dialect='" + wql + "'>SELECT Name FROM Test_Part WHERE Weight &gt;= 47 "
                "OR Name = 'PART3'</w:Filter></n:Enumerate>");
  EXPECT_THAT(r.body, HasSubstr("<p:Name>part3</p:Name>"));
  EXPECT_THAT(r.body, HasSubstr("<p:Name>part49</p:Name>"));
  EXPECT_THAT(r.body, Not(HasSubstr("part10<")));
  EXPECT_THAT(r.body, Not(HasSubstr("<p:Weight>"))) << "projection keeps only Name";
  Reply s = run(uri::kEnumerate, ru("Test_Widget"), "",
                "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>"
                "<w:Filter Dialect='" + std::string(uri::kDialectSelector) +
                    "'><w:SelectorSet><w:Selector Name='Size'>20</w:Selector></w:SelectorSet>"
                    "</w:Filter></n:Enumerate>");
  EXPECT_THAT(s.body, HasSubstr("<p:Id>w2</p:Id>"));
  EXPECT_THAT(s.body, Not(HasSubstr("<p:Id>w1</p:Id>")));
  // The all-classes URI takes its class from the query.
  Reply all = run(uri::kEnumerate, std::string(uri::kAllClasses), "",
                  "<n:Enumerate><w:OptimizeEnumeration/><w:Filter Dialect='" + wql +
                      "'>select * from Test_BigWidget</w:Filter></n:Enumerate>");
  EXPECT_THAT(all.body, HasSubstr("<p:Id>w2</p:Id>"));
}

TEST_F(DispatcherTest, FilterFaults) {
  const std::string wql = std::string(uri::kDialectWql);
  auto enumerate_with = [&](const std::string& filter, const std::string& resource = ru("Test_Part")) {
    return fault(uri::kEnumerate, resource, "", "<n:Enumerate>" + filter + "</n:Enumerate>");
  };
  EXPECT_EQ(enumerate_with("<w:Filter Dialect='" + wql + "'>SELEKT</w:Filter>"),
            FaultKind::kCannotProcessFilter);
  EXPECT_EQ(enumerate_with("<w:Filter Dialect='" + wql + "'>select * from Test_Part where Nope = 1</w:Filter>"),
            FaultKind::kCannotProcessFilter);
  EXPECT_EQ(enumerate_with("<w:Filter Dialect='" + wql + "'>select * from Test_Widget</w:Filter>"),
            FaultKind::kCannotProcessFilter);
  EXPECT_EQ(enumerate_with("<w:Filter Dialect='urn:xpath'>/a</w:Filter>"),
            FaultKind::kFilterDialectRequestedUnavailable);
  EXPECT_EQ(enumerate_with("<w:Filter Dialect='" + std::string(uri::kDialectAssociation) + "'/>"),
            FaultKind::kCannotProcessFilter);
  EXPECT_EQ(enumerate_with("<w:MaxElements>0</w:MaxElements>"), FaultKind::kInvalidParameter);
  EXPECT_EQ(enumerate_with("<b:PolymorphismMode xmlns:b='" + std::string(uri::kCimBinding) +
                           "'>Sometimes</b:PolymorphismMode>"),
            FaultKind::kPolymorphismModeNotSupported);
  EXPECT_EQ(enumerate_with("", std::string(uri::kAllClasses)), FaultKind::kCannotProcessFilter);
}

std::string association_filter(const std::string& kind, const std::string& id,
                               const std::string& extra = "") {
  return "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>50</w:MaxElements>"
         "<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>"
         "<w:Filter Dialect='" + std::string(uri::kDialectAssociation) + "'>"
         "<b:" + kind + " xmlns:b='" + std::string(uri::kCimBinding) + "'><b:Object>"
         "<a:Address>" + std::string(uri::kAnonymous) + "</a:Address><a:ReferenceParameters>"
         "<w:ResourceURI>" + class_resource_uri("Test_Widget") + "</w:ResourceURI>"
         "<w:SelectorSet><w:Selector Name='Id'>" + id + "</w:Selector>"
         "<w:Selector Name='__cimnamespace'>root/test</w:Selector></w:SelectorSet>"
         "</a:ReferenceParameters></b:Object>" + extra + "</b:" + kind + "></w:Filter></n:Enumerate>";
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = 0; (p = text.find(what, p)) != std::string::npos; ++p) ++n;
  return n;
}

TEST_F(DispatcherTest, AssociatorsAndReferences) {
  parts_->count = 5;
  Reply a = run(uri::kEnumerate, std::string(uri::kAllClasses), "",
                association_filter("AssociatedInstances", "w1"));
  EXPECT_EQ(count_of(a.body, "<p:Test_Part "), 2u) << a.body;
  EXPECT_THAT(a.body, HasSubstr("<p:Name>part1</p:Name>"));
  EXPECT_THAT(a.body, HasSubstr("<p:Name>part2</p:Name>"));
  EXPECT_THAT(a.body, HasSubstr("<wsman:Selector Name=\"__cimnamespace\">root/test</wsman:Selector>"));
  EXPECT_THAT(a.body, HasSubstr("<wsman:EndOfSequence/>"));

  Reply r = run(uri::kEnumerate, std::string(uri::kAllClassesSchema2), "",
                association_filter("AssociationInstances", "w1"));
  EXPECT_EQ(count_of(r.body, "<p:Test_Link "), 2u) << r.body;
  EXPECT_THAT(r.body, HasSubstr("<p:Left><wsa:Address>"));

  Reply w2 = run(uri::kEnumerate, std::string(uri::kAllClasses), "",
                 association_filter("AssociatedInstances", "w2",
                                    "<b:AssociationClassName>Test_Link</b:AssociationClassName>"
                                    "<b:Role>Left</b:Role><b:ResultClassName>Test_Part</b:ResultClassName>"
                                    "<b:ResultRole>Right</b:ResultRole>"
                                    "<b:IncludeResultProperty>Name</b:IncludeResultProperty>"));
  EXPECT_EQ(count_of(w2.body, "<p:Test_Part "), 1u) << w2.body;
  EXPECT_THAT(w2.body, Not(HasSubstr("<p:Weight>")));
  // Filters that exclude everything.
  Reply none = run(uri::kEnumerate, std::string(uri::kAllClasses), "",
                   association_filter("AssociatedInstances", "w1", "<b:Role>Right</b:Role>"));
  EXPECT_EQ(count_of(none.body, "<p:Test_Part "), 0u);
  Reply other = run(uri::kEnumerate, std::string(uri::kAllClasses), "",
                    association_filter("AssociationInstances", "w1",
                                       "<b:ResultClassName>Test_Part</b:ResultClassName>"));
  EXPECT_EQ(count_of(other.body, "<p:Test_Link "), 0u);
  std::string detail;
  EXPECT_EQ(fault(uri::kEnumerate, std::string(uri::kAllClasses), "",
                  association_filter("AssociatedInstances", "w1",
                                     "<b:ResultClassName>Nope</b:ResultClassName>")),
            FaultKind::kCannotProcessFilter);
}

TEST_F(DispatcherTest, PullThatFindsNothingInMaxTimeIsTimedOutAndKeepsTheContext) {
  parts_->count = 100'000'000;  // generated lazily; only what is scanned is made
  Reply e = run(uri::kEnumerate, ru("Test_Part"), "",
                "<n:Enumerate><w:Filter Dialect='" + std::string(uri::kDialectWql) +
                    "'>select * from Test_Part where Weight &gt; 5000</w:Filter></n:Enumerate>");
  pugi::xml_document doc;
  doc.load_string(e.body.c_str());
  std::string id = doc.child("wsen:EnumerateResponse").child("wsen:EnumerationContext").text().get();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(fault(uri::kPull, ru("Test_Part"), "",
                  "<n:Pull><n:EnumerationContext>" + id +
                      "</n:EnumerationContext><n:MaxTime>PT0.050S</n:MaxTime></n:Pull>"),
            FaultKind::kTimedOut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_LT(parts_->made.load(), 100'000'000u);
  EXPECT_NO_THROW(run(uri::kRelease, ru("Test_Part"), "",
                      "<n:Release><n:EnumerationContext>" + id + "</n:EnumerationContext></n:Release>"));
}

TEST_F(DispatcherTest, PolymorphismModes) {
  auto with_mode = [&](const std::string& mode) {
    widgets_->widgets["w2"].set("Extra", cim::Value::string("more"));
    return run(uri::kEnumerate, ru("Test_Widget"), "",
               "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>"
               "<b:PolymorphismMode xmlns:b='" + std::string(uri::kCimBinding) + "'>" + mode +
               "</b:PolymorphismMode></n:Enumerate>").body;
  };
  std::string include = with_mode("IncludeSubClassProperties");
  EXPECT_THAT(include, HasSubstr("<p:Test_BigWidget "));
  EXPECT_THAT(include, HasSubstr("<p:Extra>more</p:Extra>"));
  std::string exclude = with_mode("ExcludeSubClassProperties");
  EXPECT_THAT(exclude, Not(HasSubstr("<p:Test_BigWidget ")));
  EXPECT_THAT(exclude, HasSubstr("<p:Id>w2</p:Id>"));
  EXPECT_THAT(exclude, Not(HasSubstr("<p:Extra>")));
  std::string none = with_mode("None");
  EXPECT_THAT(none, Not(HasSubstr("<p:Id>w2</p:Id>")));
  EXPECT_THAT(none, HasSubstr("<p:Id>w1</p:Id>"));
}

TEST_F(DispatcherTest, GetClassAnswersInCimXml) {
  std::string uri(kCimXmlClassUri);
  Reply r = run(uri::kGet, uri, sel("__cimnamespace", "root/test") + sel("ClassName", "Test_BigWidget"), "");
  const std::string& b = r.body;
  EXPECT_THAT(b, HasSubstr("<CLASS NAME=\"Test_BigWidget\" SUPERCLASS=\"Test_Widget\" DERIVATION=\"Test_Widget\">"));
  EXPECT_THAT(b, HasSubstr("<PROPERTY NAME=\"Id\" TYPE=\"string\" PROPAGATED=\"true\"><QUALIFIER NAME=\"Key\" TYPE=\"boolean\""));
  EXPECT_THAT(b, HasSubstr("<PROPERTY.ARRAY NAME=\"Tags\" TYPE=\"string\" PROPAGATED=\"true\">"));
  EXPECT_THAT(b, HasSubstr("<PROPERTY NAME=\"Extra\" TYPE=\"string\">"));
  EXPECT_THAT(b, HasSubstr("<METHOD NAME=\"Grow\" TYPE=\"uint32\" PROPAGATED=\"true\">"));
  EXPECT_THAT(b, HasSubstr("<PARAMETER NAME=\"By\" TYPE=\"uint32\">"));
  EXPECT_THAT(b, Not(HasSubstr("CLASSORIGIN")));
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(b.c_str())) << "well-formed";
  Reply link = run(uri::kGet, uri, sel("__cimnamespace", "root/test") + sel("ClassName", "Test_Link"), "",
                   "<w:OptionSet><w:Option Name='IncludeQualifiers'>false</w:Option>"
                   "<w:Option Name='IncludeClassOrigin'>true</w:Option></w:OptionSet>");
  EXPECT_THAT(link.body, HasSubstr("<PROPERTY.REFERENCE NAME=\"Left\" REFERENCECLASS=\"Test_Widget\" CLASSORIGIN=\"Test_Link\">"));
  EXPECT_THAT(link.body, Not(HasSubstr("<QUALIFIER")));
  std::string detail;
  EXPECT_EQ(fault(uri::kGet, uri, sel("__cimnamespace", "root/test") + sel("ClassName", "Nope")),
            FaultKind::kDestinationUnreachable);
  EXPECT_EQ(fault(uri::kGet, uri, sel("__cimnamespace", "root/test")), FaultKind::kDestinationUnreachable);
  EXPECT_EQ(fault(uri::kGet, uri, sel("__cimnamespace", "root/none") + sel("ClassName", "Test_Part")),
            FaultKind::kDestinationUnreachable);
}

TEST_F(DispatcherTest, EnumerateClasses) {
  std::string uri(kCimXmlClassUri);
  Reply all = run(uri::kEnumerate, uri, sel("__cimnamespace", "root/test"),
                  "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements></n:Enumerate>");
  EXPECT_EQ(count_of(all.body, "<CLASS "), 4u);
  EXPECT_THAT(all.body, HasSubstr("<wsman:EndOfSequence/>"));
  Reply sub = run(uri::kEnumerate, uri, sel("__cimnamespace", "root/test") + sel("ClassName", "Test_Widget"),
                  "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements></n:Enumerate>");
  EXPECT_EQ(count_of(sub.body, "<CLASS "), 1u);
  EXPECT_THAT(sub.body, HasSubstr("NAME=\"Test_BigWidget\""));
}

TEST_F(DispatcherTest, OneItemLargerThanTheEnvelopeIsEncodingLimit) {
  add_widget("big", 1, "Test_Widget");
  std::vector<cim::Value> tags;
  for (int i = 0; i < 400; ++i) tags.push_back(cim::Value::string(std::string(30, 'x')));
  widgets_->widgets["big"].set("Tags", cim::Value::array(cim::Type::kString, tags));
  widgets_->widgets.erase("w1");
  widgets_->widgets.erase("w2");
  try {
    run(uri::kEnumerate, ru("Test_Widget"), "",
        "<n:Enumerate><w:OptimizeEnumeration/></n:Enumerate>",
        "<w:MaxEnvelopeSize>8192</w:MaxEnvelopeSize>");
    FAIL();
  } catch (const Fault& f) {
    EXPECT_EQ(f.kind(), FaultKind::kEncodingLimit);
    EXPECT_EQ(f.detail(), "MaxEnvelopeSize");
  }
}

TEST_F(DispatcherTest, InvokeInstanceAndStaticMethods) {
  std::string grow = ru("Test_Widget") + "/Grow";
  Reply r = run(grow, ru("Test_Widget"), sel("Id", "w1"),
                "<x:Grow_INPUT xmlns:x='" + ru("Test_Widget") + "'><x:By>5</x:By></x:Grow_INPUT>");
  EXPECT_EQ(r.action, grow + "Response");
  EXPECT_THAT(r.body, HasSubstr("<p:Grow_OUTPUT xmlns:p=\"" + ru("Test_Widget") + "\""));
  EXPECT_THAT(r.body, HasSubstr("<p:NewSize>15</p:NewSize><p:ReturnValue>0</p:ReturnValue>"));
  Reply s = run(ru("Test_Widget") + "/Count", ru("Test_Widget"), "",
                "<x:Count_INPUT xmlns:x='" + ru("Test_Widget") + "'/>");
  EXPECT_THAT(s.body, HasSubstr("<p:Total>2</p:Total>"));
  std::string detail;
  EXPECT_EQ(fault(grow, ru("Test_Widget"), sel("Id", "w1"),
                  "<x:Grow_INPUT xmlns:x='" + ru("Test_Widget") + "'/>", &detail),
            FaultKind::kInvalidParameter);
  EXPECT_EQ(detail, "MissingValues");
  EXPECT_EQ(fault(grow, ru("Test_Widget"), sel("Id", "w1"),
                  "<x:Grow_INPUT xmlns:x='" + ru("Test_Widget") + "'><x:By>-1</x:By></x:Grow_INPUT>"),
            FaultKind::kInvalidParameter);
  EXPECT_EQ(fault(grow, ru("Test_Widget"), sel("Id", "w1"),
                  "<x:Grow_INPUT xmlns:x='" + ru("Test_Widget") + "'><x:Bogus>1</x:Bogus></x:Grow_INPUT>"),
            FaultKind::kInvalidParameter);
  EXPECT_EQ(fault(ru("Test_Widget") + "/Explode", ru("Test_Widget"), sel("Id", "w1"), ""),
            FaultKind::kActionNotSupported);
  EXPECT_EQ(widgets_->widgets["w1"].get("Size")->as_uint(), 15u);
}

TEST_F(DispatcherTest, InvokeWithReferenceArrayAndEmbeddedParameters) {
  std::string attach = ru("Test_Widget") + "/Attach";
  std::string part_epr =
      "<a:Address>" + std::string(uri::kAnonymous) + "</a:Address><a:ReferenceParameters>"
      "<w:ResourceURI>" + ru("Test_Part") + "</w:ResourceURI><w:SelectorSet>"
      "<w:Selector Name='Name'>part7</w:Selector></w:SelectorSet></a:ReferenceParameters>";
  Reply r = run(attach, ru("Test_Widget"), sel("Id", "w1"),
                "<x:Attach_INPUT xmlns:x='" + ru("Test_Widget") + "' xmlns:xsi='" +
                    std::string(uri::kXsi) + "'><x:Part>" + part_epr +
                    "</x:Part><x:Codes>1</x:Codes><x:Codes>2</x:Codes><x:Codes>3</x:Codes>"
                    "<x:Spec xsi:type='q:Test_Part_Type' xmlns:q='" + ru("Test_Part") +
                    "'><q:Name>spec</q:Name><q:Weight>9</q:Weight></x:Spec></x:Attach_INPUT>");
  EXPECT_THAT(r.body, HasSubstr("<p:Attached><wsa:Address>"));
  EXPECT_THAT(r.body, HasSubstr("<wsman:Selector Name=\"Name\">part7</wsman:Selector>"));
  EXPECT_THAT(r.body, HasSubstr("<wsman:Selector Name=\"__cimnamespace\">root/test</wsman:Selector>"));
  EXPECT_THAT(r.body, HasSubstr("<p:CodeCount>3</p:CodeCount>"));
  EXPECT_THAT(r.body, HasSubstr("xsi:type=\"q1:Test_Part_Type\"><q1:Name>spec</q1:Name><q1:Weight>9</q1:Weight></p:Echo>"));
  // A reference to an object of the wrong class is refused before the provider runs.
  std::string wrong =
      "<a:ReferenceParameters><w:ResourceURI>" + ru("Test_Widget") + "</w:ResourceURI>"
      "<w:SelectorSet><w:Selector Name='Id'>w1</w:Selector></w:SelectorSet></a:ReferenceParameters>";
  EXPECT_EQ(fault(attach, ru("Test_Widget"), sel("Id", "w1"),
                  "<x:Attach_INPUT xmlns:x='" + ru("Test_Widget") + "'><x:Part>" + wrong +
                      "</x:Part></x:Attach_INPUT>"),
            FaultKind::kInvalidParameter);
  EXPECT_EQ(fault(attach, ru("Test_Widget"), sel("Id", "w1"),
                  "<x:Attach_INPUT xmlns:x='" + ru("Test_Widget") + "'><x:Codes>70000</x:Codes>"
                  "</x:Attach_INPUT>"),
            FaultKind::kInvalidParameter);
}

TEST(SoftwareIdentity, ExampleProviderServesAValidInstance) {
  cim::Repository repo;
  const char* src = std::getenv("CIMNET_SOURCE_DIR");
  cim::MofCompiler compiler(repo);
  compiler.compile_file(std::string(src ? src : ".") + "/cim-schema/mof/served.mof");
  provider::SoftwareIdentityProvider p("1.2.3");
  cim::Instance i = p.instance();
  EXPECT_NO_THROW(repo.validate_instance("root/cimv2", i, cim::Validation::kCreate));
  EXPECT_EQ(i.get("MinorVersion")->as_uint(), 2u);
  provider::CallContext ctx;
  const cim::Class& cls = repo.get_class("root/cimv2", "CIM_SoftwareIdentity");
  EXPECT_EQ(p.get(ctx, cls, i.path(cls, "root/cimv2")).get("VersionString")->as_string(), "1.2.3");
  EXPECT_THROW(p.remove(ctx, cls, i.path(cls, "root/cimv2")), cim::Error);
}

}  // namespace
}  // namespace cimnet::wsman
