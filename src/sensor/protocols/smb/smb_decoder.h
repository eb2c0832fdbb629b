#pragma once
// SMB as it passes through the recording relay (MS-SMB2, and SMB1 as old tools and the classic
// SambaCry exploits speak it): both directions are split into NetBIOS session messages and decoded
// far enough for what attacks use — dialects, who logged in (NTLMSSP), which shares, which files
// and pipes were opened, what was written. Writes are reassembled by offset, so a file uploaded in
// pieces is kept whole when it is closed. A pipe opened by a path on IPC$ is CVE-2017-7494
// (SambaCry) and reported as an exploit. Malformed input ends decoding with an anomaly event;
// the relay goes on regardless.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sensor/session/stream_observer.h"

namespace mitsu::sensor::smb {

// Samba and Windows cap SMB2 reads and writes at 8 MiB; a message may carry one and headers.
inline constexpr std::size_t kMaxMessageBytes = 8 * 1024 * 1024 + 4096;
inline constexpr std::size_t kMaxFileBytes = 64 * 1024 * 1024;
inline constexpr std::size_t kMaxOpenFiles = 1024;

// "\\\\server\\share\\dir\\name" → "dir/name": a path as the share's directory names it.
std::string share_relative(std::string_view unc_path);

class SmbDecoder final : public StreamObserver {
 public:
  // `share_dir`: where the device keeps its writable share, as its own filesystem names it —
  // what a SambaCry path must name to load an uploaded file ("" when unknown: names compared).
  explicit SmbDecoder(std::string share_dir = {}) : share_dir_(std::move(share_dir)) {}

  void from_client(std::span<const std::byte> bytes, SessionActions& out) override;
  void from_server(std::span<const std::byte> bytes, SessionActions& out) override;
  void finish(SessionActions& out) override;

  bool failed() const { return failed_; }

 private:
  struct Stream {
    std::string buffer;
  };
  // What a request asked, kept until its response says how it went.
  struct Pending {
    std::uint16_t command = 0;
    std::string name;  // tree path or file name
    std::uint32_t tree = 0;
    std::uint32_t disposition = 0;
  };
  struct OpenFile {
    std::string path;  // \\server\share\name
    bool pipe = false;
    std::string content;
    bool written = false;
  };

  void feed(Stream& stream, std::span<const std::byte> bytes, bool from_client,
            SessionActions& out);
  void message(std::string_view m, bool from_client, SessionActions& out);
  void smb2(std::string_view m, bool from_client, SessionActions& out);
  void smb1(std::string_view m, bool from_client, SessionActions& out);
  void request(std::string_view m, std::uint16_t command, std::uint64_t message_id,
               std::uint32_t tree, SessionActions& out);
  void response(std::string_view m, std::uint16_t command, std::uint64_t message_id,
                std::uint32_t status, std::uint32_t tree, SessionActions& out);
  void anomaly(std::string_view what, SessionActions& out);
  void sambacry_check(std::string_view name, SessionActions& out);
  // Bytes written into an open file at `offset` (reassembly in any order).
  void write(const std::string& id, std::uint64_t offset, std::string_view data,
             SessionActions& out);
  void keep(OpenFile& file, SessionActions& out);

  Stream client_, server_;
  bool failed_ = false;
  std::vector<std::string> dialects_offered_;
  std::string dialect_chosen_;
  std::string user_, domain_, workstation_;
  bool session_reported_ = false;
  std::map<std::uint64_t, Pending> pending_;    // by message id
  std::map<std::uint32_t, std::string> trees_;  // tree id → \\server\share
  std::set<std::uint32_t> pipe_trees_;
  std::map<std::string, OpenFile> files_;  // by FileId bytes
  std::string last_file_id_;               // for compound requests that name "the previous"
  std::set<std::string> uploaded_;         // share-relative paths written, '/' separated
  std::string share_dir_;
};

}  // namespace mitsu::sensor::smb
