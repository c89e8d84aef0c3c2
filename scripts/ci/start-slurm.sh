#!/bin/bash
# Starts a single-node Slurm cluster on this host for the dataset cluster test (test/dataset/slurm-cluster.test.ts):
# installs Debian's slurm-wlm and munge with apt-get when they are missing (as root), writes a slurm.conf for this
# host, and starts munged, slurmctld and slurmd. Idempotent: a daemon that already answers is left running. Every wait
# is bounded; on failure it prints the daemons' log tails and exits non-zero, never hangs.
#
#   scripts/ci/start-slurm.sh            # then: sinfo; sbatch ...
#   SLURM_CI_DIR=/tmp/slurm-ci scripts/ci/start-slurm.sh
#
# The configuration, state and logs live under $SLURM_CI_DIR (default /var/tmp/wingbeats-slurm); /etc/slurm/slurm.conf
# is written only when absent or written by this script before, so a real cluster's configuration is never touched.
set -euo pipefail
changed=0

DIR=${SLURM_CI_DIR:-/var/tmp/wingbeats-slurm}
CONF=/etc/slurm/slurm.conf
MARK='# written by wingbeats-xai scripts/ci/start-slurm.sh'

say() { echo "start-slurm: $*" >&2; }
fail() {
  say "$*"
  for log in "$DIR"/log/*.log /var/log/munge/munged.log; do
    [ -r "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
  done
  exit 1
}
# wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND every half second until it succeeds or time runs out.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until timeout 5 "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && fail "$what did not come up within $seconds s"
    sleep 0.5
  done
}

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  [ "$(id -u)" = 0 ] || fail "slurm-wlm and munge are not installed and only root can install them (apt-get install slurm-wlm munge)"
  say "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null ||
    { timeout 300 apt-get update >/dev/null && timeout 600 apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null; } ||
    fail "apt-get install slurm-wlm munge failed"
fi
[ "$(id -u)" = 0 ] || fail "starting slurmctld and slurmd needs root"

mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"

# munge: one key for this host, then the daemon (as the munge user).
if ! timeout 5 munge -n >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    say "creating /etc/munge/munge.key"
    if command -v mungekey >/dev/null; then mungekey --create --force; else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
  say "starting munged"
  runuser -u munge -- munged || fail "munged did not start"
  wait_for 20 munged munge -n
fi

# slurm.conf for this host: its name, cores and memory as slurmd sees them; no accounting, no cgroups.
if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
  say "$CONF exists and was not written by this script: using it as it is"
else
  node_line=$(timeout 20 slurmd -C | head -n 1) || fail "slurmd -C failed"
  host=$(hostname -s)
  cat >"$CONF.tmp" <<EOF
$MARK
ClusterName=wingbeats-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# A requeued job may start again after cred_expire seconds (default 120): short, so the requeue test stays quick.
AuthInfo=cred_expire=10
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=600
$node_line State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  if cmp -s "$CONF.tmp" "$CONF"; then rm -f "$CONF.tmp"; else mv "$CONF.tmp" "$CONF" && changed=1; fi
fi

# A changed slurm.conf needs the daemons this script started to start again (reconfigure leaves cred_expire as it was).
if [ "$changed" = 1 ]; then
  for daemon in slurmctld slurmd; do
    pid=$(cat "$DIR/run/$daemon.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      say "slurm.conf changed: stopping $daemon ($pid)"
      kill "$pid"
      wait_for 20 "$daemon to stop" bash -c "! kill -0 $pid"
    fi
  done
fi
if ! timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP'; then
  say "starting slurmctld"
  slurmctld -c 2>>"$DIR/log/slurmctld.log" || slurmctld 2>>"$DIR/log/slurmctld.log" || fail "slurmctld did not start"
  wait_for 30 slurmctld bash -c "scontrol ping | grep -q 'is UP'"
fi
if ! pgrep -x slurmd >/dev/null; then
  say "starting slurmd"
  slurmd 2>>"$DIR/log/slurmd.log" || fail "slurmd did not start"
fi
# The node must be ready to take jobs (idle, mixed or allocated), not down or drained.
wait_for 30 "the node" bash -c "sinfo -h -N -o '%T' | grep -Eq '^(idle|mixed|allocated|completing)'"
say "Slurm is up: $(sinfo -h -o '%P %D nodes, %c CPUs per node, %T')"
