#include <gtest/gtest.h>

#include "analysis/sandbox/behaviour.h"
#include "analysis/sandbox/dns_message.h"
#include "analysis/sandbox/fake_internet.h"
#include "analysis/sandbox/net_packet.h"
#include "analysis/sandbox/strace_parser.h"
#include "analysis/sandbox/terminal_guard.h"

namespace mitsu::analysis::sandbox {
namespace {

constexpr std::uint32_t kSample = FakeInternet::kSampleAddress;

Bytes dns_query(const std::string& name) {
  Bytes q{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    std::string label =
        name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    q.push_back(static_cast<std::uint8_t>(label.size()));
    q.insert(q.end(), label.begin(), label.end());
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});
  return q;
}

TEST(SandboxDns, QueryIsReadAndAnsweredWithTheSinkhole) {
  Bytes q = dns_query("C2.Example.TEST");
  auto question = parse_dns_query(q);
  ASSERT_TRUE(question);
  EXPECT_EQ(question->name, "c2.example.test");
  EXPECT_EQ(question->type, 1);
  Bytes answer = build_dns_answer(q, *question, 0x0a420101);
  EXPECT_EQ(answer[0], 0x12);
  EXPECT_EQ(answer[2] & 0x80, 0x80);  // a response
  EXPECT_EQ(answer[7], 1);            // one answer
  EXPECT_EQ(Bytes(answer.end() - 4, answer.end()), (Bytes{10, 66, 1, 1}));
  // Responses, truncated and looping names are not queries.
  EXPECT_FALSE(parse_dns_query(answer));
  EXPECT_FALSE(parse_dns_query(Bytes(q.begin(), q.begin() + 15)));
  Bytes pointer = q;
  pointer[12] = 0xc0;
  EXPECT_FALSE(parse_dns_query(pointer));
}

TEST(SandboxNet, BuiltPacketsParseBackWithValidChecksums) {
  Bytes payload{'h', 'i'};
  TcpView t{1234, 23, 100, 200, kAck | kPsh, payload};
  Bytes packet = build_tcp(0x0a420002, 0xcb00710a, t);
  auto ip = parse_ipv4(packet);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->protocol, 6);
  EXPECT_EQ(ipv4_text(ip->dst), "203.0.113.10");
  auto tcp = parse_tcp(ip->payload);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->dst_port, 23);
  EXPECT_EQ(tcp->seq, 100u);
  EXPECT_EQ(std::string(tcp->payload.begin(), tcp->payload.end()), "hi");
  // The IPv4 header checksum sums to 0xffff.
  std::uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) {
    sum += static_cast<std::uint32_t>(packet[i] << 8 | packet[i + 1]);
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  EXPECT_EQ(sum, 0xffffu);
  EXPECT_FALSE(parse_ipv4(Bytes(packet.begin(), packet.begin() + 19)));
  Bytes lying = packet;
  lying[3] = 0xff;  // total length beyond the buffer
  EXPECT_FALSE(parse_ipv4(lying));
}

TEST(SandboxFakeInternet, AnswersDnsAcceptsAnyConnectionAndKeepsFirstBytes) {
  FakeInternet net;
  auto replies = net.on_packet(build_udp(kSample, 0xc0000235, 40000, 53, dns_query("c2.x.test")));
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_EQ(net.dns().size(), 1u);
  EXPECT_EQ(net.dns()[0].resolver, "192.0.2.53");
  EXPECT_EQ(net.dns()[0].answer, "10.66.1.1");
  // SYN to the sinkhole -> SYN/ACK; data -> ACK; the endpoint names its domain.
  auto sinkhole = *parse_ipv4_text("10.66.1.1");
  auto synack = net.on_packet(build_tcp(kSample, sinkhole, TcpView{5000, 23, 1000, 0, kSyn, {}}));
  ASSERT_EQ(synack.size(), 1u);
  auto reply = parse_tcp(parse_ipv4(synack[0])->payload);
  EXPECT_EQ(reply->flags, kSyn | kAck);
  EXPECT_EQ(reply->ack, 1001u);
  net.on_packet(build_tcp(kSample, sinkhole, TcpView{5000, 23, 1001, reply->seq + 1, kAck, {}}));
  Bytes hello{0, 0, 0, 1};
  auto ack = net.on_packet(
      build_tcp(kSample, sinkhole, TcpView{5000, 23, 1001, reply->seq + 1, kAck | kPsh, hello}));
  ASSERT_EQ(ack.size(), 1u);
  auto endpoints = net.endpoints();
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].domain, "c2.x.test");
  EXPECT_EQ(endpoints[0].port, 23);
  EXPECT_EQ(endpoints[0].first_bytes, std::string("\0\0\0\1", 4));
  // An HTTP request gets a 404 and the URL is kept.
  std::string get = "GET /bins/x HTTP/1.1\r\nHost: dl.test\r\n\r\n";
  auto web = *parse_ipv4_text("203.0.113.20");
  auto sa = net.on_packet(build_tcp(kSample, web, TcpView{5001, 80, 7, 0, kSyn, {}}));
  auto s = parse_tcp(parse_ipv4(sa[0])->payload);
  auto answer = net.on_packet(
      build_tcp(kSample, web,
                TcpView{5001, 80, 8, s->seq + 1, kAck | kPsh,
                        std::span(reinterpret_cast<const std::uint8_t*>(get.data()), get.size())}));
  ASSERT_EQ(answer.size(), 1u);
  auto body = parse_tcp(parse_ipv4(answer[0])->payload)->payload;
  EXPECT_EQ(std::string(body.begin(), body.begin() + 12), "HTTP/1.0 404");
  EXPECT_EQ(net.endpoints()[1].requests.size(), 1u);
}

TEST(SandboxStrace, LinesCutAndGluedByOtherProcessesAreSeparated) {
  auto open = parse_strace_line("12 openat(AT_FDCWD,\"/dev/watchdog\",O_RDWR) = 3");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->pid, 12);
  EXPECT_EQ(open->name, "openat");
  EXPECT_EQ(open->strings, std::vector<std::string>{"/dev/watchdog"});
  EXPECT_EQ(open->result, 3);
  auto failed = parse_strace_line("2 connect(3,0x40800da8,16) = -1 errno=146 (Connection refused)");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->result, -1);
  EXPECT_EQ(failed->error, 146);
  EXPECT_EQ(failed->error_text, "Connection refused");
  auto calls =
      parse_strace_calls("2 wait4(4,1082133904,0,0,0,0)4 prctl(15,4659128,0,0,4887232,0) = 0");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].name, "wait4");
  EXPECT_FALSE(calls[0].result);
  EXPECT_EQ(calls[1].pid, 4);
  EXPECT_EQ(calls[1].name, "prctl");
  EXPECT_EQ(calls[1].result, 0);
  EXPECT_FALSE(parse_strace_line("qemu: uncaught target signal 11"));
  EXPECT_FALSE(parse_strace_line("hello from the sample"));
}

TEST(SandboxBehaviour, ScansNeedManyAddressesAndPublicResolversAreNamed) {
  RunFacts f;
  f.sample_path = "/tmp/sample";
  for (int i = 1; i <= 4; ++i) {
    f.endpoints.push_back({"tcp", "198.51.100." + std::to_string(i), 23, "", 1, ""});
  }
  f.dns.push_back({"cnc.test", 1, "8.8.8.8", "10.66.1.1"});
  f.exit_reason = "finished";
  auto items = derive_behaviour(f);
  EXPECT_TRUE(
      std::none_of(items.begin(), items.end(), [](auto& i) { return i.tag == "scanning"; }));
  EXPECT_EQ(
      std::count_if(items.begin(), items.end(), [](auto& i) { return i.tag == "c2_connection"; }),
      4);
  EXPECT_EQ(items[0].evidence["public_resolver"], true);
  f.endpoints.push_back({"tcp", "198.51.100.5", 23, "", 1, ""});
  items = derive_behaviour(f);
  EXPECT_EQ(std::count_if(items.begin(), items.end(), [](auto& i) { return i.tag == "scanning"; }),
            1);
  // Persistence and log erasure from the trace.
  f.syscalls.push_back(
      *parse_strace_line("3 openat(AT_FDCWD,\"/etc/init.d/S99bot\",O_WRONLY|O_CREAT,0755) = 4"));
  f.syscalls.push_back(*parse_strace_line("3 unlink(\"/var/log/messages\") = 0"));
  f.syscalls.push_back(*parse_strace_line("3 kill(77,SIGKILL) = 0"));
  items = derive_behaviour(f);
  auto has = [&](const char* tag, const char* attack) {
    return std::any_of(items.begin(), items.end(),
                       [&](auto& i) { return i.tag == tag && i.attack == attack; });
  };
  EXPECT_TRUE(has("persistence", "T1037.004"));
  EXPECT_TRUE(has("trace_erasure", "T1070"));
  EXPECT_TRUE(has("kill_processes", "T1489"));
  EXPECT_TRUE(has("files_created", ""));
}

// Terminal injection as QEMU prints it for different CPUs: decoded names, or raw numbers.
TEST(SandboxBehaviour, TerminalInjectionAttemptsAreNamedWithTheirDescriptors) {
  RunFacts f;
  f.sample_path = "/tmp/sample";
  f.exit_reason = "finished";
  for (const char* line : {"2 ioctl(0,TIOCSTI,1668640628) = -1 errno=1 (Operation not permitted)",
                           "2 ioctl(1,21522,120) = -1 errno=1 (Operation not permitted)",
                           "2 ioctl(0,TCGETS,0x7ffe) = -1 errno=25 (Inappropriate ioctl)",
                           "2 ioctl(3,KDSETMODE,1) = -1 errno=1 (Operation not permitted)",
                           "2 openat(-100,\"/dev/tty\",O_RDWR) = -1 errno=2 (No such file)"}) {
    for (Syscall& call : parse_strace_calls(line)) {
      f.syscalls.push_back(std::move(call));
    }
  }
  auto items = derive_behaviour(f);
  auto it = std::find_if(items.begin(), items.end(),
                         [](const BehaviourItem& i) { return i.tag == "terminal_injection"; });
  ASSERT_NE(it, items.end());
  EXPECT_EQ(it->attack, "T1611");
  EXPECT_EQ(it->evidence["attempts"], 4);  // TCGETS only asks; it injects nothing
  EXPECT_EQ(it->evidence["ioctls"][1]["request"], "21522");
  EXPECT_EQ(it->evidence["ioctls"][2]["request"], "KDSETMODE");
  EXPECT_EQ(it->evidence["devices"], nlohmann::json::array({"/dev/tty"}));
  EXPECT_TRUE(it->evidence["refused"].get<bool>());
  EXPECT_TRUE(terminal_guard_refuses(0x5412));
  EXPECT_TRUE(terminal_guard_refuses(0x4B3A));
  EXPECT_FALSE(terminal_guard_refuses(0x5401));  // TCGETS
}

}  // namespace
}  // namespace mitsu::analysis::sandbox
