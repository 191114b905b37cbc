# Per-container wire latency across the scale run (bench/bench.py writes the data).
# Usage: gnuplot -e "datafile='scale.dat'; controls='scale-controls.dat'; outfile='scale.png'; count=1000" bench/scale.gp
set terminal pngcairo size 1100,640 font "DejaVu Sans,11" noenhanced
set output outfile
set title sprintf("Wire latency per container: %d containers per side onto one bridge each, one after another, interleaved\n(dots: each wiring; lines: rolling medians)", count)
set xlabel "containers already on the bridge (per side)"
set ylabel "wall time, ms (log scale)"
set logscale y
set yrange [0.5:4000]
set grid ytics mytics xtics lc rgb "#dddddd"
set key top left horizontal maxrows 3 font ",10" samplen 3
set xrange [0:count+1]
plot datafile using 1:3 with points pt 7 ps 0.3 lc rgb "#f4b183" notitle, \
     datafile using 1:2 with points pt 7 ps 0.3 lc rgb "#9fd9c5" notitle, \
     datafile using 1:7 with lines lw 2.5 lc rgb "#d95f02" title "CNI bridge+host-local ADD, then loopback ADD", \
     datafile using 1:6 with lines lw 2.5 lc rgb "#1b9e77" title "hookwire-create-runtime", \
     controls using 1:9 with lines lw 2 dt 1 lc rgb "#66a61e" title "control: hookwire's hook_main in process, same state dir (no exec)", \
     controls using 1:6 with lines lw 2 dt 2 lc rgb "#7570b3" title "control: hookwire's netlink requests in process (kernel share)", \
     controls using 1:8 with lines lw 2 dt 4 lc rgb "#e7298a" title "control: prototype with fewer requests, one batch", \
     controls using 1:7 with lines lw 2 dt 3 lc rgb "#444444" title "control: fork+exec /bin/true (machine load)"
