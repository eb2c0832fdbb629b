#include "sensor/protocols/smb/smb_decoder.h"

#include <fmt/format.h>

#include <algorithm>

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

// Little-endian reads that report a short message instead of reading past it.
struct Reader {
  std::string_view m;
  bool ok = true;
  std::uint64_t get(std::size_t at, std::size_t size) {
    if (at + size > m.size()) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < size; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(m[at + i])) << (8 * i);
    }
    return v;
  }
  std::uint16_t u16(std::size_t at) { return static_cast<std::uint16_t>(get(at, 2)); }
  std::uint32_t u32(std::size_t at) { return static_cast<std::uint32_t>(get(at, 4)); }
  std::uint64_t u64(std::size_t at) { return get(at, 8); }
  std::string_view bytes(std::size_t at, std::size_t size) {
    if (at > m.size() || size > m.size() - at) {
      ok = false;
      return {};
    }
    return m.substr(at, size);
  }
};

std::string utf16(std::string_view le) {
  std::string out;
  for (std::size_t i = 0; i + 1 < le.size(); i += 2) {
    std::uint32_t c = static_cast<unsigned char>(le[i]) | static_cast<unsigned char>(le[i + 1])
                                                              << 8;
    if (c >= 0xD800 && c < 0xDC00 && i + 3 < le.size()) {
      std::uint32_t low =
          static_cast<unsigned char>(le[i + 2]) | static_cast<unsigned char>(le[i + 3]) << 8;
      if (low >= 0xDC00 && low < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
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
  while (!failed_ && stream.buffer.size() - at >= 4) {
    std::string_view b(stream.buffer);
    auto type = static_cast<unsigned char>(b[at]);
    std::size_t length = static_cast<std::size_t>(static_cast<unsigned char>(b[at + 1])) << 16 |
                         static_cast<std::size_t>(static_cast<unsigned char>(b[at + 2])) << 8 |
                         static_cast<unsigned char>(b[at + 3]);
    if (type != 0x00 && type != 0x81 && type != 0x82 && type != 0x83 && type != 0x85) {
      anomaly(fmt::format("not a NetBIOS session message (type 0x{:02x})", type), out);
      return;
    }
    if (length > kMaxMessageBytes) {
      anomaly(fmt::format("message of {} bytes", length), out);
      return;
    }
    if (b.size() - at - 4 < length) {
      break;  // the rest comes in a later read
    }
    if (type == 0x00 && length > 0) {
      message(b.substr(at + 4, length), from_client, out);
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
  Reader r{m};
  auto command = static_cast<std::uint8_t>(r.get(4, 1));
  std::uint32_t status = r.u32(5);
  bool unicode = (r.u16(10) & 0x8000) != 0;
  std::uint16_t tid = r.u16(24);
  std::uint64_t mid = 0x1'0000'0000ULL | r.u16(30);  // apart from SMB2 message ids
  std::size_t words = 33;
  std::size_t word_count = r.get(32, 1);
  std::size_t bytes_at = words + 2 * word_count + 2;
  std::uint16_t byte_count = r.u16(words + 2 * word_count);
  std::string_view data = r.bytes(bytes_at, byte_count);
  if (!r.ok) {
    anomaly("short SMB1 message", out);
    return;
  }
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
        std::uint16_t password = r.u16(words + 6);
        std::size_t at = aligned(bytes_at + password);
        if (at <= m.size() && pending_.size() < 4096) {
          pending_[mid] = Pending{0x75, text(m.substr(at)), 0, 0};
        }
        break;
      }
      case 0xA2: {  // NT_CREATE_ANDX
        std::uint32_t disposition = r.u32(words + 35);
        std::string name = text(m.substr(std::min(aligned(bytes_at), m.size())));
        if (r.ok && pipe_trees_.contains(tid)) {
          sambacry_check(name, out);
        }
        if (pending_.size() < 4096) {
          pending_[mid] = Pending{0xA2, name, tid, disposition};
        }
        break;
      }
      case 0x2F: {  // WRITE_ANDX
        std::string id = "smb1:" + std::string(r.bytes(words + 4, 2));
        std::uint64_t offset = r.u32(words + 6);
        if (word_count == 14) {
          offset |= static_cast<std::uint64_t>(r.u32(words + 24)) << 32;
        }
        std::size_t length = r.u16(words + 20) | static_cast<std::size_t>(r.u16(words + 18)) << 16;
        std::string_view written = r.bytes(r.u16(words + 22), length);
        if (r.ok) {
          write(id, offset, written, out);
        }
        break;
      }
      case 0x04: {  // CLOSE
        std::string id = "smb1:" + std::string(r.bytes(words, 2));
        if (auto it = files_.find(id); r.ok && it != files_.end()) {
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
    std::string id = "smb1:" + std::string(r.bytes(words + 5, 2));
    if (status == 0 && r.ok && files_.size() < kMaxOpenFiles) {
      files_[id] = OpenFile{path, pipe, {}, false};
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
    Reader r{m};
    std::uint16_t command = r.u16(12);
    std::uint32_t status = r.u32(8);
    std::uint32_t flags = r.u32(16);
    std::uint32_t next = r.u32(20);
    std::uint64_t message_id = r.u64(24);
    std::uint32_t tree = (flags & 0x2) ? 0 : r.u32(36);  // async headers carry no tree id
    if (!r.ok || r.u16(4) != 64 || (next != 0 && (next < kHeader || next > m.size()))) {
      anomaly("malformed SMB2 header", out);
      return;
    }
    std::string_view piece = next != 0 ? m.substr(0, next) : m;
    bool is_response = (flags & 0x1) != 0;
    if (is_response != !from_client) {
      anomaly("SMB2 message in the wrong direction", out);
      return;
    }
    if (is_response) {
      response(piece, command, message_id, status, tree, out);
    } else {
      request(piece, command, message_id, tree, out);
    }
    if (next == 0) {
      break;
    }
    m.remove_prefix(next);
  }
}

void SmbDecoder::request(std::string_view m, std::uint16_t command, std::uint64_t message_id,
                         std::uint32_t tree, SessionActions& out) {
  Reader r{m};
  Pending p{command, {}, tree, 0};
  switch (command) {
    case kNegotiate: {
      std::uint16_t count = r.u16(kHeader + 2);
      for (std::uint16_t i = 0; i < count && i < 32 && r.ok; ++i) {
        std::uint16_t d = r.u16(kHeader + 36 + 2 * i);
        if (r.ok) {
          dialects_offered_.push_back(dialect_name(d));
        }
      }
      break;
    }
    case kSessionSetup: {
      std::string_view security = r.bytes(r.u16(kHeader + 12), r.u16(kHeader + 14));
      std::size_t at = security.find(std::string_view("NTLMSSP\0", 8));
      if (at == std::string_view::npos) {
        break;
      }
      Reader ntlm{security.substr(at)};
      if (ntlm.u32(8) != 3) {
        break;  // negotiate or challenge: names come in the authenticate message
      }
      bool unicode = (ntlm.u32(60) & 0x1) != 0;
      auto field = [&](std::size_t at_field) {
        std::string_view v = ntlm.bytes(ntlm.u32(at_field + 4), ntlm.u16(at_field));
        return unicode ? utf16(v.substr(0, 512)) : std::string(v.substr(0, 256));
      };
      domain_ = field(28);
      user_ = field(36);
      workstation_ = field(44);
      if (!ntlm.ok) {
        anomaly("malformed NTLMSSP authenticate", out);
        return;
      }
      break;
    }
    case kTreeConnect:
      p.name = utf16(r.bytes(r.u16(kHeader + 4), r.u16(kHeader + 6)));
      break;
    case kCreate: {
      p.disposition = r.u32(kHeader + 36);
      p.name = utf16(r.bytes(r.u16(kHeader + 44), r.u16(kHeader + 46)));
      if (r.ok && pipe_trees_.contains(tree)) {
        sambacry_check(p.name, out);
      }
      break;
    }
    case kWrite: {
      std::uint16_t data_offset = r.u16(kHeader + 2);
      std::uint32_t length = r.u32(kHeader + 4);
      std::uint64_t offset = r.u64(kHeader + 8);
      std::string id(r.bytes(kHeader + 16, 16));
      std::string_view data = r.bytes(data_offset, length);
      if (!r.ok) {
        anomaly("malformed SMB2 write", out);
        return;
      }
      if (id == std::string(16, '\xFF')) {
        id = last_file_id_;
      }
      write(id, offset, data, out);
      break;
    }
    case kClose: {
      std::string id(r.bytes(kHeader + 8, 16));
      if (id == std::string(16, '\xFF')) {
        id = last_file_id_;
      }
      if (auto it = files_.find(id); it != files_.end()) {
        keep(it->second, out);
        files_.erase(it);
      }
      break;
    }
    default:
      break;
  }
  if (!r.ok) {
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
  Reader r{m};
  if (command == kNegotiate) {
    dialect_chosen_ = dialect_name(r.u16(kHeader + 4));
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
      std::uint16_t session_flags = r.u16(kHeader + 2);
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
      std::uint8_t type = static_cast<std::uint8_t>(r.get(kHeader + 2, 1));
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
      std::string id(r.bytes(kHeader + 64, 16));
      if (status == 0 && r.ok && files_.size() < kMaxOpenFiles) {
        files_[id] = OpenFile{path, pipe, {}, false};
        last_file_id_ = id;
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
