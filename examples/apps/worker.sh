#!/usr/bin/env bash
# Tiny worker for rpm's examples: prints a timestamped tick every second until stopped.
ticks=0
trap 'echo "worker stopping after $ticks ticks"; exit 0' INT TERM
while true; do
  ticks=$((ticks + 1))
  echo "$(date '+%Y-%m-%dT%H:%M:%S') tick $ticks (${WORKER_LABEL:-worker})"
  sleep 1
done
