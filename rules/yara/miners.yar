rule coin_miner
{
  meta:
    family = "CoinMiner"
    confidence = 70
    description = "Cryptocurrency miner: stratum pool URLs and miner options"
  strings:
    $pool1 = "stratum+tcp://" nocase
    $pool2 = "stratum+ssl://" nocase
    $opt1 = "--donate-level" nocase
    $opt2 = "xmrig" nocase
    $opt3 = "cryptonight" nocase
    $opt4 = "randomx" nocase
  condition:
    1 of ($pool*) and 1 of ($opt*)
}
