import "elf"

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
    (elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and 4 of them
}
