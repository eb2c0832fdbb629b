#include "sensor/protocols/upnp/soap_envelope.h"

#include <charconv>

namespace mitsu::sensor::upnp {
namespace {

// One tag of the document, as far as a lenient reader needs it.
struct Tag {
  std::string_view name;   // without namespace prefix
  std::string_view attrs;  // raw attribute text
  bool closing = false;
  bool self_closing = false;
  std::size_t end = 0;  // offset just past '>'
};

// The next element tag at or after `from`, skipping comments, declarations and processing
// instructions; nullopt at the end of the text or on a tag that never closes.
std::optional<Tag> next_tag(std::string_view xml, std::size_t from) {
  for (std::size_t at = xml.find('<', from); at != std::string_view::npos;
       at = xml.find('<', at + 1)) {
    std::string_view rest = xml.substr(at);
    if (rest.starts_with("<!--")) {
      std::size_t close = xml.find("-->", at + 4);
      if (close == std::string_view::npos) {
        return std::nullopt;
      }
      at = close + 2;
      continue;
    }
    if (rest.starts_with("<?") || rest.starts_with("<!")) {
      continue;
    }
    std::size_t close = xml.find('>', at);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    Tag tag;
    std::string_view inside = xml.substr(at + 1, close - at - 1);
    if (inside.starts_with('/')) {
      tag.closing = true;
      inside.remove_prefix(1);
    }
    if (inside.ends_with('/')) {
      tag.self_closing = true;
      inside.remove_suffix(1);
    }
    std::size_t name_end = inside.find_first_of(" \t\r\n");
    std::string_view name = inside.substr(0, name_end);
    if (std::size_t colon = name.find(':'); colon != std::string_view::npos) {
      name.remove_prefix(colon + 1);
    }
    tag.name = name;
    tag.attrs = name_end == std::string_view::npos ? std::string_view() : inside.substr(name_end);
    tag.end = close + 1;
    return tag;
  }
  return std::nullopt;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The value of the first xmlns or xmlns:prefix attribute.
std::string namespace_of(std::string_view attrs) {
  std::size_t at = attrs.find("xmlns");
  if (at == std::string_view::npos) {
    return {};
  }
  std::size_t quote = attrs.find_first_of("\"'", at);
  if (quote == std::string_view::npos) {
    return {};
  }
  std::size_t end = attrs.find(attrs[quote], quote + 1);
  if (end == std::string_view::npos) {
    return {};
  }
  return std::string(attrs.substr(quote + 1, end - quote - 1));
}

}  // namespace

std::string_view SoapCall::argument(std::string_view name) const {
  for (const auto& [n, v] : arguments) {
    if (n == name) {
      return v;
    }
  }
  return {};
}

std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    std::size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += text[i];
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    std::string decoded;
    if (entity == "lt") {
      decoded = "<";
    } else if (entity == "gt") {
      decoded = ">";
    } else if (entity == "amp") {
      decoded = "&";
    } else if (entity == "quot") {
      decoded = "\"";
    } else if (entity == "apos") {
      decoded = "'";
    } else if (entity.size() > 1 && entity[0] == '#') {
      bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string_view digits = entity.substr(hex ? 2 : 1);
      unsigned value = 0;
      auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
      if (ec == std::errc() && end == digits.data() + digits.size() && value > 0 && value < 0x80) {
        decoded = std::string(1, static_cast<char>(value));
      }
    }
    if (decoded.empty()) {
      out += text[i];
      continue;
    }
    out += decoded;
    i = semi;
  }
  return out;
}

std::optional<SoapCall> parse_soap(std::string_view soap_action_header, std::string_view body) {
  SoapCall call;
  std::string_view header = soap_action_header;
  while (!header.empty() && (header.front() == '"' || header.front() == ' ')) {
    header.remove_prefix(1);
  }
  while (!header.empty() && (header.back() == '"' || header.back() == ' ')) {
    header.remove_suffix(1);
  }
  if (std::size_t hash = header.rfind('#'); hash != std::string_view::npos) {
    call.service_type = std::string(header.substr(0, hash));
    call.action = std::string(header.substr(hash + 1, 128));
  }

  // Find <Body>, then the action element inside it.
  std::size_t at = 0;
  std::optional<Tag> tag;
  while ((tag = next_tag(body, at)) && !(iequals(tag->name, "Body") && !tag->closing)) {
    at = tag->end;
  }
  if (tag) {
    std::optional<Tag> action = next_tag(body, tag->end);
    if (action && !action->closing) {
      call.action = std::string(action->name.substr(0, 128));
      if (std::string ns = namespace_of(action->attrs); !ns.empty()) {
        call.service_type = ns.substr(0, 256);
      }
      // Arguments: <Name>text</Name> or <Name/> until the action closes.
      at = action->end;
      while (!action->self_closing && call.arguments.size() < kMaxArguments) {
        std::optional<Tag> open = next_tag(body, at);
        if (!open || open->closing) {
          break;
        }
        if (open->self_closing) {
          call.arguments.emplace_back(std::string(open->name.substr(0, 128)), "");
          at = open->end;
          continue;
        }
        // The value runs to the matching close tag: text, or markup an exploit slipped in.
        std::size_t value_end = open->end;
        std::optional<Tag> close;
        while ((close = next_tag(body, value_end)) &&
               !(close->closing && close->name == open->name)) {
          value_end = close->end;
        }
        std::size_t stop =
            close ? body.rfind('<', close->end - 1) : std::min(body.size(), open->end);
        std::string_view raw = body.substr(open->end, stop - open->end);
        call.arguments.emplace_back(std::string(open->name.substr(0, 128)),
                                    xml_unescape(raw.substr(0, kMaxArgumentBytes)));
        if (!close) {
          break;
        }
        at = close->end;
      }
    }
  }
  if (call.action.empty()) {
    return std::nullopt;
  }
  return call;
}

}  // namespace mitsu::sensor::upnp
