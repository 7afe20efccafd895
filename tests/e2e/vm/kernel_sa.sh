# Reading ESP SAs back from the kernel, for the guest scripts of the VM tests. Source it.
#
#   kernel_packets NETNS SPI   the packet count `ip -s xfrm state` shows for that SPI (hex,
#                              with or without 0x), empty if the namespace has no such SA
#   ios_child_sa NAME          "INBOUND_SPI OUTBOUND_SPI ENCAPS DECAPS" of the one CHILD SA in
#                              gateway NAME's IOS `show crypto ipsec sa` (SPIs as 0x%08x)

kernel_packets() {
  ip -n "$1" -s xfrm state | awk -v spi="$(printf '0x%08x' "0x${2#0x}")" '
    $1 == "proto" && $2 == "esp" { cur = ($4 ~ "^" spi) }
    cur && /lifetime current:/ { getline; gsub(/[^0-9,]/, ""); split($0, a, ","); print a[2]; exit }'
}

ios_child_sa() {
  gw "$1" show crypto ipsec sa | awk '
    /#pkts encaps:/ { gsub(",", ""); enc = $3 }
    /#pkts decaps:/ { gsub(",", ""); dec = $3 }
    /inbound esp sas:/ { dir = "in" } /outbound esp sas:/ { dir = "out" }
    /spi: 0x/ && dir != "" {
      s = tolower($2); sub(/\(.*/, "", s); sub(/^0x/, "", s)
      while (length(s) < 8) s = "0" s
      spi[dir] = "0x" s; dir = ""
    }
    END { print spi["in"], spi["out"], enc + 0, dec + 0 }'
}
