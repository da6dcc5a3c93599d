// cimsh: the cimnet shell. `cimsh -Command "..."`, `cimsh -File script.ps1 args...`, or an
// interactive prompt with readline (history, tab completion) when stdin is a terminal.

#include <pthread.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cimnet/shell/completion.h"
#include "cimnet/shell/interpreter.h"

using namespace cimnet::shell;

namespace {

Interpreter* g_interp = nullptr;
volatile sig_atomic_t g_in_readline = 0;

// Ctrl-C: at the prompt it discards the line; while a command runs it stops the pipeline.
void on_sigint(int) {
  if (g_in_readline) {
    (void)!write(STDOUT_FILENO, "\n", 1);
    rl_on_new_line();
    rl_replace_line("", 0);
    rl_redisplay();
    return;
  }
  if (g_interp) g_interp->request_stop();
}
std::vector<std::string> g_matches;
bool g_file_fallback = false;

char* generator(const char*, int state) {
  static size_t index;
  if (state == 0) index = 0;
  if (index < g_matches.size()) return strdup(g_matches[index++].c_str());
  return nullptr;
}

char** complete(const char* text, int start, int) {
  std::string line(rl_line_buffer ? rl_line_buffer : "");
  g_matches = complete_word(*g_interp, line, static_cast<size_t>(start), text, &g_file_fallback);
  if (g_matches.empty()) {
    rl_attempted_completion_over = g_file_fallback ? 0 : 1;
    return nullptr;
  }
  rl_attempted_completion_over = 1;
  return rl_completion_matches(text, generator);
}

std::string history_path() {
  if (const char* p = std::getenv("CIMSH_HISTORY")) return p;
  const char* home = std::getenv("HOME");
  if (!home) return "";
  std::string dir = std::string(home) + "/.local/share/cimsh";
  std::string mk = std::string(home) + "/.local";
  mkdir(mk.c_str(), 0700);
  mk += "/share";
  mkdir(mk.c_str(), 0700);
  mkdir(dir.c_str(), 0700);
  return dir + "/history";
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

// True when `text` is a complete script (no parse error that more input could fix).
bool complete_input(const std::string& text) {
  try {
    parse_script("", text);
    return true;
  } catch (const ParseError& e) {
    return !e.incomplete;
  }
}

// Reads statements from `next_line` until end of input; runs each complete chunk.
int run_lines(Interpreter& in,
              const std::function<std::optional<std::string>(bool continuation)>& next_line) {
  std::string buffer;
  for (;;) {
    auto line = next_line(!buffer.empty());
    if (!line) break;
    buffer += *line + "\n";
    if (!complete_input(buffer)) continue;
    std::string chunk = buffer;
    buffer.clear();
    if (chunk.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    in.clear_stop();
    in.run_script("", chunk);
    if (in.exit_code()) return *in.exit_code();
  }
  if (!buffer.empty()) in.run_script("", buffer);  // reports the incomplete input
  if (in.exit_code()) return *in.exit_code();
  return in.last_status() ? 0 : 1;
}

void usage() {
  std::fputs(
      "usage: cimsh [-NoProfile] [-NoLogo] [-NonInteractive] [-Command <text> | -File <script.ps1> "
      "[args...]]\n"
      "  -Command, -c   run the text and exit (\"-\" reads it from standard input)\n"
      "  -File, -f      run a script with the remaining arguments in $args\n"
      "  -NoProfile     do not run ~/.config/cimsh/profile.ps1\n"
      "Without -Command or -File, cimsh reads commands interactively (or from a pipe).\n",
      stdout);
}

}  // namespace

int real_main(int argc, char** argv) {
  bool no_profile = false, have_command = false, have_file = false;
  std::string command, file;
  std::vector<Value> script_args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string la = to_lower(a);
    if (la == "-noprofile" || la == "-nop")
      no_profile = true;
    else if (la == "-nologo" || la == "-noninteractive" || la == "-noni")
      continue;
    else if (la == "-help" || la == "-h" || la == "-?" || la == "--help") {
      usage();
      return 0;
    } else if (la == "-command" || la == "-c") {
      if (i + 1 >= argc) {
        std::fputs("cimsh: -Command needs an argument\n", stderr);
        return 64;
      }
      have_command = true;
      // the rest of the command line is the command, as pwsh does
      for (int k = i + 1; k < argc; ++k) command += (k > i + 1 ? " " : "") + std::string(argv[k]);
      break;
    } else if (la == "-file" || la == "-f") {
      if (i + 1 >= argc) {
        std::fputs("cimsh: -File needs a script path\n", stderr);
        return 64;
      }
      have_file = true;
      file = argv[++i];
      for (int k = i + 1; k < argc; ++k) script_args.push_back(Value(std::string(argv[k])));
      break;
    } else if (!a.empty() && a[0] != '-') {
      have_file = true;
      file = a;
      for (int k = i + 1; k < argc; ++k) script_args.push_back(Value(std::string(argv[k])));
      break;
    } else {
      std::fprintf(stderr, "cimsh: unknown option '%s'\n", a.c_str());
      usage();
      return 64;
    }
  }

  ConsoleHost host;
  Interpreter in(host);
  g_interp = &in;
  if (!no_profile) {
    const char* home = std::getenv("HOME");
    std::string text;
    if (home && read_file(std::string(home) + "/.config/cimsh/profile.ps1", text))
      in.run_script(std::string(home) + "/.config/cimsh/profile.ps1", text);
  }

  if (have_file) {
    std::string text;
    if (!read_file(file, text)) {
      std::fprintf(
          stderr,
          "The argument '%s' is not recognized as the name of a script file. Check the spelling of "
          "the name, or if a path was included, verify that the path is correct and try again.\n",
          file.c_str());
      return 64;
    }
    in.set_script_args(std::move(script_args));
    in.set_variable("PSCommandPath", Value(file));
    auto slash = file.rfind('/');
    in.set_variable("PSScriptRoot",
                    Value(slash == std::string::npos ? std::string(".") : file.substr(0, slash)));
    bool ok = in.run_script(file, text);
    if (in.exit_code()) return *in.exit_code();
    return ok ? 0 : 1;
  }
  if (have_command) {
    if (command == "-") {
      return run_lines(in, [](bool) -> std::optional<std::string> {
        std::string line;
        if (!std::getline(std::cin, line)) return std::nullopt;
        return line;
      });
    }
    bool ok = in.run_script("", command);
    if (in.exit_code()) return *in.exit_code();
    return ok && in.last_status() ? 0 : 1;
  }

  if (!isatty(STDIN_FILENO)) {
    return run_lines(in, [](bool) -> std::optional<std::string> {
      std::string line;
      if (!std::getline(std::cin, line)) return std::nullopt;
      return line;
    });
  }

  // interactive
  rl_readline_name = "cimsh";
  rl_catch_signals = 0;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  rl_attempted_completion_function = complete;
  rl_basic_word_break_characters = const_cast<char*>(" \t\n|;{}(),=");
  rl_completion_append_character = ' ';
  using_history();
  stifle_history(1000);
  std::string hist = history_path();
  if (!hist.empty()) read_history(hist.c_str());
  int code = run_lines(in, [](bool continuation) -> std::optional<std::string> {
    g_in_readline = 1;
    char* raw = readline(continuation ? ">> " : "PS> ");
    g_in_readline = 0;
    if (!raw) {
      std::fputs("\n", stdout);
      return std::nullopt;
    }
    std::string line = raw;
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
    return line;
  });
  if (!hist.empty()) {
    write_history(hist.c_str());
    history_truncate_file(hist.c_str(), 1000);
  }
  return code;
}

namespace {
struct MainArgs {
  int argc;
  char** argv;
  int result;
};
void* main_thread(void* p) {
  auto* a = static_cast<MainArgs*>(p);
  a->result = real_main(a->argc, a->argv);
  return nullptr;
}
}  // namespace

// Scripts may nest deeply (recursive functions up to the call-depth limit); run the shell
// on a thread with a large stack rather than the default 8 MB.
int main(int argc, char** argv) {
  MainArgs args{argc, argv, 0};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256u << 20);
  pthread_t t;
  if (pthread_create(&t, &attr, main_thread, &args) != 0) return real_main(argc, argv);
  pthread_join(t, nullptr);
  return args.result;
}
