#!/usr/bin/env bash
# End-to-end check of scripts/ovn-sandbox, with ovn-nbctl/ovn-sbctl only (no Neutrino):
#
#   phase 1 (2 chassis, standalone NB):
#     a logical switch with DHCPv4 options and three ports, plugged into namespaces on chassis-1 and
#     chassis-2; each gets its address by DHCP from ovn-controller; the Southbound Port_Binding rows
#     are claimed by the right chassis; ping (also 1500-byte frames with DF) and TCP across chassis;
#     a fourth port with a static address times plug -> claim -> first answered ping;
#     a logical router with a gateway port on physnet1 (localnet port on an external switch, gateway
#     chassis chassis-1): SNAT takes instances on both chassis to the external host, a dnat_and_snat
#     floating IP lets the external host reach an instance on the non-gateway chassis (ICMP and TCP);
#     `unplug` releases a port; then `down`, and nothing may be left (namespaces, links, processes,
#     listening ports, directory), and a second `down` is a no-op.
#   phase 2 (3 chassis, --nb-cluster): the Northbound Raft cluster has a leader and 3 members, writes
#     through it reach the Southbound, chassis-1/2 are gateway-capable (ovn-cms-options) and chassis-3
#     is not, ping between chassis-1 and chassis-3; gateway HA: a router's gateway port on chassis-1
#     and chassis-2 moves to chassis-2 when chassis-1's ovs-vswitchd is killed (BFD, 3 chassis), and an
#     instance on chassis-3 reaches the external host again; the NB leader is killed and a write goes
#     through again; `down`, nothing left.
#
#   tests/dataplane/smoke.sh [--keep] [--phase 1|2] [--dir DIR]
#     --keep     leave the sandbox up after phase 1 (or after a failure) for a look by hand
#     --phase N  run only that phase
# It uses its own name prefixes (ovnsmk, ovnsmk2), directory, ports (16641..., 16741...) and underlays
# (192.168.199.0/24, 192.168.198.0/24), so a sandbox started with the defaults can run at the same
# time. Exit status 0 only if every check passed. Needs root and the
# packages listed in docs/ovn-sandbox.md (iputils-ping, netcat-openbsd, isc-dhcp-client, ethtool).
set -euo pipefail
set -o errtrace

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SANDBOX=$ROOT/scripts/ovn-sandbox
BASE_DIR=/tmp/ovn-smoke-$(id -u)
NAME=ovnsmk
PORT_BASE=16640
UNDERLAY=192.168.199.0/24
KEEP=0
PHASES="1 2"
while [ $# -gt 0 ]; do
    case $1 in
    --keep) KEEP=1; shift ;;
    --phase) PHASES=$2; shift 2 ;;
    --dir) BASE_DIR=$2; shift 2 ;;
    *) echo "usage: $0 [--keep] [--phase 1|2] [--dir DIR]" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || { echo "smoke.sh: must run as root" >&2; exit 2; }
for c in ping nc ethtool ovn-nbctl ovn-sbctl ss; do
    command -v "$c" >/dev/null || { echo "smoke.sh: missing $c (see docs/ovn-sandbox.md)" >&2; exit 2; }
done

T_START=$(date +%s.%N)
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
ok() { printf 'ok   %s\n' "$*"; }
note() { printf '     %s\n' "$*"; }
DIR=
fail() {
    trap - ERR
    printf 'FAIL %s\n' "$*" >&2
    diagnostics >&2
    exit 1
}
diagnostics() {
    [ -n "$DIR" ] && [ -f "$DIR/ovn-sandbox.env" ] || return 0
    echo "---- diagnostics ----"
    ovn-sbctl show 2>&1 | head -40 || :
    ovn-sbctl --columns=logical_port,chassis,up list Port_Binding 2>&1 | head -60 || :
    for f in "$DIR"/chassis-*/ovn-controller.log "$DIR"/chassis-*/ovs-vswitchd.log "$DIR"/central/northd/ovn-northd.log; do
        [ -f "$f" ] || continue
        echo "-- $f (warnings)"
        grep -E 'WARN|ERR|EMER' "$f" | tail -n 8 || :
    done
}
cleanup() {
    local rc=$?
    if [ -n "$DIR" ] && [ -d "$DIR" ]; then
        if [ "$KEEP" = 1 ]; then
            echo "kept: $DIR (. $DIR/ovn-sandbox.env; $SANDBOX down --dir $DIR)"
        else
            "$SANDBOX" down --dir "$DIR" >/dev/null 2>&1 || :
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'fail "unexpected error at line $LINENO"' ERR

# poll SECONDS CMD...: run CMD every 20 ms until it succeeds; 1 on timeout
poll() {
    local secs=$1 deadline
    shift
    deadline=$(($(date +%s) + secs))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.02
    done
}

chassis_of() { # logical port -> chassis name ("" if unbound)
    local u
    u=$(ovn-sbctl --bare --columns=chassis find Port_Binding logical_port="$1")
    [ -n "$u" ] || return 0
    ovn-sbctl --bare --columns=name list Chassis "$u"
}
bound_to() { [ "$(chassis_of "$1")" = "$2" ]; }
lsp_up() { [ "$(ovn-nbctl get Logical_Switch_Port "$1" up 2>/dev/null)" = true ]; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
pings() { in_ns "$1" ping -c 1 -W 0.3 "$2"; }
# first_ping NS IP SECONDS: ping (0.3 s per try) until answered; sets TRIES to the attempts it took
first_ping() {
    local deadline=$(($(date +%s) + $3))
    TRIES=1
    until pings "$1" "$2" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        TRIES=$((TRIES + 1))
    done
}

# plug_and_time VM LSP CHASSIS MAC: plug, then report claim and up=true latencies
plug_and_time() {
    local ns=$1 lsp=$2 ch=$3 mac=$4 t t1
    t=$(now)
    "$SANDBOX" plug --dir "$DIR" "$ch" "$ns" "$lsp" "$mac" >/dev/null
    t1=$(now) # plug's last step is the ovs-vsctl add-port
    poll 10 bound_to "$lsp" "$ch" || fail "$lsp not claimed by $ch within 10 s (bound to '$(chassis_of "$lsp")')"
    local claim claim1
    claim=$(since "$t")
    claim1=$(since "$t1")
    poll 10 lsp_up "$lsp" || fail "$lsp: NB up=true not set within 10 s"
    ok "$lsp plugged into $ns on $ch (plug took $(awk -v a="$claim" -v b="$claim1" 'BEGIN { printf "%.3f", a - b }')s): Port_Binding claimed by $ch ${claim1}s after add-port, NB up=true $(since "$t1")s after"
}

# tcp_bulk SRC_NS DST_NS DST_IP PORT MIB: send MIB MiB, check the byte count arrives
tcp_bulk() {
    local src=$1 dst=$2 ip=$3 port=$4 mib=$5 out t bytes
    out=$DIR/tcp.$port.count
    rm -f "$out"
    in_ns "$dst" sh -c "timeout 30 nc -n -l $port | wc -c > $out" &
    local lpid=$!
    poll 5 sh -c "ip netns exec $dst ss -Hltn 'sport = :$port' | grep -q ." || fail "nc did not listen in $dst"
    t=$(now)
    head -c "$((mib * 1048576))" /dev/zero | in_ns "$src" timeout 30 nc -n -N -w 10 "$ip" "$port" ||
        fail "TCP $src -> $ip:$port: sender failed"
    wait "$lpid" || :
    bytes=$(cat "$out" 2>/dev/null || echo 0)
    [ "$bytes" -eq $((mib * 1048576)) ] || fail "TCP $src -> $ip:$port: $bytes of $((mib * 1048576)) bytes arrived"
    local secs
    secs=$(since "$t")
    ok "TCP $src -> $ip:$port: $mib MiB in ${secs}s ($(awk -v m="$mib" -v s="$secs" 'BEGIN { printf "%.0f", m * 8 * 1.048576 / s }') Mbit/s)"
}

# tcp_source SRC_NS DST_NS DST_IP PORT: connect, return the source address the listener saw
tcp_source() {
    local src=$1 dst=$2 ip=$3 port=$4 log
    log=$DIR/nc.$port.log
    rm -f "$log"
    in_ns "$dst" timeout 15 nc -n -v -l "$port" >/dev/null 2>"$log" &
    local lpid=$!
    poll 5 sh -c "ip netns exec $dst ss -Hltn 'sport = :$port' | grep -q ." || fail "nc did not listen in $dst"
    echo hello | in_ns "$src" timeout 10 nc -n -N -w 5 "$ip" "$port" || fail "TCP $src -> $ip:$port failed"
    wait "$lpid" || :
    sed -n 's/^Connection received on \([0-9.]*\) .*/\1/p' "$log" | head -n1
}

leftovers() { # print anything of the sandbox that is still there
    local d=$1
    ip netns list | awk '{print $1}' | grep "^$NAME-" | sed 's/^/netns /' || :
    ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$NAME-" | sed 's/^/link /' || :
    local p
    for p in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$d/" && echo "process ${p#/proc/}: $(tr '\0' ' ' 2>/dev/null <"$p/cmdline")"
    done
    local port
    for port in $(seq $((PORT_BASE + 1)) $((PORT_BASE + 29))); do
        [ -z "$(ss -Hltn "sport = :$port")" ] || echo "listening on port $port"
    done
    [ ! -e "$d" ] || echo "directory $d"
}

sandbox_up() { # ARGS...: up, source the env, time it
    local t
    t=$(now)
    "$SANDBOX" up --dir "$DIR" --name "$NAME" --port-base "$PORT_BASE" --underlay-cidr "$UNDERLAY" "$@" >/dev/null 2>"$BASE_DIR/up.log" ||
        fail "ovn-sandbox up $* failed"
    ok "ovn-sandbox up $* took $(since "$t")s"
    # shellcheck disable=SC1091
    . "$DIR/ovn-sandbox.env"
}

sandbox_down() {
    local t
    t=$(now)
    "$SANDBOX" down --dir "$DIR" >/dev/null 2>&1 || fail "ovn-sandbox down failed"
    local left
    left=$(leftovers "$DIR")
    [ -z "$left" ] || fail "down left things behind:
$left"
    "$SANDBOX" down --dir "$DIR" --name "$NAME" >/dev/null 2>&1 || fail "a second down failed (must be idempotent)"
    ok "ovn-sandbox down took $(since "$t")s; no namespace, link, process, listening port or directory left; a second down is a no-op"
    DIR=
}

# ===================================================================================================
phase1() {
    echo "# phase 1: 2 chassis, standalone Northbound"
    DIR=$BASE_DIR/p1
    mkdir -p "$BASE_DIR"
    if [ -e "$DIR" ]; then # left from an earlier run
        "$SANDBOX" down --dir "$DIR" >/dev/null 2>&1 || :
        rm -rf -- "$DIR"
    fi
    sandbox_up --chassis 2
    "$SANDBOX" status --dir "$DIR" >/dev/null || fail "status reports a problem right after up"
    ok "status: all daemons running, both chassis registered"

    local EXT=$OVN_SANDBOX_EXTERNAL_NETNS EXT_IP=$OVN_SANDBOX_EXTERNAL_HOST_IP
    local VM1=$NAME-vm1 VM2=$NAME-vm2 VM3=$NAME-vm3
    local GW=172.24.4.10 FIP=172.24.4.11
    [ "$OVN_SANDBOX_EXTERNAL_CIDR" = 172.24.4.0/24 ] || fail "expected the default external CIDR"

    # --- logical topology, ovn-nbctl only -------------------------------------------------------
    ovn-nbctl ls-add sw0
    local dhcp
    dhcp=$(ovn-nbctl create DHCP_Options cidr=10.0.0.0/24 \
        options='"lease_time"="3600" "router"="10.0.0.1" "server_id"="10.0.0.1" "server_mac"="fa:16:3e:00:00:01"')
    local i
    for i in 1 2 3; do
        ovn-nbctl lsp-add sw0 "p$i" \
            -- lsp-set-addresses "p$i" "fa:16:3e:00:00:1$i 10.0.0.1$i" \
            -- lsp-set-port-security "p$i" "fa:16:3e:00:00:1$i 10.0.0.1$i" \
            -- lsp-set-dhcpv4-options "p$i" "$dhcp"
    done
    ovn-nbctl --wait=hv sync
    ok "logical switch sw0 (10.0.0.0/24, DHCPv4 options) with ports p1 p2 p3"

    plug_and_time "$VM1" p1 chassis-1 fa:16:3e:00:00:11
    plug_and_time "$VM2" p2 chassis-2 fa:16:3e:00:00:12
    plug_and_time "$VM3" p3 chassis-2 fa:16:3e:00:00:13

    local addr t
    for i in 1 2 3; do
        t=$(now)
        addr=$("$SANDBOX" dhcp --dir "$DIR" "$NAME-vm$i") || fail "DHCP in $NAME-vm$i failed"
        [ "$addr" = "10.0.0.1$i/24" ] || fail "DHCP in $NAME-vm$i gave '$addr', expected 10.0.0.1$i/24"
        ok "DHCP in $NAME-vm$i: $addr in $(since "$t")s (from ovn-controller on chassis-$([ $i = 1 ] && echo 1 || echo 2))"
    done
    [ "$(in_ns "$VM1" ip -4 route show default)" != "" ] || fail "DHCP set no default route in $VM1"

    # --- east-west across chassis ---------------------------------------------------------------
    t=$(now)
    first_ping "$VM1" 10.0.0.12 10 || fail "no ping $VM1 (chassis-1) -> 10.0.0.12 (chassis-2)"
    ok "first ping across chassis (vm1 -> vm2) answered $(since "$t")s after DHCP (attempt $TRIES)"
    local out
    out=$(in_ns "$VM1" ping -q -c 20 -i 0.05 10.0.0.12) || fail "ping loss vm1 -> vm2: $out"
    ok "20 pings vm1 (chassis-1) -> vm2 (chassis-2), none lost, rtt $(sed -n 's/.*= \([^ ]*\) ms/\1/p' <<<"$out") ms (min/avg/max/mdev)"
    in_ns "$VM1" ping -q -c 3 -i 0.2 -M do -s 1472 10.0.0.12 >/dev/null || fail "1500-byte ping with DF across the Geneve tunnel lost"
    ok "1500-byte IP packets with DF cross the tunnel (underlay MTU $OVN_SANDBOX_UNDERLAY_MTU)"
    tcp_bulk "$VM1" "$VM2" 10.0.0.12 5001 20
    tcp_bulk "$VM2" "$VM1" 10.0.0.11 5001 20

    # --- a port plugged with its address already set: plug -> claim -> first answered ping ---------
    local VM4=$NAME-vm4 claim
    ovn-nbctl lsp-add sw0 p4 -- lsp-set-addresses p4 "fa:16:3e:00:00:14 10.0.0.14"
    ovn-nbctl --wait=hv sync
    "$SANDBOX" plug --dir "$DIR" chassis-2 "$VM4" p4 fa:16:3e:00:00:14 >/dev/null
    t=$(now)
    in_ns "$VM4" ip addr add 10.0.0.14/24 dev eth0
    poll 10 bound_to p4 chassis-2 || fail "p4 not claimed by chassis-2"
    claim=$(since "$t")
    first_ping "$VM1" 10.0.0.14 10 || fail "no ping vm1 (chassis-1) -> vm4 (chassis-2)"
    ok "p4 on chassis-2, address set right after plug: Port_Binding claimed ${claim}s after add-port, first ping from vm1 (chassis-1) answered $(since "$t")s after (attempt $TRIES)"

    # --- router, gateway on physnet1, SNAT and a floating IP -----------------------------------
    ovn-nbctl lr-add lr0 \
        -- lrp-add lr0 lr0-sw0 fa:16:3e:00:00:01 10.0.0.1/24 \
        -- lsp-add sw0 sw0-lr0 -- lsp-set-type sw0-lr0 router -- lsp-set-addresses sw0-lr0 router \
        -- lsp-set-options sw0-lr0 router-port=lr0-sw0
    ovn-nbctl ls-add public \
        -- lsp-add public public-ln -- lsp-set-type public-ln localnet \
        -- lsp-set-addresses public-ln unknown -- lsp-set-options public-ln network_name="$OVN_SANDBOX_PHYSNET"
    ovn-nbctl lrp-add lr0 lr0-public fa:16:3e:00:00:02 "$GW/24" \
        -- lrp-set-gateway-chassis lr0-public chassis-1 10 \
        -- lsp-add public public-lr0 -- lsp-set-type public-lr0 router \
        -- lsp-set-addresses public-lr0 router -- lsp-set-options public-lr0 router-port=lr0-public nat-addresses=router
    ovn-nbctl lr-route-add lr0 0.0.0.0/0 "$OVN_SANDBOX_EXTERNAL_GATEWAY_IP"
    ovn-nbctl lr-nat-add lr0 snat "$GW" 10.0.0.0/24
    ovn-nbctl lr-nat-add lr0 dnat_and_snat "$FIP" 10.0.0.13
    t=$(now)
    ovn-nbctl --wait=hv sync
    poll 10 bound_to cr-lr0-public chassis-1 || fail "cr-lr0-public not bound to chassis-1 ('$(chassis_of cr-lr0-public)')"
    ok "router lr0: gateway port on $OVN_SANDBOX_PHYSNET bound to chassis-1 (cr-lr0-public) $(since "$t")s after the last write"

    t=$(now)
    poll 10 pings "$VM1" "$EXT_IP" || fail "no ping vm1 (gateway chassis) -> external host $EXT_IP"
    ok "SNAT: vm1 (chassis-1, the gateway) pings the external host $EXT_IP ($(since "$t")s)"
    poll 10 pings "$VM2" "$EXT_IP" || fail "no ping vm2 (chassis-2) -> external host $EXT_IP"
    ok "SNAT: vm2 (chassis-2, tunnelled to the gateway) pings the external host"
    local src
    src=$(tcp_source "$VM1" "$EXT" "$EXT_IP" 5002)
    [ "$src" = "$GW" ] || fail "SNAT: the external host saw vm1 as '$src', expected $GW"
    ok "SNAT: TCP vm1 -> external host arrives from $src (the router's gateway address)"
    src=$(tcp_source "$VM2" "$EXT" "$EXT_IP" 5003)
    [ "$src" = "$GW" ] || fail "SNAT: the external host saw vm2 as '$src', expected $GW"
    ok "SNAT: TCP vm2 -> external host arrives from $src"
    tcp_bulk "$VM2" "$EXT" "$EXT_IP" 5004 20

    t=$(now)
    poll 10 pings "$EXT" "$FIP" || fail "no ping external host -> floating IP $FIP"
    ok "floating IP: the external host pings $FIP (vm3 on chassis-2) ($(since "$t")s)"
    src=$(tcp_source "$EXT" "$VM3" "$FIP" 5005)
    [ "$src" = "$EXT_IP" ] || fail "FIP: vm3 saw the external host as '$src', expected $EXT_IP"
    ok "floating IP: TCP external host -> $FIP reaches vm3, from $src"
    src=$(tcp_source "$VM3" "$EXT" "$EXT_IP" 5006)
    [ "$src" = "$FIP" ] || fail "FIP: the external host saw vm3 as '$src', expected $FIP"
    ok "floating IP: TCP vm3 -> external host arrives from $src"

    # --- unplug, then down ------------------------------------------------------------------------
    "$SANDBOX" unplug --dir "$DIR" "$VM3"
    poll 10 sh -c '[ -z "$(ovn-sbctl --bare --columns=chassis find Port_Binding logical_port=p3)" ]' ||
        fail "p3 still bound after unplug"
    [ ! -e "/run/netns/$VM3" ] || fail "unplug left namespace $VM3"
    ok "unplug $VM3: namespace gone, p3 released"

    if [ "$KEEP" = 1 ]; then
        echo "phase 1 kept up: . $DIR/ovn-sandbox.env"
        DIR_KEPT=$DIR
        DIR=
        return
    fi
    sandbox_down
}

# ===================================================================================================
nb_roles() { # "leader follower follower" in member order
    local ctl
    for ctl in $OVN_SANDBOX_NB_CTL; do
        ovs-appctl -t "$ctl" cluster/status OVN_Northbound 2>/dev/null | sed -n 's/^Role: //p' || echo down
    done | tr '\n' ' '
}
nb_servers() { # number of servers the member knows
    ovs-appctl -t "$1" cluster/status OVN_Northbound | sed -n '/^Servers:/,$p' | grep -c ' at tcp:'
}

phase2() {
    echo "# phase 2: 3 chassis, 3-member Northbound Raft cluster"
    NAME=${NAME}2 PORT_BASE=$((PORT_BASE + 100)) UNDERLAY=192.168.198.0/24 # may run beside a kept phase 1
    DIR=$BASE_DIR/p2
    mkdir -p "$BASE_DIR"
    if [ -e "$DIR" ]; then # left from an earlier run
        "$SANDBOX" down --dir "$DIR" >/dev/null 2>&1 || :
        rm -rf -- "$DIR"
    fi
    sandbox_up --chassis 3 --nb-cluster
    local roles ctl
    roles=$(nb_roles)
    [ "$(grep -o leader <<<"$roles" | wc -l)" -eq 1 ] && [ "$(grep -o follower <<<"$roles" | wc -l)" -eq 2 ] ||
        fail "cluster roles: $roles"
    for ctl in $OVN_SANDBOX_NB_CTL; do
        [ "$(nb_servers "$ctl")" -eq 3 ] || fail "$ctl does not list 3 servers"
    done
    ok "NB cluster/status: roles $roles; every member lists 3 servers"
    [ "$(tr ',' '\n' <<<"$OVN_NB_DB" | wc -l)" -eq 3 ] && [ "$(tr ',' '\n' <<<"$NEUTRINO_OVN__NB_CONNECTION" | wc -l)" -eq 3 ] ||
        fail "env: expected 3 NB remotes, got OVN_NB_DB=$OVN_NB_DB NEUTRINO_OVN__NB_CONNECTION=$NEUTRINO_OVN__NB_CONNECTION"
    ok "env: NEUTRINO_OVN__NB_CONNECTION=$NEUTRINO_OVN__NB_CONNECTION"

    local g
    for g in 1 2; do
        [ "$(ovn-sbctl get Chassis "chassis-$g" other_config:ovn-cms-options 2>/dev/null | tr -d '"')" = enable-chassis-as-gw ] ||
            fail "chassis-$g is not marked enable-chassis-as-gw"
    done
    [ "$(ovn-sbctl get Chassis chassis-3 other_config:ovn-cms-options | tr -d '"')" = "" ] ||
        fail "chassis-3 is marked as a gateway"
    [ "$(ovn-sbctl get Chassis chassis-1 other_config:ovn-bridge-mappings | tr -d '"')" = "$OVN_SANDBOX_PHYSNET:$OVN_SANDBOX_EXTERNAL_BRIDGE" ] ||
        fail "chassis-1 has no bridge mapping for $OVN_SANDBOX_PHYSNET"
    [ "$OVN_SANDBOX_GATEWAY_CHASSIS" = "chassis-1 chassis-2" ] || fail "gateway list: $OVN_SANDBOX_GATEWAY_CHASSIS"
    ok "gateways: chassis-1 and chassis-2 have ovn-cms-options=enable-chassis-as-gw and ovn-bridge-mappings=physnet1:br-ex, chassis-3 neither"

    # writes through the TCP remotes (what Neutrino will use) reach the Southbound through northd
    local t
    t=$(now)
    ovn-nbctl --db="$NEUTRINO_OVN__NB_CONNECTION" ls-add sw1 \
        -- lsp-add sw1 q1 -- lsp-set-addresses q1 "fa:16:3e:00:01:11 10.1.0.11" \
        -- lsp-add sw1 q3 -- lsp-set-addresses q3 "fa:16:3e:00:01:13 10.1.0.13"
    poll 10 sh -c '[ -n "$(ovn-sbctl --db="$NEUTRINO_OVN__SB_CONNECTION" --bare --columns=logical_port find Port_Binding logical_port=q1)" ]' ||
        fail "a write through $NEUTRINO_OVN__NB_CONNECTION did not reach the Southbound"
    ok "ovn-nbctl over the TCP remotes -> Port_Binding q1 in the Southbound (over TCP) after $(since "$t")s"

    local A=$NAME-vm1 B=$NAME-vm3
    plug_and_time "$A" q1 chassis-1 fa:16:3e:00:01:11
    plug_and_time "$B" q3 chassis-3 fa:16:3e:00:01:13
    in_ns "$A" ip addr add 10.1.0.11/24 dev eth0
    in_ns "$B" ip addr add 10.1.0.13/24 dev eth0
    t=$(now)
    first_ping "$A" 10.1.0.13 10 || fail "no ping chassis-1 -> chassis-3"
    ok "ping chassis-1 -> chassis-3 answered $(since "$t")s after setting the addresses (attempt $TRIES)"

    # gateway HA: the router's gateway port on chassis-1 (priority 20) and chassis-2 (10); an instance
    # on chassis-3 reaches the external host through it; chassis-1's ovs-vswitchd dies -> chassis-2
    ovn-nbctl lr-add lr1 \
        -- lrp-add lr1 lr1-sw1 fa:16:3e:00:01:01 10.1.0.1/24 \
        -- lsp-add sw1 sw1-lr1 -- lsp-set-type sw1-lr1 router -- lsp-set-addresses sw1-lr1 router \
        -- lsp-set-options sw1-lr1 router-port=lr1-sw1 \
        -- ls-add public -- lsp-add public public-ln -- lsp-set-type public-ln localnet \
        -- lsp-set-addresses public-ln unknown -- lsp-set-options public-ln network_name="$OVN_SANDBOX_PHYSNET" \
        -- lrp-add lr1 lr1-public fa:16:3e:00:01:02 172.24.4.20/24 \
        -- lsp-add public public-lr1 -- lsp-set-type public-lr1 router \
        -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public nat-addresses=router \
        -- lr-nat-add lr1 snat 172.24.4.20 10.1.0.0/24
    ovn-nbctl lrp-set-gateway-chassis lr1-public chassis-1 20 -- lrp-set-gateway-chassis lr1-public chassis-2 10
    in_ns "$B" ip route add default via 10.1.0.1
    poll 10 bound_to cr-lr1-public chassis-1 || fail "cr-lr1-public not on chassis-1 ('$(chassis_of cr-lr1-public)')"
    first_ping "$B" "$OVN_SANDBOX_EXTERNAL_HOST_IP" 10 || fail "no ping chassis-3 -> external host through chassis-1"
    bfd_up() { "$SANDBOX" exec --dir "$DIR" chassis-2 ovs-vsctl --bare --columns=bfd_status find Interface type=geneve | grep -q 'state=up'; }
    t=$(now)
    poll 20 bfd_up || fail "BFD did not come up on chassis-2's tunnels"
    ok "gateway HA: cr-lr1-public on chassis-1 (prio 20, chassis-2 prio 10); chassis-3 reaches the external host; BFD up ($(since "$t")s)"
    local vpid
    vpid=$(cat "$OVN_SANDBOX_CHASSIS_1_DIR/ovs-vswitchd.pid")
    t=$(now)
    kill -TERM "$vpid"
    poll 30 bound_to cr-lr1-public chassis-2 || fail "cr-lr1-public did not move to chassis-2 ('$(chassis_of cr-lr1-public)')"
    local moved
    moved=$(since "$t")
    first_ping "$B" "$OVN_SANDBOX_EXTERNAL_HOST_IP" 20 || fail "no ping chassis-3 -> external host after the failover"
    ok "gateway HA: chassis-1's ovs-vswitchd killed -> cr-lr1-public claimed by chassis-2 after ${moved}s, chassis-3 pings the external host again after $(since "$t")s"

    # kill the leader (by its PID file); the next write that reaches the Southbound
    local leader= i=0 pid
    for ctl in $OVN_SANDBOX_NB_CTL; do
        if ovs-appctl -t "$ctl" cluster/status OVN_Northbound | grep -q '^Role: leader'; then leader=${ctl%/*}; fi
    done
    [ -n "$leader" ] || fail "no leader found"
    pid=$(cat "$leader/ovsdb-server.pid")
    t=$(now)
    kill -TERM "$pid"
    local tries=0
    until ovn-nbctl --timeout=2 ls-add sw-after-failover >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || fail "no NB write succeeded within ~30 s of killing the leader"
        sleep 0.1
    done
    local wrote
    wrote=$(since "$t")
    poll 30 sh -c '[ -n "$(ovn-sbctl --bare --columns=_uuid find Datapath_Binding external_ids:name=sw-after-failover)" ]' ||
        fail "the write after failover did not reach the Southbound within 30 s"
    ok "NB leader ${leader##*/} killed: a write succeeded after ${wrote}s ($tries failed attempts), reached the Southbound after $(since "$t")s"
    note "roles now: $(nb_roles)"

    sandbox_down
}

DIR_KEPT=
for p in $PHASES; do "phase$p"; done
trap - ERR
echo "all checks passed in $(since "$T_START")s"
[ "$KEEP" = 1 ] || { rm -f "$BASE_DIR/up.log"; rmdir "$BASE_DIR" 2>/dev/null || :; }
[ -z "$DIR_KEPT" ] || DIR=$DIR_KEPT
