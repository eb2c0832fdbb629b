#include "sensor/shell/command_line.h"

#include <cctype>
#include <optional>

namespace mitsu::sensor {
namespace {

bool is_operator_char(char c) {
  return c == ';' || c == '&' || c == '|' || c == '<' || c == '>';
}

class Parser {
 public:
  explicit Parser(std::string_view line) : text_(line.substr(0, kMaxCommandLineBytes)) {}

  ParsedLine run() {
    ParsedLine out;
    Pipeline pipeline;
    SimpleCommand command;
    auto finish_command = [&]() -> bool {
      if (command.argv.empty() && command.redirections.empty()) {
        return false;
      }
      pipeline.commands.push_back(std::move(command));
      command = {};
      return true;
    };
    auto syntax_error = [&](std::string_view token) {
      out.error = "sh: syntax error: unexpected \"" + std::string(token) + "\"";
    };
    std::size_t words = 0;
    bool after_pipe = false;  // a '|' needs a command after it
    while (out.error.empty()) {
      skip_blanks();
      if (at_end() || peek() == '#') {
        break;
      }
      char c = peek();
      if (c == '\n' || c == ';' || c == '&' || c == '|') {
        std::string op = take_operator();
        if (op == "|") {
          if (!finish_command()) {
            syntax_error(op);
            break;
          }
          after_pipe = true;
          continue;
        }
        bool had_command = finish_command();
        if (pipeline.commands.empty() && op == "\n") {
          continue;  // an empty line
        }
        if (pipeline.commands.empty() || !had_command || op == ";;") {
          syntax_error(op == "\n" ? "newline" : op);  // "; ls", "ls | ;", "ls ;;"
          break;
        }
        pipeline.then = op == "&&"   ? Connector::kAnd
                        : op == "||" ? Connector::kOr
                        : op == "&"  ? Connector::kBackground
                                     : Connector::kSequence;
        out.pipelines.push_back(std::move(pipeline));
        pipeline = {};
        continue;
      }
      if (auto redirection = take_redirection()) {
        if (!redirection_ok_) {
          out.error = "sh: syntax error: unexpected newline";
          break;
        }
        command.redirections.push_back(std::move(*redirection));
        after_pipe = false;
        continue;
      }
      std::string word;
      if (!take_word(word)) {
        out.error = "sh: syntax error: unterminated quoted string";
        break;
      }
      if (++words > kMaxWords) {
        out.error = "sh: argument list too long";
        break;
      }
      command.argv.push_back(std::move(word));
      after_pipe = false;
    }
    if (out.error.empty() && after_pipe) {
      out.error = "sh: syntax error: unexpected end of file";
    }
    if (out.error.empty()) {
      finish_command();
      if (!pipeline.commands.empty()) {
        out.pipelines.push_back(std::move(pipeline));
      } else if (!out.pipelines.empty() && out.pipelines.back().then != Connector::kSequence &&
                 out.pipelines.back().then != Connector::kBackground) {
        // "a &&" with nothing after: busybox waits for more in a terminal; as a line it is an
        // error.
        out.error = "sh: syntax error: unexpected end of file";
      }
    }
    return out;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  void skip_blanks() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\r')) {
      ++pos_;
    }
  }

  std::string take_operator() {
    char c = peek();
    ++pos_;
    if ((c == '&' || c == '|') && peek() == c) {
      ++pos_;
      return std::string(2, c);
    }
    if (c == ';' && peek() == ';') {
      ++pos_;
      return ";;";
    }
    return std::string(1, c);
  }

  // [n]> [n]>> [n]< [n]>&m — the optional fd must touch the operator.
  std::optional<Redirection> take_redirection() {
    std::size_t start = pos_;
    int fd = -1;
    if (std::isdigit(static_cast<unsigned char>(peek())) && (peek(1) == '>' || peek(1) == '<')) {
      fd = peek() - '0';
      ++pos_;
    }
    char c = peek();
    if (c != '>' && c != '<') {
      pos_ = start;
      return std::nullopt;
    }
    ++pos_;
    Redirection r;
    if (c == '<') {
      r.kind = Redirection::Kind::kRead;
      r.fd = fd < 0 ? 0 : fd;
    } else if (peek() == '>') {
      ++pos_;
      r.kind = Redirection::Kind::kAppend;
      r.fd = fd < 0 ? 1 : fd;
    } else if (peek() == '&') {
      ++pos_;
      r.kind = Redirection::Kind::kDuplicate;
      r.fd = fd < 0 ? 1 : fd;
    } else {
      if (peek() == '|') {
        ++pos_;  // ">|" clobber: the same as '>' here
      }
      r.kind = Redirection::Kind::kWrite;
      r.fd = fd < 0 ? 1 : fd;
    }
    skip_blanks();
    redirection_ok_ = !at_end() && peek() != '\n' && !is_operator_char(peek());
    if (redirection_ok_ && !take_word(r.target)) {
      redirection_ok_ = false;
    }
    return r;
  }

  // One word, quotes removed; false on an unterminated quote.
  bool take_word(std::string& word) {
    while (!at_end()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || is_operator_char(c)) {
        break;
      }
      ++pos_;
      if (c == '\\') {
        if (!at_end()) {
          if (peek() != '\n') {
            word += peek();
          }
          ++pos_;
        }
      } else if (c == '\'') {
        std::size_t end = text_.find('\'', pos_);
        if (end == std::string_view::npos) {
          return false;
        }
        word.append(text_.substr(pos_, end - pos_));
        pos_ = end + 1;
      } else if (c == '"') {
        if (!take_double_quoted(word)) {
          return false;
        }
      } else if (c == '`') {
        // Kept literally, with its backticks: nothing is substituted.
        std::size_t end = text_.find('`', pos_);
        if (end == std::string_view::npos) {
          return false;
        }
        word += '`';
        word.append(text_.substr(pos_, end - pos_ + 1));
        pos_ = end + 1;
      } else if (c == '$' && peek() == '(') {
        if (!take_substitution(word)) {
          return false;
        }
      } else {
        word += c;
      }
    }
    return true;
  }

  bool take_double_quoted(std::string& word) {
    while (!at_end()) {
      char c = peek();
      ++pos_;
      if (c == '"') {
        return true;
      }
      if (c == '\\' && !at_end()) {
        char next = peek();
        // Inside double quotes a backslash escapes only these.
        if (next == '"' || next == '\\' || next == '$' || next == '`' || next == '\n') {
          if (next != '\n') {
            word += next;
          }
          ++pos_;
          continue;
        }
      }
      word += c;
    }
    return false;
  }

  // "$(" … ")" with nesting, kept as written.
  bool take_substitution(std::string& word) {
    std::size_t start = pos_ - 1;  // at '$'
    int depth = 0;
    while (!at_end()) {
      char c = peek();
      ++pos_;
      if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        word.append(text_.substr(start, pos_ - start));
        return true;
      }
    }
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool redirection_ok_ = true;
};

}  // namespace

ParsedLine parse_command_line(std::string_view line) {
  return Parser(line).run();
}

}  // namespace mitsu::sensor
