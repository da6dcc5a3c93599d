#pragma once
// The syntax tree of the cimsh language and the parser that builds it.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cimnet/shell/value.h"

namespace cimnet::shell {

// The text a tree was parsed from, kept alive by every script block made from it so that
// error messages can quote the line.
struct Source {
  std::string name;  // script path, or empty for -Command / interactive input
  std::string text;
  std::vector<size_t> line_starts;
  explicit Source(std::string name_, std::string text_);
  // The text of 1-based line `line` without its newline.
  std::string line_text(int line) const;
};

// A position in a source: 1-based line and column plus byte offset and length.
struct Extent {
  int line = 0;
  int column = 0;
  size_t offset = 0;
  size_t length = 0;
  std::shared_ptr<const Source> source;
  // The source text covered by this extent.
  std::string text() const;
};

// Every syntax node knows where it was written (for error positions).
struct Node {
  Extent extent;
  virtual ~Node() = default;
};

struct Statement;
struct ScriptBlockAst;
using StatementPtr = std::unique_ptr<Statement>;
using StatementList = std::vector<StatementPtr>;

// Expressions; `kind` says which subclass a node is.
struct Expr : Node {
  enum class Kind {
    Constant,
    ExpandableString,
    Variable,
    ArrayLiteral,
    ArraySubexpr,
    Subexpr,
    Paren,
    HashLiteral,
    ScriptBlock,
    Unary,
    Binary,
    Member,
    MethodCall,
    Index,
    Cast,
    PostIncrement,
    PreIncrement
  };
  explicit Expr(Kind k) : kind(k) {}
  Kind kind;
};
using ExprPtr = std::unique_ptr<Expr>;

struct ConstantExpr : Expr {
  ConstantExpr() : Expr(Kind::Constant) {}
  Value value;
  bool bareword = false;  // a command-mode argument written without quotes
};

struct ExpandableStringExpr : Expr {
  ExpandableStringExpr() : Expr(Kind::ExpandableString) {}
  struct Part {
    std::string literal;
    ExprPtr expr;  // set for $var and $(...)
  };
  std::vector<Part> parts;
};

struct VariableExpr : Expr {
  VariableExpr() : Expr(Kind::Variable) {}
  std::string name;    // without $ and without scope prefix
  std::string scope;   // "", "global", "script", "local", "env", "private"
  bool splat = false;  // @name in a command argument
};

struct ArrayLiteralExpr : Expr {
  ArrayLiteralExpr() : Expr(Kind::ArrayLiteral) {}
  std::vector<ExprPtr> elements;
};

// $( ... ), @( ... ) and ( pipeline ).
struct SubexprExpr : Expr {
  explicit SubexprExpr(Kind k) : Expr(k) {}
  StatementList statements;
};

struct HashLiteralExpr : Expr {
  HashLiteralExpr() : Expr(Kind::HashLiteral) {}
  std::vector<std::pair<ExprPtr, StatementPtr>> entries;
};

struct ScriptBlockExpr : Expr {
  ScriptBlockExpr() : Expr(Kind::ScriptBlock) {}
  std::unique_ptr<ScriptBlockAst> block;
};

struct UnaryExpr : Expr {
  UnaryExpr() : Expr(Kind::Unary) {}
  std::string op;  // "-not", "!", "-", "+", "-bnot", "-join", "-split", "--", "++"
  ExprPtr operand;
};

struct BinaryExpr : Expr {
  BinaryExpr() : Expr(Kind::Binary) {}
  std::string op;  // lower-case: "+", "-eq", "-and", "..", "-f", "-ceq" ...
  ExprPtr left, right;
};

struct MemberExpr : Expr {
  MemberExpr() : Expr(Kind::Member) {}
  ExprPtr target;
  ExprPtr member;  // usually a constant string
  bool is_static = false;
};

struct MethodCallExpr : Expr {
  MethodCallExpr() : Expr(Kind::MethodCall) {}
  ExprPtr target;
  std::string name;
  std::vector<ExprPtr> args;
  bool is_static = false;
};

struct IndexExpr : Expr {
  IndexExpr() : Expr(Kind::Index) {}
  ExprPtr target, index;
};

// [type] operand, or a type literal when operand is null.
struct CastExpr : Expr {
  CastExpr() : Expr(Kind::Cast) {}
  std::string type;
  ExprPtr operand;
};

struct IncrementExpr : Expr {
  explicit IncrementExpr(Kind k) : Expr(k) {}
  ExprPtr target;
  int delta = 1;
};

// --- statements ---

// One command-line element: -Name, -Name:value or a plain argument.
struct CommandArgument {
  std::string parameter;  // set for -Name or -Name:value
  ExprPtr value;          // the argument, or the value after the colon
  bool colon = false;
  Extent extent;
};

// One element of a pipeline: an expression (first element only) or a command call.
struct CommandElement {
  ExprPtr expression;      // set when this element is an expression
  ExprPtr name;            // command name (a constant bareword or any expression)
  std::string invocation;  // "", "&" or "."
  std::vector<CommandArgument> args;
  Extent extent;
  // Redirections: "1"/"2"/"*" -> target (a path, or "$null"), append flag; "2>&1" merge.
  struct Redirection {
    std::string stream;
    ExprPtr target;
    bool append = false;
    bool merge_to_output = false;
  };
  std::vector<Redirection> redirections;
};

// Statements; `kind` says which subclass a node is.
struct Statement : Node {
  enum class Kind {
    Pipeline,
    Assignment,
    If,
    While,
    DoWhile,
    For,
    Foreach,
    Function,
    Try,
    Throw,
    Return,
    Break,
    Continue,
    Exit,
    Block,
    Switch
  };
  explicit Statement(Kind k) : kind(k) {}
  Kind kind;
};

struct PipelineStatement : Statement {
  PipelineStatement() : Statement(Kind::Pipeline) {}
  std::vector<CommandElement> elements;
};

struct AssignmentStatement : Statement {
  AssignmentStatement() : Statement(Kind::Assignment) {}
  ExprPtr target;
  std::string op;  // "=", "+=", "-=", "*=", "/=", "%="
  StatementPtr value;
};

struct IfStatement : Statement {
  IfStatement() : Statement(Kind::If) {}
  std::vector<std::pair<StatementPtr, StatementList>> clauses;
  std::unique_ptr<StatementList> else_body;
};

struct LoopStatement : Statement {
  explicit LoopStatement(Kind k) : Statement(k) {}
  std::string label;
  StatementPtr init, condition, iterator;  // for; while/do use only condition
  bool until = false;                      // do { } until ( )
  StatementList body;
  // foreach ($var in collection)
  std::string variable;
  StatementPtr collection;
};

// A declared parameter of a function or script block (param() with its attributes).
struct ParameterAst {
  std::string name;
  std::string type;  // "" for untyped
  ExprPtr default_value;
  bool mandatory = false;
  int position = -1;
  bool from_pipeline = false;
  bool from_pipeline_by_name = false;
  std::vector<std::string> aliases;
  std::vector<std::string> validate_set;
  std::string parameter_set;
  Extent extent;
};

// The body of a script, function or { } block.
struct ScriptBlockAst : Node {
  std::vector<ParameterAst> params;
  bool has_param_block = false;
  bool cmdlet_binding = false;
  bool supports_should_process = false;
  std::string default_set;  // [CmdletBinding(DefaultParameterSetName = '...')]
  // begin/process/end; a block without named blocks puts everything in `end`.
  StatementList begin, process, end;
  bool named_blocks = false;
  std::string text;  // source text between the braces
};

struct FunctionStatement : Statement {
  FunctionStatement() : Statement(Kind::Function) {}
  std::string name;
  // shared so that a defined function keeps its body alive after the script is gone
  std::shared_ptr<ScriptBlockAst> body;
};

struct TryStatement : Statement {
  TryStatement() : Statement(Kind::Try) {}
  StatementList body;
  struct Catch {
    std::vector<std::string> types;
    StatementList body;
  };
  std::vector<Catch> catches;
  std::unique_ptr<StatementList> finally_body;
};

// throw / return / exit / break / continue
struct FlowStatement : Statement {
  explicit FlowStatement(Kind k) : Statement(k) {}
  StatementPtr value;  // may be null
  std::string label;
};

// switch [-Regex|-Wildcard|-Exact] [-CaseSensitive] (value) { condition { body } ... default { body
// } }
struct SwitchStatement : Statement {
  SwitchStatement() : Statement(Kind::Switch) {}
  std::string mode;  // "", "regex", "wildcard", "exact"
  bool case_sensitive = false;
  std::string label;
  StatementPtr value;
  struct Clause {
    ExprPtr condition;  // null for default
    StatementList body;
  };
  std::vector<Clause> clauses;
};

struct BlockStatement : Statement {
  BlockStatement() : Statement(Kind::Block) {}
  StatementList body;
};

// A parsed script: its source plus the top-level script block.
struct ParsedScript {
  std::shared_ptr<const Source> source;
  std::unique_ptr<ScriptBlockAst> root;
};

// A script block value: a block plus the parse tree that owns it.
struct ScriptBlock {
  std::shared_ptr<const ParsedScript> owner;     // keeps `ast` alive
  std::shared_ptr<const ScriptBlockAst> shared;  // or this, for function bodies
  const ScriptBlockAst* ast = nullptr;
  std::string text() const { return ast ? ast->text : ""; }
};

// A syntax error, with where it is and whether more input could complete it
// (the interactive shell then asks for another line).
class ParseError : public std::runtime_error {
 public:
  ParseError(std::string message, std::string error_id, Extent at, bool incomplete)
      : std::runtime_error(message),
        error_id(std::move(error_id)),
        extent(std::move(at)),
        incomplete(incomplete) {}
  std::string error_id;
  Extent extent;
  bool incomplete;
};

// Parses `text` (named `name` in messages). Throws ParseError.
std::shared_ptr<ParsedScript> parse_script(std::string name, std::string text);

}  // namespace cimnet::shell
