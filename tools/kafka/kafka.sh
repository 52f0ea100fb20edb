#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft) on 127.0.0.1:9092 for development, tests and
# the quick start. Usage: tools/kafka/kafka.sh fetch|up|up-empty|down|status|reset
# Broker jars come from Maven Central (tools/kafka/pom.xml) into .kafka/lib; data and logs live
# in .kafka/data and .kafka/logs. Every command is idempotent.
# A second broker (the chaos suite's, which its tests stop and start) runs beside the first with
# its own home folder and ports: KAFKA_HOME_DIR=.kafka-chaos KAFKA_PORT=19092
# KAFKA_CONTROLLER_PORT=19093. KAFKA_LIB_DIR points it at jars already fetched elsewhere
# (default: <home>/lib, fetched from Maven on first use).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
home="${KAFKA_HOME_DIR:-$root/.kafka}"
case "$home" in /*) ;; *) home="$root/$home" ;; esac
lib="${KAFKA_LIB_DIR:-$home/lib}"
data="$home/data"
logs="$home/logs"
pidfile="$home/broker.pid"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"

fetch() {
  if [ -f "$lib/.complete" ]; then return 0; fi
  mkdir -p "$lib"
  echo "fetching the Apache Kafka broker from Maven Central into $lib"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib"
  touch "$lib/.complete"
}

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

answers() {
  # A TCP connect is not enough: the listener opens before the broker can serve metadata.
  # The broker logs this line once it is registered and serving.
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || return 1
  grep -q "Kafka Server started" "$logs/server.out" 2>/dev/null
}

write_config() {
  mkdir -p "$data" "$logs"
  cat > "$home/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=24
log.segment.bytes=67108864
log.cleaner.dedupe.buffer.size=16777216
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
PROPS
  cat > "$home/log4j2.yaml" <<'LOG'
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        Pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
      - name: kafka.server.BrokerServer
        level: INFO
      - name: kafka.Kafka$
        level: INFO
LOG
}

classpath() { echo "$lib/*"; }

up() {
  fetch
  if running && answers; then echo "kafka already up on 127.0.0.1:$port"; return 0; fi
  if running; then wait_ready; return 0; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    # Another checkout's broker (or one started by hand) already serves this port: share it.
    # `down` leaves it alone, since it is not ours.
    echo "a broker already answers on 127.0.0.1:$port; using it"
    return 0
  fi
  write_config
  if [ ! -f "$data/meta.properties" ]; then
    java -cp "$(classpath)" -Dlog4j2.configurationFile="$home/log4j2.yaml" kafka.tools.StorageTool format \
      --config "$home/server.properties" --cluster-id "notify-streams-local0" --standalone --ignore-formatted \
      > "$logs/format.out" 2>&1 || {
        # --standalone is for dynamic quorums; the static voters line above works without it.
        java -cp "$(classpath)" -Dlog4j2.configurationFile="$home/log4j2.yaml" kafka.tools.StorageTool format \
          --config "$home/server.properties" --cluster-id "notify-streams-local0" --ignore-formatted \
          > "$logs/format.out" 2>&1 || { cat "$logs/format.out"; exit 1; }
      }
  fi
  : > "$logs/server.out"
  nohup java -Xms512m -Xmx1g -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$home/log4j2.yaml" -cp "$(classpath)" \
    kafka.Kafka "$home/server.properties" >> "$logs/server.out" 2>&1 &
  echo $! > "$pidfile"
  wait_ready
}

wait_ready() {
  for _ in $(seq 1 120); do
    if answers; then echo "kafka up on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0; fi
    if ! running; then echo "kafka exited during startup; last lines of $logs/server.out:"; tail -30 "$logs/server.out"; exit 1; fi
    sleep 0.5
  done
  echo "kafka did not answer within 60 s; last lines of $logs/server.out:"; tail -30 "$logs/server.out"; exit 1
}

down() {
  if ! running; then rm -f "$pidfile"; echo "kafka not running"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "kafka stopped"
}

status() { if running && answers; then echo up; else echo down; exit 1; fi; }

# Wipes broker data: topics, offsets and transactions start empty.
reset() { down; rm -rf "$data" "$logs"; }

# For test runs: tests create topics with unique names and leave them behind, and a broker that
# kept every run's topics (~20,000 partitions after a few days of runs) exceeds the open-file
# limit and takes its log directory offline. So a broker this starts begins empty; one that is
# already running (ours or another checkout's) is used as it is.
up_empty() {
  if ! running && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then rm -rf "$data"; fi
  up
}

case "${1:-}" in
  fetch) fetch ;; up) up ;; up-empty) up_empty ;; down) down ;; status) status ;; reset) reset ;;
  *) echo "usage: $0 fetch|up|up-empty|down|status|reset" >&2; exit 2 ;;
esac
