import "elf"

rule hajime
{
  meta:
    family = "Hajime"
    confidence = 75
    description = "Hajime: P2P worm that leaves a 'white hat' message"
  strings:
    $msg = "Just a white hat, securing some systems" nocase
    $atk = ".i.mipseb" nocase
    $dir = "/.nttpd" nocase
  condition:
    ((elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and 1 of them) or $msg
}
