rule vpnfilter
{
  meta:
    family = "VPNFilter"
    confidence = 85
    description = "VPNFilter: staged router implant working in /var/vpnfilter"
  strings:
    $dir = "/var/vpnfilter"
    $tor = "tor_lib" nocase
    $ps = "ps_lib" nocase
    $stage = "/var/run/vpnfilterm" nocase
  condition:
    uint32(0) == 0x464c457f and ($dir or $stage) and 1 of ($tor, $ps, $dir)
}
