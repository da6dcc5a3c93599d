// Parser: statement shapes, operator precedence, command-mode arguments, and
// ParserError messages with line and column.

#include <gtest/gtest.h>

#include "cimnet/shell/ast.h"

namespace cimnet::shell {
namespace {

const PipelineStatement& only_pipeline(const ParsedScript& s) {
  EXPECT_EQ(s.root->end.size(), 1u);
  EXPECT_EQ(s.root->end[0]->kind, Statement::Kind::Pipeline);
  return static_cast<const PipelineStatement&>(*s.root->end[0]);
}

TEST(Parser, PipelineOfCommandsWithNamedPositionalAndColonArguments) {
  auto s = parse_script("", "Get-Thing -Name a,b 5 | Set-Thing -WhatIf:$false -Force");
  auto& p = only_pipeline(*s);
  ASSERT_EQ(p.elements.size(), 2u);
  auto& first = p.elements[0];
  EXPECT_EQ(to_string(static_cast<ConstantExpr&>(*first.name).value), "Get-Thing");
  ASSERT_EQ(first.args.size(), 3u);
  EXPECT_EQ(first.args[0].parameter, "Name");
  EXPECT_EQ(first.args[1].value->kind, Expr::Kind::ArrayLiteral);
  EXPECT_TRUE(static_cast<ConstantExpr&>(*first.args[2].value).value.is_int());
  auto& second = p.elements[1];
  ASSERT_EQ(second.args.size(), 2u);
  EXPECT_TRUE(second.args[0].colon);
  EXPECT_EQ(second.args[0].value->kind, Expr::Kind::Variable);
  EXPECT_FALSE(second.args[1].colon);
}

TEST(Parser, ComparisonBindsLooserThanArithmeticAndLogicalLoosest) {
  auto s = parse_script("", "1 + 2 * 3 -eq 7 -and $true");
  auto& p = only_pipeline(*s);
  auto& top = static_cast<const BinaryExpr&>(*p.elements[0].expression);
  EXPECT_EQ(top.op, "-and");
  auto& cmp = static_cast<const BinaryExpr&>(*top.left);
  EXPECT_EQ(cmp.op, "-eq");
  auto& add = static_cast<const BinaryExpr&>(*cmp.left);
  EXPECT_EQ(add.op, "+");
  EXPECT_EQ(static_cast<const BinaryExpr&>(*add.right).op, "*");
}

TEST(Parser, CommaBindsTighterThanFormatAndMethodArgumentsAreSeparate) {
  auto s = parse_script("", "'{0}{1}' -f 1,2");
  auto& f = static_cast<const BinaryExpr&>(*only_pipeline(*s).elements[0].expression);
  EXPECT_EQ(f.op, "-f");
  EXPECT_EQ(f.right->kind, Expr::Kind::ArrayLiteral);
  auto m = parse_script("", "$s.Substring(1, 2)");
  auto& call = static_cast<const MethodCallExpr&>(*only_pipeline(*m).elements[0].expression);
  EXPECT_EQ(call.args.size(), 2u);
}

TEST(Parser, ExpandableStringKeepsVariablesAndSubexpressions) {
  auto s = parse_script("", "\"a $x b $(1+1) c\"");
  auto& str = static_cast<const ExpandableStringExpr&>(*only_pipeline(*s).elements[0].expression);
  ASSERT_EQ(str.parts.size(), 5u);
  EXPECT_EQ(str.parts[1].expr->kind, Expr::Kind::Variable);
  EXPECT_EQ(str.parts[3].expr->kind, Expr::Kind::Subexpr);
}

TEST(Parser, StatementsAndFunctionsWithParamBlocks) {
  auto s = parse_script("", R"(
function Set-X {
  [CmdletBinding(DefaultParameterSetName = 'A')]
  param([Parameter(Mandatory, Position = 0, ValueFromPipeline)][int]$Id, [Alias('D')][string]$Desc = 'x')
  process { $Id }
}
try { throw 'e' } catch [System.Exception] { $_ } finally { 1 }
foreach ($i in 1..3) { if ($i -eq 2) { continue } elseif ($i) { } else { } }
)");
  ASSERT_EQ(s->root->end.size(), 3u);
  auto& fn = static_cast<const FunctionStatement&>(*s->root->end[0]);
  EXPECT_EQ(fn.name, "Set-X");
  EXPECT_TRUE(fn.body->cmdlet_binding);
  EXPECT_EQ(fn.body->default_set, "A");
  ASSERT_EQ(fn.body->params.size(), 2u);
  EXPECT_TRUE(fn.body->params[0].mandatory);
  EXPECT_EQ(fn.body->params[0].position, 0);
  EXPECT_TRUE(fn.body->params[0].from_pipeline);
  EXPECT_EQ(fn.body->params[0].type, "int");
  EXPECT_EQ(fn.body->params[1].aliases, std::vector<std::string>{"D"});
  EXPECT_TRUE(fn.body->named_blocks);
  EXPECT_EQ(fn.body->process.size(), 1u);
  auto& t = static_cast<const TryStatement&>(*s->root->end[1]);
  ASSERT_EQ(t.catches.size(), 1u);
  EXPECT_EQ(t.catches[0].types, std::vector<std::string>{"System.Exception"});
  EXPECT_TRUE(t.finally_body);
}

TEST(Parser, CommentsHereStringsAndLineContinuation) {
  auto s =
      parse_script("", "<# block\n comment #> 'a' # line\n@\"\nhere $x\n\"@\nWrite-Output `\n  1");
  ASSERT_EQ(s->root->end.size(), 3u);
}

struct ErrorCase {
  const char* text;
  const char* message;
  int line, column;
  bool incomplete;
};

TEST(Parser, ErrorsReportPowerShellMessagesWithLineAndColumn) {
  const ErrorCase cases[] = {
      {"if ($x -eq 1 {", "Missing closing ')' after expression in 'if' statement.", 1, 14, false},
      {"if ($x) { 'a'", "Missing closing '}' in statement block or type definition.", 1, 14, true},
      {"'abc", "The string is missing the terminator: '.", 1, 5, true},
      {"\"abc", "The string is missing the terminator: \".", 1, 5, true},
      {"\n\n$a = 1 +", "You must provide a value expression following the '+' operator.", 3, 9,
       true},
      {"$h = @{ a 1 }", "Missing '=' operator after key in hash literal.", 1, 11, false},
      {"foreach ($i 1..3) { }", "Missing 'in' after variable in foreach loop.", 1, 13, false},
      {"try { }", "The Try statement is missing its Catch or Finally block.", 1, 8, true},
      {"1 | $x", "Expressions are only allowed as the first element of a pipeline.", 1, 5, false},
      {"Get-X |", "An empty pipe element is not allowed.", 1, 8, true},
      {"$a = )", "You must provide a value expression following the '=' operator.", 1, 6, false},
      {"5 -foo 3", "Unexpected token '-foo' in expression or statement.", 1, 3, false},
      {"class Port { }", "The 'class' statement is not supported by cimsh yet.", 1, 1, false},
      {"switch -file ($x) { }", "switch -File is not supported by cimsh.", 1, 8, false},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      parse_script("t.ps1", c.text);
      ADD_FAILURE() << "no error";
    } catch (const ParseError& e) {
      EXPECT_EQ(std::string(e.what()), c.message);
      EXPECT_EQ(e.extent.line, c.line);
      EXPECT_EQ(e.extent.column, c.column);
      EXPECT_EQ(e.incomplete, c.incomplete);
    }
  }
}

}  // namespace
}  // namespace cimnet::shell
