"""A thin BuildGrid worker: takes leases over the Bots API and runs each through buildbox-run.

    bot.py --server=127.0.0.1:PORT --instance=NAME --bot_id=w1 --casd=unix:/path/casd.sock \
           --runner=/path/buildbox-run --work_dir=DIR [--runner_arg=...]...

No scheduling here: one lease at a time (capacity 1), handed as it came to buildbox-run
(bubblewrap), whose ActionResult goes back in the lease. Two adaptations, both REAPI:
- Bazel 4.2.3 speaks REAPI 2.0 (`output_files`/`output_directories`); buildbox-run 1.4
  creates the parent directories only of 2.1 `output_paths`. The bot stores a copy of the
  Command with `output_paths` = files + directories (2.0 fields kept) and runs an Action
  pointing at it; the result is the same ActionResult.
- While an action runs, the bot reports the lease ACTIVE every --keepalive seconds, so the
  server's bot-session keepalive can be short and a killed bot's lease is requeued soon.

Runs with the BuildGrid venv's Python (its generated protos and grpcio). Logs one line per
lease (lease id, exit code, seconds) to stderr.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import time

import grpc
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2 as re_pb2
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2_grpc as re_grpc
from buildgrid._protos.google.devtools.remoteworkers.v1test2 import bots_pb2, bots_pb2_grpc
from buildgrid._protos.google.rpc import code_pb2

PENDING, ACTIVE, COMPLETED = 1, 2, 4  # bots_pb2.LeaseState
BOT_OK = 1  # bots_pb2.BotStatus.OK


def log(msg):
    print(f"bot {ARGS.bot_id}: {msg}", file=sys.stderr, flush=True)


def digest_of(data):
    return re_pb2.Digest(hash=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


class Cas:
    """Reads and writes small blobs (Action, Command) on the server's CAS."""

    def __init__(self, channel, instance):
        self.stub = re_grpc.ContentAddressableStorageStub(channel)
        self.instance = instance

    def read(self, digest):
        resp = self.stub.BatchReadBlobs(
            re_pb2.BatchReadBlobsRequest(instance_name=self.instance, digests=[digest]), timeout=60
        )
        r = resp.responses[0]
        if r.status.code != code_pb2.OK:
            raise RuntimeError(f"CAS read {digest.hash}/{digest.size_bytes}: {r.status.message}")
        return r.data

    def write(self, data):
        d = digest_of(data)
        resp = self.stub.BatchUpdateBlobs(
            re_pb2.BatchUpdateBlobsRequest(
                instance_name=self.instance,
                requests=[re_pb2.BatchUpdateBlobsRequest.Request(digest=d, data=data)],
            ),
            timeout=60,
        )
        if resp.responses[0].status.code != code_pb2.OK:
            raise RuntimeError(f"CAS write {d.hash}: {resp.responses[0].status.message}")
        return d


def with_output_paths(cas, action):
    """The Action, pointing at a Command that also lists its outputs as REAPI 2.1 output_paths."""
    command = re_pb2.Command()
    command.ParseFromString(cas.read(action.command_digest))
    if command.output_paths:
        return action
    command.output_paths.extend(sorted(set(command.output_files) | set(command.output_directories)))
    adapted = re_pb2.Action()
    adapted.CopyFrom(action)
    adapted.command_digest.CopyFrom(cas.write(command.SerializeToString(deterministic=True)))
    return adapted


def run_lease(bots, session, lease, cas):
    """Runs the lease's action to completion, keeping the lease ACTIVE meanwhile."""
    action = re_pb2.Action()
    if lease.payload.Is(re_pb2.Action.DESCRIPTOR):
        lease.payload.Unpack(action)
    else:
        digest = re_pb2.Digest()
        lease.payload.Unpack(digest)
        action.ParseFromString(cas.read(digest))
    action = with_output_paths(cas, action)
    work = os.path.join(ARGS.work_dir, "lease")
    os.makedirs(work, exist_ok=True)
    action_path = os.path.join(work, "action.bin")
    result_path = os.path.join(work, "result.bin")
    with open(action_path, "wb") as f:
        f.write(action.SerializeToString())
    for stale in (result_path, result_path + ".error-status"):
        if os.path.exists(stale):
            os.unlink(stale)
    argv = [
        ARGS.runner,
        f"--remote={ARGS.casd}",
        f"--action={action_path}",
        f"--action-result={result_path}",
        "--log-level=warning",
    ] + ARGS.runner_arg
    # buildbox-run stages each action into a new directory under TMPDIR (removed after it),
    # on the filesystem of buildbox-casd's cache so that staging is by hard links.
    env = dict(os.environ, TMPDIR=os.path.join(ARGS.work_dir, "tmp"))
    os.makedirs(env["TMPDIR"], exist_ok=True)
    start = time.monotonic()
    runner_log_path = os.path.join(work, "runner.log")
    with open(runner_log_path, "wb") as runner_log:  # this lease's only
        proc = subprocess.Popen(argv, stdout=runner_log, stderr=runner_log, env=env)
        while True:
            try:
                rc = proc.wait(timeout=ARGS.keepalive)
                break
            except subprocess.TimeoutExpired:
                lease.state = ACTIVE
                session = update(bots, session, [lease])
    seconds = time.monotonic() - start
    lease.state = COMPLETED
    # buildbox-run exits non-zero also when the action did (its exit code is in the result).
    if os.path.exists(result_path):
        result = re_pb2.ActionResult()
        with open(result_path, "rb") as f:
            result.ParseFromString(f.read())
        lease.result.Pack(result)
        lease.status.code = code_pb2.OK
        log(f"{lease.id}: exit {result.exit_code}, {seconds:.2f} s")
    else:
        # The runner itself failed (not the action): UNAVAILABLE, which the scheduler retries.
        lease.status.code = code_pb2.UNAVAILABLE
        with open(runner_log_path, "rb") as f:
            tail = f.read()[-600:].decode(errors="replace").strip().replace("\n", " | ")
        lease.status.message = f"buildbox-run exited {rc}: {tail}"
        log(f"{lease.id}: buildbox-run exited {rc} after {seconds:.2f} s: {tail}")
    return session, lease


def update(bots, session, leases):
    del session.leases[:]
    session.leases.extend(leases)
    return bots.UpdateBotSession(
        bots_pb2.UpdateBotSessionRequest(name=session.name, bot_session=session), timeout=ARGS.poll
    )


def main():
    channel = grpc.insecure_channel(ARGS.server)
    bots = bots_pb2_grpc.BotsStub(channel)
    cas = Cas(channel, ARGS.instance)
    while True:
        try:
            serve(bots, cas)
        except grpc.RpcError as e:
            # The server went away or dropped the session: a new session once it answers
            # (its leases were requeued by the server).
            log(f"{e.code().name}: {e.details()}; new session in 1 s")
            time.sleep(1)


def serve(bots, cas):
    session = bots_pb2.BotSession(bot_id=ARGS.bot_id, status=BOT_OK)
    session = bots.CreateBotSession(
        bots_pb2.CreateBotSessionRequest(parent=ARGS.instance, bot_session=session), timeout=ARGS.poll
    )
    log(f"session {session.name}")
    done = []  # completed leases not yet acknowledged by a successful update
    while True:
        if ARGS.debug:
            log(f"leases: {[(lease.id, lease.state) for lease in session.leases]}")
        for lease in list(session.leases):  # CreateBotSession may already carry a lease
            if lease.state in (PENDING, ACTIVE) and lease.id not in {d.id for d in done}:
                if lease.state == PENDING:  # accept it first
                    lease.state = ACTIVE
                    session = update(bots, session, [lease])
                session, lease = run_lease(bots, session, lease, cas)
                done.append(lease)
        try:
            session = update(bots, session, done)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                continue
            raise
        done = []


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True, help="host:port of BuildGrid's Bots service")
    p.add_argument("--instance", default="", help="instance name (Bots parent)")
    p.add_argument("--bot_id", required=True)
    p.add_argument("--casd", required=True, help="buildbox-casd endpoint for buildbox-run (unix:PATH)")
    p.add_argument("--runner", required=True, help="buildbox-run executable")
    p.add_argument("--runner_arg", action="append", default=[], help="extra buildbox-run argument")
    p.add_argument("--work_dir", required=True)
    p.add_argument("--keepalive", type=float, default=2.0, help="seconds between ACTIVE reports")
    p.add_argument("--debug", action="store_true", help="log every lease received")
    p.add_argument("--poll", type=float, default=30.0, help="gRPC deadline of UpdateBotSession")
    return p.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()
    main()
