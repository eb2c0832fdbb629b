rule gafgyt
{
  meta:
    family = "Gafgyt"
    confidence = 80
    description = "Gafgyt / Bashlite / Qbot: plain-text IRC-like command set and telnet scanner"
  strings:
    $c1 = "GETLOCALIP"
    $c2 = "SCANNER ON"
    $c3 = "SCANNER OFF"
    $c4 = "KILLATTK"
    $c5 = "LOLNOGTFO"
    $c6 = "gayfgt"
    $c7 = "HOLD Flooding"
    $c8 = "JUNK Flooding"
    $c9 = "PING" fullword
    $c10 = "PONG!"
  condition:
    uint32(0) == 0x464c457f and 4 of them
}
