// HTTP's registration: the [http] persona section (Server header, realm, login form, pages), the
// emulated web UI (with UPnP's description and SOAP control when the persona has [upnp]), the
// passive decoder for a relayed device, and the http.request kind.

#include <array>

#include "sensor/persona/persona.h"
#include "sensor/protocols/http/http_observer.h"
#include "sensor/protocols/http/http_session.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {
namespace {

using enum FieldType;
using enum Presence;

constexpr std::array kHttpRequest{
    FieldRule{"/http/request/method", kNonEmptyString, kRequired},
    FieldRule{"/url/path", kString, kRequired},
    FieldRule{"/url/query", kString, kOptional},
};

// Method, path, query and client: what a request line in `mitsu events` shows.
constexpr std::array<std::string_view, 4> kHttpSummary{"/http/request/method", "/url/path",
                                                       "/url/query", "/user_agent/original"};

Status read_page(const TomlReader& r, const toml::node& item, const std::string& key,
                 DevicePersona& p) {
  const toml::table* page = item.as_table();
  if (page == nullptr) {
    return r.at(item, key, "expected tables with path, status, content_type, body, auth");
  }
  HttpPage hp;
  for (const auto& [pk, pnode] : *page) {
    std::string pkey = fmt::format("{}.{}", key, pk.str());
    Status ps;
    if (pk.str() == "path") {
      ps = r.string(pnode, pkey, hp.path);
    } else if (pk.str() == "content_type") {
      ps = r.string(pnode, pkey, hp.content_type);
    } else if (pk.str() == "body") {
      ps = r.string(pnode, pkey, hp.body);
    } else if (pk.str() == "status") {
      std::int64_t status = 0;
      ps = r.integer(pnode, pkey, 100, 599, status);
      hp.status = static_cast<int>(status);
    } else if (pk.str() == "auth") {
      if (!pnode.is_boolean()) {
        return r.at(pnode, pkey, "expected true or false");
      }
      hp.auth = *pnode.value<bool>();
    } else {
      return r.at(pnode, pkey, "unknown key (known: path, status, content_type, body, auth)");
    }
    if (!ps) {
      return ps;
    }
  }
  if (!hp.path.starts_with('/')) {
    return r.at(item, key, "path must start with /");
  }
  p.http_pages.push_back(std::move(hp));
  return {};
}

Status read_key(const TomlReader& r, const toml::node& node, std::string_view name,
                const std::string& key, DevicePersona& p) {
  if (name == "server") {
    return r.string(node, key, p.http_server);
  }
  if (name == "realm") {
    return r.string(node, key, p.http_realm);
  }
  if (name == "login_path") {
    return r.string(node, key, p.http_login_path);
  }
  if (name == "user_field") {
    return r.string(node, key, p.http_user_field);
  }
  if (name == "password_field") {
    return r.string(node, key, p.http_password_field);
  }
  if (name == "date_first") {
    if (!node.is_boolean()) {
      return r.at(node, key, "expected true or false");
    }
    p.http_date_first = *node.value<bool>();
    return {};
  }
  const toml::array* list = node.as_array();  // pages
  if (list == nullptr) {
    return r.at(node, key, "expected [[http.pages]] tables");
  }
  for (const toml::node& item : *list) {
    if (Status s = read_page(r, item, key, p); !s) {
      return s;
    }
  }
  return {};
}

}  // namespace

Status register_http(ProtocolRegistry& registry) {
  ProtocolInfo info;
  info.name = "http";
  info.transport = "tcp";
  info.default_ports = {80, 8080, 81, 8000};
  info.persona_section = "http";
  info.persona_keys = {"server",     "date_first",     "realm", "login_path",
                       "user_field", "password_field", "pages"};
  info.read_persona_key = read_key;
  info.event_kinds = {{"http.request", EventScope::kSession, kHttpRequest, kHttpSummary}};
  info.make_session = [](const SessionContext& c) -> std::unique_ptr<Session> {
    auto mappings = c.persona.upnp_device_type.empty()
                        ? nullptr
                        : c.shared.get<upnp::PortMappingTable>("upnp.port_mappings");
    auto session = std::make_unique<http::HttpSession>(c.persona, c.filesystem, c.exploits, c.gate,
                                                       c.now_s, std::move(mappings));
    session->set_local_address(c.local_ip);
    return session;
  };
  info.make_observer = [](const RelayContext& c) -> std::unique_ptr<StreamObserver> {
    return std::make_unique<http::HttpObserver>(c.exploits);
  };
  return registry.add(std::move(info));
}

}  // namespace mitsu::sensor
