# hookwire-dns against aardvark-dns (bench/dns.py writes the data).
# Usage: gnuplot -e "latency='dns-latency.dat'; fresh='dns-fresh.dat'; outfile='dns.png'; names=1000; trials=200" bench/dns.gp
# dns-latency.dat: CDFs of round trips (us, fraction), blocks 0 hookwire local, 1 aardvark local,
#   2 hookwire forwarded, 3 aardvark forwarded, 4 control (the stub upstream asked directly).
# dns-fresh.dat: CDFs of the time from the hook's (netavark setup's) return to the first answer
#   with the new name's address (ms, fraction of trials), blocks 0 hookwire, 1 aardvark.
set terminal pngcairo size 1200,520 font "DejaVu Sans,11" noenhanced
set output outfile
set multiplot layout 1,2 title sprintf("hookwire-dns and aardvark-dns 1.4, %d names on the network, side by side in one run", names)
set grid xtics mxtics ytics lc rgb "#dddddd"
set key bottom right font ",10" samplen 3
set yrange [0:1]
set ylabel "fraction of queries"
set logscale x
set title "query latency: sequential UDP round trips (CDF)"
set xlabel "round trip, µs (log scale)"
set xrange [*:*]
plot latency index 0 using 1:2 with lines lw 2.5 lc rgb "#1b9e77" title "hookwire-dns, local names", \
     latency index 1 using 1:2 with lines lw 2.5 lc rgb "#d95f02" title "aardvark-dns, local names", \
     latency index 2 using 1:2 with lines lw 2 dt 2 lc rgb "#1b9e77" title "hookwire-dns, forwarded", \
     latency index 3 using 1:2 with lines lw 2 dt 2 lc rgb "#d95f02" title "aardvark-dns, forwarded", \
     latency index 4 using 1:2 with lines lw 1.5 lc rgb "#777777" title "control: the stub asked directly"
set title sprintf("freshness: %d new containers each (CDF)", trials)
set xlabel "hook (netavark setup) returned -> first answer with the address, ms (log)"
set ylabel "fraction of trials answered"
set key top left
plot fresh index 0 using 1:2 with steps lw 2.5 lc rgb "#1b9e77" title "hookwire-dns (createRuntime hook)", \
     fresh index 1 using 1:2 with steps lw 2.5 lc rgb "#d95f02" title "aardvark-dns (netavark setup)"
unset multiplot
