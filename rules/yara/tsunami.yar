import "elf"

rule tsunami
{
  meta:
    family = "Tsunami"
    confidence = 80
    description = "Tsunami / Kaiten: IRC bot with NOTICE-based command replies"
  strings:
    $irc1 = "NOTICE %s :" nocase
    $irc2 = "PRIVMSG %s :" nocase
    $irc3 = "NICK %s"
    $k1 = "KAITEN" nocase
    $k2 = "TSUNAMI" fullword nocase
    $k3 = "PAN <target> <port> <secs>"
    $k4 = "UNKNOWNSERVER"
  condition:
    (elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and 2 of ($irc*) and 1 of ($k*)
}
