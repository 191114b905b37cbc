# Per-container wire time across the world scale run (bench/world.py writes the data).
# Usage: gnuplot -e "datafile='world-scale.dat'; outfile='world-scale.png'; count=1000" bench/world.gp
# Columns: 1 n; ms: 2 wire NAT+ports, 3 wire plain, 4 firewall_add, 5 firewall_remove,
# 6 /bin/true (every 10th), 7 firewall_add table alone, 8 firewall_remove table alone;
# rolling medians over 25: 9 wire NAT+ports, 10 wire plain, 11 firewall_add, 12 firewall_add table alone;
# over 51: 13 /bin/true.
set terminal pngcairo size 1100,680 font "DejaVu Sans,11" noenhanced
set output outfile
set datafile missing "nan"
set title sprintf("hookwire, %d containers with outbound NAT and 2 published ports and %d plain ones, one bridge each, interleaved\n(dots: each sample; lines: rolling medians over 25)", count, count)
set xlabel "containers already wired (per profile); for the table alone: containers' elements already in the table"
set ylabel "wall time, ms (log scale)"
set logscale y
set yrange [0.02:2000]
set grid ytics mytics xtics lc rgb "#dddddd"
set key top left vertical font ",10" samplen 3
set xrange [0:count+1]
plot datafile using 1:2 with points pt 7 ps 0.3 lc rgb "#9fd9c5" notitle, \
     datafile using 1:3 with points pt 7 ps 0.3 lc rgb "#c6c6e6" notitle, \
     datafile using 1:4 with points pt 7 ps 0.2 lc rgb "#f4b183" notitle, \
     datafile using 1:7 with points pt 7 ps 0.2 lc rgb "#e0e0e0" notitle, \
     datafile using 1:9 with lines lw 2.5 lc rgb "#1b9e77" title "hookwire-create-runtime, NAT + 2 published ports", \
     datafile using 1:10 with lines lw 2.5 dt 2 lc rgb "#7570b3" title "hookwire-create-runtime, plain profile (the kernel floor)", \
     datafile using 1:6 with points pt 6 ps 0.5 lc rgb "#999999" notitle, \
     datafile using 1:13 with lines lw 1.5 lc rgb "#444444" title "control: fork+exec /bin/true (every 10th)", \
     datafile using 1:11 with lines lw 2.5 lc rgb "#d95f02" title "firewall_add in process during the run: 5 elements + bridge, one transaction", \
     datafile using 1:12 with lines lw 2 dt 3 lc rgb "#a05000" title "firewall_add in process, the table alone (no links), after the run"
