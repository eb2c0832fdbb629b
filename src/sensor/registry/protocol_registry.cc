#include "sensor/registry/protocol_registry.h"

#include <fmt/format.h>

#include <algorithm>

namespace mitsu::sensor {

ProtocolRegistry& ProtocolRegistry::instance() {
  static ProtocolRegistry registry;
  return registry;
}

Status ProtocolRegistry::add(ProtocolInfo info) {
  std::unique_lock lock(mutex_);
  if (info.name.empty() || (info.transport != "tcp" && info.transport != "udp")) {
    return Error{fmt::format("protocol '{}': needs a name and transport tcp or udp", info.name)};
  }
  for (const ProtocolInfo& p : protocols_) {
    if (p.name == info.name) {
      return Error{fmt::format("protocol '{}' is already registered", info.name)};
    }
    if (!info.persona_section.empty() && p.persona_section == info.persona_section) {
      return Error{fmt::format("protocol '{}': persona section [{}] belongs to '{}'", info.name,
                               info.persona_section, p.name)};
    }
  }
  if (info.mode == ServeMode::kStream && !info.make_session) {
    return Error{
        fmt::format("protocol '{}': a stream protocol needs a session factory", info.name)};
  }
  if (info.mode == ServeMode::kTransfer && (!info.opens_transfer || !info.make_transfer)) {
    return Error{
        fmt::format("protocol '{}': a transfer protocol needs a transfer factory", info.name)};
  }
  if (info.mode == ServeMode::kResponder && !info.make_responder) {
    return Error{
        fmt::format("protocol '{}': a responder protocol needs a responder factory", info.name)};
  }
  for (const EventKind& kind : info.event_kinds) {
    if (Status s = register_event_kind(kind); !s) {
      return Error{fmt::format("protocol '{}': {}", info.name, s.error())};
    }
  }
  protocols_.push_back(std::move(info));
  return {};
}

Status ProtocolRegistry::set_endpoint_factory(std::string_view name,
                                              decltype(ProtocolInfo::make_endpoint) make) {
  std::unique_lock lock(mutex_);
  for (ProtocolInfo& p : protocols_) {
    if (p.name == name) {
      if (p.mode != ServeMode::kOwnedStream) {
        return Error{fmt::format("protocol '{}' does not own its stream", name)};
      }
      p.make_endpoint = std::move(make);
      return {};
    }
  }
  return Error{fmt::format("protocol '{}' is not registered", name)};
}

const ProtocolInfo* ProtocolRegistry::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  for (const ProtocolInfo& p : protocols_) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

const ProtocolInfo* ProtocolRegistry::find_by_section(std::string_view section) const {
  std::shared_lock lock(mutex_);
  for (const ProtocolInfo& p : protocols_) {
    if (!p.persona_section.empty() && p.persona_section == section) {
      return &p;
    }
  }
  return nullptr;
}

std::vector<const ProtocolInfo*> ProtocolRegistry::all() const {
  std::shared_lock lock(mutex_);
  std::vector<const ProtocolInfo*> out;
  for (const ProtocolInfo& p : protocols_) {
    out.push_back(&p);
  }
  std::sort(out.begin(), out.end(),
            [](const ProtocolInfo* a, const ProtocolInfo* b) { return a->name < b->name; });
  return out;
}

std::string ProtocolRegistry::names() const {
  std::string out;
  for (const ProtocolInfo* p : all()) {
    out += out.empty() ? p->name : ", " + p->name;
  }
  return out;
}

}  // namespace mitsu::sensor
