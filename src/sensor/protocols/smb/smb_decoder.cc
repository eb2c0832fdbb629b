#include "sensor/protocols/smb/smb_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/byte_reader.h"

namespace mitsu::sensor::smb {
namespace {

constexpr std::size_t kHeader = 64;  // SMB2 header, which every offset counts from
constexpr std::uint32_t kStatusPending = 0x00000103;
constexpr std::uint32_t kMoreProcessingRequired = 0xC0000016;
enum Command : std::uint16_t {
  kNegotiate = 0,
  kSessionSetup = 1,
  kTreeConnect = 3,
  kCreate = 5,
  kClose = 6,
  kWrite = 9,
};

// SMB2's variable-length fields are named by a 16-bit offset (from the header's start) and a
// 16-bit length, at `at` and `at + 2`.
std::optional<std::string_view> smb2_field(const ByteReader& r, std::uint64_t at) {
  auto offset = r.u16(at);
  auto length = r.u16(at + 2);
  if (!offset || !length) {
    return std::nullopt;
  }
  return r.text(*offset, *length);
}

// UTF-16LE names to UTF-8; an odd last byte is dropped.
std::string utf16(std::string_view le) {
  ByteReader r(le);
  std::string out;
  for (std::uint64_t i = 0; auto unit = r.u16(i); i += 2) {
    std::uint32_t c = *unit;
    if (c >= 0xD800 && c < 0xDC00) {
      if (auto low = r.u16(i + 2); low && *low >= 0xDC00 && *low < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + (*low - 0xDC00);
        i += 2;
      }
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | c >> 6);
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | c >> 12);
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | c >> 18);
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string dialect_name(std::uint16_t d) {
  switch (d) {
    case 0x0202:
      return "2.0.2";
    case 0x0210:
      return "2.1";
    case 0x0300:
      return "3.0";
    case 0x0302:
      return "3.0.2";
    case 0x0311:
      return "3.1.1";
    case 0x02FF:
      return "2.x";
    default:
      return fmt::format("0x{:04x}", d);
  }
}

std::string disposition_name(std::uint32_t d) {
  constexpr std::array<const char*, 6> kNames{"supersede", "open",      "create",
                                              "open_if",   "overwrite", "overwrite_if"};
  return d < kNames.size() ? kNames[d] : fmt::format("{}", d);
}

std::string base_name(std::string_view path) {
  std::size_t cut = path.find_last_of("\\/");
  return std::string(cut == std::string_view::npos ? path : path.substr(cut + 1));
}

// A pipe name as smbd sees it: separators as '/', without a "\\PIPE\\" prefix. Real pipes are
// one component ("srvsvc"); anything with a '/' left is a path — the SambaCry trigger.
std::string pipe_path(std::string_view name) {
  std::string p(name);
  std::replace(p.begin(), p.end(), '\\', '/');
  while (p.starts_with("/")) {
    p.erase(0, 1);
  }
  if (p.size() >= 5 && (p.compare(0, 5, "PIPE/") == 0 || p.compare(0, 5, "pipe/") == 0)) {
    p.erase(0, 5);
  }
  return p;
}

}  // namespace

std::string share_relative(std::string_view unc_path) {
  std::string relative(unc_path);
  for (int skip = 0; skip < 4; ++skip) {  // "\\", "\\", server, share
    std::size_t cut = relative.find('\\');
    relative = cut == std::string::npos ? relative : relative.substr(cut + 1);
  }
  std::replace(relative.begin(), relative.end(), '\\', '/');
  return relative;
}

void SmbDecoder::from_client(std::span<const std::byte> bytes, SessionActions& out) {
  feed(client_, bytes, true, out);
}

void SmbDecoder::from_server(std::span<const std::byte> bytes, SessionActions& out) {
  feed(server_, bytes, false, out);
}

void SmbDecoder::anomaly(std::string_view what, SessionActions& out) {
  out.events.push_back(
      {"anomaly",
       {{"mitsu.anomaly.protocol", "smb"}, {"mitsu.anomaly.reason", std::string(what)}}});
  failed_ = true;
  client_.buffer.clear();
  server_.buffer.clear();
}

void SmbDecoder::feed(Stream& stream, std::span<const std::byte> bytes, bool from_client,
                      SessionActions& out) {
  if (failed_) {
    return;
  }
  stream.buffer.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::size_t at = 0;
  while (!failed_) {
    // The NetBIOS session header is a type byte and a 24-bit big-endian length: one u32.
    ByteReader r(stream.buffer, /*big_endian=*/true);
    auto header = r.u32(at);
    if (!header) {
      break;
    }
    auto type = static_cast<std::uint8_t>(*header >> 24);
    std::size_t length = *header & 0xFFFFFF;
    if (type != 0x00 && type != 0x81 && type != 0x82 && type != 0x83 && type != 0x85) {
      anomaly(fmt::format("not a NetBIOS session message (type 0x{:02x})", type), out);
      return;
    }
    if (length > kMaxMessageBytes) {
      anomaly(fmt::format("message of {} bytes", length), out);
      return;
    }
    auto body = r.text(at + 4, length);
    if (!body) {
      break;  // the rest comes in a later read
    }
    if (type == 0x00 && length > 0) {
      message(*body, from_client, out);
    }
    at += 4 + length;
  }
  if (!failed_) {
    stream.buffer.erase(0, at);
  }
}

void SmbDecoder::message(std::string_view m, bool from_client, SessionActions& out) {
  if (m.starts_with("\xFESMB")) {
    smb2(m, from_client, out);
  } else if (m.starts_with("\xFFSMB")) {
    smb1(m, from_client, out);
  } else if (m.starts_with("\xFDSMB") || m.starts_with("\xFCSMB")) {
    // Encrypted or compressed: nothing more to read here, and that is no fault of the client.
    out.events.push_back(
        {"anomaly",
         {{"mitsu.anomaly.protocol", "smb"}, {"mitsu.anomaly.reason", "encrypted or compressed"}}});
    failed_ = true;
  } else {
    anomaly("not SMB", out);
  }
}

// SMB1 (NT LM 0.12), as old tools and the classic SambaCry exploits speak it: NEGOTIATE's
// dialects, TREE_CONNECT_ANDX, NT_CREATE_ANDX, WRITE_ANDX and CLOSE. AndX chains are not
// followed past their first command.
void SmbDecoder::smb1(std::string_view m, bool from_client, SessionActions& out) {
  ByteReader r(m);
  constexpr std::size_t words = 33;  // the header ends with the word count
  auto word_count = r.u8(words - 1);
  std::size_t bytes_at = words + 2 * word_count.value_or(0) + 2;
  auto byte_count = r.u16(bytes_at - 2);
  auto data_field = r.text(bytes_at, byte_count.value_or(0));
  if (!word_count || !byte_count || !data_field) {
    anomaly("short SMB1 message", out);
    return;
  }
  std::string_view data = *data_field;
  // The header's fields all lie before the word count, so they are there.
  std::uint8_t command = r.u8(4).value_or(0);
  std::uint32_t status = r.u32(5).value_or(0);
  bool unicode = (r.u16(10).value_or(0) & 0x8000) != 0;
  std::uint16_t tid = r.u16(24).value_or(0);
  std::uint64_t mid = 0x1'0000'0000ULL | r.u16(30).value_or(0);  // apart from SMB2 message ids
  auto text = [&](std::string_view from) {
    if (!unicode) {
      return std::string(from.substr(0, from.find('\0')));
    }
    std::size_t end = 0;
    while (end + 1 < from.size() && (from[end] != 0 || from[end + 1] != 0)) {
      end += 2;
    }
    return utf16(from.substr(0, end));
  };
  // Unicode strings start on an even offset from the header.
  auto aligned = [&](std::size_t at) { return unicode && at % 2 == 1 ? at + 1 : at; };
  if (from_client) {
    switch (command) {
      case 0x72:  // NEGOTIATE
        for (std::size_t at = 0; at < data.size();) {
          std::size_t end = data.find('\0', at + 1);
          if (data[at] != 0x02 || end == std::string_view::npos) {
            break;
          }
          if (dialects_offered_.size() < 32) {
            dialects_offered_.emplace_back(data.substr(at + 1, end - at - 1));
          }
          at = end + 1;
        }
        break;
      case 0x75: {  // TREE_CONNECT_ANDX
        std::uint16_t password = r.u16(words + 6).value_or(0);
        std::size_t at = aligned(bytes_at + password);
        if (at <= m.size() && pending_.size() < 4096) {
          pending_[mid] = Pending{0x75, text(m.substr(at)), 0, 0};
        }
        break;
      }
      case 0xA2: {  // NT_CREATE_ANDX
        auto disposition = r.u32(words + 35);
        std::string name = text(m.substr(std::min(aligned(bytes_at), m.size())));
        if (disposition && pipe_trees_.contains(tid)) {
          sambacry_check(name, out);
        }
        if (pending_.size() < 4096) {
          pending_[mid] = Pending{0xA2, name, tid, disposition.value_or(0)};
        }
        break;
      }
      case 0x2F: {  // WRITE_ANDX
        auto fid = r.text(words + 4, 2);
        auto offset = r.u32(words + 6);
        // Only the 14-word form carries the offset's high half.
        auto offset_high = *word_count == 14 ? r.u32(words + 24) : std::optional<std::uint32_t>(0);
        auto length_high = r.u16(words + 18);
        auto length = r.u16(words + 20);
        auto data_offset = r.u16(words + 22);
        if (!fid || !offset || !offset_high || !length_high || !length || !data_offset) {
          break;
        }
        if (auto written = r.text(*data_offset, *length | std::size_t{*length_high} << 16)) {
          write("smb1:" + std::string(*fid), *offset | std::uint64_t{*offset_high} << 32, *written,
                out);
        }
        break;
      }
      case 0x04: {  // CLOSE
        auto fid = r.text(words, 2);
        if (!fid) {
          break;
        }
        if (auto it = files_.find("smb1:" + std::string(*fid)); it != files_.end()) {
          keep(it->second, out);
          files_.erase(it);
        }
        break;
      }
      default:
        break;
    }
    return;
  }
  auto it = pending_.find(mid);
  if (it == pending_.end() || it->second.command != command) {
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  std::string outcome = status == 0 ? "success" : "failure";
  if (command == 0x75) {
    std::string service(data.substr(0, data.find('\0')));
    if (status == 0 && trees_.size() < 1024) {
      trees_[tid] = p.name;
      if (service == "IPC") {
        pipe_trees_.insert(tid);
      }
    }
    nlohmann::json fields{{"mitsu.smb.share", p.name}, {"event.outcome", outcome}};
    if (status == 0) {
      fields["mitsu.smb.share_type"] = service == "IPC"     ? "pipe"
                                       : service == "LPT1:" ? "print"
                                                            : "disk";
    } else {
      fields["error.code"] = fmt::format("0x{:08x}", status);
    }
    out.events.push_back({"smb.tree_connect", std::move(fields)});
  } else if (command == 0xA2) {
    bool pipe = pipe_trees_.contains(p.tree);
    std::string path = (trees_.contains(p.tree) ? trees_[p.tree] : "") + "\\" + p.name;
    nlohmann::json fields{{"file.path", path},
                          {"mitsu.smb.disposition", disposition_name(p.disposition)},
                          {"mitsu.smb.pipe", pipe},
                          {"event.outcome", outcome}};
    if (status != 0) {
      fields["error.code"] = fmt::format("0x{:08x}", status);
    }
    out.events.push_back({"smb.create", std::move(fields)});
    auto fid = r.text(words + 5, 2);
    if (status == 0 && fid && files_.size() < kMaxOpenFiles) {
      files_["smb1:" + std::string(*fid)] = OpenFile{path, pipe, {}, false};
    }
  }
}

// SambaCry: a "pipe" named by a path makes an unpatched smbd load that file as a module
// (clients turn '/' into '\\', smbd turns it back).
void SmbDecoder::sambacry_check(std::string_view name, SessionActions& out) {
  std::string path = pipe_path(name);
  if (path.find('/') == std::string::npos) {
    return;  // a real pipe: srvsvc, lsarpc, …
  }
  path = "/" + path;
  // Did it name a file uploaded in this session, where the device keeps it?
  bool matches = false;
  for (const std::string& uploaded : uploaded_) {
    matches |= share_dir_.empty() ? base_name(path) == base_name(uploaded)
                                  : path == share_dir_ + "/" + uploaded;
  }
  out.events.push_back({"exploit",
                        {{"rule.id", "samba-is-known-pipename"},
                         {"rule.name", "Samba loads a shared library named as a pipe (SambaCry)"},
                         {"vulnerability.id", nlohmann::json::array({"CVE-2017-7494"})},
                         {"file.path", path},
                         {"mitsu.smb.matches_upload", matches}}});
}

void SmbDecoder::smb2(std::string_view m, bool from_client, SessionActions& out) {
  // Compounded requests and responses: NextCommand chains them in one message.
  for (int chained = 0; chained < 64 && !m.empty() && !failed_; ++chained) {
    ByteReader r(m);
    // The message id ends the fixed fields: where it is, the fields before it are too.
    auto message_id = r.u64(24);
    std::uint32_t flags = r.u32(16).value_or(0);
    auto tree = (flags & 0x2) ? std::optional<std::uint32_t>(0) : r.u32(36);  // none when async
    std::uint32_t next = r.u32(20).value_or(0);
    if (!message_id || !tree || r.u16(4) != 64 ||
        (next != 0 && (next < kHeader || next > m.size()))) {
      anomaly("malformed SMB2 header", out);
      return;
    }
    std::uint16_t command = r.u16(12).value_or(0);
    std::uint32_t status = r.u32(8).value_or(0);
    std::string_view piece = next != 0 ? m.substr(0, next) : m;
    bool is_response = (flags & 0x1) != 0;
    if (is_response != !from_client) {
      anomaly("SMB2 message in the wrong direction", out);
      return;
    }
    if (is_response) {
      response(piece, command, *message_id, status, *tree, out);
    } else {
      request(piece, command, *message_id, *tree, out);
    }
    if (next == 0) {
      break;
    }
    m.remove_prefix(next);
  }
}

void SmbDecoder::request(std::string_view m, std::uint16_t command, std::uint64_t message_id,
                         std::uint32_t tree, SessionActions& out) {
  ByteReader r(m);
  Pending p{command, {}, tree, 0};
  bool complete = true;  // false: a field the request names lies past its end
  switch (command) {
    case kNegotiate: {
      auto count = r.u16(kHeader + 2);
      complete = count.has_value();
      for (std::uint16_t i = 0; i < count.value_or(0) && i < 32 && complete; ++i) {
        auto d = r.u16(kHeader + 36 + 2 * i);
        complete = d.has_value();
        if (d) {
          dialects_offered_.push_back(dialect_name(*d));
        }
      }
      break;
    }
    case kSessionSetup: {
      auto security = smb2_field(r, kHeader + 12);
      complete = security.has_value();
      std::size_t at =
          security ? security->find(std::string_view("NTLMSSP\0", 8)) : std::string_view::npos;
      if (at == std::string_view::npos) {
        break;
      }
      ByteReader ntlm(security->substr(at));
      if (ntlm.u32(8) != 3) {
        break;  // negotiate or challenge: names come in the authenticate message
      }
      auto negotiate_flags = ntlm.u32(60);
      bool unicode = (negotiate_flags.value_or(0) & 0x1) != 0;
      bool names_inside = true;
      // An NTLMSSP field: 16-bit length, 16-bit maximum length, 32-bit offset.
      auto field = [&](std::uint64_t at_field) {
        auto length = ntlm.u16(at_field);
        auto offset = ntlm.u32(at_field + 4);
        auto v = length && offset ? ntlm.text(*offset, *length) : std::nullopt;
        names_inside = names_inside && v;
        std::string_view name = v.value_or("");
        return unicode ? utf16(name.substr(0, 512)) : std::string(name.substr(0, 256));
      };
      domain_ = field(28);
      user_ = field(36);
      workstation_ = field(44);
      if (!negotiate_flags || !names_inside) {
        anomaly("malformed NTLMSSP authenticate", out);
        return;
      }
      break;
    }
    case kTreeConnect: {
      auto path = smb2_field(r, kHeader + 4);
      complete = path.has_value();
      p.name = utf16(path.value_or(""));
      break;
    }
    case kCreate: {
      auto disposition = r.u32(kHeader + 36);
      auto name = smb2_field(r, kHeader + 44);
      complete = disposition && name;
      p.disposition = disposition.value_or(0);
      p.name = utf16(name.value_or(""));
      if (complete && pipe_trees_.contains(tree)) {
        sambacry_check(p.name, out);
      }
      break;
    }
    case kWrite: {
      auto data_offset = r.u16(kHeader + 2);
      auto length = r.u32(kHeader + 4);
      auto offset = r.u64(kHeader + 8);
      auto id = r.text(kHeader + 16, 16);
      auto data = data_offset && length ? r.text(*data_offset, *length) : std::nullopt;
      if (!offset || !id || !data) {
        anomaly("malformed SMB2 write", out);
        return;
      }
      write(*id == std::string(16, '\xFF') ? last_file_id_ : std::string(*id), *offset, *data, out);
      break;
    }
    case kClose: {
      auto id = r.text(kHeader + 8, 16);
      complete = id.has_value();
      if (!id) {
        break;
      }
      auto it = files_.find(*id == std::string(16, '\xFF') ? last_file_id_ : std::string(*id));
      if (it != files_.end()) {
        keep(it->second, out);
        files_.erase(it);
      }
      break;
    }
    default:
      break;
  }
  if (!complete) {
    anomaly(fmt::format("short SMB2 request (command {})", command), out);
    return;
  }
  if (command == kSessionSetup || command == kTreeConnect || command == kCreate) {
    if (pending_.size() < 4096) {
      pending_[message_id] = std::move(p);
    }
  }
}

void SmbDecoder::response(std::string_view m, std::uint16_t command, std::uint64_t message_id,
                          std::uint32_t status, std::uint32_t tree, SessionActions& out) {
  ByteReader r(m);
  if (command == kNegotiate) {
    dialect_chosen_ = dialect_name(r.u16(kHeader + 4).value_or(0));
    return;
  }
  if (status == kStatusPending) {
    return;  // the real answer follows
  }
  auto it = pending_.find(message_id);
  if (it == pending_.end()) {
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  std::string outcome = status == 0 ? "success" : "failure";
  std::string code = fmt::format("0x{:08x}", status);
  switch (command) {
    case kSessionSetup: {
      if (status == kMoreProcessingRequired || session_reported_) {
        break;
      }
      session_reported_ = true;
      std::uint16_t session_flags = r.u16(kHeader + 2).value_or(0);
      nlohmann::json fields{{"user.name", user_},
                            {"mitsu.smb.dialects", dialects_offered_},
                            {"mitsu.smb.guest", status == 0 && (session_flags & 0x3) != 0},
                            {"event.outcome", outcome}};
      if (!dialect_chosen_.empty()) {
        fields["mitsu.smb.dialect"] = dialect_chosen_;
      }
      if (!domain_.empty()) {
        fields["user.domain"] = domain_;
      }
      if (!workstation_.empty()) {
        fields["mitsu.smb.workstation"] = workstation_;
      }
      if (status != 0) {
        fields["error.code"] = code;
      }
      out.events.push_back({"smb.session", std::move(fields)});
      out.events.push_back({"login.attempt",
                            {{"user.name", user_},
                             {"mitsu.login.password", ""},
                             {"mitsu.login.method", "ntlm"},
                             {"event.outcome", outcome}}});
      break;
    }
    case kTreeConnect: {
      std::uint8_t type = r.u8(kHeader + 2).value_or(0);
      if (status == 0 && trees_.size() < 1024) {
        trees_[tree] = p.name;
        if (type == 2) {
          pipe_trees_.insert(tree);
        }
      }
      nlohmann::json fields{{"mitsu.smb.share", p.name}, {"event.outcome", outcome}};
      if (status == 0) {
        fields["mitsu.smb.share_type"] = type == 1 ? "disk" : type == 2 ? "pipe" : "print";
      } else {
        fields["error.code"] = code;
      }
      out.events.push_back({"smb.tree_connect", std::move(fields)});
      break;
    }
    case kCreate: {
      bool pipe = pipe_trees_.contains(p.tree);
      std::string share = trees_.contains(p.tree) ? trees_[p.tree] : "";
      std::string path = share + "\\" + p.name;
      nlohmann::json fields{{"file.path", path},
                            {"mitsu.smb.disposition", disposition_name(p.disposition)},
                            {"mitsu.smb.pipe", pipe},
                            {"event.outcome", outcome}};
      if (status != 0) {
        fields["error.code"] = code;
      }
      out.events.push_back({"smb.create", std::move(fields)});
      auto id = r.text(kHeader + 64, 16);
      if (status == 0 && id && files_.size() < kMaxOpenFiles) {
        files_[std::string(*id)] = OpenFile{path, pipe, {}, false};
        last_file_id_ = *id;
      }
      break;
    }
    default:
      break;
  }
}

void SmbDecoder::write(const std::string& id, std::uint64_t offset, std::string_view data,
                       SessionActions& out) {
  auto it = files_.find(id);
  if (it == files_.end() || it->second.pipe) {
    return;  // pipes carry RPC, not files
  }
  OpenFile& f = it->second;
  if (offset > kMaxFileBytes || data.size() > kMaxFileBytes - offset) {
    out.events.push_back({"anomaly",
                          {{"mitsu.anomaly.protocol", "smb"},
                           {"mitsu.anomaly.reason", "write past the file cap"},
                           {"file.path", f.path}}});
    return;
  }
  if (f.content.size() < offset + data.size()) {
    f.content.resize(offset + data.size());
  }
  std::copy(data.begin(), data.end(), f.content.begin() + static_cast<std::ptrdiff_t>(offset));
  f.written = true;
}

void SmbDecoder::keep(OpenFile& file, SessionActions& out) {
  if (!file.written) {
    return;
  }
  if (uploaded_.size() < 1024) {
    uploaded_.insert(share_relative(file.path));
  }
  out.captures.push_back({file.path, std::move(file.content)});
  file.content.clear();
  file.written = false;
}

void SmbDecoder::finish(SessionActions& out) {
  for (auto& [id, file] : files_) {
    keep(file, out);  // written but never closed: the connection dropped, the bytes stay
  }
  files_.clear();
}

}  // namespace mitsu::sensor::smb
