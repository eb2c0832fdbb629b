import "elf"

rule mozi
{
  meta:
    family = "Mozi"
    confidence = 85
    description = "Mozi: P2P botnet on the BitTorrent DHT with a tagged configuration"
  strings:
    $cfg1 = "[ss]"
    $cfg2 = "[/ss]"
    $cfg3 = "[hp]"
    $cfg4 = "[cpu]"
    $dht1 = "dht.transmissionbt.com"
    $dht2 = "router.bittorrent.com"
    $dht3 = "router.utorrent.com"
  condition:
    (elf.type == elf.ET_EXEC or elf.type == elf.ET_DYN) and 2 of ($cfg*) and 1 of ($dht*)
}
