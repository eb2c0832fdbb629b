import "elf"

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
    (elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and ($dir or $stage) and 1 of ($tor, $ps, $dir)
}
