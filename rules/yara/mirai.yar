import "elf"

rule mirai
{
  meta:
    family = "Mirai"
    confidence = 80
    description = "Mirai bot: watchdog disabling, table strings hidden by single-byte XOR, busybox applet probe"
  strings:
    $watchdog1 = "/dev/watchdog" xor(0x00-0xff)
    $watchdog2 = "/dev/misc/watchdog" xor(0x00-0xff)
    $table1 = "/proc/net/tcp" xor(0x00-0xff)
    $table2 = "TSource Engine Query" xor(0x00-0xff)
    $table3 = "/bin/busybox" xor(0x00-0xff)
    $table4 = "/etc/resolv.conf" xor(0x01-0xff)
    $cred1 = "xc3511" xor(0x00-0xff)
    $cred2 = "vizxv" xor(0x00-0xff)
    $cred3 = "7ujMko0admin" xor(0x00-0xff)
    $cred4 = "Zte521" xor(0x00-0xff)
  condition:
    (elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and
    1 of ($watchdog*) and 2 of ($table*) and 1 of ($cred*)
}

rule mirai_hakai
{
  meta:
    family = "Hakai"
    variant_of = "Mirai"
    confidence = 85
  strings:
    $name = "HAKAI" xor(0x00-0xff)
    $watchdog = "/dev/watchdog" xor(0x00-0xff)
  condition:
    (elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and all of them
}

rule mirai_satori
{
  meta:
    family = "Satori"
    variant_of = "Mirai"
    confidence = 85
    description = "Satori/Okiru: the Mirai code base with its own busybox applet names"
  strings:
    $a = "OKIRU" xor(0x00-0xff)
    $b = "SATORI" xor(0x00-0xff)
    $watchdog = "/dev/watchdog" xor(0x00-0xff)
  condition:
    (elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and $watchdog and ($a or $b)
}

rule mirai_moobot
{
  meta:
    family = "Moobot"
    variant_of = "Mirai"
    confidence = 85
  strings:
    $name = "MOOBOT" xor(0x00-0xff)
    $watchdog = "/dev/watchdog" xor(0x00-0xff)
  condition:
    (elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and all of them
}
