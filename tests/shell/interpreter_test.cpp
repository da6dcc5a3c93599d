// Interpreter through a StringHost: streaming order of begin/process/end, -First stopping
// upstream, -Confirm answers, a cmdlet registered from C++, and tab completion.

#include <gtest/gtest.h>

#include "cimnet/shell/completion.h"
#include "cimnet/shell/interpreter.h"

namespace cimnet::shell {
namespace {

struct Shell {
  StringHost host;
  Interpreter in{host};
  std::string run(const std::string& text) {
    host.output.clear();
    host.errors.clear();
    in.run_script("", text);
    return host.output;
  }
};

TEST(Interpreter, PipelinesStreamOneObjectAtATime) {
  Shell sh;
  sh.run(R"(
function Trace-Stage([string]$Tag) {
  begin { $global:log += "$Tag.begin " }
  process { $global:log += "$Tag.$_ "; $_ }
  end { $global:log += "$Tag.end " }
}
$global:log = ''
1, 2 | Trace-Stage a | Trace-Stage b | Out-Null
)");
  EXPECT_EQ(to_string(sh.in.get_variable("log")), "a.begin b.begin a.1 b.1 a.2 b.2 a.end b.end ");
}

TEST(Interpreter, SelectFirstStopsTheProducer) {
  Shell sh;
  sh.run(
      "$global:n = 0; 1..1000 | ForEach-Object { $global:n++; $_ } | Select-Object -First 3 | "
      "Out-Null");
  EXPECT_EQ(to_string(sh.in.get_variable("n")), "3");
}

// A cmdlet written the way the CIM cmdlets will be: metadata, ShouldProcess, errors.
class EnableThing : public Cmdlet {
 public:
  void process(CommandRuntime& rt) override {
    for (auto& id : rt.get_array("Id")) {
      if (to_int(id).value_or(0) < 0) {
        rt.write_error(make_error("Id " + to_string(id) + " does not exist.", "ThingNotFound",
                                  ErrorCategory::ObjectNotFound, id));
        continue;
      }
      if (rt.should_process("thing " + to_string(id), "Enable"))
        rt.write_object(Value("enabled " + to_string(id)));
    }
  }
};

void add_enable_thing(Interpreter& in) {
  in.commands().add(CommandDef("Enable-Thing")
                        .alias("eth")
                        .synopsis("Enables things.")
                        .param(Param("Id", ParamType::Int)
                                   .array()
                                   .position(0)
                                   .mandatory()
                                   .pipeline()
                                   .pipeline_by_name())
                        .should_process(ConfirmImpact::High)
                        .make<EnableThing>());
}

TEST(Interpreter, RegisteredCmdletGetsWhatIfConfirmAndErrors) {
  Shell sh;
  add_enable_thing(sh.in);
  EXPECT_EQ(sh.run("Enable-Thing 1,4 -WhatIf"),
            "What if: Performing the operation \"Enable\" on target \"thing 1\".\n"
            "What if: Performing the operation \"Enable\" on target \"thing 4\".\n");
  // ConfirmImpact High >= $ConfirmPreference High: prompts; answer N then Y
  sh.host.answers = {"n", "y"};
  std::string out = sh.run("eth 1, 2 | ForEach-Object { $_ }");
  EXPECT_NE(out.find("Are you sure you want to perform this action?"), std::string::npos);
  EXPECT_EQ(out.find("enabled 1"), std::string::npos);
  EXPECT_NE(out.find("enabled 2"), std::string::npos);
  EXPECT_EQ(sh.run("Enable-Thing -Id -1 -Confirm:$false -ErrorVariable e -ErrorAction "
                   "SilentlyContinue; $?; $e.Count"),
            "False\n1\n");
  sh.run("Enable-Thing -Id -1 -Confirm:$false");
  EXPECT_NE(sh.host.errors.find("Enable-Thing: Id -1 does not exist."), std::string::npos);
  EXPECT_EQ(sh.run("try { Enable-Thing -Id -2 -ea Stop } catch { $_.CategoryInfo.Category; "
                   "$_.TargetObject }"),
            "ObjectNotFound\n-2\n");
  EXPECT_EQ(sh.run("(Get-Command Enable-Thing).Definition"),
            "Enable-Thing [-Id] <int[]> [-WhatIf] [-Confirm] [<CommonParameters>]\n");
}

TEST(Interpreter, TerminatingErrorsStopTheScriptButNotTheSession) {
  Shell sh;
  EXPECT_FALSE(sh.in.run_script("", "'a'; throw 'x'; 'b'"));
  EXPECT_EQ(sh.host.output, "a\n");
  EXPECT_TRUE(sh.in.run_script("", "Get-Nothing; 'c'"));
  EXPECT_NE(sh.host.output.find("c\n"), std::string::npos);
  EXPECT_EQ(sh.run("$Error.Count -ge 2"), "True\n");
}

TEST(Interpreter, LastExitCodeComesFromExternalPrograms) {
  Shell sh;
  EXPECT_EQ(sh.run("/bin/sh -c 'echo out; exit 3'; $?; $LASTEXITCODE"), "out\nFalse\n3\n");
  EXPECT_EQ(sh.run("/bin/true; $?; $LASTEXITCODE"), "True\n0\n");
}

TEST(Interpreter, TablesFitTheHostWidth) {
  Shell sh;
  sh.host.columns = 30;
  std::string out = sh.run(
      "[pscustomobject]@{ Name = 'a-rather-long-name-value'; Description = 'more text here' }");
  for (size_t b = 0, e; (e = out.find('\n', b)) != std::string::npos; b = e + 1) {
    std::string line = out.substr(b, e - b);
    size_t cols = 0;
    for (unsigned char c : line)
      if ((c & 0xC0) != 0x80) ++cols;
    EXPECT_LE(cols, 30u) << line;
  }
  EXPECT_NE(out.find("\xE2\x80\xA6"), std::string::npos);  // truncated with an ellipsis
}

TEST(Interpreter, WriteProgressDrawsABarAndClearsIt) {
  Shell sh;
  sh.host.columns = 60;
  sh.run(
      "Write-Progress -Activity Enumerating -Status ports -PercentComplete 50; Write-Progress "
      "-Activity x -Completed");
  ASSERT_EQ(sh.host.progress_lines.size(), 2u);
  EXPECT_EQ(sh.host.progress_lines[0], "Enumerating: ports [################                ] 50%");
  EXPECT_EQ(sh.host.progress_lines[1], "");
  EXPECT_EQ(sh.host.output, "");
}

class TestSession : public ObjectOrigin {
 public:
  std::string describe() const override { return "session-1"; }
};

TEST(Interpreter, ObjectsKeepTheirOriginThroughThePipeline) {
  Shell sh;
  auto origin = std::make_shared<TestSession>();
  auto port =
      make_object({{"Name", Value("eth1")}, {"Speed", Value(10)}}, "Root/Cimv2/CIM_EthernetPort");
  port->origin = origin;
  sh.in.set_variable("port", Value(port));
  auto out = sh.in.evaluate("$port | Where-Object Speed -gt 1 | Select-Object Name");
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].is_object());
  EXPECT_EQ(out[0].as_object()->origin, origin);
  EXPECT_EQ(out[0].as_object()->type_name(), "Selected.Root/Cimv2/CIM_EthernetPort");
  // properties keep their declared order
  EXPECT_EQ(sh.run("$port | Format-List"), "\nName  : eth1\nSpeed : 10\n\n");
}

TEST(Completion, CommandsParametersAndVariables) {
  Shell sh;
  add_enable_thing(sh.in);
  sh.run("$portList = 1; function Get-MyPorts { }");
  EXPECT_EQ(complete_word(sh.in, "Enable-Th", 0, "Enable-Th"),
            std::vector<std::string>{"Enable-Thing"});
  EXPECT_EQ(complete_word(sh.in, "1 | where-o", 4, "where-o"),
            std::vector<std::string>{"Where-Object"});
  EXPECT_EQ(complete_word(sh.in, "Get-MyP", 0, "Get-MyP"), std::vector<std::string>{"Get-MyPorts"});
  EXPECT_EQ(complete_word(sh.in, "Enable-Thing -W", 13, "-W"),
            (std::vector<std::string>{"-WarningAction", "-WarningVariable", "-WhatIf"}));
  // parameters already given are not offered again
  auto after = complete_word(sh.in, "Select-Object -First 1 -Fi", 23, "-Fi");
  EXPECT_TRUE(after.empty());
  EXPECT_EQ(complete_word(sh.in, "Write-Output $portL", 13, "$portL"),
            std::vector<std::string>{"$portList"});
  bool files = false;
  EXPECT_TRUE(complete_word(sh.in, "Import-Csv po", 11, "po", &files).empty());
  EXPECT_TRUE(files);
}

}  // namespace
}  // namespace cimnet::shell
