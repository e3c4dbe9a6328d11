#!/bin/bash
# pvhostd against fake guests: processes with "CPU n/TCG" threads spinning
# on one host CPU (tests/host/fake_vcpus) and a QEMU command line naming
# their port, made of two FIFOs as QEMU's pipe chardev has (PATH.in to the
# guest, PATH.out from it), and a shell loop in the guest's place that logs
# what it is sent and answers, stays silent or floods; and one with the
# command line libvirt writes (a JSON -device, a socket passed as a
# descriptor). pvhostd runs on that CPU only, so the host has 1 CPU for
# guests, and finds each port on the command line.
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
hostd=$build/tools/pvhostd fake=$build/tests/fake_vcpus
n=0
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n pvhostd: $2"; else echo "not ok $n pvhostd: $2"; fi; }

# Bad input: a message and status 1 or 2, nothing started.
for args in "-i 5" "-t 1" "-t x" "-c 0" "-s cpu" "-g =x" "-g 1x=y" "-g 12=" "-n -1"; do
	out=$("$hostd" $args -n 1 -S "$tmp/none" 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "^pvhostd: -" <<<"$out" && [ ! -e "$tmp/none" ]
	ok $? "rejects '$args' with a message (status $rc)"
done
out=$("$hostd" status -S "$tmp/none" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "is pvhostd running" <<<"$out"; ok $? "status without a running pvhostd says so (status $rc)"
"$hostd" bogus >/dev/null 2>&1; rc=$?; [ $rc = 2 ]; ok $? "bad usage exits 2 (status $rc)"

# fake_guest NAME MODE: a guest of 2 busy vCPUs on CPU 0 and its port.
# MODE answer: "demand 2 -" to every line; silent: nothing; flood: 64 KiB
# of junk to every line.
fake_guest() {
	local b=$tmp/$1
	mkfifo "$b.in" "$b.out"
	taskset -c 0 "$fake" 2 30 -- -name "guest=$1,debug-threads=on" -chardev "pipe,id=ch0,path=$b" \
		-device virtio-serial-pci -device "virtserialport,chardev=ch0,name=org.pvcpu.hint.0" &
	eval "pid_$1=$!"
	(
		exec 3<>"$b.in" 4<>"$b.out"
		while IFS= read -r line <&3; do
			echo "$line" >>"$b.log"
			case $2 in
			answer) echo "demand 2 -" >&4 ;;
			flood) head -c 65536 /dev/zero | tr '\0' 'x' >&4 ;;
			esac
		done
	) &
}
# The caps sent to guest NAME, one per line.
caps() { awk '$1 == "cap" { print $2 }' "$tmp/$1.log" 2>/dev/null; }
last_cap() { caps "$1" | tail -1; }

# Two guests that take hints: each gets its half of the CPU, in whole
# messages, and keeps it.
fake_guest a answer
fake_guest b answer
taskset -c 0 "$hostd" -g "$pid_a" -g "$pid_b" -s thread -i 200 -t 3 -S "$tmp/state" -n 25 \
	2>"$tmp/log1"
rc=$?
grep -q "^pvhostd: a (pid $pid_a): new guest, port $tmp/a$" "$tmp/log1"
ok $? "finds a guest's name and its pipe port on its QEMU command line"
ca=$(last_cap a) cb=$(last_cap b)
[ $rc = 0 ] && [ "$(caps a | wc -l)" -ge 20 ] && ! grep -qv '^cap [0-9]* [0-9]* 3$' "$tmp/a.log"
ok $? "sends 'cap MCPU SEQ TTL' every period (status $rc, $(caps a | wc -l) lines)"
[ -n "$ca" ] && [ -n "$cb" ] && [ "$ca" -ge 300 ] && [ "$ca" -le 520 ] && [ "$cb" -ge 300 ] &&
	[ "$cb" -le 520 ] && [ $((ca - cb)) -le 100 ] && [ $((cb - ca)) -le 100 ]
ok $? "two busy guests on 1 CPU get about half each: $ca and $cb millicpus"
changes=$(caps a | uniq | wc -l)
[ "$changes" -le 3 ]; ok $? "guest a's cap changed $((changes - 1)) times in 25 periods (at most 2)"
grep -q "takes hints" "$tmp/log1"; ok $? "logs when a guest starts taking hints"
out=$("$hostd" status -S "$tmp/state")
grep -q "^$pid_a " <<<"$out" && grep -q "^$pid_b " <<<"$out" && grep -q "shares per thread, contended" <<<"$out"
ok $? "status shows both guests on a contended host"
out=$("$hostd" prometheus -S "$tmp/state")
[ "$(grep -c '^pvhostd_guest_cap_mcpu{' <<<"$out")" = 2 ] && grep -q '^pvhostd_contended 1$' <<<"$out"
ok $? "prometheus exports a cap per guest"
kill "$pid_a" "$pid_b" 2>/dev/null; wait "$pid_a" "$pid_b" 2>/dev/null
rm -f "$tmp"/[ab].*

# A guest that never answers does not fold: per thread, it would take what
# the other leaves, so the other is not asked to fold either.
fake_guest a answer
fake_guest c silent
taskset -c 0 "$hostd" -g "$pid_a" -g "$pid_c" -s thread -i 200 -t 3 \
	-S "$tmp/state" -n 15 2>"$tmp/log2"
ca=$(last_cap a)
[ "$ca" = 2000 ] && grep -q "holdback 1" "$tmp/state" && grep -q "hints 0 port open" "$tmp/state"
ok $? "beside a guest that never answers, a guest keeps all its vCPUs (cap $ca)"
kill "$pid_a" "$pid_c" 2>/dev/null; wait "$pid_a" "$pid_c" 2>/dev/null
rm -f "$tmp"/[ac].*

# A guest that floods its port: logged, rate-limited, and nobody else's
# hint changes; a guest that goes away: logged, and the other gets its CPU.
fake_guest b answer
fake_guest f flood
( sleep 3; kill "$pid_f" ) &
taskset -c 0 "$hostd" -g "$pid_b" -g "$pid_f=$tmp/f" -s thread -i 200 -t 3 \
	-S "$tmp/state" -n 30 2>"$tmp/log3"
rc=$?
lines=$(grep -c "pid $pid_f): \(bad line\|sent\)" "$tmp/log3")
[ $rc = 0 ] && [ "$lines" -ge 1 ] && [ "$lines" -le 2 ]
ok $? "a flooding guest is logged at most twice in 30 periods ($lines lines, status $rc)"
grep -q "pid $pid_f): gone" "$tmp/log3"; ok $? "a guest that goes away is logged"
cb=$(last_cap b)
[ "$(caps b | wc -l)" -ge 25 ] && [ -n "$cb" ] && [ "$cb" -ge 800 ] && [ "$cb" -le 1000 ]
ok $? "the other guest is hinted every period, and alone gets the CPU ($cb millicpus)"
kill "$pid_b" "$pid_f" 2>/dev/null; wait "$pid_b" "$pid_f" 2>/dev/null
# libvirt's command line: -device in JSON, the port's socket created by
# libvirt and passed to QEMU as a descriptor (fd=N), found through
# /proc/net/unix. A Python stand-in for libvirt holds the listening end.
cat >"$tmp/libvirt.py" <<'EOF'
import os, socket, subprocess, sys
path, fake, log, pidfile = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
fd = s.fileno()
dev = ('{"driver":"virtserialport","bus":"virtio-serial0.0","nr":1,'
       '"chardev":"charchannel1","id":"channel1","name":"org.pvcpu.hint.0"}')
p = subprocess.Popen(["taskset", "-c", "0", fake, "2", "20", "--", "-name",
                      "guest=vm1,debug-threads=on", "-chardev",
                      "socket,id=charchannel1,fd=%d,server=on,wait=off" % fd,
                      "-device", dev], pass_fds=[fd])
with open(pidfile, "w") as f:
    f.write("%d\n" % p.pid)
c, _ = s.accept()
with open(log, "w") as out:
    try:
        for line in c.makefile("r"):
            out.write(line)
            out.flush()
            c.sendall(b"demand 2 -\n")
    except OSError:
        pass	# pvhostd went away
p.kill()
EOF
python3 "$tmp/libvirt.py" "$tmp/libvirt.sock" "$fake" "$tmp/v.log" "$tmp/v.pid" &
libvirt=$!
for _ in $(seq 50); do [ -s "$tmp/v.pid" ] && break; sleep 0.1; done
taskset -c 0 "$hostd" -g "$(cat "$tmp/v.pid")" -s thread -i 200 -t 3 -S "$tmp/state" -n 15 2>"$tmp/log4"
grep -q "^pvhostd: vm1 (pid [0-9]*): new guest, port $tmp/libvirt.sock$" "$tmp/log4" &&
	grep -q "vm1 (pid [0-9]*): takes hints" "$tmp/log4"
ok $? "finds a libvirt guest's socket passed as a descriptor, and takes its answers"
cv=$(last_cap v)
[ "$(caps v | wc -l)" -ge 10 ] && [ -n "$cv" ] && [ "$cv" -ge 800 ] && [ "$cv" -le 1000 ]
ok $? "a busy guest alone on 1 CPU is told about 1 CPU over the socket ($cv millicpus)"
# Gone before the next guest shares CPU 0, whatever happened above.
kill "$(cat "$tmp/v.pid")" "$libvirt" 2>/dev/null; wait "$libvirt" 2>/dev/null
# A QEMU that does not name its vCPU threads, given with -Q: its monitor
# (a Python stand-in speaking QMP) lists them with query-cpus-fast.
cat >"$tmp/qmp.py" <<'EOF'
import json, os, socket, sys
path, pid = sys.argv[1], int(sys.argv[2])
tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % pid) if int(t) != pid)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
while True:
    c, _ = s.accept()
    f = c.makefile("rw")
    f.write('{"QMP": {"version": {}, "capabilities": []}}\n')
    f.flush()
    for line in f:
        cmd = json.loads(line)["execute"]
        ret = [] if cmd == "qmp_capabilities" else [
            {"cpu-index": i, "qom-path": "/machine/unattached/device[%d]" % i,
             "thread-id": t, "target": "x86_64"} for i, t in enumerate(tids)]
        f.write(json.dumps({"return": ret}) + "\n")
        f.flush()
    c.close()
EOF
FAKE_VCPUS_UNNAMED=1 taskset -c 0 "$fake" 2 10 &
pid_q=$!
sleep 0.3
python3 "$tmp/qmp.py" "$tmp/qmp.sock" $pid_q &
for _ in $(seq 50); do [ -S "$tmp/qmp.sock" ] && break; sleep 0.1; done
taskset -c 0 "$hostd" -Q "$pid_q=$tmp/qmp.sock" -s thread -i 200 -S "$tmp/state" -n 5 2>"$tmp/log5"
# Two threads sharing CPU 0: each runs half the time and waits half.
awk -v p=$pid_q '$1 == "guest" && $2 == p && $5 == 2 && $9 >= 800 && $11 >= 800 { f = 1 } END { exit !f }' \
	"$tmp/state"
ok $? "finds the unnamed vCPU threads of a QEMU through its monitor: $(grep -o 'vcpus.*waited [0-9]*' "$tmp/state")"
out=$("$hostd" -Q "1=" -n 1 2>&1); rc=$?
[ $rc = 1 ] && grep -q -- "-Q wants PID=QMP_SOCKET" <<<"$out"; ok $? "rejects -Q without a socket (status $rc)"
kill $pid_q 2>/dev/null; wait $pid_q 2>/dev/null
echo "1..$n"
