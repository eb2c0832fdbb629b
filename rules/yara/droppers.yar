rule shell_dropper
{
  meta:
    family = "ShellDropper"
    confidence = 70
    description = "Shell-script dropper: fetches one binary per CPU and runs each"
  strings:
    $fetch = /(wget|curl|tftp|ftpget)[^\n]{1,200}(arm|mips|mpsl|x86|ppc|sh4|m68k|spc|i686|arc)/ nocase
    $chmod = /chmod (\+x|[0-7]{3})/
    $tmp = /cd \/(tmp|var\/run|mnt|root)/
  condition:
    uint16(0) != 0x457f and #fetch >= 2 and $chmod and $tmp
}
