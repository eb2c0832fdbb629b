#include "analysis/sandbox/fake_internet.h"

#include "analysis/sandbox/dns_message.h"

namespace mitsu::analysis::sandbox {

std::string FakeInternet::sinkhole_for(const std::string& name) {
  auto [it, fresh] = sinkholes_.try_emplace(name, 0);
  if (fresh) {
    // 10.66.1.1, 10.66.1.2, …: one address per name, so a connection names its domain.
    auto n = static_cast<std::uint32_t>(sinkholes_.size() - 1);
    it->second = 0x0a420000 + ((1 + n / 250) << 8) + 1 + n % 250;
    names_[it->second] = name;
  }
  return ipv4_text(it->second);
}

Endpoint* FakeInternet::endpoint(const std::string& protocol, std::uint32_t address, int port) {
  auto key = std::make_tuple(protocol, address, port);
  if (auto it = endpoint_index_.find(key); it != endpoint_index_.end()) {
    return &endpoints_[it->second];
  }
  if (endpoints_.size() >= kMaxEndpoints) {
    ++dropped_;
    return nullptr;
  }
  Endpoint e;
  e.protocol = protocol;
  e.address = ipv4_text(address);
  e.port = port;
  if (auto name = names_.find(address); name != names_.end()) {
    e.domain = name->second;
  }
  endpoint_index_[key] = endpoints_.size();
  endpoints_.push_back(std::move(e));
  return &endpoints_.back();
}

std::vector<Endpoint> FakeInternet::endpoints() const {
  return endpoints_;
}

std::vector<Bytes> FakeInternet::on_packet(std::span<const std::uint8_t> packet) {
  ++packets_;
  std::vector<Bytes> out;
  auto ip = parse_ipv4(packet);
  if (!ip) {
    return out;  // IPv6 and garbage are recorded in the capture only
  }
  if (ip->protocol == 17) {
    auto udp = parse_udp(ip->payload);
    if (!udp) {
      return out;
    }
    if (udp->dst_port == 53) {
      if (auto q = parse_dns_query(udp->payload)) {
        DnsObservation seen{q->name, q->type, ipv4_text(ip->dst), ""};
        std::optional<std::uint32_t> answer;
        if (q->type == 1 && !q->name.empty()) {
          seen.answer = sinkhole_for(q->name);
          answer = sinkholes_[q->name];
        }
        dns_.push_back(std::move(seen));
        auto reply = build_dns_answer(udp->payload, *q, answer);
        out.push_back(build_udp(ip->dst, ip->src, 53, udp->src_port, reply));
        return out;
      }
    }
    if (Endpoint* e = endpoint("udp", ip->dst, udp->dst_port)) {
      if (e->attempts++ == 0) {
        e->first_bytes.assign(udp->payload.begin(),
                              udp->payload.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                         udp->payload.size(), kFirstBytes)));
      }
    }
    return out;
  }
  if (ip->protocol != 6) {
    return out;
  }
  auto tcp = parse_tcp(ip->payload);
  if (!tcp) {
    return out;
  }
  auto key = std::make_tuple(ip->dst, tcp->dst_port, tcp->src_port);
  auto reply = [&](std::uint8_t flags, std::uint32_t seq, std::uint32_t ack) {
    TcpView r;
    r.src_port = tcp->dst_port;
    r.dst_port = tcp->src_port;
    r.seq = seq;
    r.ack = ack;
    r.flags = flags;
    out.push_back(build_tcp(ip->dst, ip->src, r));
  };
  if ((tcp->flags & kRst) != 0) {
    connections_.erase(key);
    return out;
  }
  if ((tcp->flags & kSyn) != 0 && (tcp->flags & kAck) == 0) {
    auto [it, fresh] = connections_.try_emplace(key);
    Connection& c = it->second;
    if (fresh) {
      Endpoint* e = endpoint("tcp", ip->dst, tcp->dst_port);
      if (e == nullptr) {
        connections_.erase(it);
        reply(kRst | kAck, 0, tcp->seq + 1);
        return out;
      }
      c.endpoint = static_cast<std::size_t>(e - endpoints_.data());
      c.first = e->attempts++ == 0;
      c.next_seq = next_isn_;
      next_isn_ += 0x01000193;
    }
    c.expected = tcp->seq + 1;
    reply(kSyn | kAck, c.next_seq, c.expected);  // a retransmitted SYN gets the same answer
    return out;
  }
  auto it = connections_.find(key);
  if (it == connections_.end()) {
    if ((tcp->flags & kAck) != 0 && tcp->payload.empty() && (tcp->flags & kFin) == 0) {
      return out;
    }
    reply(kRst | kAck, tcp->ack, tcp->seq + static_cast<std::uint32_t>(tcp->payload.size()));
    return out;
  }
  Connection& c = it->second;
  if ((tcp->flags & kAck) != 0 && tcp->ack == c.next_seq + 1) {
    c.next_seq += 1;  // our SYN was acknowledged
  }
  std::uint32_t advance = static_cast<std::uint32_t>(tcp->payload.size());
  if (!tcp->payload.empty() && tcp->seq == c.expected) {
    Endpoint& e = endpoints_[c.endpoint];
    if (c.first && e.first_bytes.size() < kFirstBytes) {
      std::size_t n = std::min(tcp->payload.size(), kFirstBytes - e.first_bytes.size());
      e.first_bytes.append(tcp->payload.begin(),
                           tcp->payload.begin() + static_cast<std::ptrdiff_t>(n));
    }
    c.expected += advance;
  }
  // A downloader waits for an answer before trying its next URL: a request gets a 404.
  if (!c.answered && !tcp->payload.empty()) {
    std::size_t room = 2048 - std::min<std::size_t>(2048, c.request.size());
    c.request.append(
        tcp->payload.begin(),
        tcp->payload.begin() + static_cast<std::ptrdiff_t>(std::min(room, tcp->payload.size())));
    const std::string& seen = c.request;
    bool http =
        seen.rfind("GET ", 0) == 0 || seen.rfind("POST ", 0) == 0 || seen.rfind("HEAD ", 0) == 0;
    if (http && seen.find("\r\n\r\n") != std::string::npos) {
      Endpoint& e = endpoints_[c.endpoint];
      if (e.requests.size() < 64) {
        e.requests.push_back(seen.substr(0, seen.find("\r\n\r\n") + 4));
      }
      static const std::string kNotFound =
          "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      TcpView r;
      r.src_port = tcp->dst_port;
      r.dst_port = tcp->src_port;
      r.seq = c.next_seq;
      r.ack = c.expected;
      r.flags = kAck | kPsh | kFin;
      r.payload =
          std::span(reinterpret_cast<const std::uint8_t*>(kNotFound.data()), kNotFound.size());
      out.push_back(build_tcp(ip->dst, ip->src, r));
      c.next_seq += static_cast<std::uint32_t>(kNotFound.size()) + 1;
      c.answered = true;
      return out;
    }
  }
  if ((tcp->flags & kFin) != 0) {
    c.expected += 1;
    reply(kFin | kAck, c.next_seq, c.expected);
    connections_.erase(it);
    return out;
  }
  if (advance > 0) {
    reply(kAck, c.next_seq, c.expected);
  }
  return out;
}

}  // namespace mitsu::analysis::sandbox
