#!/bin/bash
# SPDX-License-Identifier: ISC
# Many recipients: the CPU time of `postie -t -P` (read the message, take
# the recipients from To and Cc, deduplicate and qualify them, edit the
# headers and print what would be sent; no network) for a message with
# N distinct recipients, half in To and half in Cc, four to a folded
# line.  N = 1 gives the fixed cost (start-up, config, OpenSSL); what
# each recipient adds is (CPU(N) - CPU(1)) / N, which stays flat when the
# cost is linear in N.  Prints a Markdown table on stdout.
#
# usage: bench/rcpts.sh [-r RUNS] [-n "N..."] [-c] [-m MEASURE]
#                       LABEL=POSTIE...
#   -r RUNS     runs of each message (the median is reported), default 5
#   -n "N..."   recipient counts, default "1000 2000 5000 10000"
#   -c          also count instructions with callgrind (one run each;
#               slow on a build that is quadratic in N)
#   -m MEASURE  bench/measure.c built; default built into a temporary dir
#   LABEL=POSTIE  a postie binary and the column label for it; several
#               give columns side by side (e.g. before=... after=...)
# Run by bench/run as section r; usable on its own.
set -eu

usage() {
	echo "usage: bench/rcpts.sh [-r RUNS] [-n \"N...\"] [-c]" \
	    "[-m MEASURE] LABEL=POSTIE..." >&2
	exit 64
}

here=$(cd "$(dirname "$0")" && pwd)
runs=5
ns="1000 2000 5000 10000"
cg=0
MEASURE=
while getopts r:n:cm: opt; do
	case $opt in
	r) runs=$OPTARG ;;
	n) ns=$OPTARG ;;
	c) cg=1 ;;
	m) MEASURE=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
case $runs in ''|*[!0-9]*|0) usage ;; esac
for n in $ns; do
	case $n in ''|*[!0-9]*|0) usage ;; esac
done
labels=()
bins=()
for a in "$@"; do
	case $a in *=*) ;; *) usage ;; esac
	labels+=("${a%%=*}")
	bins+=("${a#*=}")
	[ -x "${a#*=}" ] || { echo "rcpts: ${a#*=}: not executable" >&2; exit 66; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/postie-rcpts.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 99' INT TERM HUP
if [ -z "$MEASURE" ]; then
	cc -O2 -Wall -pthread -o "$work/measure" "$here/measure.c"
	MEASURE=$work/measure
fi

# -P needs an account but no server.
printf 'account default\nhost 127.0.0.1\nfrom bench@example.org\nsyslog off\n' \
    > "$work/config"
chmod 600 "$work/config"
export HOME=$work XDG_CACHE_HOME=$work/cache POSTIE_QUEUE_DIR=$work/queue

# message N: N recipients rI@example.org, the first half in To, the rest
# in Cc.
message() {
	awk -v n="$1" 'BEGIN {
		printf "From: bench@example.org\nSubject: %d recipients\n", n
		half = int((n + 1) / 2)
		for (i = 1; i <= n; i++) {
			if (i == 1)
				printf "To: "
			else if (i == half + 1)
				printf "\nCc: "
			else if ((i - 1) % 4 == 0)
				printf ",\n "
			else
				printf ", "
			printf "r%d@example.org", i
		}
		printf "\n\nhello\n"
	}' > "$work/m$1.eml"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# cpu BIN N: median user + system microseconds over RUNS runs.
cpu() {
	local out i
	: > "$work/runs"
	for i in $(seq "$runs"); do
		out=$("$MEASURE" -i "$work/m$2.eml" -o /dev/null -- "$1" -t -P \
		    -C "$work/config")
		set -- "$1" "$2" $out
		if [ "$7" != 0 ]; then
			echo "rcpts: $1 -t -P failed with status $7" >&2
			exit 1
		fi
		echo $(( $4 + $5 )) >> "$work/runs"
	done
	median < "$work/runs"
}

# instr BIN N: instructions counted by callgrind.
instr() {
	if ! valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" \
	    -t -P -C "$work/config" < "$work/m$2.eml" >/dev/null \
	    2>"$work/cg.log"; then
		echo "rcpts: $1 -t -P failed under callgrind" >&2
		exit 1
	fi
	sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$work/cg.log" | tr -d ,
}

# Every build must see N recipients in what it would send.
for n in 1 $ns; do
	message "$n"
	for b in "${bins[@]}"; do
		got=$("$b" -t -P -C "$work/config" < "$work/m$n.eml" |
		    grep -c '^envelope to: <r[0-9]*@example.org>$' || true)
		if [ "$got" != "$n" ]; then
			echo "rcpts: $b: $got envelope recipients, expected $n" >&2
			exit 1
		fi
	done
done

# (An assignment, so that a failure in the substitution stops the script.)
for i in "${!bins[@]}"; do
	for n in 1 $ns; do
		c=$(cpu "${bins[$i]}" "$n")
		echo "$n $c"
	done > "$work/cpu.$i"
	if [ $cg = 1 ]; then
		for n in 1 $ns; do
			c=$(instr "${bins[$i]}" "$n")
			echo "$n $c"
		done > "$work/cg.$i"
	fi
done

# The table: per label, CPU ms and the marginal us per recipient (and
# with -c, instructions and instructions per recipient).
{
	printf '| recipients |'
	for l in "${labels[@]}"; do
		printf ' %s CPU ms | %s us per recipient |' "$l" "$l"
		[ $cg = 1 ] && printf ' %s instructions | %s per recipient |' \
		    "$l" "$l"
	done
	echo
	printf '|---|'
	for _ in "${labels[@]}"; do
		printf -- '---|---|'
		[ $cg = 1 ] && printf -- '---|---|'
	done
	echo
	for n in 1 $ns; do
		printf '| %s |' "$n"
		for i in "${!bins[@]}"; do
			awk -v n="$n" '
			    FNR == 1 { base = $2 } $1 == n { c = $2 }
			    END {
				p = "(fixed cost)"
				if (n > 1)
					p = sprintf("%.2f", (c - base) / n)
				printf " %.1f | %s |", c / 1000, p
			    }' "$work/cpu.$i"
			[ $cg = 1 ] && awk -v n="$n" '
			    FNR == 1 { base = $2 } $1 == n { c = $2 }
			    END {
				p = ""
				if (n > 1)
					p = sprintf("%.0f", (c - base) / n)
				printf " %.0f | %s |", c, p
			    }' "$work/cg.$i"
		done
		echo
	done
}
# How the cost grows: the largest N against the one before it (the
# smaller ones are lost in the noise of the fixed cost), fixed cost taken
# off: hi / lo times more when linear, its square when quadratic.  In
# instructions with -c, the steadier figure.
lo=$(echo $ns | awk '{ print (NF > 1 ? $(NF - 1) : $1) }')
hi=$(echo $ns | awk '{ print $NF }')
what="CPU time"
[ $cg = 1 ] && what=instructions
echo
for i in "${!bins[@]}"; do
	f=$work/cpu.$i
	[ $cg = 1 ] && f=$work/cg.$i
	awk -v lo="$lo" -v hi="$hi" -v l="${labels[$i]}" -v w="$what" '
	    FNR == 1 { base = $2 } $1 == lo { a = $2 } $1 == hi { b = $2 }
	    END {
		if (a > base && hi != lo)
			printf "%s: %d recipients cost %.1f times the %s " \
			    "of %d (%.1f if linear).\n", l, hi,
			    (b - base) / (a - base), w, lo, hi / lo
	    }' "$f"
done
