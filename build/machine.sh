# Sourced by build/bench.sh and build/seeds.sh, which name the machine their figures were taken on.
# cpu_field NAME: the first /proc/cpuinfo field NAME (exactly), or "?" where there is none. The model number and clock
# tell machines apart that share a model name: OpenBLAS, for one, may not know a newer model and fall back to old kernels.
cpu_field() { awk -F: -v name="$1" '{ k = $1; gsub(/[ \t]+$/, "", k) } k == name { v = $2; sub(/^ +/, "", v); print v; found = 1; exit } END { if (!found) print "?" }' /proc/cpuinfo; }
# machine: the CPU's model name, family, model and clock, e.g. "AMD EPYC (family 26, model 2, 2096 MHz)".
machine() { echo "$(cpu_field 'model name') (family $(cpu_field 'cpu family'), model $(cpu_field model), $(cpu_field 'cpu MHz' | cut -d. -f1) MHz)"; }
